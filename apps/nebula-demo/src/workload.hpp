// A synthetic engine workload standing in for the voxel world until it exists: the seed's six
// subsystems (Chunks, Meshes, Textures, Entities, Audio, Physics) make real allocations under
// their memory tags and report what they hold to a MemoryBudget, with streaming growth and
// shrinkage around a moving camera and periodic spikes (sector transitions, hordes, sound bursts).
//
// Driven by an explicit clock, so a run with a fixed time step is the same every time.
#pragma once

#include <nebula/debug/memory_tracking.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace nebula::demo {

inline constexpr std::array<std::string_view, 6> kSubsystemNames = {
    "Chunks", "Meshes", "Textures", "Entities", "Audio", "Physics"};

// A loaded chunk column as the scene's map draws it, in chunk coordinates.
struct ChunkColumn {
    int x = 0;
    int z = 0;
    bool meshed = false;    // at least one of its chunks has a mesh
    bool collider = false;  // at least one of its chunks has a physics collider
};

struct WorkloadView {
    double camera_x = 0.0;  // chunk coordinates
    double camera_z = 0.0;
    double load_radius = 0.0;        // in chunks
    bool sector_transition = false;  // the old sector is still loaded beside the new one
    bool horde = false;              // the entity population spike is on
    bool sound_burst = false;        // one-shot sound effects are loaded
};

class Workload {
public:
    // The workload is the seed's engine at 1/32 scale, so these are the seed's defaults / 32:
    // 128 MiB in total, Chunks 32 MiB, Meshes and Textures 16 MiB, Entities and Physics 8 MiB,
    // Audio 4 MiB.
    static void configure_budgets(nebula::debug::MemoryBudget& budget);

    Workload();
    ~Workload();
    Workload(const Workload&) = delete;
    Workload& operator=(const Workload&) = delete;

    // Advances every subsystem to `seconds` of simulated time (non-decreasing).
    void update(double seconds);
    // What each subsystem holds, as its reporter measures it (the seed's "How It Measures").
    void report(nebula::debug::MemoryBudget& budget) const;
    // Frees everything, while the tags are still those the allocations were charged to.
    void release();

    WorkloadView view() const;
    const std::vector<ChunkColumn>& loaded_columns() const;

private:
    struct Subsystems;
    std::unique_ptr<Subsystems> subsystems_;
};

}  // namespace nebula::demo
