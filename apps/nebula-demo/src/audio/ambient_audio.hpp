// The Audio subsystem: an ambient loop synthesised for each biome that has loaded surface chunks
// (wind, surf, drones: noise through a low-pass filter plus a few partials), loaded when the biome
// comes into range and dropped when it leaves, and the streaming buffers the mixer refills every
// frame (one per playing loop plus the music stream).
#pragma once

#include "world/terrain_noise.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nebula::demo {

class AmbientAudio {
public:
    static constexpr std::string_view kName = "Audio";
    static constexpr std::size_t kSampleRate = 22050;
    static constexpr std::size_t kLoopSeconds = 4;
    static constexpr std::size_t kStreamBufferSamples = 4096;  // per channel, stereo

    AmbientAudio();

    // Loads or drops each biome's loop to match `surface_chunks_per_biome`, then mixes one frame
    // of `seconds_per_frame` into the streaming buffers.
    void update(const std::array<std::size_t, kBiomeCount>& surface_chunks_per_biome,
                double seconds_per_frame);
    void report(nebula::debug::MemoryBudget& budget) const;

    bool loop_loaded(Biome biome) const { return !loops_[static_cast<std::size_t>(biome)].empty(); }

    // Synthesises `seconds` of a biome's loop: the same samples every time.
    static std::vector<std::int16_t> synthesise_loop(Biome biome, std::size_t samples);

private:
    void mix(double seconds_per_frame);

    nebula::debug::MemoryTag tag_;
    std::array<std::vector<std::int16_t>, kBiomeCount> loops_;
    std::vector<std::vector<std::int16_t>> streams_;  // interleaved stereo
    std::size_t play_position_ = 0;
    std::size_t write_position_ = 0;
};

}  // namespace nebula::demo
