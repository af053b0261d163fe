#include "audio/ambient_audio.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

struct Voice {
    double base_hz;       // lowest partial
    double noise_amount;  // wind, surf
    double cutoff;        // one-pole low-pass coefficient of the noise
};

constexpr std::array<Voice, kBiomeCount> kVoices = {{
    {220.0, 0.25, 0.05},  // Plains: birdsong-ish partials over a breeze
    {110.0, 0.55, 0.02},  // Desert: wind
    {82.0, 0.70, 0.01},   // Tundra: howling wind
    {146.0, 0.35, 0.08},  // Highlands: a stream
}};

}  // namespace

AmbientAudio::AmbientAudio() : tag_(nd::memory_tag(kName)) {}

std::vector<std::int16_t> AmbientAudio::synthesise_loop(Biome biome, std::size_t samples) {
    const Voice& voice = kVoices[static_cast<std::size_t>(biome)];
    std::vector<std::int16_t> loop(samples);
    std::uint32_t noise_state = 0x12345u + static_cast<std::uint32_t>(biome);
    double filtered = 0.0;
    const double two_pi = 2.0 * std::numbers::pi;
    for (std::size_t i = 0; i < samples; ++i) {
        const double t = static_cast<double>(i) / kSampleRate;
        noise_state = noise_state * 1664525u + 1013904223u;
        const double white = static_cast<double>(noise_state >> 8) / 8388608.0 - 1.0;
        filtered += voice.cutoff * (white - filtered);
        double tone = 0.0;
        for (int partial = 1; partial <= 3; ++partial) {
            tone += std::sin(two_pi * voice.base_hz * partial * t) / (partial * 2.0);
        }
        // A slow swell, whole cycles per loop so the loop joins without a click.
        const double swell = 0.6 + 0.4 * std::sin(two_pi * t / AmbientAudio::kLoopSeconds);
        const double sample =
            swell * ((1.0 - voice.noise_amount) * tone + voice.noise_amount * filtered * 4.0);
        loop[i] = static_cast<std::int16_t>(std::clamp(sample, -1.0, 1.0) * 20000.0);
    }
    return loop;
}

void AmbientAudio::update(const std::array<std::size_t, kBiomeCount>& surface_chunks_per_biome,
                          double seconds_per_frame) {
    nd::MemoryScope scope(tag_);
    for (std::size_t biome = 0; biome < loops_.size(); ++biome) {
        const bool wanted = surface_chunks_per_biome[biome] > 0;
        if (wanted && loops_[biome].empty()) {
            loops_[biome] = synthesise_loop(static_cast<Biome>(biome), kSampleRate * kLoopSeconds);
        } else if (!wanted && !loops_[biome].empty()) {
            loops_[biome] = std::vector<std::int16_t>();
        }
    }
    const auto playing = static_cast<std::size_t>(std::count_if(
        loops_.begin(), loops_.end(), [](const auto& loop) { return !loop.empty(); }));
    // One stream per playing loop, plus the music stream.
    streams_.resize(playing + 1);
    for (auto& stream : streams_) {
        stream.resize(kStreamBufferSamples * 2);
    }
    mix(seconds_per_frame);
}

void AmbientAudio::mix(double seconds_per_frame) {
    const auto frames = static_cast<std::size_t>(seconds_per_frame * kSampleRate);
    std::size_t stream = 1;
    for (const auto& loop : loops_) {
        if (loop.empty()) {
            continue;
        }
        std::vector<std::int16_t>& buffer = streams_[stream++];
        for (std::size_t i = 0; i < frames; ++i) {
            const std::int16_t sample = loop[(play_position_ + i) % loop.size()];
            const std::size_t slot = (write_position_ + i) % kStreamBufferSamples;
            buffer[2 * slot] = sample;
            buffer[2 * slot + 1] = sample;
        }
    }
    play_position_ += frames;
    write_position_ = (write_position_ + frames) % kStreamBufferSamples;
}

void AmbientAudio::report(nd::MemoryBudget& budget) const {
    std::size_t bytes = 0;
    std::size_t buffers = 0;
    for (const auto& loop : loops_) {
        bytes += loop.size() * sizeof(std::int16_t);
        buffers += loop.empty() ? 0 : 1;
    }
    for (const auto& stream : streams_) {
        bytes += stream.size() * sizeof(std::int16_t);
    }
    budget.report(kName, bytes, buffers + streams_.size());
}

}  // namespace nebula::demo
