// The demo's scripted scenarios: where the camera flies and what happens on the way.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace nebula::demo {

enum class ScenarioKind { Explore, SectorTransition, Pressure, Leak, Churn };

struct Scenario {
    ScenarioKind kind = ScenarioKind::Explore;
    std::string_view name;
    std::string_view summary;
    // sector-transition: when the camera jumps to the next sector, and how long the old one
    // stays loaded beside the new.
    std::optional<double> sector_jump_seconds;
    double old_sector_hold_seconds = 0.0;
    // pressure: the budgets file whose tight Chunks budget makes the chunk manager shed.
    std::string_view budgets_file;
    // leak: unloaded chunks' mesh buffers are lost instead of freed.
    bool leak_unloaded_meshes = false;
    // churn: every creature's path query allocates its waypoints afresh each frame.
    bool entity_queries_allocate = false;
};

// Chunks between sector origins: far enough that nothing of the old sector is in view.
inline constexpr int kSectorStrideChunks = 4096;

struct CameraPose {
    double x = 0.0;  // chunk units
    double z = 0.0;
    double height = 0.0;  // blocks
    double heading_radians = 0.0;
    int sector = 0;
};

// The camera's scripted flight: steadily along +x, weaving in z; a scenario with a sector jump
// adds kSectorStrideChunks to x from then on.
CameraPose camera_at(const Scenario& scenario, double seconds);

std::optional<Scenario> find_scenario(std::string_view name);
std::string scenario_names();  // "explore, sector-transition, pressure, leak, churn"

}  // namespace nebula::demo
