// Procedural terrain: seeded value noise summed over octaves (fractal Brownian motion), the
// surface height and biome of each column, and the block at any world position. Pure functions
// of the seed and the position, so a chunk regenerated after unloading is the same chunk, and the
// mesher can look across a chunk's border without the neighbour being loaded.
#pragma once

#include "world/block.hpp"

#include <cstdint>

namespace nebula::demo {

enum class Biome : std::uint8_t { Plains, Desert, Tundra, Highlands, Count };
inline constexpr int kBiomeCount = static_cast<int>(Biome::Count);

class TerrainNoise {
public:
    static constexpr int kSeaLevel = 34;
    static constexpr int kMaxHeight = 95;

    explicit TerrainNoise(std::uint64_t seed = 0x6e6562756c61ULL);

    // Value noise in [0, 1] at a point of a unit lattice.
    double value_noise(double x, double z, std::uint64_t octave_seed) const;
    // The sum of `octaves` octaves of value noise, each at twice the frequency and half the
    // amplitude of the last, normalised to [0, 1].
    double fractal(double x, double z, int octaves, std::uint64_t salt) const;

    int surface_height(int x, int z) const;
    Biome biome(int x, int z) const;
    Block block_at(int x, int y, int z) const;
    // As block_at, with the column's height and biome already known (chunk generation).
    Block block_in_column(int x, int y, int z, int surface, Biome biome) const;

private:
    std::uint64_t seed_;
};

}  // namespace nebula::demo
