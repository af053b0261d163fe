// The tracking allocator: process-wide and per-tag allocation statistics.
//
// Linking nebula::debug replaces every replaceable global allocation function (operator new and
// delete in their plain, array, nothrow, sized and std::align_val_t forms) with thin wrappers over
// tracked_malloc / tracked_free below, and the C allocation family with the same hot path (see
// malloc_family_tracked()). With NEBULA_MEMORY_TRACKING=0 the replacements are not
// compiled, every statistic reads zero and tracked_* forward to the C allocator.
//
// Cost model: every thread counts into its own counters (no shared cache line is written on the
// hot path); allocator_stats() folds them on read. Each block carries a 16-byte header holding its
// requested size and tag, so frees are charged exactly, to the tag that made the block, on any
// thread. Small blocks a thread frees are cached for its next allocations (see
// release_cached_blocks).
#pragma once

#include <nebula/debug/config.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nebula::debug {

struct AllocatorStats {
    std::size_t allocated_bytes = 0;       // requested bytes not yet freed
    std::size_t peak_allocated_bytes = 0;  // highest allocated_bytes seen (see kPeakSlackBytes)
    std::size_t allocation_count = 0;      // successful allocations so far
    std::size_t deallocation_count = 0;
    std::size_t live_allocations() const noexcept;  // allocation_count - deallocation_count
    // Every byte allocated so far, freed or not (a realloc counts its new size): two reads apart
    // give what was allocated in between (MemoryBudget::end_frame's churn).
    std::size_t cumulative_allocated_bytes = 0;
};

inline std::size_t AllocatorStats::live_allocations() const noexcept {
    return allocation_count - deallocation_count;
}

// The peak's error bound. Each thread keeps up to kPeakSlackBytes of every tag's byte count to
// itself and publishes the rest, so a peak is never above the true peak and never below it by
// more than kPeakSlackBytes x (threads alive) x (tags those threads allocated under).
// Every current value read through allocator_stats() is exact, and a read lifts the peak to it.
// Each thread also remembers its highest unpublished count since it last published, which lifts
// the peak (at its next publish, at a read, as it exits) while nobody else published meanwhile:
// so a tag only one thread uses has an exact peak, and so has a process with one thread
// allocating under one tag, except for what reset_allocator_peak() cuts short (a thread's count
// since its last publish no longer lifts the peak after a reset).
inline constexpr std::size_t kPeakSlackBytes = 64 * 1024;

// How many tags can be registered, the untagged one included; names past it are charged to
// untagged. Names longer than kMaxTagNameLength are truncated.
inline constexpr std::size_t kMaxMemoryTags = 128;
inline constexpr std::size_t kMaxTagNameLength = 47;

// A registered tag: a small index, cheap to copy and to pass to tracked_aligned_malloc.
struct MemoryTag {
    std::uint16_t index = 0;  // 0 is the untagged tag
    friend bool operator==(MemoryTag, MemoryTag) = default;
};

inline constexpr MemoryTag kUntagged{};
inline constexpr std::string_view kUntaggedName = "Untagged";
// The tracker's own tags: what naming allocation sites allocates (the program's symbol and line
// tables, read when sites are first read), and what the tracker allocates otherwise (loading the
// unwinder, its per-thread caches). Counted in tracking_overhead_bytes(), not in allocator_stats()
// and its peak, sites, heap profiles, snapshots or the exit report; allocator_stats(tag) and
// allocator_stats_by_tag() still read the tags themselves.
inline constexpr std::string_view kTrackerSymbolsTagName = "nebula-debug symbols";
inline constexpr std::string_view kTrackerTagName = "nebula-debug";
// True for the tags above.
bool is_tracker_tag(MemoryTag tag) noexcept;

AllocatorStats allocator_stats() noexcept;  // whole process, the tracker's own tags excepted
AllocatorStats allocator_stats(std::string_view tag);  // one tag (zeros if unknown)
AllocatorStats allocator_stats(MemoryTag tag) noexcept;
// allocator_stats(tags[i]) into out[i] for every i below both sizes, folding the threads' counters
// once for all of them: for displays and budgets that read many tags every frame.
void allocator_stats(std::span<const MemoryTag> tags, std::span<AllocatorStats> out) noexcept;
bool tracking_allocator_enabled() noexcept;  // false when compiled out
// True when the C allocation family (malloc, calloc, realloc, reallocarray, free, posix_memalign,
// aligned_alloc, memalign, valloc, pvalloc, malloc_usable_size) is replaced too and counted like
// operator new: same statistics, same tags. CMake option NEBULA_TRACK_MALLOC: on with tracking,
// off under AddressSanitizer, ThreadSanitizer and MemorySanitizer (their runtimes replace malloc)
// and on Windows.
bool malloc_family_tracked() noexcept;
void reset_allocator_peak() noexcept;  // peak := current, globally and per tag

// Finds the tag with this name, registering it on first use. Thread-safe, never allocates.
MemoryTag memory_tag(std::string_view name) noexcept;
// The tag with this name if one was registered.
bool find_memory_tag(std::string_view name, MemoryTag& tag) noexcept;
std::string_view memory_tag_name(MemoryTag tag) noexcept;
// How many tags are registered, Untagged included: MemoryTag{0} to MemoryTag{count - 1}.
std::size_t memory_tag_count() noexcept;
// The tag this thread's allocations are charged to now (the innermost MemoryScope's).
MemoryTag current_memory_tag() noexcept;
// Makes `tag` this thread's current tag and returns the one it replaces: what MemoryScope does,
// for code that cannot hold a scope object (the C API, a job system resuming a task elsewhere).
MemoryTag exchange_memory_tag(MemoryTag tag) noexcept;

