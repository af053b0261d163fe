// The tracker compiled out (NEBULA_MEMORY_TRACKING=0): the same API, reading zeros, allocating
// straight from the C allocator. No operator new or delete is replaced in this configuration.
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <algorithm>
#include <cstdint>

#include "platform/platform.hpp"

namespace nebula::debug {

AllocatorStats allocator_stats() noexcept {
    return {};
}
AllocatorStats allocator_stats(std::string_view) {
    return {};
}
AllocatorStats allocator_stats(MemoryTag) noexcept {
    return {};
}
void allocator_stats(std::span<const MemoryTag> tags, std::span<AllocatorStats> out) noexcept {
    std::fill_n(out.begin(), std::min(tags.size(), out.size()), AllocatorStats{});
}
std::vector<std::pair<std::string, AllocatorStats>> allocator_stats_by_tag() {
    return {};
}
bool tracking_allocator_enabled() noexcept {
    return false;
}
bool malloc_family_tracked() noexcept {
    return false;
}
void reset_allocator_peak() noexcept {}
std::size_t tracking_overhead_bytes() noexcept {
    return 0;
}
void release_cached_blocks() noexcept {}
void set_mismatch_policy(MismatchPolicy) noexcept {}
std::size_t mismatched_free_count() noexcept {
    return 0;
}

void track_gpu_allocation(std::uint64_t, std::size_t, MemoryTag) noexcept {}
void track_gpu_allocation(std::uint64_t, std::size_t) noexcept {}
void track_gpu_free(std::uint64_t) noexcept {}
GpuStats gpu_stats() noexcept {
    return {};
}
GpuStats gpu_stats(std::string_view) noexcept {
    return {};
}
GpuStats gpu_stats(MemoryTag) noexcept {
    return {};
}
std::size_t unknown_gpu_free_count() noexcept {
    return 0;
}
void reset_gpu_peak() noexcept {}

void set_sampling_interval(std::size_t) noexcept {}
std::size_t sampling_interval() noexcept {
    return 0;
}
std::vector<AllocationSite> live_allocation_sites(std::size_t) {
    return {};
}
std::vector<AllocationSite> live_allocation_sites(std::string_view, std::size_t) {
    return {};
}
bool write_heap_profile(const std::string& path, std::string* error) {
    if (error != nullptr) {
        *error =
            path + ": no heap profile, memory tracking is compiled out (NEBULA_MEMORY_TRACKING=0)";
    }
    return false;
}
std::string heap_profile() {
    return {};
}
SamplingStats sampling_stats() noexcept {
    return {};
}

MemoryTag current_memory_tag() noexcept {
    return kUntagged;
}
MemoryTag exchange_memory_tag(MemoryTag) noexcept {
    return kUntagged;
}
MemoryScope::MemoryScope(std::string_view) : previous_{} {}
MemoryScope::MemoryScope(MemoryTag) noexcept : previous_{} {}
MemoryScope::~MemoryScope() = default;

// Every block comes from the platform's aligned allocation, so that one release fits them all:
// on Windows a block from _aligned_malloc cannot go to free(). (glibc serves alignments up to 16
// from plain malloc.)
void* tracked_malloc(std::size_t size) noexcept {
    return platform::aligned_allocate(__STDCPP_DEFAULT_NEW_ALIGNMENT__, size);
}
void* tracked_aligned_malloc(std::size_t size, std::size_t alignment, MemoryTag) noexcept {
    alignment = std::max<std::size_t>(alignment, __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    if ((alignment & (alignment - 1)) != 0 || size > SIZE_MAX - alignment) {
        return nullptr;
    }
    return platform::aligned_allocate(alignment, (size + alignment - 1) & ~(alignment - 1));
}
void tracked_free(void* block) noexcept {
    platform::aligned_release(block);
}

}  // namespace nebula::debug
