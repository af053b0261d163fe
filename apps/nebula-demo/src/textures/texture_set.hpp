// The Textures subsystem: one block-texture atlas page per biome in range (the same tiles tinted
// for the biome's grass and foliage), and the framebuffers the world is drawn into. Each texture
// is described as OpenGL allocates it (width x height x bytes per texel over its mip chain) and
// reported from those descriptors, windowed or not; a window's renderer uploads the pages.
#pragma once

#include "world/terrain_noise.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nebula::demo {

struct TextureDescriptor {
    int width = 0;
    int height = 0;
    int bytes_per_texel = 0;
    int mip_levels = 1;
    std::size_t bytes() const;  // every mip level, each halving down to 1 x 1
};

// How many levels a full mip chain of width x height has.
int full_mip_chain(int width, int height);

inline constexpr int kAtlasTilePixels = 64;
inline constexpr int kAtlasTilesPerRow = 4;  // 16 tiles: one per Block value
inline constexpr int kAtlasPixels = kAtlasTilePixels * kAtlasTilesPerRow;

struct AtlasPage {
    TextureDescriptor descriptor;
    std::vector<std::uint8_t> rgba;  // level 0; the GPU builds the rest of the chain
};

// Where textures go on the GPU (the windowed renderer).
class TextureUploader {
public:
    virtual ~TextureUploader() = default;
    virtual void upload_page(Biome biome, const AtlasPage& page) = 0;
    virtual void release_page(Biome biome) = 0;
};

// The biome atlas pages and the render targets, as the GPU holds them. Each texture's bytes go
// through nebula::debug::track_gpu_allocation under the Textures tag while it exists (headless
// runs included: the set models what a renderer keeps on the device), so the Textures row's GPU
// column holds what it reports, and its allocator column only the pages' CPU copies.
class TextureSet {
public:
    static constexpr std::string_view kName = "Textures";

    TextureSet(int framebuffer_width, int framebuffer_height);
    ~TextureSet();
    TextureSet(const TextureSet&) = delete;
    TextureSet& operator=(const TextureSet&) = delete;

    void update(const std::array<std::size_t, kBiomeCount>& surface_chunks_per_biome);
    void report(nebula::debug::MemoryBudget& budget) const;
    void attach(TextureUploader* uploader);

    const TextureDescriptor& color_target() const { return color_target_; }
    const TextureDescriptor& depth_target() const { return depth_target_; }
    bool page_loaded(Biome biome) const {
        return !pages_[static_cast<std::size_t>(biome)].rgba.empty();
    }

    static AtlasPage paint_page(Biome biome);

private:
    // A GPU resource id per texture, unique while this set lives: its descriptor's address.
    static std::uint64_t gpu_id(const void* texture);

    nebula::debug::MemoryTag tag_;
    TextureDescriptor color_target_;
    TextureDescriptor depth_target_;
    std::array<AtlasPage, kBiomeCount> pages_;
    TextureUploader* uploader_ = nullptr;
};

}  // namespace nebula::demo
