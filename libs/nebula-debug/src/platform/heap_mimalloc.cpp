// mimalloc (2.x) through mi_is_in_heap_region: its segment map answers for any address, so each
// anonymous mapping is asked whether it is mimalloc's (its first and last page: the kernel may
// have merged a segment with a neighbour of the same kind, and a huge block's segment is known
// by its first 32 MiB only), and the heap is exactly the mappings
// it owns. Its statistics (mi_process_info's commit) are not used: Linux commits lazily, and the
// commit counts every page of a segment, written or not (32 MiB for a process that wrote 600 KiB).
#include "heap_allocators.hpp"
#include "platform.hpp"

namespace nebula::debug::platform::heap {
namespace {

using IsInHeapRegion = bool (*)(const void*);
constinit IsInHeapRegion g_is_in_heap_region = nullptr;

bool recognise(const void* malloc_object) noexcept {
    g_is_in_heap_region =
        reinterpret_cast<IsInHeapRegion>(find_symbol_in(malloc_object, "mi_is_in_heap_region"));
    return g_is_in_heap_region != nullptr;
}

// mimalloc finds the segment of (address - 1), so that a block's end finds its own segment: a
// segment's first byte is asked as its second.
bool owns(std::uintptr_t start, std::uintptr_t end) noexcept {
    return g_is_in_heap_region(reinterpret_cast<const void*>(start + 1)) ||
           g_is_in_heap_region(reinterpret_cast<const void*>(end - page_size()));
}

}  // namespace

constinit const AllocatorReader kMimalloc{HeapAllocator::mimalloc, "mimalloc, from its segment map",
                                          recognise, owns, nullptr};

}  // namespace nebula::debug::platform::heap
