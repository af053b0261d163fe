// Face-culling mesher: one quad (4 vertices, 6 indices) for every face of an opaque block that
// touches a non-opaque one, including across the chunk's border.
#pragma once

#include "world/chunk.hpp"
#include "world/terrain_noise.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nebula::demo {

// 16 bytes: position in the chunk, which face it belongs to, the atlas tile and the corner's
// texture coordinates.
struct MeshVertex {
    float x, y, z;
    std::uint8_t face;  // 0..5: +x, -x, +y, -y, +z, -z
    std::uint8_t tile;  // Block value
    std::uint8_t u, v;  // 0 or 1
};
static_assert(sizeof(MeshVertex) == 16);

struct ChunkMesh {
    std::vector<MeshVertex> vertices;
    std::vector<std::uint32_t> indices;
    // What the GPU buffers hold: the seed's vertex_buffer_size() + index_buffer_size().
    std::size_t vertex_buffer_bytes() const { return vertices.size() * sizeof(MeshVertex); }
    std::size_t index_buffer_bytes() const { return indices.size() * sizeof(std::uint32_t); }
    std::size_t bytes() const { return vertex_buffer_bytes() + index_buffer_bytes(); }
    bool empty() const { return indices.empty(); }
};

// A chunk's blocks with a one-block border of its neighbours' (from the terrain, so meshing does
// not depend on which neighbours are loaded): coordinates run from -1 to kChunkSize.
class PaddedBlocks {
public:
    static constexpr int kSide = kChunkSize + 2;

    PaddedBlocks();  // all air
    PaddedBlocks(const Chunk& chunk, const TerrainNoise& terrain);

    Block at(int x, int y, int z) const { return blocks_[index(x, y, z)]; }
    void set(int x, int y, int z, Block block) { blocks_[index(x, y, z)] = block; }

private:
    static std::size_t index(int x, int y, int z) {
        return static_cast<std::size_t>((x + 1) + kSide * ((z + 1) + kSide * (y + 1)));
    }
    std::vector<Block> blocks_;
};

ChunkMesh build_chunk_mesh(const PaddedBlocks& blocks);

}  // namespace nebula::demo