// Every registered tag, in registration order (Untagged first), with its statistics; the
// tracker's own tags among them (is_tracker_tag), which reports leave out.
std::vector<std::pair<std::string, AllocatorStats>> allocator_stats_by_tag();

// What the tracking itself costs in memory: block headers of live allocations, the pool of
// per-thread counters, the blocks the threads' caches hold, the sampled sites' tables, and what
// the tracker's own tags hold (the symbol tables read to name sites, the unwinder's memory)
// (Unreal calls this LLMOverhead).
std::size_t tracking_overhead_bytes() noexcept;

// The per-thread block cache. A block of up to kMaxCachedBlockBytes that a thread frees is kept
// for that thread's next allocation of its size class instead of going back to the C allocator,
// up to kBlockCacheBytesPerThread per thread (CMake option NEBULA_BLOCK_CACHE_BYTES, 0 turns it
// off); the rest is freed at once. It is what makes a tracked allocation cheaper than a plain
// malloc (docs/benchmarks.md). Cached blocks count as freed in every statistic and as tracking
// overhead; a thread releases its cache when it exits, and under AddressSanitizer cached blocks
// are poisoned, so a use after free still reports.
inline constexpr std::size_t kMaxCachedBlockBytes = 1024;
inline constexpr std::size_t kBlockCacheBytesPerThread =
    NEBULA_MEMORY_TRACKING ? NEBULA_BLOCK_CACHE_BYTES : 0;
// Hands the blocks this thread's cache and quarantine hold back to the C allocator (for example
// before measuring the heap, or in a thread that is about to sleep for long).
void release_cached_blocks() noexcept;

// A block released by the other family (free() of a new'd block, delete of a malloc'd one) is
// harmless under glibc and common in drivers: by default it is reported once per call site on
// standard error (with its stack where sampling's unwinder is loaded) and released correctly, as
// its header says which family made it. NEBULA_ON_MISMATCH=abort (or the call below) stops the
// program instead, for CI. Double frees, frees of pointers the tracker never handed out and
// overwritten headers always stop the program (docs/architecture.md says within which window a
// double free is named as one).
enum class MismatchPolicy { report, abort };
void set_mismatch_policy(MismatchPolicy policy) noexcept;
std::size_t mismatched_free_count() noexcept;  // reported since start (0 when compiled out)

// The process's resident set size as the OS sees it (0 where unknown). Minus allocator_stats()'s
// allocated bytes it gives what nothing tracked: C mallocs, driver memory, stacks, code.
// Reads a small /proc file without allocating: fine once per frame, not per allocation.
std::size_t process_resident_bytes() noexcept;
inline constexpr std::size_t kBlockHeaderBytes = NEBULA_MEMORY_TRACKING ? 16 : 0;

class MemoryScope {  // RAII: allocations on this thread inside the scope go to `tag`
public:              // scopes nest; the innermost wins; a free is charged to the tag
    explicit MemoryScope(std::string_view tag);  // that made the allocation, on any thread
    explicit MemoryScope(MemoryTag tag) noexcept;
    ~MemoryScope();
    MemoryScope(const MemoryScope&) = delete;
    MemoryScope& operator=(const MemoryScope&) = delete;

private:
    MemoryTag previous_;
};

// The allocation entry points operator new/delete are built on, for third-party allocation
// hooks (Bullet's btAlignedAllocSetCustom*, ImGui::SetAllocatorFunctions) and custom allocators.
// They return null on failure (never throw) and are counted exactly like operator new.
// Blocks from either function must be released with tracked_free, and only with it.
void* tracked_malloc(std::size_t size) noexcept;  // current tag, alignment of operator new
void* tracked_aligned_malloc(std::size_t size, std::size_t alignment, MemoryTag tag) noexcept;
void tracked_free(void* block) noexcept;  // null is a no-op

// A standard allocator that charges a container's memory to one tag, whatever scope is active.
template <class T>
class TaggedAllocator {
public:
    using value_type = T;

    explicit TaggedAllocator(MemoryTag tag) noexcept : tag_(tag) {}
    explicit TaggedAllocator(std::string_view tag_name) noexcept : tag_(memory_tag(tag_name)) {}
    template <class U>
    TaggedAllocator(const TaggedAllocator<U>& other) noexcept : tag_(other.tag()) {}

    T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
            throw std::bad_array_new_length();
        void* block = tracked_aligned_malloc(n * sizeof(T), alignof(T), tag_);
        if (block == nullptr)
            throw std::bad_alloc();
        return static_cast<T*>(block);
    }
    void deallocate(T* block, std::size_t) noexcept { tracked_free(block); }

    MemoryTag tag() const noexcept { return tag_; }
    template <class U>
    bool operator==(const TaggedAllocator<U>& other) const noexcept {
        return tag_ == other.tag();
    }

private:
    MemoryTag tag_;
};

}  // namespace nebula::debug
