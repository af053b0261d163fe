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

DemoSession::~DemoSession() {
    for (const nebula::debug::PressureCallbackId id : pressure_callbacks_) {
        budget_.remove_pressure_callback(id);
    }
}

void DemoSession::advance(double seconds) {
    world_.update(seconds);
    const auto reporting_start = std::chrono::steady_clock::now();
    world_.report(budget_);
    leak_watch_.check(budget_);
    summary_.reporting_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - reporting_start).count();
    ++summary_.frames;
    summary_.simulated_seconds = seconds;
    summary_.peak_tracked_total = std::max(summary_.peak_tracked_total, budget_.total_current());
    summary_.leak_warnings = leak_watch_.warnings_logged();
}

}  // namespace nebula::demo
