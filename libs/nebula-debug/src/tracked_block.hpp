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
#include "platform.hpp"
#include "thread_counters.hpp"

namespace nebula::debug::detail {

// Sits right before every block handed out; releasing a block reads everything it needs here.
// 16 bytes, not 8: the header must keep the block at __STDCPP_DEFAULT_NEW_ALIGNMENT__.
struct BlockHeader {
    std::uint64_t size;  // requested bytes; the cache's list link while the block waits
    std::uint16_t tag;
    std::uint8_t cache_class;  // its block cache size class; kUncached: never cached
    std::uint8_t offset_log2;  // log2 of the distance from the C allocator's block
    std::uint32_t seal;        // live: block_seal(); freed: freed_seal(size)
};
static_assert(sizeof(BlockHeader) == kBlockHeaderBytes);
static_assert(alignof(std::max_align_t) <= sizeof(BlockHeader));
inline constexpr std::size_t kDefaultAlignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
static_assert(kDefaultAlignment <= sizeof(BlockHeader));
static_assert(kCachedSizeClasses < UINT8_MAX);
inline constexpr auto kUncached = static_cast<std::uint8_t>(kCachedSizeClasses);
inline constexpr std::uint8_t kHeaderOffsetLog2 = 4;
static_assert(std::size_t{1} << kHeaderOffsetLog2 == sizeof(BlockHeader));

// Larger requests fail before any size arithmetic could wrap.
inline constexpr std::size_t kMaxBlockBytes = SIZE_MAX / 2;

// The header's fields between the size and the check word, as one word: what the seal covers.
inline std::uint32_t packed_fields(const BlockHeader& header) noexcept {
    std::uint32_t fields;
    std::memcpy(&fields, &header.tag, sizeof(fields));
    return fields;
}
static_assert(offsetof(BlockHeader, seal) - offsetof(BlockHeader, tag) == sizeof(std::uint32_t));

// The header's check word: a hash of the block's address and every other header field. A free
// whose header does not match (a double free, a pointer the tracker never handed out, a header
// overwritten by a buffer underflow) is caught before any field is trusted; a random header
// passes with odds of 1 in 2^32, and a change to any single bit of a field always shows (bit i of
// the multiplier's input reaches bit i and above of the product, which the seal keeps from bit 32
// up). One multiply on each path, no branch.
inline std::uint32_t block_seal(const void* block, std::uint64_t size,
                                std::uint32_t fields) noexcept {
    const std::uint64_t mixed =
        reinterpret_cast<std::uintptr_t>(block) ^ size ^ (std::uint64_t{fields} << 32);
    return static_cast<std::uint32_t>((mixed * 0x9E3779B97F4A7C15u) >> 32);
}

// A freed block's check word: a marker that block_seal() yields with odds of 1 in 2^32 and,
// folded in, the low bits of its size, which the cache's list link overwrites.
inline constexpr std::uint32_t kFreedMarker = 0xF4EEB10Cu;
inline std::uint32_t freed_seal(std::uint64_t size) noexcept {
    return kFreedMarker ^ static_cast<std::uint32_t>(size);
}

// Cold path, in block_check.cpp: aborts with one message naming the block, what its header says
// (double free, never handed out or overwritten) and the tag and size it was charged to.
[[noreturn, gnu::cold]] void report_bad_free(const void* block) noexcept;

// The hot path is inlined into every entry point (operator new and delete, tracked_malloc and
// tracked_free): without the attribute GCC stops inlining it once the checks are in.
#define NEBULA_HOT_PATH [[gnu::always_inline]] inline

// Writes the header in front of the user's block, 2^offset_log2 bytes into the C allocator's.
NEBULA_HOT_PATH void* finish_block(ThreadCounters& thread, void* raw, std::uint8_t offset_log2,
                                   std::size_t size, std::uint16_t tag,
                                   std::uint8_t cache_class) noexcept {
    auto* block = static_cast<char*>(raw) + (std::size_t{1} << offset_log2);
    BlockHeader header{size, tag, cache_class, offset_log2, 0};
    header.seal = block_seal(block, size, packed_fields(header));
    std::memcpy(block - sizeof(BlockHeader), &header, sizeof(header));
    count_allocation(thread, tag, size);
    return block;
}

// A block at the default alignment, charged to `tag`; null on failure.
NEBULA_HOT_PATH void* allocate_block(std::size_t size, std::uint16_t tag) noexcept {
    ThreadCounters& thread = *t_counters;
    if (size <= kMaxCachedBlockBytes) {
        const std::size_t size_class = size_class_of(size);
        void* raw = take_cached_block(thread, size_class);
        if (raw == nullptr) {
            raw = std::malloc(class_request_bytes(size_class));
            if (raw == nullptr) [[unlikely]] {
                return nullptr;
            }
        }
        expose_user_bytes(raw, size, size_class);
        return finish_block(thread, raw, kHeaderOffsetLog2, size, tag,
                            static_cast<std::uint8_t>(size_class));
    }
    if (size > kMaxBlockBytes) [[unlikely]] {
        return nullptr;
    }
    void* raw = std::malloc(size + sizeof(BlockHeader));
    if (raw == nullptr) [[unlikely]] {
        return nullptr;
    }
    return finish_block(thread, raw, kHeaderOffsetLog2, size, tag, kUncached);
}

// A block at the default alignment, charged to this thread's current tag; null on failure.
NEBULA_HOT_PATH void* allocate_block(std::size_t size) noexcept {
    return allocate_block(size, t_current_tag);
}

NEBULA_HOT_PATH void release_block(void* block) noexcept {
    if (block == nullptr) {
        return;
    }
    auto* user = static_cast<char*>(block);
    BlockHeader header;
    std::memcpy(&header, user - sizeof(BlockHeader), sizeof(header));
    if (header.seal != block_seal(block, header.size, packed_fields(header))) [[unlikely]] {
        report_bad_free(block);
    }
    const std::uint32_t freed = freed_seal(header.size);
    std::memcpy(user - sizeof(std::uint32_t), &freed, sizeof(freed));
    ThreadCounters& thread = *t_counters;
    count_deallocation(thread, header.tag, header.size);
    void* raw = user - (std::size_t{1} << header.offset_log2);
    if (!keep_cached_block(thread, raw, header.cache_class)) {
        // Only over-aligned blocks sit further than one header into their C allocation.
        if (header.offset_log2 == kHeaderOffsetLog2) {
            std::free(raw);
        } else {
            platform::aligned_release(raw);
        }
    }
}

}  // namespace nebula::debug::detail
