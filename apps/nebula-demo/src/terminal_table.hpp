// The "Memory Usage" panel as plain text, for terminals and logs.
#pragma once

#include <nebula/debug/memory_tracking.hpp>

#include <cstddef>
#include <map>
#include <string>

namespace nebula::demo {

// The panel's columns (Subsystem, Current, Allocator and Gap when tracking is compiled in, Peak,
// Budget, Usage as a text bar), the allocator's global line above and the totals below.
// With `color`, rows over their warning threshold are red (ANSI escapes).
std::string memory_table(const nebula::debug::MemoryBudget& budget, bool color);

struct RunSummary {
    long frames = 0;
    double simulated_seconds = 0.0;
    double wall_seconds = 0.0;
    std::size_t peak_tracked_total = 0;
    std::map<std::string, int> threshold_crossings;  // subsystem -> times it crossed upwards
};

std::string summary_text(const RunSummary& summary, const nebula::debug::MemoryBudget& budget);

}  // namespace nebula::demo
