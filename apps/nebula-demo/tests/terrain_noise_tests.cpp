#include "world/chunk.hpp"
#include "world/terrain_noise.hpp"

#include <gtest/gtest.h>

namespace demo = nebula::demo;

namespace {

TEST(TerrainNoise, SameSeedSameWorld) {
    const demo::TerrainNoise a(42);
    const demo::TerrainNoise b(42);
    for (int x = -300; x < 300; x += 37) {
        for (int z = -300; z < 300; z += 41) {
            EXPECT_EQ(a.fractal(x * 0.013, z * 0.017, 5, 7), b.fractal(x * 0.013, z * 0.017, 5, 7));
            EXPECT_EQ(a.surface_height(x, z), b.surface_height(x, z));
            EXPECT_EQ(a.biome(x, z), b.biome(x, z));
            EXPECT_EQ(a.block_at(x, 20, z), b.block_at(x, 20, z));
        }
    }
}

TEST(TerrainNoise, DifferentSeedsDifferentWorlds) {
    const demo::TerrainNoise a(1);
    const demo::TerrainNoise b(2);
    int differences = 0;
    for (int x = 0; x < 2000; x += 50) {
        differences += a.surface_height(x, 0) != b.surface_height(x, 0) ? 1 : 0;
    }
    EXPECT_GT(differences, 20);
}

TEST(TerrainNoise, ValueNoiseIsContinuousAndInRange) {
    const demo::TerrainNoise terrain;
    double previous = terrain.value_noise(0.0, 0.5, 3);
    for (double x = 0.01; x < 20.0; x += 0.01) {
        const double value = terrain.value_noise(x, 0.5, 3);
        ASSERT_GE(value, 0.0);
        ASSERT_LE(value, 1.0);
        ASSERT_LT(std::abs(value - previous), 0.05) << "at x = " << x;
        previous = value;
    }
}

TEST(TerrainNoise, AReloadedChunkIsTheSameChunk) {
    const demo::TerrainNoise terrain;
    const demo::Chunk first({7, 1, -3}, terrain);
    const demo::Chunk again({7, 1, -3}, terrain);
    ASSERT_EQ(first.blocks().palette_size(), again.blocks().palette_size());
    for (std::size_t i = 0; i < demo::kBlocksPerChunk; ++i) {
        ASSERT_EQ(first.blocks().get(i), again.blocks().get(i)) << i;
    }
    EXPECT_EQ(first.bytes(), again.bytes());
}

}  // namespace
