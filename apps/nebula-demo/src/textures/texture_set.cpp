#include "textures/texture_set.hpp"

#include "world/block.hpp"

#include <nebula/debug/gpu_memory.hpp>

#include <algorithm>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

// Grass and foliage take the biome's colour, as in most voxel games.
BlockColor tint(Block block, Biome biome) {
    BlockColor color = kBlockColors[static_cast<std::size_t>(block)];
    if (block != Block::Grass) {
        return color;
    }
    switch (biome) {
        case Biome::Desert:
            return {150, 160, 80};
        case Biome::Tundra:
            return {110, 150, 120};
        case Biome::Highlands:
            return {70, 130, 60};
        default:
            return color;
    }
}

std::uint8_t shade(std::uint8_t channel, int amount) {
    return static_cast<std::uint8_t>(std::clamp(static_cast<int>(channel) + amount, 0, 255));
}

}  // namespace

std::size_t TextureDescriptor::bytes() const {
    std::size_t total = 0;
    for (int level = 0; level < mip_levels; ++level) {
        total += static_cast<std::size_t>(std::max(1, width >> level)) *
                 static_cast<std::size_t>(std::max(1, height >> level)) *
                 static_cast<std::size_t>(bytes_per_texel);
    }
    return total;
}

int full_mip_chain(int width, int height) {
    int levels = 1;
    for (int size = std::max(width, height); size > 1; size /= 2) {
        ++levels;
    }
    return levels;
}

TextureSet::TextureSet(int framebuffer_width, int framebuffer_height)
    : tag_(nd::memory_tag(kName)),
      color_target_{framebuffer_width, framebuffer_height, 4, 1},   // RGBA8
      depth_target_{framebuffer_width, framebuffer_height, 4, 1} {  // DEPTH24_STENCIL8
    nd::track_gpu_allocation(gpu_id(&color_target_), color_target_.bytes(), tag_);
    nd::track_gpu_allocation(gpu_id(&depth_target_), depth_target_.bytes(), tag_);
}

TextureSet::~TextureSet() {
    attach(nullptr);
    for (const AtlasPage& page : pages_) {
        if (!page.rgba.empty()) {
            nd::track_gpu_free(gpu_id(&page));
        }
    }
    nd::track_gpu_free(gpu_id(&color_target_));
    nd::track_gpu_free(gpu_id(&depth_target_));
}

std::uint64_t TextureSet::gpu_id(const void* texture) {
    return reinterpret_cast<std::uintptr_t>(texture);
}

AtlasPage TextureSet::paint_page(Biome biome) {
    AtlasPage page;
    page.descriptor = {kAtlasPixels, kAtlasPixels, 4, full_mip_chain(kAtlasPixels, kAtlasPixels)};
    page.rgba.resize(static_cast<std::size_t>(kAtlasPixels) * kAtlasPixels * 4);
    std::uint32_t grain = 0x9e3779b9u;
    for (int y = 0; y < kAtlasPixels; ++y) {
        for (int x = 0; x < kAtlasPixels; ++x) {
            const int tile = (y / kAtlasTilePixels) * kAtlasTilesPerRow + x / kAtlasTilePixels;
            const Block block =
                tile < static_cast<int>(kBlockTypeCount) ? static_cast<Block>(tile) : Block::Air;
            const BlockColor color = tint(block, biome);
            grain = grain * 1664525u + 1013904223u;
            // Speckle, and a darker rim so that block edges read on flat ground.
            const int local_x = x % kAtlasTilePixels;
            const int local_y = y % kAtlasTilePixels;
            const bool rim = local_x < 2 || local_y < 2 || local_x >= kAtlasTilePixels - 2 ||
                             local_y >= kAtlasTilePixels - 2;
            const int amount = static_cast<int>(grain >> 28) - 8 - (rim ? 28 : 0);
            std::uint8_t* texel = &page.rgba[static_cast<std::size_t>(y * kAtlasPixels + x) * 4];
            texel[0] = shade(color.r, amount);
            texel[1] = shade(color.g, amount);
            texel[2] = shade(color.b, amount);
            texel[3] = 255;
        }
    }
    return page;
}

void TextureSet::update(const std::array<std::size_t, kBiomeCount>& surface_chunks_per_biome) {
    nd::MemoryScope scope(tag_);
    for (std::size_t index = 0; index < pages_.size(); ++index) {
        const auto biome = static_cast<Biome>(index);
        const bool wanted = surface_chunks_per_biome[index] > 0;
        AtlasPage& page = pages_[index];
        if (wanted && page.rgba.empty()) {
            page = paint_page(biome);
            nd::track_gpu_allocation(gpu_id(&page), page.descriptor.bytes(), tag_);
            if (uploader_ != nullptr) {
                uploader_->upload_page(biome, page);
            }
        } else if (!wanted && !page.rgba.empty()) {
            page = {};
            nd::track_gpu_free(gpu_id(&page));
            if (uploader_ != nullptr) {
                uploader_->release_page(biome);
            }
        }
    }
}

void TextureSet::report(nd::MemoryBudget& budget) const {
    std::size_t bytes = color_target_.bytes() + depth_target_.bytes();
    std::size_t textures = 2;
    for (const AtlasPage& page : pages_) {
        if (!page.rgba.empty()) {
            // The texture on the device and the pixels kept to upload it again.
            bytes += page.descriptor.bytes() + page.rgba.capacity();
            ++textures;
        }
    }
    budget.report(kName, bytes, textures);
}

void TextureSet::attach(TextureUploader* uploader) {
    if (uploader_ != nullptr) {
        for (std::size_t index = 0; index < pages_.size(); ++index) {
            if (!pages_[index].rgba.empty()) {
                uploader_->release_page(static_cast<Biome>(index));
            }
        }
    }
    uploader_ = uploader;
    if (uploader_ != nullptr) {
        for (std::size_t index = 0; index < pages_.size(); ++index) {
            if (!pages_[index].rgba.empty()) {
                uploader_->upload_page(static_cast<Biome>(index), pages_[index]);
            }
        }
    }
}

}  // namespace nebula::demo
