// gpu_device_memory() on Windows: no source yet (DXGI's QueryVideoMemoryInfo would be the one),
// so it says "unknown" rather than 0 bytes.
#include <nebula/debug/gpu_memory.hpp>

namespace nebula::debug {

GpuDeviceMemory gpu_device_memory() {
    return {};
}

}  // namespace nebula::debug
