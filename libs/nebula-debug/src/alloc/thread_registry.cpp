// The cold side of the per-thread counters: the registry of live threads, the shared totals that
// publishing and exited threads feed, and the readers that fold everything into AllocatorStats.
#include "thread_registry.hpp"

#include <nebula/debug/tracking_allocator.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "aligned_table.hpp"
#include "block_cache.hpp"
#include "platform/platform.hpp"
#include "platform/spin_lock.hpp"
#include "platform/thread_stacks.hpp"
#include "sites/stack_table.hpp"
#include "tag_registry.hpp"
#include "thread_counters.hpp"
#include "underlying_allocator.hpp"

namespace nebula::debug {
namespace detail {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr auto kRelease = std::memory_order_release;
constexpr auto kAcquire = std::memory_order_acquire;
constexpr auto kSequential = std::memory_order_seq_cst;

// Written only on cold paths; a line each so publishing threads do not slow each other.
struct alignas(64) SharedTotals {
    std::atomic<std::int64_t> published_bytes{0};
    std::atomic<std::int64_t> peak_bytes{0};
    // Counts publishes, and peak resets (which void every PublishMark): see PublishMark.
    std::atomic<std::uint64_t> publish_sequence{0};
    std::atomic<std::uint64_t> retired_allocations{0};
    std::atomic<std::uint64_t> retired_deallocations{0};
    std::atomic<std::uint64_t> retired_allocated_bytes{0};
};

constinit std::array<SharedTotals, kMaxMemoryTags> g_tag_totals{};
constinit SharedTotals g_process_totals{};

constinit SpinLock g_registry_lock;
constinit ThreadCounters* g_threads = nullptr;

// The pool the threads' counters come from, guarded by the registry lock: pages straight from the
// operating system, carved into blocks, and the blocks of exited threads kept for the next
// threads (linked through `next`). Never returned: a few KiB per thread the process ever ran at
// once.
constexpr std::size_t kCountersPerPoolChunk = 16;
constinit ThreadCounters* g_free_counters = nullptr;
constinit std::size_t g_pool_bytes = 0;

ThreadCounters* take_pooled_counters() noexcept {
    if (g_free_counters == nullptr) {
        constexpr std::size_t kChunkBytes = kCountersPerPoolChunk * sizeof(ThreadCounters);
        auto* chunk = static_cast<ThreadCounters*>(platform::allocate_pages(kChunkBytes));
        if (chunk == nullptr) {
            return nullptr;
        }
        g_pool_bytes += kChunkBytes;
        scan_for_leak_checker(chunk, kChunkBytes);
        for (std::size_t i = 0; i < kCountersPerPoolChunk; ++i) {
            chunk[i].next = g_free_counters;
            g_free_counters = &chunk[i];
        }
    }
    ThreadCounters* counters = g_free_counters;
    g_free_counters = counters->next;
    // Placement new of a trivially destructible type: no allocation, fresh counters.
    return new (counters) ThreadCounters{};
}

void give_back_counters(ThreadCounters& counters) noexcept {
    counters.next = g_free_counters;
    g_free_counters = &counters;
}

void raise_peak(std::atomic<std::int64_t>& peak, std::int64_t candidate) noexcept {
    std::int64_t seen = peak.load(std::memory_order_relaxed);
    while (candidate > seen &&
           !peak.compare_exchange_weak(seen, candidate, std::memory_order_relaxed)) {
    }
}

// The shared totals' publish sequence numbers, as one publish left them.
struct PublishSequences {
    std::uint64_t tag;
    std::uint64_t process;
};

// Sequence first, bytes second, both sequentially consistent (a locked add on x86 either way):
// whoever reads the bytes and then the same sequence number as a mark knows that no publish after
// the mark is in the bytes it read. The tracker's own tags stay out of the process's totals.
PublishSequences publish(std::uint16_t tag, std::int64_t bytes) noexcept {
    SharedTotals& tag_totals = g_tag_totals[tag];
    const std::uint64_t tag_sequence = tag_totals.publish_sequence.fetch_add(1, kSequential) + 1;
    const std::int64_t tag_bytes = tag_totals.published_bytes.fetch_add(bytes, kSequential) + bytes;
    if (is_tracker_tag(MemoryTag{tag})) {
        if (bytes > 0) {
            raise_peak(tag_totals.peak_bytes, tag_bytes);
        }
        return {tag_sequence, g_process_totals.publish_sequence.load(kSequential)};
    }
    const std::uint64_t process_sequence =
        g_process_totals.publish_sequence.fetch_add(1, kSequential) + 1;
    const std::int64_t process_bytes =
        g_process_totals.published_bytes.fetch_add(bytes, kSequential) + bytes;
    if (bytes > 0) {
        raise_peak(tag_totals.peak_bytes, tag_bytes);
        raise_peak(g_process_totals.peak_bytes, process_bytes);
    }
    return {tag_sequence, process_sequence};
}

// Raises the peaks to the totals this thread saw under `tag` since its last publish, where
// nothing was published meanwhile (PublishMark). The mark is read before the peak it guards
// (acquire, against the owner's release), the bytes before the sequence number.
void raise_peak_to_unpublished_peak(std::uint16_t tag, const TagCounters& counters,
                                    const PublishMark& mark) noexcept {
    const std::uint64_t tag_mark = mark.tag_sequence.load(kAcquire);
    const std::uint64_t process_mark = mark.process_sequence.load(kAcquire);
    const std::int64_t unpublished_peak = counters.peak_unpublished_bytes.load(kRelaxed);
    SharedTotals& tag_totals = g_tag_totals[tag];
    const std::int64_t tag_bytes = tag_totals.published_bytes.load(kSequential);
    if (tag_totals.publish_sequence.load(kSequential) == tag_mark) {
        raise_peak(tag_totals.peak_bytes, tag_bytes + unpublished_peak);
    }
    if (is_tracker_tag(MemoryTag{tag})) {
        return;
    }
    const std::int64_t process_bytes = g_process_totals.published_bytes.load(kSequential);
    if (g_process_totals.publish_sequence.load(kSequential) == process_mark) {
        raise_peak(g_process_totals.peak_bytes, process_bytes + unpublished_peak);
    }
}

// After this thread published `tag` (or started counting it), with `unpublished` bytes kept.
void restart_unpublished_peak(TagCounters& counters, PublishMark& mark, std::int64_t unpublished,
                              PublishSequences published) noexcept {
    counters.peak_unpublished_bytes.store(unpublished, kRelaxed);
    mark.tag_sequence.store(published.tag, kRelease);
    mark.process_sequence.store(published.process, kRelease);
}

// Frees every block the cache holds and leaves it `room` bytes to fill.
void empty_cache(BlockCache& cache, std::int64_t room) noexcept {
    cache.room.store(room, kRelaxed);
    for (void*& list : cache.free_blocks) {
        while (list != nullptr) {
            void* raw = list;
            std::memcpy(&list, raw, sizeof(void*));
            underlying::release(raw);
        }
    }
}

constexpr auto kCacheRoom = static_cast<std::int64_t>(kBlockCacheBytesPerThread);

// Moves a thread's counts into the shared totals and takes it out of the registry, as it exits.
// Called with the registry lock held.
void fold_into_totals(ThreadCounters& thread) noexcept {
    // Room 0: blocks freed by later exit callbacks on this thread go straight to the C allocator.
    thread.cache.room.store(0, kRelaxed);
    for (std::uint16_t tag = 0; tag < kMaxMemoryTags; ++tag) {
        TagCounters& counters = thread.tags[tag];
        raise_peak_to_unpublished_peak(tag, counters, thread.publish_marks[tag]);
        // kNotCounting sends any later call on this thread (another thread-exit callback, a
        // thread_local destructor that frees) to the slow path, which counts into the globals.
        const std::int64_t bytes = counters.unpublished_bytes.exchange(kNotCounting, kRelaxed);
        if (bytes != 0) {
            publish(tag, bytes);
        }
        g_tag_totals[tag].retired_allocations.fetch_add(counters.allocations.exchange(0, kRelaxed),
                                                        kRelaxed);
        g_tag_totals[tag].retired_deallocations.fetch_add(
            counters.deallocations.exchange(0, kRelaxed), kRelaxed);
        g_tag_totals[tag].retired_allocated_bytes.fetch_add(
            counters.allocated_bytes.exchange(0, kRelaxed), kRelaxed);
    }
    (thread.previous ? thread.previous->next : g_threads) = thread.next;
    if (thread.next != nullptr) {
        thread.next->previous = thread.previous;
    }
    thread.phase = ThreadPhase::retired;
}

void retire_thread(void* argument) noexcept {
    auto& thread = *static_cast<ThreadCounters*>(argument);
    platform::forget_thread_stack(&thread);
    empty_cache(thread.cache, kCacheRoom);
    empty_quarantine(thread.quarantine);
    {
        std::lock_guard lock(g_registry_lock);
        fold_into_totals(thread);
        give_back_counters(thread);
    }
    // Later calls on this thread (other keys' destructors that free) count into the shared totals.
    // With emulated TLS nothing runs on the thread after this, and touching a thread_local would
    // only make it allocate the thread's storage anew.
    if (platform::thread_locals_outlive_exit_callback()) {
        t_counters = const_cast<ThreadCounters*>(&kRetiredThread);
    }
}

// fork() copies only the forking thread: a lock another thread held at that moment would stay
// held in the child for good. So every lock the allocator takes is held across fork(), taken in
// one place in one order: the stack walk's first (its holder allocates), then the allocator's
// (symbols_linux.cpp holds the symboliser's, taken before all of these: its holder allocates and
// samples). And the registry still lists every other thread of the parent, whose memory (stacks
// and thread-local storage) the child's C library hands to the child's next threads. The child
// therefore retires them all, as if they had exited, before anything else runs: their counts stay
// in the totals and the registry holds exactly the threads alive in the child. Their cached and
// quarantined blocks stay where they are, lost to the child: a thread may have been halfway
// through a push or a pop when the parent forked, and freeing from a half-updated list would free
// a block twice.
void lock_allocator_for_fork() noexcept {
    platform::lock_stack_capture();
    tag_registration_lock().lock();
    aligned_table::lock().lock();
    sites::table_lock().lock();
    g_registry_lock.lock();
}
void unlock_allocator_in_parent() noexcept {
    g_registry_lock.unlock();
    sites::table_lock().unlock();
    aligned_table::lock().unlock();
    tag_registration_lock().unlock();
    platform::unlock_stack_capture();
}
void retire_other_threads_in_child() noexcept {
    sites::table_lock().unlock();
    aligned_table::lock().unlock();
    tag_registration_lock().unlock();
    platform::unlock_stack_capture();
    const ThreadCounters* self = t_counters;
    ThreadCounters* thread = g_threads;
    while (thread != nullptr) {
        ThreadCounters* next = thread->next;
        if (thread != self) {
            platform::forget_thread_stack(thread);
            thread->cache.free_blocks.fill(nullptr);
            thread->quarantine.blocks.fill(QuarantinedBlock{});
            thread->quarantine.held_bytes.store(0, kRelaxed);
            fold_into_totals(*thread);
            give_back_counters(*thread);
        }
        thread = next;
    }
    g_registry_lock.unlock();
}

// Gives the calling thread counters of its own from the pool and lists them in the registry;
// null when the pool cannot grow, and the thread then counts into the shared totals.
ThreadCounters* register_thread() noexcept {
    ThreadCounters* thread;
    {
        std::lock_guard lock(g_registry_lock);
        thread = take_pooled_counters();
        if (thread == nullptr) {
            return nullptr;
        }
        const std::uint64_t process_sequence = g_process_totals.publish_sequence.load(kSequential);
        for (std::uint16_t tag = 0; tag < kMaxMemoryTags; ++tag) {
            thread->tags[tag].unpublished_bytes.store(0, kRelaxed);
            const PublishSequences now{g_tag_totals[tag].publish_sequence.load(kSequential),
                                       process_sequence};
            restart_unpublished_peak(thread->tags[tag], thread->publish_marks[tag], 0, now);
        }
        thread->cache.room.store(kCacheRoom, kRelaxed);
        sites::start_sampling(thread->sampler);
        thread->next = g_threads;
        if (g_threads != nullptr) {
            g_threads->previous = thread;
        }
        g_threads = thread;
        thread->phase = ThreadPhase::active;
    }
    t_counters = thread;
    // Where this thread's stack is, so that the resident breakdown knows a stack from a mapping
    // of the same shape. The frame address costs nothing and allocates nothing (the stack's
    // bounds would: pthread_getattr_np mallocs its CPU set, and reads /proc for the main thread).
    platform::note_thread_stack(thread, __builtin_frame_address(0));
    platform::call_at_thread_exit(retire_thread, thread);
    return thread;
}

// Adds `delta` bytes and one operation to this thread's counters for `tag`, registering the thread
// first if this is its first call, or straight into the shared totals once it has exited. Moves
// bytes to the shared totals when the count leaves [0, kPeakSlackBytes], so that the thread keeps
// half of kPeakSlackBytes, updating the global and per-tag peaks. Returns the thread's counters,
// or null when it counted into the shared totals (a thread that exited or could not register).
ThreadCounters* count_slowly(
    std::uint16_t tag, std::int64_t delta, std::atomic<std::uint64_t> TagCounters::*operations,
    std::atomic<std::uint64_t> SharedTotals::*retired_operations) noexcept {
    ThreadCounters* thread = t_counters;
    if (thread->phase == ThreadPhase::unregistered) {
        thread = register_thread();
    }
    if (thread == nullptr || thread->phase == ThreadPhase::retired) {
        publish(tag, delta);
        (g_tag_totals[tag].*retired_operations).fetch_add(1, kRelaxed);
        return nullptr;
    }
    TagCounters& counters = thread->tags[tag];
    add_relaxed(counters.*operations, 1);
    const std::int64_t unpublished = counters.unpublished_bytes.load(kRelaxed) + delta;
    if (static_cast<std::uint64_t>(unpublished) <= kPeakSlackBytes) {
        store_unpublished(counters, unpublished);
        return thread;
    }
    PublishMark& mark = thread->publish_marks[tag];
    raise_peak_to_unpublished_peak(tag, counters, mark);
    constexpr auto kKept = static_cast<std::int64_t>(kPeakSlackBytes / 2);
    const PublishSequences published = publish(tag, unpublished - kKept);
    counters.unpublished_bytes.store(kKept, kRelaxed);
    restart_unpublished_peak(counters, mark, kKept, published);
    return thread;
}

struct TagSnapshot {
    std::int64_t current_bytes = 0;
    std::uint64_t allocations = 0;
    std::uint64_t deallocations = 0;
    std::uint64_t allocated_bytes = 0;
};

// What the shared totals hold for `tag`: published bytes, and the counts of exited threads.
// Called with the registry lock held.
TagSnapshot shared_snapshot(std::uint16_t tag) noexcept {
    const SharedTotals& totals = g_tag_totals[tag];
    return {totals.published_bytes.load(kRelaxed), totals.retired_allocations.load(kRelaxed),
            totals.retired_deallocations.load(kRelaxed),
            totals.retired_allocated_bytes.load(kRelaxed)};
}

// Adds what a live thread has not published for `tag`, lifting the peaks to what it saw first.
// Called with the registry lock held.
void add_thread_counters(TagSnapshot& snapshot, const ThreadCounters& thread,
                         std::uint16_t tag) noexcept {
    const TagCounters& counters = thread.tags[tag];
    raise_peak_to_unpublished_peak(tag, counters, thread.publish_marks[tag]);
    snapshot.current_bytes += counters.unpublished_bytes.load(kRelaxed);
    snapshot.allocations += counters.allocations.load(kRelaxed);
    snapshot.deallocations += counters.deallocations.load(kRelaxed);
    snapshot.allocated_bytes += counters.allocated_bytes.load(kRelaxed);
}

// Folds shared totals and every live thread's counters for tags [first, first + count).
void fold_tags(std::uint16_t first, std::uint16_t count, TagSnapshot* out) noexcept {
    std::lock_guard lock(g_registry_lock);
    for (std::uint16_t i = 0; i < count; ++i) {
        out[i] = shared_snapshot(static_cast<std::uint16_t>(first + i));
    }
    for (const ThreadCounters* thread = g_threads; thread != nullptr; thread = thread->next) {
        for (std::uint16_t i = 0; i < count; ++i) {
            add_thread_counters(out[i], *thread, static_cast<std::uint16_t>(first + i));
        }
    }
}

// fold_tags for a list of tags, in one pass over the threads: readers of many rows per frame
// take the registry lock once instead of once per row. Tags past the registered ones read zeros.
void fold_tag_list(const MemoryTag* tags, std::size_t count, std::uint32_t registered,
                   TagSnapshot* out) noexcept {
    std::lock_guard lock(g_registry_lock);
    for (std::size_t i = 0; i < count; ++i) {
        out[i] = tags[i].index < registered ? shared_snapshot(tags[i].index) : TagSnapshot{};
    }
    for (const ThreadCounters* thread = g_threads; thread != nullptr; thread = thread->next) {
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint16_t tag = tags[i].index;
            if (tag >= registered) {
                continue;
            }
            add_thread_counters(out[i], *thread, tag);
        }
    }
}

AllocatorStats to_stats(const TagSnapshot& snapshot, std::atomic<std::int64_t>& peak) noexcept {
    // Reading is exact, so it also lifts the peak: peak >= current always holds for callers.
    const std::int64_t current = std::max<std::int64_t>(snapshot.current_bytes, 0);
    raise_peak(peak, current);
    AllocatorStats stats;
    stats.allocated_bytes = static_cast<std::size_t>(current);
    // A reset_allocator_peak() on another thread may store an older, lower current between the
    // raise and this load: the reader's own current still bounds the peak from below.
    stats.peak_allocated_bytes =
        static_cast<std::size_t>(std::max(peak.load(std::memory_order_relaxed), current));
    stats.allocation_count = static_cast<std::size_t>(snapshot.allocations);
    stats.deallocation_count = static_cast<std::size_t>(snapshot.deallocations);
    stats.cumulative_allocated_bytes = static_cast<std::size_t>(snapshot.allocated_bytes);
    return stats;
}

// The process's totals: every tag but the tracker's own.
TagSnapshot sum(const TagSnapshot* snapshots, std::size_t count) noexcept {
    TagSnapshot total;
    for (std::size_t i = 0; i < count; ++i) {
        if (is_tracker_tag(MemoryTag{static_cast<std::uint16_t>(i)})) {
            continue;
        }
        total.current_bytes += snapshots[i].current_bytes;
        total.allocations += snapshots[i].allocations;
        total.deallocations += snapshots[i].deallocations;
        total.allocated_bytes += snapshots[i].allocated_bytes;
    }
    return total;
}

}  // namespace

