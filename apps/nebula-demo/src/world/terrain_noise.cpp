#include "world/terrain_noise.hpp"

#include <algorithm>
#include <cmath>

namespace nebula::demo {
namespace {

std::uint64_t mix(std::uint64_t value) {
    value += 0x9e3779b97f4a7c15ULL;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

std::uint64_t hash3(std::int64_t x, std::int64_t y, std::int64_t z, std::uint64_t seed) {
    return mix(seed ^ mix(static_cast<std::uint64_t>(x) ^
                          mix(static_cast<std::uint64_t>(y) ^ mix(static_cast<std::uint64_t>(z)))));
}

double unit(std::uint64_t hash) {
    return static_cast<double>(hash >> 11) * 0x1.0p-53;
}

double smooth(double t) {
    return t * t * (3.0 - 2.0 * t);
}

constexpr std::uint64_t kHeightSalt = 0x68656967;
constexpr std::uint64_t kTemperatureSalt = 0x74656d70;
constexpr std::uint64_t kMoistureSalt = 0x6d6f6973;
constexpr std::uint64_t kOreSalt = 0x6f726573;
constexpr double kHeightScale = 1.0 / 96.0;  // blocks per lattice cell of the first octave
constexpr double kBiomeScale = 1.0 / 384.0;

}  // namespace

TerrainNoise::TerrainNoise(std::uint64_t seed) : seed_(seed) {}

double TerrainNoise::value_noise(double x, double z, std::uint64_t octave_seed) const {
    const double cell_x = std::floor(x);
    const double cell_z = std::floor(z);
    const auto ix = static_cast<std::int64_t>(cell_x);
    const auto iz = static_cast<std::int64_t>(cell_z);
    const double tx = smooth(x - cell_x);
    const double tz = smooth(z - cell_z);
    const std::uint64_t seed = seed_ ^ octave_seed;
    const double c00 = unit(hash3(ix, 0, iz, seed));
    const double c10 = unit(hash3(ix + 1, 0, iz, seed));
    const double c01 = unit(hash3(ix, 0, iz + 1, seed));
    const double c11 = unit(hash3(ix + 1, 0, iz + 1, seed));
    const double near_row = c00 + (c10 - c00) * tx;
    const double far_row = c01 + (c11 - c01) * tx;
    return near_row + (far_row - near_row) * tz;
}

double TerrainNoise::fractal(double x, double z, int octaves, std::uint64_t salt) const {
    double sum = 0.0;
    double amplitude = 1.0;
    double total_amplitude = 0.0;
    double frequency = 1.0;
    for (int octave = 0; octave < octaves; ++octave) {
        sum += amplitude * value_noise(x * frequency, z * frequency, mix(salt + octave));
        total_amplitude += amplitude;
        amplitude *= 0.5;
        frequency *= 2.0;
    }
    return sum / total_amplitude;
}

Biome TerrainNoise::biome(int x, int z) const {
    const double temperature = fractal(x * kBiomeScale, z * kBiomeScale, 2, kTemperatureSalt);
    const double moisture = fractal(x * kBiomeScale, z * kBiomeScale, 2, kMoistureSalt);
    if (temperature < 0.38) {
        return Biome::Tundra;
    }
    if (temperature > 0.62 && moisture < 0.5) {
        return Biome::Desert;
    }
    return moisture > 0.58 ? Biome::Highlands : Biome::Plains;
}

int TerrainNoise::surface_height(int x, int z) const {
    const double relief = biome(x, z) == Biome::Highlands ? 64.0 : 40.0;
    const double height =
        18.0 + relief * fractal(x * kHeightScale, z * kHeightScale, 5, kHeightSalt);
    return std::clamp(static_cast<int>(height), 1, kMaxHeight);
}

Block TerrainNoise::block_at(int x, int y, int z) const {
    return block_in_column(x, y, z, surface_height(x, z), biome(x, z));
}

Block TerrainNoise::block_in_column(int x, int y, int z, int surface, Biome biome) const {
    if (y > surface) {
        if (y <= kSeaLevel) {
            return biome == Biome::Tundra ? Block::Ice : Block::Water;
        }
        return Block::Air;
    }
    if (y < surface - 3) {
        const double ore = unit(hash3(x, y, z, seed_ ^ kOreSalt));
        if (ore < 0.004) {
            return y < 20 ? Block::GoldOre : Block::IronOre;
        }
        if (ore < 0.02) {
            return Block::CoalOre;
        }
        if (ore < 0.05) {
            return Block::Gravel;
        }
        return y < 16 ? Block::DeepStone : Block::Stone;
    }
    const bool underwater = surface < kSeaLevel;
    switch (biome) {
        case Biome::Desert:
            return Block::Sand;
        case Biome::Tundra:
            return y == surface ? Block::Snow : Block::Dirt;
        case Biome::Highlands:
            return y == surface && surface > 60 ? Block::Snow
                   : y == surface               ? Block::Grass
                                                : Block::Stone;
        default:
            if (underwater) {
                return y == surface ? Block::Clay : Block::Sand;
            }
            return y == surface ? Block::Grass : Block::Dirt;
    }
}

}  // namespace nebula::demo
