// Drawing the gaps between samples, and recording a sample: the stack, unwound from the
// allocation itself (platform::capture_stack; docs/benchmarks.md has the unwinders measured),
// goes to the stack table with the sample's weight. Symbols are not looked up here: that happens
// when sites are read (report/allocation_sites.cpp), off the allocation path.
#include "sampler.hpp"

#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cmath>
#include <ctime>

#include "options.hpp"
#include "platform/platform.hpp"
#include "stack_table.hpp"

namespace nebula::debug::detail::sites {
namespace {

// While sampling is off, a thread still looks every kOffRecheckBytes whether it was turned on
// (in case set_sampling_interval's store to its countdown was lost to its own).
constexpr std::int64_t kOffRecheckBytes = std::int64_t{64} << 20;

constinit std::atomic<std::size_t> g_interval{kDefaultSamplingInterval};
// 0: seeded from addresses and the clock. Atomic: a thread started by another static initialiser
// (NEBULA_HTTP's server) may read it before the initialiser below has run.
constinit std::atomic<std::uint64_t> g_seed{0};
constinit std::atomic<std::uint64_t> g_threads_seeded{0};
constinit std::atomic<std::uint64_t> g_restart_draws{0};
// False until configure_sampling has run: until then this copy has not read whether sampling is
// on, and its unwinder may be loading. An allocation made meanwhile may come from inside dlopen
// (glibc mallocs there, and a second copy of the tracker loads its unwinder at start-up through
// this copy's malloc): unwinding from there, or loading the unwinder from there, walks a library
// that is mapped but not yet relocated, and crashes.
constinit std::atomic<bool> g_configured{false};

std::uint64_t mix(std::uint64_t value) noexcept {  // splitmix64's finaliser
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9u;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBu;
    return value ^ (value >> 31);
}

double uniform(SamplerState& state) noexcept {  // in (0, 1]
    state.random ^= state.random >> 12;
    state.random ^= state.random << 25;
    state.random ^= state.random >> 27;
    const std::uint64_t bits = (state.random * 0x2545F4914F6CDD1Du) >> 11;
    return static_cast<double>(bits + 1) * 0x1.0p-53;
}

std::int64_t gap_from(double uniform_draw) noexcept {
    const std::size_t mean = g_interval.load(std::memory_order_relaxed);
    if (mean == 0) {
        return kOffRecheckBytes;
    }
    return static_cast<std::int64_t>(-std::log(uniform_draw) * static_cast<double>(mean));
}

std::int64_t next_gap(SamplerState& state) noexcept {
    return gap_from(uniform(state));
}

// Un-sampling: a block of `size` bytes is sampled with probability 1 - exp(-size / mean).
double weight_of(std::uint64_t size, std::size_t mean) noexcept {
    return 1.0 / -std::expm1(-static_cast<double>(size) / static_cast<double>(mean));
}

}  // namespace

void start_sampling(SamplerState& state) noexcept {
    const std::uint64_t thread_number = g_threads_seeded.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t fixed_seed = g_seed.load(std::memory_order_relaxed);
    const std::uint64_t seed = fixed_seed != 0
                                   ? fixed_seed + thread_number
                                   : reinterpret_cast<std::uintptr_t>(&state) ^
                                         static_cast<std::uint64_t>(std::time(nullptr)) ^
                                         (thread_number << 32);
    state.random = mix(seed) | 1;  // xorshift's state must not be zero
    state.bytes_until_sample.store(next_gap(state), std::memory_order_relaxed);
}

std::int64_t first_gap_after_change() noexcept {
    // A fresh exponential draw, not the mean: gaps are memoryless, so restarting a countdown with
    // a new draw leaves the sampling as unbiased as it was (a fixed restart would not be).
    // The counter after the add, never 0: mix(0) is 0, a draw of 2^-53, a gap 37 times the mean.
    constexpr std::uint64_t kStep = 0x9E3779B97F4A7C15u;
    const std::uint64_t draw = g_restart_draws.fetch_add(kStep, std::memory_order_relaxed) + kStep;
    const std::uint64_t bits = mix(g_seed.load(std::memory_order_relaxed) ^ draw) >> 11;
    return gap_from(static_cast<double>(bits + 1) * 0x1.0p-53);
}

bool record_sample(SamplerState& state, const void* block, std::uint64_t size,
                   std::uint16_t tag) noexcept {
    state.bytes_until_sample.store(next_gap(state), std::memory_order_relaxed);
    const std::size_t mean = g_interval.load(std::memory_order_relaxed);
    if (mean == 0 || size == 0 || state.recording ||
        !g_configured.load(std::memory_order_acquire)) {
        return false;
    }
    state.recording = true;
    void* frames[kMaxFrames];
    const int depth = platform::capture_stack(frames, kMaxFrames);
    if (depth == 0) {
        state.recording = false;
        return false;  // the unwinder was still loading
    }
    const bool recorded = add_sample(block, size, weight_of(size, mean), tag, frames, depth);
    state.recording = false;
    return recorded;
}

void move_sample(const void* from, const void* to, std::uint64_t size) noexcept {
    const std::size_t mean = g_interval.load(std::memory_order_relaxed);
    if (mean == 0) {  // sampling turned off since: nothing to weigh the new size with
        remove_sample(from);
        return;
    }
    sites::move_sample(from, to, size, weight_of(size, mean));
}

void forget_sample(const void* block) noexcept {
    remove_sample(block);
}

void forget_sample_if_any(const void* block) noexcept {
    if (any_live_samples()) {
        remove_sample(block);
    }
}

void configure_sampling() noexcept {
    g_interval.store(options::value(options::Option::sampling_interval), std::memory_order_relaxed);
    g_seed.store(options::value(options::Option::sampling_seed), std::memory_order_relaxed);
    if (g_interval.load(std::memory_order_relaxed) != 0) {
        // Loading the unwinder (dlopen) allocates: the tracker's overhead, not the program's.
        const MemoryScope scope(kTrackerTagName);
        void* frames[4];
        platform::capture_stack(frames, 4);
    }
    g_configured.store(true, std::memory_order_release);
}

std::size_t interval() noexcept {
    return g_interval.load(std::memory_order_relaxed);
}

void set_interval(std::size_t mean_bytes) noexcept {
    g_interval.store(mean_bytes, std::memory_order_relaxed);
}

}  // namespace nebula::debug::detail::sites