bool empty_full_cache(ThreadCounters& thread, std::int64_t needed_bytes) noexcept {
    if (thread.phase != ThreadPhase::active || needed_bytes > kCacheRoom) {
        return false;
    }
    empty_cache(thread.cache, kCacheRoom);
    return true;
}

void install_fork_handlers() noexcept {
    platform::call_around_fork(lock_allocator_for_fork, unlock_allocator_in_parent,
                               retire_other_threads_in_child);
}

std::size_t registry_overhead_bytes() noexcept {
    std::lock_guard lock(g_registry_lock);
    std::int64_t held_bytes = 0;
    for (const ThreadCounters* thread = g_threads; thread != nullptr; thread = thread->next) {
        held_bytes += kCacheRoom - thread->cache.room.load(kRelaxed) +
                      thread->quarantine.held_bytes.load(kRelaxed);
    }
    return g_pool_bytes + static_cast<std::size_t>(held_bytes);
}

void restart_sampling_countdowns() noexcept {
    std::lock_guard lock(g_registry_lock);
    for (ThreadCounters* thread = g_threads; thread != nullptr; thread = thread->next) {
        thread->sampler.bytes_until_sample.store(sites::first_gap_after_change(), kRelaxed);
    }
}

void restart_sampling_after_configuration() noexcept {
    // Only the calling thread's generator may be written here: it is this thread's own.
    if (ThreadCounters* self = t_counters; self->phase == ThreadPhase::active) {
        sites::start_sampling(self->sampler);
    }
    restart_sampling_countdowns();
}

