// The block layout and the allocation hot path, shared by tracked_malloc / tracked_free and the
// operator new / delete replacements so that both compile to the same inlined code: a block from
// this thread's cache (or the C allocator when it has none), a 16-byte header write or read, and
// two stores to this thread's counters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "block_cache.hpp"
#include "thread_counters.hpp"

namespace nebula::debug::detail {

// Sits right before every block handed out; releasing a block reads everything it needs here.
// 16 bytes, not 8: the header must keep the block at __STDCPP_DEFAULT_NEW_ALIGNMENT__.
struct BlockHeader {
    std::uint64_t size;    // requested bytes
    std::uint32_t offset;  // from the C allocator's block to the user's block
    std::uint16_t tag;
    std::uint16_t cache_class;  // its block cache size class; kCachedSizeClasses: never cached
};
static_assert(sizeof(BlockHeader) == kBlockHeaderBytes);
static_assert(alignof(std::max_align_t) <= sizeof(BlockHeader));
inline constexpr std::size_t kDefaultAlignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
static_assert(kDefaultAlignment <= sizeof(BlockHeader));
inline constexpr auto kUncached = static_cast<std::uint16_t>(kCachedSizeClasses);

// Larger requests fail before any size arithmetic could wrap.
inline constexpr std::size_t kMaxBlockBytes = SIZE_MAX / 2;

// Writes the header in front of the user's block, `offset` bytes into the C allocator's block.
inline void* finish_block(void* raw, std::size_t offset, std::size_t size, std::uint16_t tag,
                          std::uint16_t cache_class) noexcept {
    auto* block = static_cast<char*>(raw) + offset;
    const BlockHeader header{size, static_cast<std::uint32_t>(offset), tag, cache_class};
    std::memcpy(block - sizeof(BlockHeader), &header, sizeof(header));
    count_allocation(tag, size);
    return block;
}

// A block at the default alignment, charged to `tag`; null on failure.
inline void* allocate_block(std::size_t size, std::uint16_t tag) noexcept {
    if (size <= kMaxCachedBlockBytes) {
        const std::size_t size_class = size_class_of(size);
        void* raw = take_cached_block(size_class);
        if (raw == nullptr) {
            raw = std::malloc(class_request_bytes(size_class));
            if (raw == nullptr) [[unlikely]] {
                return nullptr;
            }
        }
        expose_user_bytes(raw, size, size_class);
        return finish_block(raw, sizeof(BlockHeader), size, tag,
                            static_cast<std::uint16_t>(size_class));
    }
    if (size > kMaxBlockBytes) [[unlikely]] {
        return nullptr;
    }
    void* raw = std::malloc(size + sizeof(BlockHeader));
    if (raw == nullptr) [[unlikely]] {
        return nullptr;
    }
    return finish_block(raw, sizeof(BlockHeader), size, tag, kUncached);
}

// A block at the default alignment, charged to this thread's current tag; null on failure.
inline void* allocate_block(std::size_t size) noexcept {
    return allocate_block(size, t_counters.current_tag);
}

inline void release_block(void* block) noexcept {
    if (block == nullptr) {
        return;
    }
    auto* user = static_cast<char*>(block);
    BlockHeader header;
    std::memcpy(&header, user - sizeof(BlockHeader), sizeof(header));
    count_deallocation(header.tag, header.size);
    void* raw = user - header.offset;
    if (!keep_cached_block(raw, header.cache_class)) {
        std::free(raw);
    }
}

}  // namespace nebula::debug::detail
