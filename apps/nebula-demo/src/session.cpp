#include "session.hpp"

#include <algorithm>
#include <string>

namespace nebula::demo {

DemoSession::DemoSession(nebula::debug::MemoryBudget& budget) : budget_(budget) {
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
    workload_.update(seconds);
    workload_.report(budget_);
    ++summary_.frames;
    summary_.simulated_seconds = seconds;
    summary_.peak_tracked_total = std::max(summary_.peak_tracked_total, budget_.total_current());
}

}  // namespace nebula::demo