bool count_allocation_slowly(std::uint16_t tag, std::uint64_t size) noexcept {
    ThreadCounters* thread =
        count_slowly(tag, static_cast<std::int64_t>(size), &TagCounters::allocations,
                     &SharedTotals::retired_allocations);
    if (thread == nullptr) {
        g_tag_totals[tag].retired_allocated_bytes.fetch_add(size, kRelaxed);
        return false;
    }
    add_relaxed(thread->tags[tag].allocated_bytes, size);
    return sites::sample_due(thread->sampler, size);
}

void count_deallocation_slowly(std::uint16_t tag, std::uint64_t size) noexcept {
    count_slowly(tag, -static_cast<std::int64_t>(size), &TagCounters::deallocations,
                 &SharedTotals::retired_deallocations);
}

}  // namespace detail

using detail::TagSnapshot;

AllocatorStats allocator_stats() noexcept {
    std::array<TagSnapshot, kMaxMemoryTags> snapshots;
    const auto tag_count = static_cast<std::uint16_t>(detail::registered_tag_count());
    detail::fold_tags(0, tag_count, snapshots.data());
    return detail::to_stats(detail::sum(snapshots.data(), tag_count),
                            detail::g_process_totals.peak_bytes);
}

AllocatorStats allocator_stats(MemoryTag tag) noexcept {
    if (tag.index >= detail::registered_tag_count()) {
        return {};
    }
    TagSnapshot snapshot;
    detail::fold_tags(tag.index, 1, &snapshot);
    return detail::to_stats(snapshot, detail::g_tag_totals[tag.index].peak_bytes);
}

