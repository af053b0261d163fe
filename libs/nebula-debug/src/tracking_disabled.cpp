// The tracker compiled out (NEBULA_MEMORY_TRACKING=0): the same API, reading zeros, allocating
// straight from the C allocator. No operator new or delete is replaced in this configuration.
#include <nebula/debug/tracking_allocator.hpp>

#include <cstdlib>

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
std::vector<std::pair<std::string, AllocatorStats>> allocator_stats_by_tag() {
    return {};
}
bool tracking_allocator_enabled() noexcept {
    return false;
}
void reset_allocator_peak() noexcept {}
std::size_t tracking_overhead_bytes() noexcept {
    return 0;
}
void release_cached_blocks() noexcept {}

MemoryTag current_memory_tag() noexcept {
    return kUntagged;
}
MemoryScope::MemoryScope(std::string_view) : previous_{} {}
MemoryScope::MemoryScope(MemoryTag) noexcept : previous_{} {}
MemoryScope::~MemoryScope() = default;

void* tracked_malloc(std::size_t size) noexcept {
    return std::malloc(size);
}
void* tracked_aligned_malloc(std::size_t size, std::size_t alignment, MemoryTag) noexcept {
    if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
        return std::malloc(size);
    }
    if ((alignment & (alignment - 1)) != 0 || size > SIZE_MAX - alignment) {
        return nullptr;
    }
    return std::aligned_alloc(alignment, (size + alignment - 1) & ~(alignment - 1));
}
void tracked_free(void* block) noexcept {
    std::free(block);
}

}  // namespace nebula::debug
