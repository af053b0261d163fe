// gpu_device_memory() on Linux: the first source that answers, the most precise first (NVML and
// the GL extensions tell what is in use on the device; GLX_MESA_query_renderer only its size;
// DRM fdinfo only this process's own use).
#include "platform/gpu_sources.hpp"

namespace nebula::debug {

GpuDeviceMemory gpu_device_memory() {
    for (const auto source :
         {platform::query_nvml, platform::query_gl_nvx_memory_info, platform::query_gl_ati_meminfo,
          platform::query_glx_mesa_renderer, platform::query_drm_fdinfo}) {
        GpuDeviceMemory memory;
        if (source(memory)) {
            return memory;
        }
    }
    return {};
}

}  // namespace nebula::debug
