#include "scenarios.hpp"

#include <array>
#include <cmath>

namespace nebula::demo {
namespace {

constexpr double kCameraSpeed = 1.0;  // chunks a second
constexpr double kWeaveAmplitude = 2.5;
constexpr double kWeavePeriod = 20.0;
// A start where the flight crosses from plains into another biome within seconds.
constexpr double kStartX = 40.0;
constexpr double kStartZ = -4.0;
constexpr double kCameraHeight = 96.0;

std::array<Scenario, 5> make_scenarios() {
    std::array<Scenario, 5> scenarios;
    Scenario& explore = scenarios[0];
    explore.kind = ScenarioKind::Explore;
    explore.name = "explore";
    explore.summary = "the camera flies; chunks stream in and out; every subsystem's row moves";

    Scenario& sector = scenarios[1];
    sector.kind = ScenarioKind::SectorTransition;
    sector.name = "sector-transition";
    sector.summary = "a jump to a far sector keeps old and new chunks loaded at once: a peak";
    sector.sector_jump_seconds = 6.0;
    sector.old_sector_hold_seconds = 2.0;

    Scenario& pressure = scenarios[2];
    pressure.kind = ScenarioKind::Pressure;
    pressure.name = "pressure";
    pressure.summary = "a tight Chunks budget: the chunk manager sheds chunks, the view shrinks";
    pressure.budgets_file = "pressure.toml";

    Scenario& leak = scenarios[3];
    leak.kind = ScenarioKind::Leak;
    leak.name = "leak";
    leak.summary =
        "unloaded chunks' mesh buffers leak: the allocator's Meshes climb, reports don't";
    leak.leak_unloaded_meshes = true;

    Scenario& churn = scenarios[4];
    churn.kind = ScenarioKind::Churn;
    churn.name = "churn";
    churn.summary =
        "every creature's path query allocates each frame: Entities' Allocs/frame passes its "
        "churn budget";
    churn.entity_queries_allocate = true;
    return scenarios;
}

const std::array<Scenario, 5> kScenarios = make_scenarios();

}  // namespace

CameraPose camera_at(const Scenario& scenario, double seconds) {
    const double two_pi = 2.0 * 3.14159265358979323846;
    CameraPose pose;
    pose.sector = scenario.sector_jump_seconds && seconds >= *scenario.sector_jump_seconds ? 1 : 0;
    pose.x = kStartX + kCameraSpeed * seconds + pose.sector * kSectorStrideChunks;
    pose.z = kStartZ + kWeaveAmplitude * std::sin(two_pi * seconds / kWeavePeriod);
    const double dz =
        kWeaveAmplitude * two_pi / kWeavePeriod * std::cos(two_pi * seconds / kWeavePeriod);
    pose.heading_radians = std::atan2(dz, kCameraSpeed);
    pose.height = kCameraHeight;
    return pose;
}

std::optional<Scenario> find_scenario(std::string_view name) {
    for (const Scenario& scenario : kScenarios) {
        if (scenario.name == name) {
            return scenario;
        }
    }
    return std::nullopt;
}

std::string scenario_names() {
    std::string names;
    for (const Scenario& scenario : kScenarios) {
        if (!names.empty()) {
            names += ", ";
        }
        names += scenario.name;
    }
    return names;
}

}  // namespace nebula::demo