void allocator_stats(std::span<const MemoryTag> tags, std::span<AllocatorStats> out) noexcept {
    const std::uint32_t registered = detail::registered_tag_count();
    std::array<TagSnapshot, kMaxMemoryTags> snapshots;
    const std::size_t count = std::min(tags.size(), out.size());
    for (std::size_t first = 0; first < count; first += kMaxMemoryTags) {
        const std::size_t batch = std::min(count - first, kMaxMemoryTags);
        detail::fold_tag_list(tags.data() + first, batch, registered, snapshots.data());
        for (std::size_t i = 0; i < batch; ++i) {
            const std::uint16_t tag = tags[first + i].index;
            out[first + i] =
                tag < registered
                    ? detail::to_stats(snapshots[i], detail::g_tag_totals[tag].peak_bytes)
                    : AllocatorStats{};
        }
    }
}

AllocatorStats allocator_stats(std::string_view tag_name) {
    MemoryTag tag;
    return find_memory_tag(tag_name, tag) ? allocator_stats(tag) : AllocatorStats{};
}

std::vector<std::pair<std::string, AllocatorStats>> allocator_stats_by_tag() {
    // Fold into a stack array first: nothing may allocate while the registry lock is held.
    std::array<TagSnapshot, kMaxMemoryTags> snapshots;
    const auto tag_count = static_cast<std::uint16_t>(detail::registered_tag_count());
    detail::fold_tags(0, tag_count, snapshots.data());
    std::vector<std::pair<std::string, AllocatorStats>> result;
    result.reserve(tag_count);
    for (std::uint16_t tag = 0; tag < tag_count; ++tag) {
        result.emplace_back(std::string(memory_tag_name(MemoryTag{tag})),
                            detail::to_stats(snapshots[tag], detail::g_tag_totals[tag].peak_bytes));
    }
    return result;
}

