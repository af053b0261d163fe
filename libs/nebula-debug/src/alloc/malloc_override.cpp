// The C allocation family, replaced when NEBULA_TRACK_MALLOC is on: a thin shell over the same hot
// path as operator new (tracked_block.hpp), so C libraries' blocks get the same header, counters,
// tags and block cache. What each function does beyond that is what glibc's manual ("Replacing
// malloc") and the C standard ask: errno, overflow checks, alignment rules, realloc's cases. The
// memory underneath comes from the allocator the process would have used otherwise
// (underlying_allocator.hpp). Compiled only when NEBULA_TRACK_MALLOC is on.
#include <nebula/debug/tracking_allocator.hpp>

#include <malloc.h>
#include <stdlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "tracked_block.hpp"

// Named so that a sampled stack's frames in here read "nebula::debug::...": the sites' reader
// cuts the tracker's frames by that prefix (allocation_sites.cpp), cold clones included.
namespace nebula::debug::detail::malloc_shell {
namespace {

namespace nd = nebula::debug::detail;
using nd::BlockHeader;
using nd::Family;

void* failed(int error = ENOMEM) noexcept {
    errno = error;
    return nullptr;
}

void* allocate(std::size_t size) noexcept {
    void* block = nd::allocate_block<Family::c>(size);
    return block != nullptr ? block : failed();
}

// Any power of two; the default alignment and below take the ordinary path.
void* allocate_aligned(std::size_t alignment, std::size_t size, std::uint16_t tag) noexcept {
    void* block = alignment <= nd::kDefaultAlignment
                      ? nd::allocate_block<Family::c>(size, tag)
                      : nd::allocate_aligned_block<Family::c>(size, alignment, tag);
    return block != nullptr ? block : failed();
}

bool multiply(std::size_t count, std::size_t size, std::size_t& product) noexcept {
    return !__builtin_mul_overflow(count, size, &product);
}

// A block moved to a new one of its alignment, the bytes copied over, the old one released.
void* move_block(void* block, const BlockHeader& header, std::size_t size) noexcept {
    const std::size_t alignment = nd::offset_of(header.layout);
    void* moved = alignment == sizeof(BlockHeader)
                      ? nd::allocate_block<Family::c>(size, header.tag)
                      : nd::allocate_aligned_block<Family::c>(size, alignment, header.tag);
    if (moved == nullptr) {
        return failed();
    }
    std::memcpy(moved, block, std::min<std::size_t>(size, header.size));
    nd::release_block<nd::Releaser::any>(block);
    return moved;
}

// The C allocation that realloc asks for to hold `size` bytes at the default alignment: a cached
// size class's chunk, else the size rounded up to an eighth of its power of two when it grows, so
// that a block growing a little at a time (a string builder's appends) stays in its chunk for the
// next few (at most 12.5% more than asked for).
std::size_t chunk_bytes_for(std::size_t size, std::size_t size_class, bool growing) noexcept {
    if (size_class < nd::kUncached) {
        return nd::class_request_bytes(size_class);
    }
    const std::size_t bytes = size + sizeof(BlockHeader);
    const std::size_t step = growing ? std::bit_floor(bytes) / 8 : 1;
    return (bytes + step - 1) & ~(step - 1);
}

// Counts a resize as the free of `old_size` and the allocation of `size` in one step, so that a
// large block's resize leaves the thread's unpublished bytes in range where a separate free and
// allocation would publish twice. The churn counts the new size, as the slow path's allocation
// does (AllocatorStats::cumulative_allocated_bytes). The sampler's countdown is charged with the
// growth only; true when it ran out. A thread whose count leaves the range (or that counts into a
// stand-in) takes the slow paths, charged with the whole new size.
[[gnu::always_inline]] inline bool count_resize(nd::ThreadCounters& thread, std::uint16_t tag,
                                                std::uint64_t old_size,
                                                std::uint64_t size) noexcept {
    nd::TagCounters& counters = thread.tags[tag];
    const std::int64_t unpublished = counters.unpublished_bytes.load(std::memory_order_relaxed) +
                                     static_cast<std::int64_t>(size - old_size);
    if (static_cast<std::uint64_t>(unpublished) > nebula::debug::kPeakSlackBytes) [[unlikely]] {
        nd::count_deallocation(thread, tag, old_size);
        return nd::count_allocation(thread, tag, size);
    }
    nd::store_unpublished(counters, unpublished);
    nd::add_relaxed(counters.allocations, 1);
    nd::add_relaxed(counters.deallocations, 1);
    nd::add_relaxed(counters.allocated_bytes, size);
    return nd::sites::sample_due(thread.sampler, size > old_size ? size - old_size : 0);
}

// Writes a resized block's header and counts the resize. Charging the sampler's countdown with
// the growth only samples a block grown step by step to n bytes with the odds of one allocation
// of n bytes, not of the sum of its sizes (a string builder's 16 KiB would count as 4 MiB); a
// sampled block keeps its sample, moved to its new address and size, without a new stack walk.
// Inlined into reallocate's two paths, count_resize with it: as calls they cost about 35
// instructions a realloc in registers saved and restored (callgrind, ReallocGrowth).
[[gnu::always_inline]] inline void* finish_resize(nd::ThreadCounters& thread, const void* block,
                                                  const BlockHeader& old, char* raw,
                                                  std::size_t chunk_class,
                                                  std::size_t size) noexcept {
    char* user = raw + sizeof(BlockHeader);
    const bool sampled = (old.layout & nd::kSampledBlock) != 0;
    // realloc makes a C block of whatever it resizes (a mismatch was reported already).
    BlockHeader header{size, old.tag, static_cast<std::uint8_t>(chunk_class),
                       static_cast<std::uint8_t>(nd::kHeaderOffsetLog2 | std::uint8_t(Family::c) |
                                                 (old.layout & nd::kSampledBlock)),
                       0};
    header.seal = nd::block_seal(user, size, nd::packed_fields(header));
    std::memcpy(raw, &header, sizeof(header));
    if (sampled) [[unlikely]] {
        nd::sites::move_sample(block, user, size);
    }
    if (count_resize(thread, old.tag, old.size, size) && !sampled) [[unlikely]] {
        nd::sample_block(user);
    }
    return user;
}

// realloc of a block this tracker made, to `size` > 0 bytes, charged to the tag that made it. A
// block at the default alignment stays where it lies while it fits its chunk and uses at least
// half of it; else, from one cached size class to another, it moves to a block of the new class
// (from this thread's cache where one waits) and its old block waits in the cache; else the
// allocator underneath resizes its chunk, in place where it can. Only the header is rewritten;
// the tag's bytes move by the difference. Inlined into realloc, reallocate_sealed with it: as
// calls, realloc's frame and this one's each saved and restored six registers, 8% of a
// StringBuilder append and 6% of a LuaStyle call (callgrind).
[[gnu::always_inline]] inline void* reallocate(void* block, const BlockHeader& header,
                                               std::size_t size) noexcept {
    if ((header.layout & nd::kOffsetLog2Bits) != nd::kHeaderOffsetLog2) [[unlikely]] {
        return move_block(block, header, size);
    }
    auto* user = static_cast<char*>(block);
    char* raw = user - sizeof(BlockHeader);
    nd::ThreadCounters& thread = *nd::t_counters;
    const std::size_t size_class =
        size <= nebula::debug::kMaxCachedBlockBytes ? nd::size_class_of(size) : nd::kUncached;
    std::size_t chunk_class = header.cache_class;
    bool fits;
    if (chunk_class < nd::kUncached) {
        fits = size_class <= chunk_class && 2 * size_class >= chunk_class;
        if (!fits && size_class < nd::kUncached) {
            // Between cached classes glibc's realloc seldom grows in place and skips its tcache:
            // a block of the new class from this thread's cache, or a fresh one, costs less.
            void* moved = nd::take_cached_block(thread, size_class);
            if (moved == nullptr) {
                moved = nd::underlying::allocate(nd::class_request_bytes(size_class));
                if (moved == nullptr) {
                    return failed();
                }
            }
            std::memcpy(static_cast<char*>(moved) + sizeof(BlockHeader), block,
                        std::min<std::size_t>(size, header.size));
            const std::uint32_t freed = nd::freed_seal(header.size);
            std::memcpy(user - sizeof(freed), &freed, sizeof(freed));
            nd::release_memory(thread, user, header);
            return finish_resize(thread, block, header, static_cast<char*>(moved), size_class,
                                 size);
        }
    } else {
        const std::size_t chunk_bytes = nd::underlying::usable_size(raw);
        fits = size + sizeof(BlockHeader) <= chunk_bytes &&
               2 * (size + sizeof(BlockHeader)) >= chunk_bytes;
    }
    if (!fits) {
        raw = static_cast<char*>(
            nd::underlying::reallocate(raw, chunk_bytes_for(size, size_class, size > header.size)));
        if (raw == nullptr) {
            return failed();
        }
        chunk_class = size_class;
    }
    return finish_resize(thread, block, header, raw, chunk_class, size);
}

// realloc of a block whose header checks, from `caller` (for a mismatch's report).
[[gnu::always_inline]] inline void* reallocate_sealed(void* block, const BlockHeader& header,
                                                      std::size_t size,
                                                      const void* caller) noexcept {
    if ((header.layout & nd::kCFamilyBlock) == 0) [[unlikely]] {
        nd::report_mismatched_free(block, nd::Releaser::c_free, header.size, header.tag, caller);
    }
    if (size > nd::kMaxBlockBytes) {
        return failed();
    }
    return reallocate(block, header, size);
}

// realloc of an over-aligned block (its header in the aligned table): a new one of its alignment.
void* reallocate_table_block(void* block, const nd::AlignedEntry& entry, std::size_t size,
                             const void* caller) noexcept {
    if (entry.family != static_cast<std::uint8_t>(Family::c)) {
        nd::report_mismatched_free(block, nd::Releaser::c_free, entry.size, entry.tag, caller);
    }
    void* moved = nd::allocate_aligned_block<Family::c>(
        size, std::size_t{1} << entry.alignment_log2, entry.tag);
    if (moved == nullptr) {
        return failed();
    }
    std::memcpy(moved, block, std::min<std::size_t>(size, entry.size));
    nd::release_block<nd::Releaser::any>(block);
    return moved;
}

// realloc of a pointer that may start a mapping, or whose header does not check: an over-aligned
// block moves to a new one of its alignment; a block from the bootstrap arena moves into a
// tracked block; an ordinary block that happens to be page-aligned is resized as usual; anything
// else (a double free, a pointer never handed out, an overwritten header) stops the program.
void* reallocate_unsealed(void* block, std::size_t size, const void* caller) noexcept {
    const nd::UnsealedBlock found = nd::look_up_unsealed(block);
    if (BlockHeader header; found.kind != nd::UnsealedBlock::Kind::table &&
                            found.kind != nd::UnsealedBlock::Kind::bootstrap &&
                            nd::read_header(block, header)) {
        return reallocate_sealed(block, header, size, caller);
    }
    switch (found.kind) {
        case nd::UnsealedBlock::Kind::table:
            return reallocate_table_block(block, found.entry, size, caller);
        case nd::UnsealedBlock::Kind::bootstrap: {
            void* moved = allocate(size);
            if (moved != nullptr) {
                std::memcpy(moved, block,
                            std::min(size, nd::underlying::bootstrap_bytes_from(block)));
            }
            return moved;
        }
        case nd::UnsealedBlock::Kind::freed:
        case nd::UnsealedBlock::Kind::unknown:
            break;
    }
    nd::report_bad_free(block, "realloc");
}

}  // namespace
}  // namespace nebula::debug::detail::malloc_shell

