// Sampling off for a scope, for tests that count the tracker's own memory to the byte: a sample
// taken in the middle may grow the sampler's tables (allocation_sites.hpp), which count too.
#pragma once

#include <nebula/debug/allocation_sites.hpp>

#include <cstddef>

class SamplingPaused {
public:
    SamplingPaused() { nebula::debug::set_sampling_interval(0); }
    ~SamplingPaused() { nebula::debug::set_sampling_interval(interval_); }
    SamplingPaused(const SamplingPaused&) = delete;
    SamplingPaused& operator=(const SamplingPaused&) = delete;

private:
    std::size_t interval_ = nebula::debug::sampling_interval();
};
