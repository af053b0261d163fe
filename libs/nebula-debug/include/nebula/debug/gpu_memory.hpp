// GPU memory: what the engine says it created on the device, per tag, beside what the driver
// says the device holds.
#pragma once

#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nebula::debug {

// GPU resources the engine creates (textures, buffers, VkDeviceMemory): `id` is any 64-bit key
// unique among live resources (a handle, or a GL name combined with its kind). Exact, per tag,
// thread-safe, cheap enough for every resource creation (docs/benchmarks.md: GpuTracking).
// Tracking an id that is still live re-specifies it, as glBufferData does for a buffer name: the
// old size is freed and the new one allocated, under the new tag. Compiled out with the tracking
// allocator (NEBULA_MEMORY_TRACKING off): the calls do nothing and the statistics read zeros.
void track_gpu_allocation(std::uint64_t id, std::size_t bytes, MemoryTag tag) noexcept;
void track_gpu_allocation(std::uint64_t id, std::size_t bytes) noexcept;  // the current tag
// A free of an id that is not live (never tracked, or freed already) changes nothing and is
// counted in unknown_gpu_free_count().
void track_gpu_free(std::uint64_t id) noexcept;

struct GpuStats {
    std::size_t allocated_bytes = 0;       // bytes of the live resources
    std::size_t peak_allocated_bytes = 0;  // highest allocated_bytes since start or the last reset
    std::size_t allocation_count = 0;      // track_gpu_allocation calls so far
    std::size_t deallocation_count = 0;    // frees of live ids (and re-specifications)
    std::size_t live_allocations() const noexcept { return allocation_count - deallocation_count; }
};
GpuStats gpu_stats() noexcept;                      // every tag
GpuStats gpu_stats(std::string_view tag) noexcept;  // one tag (zeros if unknown)
GpuStats gpu_stats(MemoryTag tag) noexcept;
std::size_t unknown_gpu_free_count() noexcept;  // frees of ids that were not live
// peak := current, for the process and every tag (as reset_allocator_peak does for the heap).
void reset_gpu_peak() noexcept;

// The driver's view where the platform tells it. Sources, tried in this order: NVML (loaded at
// run time where NVIDIA's driver is installed), GL_NVX_gpu_memory_info and GL_ATI_meminfo (only
// on a thread with a current OpenGL context), GLX_MESA_query_renderer (the X display's renderer:
// total only), DRM fdinfo (the process's own use of amdgpu, i915 and xe devices). The tracker
// links no GPU library: each source resolves its entry points at run time. VK_EXT_memory_budget
// is not among them yet (docs/architecture.md, "GPU memory").
struct GpuDeviceMemory {
    std::size_t total_bytes = 0;      // the device's memory; 0 where the source does not tell
    std::size_t used_bytes = 0;       // in use (by every process, or this one for DRM fdinfo)
    std::size_t budget_bytes = 0;     // what the driver lets this process use; 0 where not told
    std::size_t available_bytes = 0;  // free now (GL_NVX_gpu_memory_info, GL_ATI_meminfo)
    std::string source;               // e.g. "GLX_MESA_query_renderer"; "" when nothing tells
    std::string device;               // the renderer's name where the source gives it
};
// Reads the platform on every call (a few hundred microseconds to open an X connection): call
// it once a second, not per frame.
GpuDeviceMemory gpu_device_memory();

}  // namespace nebula::debug
