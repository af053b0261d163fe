// Per-thread allocation counters, the heart of the tracker's cost model (mimalloc keeps its stats
// the same way): each thread counts into its own block with plain loads and stores, readers fold
// every thread's block on demand, and only every kPeakSlackBytes of one tag's net growth or
// shrinkage does a thread touch shared atomics (to publish bytes for the peak).
//
// A thread's block is not itself thread_local: it comes from a pool of the tracker's own pages
// when the thread registers, and thread-local storage holds only a pointer to it. So the block
// outlives the thread's TLS, whatever the C runtime does with that at exit (MinGW's emulated TLS
// frees it before the tracker's exit callback runs), the exit callback owns it, and the TLS a
// shared-library build needs is two words, not a few KiB.
#pragma once

#include <nebula/debug/tracking_allocator.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include "alloc/quarantine.hpp"
#include "platform/visibility.hpp"
#include "sites/sampler.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

// What unpublished_bytes holds while its thread is not counting into it (before its first
// allocation, after it exited): a value so far outside [0, kPeakSlackBytes] that adding or
// subtracting any block size stays outside, so the hot path's one range check also routes those
// threads to the slow path, and needs no branch of its own.
inline constexpr std::int64_t kNotCounting = std::numeric_limits<std::int64_t>::min() / 2;

// Written by the owning thread only, read by any (relaxed atomics: plain moves on x86).
// A line to each tag: the allocation path writes four of the five counters, all in one line.
struct alignas(64) TagCounters {
    // Bytes this thread allocated minus bytes it freed under this tag, not yet published.
    // Kept within [0, kPeakSlackBytes] while the thread counts; leaving that range publishes.
    std::atomic<std::int64_t> unpublished_bytes{kNotCounting};
    // The highest unpublished_bytes since this thread last published the tag: what the peak
    // misses between publishes, recovered when nothing else was published meanwhile (PublishMark).
    std::atomic<std::int64_t> peak_unpublished_bytes{0};
    std::atomic<std::uint64_t> allocations{0};
    std::atomic<std::uint64_t> deallocations{0};
    // Every byte this thread allocated under the tag, freed or not: what a frame allocated is
    // the difference between two reads (MemoryBudget::end_frame).
    std::atomic<std::uint64_t> allocated_bytes{0};
};
// Five counters no longer fit two tags to a line (32 bytes each, as before allocated_bytes): one
// line per tag rather than 40 bytes, which would split every other tag's counters over two lines.
static_assert(sizeof(TagCounters) == 64, "one tag's hot counters to a cache line");

// Where the shared totals stood when this thread last published a tag: their publish sequence
// numbers right after its publish. While a sequence number still reads the same, nobody has
// published since, so the published bytes then plus peak_unpublished_bytes is a total the process
// really reached (every other thread's unpublished bytes are >= 0): a peak exact for a lone
// thread. Written on the owner's cold path, read by readers under the registry lock.
struct PublishMark {
    std::atomic<std::uint64_t> tag_sequence{0};
    std::atomic<std::uint64_t> process_sequence{0};
};

enum class ThreadPhase : std::uint8_t {
    unregistered,  // no allocation yet: counters not visible to readers
    active,        // in the registry: the hot path counts here
    retired,       // exited: counters folded into the globals, later calls count there
};

// Size classes of the block cache. A class-c block is a C allocation of (c << 4) - 8 bytes, which
// glibc serves from a chunk of exactly c << 4 bytes (its chunks are the request plus 8, rounded
// up to 16): every request of the class fits, and rounding up to the class costs no memory.
inline constexpr std::size_t size_class_of(std::size_t size) noexcept {
    return (size + kBlockHeaderBytes + 8 + 15) >> 4;
}
inline constexpr std::size_t kCachedSizeClasses = size_class_of(kMaxCachedBlockBytes) + 1;

// Freed blocks this thread keeps for its next allocations, a LIFO list per size class linked
// through the blocks' headers (see block_cache.hpp).
struct BlockCache {
    std::array<void*, kCachedSizeClasses> free_blocks{};  // owning thread only
    // Chunk bytes the cache may still take: 0 until the thread registers and after it exits,
    // so those threads free straight to the C allocator. Read by tracking_overhead_bytes().
    std::atomic<std::int64_t> room{0};
};

