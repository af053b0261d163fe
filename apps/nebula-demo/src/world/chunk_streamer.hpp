// The Chunks subsystem: loads the chunk columns within the view distance of the camera (nearest
// first, a few per frame), unloads those that left it, and can keep a previous sector loaded for
// a while (a sector transition). Running totals make its report O(1); its pressure response
// sheds the farthest chunks and shrinks the view distance.
#pragma once

#include "world/chunk.hpp"
#include "world/terrain_noise.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nebula::demo {

// Told about every chunk that loads or is about to unload, synchronously.
class ChunkListener {
public:
    virtual ~ChunkListener() = default;
    virtual void chunk_loaded(const Chunk& chunk) = 0;
    virtual void chunk_unloading(const Chunk& chunk) = 0;
};

struct ChunkCenter {
    double x = 0.0;  // chunk units
    double z = 0.0;
};

class ChunkStreamer {
public:
    static constexpr std::string_view kName = "Chunks";

    ChunkStreamer(const TerrainNoise& terrain, ChunkListener& listener, int view_distance,
                  std::size_t loads_per_frame);
    ~ChunkStreamer();
    ChunkStreamer(const ChunkStreamer&) = delete;
    ChunkStreamer& operator=(const ChunkStreamer&) = delete;

    void update(ChunkCenter camera, double now_seconds);
    // Keeps what is loaded within the view distance of `center` until `until_seconds`.
    void retain_until(ChunkCenter center, double until_seconds);

    // Unloads the farthest chunks from the camera until at least `bytes` were freed, shrinking
    // the view distance to what is left (never below 1). Returns the bytes freed.
    std::size_t shed(std::size_t bytes);

    void report(nebula::debug::MemoryBudget& budget) const;
    void unload_all();

    const Chunk* find(ChunkCoord coord) const;
    int view_distance() const noexcept { return view_distance_; }
    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t count() const noexcept { return chunks_.size(); }
    bool retaining() const noexcept { return !retained_.empty(); }
    // Loaded chunks holding the surface, per biome (what the ambience and textures follow).
    const std::array<std::size_t, kBiomeCount>& surface_chunks_per_biome() const noexcept {
        return surface_per_biome_;
    }
    template <class Visit>
    void for_each_chunk(Visit&& visit) const {
        for (const auto& [coord, chunk] : chunks_) {
            visit(*chunk);
        }
    }

private:
    struct Retained {
        ChunkCenter center;
        double until_seconds;
    };
    bool wanted(ChunkCoord coord) const;
    void load(ChunkCoord coord);
    void unload(std::unordered_map<ChunkCoord, std::unique_ptr<Chunk>, ChunkCoordHash>::iterator);

    const TerrainNoise& terrain_;
    ChunkListener& listener_;
    nebula::debug::MemoryTag tag_;
    int view_distance_;
    std::size_t loads_per_frame_;
    ChunkCenter camera_;
    std::vector<Retained> retained_;
    std::unordered_map<ChunkCoord, std::unique_ptr<Chunk>, ChunkCoordHash> chunks_;
    std::vector<ChunkCoord> candidates_;
    std::size_t bytes_ = 0;
    std::array<std::size_t, kBiomeCount> surface_per_biome_{};
};

}  // namespace nebula::demo
