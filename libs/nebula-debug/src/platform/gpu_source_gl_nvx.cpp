// GL_NVX_gpu_memory_info (NVIDIA's GL driver): the device's memory and what is free now, in KiB.
#include "platform/gpu_sources.hpp"

namespace nebula::debug::platform {
namespace {

using GetIntegerv = void (*)(unsigned, int*);
constexpr unsigned kDedicatedVideoMemoryKiB = 0x9047;
constexpr unsigned kTotalAvailableMemoryKiB = 0x9048;
constexpr unsigned kCurrentAvailableMemoryKiB = 0x9049;

}  // namespace

bool query_gl_nvx_memory_info(GpuDeviceMemory& out) {
    if (!current_gl_has_extension("GL_NVX_gpu_memory_info")) {
        return false;
    }
    const auto get_integer = reinterpret_cast<GetIntegerv>(current_gl_function("glGetIntegerv"));
    int dedicated = 0, available = 0, free_now = 0;
    get_integer(kDedicatedVideoMemoryKiB, &dedicated);
    get_integer(kTotalAvailableMemoryKiB, &available);
    get_integer(kCurrentAvailableMemoryKiB, &free_now);
    if (dedicated <= 0) {
        return false;
    }
    out.total_bytes = static_cast<std::size_t>(dedicated) * 1024;
    out.budget_bytes = static_cast<std::size_t>(available) * 1024;
    out.available_bytes = static_cast<std::size_t>(free_now) * 1024;
    out.used_bytes =
        out.budget_bytes > out.available_bytes ? out.budget_bytes - out.available_bytes : 0;
    out.source = "GL_NVX_gpu_memory_info";
    return true;
}

}  // namespace nebula::debug::platform
