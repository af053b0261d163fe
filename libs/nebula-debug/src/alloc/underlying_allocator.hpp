// The allocator under the tracker: where every block's memory really comes from. With the C
// allocation family replaced (NEBULA_TRACK_MALLOC) that is whatever malloc the process would have
// used otherwise, glibc's or one loaded before it (jemalloc through LD_PRELOAD), reached through
// pointers resolved at the first call; the tracker must never call std::malloc itself then, which
// would be its own replacement. Without it, the C runtime's functions directly.
#pragma once

#include <nebula/debug/config.hpp>

#include <cstddef>
#include <cstdlib>

#include "platform/platform.hpp"
#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail::underlying {

#if NEBULA_TRACK_MALLOC

struct Functions {
    void* (*malloc)(std::size_t);
    void (*free)(void*);
    void* (*calloc)(std::size_t, std::size_t);
    void* (*realloc)(void*, std::size_t);
    void* (*aligned_alloc)(std::size_t, std::size_t);
    std::size_t (*usable_size)(void*);
};
// Starts as stubs that resolve the next allocator on their first call, then call it.
extern constinit Functions g_next;

inline void* allocate(std::size_t size) noexcept {
    return g_next.malloc(size);
}
inline void* allocate_zeroed(std::size_t size) noexcept {
    return g_next.calloc(1, size);
}
inline void* reallocate(void* block, std::size_t size) noexcept {
    return g_next.realloc(block, size);
}
inline void release(void* block) noexcept {
    g_next.free(block);
}
inline void* allocate_aligned(std::size_t alignment, std::size_t size) noexcept {
    return g_next.aligned_alloc(alignment, size);
}
inline void release_aligned(void* block) noexcept {
    g_next.free(block);
}
inline std::size_t usable_size(void* block) noexcept {
    return g_next.usable_size(block);
}
// A freed block's C allocation cut down to its first `bytes` in place, the rest handed back to the
// allocator underneath at once: the block as it is now (glibc's realloc never moves a shrinking
// chunk of its heap, so `block` itself, its first bytes untouched), or null, the block left as
// it was. Done only where glibc's realloc is underneath and the block lies in its heap (a chunk
// glibc mapped on its own is left alone: its free raises glibc's mmap threshold).
void* shrink_in_place(void* block, std::size_t bytes) noexcept;

// True when this tracker's malloc is the process's. Not so when an allocator loaded ahead of the
// shared libnebula-debug-allocator (jemalloc through LD_PRELOAD) takes the C family: the tracker
// then allocates from that allocator too and counts operator new only.
bool replaces_process_malloc() noexcept;

// True for blocks handed out while the next allocator was being looked up (the lookup itself may
// allocate): they come from a small static arena and are never freed.
bool is_bootstrap_block(const void* block) noexcept;
// The arena's bytes from `block` to its end: the most a bootstrap block can hold.
std::size_t bootstrap_bytes_from(const void* block) noexcept;

#else

inline void* allocate(std::size_t size) noexcept {
    return std::malloc(size);
}
inline void* allocate_zeroed(std::size_t size) noexcept {
    return std::calloc(1, size);
}
inline void* reallocate(void* block, std::size_t size) noexcept {
    return std::realloc(block, size);
}
inline void release(void* block) noexcept {
    std::free(block);
}
inline void* allocate_aligned(std::size_t alignment, std::size_t size) noexcept {
    return platform::aligned_allocate(alignment, size);
}
inline void release_aligned(void* block) noexcept {
    platform::aligned_release(block);
}
inline void* shrink_in_place(void*, std::size_t) noexcept {
    return nullptr;
}

#endif

}  // namespace nebula::debug::detail::underlying

NEBULA_INTERNAL_END
