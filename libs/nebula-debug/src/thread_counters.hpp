// Per-thread allocation counters, the heart of the tracker's cost model (mimalloc keeps its stats
// the same way): each thread counts into its own block with plain loads and stores, readers fold
// every thread's block on demand, and only every kPeakSlackBytes of one tag's net growth or
// shrinkage does a thread touch shared atomics (to publish bytes for the peak).
#pragma once

#include <nebula/debug/tracking_allocator.hpp>

#include <array>
#include <atomic>
#include <cstdint>

namespace nebula::debug::detail {

// Written by the owning thread only, read by any (relaxed atomics: plain moves on x86).
struct TagCounters {
    // Bytes this thread allocated minus bytes it freed under this tag, not yet published.
    // Kept within [0, kPeakSlackBytes]; leaving that range publishes (see publish_bytes).
    std::atomic<std::int64_t> unpublished_bytes{0};
    std::atomic<std::uint64_t> allocations{0};
    std::atomic<std::uint64_t> deallocations{0};
};

enum class ThreadPhase : std::uint8_t {
    unregistered,  // no allocation yet: counters not visible to readers
    active,        // in the registry: the hot path counts here
    retired,       // exited: counters folded into the globals, later calls count there
};

struct ThreadCounters {
    ThreadPhase phase = ThreadPhase::unregistered;
    std::uint16_t current_tag = 0;
    ThreadCounters* previous = nullptr;  // registry links, guarded by the registry lock
    ThreadCounters* next = nullptr;
    std::array<TagCounters, kMaxMemoryTags> tags{};
};

inline void add_relaxed(std::atomic<std::uint64_t>& counter, std::uint64_t amount) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

// Cold paths, in thread_registry.cpp.
void register_thread(ThreadCounters& thread) noexcept;
// Moves bytes between the thread's unpublished count and the shared totals so that the thread
// keeps half of kPeakSlackBytes, updating the global and per-tag peaks.
void publish_bytes(TagCounters& counters, std::uint16_t tag) noexcept;
// Counts straight into the shared totals, for threads that already exited.
void count_retired_allocation(std::uint16_t tag, std::uint64_t size) noexcept;
void count_retired_deallocation(std::uint16_t tag, std::uint64_t size) noexcept;

}  // namespace nebula::debug::detail
