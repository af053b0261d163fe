// glibc's ptmalloc: the walk over the mappings finds [heap] and the arenas' heaps by their shape
// (process_memory_linux.cpp); what it cannot see are the blocks glibc mmapped one by one
// (requests over M_MMAP_THRESHOLD, 128 KiB to 32 MiB): plain anonymous mappings, which the
// kernel may merge with any neighbour of the same kind. mallinfo2().hblkhd is their total size
// (address space, not resident bytes): exact when those blocks are wholly touched (a program
// writes what it mallocs), an over-estimate by their untouched pages otherwise. mallinfo2 takes
// each arena's lock and allocates nothing.
#include <gnu/libc-version.h>
#include <malloc.h>

#include "heap_allocators.hpp"
#include "platform.hpp"

namespace nebula::debug::platform::heap {
namespace {

bool recognise(const void* malloc_object) noexcept {
    // Called directly, this is glibc's own (no allocator above defines it).
    return object_base(reinterpret_cast<const void*>(&gnu_get_libc_version)) == malloc_object;
}

bool resident_beyond(std::size_t /*claimed_bytes*/, std::size_t& bytes) noexcept {
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
    bytes = mallinfo2().hblkhd;
    return true;
#else
    bytes = 0;
    return false;
#endif
}

}  // namespace

constinit const AllocatorReader kGlibc{HeapAllocator::glibc,
                                       "glibc, from its mappings' shape and mallinfo2", recognise,
                                       nullptr, resident_beyond};

}  // namespace nebula::debug::platform::heap
