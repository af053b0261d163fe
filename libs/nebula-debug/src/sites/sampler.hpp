// The sampler's side of the allocation hot path (the allocation layer calls it; it knows nothing
// of the allocation layer): each thread counts down the bytes to its next sample, and a sampled
// block's call stack goes to the stack table until the block is freed.
//
// Poisson sampling by bytes: the gaps between samples are drawn from an exponential distribution
// with mean sampling_interval(), so each allocated byte is equally likely to be the one that is
// sampled, and an allocation of `size` bytes is sampled with probability 1 - exp(-size/interval),
// whatever its size and whatever came before it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail::sites {

struct SamplerState {
    // Bytes this thread may still allocate before its next sample. Written by its thread and by
    // set_sampling_interval() (relaxed atomics: plain moves on x86).
    std::atomic<std::int64_t> bytes_until_sample{0};
    std::uint64_t random = 0;  // the thread's own generator (xorshift64*), 0 until seeded
    // Set while the thread is inside record_sample: an allocation made in there (the unwinder's
    // first call loads a library) is not sampled in turn.
    bool recording = false;
};

// The hot path: one subtract, one store and one branch. True when this allocation is sampled.
inline bool sample_due(SamplerState& state, std::uint64_t size) noexcept {
    const std::int64_t left =
        state.bytes_until_sample.load(std::memory_order_relaxed) - static_cast<std::int64_t>(size);
    state.bytes_until_sample.store(left, std::memory_order_relaxed);
    return left < 0;
}

// Seeds a thread's generator and draws its first gap; when it starts counting.
void start_sampling(SamplerState& state) noexcept;
// A gap for a thread's countdown to restart from when the interval changes under it (a fresh
// draw: may be called for any thread).
std::int64_t first_gap_after_change() noexcept;

// Cold paths. record_sample draws the thread's next gap and records `block` with the calling
// thread's stack; false when it was not recorded (sampling off or not yet configured, a table
// full, or the thread already inside the sampler). forget_sample removes a recorded block as it is
// freed; forget_sample_if_any does so for a block that may or may not have been recorded.
[[gnu::cold]] bool record_sample(SamplerState& state, const void* block, std::uint64_t size,
                                 std::uint16_t tag) noexcept;
[[gnu::cold]] void forget_sample(const void* block) noexcept;
[[gnu::cold]] void forget_sample_if_any(const void* block) noexcept;
// A recorded block resized by realloc, from `from` to `to` (perhaps the same address), now of
// `size` bytes: its sample follows it, weighed for its new size, without a new stack walk.
[[gnu::cold]] void move_sample(const void* from, const void* to, std::uint64_t size) noexcept;

// Reads NEBULA_SAMPLING_INTERVAL and NEBULA_SAMPLING_SEED and, with sampling on, loads the
// unwinder. A start-up step (start_up.cpp): before main, whatever the order of the static
// initialisers that allocate. Nothing is sampled before it has run. With sampling off the unwinder
// is loaded only if it is turned on later (by the first capture).
void configure_sampling() noexcept;

std::size_t interval() noexcept;
void set_interval(std::size_t mean_bytes) noexcept;

}  // namespace nebula::debug::detail::sites

NEBULA_INTERNAL_END
