// The demo's voxel engine: chunks streamed around the scripted camera, and the subsystems that
// follow them (meshes, physics colliders, entities, biome textures and ambience). Each subsystem
// allocates under its own memory tag and keeps running totals, so report() costs the same
// however much is loaded.
#pragma once

#include "audio/ambient_audio.hpp"
#include "entities/entity_tables.hpp"
#include "physics/physics_world.hpp"
#include "render/mesh_store.hpp"
#include "scenarios.hpp"
#include "textures/texture_set.hpp"
#include "world/chunk_streamer.hpp"
#include "world/terrain_noise.hpp"

#include <nebula/debug/memory_tracking.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nebula::demo {

inline constexpr std::array<std::string_view, 6> kSubsystemNames = {
    ChunkStreamer::kName, MeshStore::kName,    TextureSet::kName,
    EntityTables::kName,  AmbientAudio::kName, PhysicsWorld::kName};

struct WorldSettings {
    int view_distance = 6;  // chunk columns
    std::size_t chunk_loads_per_frame = 12;
    std::size_t mesh_builds_per_frame = 8;
    double collider_radius = 1.6;  // chunk columns
    std::size_t colliders_per_frame = 2;
    int framebuffer_width = 1280;
    int framebuffer_height = 720;
};

class VoxelWorld final : private ChunkListener {
public:
    // The seed's budgets at 1/16 scale: 256 MiB in total, Chunks 64 MiB, Meshes and Textures
    // 32 MiB, Entities and Physics 16 MiB, Audio 8 MiB.
    // The demo's budgets, the churn and GPU budgets included.
    static void configure_budgets(nebula::debug::MemoryBudget& budget);
    // Entities' heap allocations per frame: a wandering creature needs none, so a few per frame
    // (spawns as chunks load) stay well under it and the churn scenario's per-creature queries
    // pass it.
    static constexpr std::size_t kEntityChurnBudget = 32;

    // Registers the chunk manager's pressure callback with `budget` (removed on destruction).
    VoxelWorld(const Scenario& scenario, const WorldSettings& settings,
               nebula::debug::MemoryBudget& budget);
    ~VoxelWorld() override;
    VoxelWorld(const VoxelWorld&) = delete;
    VoxelWorld& operator=(const VoxelWorld&) = delete;

    // Advances to `seconds` of simulated time (non-decreasing).
    void update(double seconds);
    // Every subsystem's report: O(subsystems).
    void report(nebula::debug::MemoryBudget& budget) const;
    // What happened since the last call (sector jumps, pressure responses), one line each.
    std::vector<std::string> take_events();

    void attach_renderer(MeshUploader* meshes, TextureUploader* textures);

    const Scenario& scenario() const { return scenario_; }
    const CameraPose& camera() const { return camera_; }
    const TerrainNoise& terrain() const { return terrain_; }
    const ChunkStreamer& chunks() const { return streamer_; }
    const MeshStore& meshes() const { return meshes_; }
    const TextureSet& textures() const { return textures_; }
    const EntityTables& entities() const { return entities_; }
    const AmbientAudio& audio() const { return audio_; }
    const PhysicsWorld& physics() const { return physics_; }
    int pressure_responses() const { return pressure_responses_; }

private:
    void chunk_loaded(const Chunk& chunk) override;
    void chunk_unloading(const Chunk& chunk) override;
    void relieve_pressure(const nebula::debug::MemoryPressure& pressure);

    Scenario scenario_;
    WorldSettings settings_;
    nebula::debug::MemoryBudget& budget_;
    TerrainNoise terrain_;
    EntityTables entities_;
    MeshStore meshes_;
    PhysicsWorld physics_;
    TextureSet textures_;
    AmbientAudio audio_;
    ChunkStreamer streamer_;  // last: its destructor unloads into the subsystems above
    CameraPose camera_;
    double last_seconds_ = 0.0;
    std::vector<std::string> events_;
    int pressure_responses_ = 0;
    nebula::debug::PressureCallbackId pressure_callback_ = 0;
};

}  // namespace nebula::demo
