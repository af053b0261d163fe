#include "world/voxel_world.hpp"

#include <fmt/format.h>

#include <utility>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

constexpr std::size_t kMiB = 1024 * 1024;
constexpr double kFirstFrameSeconds = 1.0 / 60.0;

}  // namespace

void VoxelWorld::configure_budgets(nd::MemoryBudget& budget) {
    budget.set_total_budget(256 * kMiB);
    budget.set_budget(ChunkStreamer::kName, 64 * kMiB);
    budget.set_budget(MeshStore::kName, 32 * kMiB);
    budget.set_budget(TextureSet::kName, 32 * kMiB);
    budget.set_budget(EntityTables::kName, 16 * kMiB);
    budget.set_budget(AmbientAudio::kName, 8 * kMiB);
    budget.set_budget(PhysicsWorld::kName, 16 * kMiB);
    // Gameplay code should not allocate every frame: a creature's update makes no allocation.
    budget.set_churn_budget(EntityTables::kName, kEntityChurnBudget);
    budget.set_gpu_budget(TextureSet::kName, 32 * kMiB);
}

VoxelWorld::VoxelWorld(const Scenario& scenario, const WorldSettings& settings,
                       nd::MemoryBudget& budget)
    : scenario_(scenario),
      settings_(settings),
      budget_(budget),
      physics_(settings.collider_radius, settings.colliders_per_frame),
      textures_(settings.framebuffer_width, settings.framebuffer_height),
      streamer_(terrain_, *this, settings.view_distance, settings.chunk_loads_per_frame) {
    meshes_.set_leak_unloaded_meshes(scenario.leak_unloaded_meshes);
    entities_.set_queries_allocate(scenario.entity_queries_allocate);
    pressure_callback_ = budget_.add_pressure_callback(
        ChunkStreamer::kName,
        [this](const nd::MemoryPressure& pressure) { relieve_pressure(pressure); });
}

VoxelWorld::~VoxelWorld() {
    budget_.remove_pressure_callback(pressure_callback_);
    streamer_.unload_all();
}

void VoxelWorld::update(double seconds) {
    const double step = seconds > last_seconds_ ? seconds - last_seconds_ : kFirstFrameSeconds;
    last_seconds_ = seconds;
    const CameraPose pose = camera_at(scenario_, seconds);
    if (pose.sector != camera_.sector) {
        streamer_.retain_until({camera_.x, camera_.z}, seconds + scenario_.old_sector_hold_seconds);
        events_.push_back(
            fmt::format("sector-transition: jumped to sector {} at {:.1f} s; sector {} stays "
                        "loaded for {:.1f} s",
                        pose.sector, seconds, camera_.sector, scenario_.old_sector_hold_seconds));
    }
    camera_ = pose;
    streamer_.update({pose.x, pose.z}, seconds);
    meshes_.build_pending(
        settings_.mesh_builds_per_frame, pose.x, pose.z,
        [this](ChunkCoord coord) { return streamer_.find(coord); }, terrain_);
    physics_.update(pose.x, pose.z, meshes_, entities_, step);
    entities_.update(static_cast<float>(step));
    textures_.update(streamer_.surface_chunks_per_biome());
    audio_.update(streamer_.surface_chunks_per_biome(), step);
}

void VoxelWorld::report(nd::MemoryBudget& budget) const {
    streamer_.report(budget);
    meshes_.report(budget);
    textures_.report(budget);
    entities_.report(budget);
    audio_.report(budget);
    physics_.report(budget);
}

std::vector<std::string> VoxelWorld::take_events() {
    return std::exchange(events_, {});
}

void VoxelWorld::attach_renderer(MeshUploader* meshes, TextureUploader* textures) {
    meshes_.attach(meshes);
    textures_.attach(textures);
}

void VoxelWorld::chunk_loaded(const Chunk& chunk) {
    entities_.spawn_for(chunk);
    meshes_.chunk_loaded(chunk.coord());
}

void VoxelWorld::chunk_unloading(const Chunk& chunk) {
    physics_.chunk_unloading(chunk.coord());
    meshes_.chunk_unloading(chunk.coord());
    entities_.despawn_for(chunk.coord());
}

// Sheds past the threshold by a tenth of the budget more, so that the next chunks streamed in
// do not cross straight back.
void VoxelWorld::relieve_pressure(const nd::MemoryPressure& pressure) {
    const int distance_before = streamer_.view_distance();
    const std::size_t before = streamer_.bytes();
    const std::size_t chunks_before = streamer_.count();
    streamer_.shed(pressure.excess_bytes + pressure.budget_bytes / 10);
    ++pressure_responses_;
    events_.push_back(fmt::format(
        "pressure: Chunks at {} over its {} threshold; shed {} chunks ({}), view distance {} -> {}",
        nd::format_memory(pressure.current_bytes), nd::format_memory(pressure.threshold_bytes),
        chunks_before - streamer_.count(), nd::format_memory(before - streamer_.bytes()),
        distance_before, streamer_.view_distance()));
    streamer_.report(budget_);
}

}  // namespace nebula::demo
