// Block types of the voxel world and how they look.
#pragma once

#include <array>
#include <cstdint>

namespace nebula::demo {

enum class Block : std::uint16_t {
    Air,
    Stone,
    DeepStone,
    Dirt,
    Grass,
    Sand,
    Snow,
    Water,
    Gravel,
    Clay,
    CoalOre,
    IronOre,
    GoldOre,
    Ice,
    Count,
};

inline constexpr std::size_t kBlockTypeCount = static_cast<std::size_t>(Block::Count);

struct BlockColor {
    std::uint8_t r, g, b;
};

// The base colour of each block's atlas tile, indexed by Block.
inline constexpr std::array<BlockColor, kBlockTypeCount> kBlockColors = {{
    {0, 0, 0},        // Air
    {128, 128, 132},  // Stone
    {84, 84, 96},     // DeepStone
    {121, 85, 58},    // Dirt
    {96, 160, 70},    // Grass
    {220, 205, 150},  // Sand
    {240, 245, 250},  // Snow
    {60, 110, 200},   // Water
    {140, 130, 125},  // Gravel
    {160, 150, 170},  // Clay
    {50, 50, 55},     // CoalOre
    {190, 150, 120},  // IronOre
    {230, 200, 60},   // GoldOre
    {170, 210, 240},  // Ice
}};

inline bool is_opaque(Block block) {
    return block != Block::Air;
}

}  // namespace nebula::demo
