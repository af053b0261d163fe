// The block layout and the allocation hot path, shared by tracked_malloc / tracked_free and the
// operator new / delete replacements so that both compile to the same inlined code: a block from
// this thread's cache (or the C allocator when it has none), a 16-byte header write or read, and
// two stores to this thread's counters.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "aligned_table.hpp"
#include "block_cache.hpp"
#include "platform/sanitizers.hpp"
#include "platform/visibility.hpp"
#include "quarantine.hpp"
#include "thread_counters.hpp"
#include "underlying_allocator.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

// Sits right before every block handed out; releasing a block reads everything it needs here.
// 16 bytes, not 8: the header must keep the block at __STDCPP_DEFAULT_NEW_ALIGNMENT__.
struct BlockHeader {
    std::uint64_t size;  // requested bytes; the cache's list link while the block waits
    std::uint16_t tag;
    std::uint8_t cache_class;  // its block cache size class; kUncached: never cached
    std::uint8_t layout;       // kOffsetLog2Bits: log2 of the distance from the C allocator's
                               // block; kCFamilyBlock: made by malloc & co., not operator new;
                               // kSampledBlock: its stack is in the sampler's table
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
inline constexpr std::uint8_t kOffsetLog2Bits = 0x3F;
inline constexpr std::uint8_t kCFamilyBlock = 0x40;
inline constexpr std::uint8_t kSampledBlock = 0x80;

// Which function family made a block, and so which may release it: free() takes only what the C
// allocation family made, operator delete only what operator new made (ASan calls the difference
// alloc-dealloc-mismatch), tracked_free either.
enum class Family : std::uint8_t { cpp = 0, c = kCFamilyBlock };
enum class Releaser { cpp_delete, c_free, any };

inline std::size_t offset_of(std::uint8_t layout) noexcept {
    return std::size_t{1} << (layout & kOffsetLog2Bits);
}

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

// Whether a header that does not check is that of a freed block, and its size then. A cached
// block's size field links the cache's list, so its size survives only in the seal's low bits; a
// block that went back to the C allocator keeps its size until the C allocator reuses the
// header's bytes, after which its double free reads as a header that does not check.
struct FreedBlock {
    bool freed;
    bool cached;
    std::uint64_t size;
};
inline FreedBlock freed_block(const BlockHeader& header) noexcept {
    const std::uint32_t freed_size = header.seal ^ kFreedMarker;
    const bool cached = header.cache_class < kUncached && freed_size <= kMaxCachedBlockBytes;
    const bool freed = cached || (header.cache_class == kUncached &&
                                  freed_size == static_cast<std::uint32_t>(header.size));
    return {freed, cached, cached ? freed_size : header.size};
}

// The one read of a block's header: copies the 16 bytes in front of `block` and says whether they
// check. Every path that releases, resizes or measures a block reads it through here.
[[gnu::always_inline]] inline bool read_header(const void* block, BlockHeader& header) noexcept {
    std::memcpy(&header, static_cast<const char*>(block) - sizeof(BlockHeader), sizeof(header));
    return header.seal == block_seal(block, header.size, packed_fields(header));
}

// What the tracker knows of a pointer handed to free, realloc or malloc_usable_size whose header
// does not check (look_up_unsealed, block_check.cpp): a live over-aligned block (its header in the
// aligned table), a block already freed (a double free), one from the bootstrap arena, or
// nothing: never handed out, or its header overwritten.
struct UnsealedBlock {
    enum class Kind : std::uint8_t { table, freed, bootstrap, unknown } kind;
    AlignedEntry entry;  // table: the block's entry
};

// Cold paths, in block_check.cpp. What they say goes through platform::ErrorMessage: one line,
// formatted on the stack, one system call (the heap may be corrupt).
// look_up_unsealed: asks the aligned table and the bootstrap arena about a block whose header
// does not check. report_bad_free: stops the program, naming a double free as one with the tag
// and size the block was charged to; `operation` is "free", "realloc" or "malloc_usable_size".
[[gnu::cold]] UnsealedBlock look_up_unsealed(const void* block) noexcept;
[[noreturn, gnu::cold]] void report_bad_free(const void* block, const char* operation) noexcept;
// A block released by the other family: counted, and reported once per call site (`caller`, the
// return address into the program) with the stack where the unwinder is loaded; the program
// stops under MismatchPolicy::abort, else the caller releases the block as usual.
[[gnu::cold]] void report_mismatched_free(const void* block, Releaser releaser, std::uint64_t size,
                                          std::uint16_t tag, const void* caller) noexcept;

// Cold path, in block_check.cpp: the release of a pointer whose header does not check. An
// over-aligned block (aligned_table.hpp) is released, a bootstrap block left alone; anything else
// stops the program: a double free, a pointer the tracker never handed out, a header overwritten.
[[gnu::cold]] void release_unsealed_block(void* block, Releaser releaser,
                                          const void* caller) noexcept;
// Cold paths, in sampled_block.cpp: record a block with this thread's stack (true if recorded);
// and that, then kSampledBlock set in its header (sealed again).
[[gnu::cold]] bool record_sample(void* block, std::uint64_t size, std::uint16_t tag) noexcept;
[[gnu::cold]] void sample_block(void* block) noexcept;

// Cold path, in block_check.cpp: releases the block if the aligned table holds it (a double free
// of one it holds as freed stops the program).
[[gnu::cold]] bool release_aligned_entry(void* block, Releaser releaser,
                                         const void* caller) noexcept;

// Whether the aligned table must be asked before the 16 bytes in front of a block are read. A
// page-aligned block may be the first byte of a mapping (an over-aligned block from an allocator
// like jemalloc), with nothing mapped in front of it; other blocks' fronts lie in their own page
// (4 KiB: the smallest page there is). Under AddressSanitizer and ThreadSanitizer the front of
// every block the table holds (aligned to 128 bytes or more) is a redzone or another chunk's
// freed bytes, which they would report.
#if NEBULA_ADDRESS_SANITIZER || NEBULA_THREAD_SANITIZER
inline constexpr std::uintptr_t kTableFirstAlignment = 2 * kMaxHeaderAlignment;
#else
inline constexpr std::uintptr_t kTableFirstAlignment = 4096;
#endif
inline bool may_start_a_mapping(const void* block) noexcept {
    return (reinterpret_cast<std::uintptr_t>(block) & (kTableFirstAlignment - 1)) == 0;
}

// The hot path is inlined into every entry point (operator new and delete, tracked_malloc and
// tracked_free): without the attribute GCC stops inlining it once the checks are in.
#define NEBULA_HOT_PATH [[gnu::always_inline]] inline

// Writes the header in front of the user's block, offset_of(layout) bytes into the C allocator's.
NEBULA_HOT_PATH void* finish_block(ThreadCounters& thread, void* raw, std::uint8_t layout,
                                   std::size_t size, std::uint16_t tag,
                                   std::uint8_t cache_class) noexcept {
    auto* block = static_cast<char*>(raw) + offset_of(layout);
    BlockHeader header{size, tag, cache_class, layout, 0};
    header.seal = block_seal(block, size, packed_fields(header));
    std::memcpy(block - sizeof(BlockHeader), &header, sizeof(header));
    if (count_allocation(thread, tag, size)) [[unlikely]] {
        sample_block(block);
    }
    return block;
}

// A block at the default alignment, charged to `tag`; null on failure.
template <Family kFamily = Family::cpp>
NEBULA_HOT_PATH void* allocate_block(std::size_t size, std::uint16_t tag) noexcept {
    constexpr auto kLayout = static_cast<std::uint8_t>(kHeaderOffsetLog2 | std::uint8_t(kFamily));
    ThreadCounters& thread = *t_counters;
    if (size <= kMaxCachedBlockBytes) {
        const std::size_t size_class = size_class_of(size);
        void* raw = take_cached_block(thread, size_class);
        if (raw == nullptr) {
            raw = underlying::allocate(class_request_bytes(size_class));
            if (raw == nullptr) [[unlikely]] {
                return nullptr;
            }
        }
        expose_user_bytes(raw, size, size_class);
        return finish_block(thread, raw, kLayout, size, tag, static_cast<std::uint8_t>(size_class));
    }
    if (size > kMaxBlockBytes) [[unlikely]] {
        return nullptr;
    }
    void* raw = underlying::allocate(size + sizeof(BlockHeader));
    if (raw == nullptr) [[unlikely]] {
        return nullptr;
    }
    return finish_block(thread, raw, kLayout, size, tag, kUncached);
}

// A block at the default alignment, charged to this thread's current tag; null on failure.
template <Family kFamily = Family::cpp>
NEBULA_HOT_PATH void* allocate_block(std::size_t size) noexcept {
    return allocate_block<kFamily>(size, t_current_tag);
}

// A block at `alignment` (a power of two above the default), charged to `tag`; null on failure.
// Up to kMaxHeaderAlignment the header takes a whole alignment unit in front of the block, so the
// block stays aligned; past it the header goes to the aligned table instead.
template <Family kFamily>
inline void* allocate_aligned_block(std::size_t size, std::size_t alignment,
                                    std::uint16_t tag) noexcept {
    if (alignment > kMaxBlockBytes / 4 || size > kMaxBlockBytes - 2 * alignment) {
        return nullptr;
    }
    const auto alignment_log2 = static_cast<std::uint8_t>(std::countr_zero(alignment));
    if (alignment > kMaxHeaderAlignment) {
        void* block = underlying::allocate_aligned(alignment, size == 0 ? alignment : size);
        if (block == nullptr) {
            return nullptr;
        }
        if (!aligned_table::insert({reinterpret_cast<std::uintptr_t>(block), size, tag,
                                    alignment_log2, static_cast<std::uint8_t>(kFamily)})) {
            underlying::release_aligned(block);
            return nullptr;
        }
        if (count_allocation(*t_counters, tag, size)) [[unlikely]] {
            // Its header is in the table, which has no room for the flag: its free asks the
            // sampler (release_aligned_entry).
            record_sample(block, size, tag);
        }
        return block;
    }
    const std::size_t padded = (size + alignment + alignment - 1) & ~(alignment - 1);
    void* raw = underlying::allocate_aligned(alignment, padded);
    if (raw == nullptr) {
        return nullptr;
    }
    return finish_block(*t_counters, raw,
                        static_cast<std::uint8_t>(alignment_log2 | std::uint8_t(kFamily)), size,
                        tag, kUncached);
}

// Gives a freed block's memory back: to this thread's cache, else through its quarantine to the
// allocator under the tracker.
NEBULA_HOT_PATH void release_memory(ThreadCounters& thread, char* user,
                                    const BlockHeader& header) noexcept {
    char* raw = user - offset_of(header.layout);
    if (keep_cached_block(thread, raw, header.cache_class)) {
        return;
    }
    // Only over-aligned blocks sit further than one header into their C allocation.
    const bool plain = (header.layout & kOffsetLog2Bits) == kHeaderOffsetLog2;
    quarantine_block(thread, raw, plain ? QuarantineKind::plain : QuarantineKind::aligned, user,
                     header.size);
}

// Releases a block through `kReleaser`. Inlined into free() and every operator delete, so that
// the return address a report names is the program's call.
template <Releaser kReleaser>
NEBULA_HOT_PATH void release_block(void* block) noexcept {
    if (block == nullptr) {
        return;
    }
    if (may_start_a_mapping(block)) [[unlikely]] {
        if (release_aligned_entry(block, kReleaser, __builtin_return_address(0))) {
            return;
        }
    }
    BlockHeader header;
    if (!read_header(block, header)) [[unlikely]] {
        release_unsealed_block(block, kReleaser, __builtin_return_address(0));
        return;
    }
    if constexpr (kReleaser != Releaser::any) {
        constexpr auto kExpected = kReleaser == Releaser::c_free ? kCFamilyBlock : 0;
        if ((header.layout & kCFamilyBlock) != kExpected) [[unlikely]] {
            report_mismatched_free(block, kReleaser, header.size, header.tag,
                                   __builtin_return_address(0));
        }
    }
    if ((header.layout & kSampledBlock) != 0) [[unlikely]] {
        sites::forget_sample(block);
    }
    auto* user = static_cast<char*>(block);
    const std::uint32_t freed = freed_seal(header.size);
    std::memcpy(user - sizeof(std::uint32_t), &freed, sizeof(freed));
    count_deallocation(*t_counters, header.tag, header.size);
    // Read again: a thread's first call registers it in the count above.
    release_memory(*t_counters, user, header);
}

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
