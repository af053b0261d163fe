#include "render/mesher.hpp"

#include <array>

namespace nebula::demo {
namespace {

struct FaceDirection {
    int dx, dy, dz;
    // The quad's corners as offsets from the block's minimum corner, counter-clockwise seen
    // from outside.
    std::array<std::array<float, 3>, 4> corners;
};

constexpr std::array<FaceDirection, 6> kFaces = {{
    {1, 0, 0, {{{1, 0, 0}, {1, 1, 0}, {1, 1, 1}, {1, 0, 1}}}},
    {-1, 0, 0, {{{0, 0, 1}, {0, 1, 1}, {0, 1, 0}, {0, 0, 0}}}},
    {0, 1, 0, {{{0, 1, 0}, {0, 1, 1}, {1, 1, 1}, {1, 1, 0}}}},
    {0, -1, 0, {{{0, 0, 0}, {1, 0, 0}, {1, 0, 1}, {0, 0, 1}}}},
    {0, 0, 1, {{{1, 0, 1}, {1, 1, 1}, {0, 1, 1}, {0, 0, 1}}}},
    {0, 0, -1, {{{0, 0, 0}, {0, 1, 0}, {1, 1, 0}, {1, 0, 0}}}},
}};

constexpr std::array<std::array<std::uint8_t, 2>, 4> kCornerUv = {{{0, 1}, {0, 0}, {1, 0}, {1, 1}}};

}  // namespace

PaddedBlocks::PaddedBlocks()
    : blocks_(static_cast<std::size_t>(kSide * kSide * kSide), Block::Air) {}

PaddedBlocks::PaddedBlocks(const Chunk& chunk, const TerrainNoise& terrain) : PaddedBlocks() {
    const ChunkCoord coord = chunk.coord();
    const int base_x = coord.x * kChunkSize;
    const int base_y = coord.y * kChunkSize;
    const int base_z = coord.z * kChunkSize;
    for (int z = -1; z <= kChunkSize; ++z) {
        for (int x = -1; x <= kChunkSize; ++x) {
            const bool inside_column = x >= 0 && x < kChunkSize && z >= 0 && z < kChunkSize;
            const int world_x = base_x + x;
            const int world_z = base_z + z;
            const int surface = terrain.surface_height(world_x, world_z);
            const Biome biome = terrain.biome(world_x, world_z);
            for (int y = -1; y <= kChunkSize; ++y) {
                const bool inside = inside_column && y >= 0 && y < kChunkSize;
                set(x, y, z,
                    inside ? chunk.at(x, y, z)
                           : terrain.block_in_column(world_x, base_y + y, world_z, surface, biome));
            }
        }
    }
}

ChunkMesh build_chunk_mesh(const PaddedBlocks& blocks) {
    ChunkMesh mesh;
    for (int y = 0; y < kChunkSize; ++y) {
        for (int z = 0; z < kChunkSize; ++z) {
            for (int x = 0; x < kChunkSize; ++x) {
                const Block block = blocks.at(x, y, z);
                if (!is_opaque(block)) {
                    continue;
                }
                for (std::size_t face = 0; face < kFaces.size(); ++face) {
                    const FaceDirection& direction = kFaces[face];
                    if (is_opaque(
                            blocks.at(x + direction.dx, y + direction.dy, z + direction.dz))) {
                        continue;
                    }
                    const auto first = static_cast<std::uint32_t>(mesh.vertices.size());
                    for (std::size_t corner = 0; corner < 4; ++corner) {
                        const auto& offset = direction.corners[corner];
                        mesh.vertices.push_back(
                            {static_cast<float>(x) + offset[0], static_cast<float>(y) + offset[1],
                             static_cast<float>(z) + offset[2], static_cast<std::uint8_t>(face),
                             static_cast<std::uint8_t>(block), kCornerUv[corner][0],
                             kCornerUv[corner][1]});
                    }
                    for (const std::uint32_t corner : {0u, 1u, 2u, 0u, 2u, 3u}) {
                        mesh.indices.push_back(first + corner);
                    }
                }
            }
        }
    }
    // The buffers are uploaded as they are; the spare capacity of growth would be held for
    // nothing (and would show as a gap between the allocator and the report).
    mesh.vertices.shrink_to_fit();
    mesh.indices.shrink_to_fit();
    return mesh;
}

}  // namespace nebula::demo
