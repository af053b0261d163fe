#include "world/chunk_streamer.hpp"

#include <algorithm>
#include <cmath>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

double distance(ChunkCoord coord, ChunkCenter center) {
    return std::hypot(coord.x + 0.5 - center.x, coord.z + 0.5 - center.z);
}

}  // namespace

ChunkStreamer::ChunkStreamer(const TerrainNoise& terrain, ChunkListener& listener,
                             int view_distance, std::size_t loads_per_frame)
    : terrain_(terrain),
      listener_(listener),
      tag_(nd::memory_tag(kName)),
      view_distance_(std::max(view_distance, 1)),
      loads_per_frame_(loads_per_frame) {}

ChunkStreamer::~ChunkStreamer() {
    unload_all();
}

void ChunkStreamer::retain_until(ChunkCenter center, double until_seconds) {
    nd::MemoryScope scope(tag_);
    retained_.push_back({center, until_seconds});
}

bool ChunkStreamer::wanted(ChunkCoord coord) const {
    if (distance(coord, camera_) <= view_distance_) {
        return true;
    }
    return std::any_of(retained_.begin(), retained_.end(), [&](const Retained& retained) {
        return distance(coord, retained.center) <= view_distance_;
    });
}

void ChunkStreamer::update(ChunkCenter camera, double now_seconds) {
    nd::MemoryScope scope(tag_);
    camera_ = camera;
    std::erase_if(retained_,
                  [&](const Retained& retained) { return retained.until_seconds <= now_seconds; });
    for (auto chunk = chunks_.begin(); chunk != chunks_.end();) {
        const auto next = std::next(chunk);
        if (!wanted(chunk->first)) {
            unload(chunk);
        }
        chunk = next;
    }

    candidates_.clear();
    const int center_x = static_cast<int>(std::floor(camera.x));
    const int center_z = static_cast<int>(std::floor(camera.z));
    for (int z = center_z - view_distance_; z <= center_z + view_distance_; ++z) {
        for (int x = center_x - view_distance_; x <= center_x + view_distance_; ++x) {
            if (distance({x, 0, z}, camera) > view_distance_) {
                continue;
            }
            for (int y = 0; y < kChunkLayers; ++y) {
                if (!chunks_.contains({x, y, z})) {
                    candidates_.push_back({x, y, z});
                }
            }
        }
    }
    const std::size_t loads = std::min(loads_per_frame_, candidates_.size());
    const auto nearer = [&](ChunkCoord a, ChunkCoord b) {
        const double da = distance(a, camera);
        const double db = distance(b, camera);
        return da != db ? da < db : a.y > b.y;  // the surface layers first
    };
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(loads),
                      candidates_.end(), nearer);
    for (std::size_t i = 0; i < loads; ++i) {
        load(candidates_[i]);
    }
}

std::size_t ChunkStreamer::shed(std::size_t bytes) {
    nd::MemoryScope scope(tag_);
    std::vector<ChunkCoord> by_distance;
    by_distance.reserve(chunks_.size());
    for (const auto& [coord, chunk] : chunks_) {
        by_distance.push_back(coord);
    }
    std::sort(by_distance.begin(), by_distance.end(), [&](ChunkCoord a, ChunkCoord b) {
        return distance(a, camera_) > distance(b, camera_);
    });
    // The sector kept for a transition goes first: it is what the pressure is about.
    retained_.clear();
    std::size_t freed = 0;
    double nearest_shed = view_distance_;
    for (const ChunkCoord coord : by_distance) {
        if (freed >= bytes) {
            break;
        }
        const auto chunk = chunks_.find(coord);
        freed += chunk->second->bytes();
        nearest_shed = std::min(nearest_shed, distance(coord, camera_));
        unload(chunk);
    }
    // Whole columns only: what remains inside the new distance stays loaded.
    view_distance_ = std::max(1, std::min(view_distance_, static_cast<int>(nearest_shed)));
    for (auto chunk = chunks_.begin(); chunk != chunks_.end();) {
        const auto next = std::next(chunk);
        if (distance(chunk->first, camera_) > view_distance_) {
            freed += chunk->second->bytes();
            unload(chunk);
        }
        chunk = next;
    }
    return freed;
}

void ChunkStreamer::report(nd::MemoryBudget& budget) const {
    budget.report(kName, bytes_, chunks_.size());
}

void ChunkStreamer::unload_all() {
    while (!chunks_.empty()) {
        unload(chunks_.begin());
    }
    retained_.clear();
}

const Chunk* ChunkStreamer::find(ChunkCoord coord) const {
    const auto chunk = chunks_.find(coord);
    return chunk != chunks_.end() ? chunk->second.get() : nullptr;
}

void ChunkStreamer::load(ChunkCoord coord) {
    auto chunk = std::make_unique<Chunk>(coord, terrain_);
    bytes_ += chunk->bytes();
    if (chunk->holds_surface()) {
        ++surface_per_biome_[static_cast<std::size_t>(chunk->biome())];
    }
    const Chunk& loaded = *chunks_.emplace(coord, std::move(chunk)).first->second;
    listener_.chunk_loaded(loaded);
}

void ChunkStreamer::unload(
    std::unordered_map<ChunkCoord, std::unique_ptr<Chunk>, ChunkCoordHash>::iterator chunk) {
    listener_.chunk_unloading(*chunk->second);
    bytes_ -= chunk->second->bytes();
    if (chunk->second->holds_surface()) {
        --surface_per_biome_[static_cast<std::size_t>(chunk->second->biome())];
    }
    chunks_.erase(chunk);
}

}  // namespace nebula::demo
