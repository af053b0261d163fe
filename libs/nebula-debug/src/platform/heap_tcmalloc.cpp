// gperftools' tcmalloc (2.2 and later): its page map says which mappings hold its spans
// (MallocExtension_GetOwnership answers for any address), and its statistics how much metadata
// it holds besides, which the page map does not list. tcmalloc takes its first memory with sbrk:
// that part is [heap], counted by the walk already.
#include "heap_allocators.hpp"
#include "platform.hpp"

namespace nebula::debug::platform::heap {
namespace {

using GetNumericProperty = int (*)(const char* property, std::size_t* value);
using GetOwnership = int (*)(const void* address);
constexpr int kOwned = 1;  // MallocExtension_Ownership's kOwned
constinit GetNumericProperty g_get = nullptr;
constinit GetOwnership g_get_ownership = nullptr;

bool recognise(const void* malloc_object) noexcept {
    g_get = reinterpret_cast<GetNumericProperty>(
        find_symbol_in(malloc_object, "MallocExtension_GetNumericProperty"));
    if (g_get == nullptr) {
        return false;
    }
    g_get_ownership = reinterpret_cast<GetOwnership>(
        find_symbol_in(malloc_object, "MallocExtension_GetOwnership"));
    return true;
}

// A span's first and last pages are in the page map, whether in use or free; a mapping starts or
// ends one.
bool owns(std::uintptr_t start, std::uintptr_t end) noexcept {
    return g_get_ownership != nullptr &&
           (g_get_ownership(reinterpret_cast<const void*>(start)) == kOwned ||
            g_get_ownership(reinterpret_cast<const void*>(end - page_size())) == kOwned);
}

// What the page map does not list is tcmalloc's metadata: total_physical_bytes (the page heap's
// system bytes and metadata, less what was returned to the OS) less the page heap's part
// (heap_size less unmapped). Statistics of the page heap itself would count the untouched tail
// pages of every span as resident; the mappings' own Rss does not.
bool resident_beyond(std::size_t claimed_bytes, std::size_t& bytes) noexcept {
    std::size_t physical = 0;
    std::size_t heap_size = 0;
    std::size_t unmapped = 0;
    if (g_get("generic.total_physical_bytes", &physical) == 0 ||
        g_get("generic.heap_size", &heap_size) == 0 ||
        g_get("tcmalloc.pageheap_unmapped_bytes", &unmapped) == 0) {
        return false;
    }
    const std::size_t metadata = beyond(physical, beyond(heap_size, unmapped));
    const std::size_t unclaimed = beyond(physical, claimed_bytes);
    bytes = metadata < unclaimed ? metadata : unclaimed;
    return true;
}

}  // namespace

constinit const AllocatorReader kTcmalloc{HeapAllocator::tcmalloc,
                                          "tcmalloc, from its page map and statistics", recognise,
                                          owns, resident_beyond};

}  // namespace nebula::debug::platform::heap
