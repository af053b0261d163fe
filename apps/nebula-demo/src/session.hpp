// One run of the demo, whatever shows it: the voxel world, the budget it reports to, the leak
// watch over both, and the numbers for the summary at exit.
#pragma once

#include "scenarios.hpp"
#include "terminal_table.hpp"
#include "world/voxel_world.hpp"

#include <nebula/debug/leak_watch.hpp>
#include <nebula/debug/memory_capture.hpp>
#include <nebula/debug/memory_tracking.hpp>

#include <optional>
#include <string>
#include <vector>

namespace nebula::demo {

inline constexpr double kFramesPerSecond = 60.0;  // the fixed step of headless and screenshot runs
// The demo's world is the seed's engine at 1/16 scale; so is the gap that reads as a leak.
inline constexpr std::size_t kLeakGapThresholdBytes = 2 * 1024 * 1024;

// --snapshot: writes the budget's subsystems, the allocator's totals and the resident memory's
// breakdown to `path` (when given) and says so on standard output. A file that cannot be written
// is one line on standard error; the run goes on and ends as it would have.
void write_requested_snapshot(const std::optional<std::string>& path,
                              const nebula::debug::MemoryBudget& budget);

class DemoSession {
public:
    // Counts each subsystem's threshold crossings through the budget's pressure callbacks.
    DemoSession(nebula::debug::MemoryBudget& budget, const Scenario& scenario,
                const WorldSettings& settings);
    ~DemoSession();
    DemoSession(const DemoSession&) = delete;
    DemoSession& operator=(const DemoSession&) = delete;

    // --capture: from the next frame on, a CSV row every second of the run's time (when `path`
    // is given). A file that cannot be created is one line on standard error; the run goes on
    // and ends as it would have.
    void start_capture(const std::optional<std::string>& path);
    // Completes the capture's file and says so on standard output (or why it is incomplete on
    // standard error). Nothing when no capture runs.
    void finish_capture();

    // One frame: the world moves to `seconds` of simulated time, then the memory reporting runs
    // (every subsystem's report, the budget's warnings and callbacks, end_frame's churn and GPU
    // figures, the leak watch), then the capture's row when one is due (timed apart).
    void advance(double seconds);
    // Sector jumps, pressure responses: one line each since the last call.
    std::vector<std::string> take_events() { return world_.take_events(); }

    VoxelWorld& world() { return world_; }
    const VoxelWorld& world() const { return world_; }
    const nebula::debug::LeakWatch& leak_watch() const { return leak_watch_; }
    nebula::debug::MemoryBudget& budget() { return budget_; }
    RunSummary& summary() { return summary_; }

private:
    nebula::debug::MemoryBudget& budget_;
    VoxelWorld world_;
    nebula::debug::LeakWatch leak_watch_{kLeakGapThresholdBytes};
    nebula::debug::MemoryCapture capture_;
    bool capturing_ = false;  // a capture was opened and not yet finished
    RunSummary summary_;
    std::vector<nebula::debug::PressureCallbackId> pressure_callbacks_;
};

}  // namespace nebula::demo
