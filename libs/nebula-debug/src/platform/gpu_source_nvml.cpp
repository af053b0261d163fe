// NVML (NVIDIA's management library, shipped with its driver): the first device's memory. Loaded
// with dlopen where the driver installed it; everywhere else the source says nothing.
#include "platform/gpu_sources.hpp"

#include <dlfcn.h>

namespace nebula::debug::platform {
namespace {

struct NvmlMemory {  // nvmlMemory_t
    unsigned long long total = 0;
    unsigned long long free = 0;
    unsigned long long used = 0;
};
using Init = int (*)();
using DeviceByIndex = int (*)(unsigned, void**);
using MemoryInfo = int (*)(void*, NvmlMemory*);
using DeviceName = int (*)(void*, char*, unsigned);

struct Entry {
    DeviceByIndex device = nullptr;
    MemoryInfo memory = nullptr;
    DeviceName name = nullptr;
};

Entry resolve() {
    void* nvml = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (nvml == nullptr) {
        return {};
    }
    const auto init = reinterpret_cast<Init>(dlsym(nvml, "nvmlInit_v2"));
    if (init == nullptr || init() != 0) {
        return {};
    }
    return {reinterpret_cast<DeviceByIndex>(dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2")),
            reinterpret_cast<MemoryInfo>(dlsym(nvml, "nvmlDeviceGetMemoryInfo")),
            reinterpret_cast<DeviceName>(dlsym(nvml, "nvmlDeviceGetName"))};
}

}  // namespace

bool query_nvml(GpuDeviceMemory& out) {
    static const Entry entry = resolve();
    void* device = nullptr;
    NvmlMemory memory;
    if (entry.device == nullptr || entry.memory == nullptr || entry.device(0, &device) != 0 ||
        entry.memory(device, &memory) != 0) {
        return false;
    }
    out.total_bytes = static_cast<std::size_t>(memory.total);
    out.used_bytes = static_cast<std::size_t>(memory.used);
    out.available_bytes = static_cast<std::size_t>(memory.free);
    out.source = "NVML";
    char name[96] = {};
    if (entry.name != nullptr && entry.name(device, name, sizeof name) == 0) {
        out.device = name;
    }
    return true;
}

}  // namespace nebula::debug::platform
