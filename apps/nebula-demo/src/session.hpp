// One run of the demo, whatever shows it: the workload, the budget it reports to, and the
// numbers for the summary at exit.
#pragma once

#include "terminal_table.hpp"
#include "workload.hpp"

#include <nebula/debug/memory_tracking.hpp>

#include <vector>

namespace nebula::demo {

inline constexpr double kFramesPerSecond = 60.0;  // the fixed step of headless and screenshot runs

class DemoSession {
public:
    // Counts each subsystem's threshold crossings through the budget's pressure callbacks.
    explicit DemoSession(nebula::debug::MemoryBudget& budget);
    ~DemoSession();
    DemoSession(const DemoSession&) = delete;
    DemoSession& operator=(const DemoSession&) = delete;

    // One frame: the workload moves to `seconds` of simulated time and reports to the budget.
    void advance(double seconds);

    const Workload& workload() const { return workload_; }
    nebula::debug::MemoryBudget& budget() { return budget_; }
    RunSummary& summary() { return summary_; }

private:
    nebula::debug::MemoryBudget& budget_;
    Workload workload_;
    RunSummary summary_;
    std::vector<nebula::debug::PressureCallbackId> pressure_callbacks_;
};

}  // namespace nebula::demo
