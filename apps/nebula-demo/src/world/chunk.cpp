#include "world/chunk.hpp"

namespace nebula::demo {

Chunk::Chunk(ChunkCoord coord, const TerrainNoise& terrain)
    : coord_(coord), blocks_(kBlocksPerChunk) {
    const int base_x = coord.x * kChunkSize;
    const int base_y = coord.y * kChunkSize;
    const int base_z = coord.z * kChunkSize;
    biome_ = terrain.biome(base_x + kChunkSize / 2, base_z + kChunkSize / 2);
    for (int z = 0; z < kChunkSize; ++z) {
        for (int x = 0; x < kChunkSize; ++x) {
            const int world_x = base_x + x;
            const int world_z = base_z + z;
            const int surface = terrain.surface_height(world_x, world_z);
            const Biome biome = terrain.biome(world_x, world_z);
            holds_surface_ |= surface >= base_y && surface < base_y + kChunkSize;
            for (int y = 0; y < kChunkSize; ++y) {
                const Block block =
                    terrain.block_in_column(world_x, base_y + y, world_z, surface, biome);
                if (block != Block::Air) {
                    blocks_.set(index(x, y, z), block);
                }
            }
        }
    }
    blocks_.shrink_to_fit();
}

int Chunk::surface_y(int x, int z) const {
    for (int y = kChunkSize - 1; y >= 0; --y) {
        const Block block = at(x, y, z);
        if (is_opaque(block) && block != Block::Water && block != Block::Ice) {
            return coord_.y * kChunkSize + y;
        }
    }
    return -1;
}

}  // namespace nebula::demo
