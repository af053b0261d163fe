#include "session.hpp"

#include <nebula/debug/memory_snapshot.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

namespace nebula::demo {

void write_requested_snapshot(const std::optional<std::string>& path,
                              const nebula::debug::MemoryBudget& budget) {
    if (!path) {
        return;
    }
    std::string error;
    if (nebula::debug::write_memory_snapshot(budget, *path, &error)) {
        fmt::print("nebula-demo: wrote the memory snapshot {}\n", *path);
    } else {
        fmt::print(stderr, "nebula-demo: {}\n", error);
    }
    std::fflush(stdout);
}

DemoSession::DemoSession(nebula::debug::MemoryBudget& budget, const Scenario& scenario,
                         const WorldSettings& settings)
    : budget_(budget), world_(scenario, settings, budget) {
    summary_.scenario = std::string(scenario.name);
    for (const std::string_view name : kSubsystemNames) {
        summary_.threshold_crossings[std::string(name)] = 0;
        pressure_callbacks_.push_back(budget_.add_pressure_callback(
            name, [this, key = std::string(name)](const nebula::debug::MemoryPressure&) {
                ++summary_.threshold_crossings[key];
            }));
    }
}

void DemoSession::start_capture(const std::optional<std::string>& path) {
    if (!path) {
        return;
    }
    // The resident breakdown on every row: a demo's capture is for plotting, and one read a
    // second (about a millisecond) is nothing to a run of 60 frames a second.
    nebula::debug::MemoryCaptureOptions options;
    options.resident_interval_seconds = options.interval_seconds;
    std::string error;
    if (capture_.open(*path, options, &error)) {
        capturing_ = true;
    } else {
        fmt::print(stderr, "nebula-demo: {}\n", error);
    }
}

void DemoSession::finish_capture() {
    if (!capturing_) {
        return;
    }
    capturing_ = false;
    if (capture_.close() && capture_.error().empty()) {
        fmt::print("nebula-demo: wrote the memory capture {} ({} rows)\n", capture_.path(),
                   capture_.rows_written());
    } else {
        // Logged on "nebula.memory" when it happened; this line stands beside the summary.
        fmt::print(stderr, "nebula-demo: {} (after {} rows)\n", capture_.error(),
                   capture_.rows_written());
    }
    std::fflush(stdout);
}

DemoSession::~DemoSession() {
    for (const nebula::debug::PressureCallbackId id : pressure_callbacks_) {
        budget_.remove_pressure_callback(id);
    }
}

void DemoSession::advance(double seconds) {
    world_.update(seconds);
    const auto reporting_start = std::chrono::steady_clock::now();
    world_.report(budget_);
    budget_.end_frame();
    leak_watch_.check(budget_);
    const auto capture_start = std::chrono::steady_clock::now();
    const double reporting_seconds =
        std::chrono::duration<double>(capture_start - reporting_start).count();
    summary_.reporting_seconds += reporting_seconds;
    summary_.reporting_us.push_back(static_cast<float>(reporting_seconds * 1e6));
    if (capturing_) {
        capture_.sample(budget_, seconds);
        summary_.capture_seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - capture_start).count();
    }
    ++summary_.frames;
    summary_.simulated_seconds = seconds;
    summary_.peak_tracked_total = std::max(summary_.peak_tracked_total, budget_.total_current());
    summary_.leak_warnings = leak_watch_.warnings_logged();
}

}  // namespace nebula::demo