struct ThreadCounters {
    sites::SamplerState sampler;  // its countdown is on the hot path
    ThreadPhase phase = ThreadPhase::unregistered;
    ThreadCounters* previous = nullptr;  // registry links, guarded by the registry lock
    ThreadCounters* next = nullptr;
    BlockCache cache;
    Quarantine quarantine;
    std::array<TagCounters, kMaxMemoryTags> tags{};
    std::array<PublishMark, kMaxMemoryTags> publish_marks{};
};

// Stand-ins that threads point at before they register and after they exit. Never written: every
// counter reads kNotCounting and the cache has no room, so the hot path's range check sends each
// call to the slow path, which registers the thread or counts into the shared totals.
extern constinit const ThreadCounters kUnregisteredThread;
extern constinit const ThreadCounters kRetiredThread;

// Initial-exec where the object format has it: a plain %fs-relative load, in an executable and in
// a shared library alike (two words fit the static TLS reserve a dlopen'ed library may take).
#if defined(__ELF__)
#define NEBULA_TLS_MODEL [[gnu::tls_model("initial-exec")]]
#else
#define NEBULA_TLS_MODEL
#endif

// This thread's counters, and the tag its allocations are charged to now. constinit: no TLS
// wrapper call, no initialisation guard. The hot path reads the pointer once per call and passes
// the counters down (a store through a block's bytes would otherwise force a reload); only the
// slow paths, which may register or retire the thread, read it again.
NEBULA_TLS_MODEL extern constinit thread_local ThreadCounters* t_counters;
NEBULA_TLS_MODEL extern constinit thread_local std::uint16_t t_current_tag;

inline void add_relaxed(std::atomic<std::uint64_t>& counter, std::uint64_t amount) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

// Cold paths, in thread_registry.cpp: register a thread on its first call, count for a thread
// that exited, or publish bytes once the unpublished count leaves [0, kPeakSlackBytes]. The
// first returns whether the allocation is sampled, as count_allocation does.
[[gnu::cold]] bool count_allocation_slowly(std::uint16_t tag, std::uint64_t size) noexcept;
[[gnu::cold]] void count_deallocation_slowly(std::uint16_t tag, std::uint64_t size) noexcept;

// Stores a thread's new unpublished count for a tag, and its highest since the last publish.
inline void store_unpublished(TagCounters& counters, std::int64_t unpublished) noexcept {
    counters.unpublished_bytes.store(unpublished, std::memory_order_relaxed);
    const std::int64_t peak = counters.peak_unpublished_bytes.load(std::memory_order_relaxed);
    counters.peak_unpublished_bytes.store(unpublished > peak ? unpublished : peak,
                                          std::memory_order_relaxed);
}

// The hot path: five loads, two compares and five stores into this thread's own counters.
// Returns whether the allocation is sampled (sites/sampler.hpp): the countdown runs here, past
// the range check, because the stand-ins' counters are read-only.
inline bool count_allocation(ThreadCounters& thread, std::uint16_t tag,
                             std::uint64_t size) noexcept {
    TagCounters& counters = thread.tags[tag];
    const std::int64_t unpublished = counters.unpublished_bytes.load(std::memory_order_relaxed) +
                                     static_cast<std::int64_t>(size);
    // A negative count wraps to a huge unsigned one: one compare checks both ends of the range.
    if (static_cast<std::uint64_t>(unpublished) > kPeakSlackBytes) [[unlikely]] {
        return count_allocation_slowly(tag, size);
    }
    store_unpublished(counters, unpublished);
    add_relaxed(counters.allocations, 1);
    add_relaxed(counters.allocated_bytes, size);
    return sites::sample_due(thread.sampler, size);
}

inline void count_deallocation(ThreadCounters& thread, std::uint16_t tag,
                               std::uint64_t size) noexcept {
    TagCounters& counters = thread.tags[tag];
    const std::int64_t unpublished = counters.unpublished_bytes.load(std::memory_order_relaxed) -
                                     static_cast<std::int64_t>(size);
    if (static_cast<std::uint64_t>(unpublished) > kPeakSlackBytes) [[unlikely]] {
        count_deallocation_slowly(tag, size);
        return;
    }
    counters.unpublished_bytes.store(unpublished, std::memory_order_relaxed);
    add_relaxed(counters.deallocations, 1);
}

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
