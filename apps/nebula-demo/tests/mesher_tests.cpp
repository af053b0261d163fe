#include "render/mesher.hpp"
#include "world/chunk.hpp"
#include "world/terrain_noise.hpp"

#include <gtest/gtest.h>

#include <set>

namespace demo = nebula::demo;

namespace {

TEST(Mesher, ASingleBlockHasSixFaces) {
    demo::PaddedBlocks blocks;
    blocks.set(5, 5, 5, demo::Block::Stone);
    const demo::ChunkMesh mesh = demo::build_chunk_mesh(blocks);
    EXPECT_EQ(mesh.vertices.size(), 24u);
    EXPECT_EQ(mesh.indices.size(), 36u);
    std::set<int> faces;
    for (const demo::MeshVertex& vertex : mesh.vertices) {
        faces.insert(vertex.face);
        EXPECT_EQ(vertex.tile, static_cast<int>(demo::Block::Stone));
        EXPECT_GE(vertex.x, 5.0f);
        EXPECT_LE(vertex.x, 6.0f);
    }
    EXPECT_EQ(faces.size(), 6u);
    EXPECT_EQ(mesh.bytes(), 24 * sizeof(demo::MeshVertex) + 36 * sizeof(std::uint32_t));
}

TEST(Mesher, TwoAdjacentBlocksCullTheSharedFaces) {
    demo::PaddedBlocks blocks;
    blocks.set(5, 5, 5, demo::Block::Stone);
    blocks.set(6, 5, 5, demo::Block::Dirt);
    const demo::ChunkMesh mesh = demo::build_chunk_mesh(blocks);
    EXPECT_EQ(mesh.vertices.size(), 10u * 4);
    EXPECT_EQ(mesh.indices.size(), 10u * 6);
}

TEST(Mesher, NeighboursAcrossTheChunkBorderHideFaces) {
    demo::PaddedBlocks blocks;
    blocks.set(0, 0, 0, demo::Block::Stone);
    blocks.set(-1, 0, 0, demo::Block::Stone);  // in the neighbouring chunk
    EXPECT_EQ(demo::build_chunk_mesh(blocks).indices.size(), 5u * 6);
}

TEST(Mesher, ABuriedChunkHasNoMeshAndASurfaceChunkHasOne) {
    const demo::TerrainNoise terrain;
    const demo::Chunk deep({0, 0, 0}, terrain);
    const demo::Chunk sky({0, 2, 0}, terrain);
    EXPECT_TRUE(demo::build_chunk_mesh(demo::PaddedBlocks(deep, terrain)).empty());
    EXPECT_TRUE(demo::build_chunk_mesh(demo::PaddedBlocks(sky, terrain)).empty());
    const int surface = terrain.surface_height(16, 16);
    const demo::Chunk ground({0, surface / demo::kChunkSize, 0}, terrain);
    const demo::ChunkMesh mesh = demo::build_chunk_mesh(demo::PaddedBlocks(ground, terrain));
    // At least the top face of every column of the chunk.
    EXPECT_GE(mesh.indices.size(), 32u * 32 * 6 / 2);
    EXPECT_EQ(mesh.indices.size() % 6, 0u);
}

}  // namespace