namespace shell = nebula::debug::detail::malloc_shell;
namespace nd = nebula::debug::detail;
using nd::BlockHeader;
using nd::Family;

extern "C" {

void* malloc(std::size_t size) noexcept {
    return shell::allocate(size);
}

void free(void* block) noexcept {
    nd::release_block<nd::Releaser::c_free>(block);
}

void* calloc(std::size_t count, std::size_t size) noexcept {
    std::size_t bytes;
    if (!shell::multiply(count, size, bytes)) {
        return shell::failed();
    }
    if (bytes > nebula::debug::kMaxCachedBlockBytes && bytes <= nd::kMaxBlockBytes) {
        // Large: the allocator underneath hands out zeroed pages without touching them.
        void* raw = nd::underlying::allocate_zeroed(bytes + sizeof(BlockHeader));
        if (raw == nullptr) {
            return shell::failed();
        }
        return nd::finish_block(*nd::t_counters, raw,
                                nd::kHeaderOffsetLog2 | std::uint8_t(Family::c), bytes,
                                nd::t_current_tag, nd::kUncached);
    }
    void* block = shell::allocate(bytes);
    if (block != nullptr) {
        std::memset(block, 0, bytes);
    }
    return block;
}

void* realloc(void* block, std::size_t size) noexcept {
    if (block == nullptr) {
        return shell::allocate(size);
    }
    if (size == 0) {  // glibc frees the block and returns null
        free(block);
        return nullptr;
    }
    BlockHeader header;
    if (nd::may_start_a_mapping(block) || !nd::read_header(block, header)) [[unlikely]] {
        return shell::reallocate_unsealed(block, size, __builtin_return_address(0));
    }
    return shell::reallocate_sealed(block, header, size, __builtin_return_address(0));
}

void* reallocarray(void* block, std::size_t count, std::size_t size) noexcept {
    std::size_t bytes;
    return shell::multiply(count, size, bytes) ? realloc(block, bytes) : shell::failed();
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) {
        return EINVAL;
    }
    const int saved = errno;
    void* block = shell::allocate_aligned(alignment, size, nd::t_current_tag);
    errno = saved;  // posix_memalign reports through its result, not errno
    if (block == nullptr) {
        return ENOMEM;
    }
    *out = block;
    return 0;
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        return shell::failed(EINVAL);
    }
    return shell::allocate_aligned(alignment, size, nd::t_current_tag);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
    // glibc rounds an alignment that is not a power of two up to the next one.
    if (alignment > nd::kMaxBlockBytes) {
        return shell::failed(EINVAL);
    }
    return shell::allocate_aligned(std::bit_ceil(std::max<std::size_t>(alignment, 1)), size,
                                   nd::t_current_tag);
}

