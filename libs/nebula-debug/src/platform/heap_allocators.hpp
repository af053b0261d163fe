// The C allocators resident_breakdown() knows by their statistics (Linux): one file each
// (heap_<name>.cpp), each finding its allocator's statistics interface at run time with dlsym,
// nothing linked, so the tracker runs over any of them, or none.
#pragma once

#include <nebula/debug/process_memory.hpp>

#include <cstddef>
#include <cstdint>

#include "platform.hpp"
#include "visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::platform::heap {

struct AllocatorReader {
    HeapAllocator allocator;
    const char* recognition;  // "jemalloc, from its statistics"
    // Whether `malloc_object` (the base of the object defining the malloc the process calls, under
    // the tracker's own) is this allocator's library; keeps its entry points if so. Called once:
    // dlsym may allocate (its error state) when a name is missing.
    bool (*recognise)(const void* malloc_object) noexcept;
    // Whether the allocator says the anonymous mapping [start, end) is its own (null where it
    // cannot tell an address of its own from another's without risk). Allocates nothing.
    bool (*owns)(std::uintptr_t start, std::uintptr_t end) noexcept;
    // The resident bytes the allocator holds beyond `claimed_bytes`, the heap found mapping by
    // mapping ([heap], mappings named for the allocator, glibc's arena heaps, mappings it owns);
    // null or false where its statistics cannot say. Allocates nothing.
    bool (*resident_beyond)(std::size_t claimed_bytes, std::size_t& bytes) noexcept;
};

extern const AllocatorReader kJemalloc;
extern const AllocatorReader kMimalloc;
extern const AllocatorReader kTcmalloc;
extern const AllocatorReader kGlibc;  // last: the others may define some of glibc's extensions

// The process's definition of `name` where `malloc_object` defines it (the allocator's own entry
// point, not another library's of the same name); null otherwise.
inline void* find_symbol_in(const void* malloc_object, const char* name) noexcept {
    void* symbol = find_process_symbol(name);
    return symbol != nullptr && object_base(symbol) == malloc_object ? symbol : nullptr;
}

// What `statistics_bytes` leaves beyond `claimed_bytes`: for allocators whose statistics count
// all they hold, [heap] included.
inline std::size_t beyond(std::size_t statistics_bytes, std::size_t claimed_bytes) noexcept {
    return statistics_bytes > claimed_bytes ? statistics_bytes - claimed_bytes : 0;
}

}  // namespace nebula::debug::platform::heap

NEBULA_INTERNAL_END
