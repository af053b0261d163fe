// The driver's view of GPU memory (gpu_memory.hpp), one source per file. Each fills `out` and
// returns true when its driver answers; none links its library: entry points are resolved at
// run time, so the tracker runs where no GPU library is installed.
#pragma once

#include <nebula/debug/gpu_memory.hpp>

#include <string_view>
#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::platform {

bool query_nvml(GpuDeviceMemory& out);                // gpu_source_nvml.cpp
bool query_gl_nvx_memory_info(GpuDeviceMemory& out);  // gpu_source_gl_nvx.cpp
bool query_gl_ati_meminfo(GpuDeviceMemory& out);      // gpu_source_gl_ati.cpp
bool query_glx_mesa_renderer(GpuDeviceMemory& out);   // gpu_source_glx_mesa.cpp
bool query_drm_fdinfo(GpuDeviceMemory& out);          // gpu_source_drm_fdinfo.cpp

// The current OpenGL context's entry point `name` (through glXGetProcAddressARB of the libGL the
// process already loaded), or null when no context is current on this thread or none is loaded.
void* current_gl_function(const char* name);
bool current_gl_has_extension(std::string_view extension);

// One DRM client's memory from its fdinfo text (drm-usage-stats.rst): device-local bytes
// ("drm-memory-vram" of amdgpu, "drm-total-local0"/"drm-total-vram0" of i915 and xe) and the
// client id. False when the text is not a DRM client's.
struct DrmClientMemory {
    std::uint64_t client_id = 0;
    std::size_t local_bytes = 0;
    std::string_view driver;  // points into the text
};
bool parse_drm_fdinfo(std::string_view text, DrmClientMemory& out);

}  // namespace nebula::debug::platform

NEBULA_INTERNAL_END
