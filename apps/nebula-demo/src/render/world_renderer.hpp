// Draws the voxel world with OpenGL 3.3: each chunk mesh in its own vertex and index buffers,
// textured from its biome's atlas page, lit by the sun and fogged into the sky, into an offscreen
// framebuffer (colour and depth textures sized from TextureSet's descriptors) that is then blitted
// to the window. Receives meshes and atlas pages from the world as they come and go.
#pragma once

#include "render/mesh_store.hpp"
#include "textures/texture_set.hpp"
#include "world/voxel_world.hpp"

#include <array>
#include <memory>

namespace nebula::demo {

class WorldRenderer final : public MeshUploader, public TextureUploader {
public:
    // Needs a current OpenGL 3.3 core context; attaches itself to the world.
    explicit WorldRenderer(VoxelWorld& world);
    ~WorldRenderer() override;
    WorldRenderer(const WorldRenderer&) = delete;
    WorldRenderer& operator=(const WorldRenderer&) = delete;

    // Draws the world from its camera into the bound window framebuffer's viewport.
    void draw(int window_width, int window_height);

    void upload(ChunkCoord coord, const ChunkMesh& mesh) override;
    void release(ChunkCoord coord) override;
    void upload_page(Biome biome, const AtlasPage& page) override;
    void release_page(Biome biome) override;

private:
    struct Gpu;
    VoxelWorld& world_;
    std::unique_ptr<Gpu> gpu_;
};

}  // namespace nebula::demo
