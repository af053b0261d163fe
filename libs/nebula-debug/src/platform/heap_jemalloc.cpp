// jemalloc's statistics through mallctl: "stats.resident" after an "epoch" refresh (the counters
// are a snapshot taken at the last epoch). stats.resident counts every page jemalloc keeps
// resident: live extents, dirty pages not yet purged and its own metadata, a slight over-estimate
// where a page of a live extent was never written. jemalloc has no safe question for "is this
// address yours" (mallctl's arenas.lookup reads its radix tree as if the address were its own,
// and faults on one that is not), so which anonymous mappings hold it is not known: the estimate
// moves out of the unfenced read-write anonymous memory (process_memory_linux.cpp).
#include <cstdint>

#include "heap_allocators.hpp"
#include "platform.hpp"

namespace nebula::debug::platform::heap {
namespace {

using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
constinit Mallctl g_mallctl = nullptr;

bool recognise(const void* malloc_object) noexcept {
    g_mallctl = reinterpret_cast<Mallctl>(find_symbol_in(malloc_object, "mallctl"));
    return g_mallctl != nullptr;
}

bool resident_beyond(std::size_t claimed_bytes, std::size_t& bytes) noexcept {
    std::uint64_t epoch = 1;
    std::size_t size = sizeof epoch;
    if (g_mallctl("epoch", &epoch, &size, &epoch, size) != 0) {
        return false;
    }
    std::size_t resident = 0;
    size = sizeof resident;
    if (g_mallctl("stats.resident", &resident, &size, nullptr, 0) != 0) {
        return false;  // a jemalloc built with --disable-stats
    }
    bytes = beyond(resident, claimed_bytes);
    return true;
}

}  // namespace

constinit const AllocatorReader kJemalloc{HeapAllocator::jemalloc, "jemalloc, from its statistics",
                                          recognise, nullptr, resident_beyond};

}  // namespace nebula::debug::platform::heap