void* valloc(std::size_t size) noexcept {
    return shell::allocate_aligned(nebula::debug::platform::page_size(), size, nd::t_current_tag);
}

void* pvalloc(std::size_t size) noexcept {
    const std::size_t page = nebula::debug::platform::page_size();
    if (size > nd::kMaxBlockBytes) {
        return shell::failed();
    }
    // Whole pages, at least one (glibc's pvalloc(0) is a page too).
    return shell::allocate_aligned(page, std::max(page, (size + page - 1) & ~(page - 1)),
                                   nd::t_current_tag);
}

std::size_t malloc_usable_size(void* block) noexcept {
    if (block == nullptr) {
        return 0;
    }
    // Exactly what was asked for: the tracker counts those bytes, no more.
    BlockHeader header;
    if (!nd::may_start_a_mapping(block) && nd::read_header(block, header)) {
        return header.size;
    }
    const nd::UnsealedBlock found = nd::look_up_unsealed(block);
    if (found.kind == nd::UnsealedBlock::Kind::table) {
        return found.entry.size;
    }
    if (found.kind == nd::UnsealedBlock::Kind::bootstrap) {
        return 0;
    }
    if (nd::read_header(block, header)) {
        return header.size;  // an ordinary block that happens to be page-aligned
    }
    nd::report_bad_free(block, "malloc_usable_size");
}

}  // extern "C"
