// The per-thread block cache: freed blocks of up to kMaxCachedBlockBytes wait in their thread's
// LIFO list for the next allocation of their size class. Taking or giving back a block is a few
// loads and stores to this thread's own memory, cheaper than any trip through malloc, which is how
// a tracked allocation, header and counters included, beats a plain one. The lists only ever
// hold blocks from the C allocator, so a block freed on another thread than the one that made it
// simply joins the freeing thread's cache. A block's first 8 bytes (its header's size field)
// link it while it waits.
#pragma once

#include <cstddef>
#include <cstring>

#include "platform/sanitizers.hpp"
#include "platform/visibility.hpp"
#include "thread_counters.hpp"

#if NEBULA_ADDRESS_SANITIZER
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

// What to ask the C allocator for so that the block serves any request of its size class.
inline constexpr std::size_t class_request_bytes(std::size_t size_class) noexcept {
    return (size_class << 4) - 8;
}

inline constexpr std::int64_t class_chunk_bytes(std::size_t size_class) noexcept {
    return static_cast<std::int64_t>(size_class << 4);
}

// Under AddressSanitizer, a waiting block's user bytes are poisoned (a use after free reports as
// use-after-poison) and a block in use exposes exactly the bytes requested, not its whole class.
inline void hide_user_bytes([[maybe_unused]] void* raw,
                            [[maybe_unused]] std::size_t size_class) noexcept {
#if NEBULA_ADDRESS_SANITIZER
    ASAN_POISON_MEMORY_REGION(static_cast<char*>(raw) + kBlockHeaderBytes,
                              class_request_bytes(size_class) - kBlockHeaderBytes);
#endif
}

inline void expose_user_bytes([[maybe_unused]] void* raw, [[maybe_unused]] std::size_t size,
                              [[maybe_unused]] std::size_t size_class) noexcept {
#if NEBULA_ADDRESS_SANITIZER
    hide_user_bytes(raw, size_class);
    ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(raw) + kBlockHeaderBytes, size);
#endif
}

// The pool pages that hold the threads' counters hold the caches' only links to their blocks:
// LeakSanitizer must scan them as it scans thread-local storage, or it reports cached blocks
// as leaked at exit.
inline void scan_for_leak_checker([[maybe_unused]] const void* pages,
                                  [[maybe_unused]] std::size_t bytes) noexcept {
#if NEBULA_ADDRESS_SANITIZER
    __lsan_register_root_region(pages, bytes);
#endif
}

// A waiting block of `size_class` (< kCachedSizeClasses) off this thread's list, or null.
inline void* take_cached_block(ThreadCounters& thread, std::size_t size_class) noexcept {
    BlockCache& cache = thread.cache;
    void* raw = cache.free_blocks[size_class];
    if (raw == nullptr) {
        return nullptr;
    }
    std::memcpy(&cache.free_blocks[size_class], raw, sizeof(void*));
    cache.room.store(cache.room.load(std::memory_order_relaxed) + class_chunk_bytes(size_class),
                     std::memory_order_relaxed);
    return raw;
}

// Cold path, in thread_registry.cpp: when a free finds this thread's cache full, the cache hands
// everything it holds back to the C allocator and starts over, so that blocks of sizes a program
// has stopped using do not hold the room forever. False when this thread keeps no cache (not
// registered yet, exited, or a cache smaller than the block).
[[gnu::cold]] bool empty_full_cache(ThreadCounters& thread, std::int64_t needed_bytes) noexcept;

// Keeps a freed block for this thread if it is of a cached class; false leaves the block to the
// caller to free. Blocks of other sizes or alignments carry kCachedSizeClasses as their class.
inline bool keep_cached_block(ThreadCounters& thread, void* raw, std::size_t size_class) noexcept {
    if (size_class >= kCachedSizeClasses) {
        return false;
    }
    BlockCache& cache = thread.cache;
    const std::int64_t chunk_bytes = class_chunk_bytes(size_class);
    if (cache.room.load(std::memory_order_relaxed) < chunk_bytes) [[unlikely]] {
        if (!empty_full_cache(thread, chunk_bytes)) {
            return false;
        }
    }
    cache.room.store(cache.room.load(std::memory_order_relaxed) - chunk_bytes,
                     std::memory_order_relaxed);
    std::memcpy(raw, &cache.free_blocks[size_class], sizeof(void*));
    cache.free_blocks[size_class] = raw;
    hide_user_bytes(raw, size_class);
    return true;
}

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
