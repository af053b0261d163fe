// A 32 x 32 x 32 block chunk of the world, palette-compressed, generated from the terrain noise.
#pragma once

#include "world/palette_storage.hpp"
#include "world/terrain_noise.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>

namespace nebula::demo {

inline constexpr int kChunkSize = 32;
inline constexpr std::size_t kBlocksPerChunk = kChunkSize * kChunkSize * kChunkSize;
// The world is this many chunks tall: TerrainNoise::kMaxHeight fits under it.
inline constexpr int kChunkLayers = 3;

struct ChunkCoord {
    int x = 0;
    int y = 0;
    int z = 0;
    friend bool operator==(const ChunkCoord&, const ChunkCoord&) = default;
};

struct ChunkCoordHash {
    std::size_t operator()(const ChunkCoord& coord) const noexcept {
        const auto x = static_cast<std::uint64_t>(static_cast<std::uint32_t>(coord.x));
        const auto z = static_cast<std::uint64_t>(static_cast<std::uint32_t>(coord.z));
        std::uint64_t key = (x << 32 | z) ^ (static_cast<std::uint64_t>(coord.y) << 61);
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdULL;
        return static_cast<std::size_t>(key ^ (key >> 33));
    }
};

class Chunk {
public:
    Chunk(ChunkCoord coord, const TerrainNoise& terrain);

    ChunkCoord coord() const noexcept { return coord_; }
    // Local coordinates in [0, kChunkSize).
    Block at(int x, int y, int z) const { return blocks_.get(index(x, y, z)); }
    const PaletteStorage& blocks() const noexcept { return blocks_; }
    std::size_t bytes() const noexcept {
        return blocks_.palette_bytes() + blocks_.block_data_bytes();
    }
    // The column's biome at the chunk's centre, for spawning and ambience.
    Biome biome() const noexcept { return biome_; }
    // Whether the terrain surface passes through this chunk (where things spawn).
    bool holds_surface() const noexcept { return holds_surface_; }
    // Highest opaque block's world y in local column (x, z), or -1 if none in this chunk.
    int surface_y(int x, int z) const;

    static std::size_t index(int x, int y, int z) {
        return static_cast<std::size_t>(x + kChunkSize * (z + kChunkSize * y));
    }

private:
    ChunkCoord coord_;
    PaletteStorage blocks_;
    Biome biome_ = Biome::Plains;
    bool holds_surface_ = false;
};

}  // namespace nebula::demo
