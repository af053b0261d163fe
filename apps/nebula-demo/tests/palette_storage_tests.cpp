#include "world/palette_storage.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace demo = nebula::demo;

namespace {

constexpr std::size_t kBlocks = 32 * 32 * 32;

demo::Block block(int value) {
    return static_cast<demo::Block>(value);
}

TEST(PaletteStorage, AUniformChunkNeedsNoIndices) {
    const demo::PaletteStorage storage(kBlocks, demo::Block::Stone);
    EXPECT_EQ(storage.bits_per_index(), 0u);
    EXPECT_EQ(storage.block_data_bytes(), 0u);
    EXPECT_EQ(storage.get(kBlocks - 1), demo::Block::Stone);
}

TEST(PaletteStorage, IndexWidthGrowsInPowersOfTwoAsThePaletteGrows) {
    demo::PaletteStorage storage(kBlocks);
    // palette size reached -> bits per index
    const std::vector<std::pair<int, unsigned>> steps = {{2, 1},  {3, 2},  {4, 2},   {5, 4},
                                                         {16, 4}, {17, 8}, {256, 8}, {257, 16}};
    int next_value = 1;
    for (const auto& [palette_size, bits] : steps) {
        while (static_cast<int>(storage.palette_size()) < palette_size) {
            storage.set(static_cast<std::size_t>(next_value) * 97 % kBlocks, block(next_value));
            ++next_value;
        }
        EXPECT_EQ(storage.bits_per_index(), bits) << "palette of " << palette_size;
        EXPECT_EQ(storage.block_data_bytes(), kBlocks * bits / 8) << "palette of " << palette_size;
    }
}

TEST(PaletteStorage, RoundTripsEveryBlockAcrossWidening) {
    demo::PaletteStorage storage(kBlocks);
    std::vector<demo::Block> expected(kBlocks, demo::Block::Air);
    std::uint32_t state = 12345;
    for (int round = 0; round < 3; ++round) {
        const int types = round == 0 ? 3 : round == 1 ? 14 : 40;  // 2, 4, then 8 bits
        for (std::size_t i = 0; i < kBlocks; ++i) {
            state = state * 1664525u + 1013904223u;
            if ((state >> 28) < 6) {
                expected[i] = block(static_cast<int>((state >> 8) % types));
                storage.set(i, expected[i]);
            }
        }
        for (std::size_t i = 0; i < kBlocks; ++i) {
            ASSERT_EQ(storage.get(i), expected[i]) << "block " << i << " in round " << round;
        }
    }
    EXPECT_EQ(storage.bits_per_index(), 8u);
}

TEST(PaletteStorage, ReportsPaletteAndBlockDataSeparately) {
    demo::PaletteStorage storage(kBlocks);
    storage.set(0, demo::Block::Stone);
    storage.set(1, demo::Block::Dirt);
    storage.shrink_to_fit();
    EXPECT_EQ(storage.palette_bytes(), 3 * sizeof(demo::Block));
    EXPECT_EQ(storage.block_data_bytes(), kBlocks * 2 / 8);
}

}  // namespace