void reset_allocator_peak() noexcept {
    std::array<TagSnapshot, kMaxMemoryTags> snapshots;
    const auto tag_count = static_cast<std::uint16_t>(detail::registered_tag_count());
    // First void every thread's publish mark: what it saw before the reset is no longer a peak.
    for (std::uint16_t tag = 0; tag < tag_count; ++tag) {
        detail::g_tag_totals[tag].publish_sequence.fetch_add(1, detail::kSequential);
    }
    detail::g_process_totals.publish_sequence.fetch_add(1, detail::kSequential);
    detail::fold_tags(0, tag_count, snapshots.data());
    for (std::uint16_t tag = 0; tag < tag_count; ++tag) {
        detail::g_tag_totals[tag].peak_bytes.store(
            std::max<std::int64_t>(snapshots[tag].current_bytes, 0), std::memory_order_relaxed);
    }
    detail::g_process_totals.peak_bytes.store(
        std::max<std::int64_t>(detail::sum(snapshots.data(), tag_count).current_bytes, 0),
        std::memory_order_relaxed);
}

void release_cached_blocks() noexcept {
    detail::ThreadCounters* thread = detail::t_counters;
    if (thread->phase == detail::ThreadPhase::active) {
        detail::empty_cache(thread->cache, detail::kCacheRoom);
        detail::empty_quarantine(thread->quarantine);
    }
}

}  // namespace nebula::debug
