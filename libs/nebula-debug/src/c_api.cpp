// The C API (nebula/debug/nebula_debug.h): a shell over the C++ API, as the override shells are
// over the hot path. Nothing may unwind into C, so whatever could throw is caught here.
#include <nebula/debug/nebula_debug.h>

#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <string>
#include <string_view>

namespace nd = nebula::debug;

namespace {

nebula_allocator_stats to_c(const nd::AllocatorStats& stats) noexcept {
    return {stats.allocated_bytes, stats.peak_allocated_bytes, stats.allocation_count,
            stats.deallocation_count};
}

}  // namespace

extern "C" {

int nebula_tracking_enabled(void) {
    return nd::tracking_allocator_enabled() ? 1 : 0;
}

int nebula_malloc_tracked(void) {
    return nd::malloc_family_tracked() ? 1 : 0;
}

nebula_tag_scope nebula_push_tag(const char* name) {
    const nd::MemoryTag tag = name != nullptr ? nd::memory_tag(name) : nd::kUntagged;
    return {nd::exchange_memory_tag(tag).index};
}

void nebula_pop_tag(nebula_tag_scope scope) {
    nd::exchange_memory_tag(nd::MemoryTag{scope.previous});
}

nebula_allocator_stats nebula_stats(const char* tag) {
    if (tag == nullptr) {
        return to_c(nd::allocator_stats());
    }
    // Looked up, not registered: reading a name the program never used must not use up a tag.
    nd::MemoryTag found;
    if (!nd::find_memory_tag(tag, found)) {
        return {};
    }
    return to_c(nd::allocator_stats(found));
}

int nebula_write_heap_profile(const char* path) {
    if (path == nullptr) {
        return -1;
    }
    try {
        return nd::write_heap_profile(path) ? 0 : -1;
    } catch (...) {
        return -1;
    }
}

}  // extern "C"
