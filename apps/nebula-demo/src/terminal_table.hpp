// The "Memory Usage" panel as plain text, for terminals and logs.
#pragma once

#include <nebula/debug/leak_watch.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/process_memory.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace nebula::demo {

// The panel's columns (Subsystem, Current, Allocator and Gap when tracking is compiled in, Peak,
// Budget, Usage as a text bar), the allocator's global line above, and below: the Untagged row
// (the allocator's bytes outside every tag, with tracking), the totals, the resident line
// (resident_line below) and what the tracking costs.
// With `color`, rows over their warning threshold are red (ANSI escapes). With a leak watch, rows
// whose allocator gap is past its threshold are marked "leak?".
std::string memory_table(const nebula::debug::MemoryBudget& budget, bool color,
                         const nebula::debug::LeakWatch* leak_watch = nullptr);

// "Resident 156.0 MB = tracked A + allocator overhead B + code C + mapped files D + stacks E +
// GPU F + other G (P% unattributed)": the process's resident memory as resident_breakdown() splits
// it, the heap split into what the tracker counts (`tracked_bytes`, at most the heap) and the
// rest; "heap A" without tracking. Other is other_anonymous + other, P its share of resident.
std::string resident_line(const nebula::debug::ResidentBreakdown& resident,
                          std::size_t tracked_bytes, bool tracking);

// Each subsystem's (and Untagged's) top `sites_per_tag` live allocation sites, as sampled:
// "Meshes  7.9 MB  +-6%  1180 allocs  build_chunk_mesh(...) <- MeshStore::build_pending(...)".
// One line saying why when tracking or sampling is off.
std::string sites_table(const nebula::debug::MemoryBudget& budget, std::size_t sites_per_tag = 3);

struct RunSummary {
    std::string scenario;
    long frames = 0;
    double simulated_seconds = 0.0;
    double wall_seconds = 0.0;
    double reporting_seconds = 0.0;  // in the reporters, the budget, end_frame and the leak watch
    // Each frame's reporting time: on a loaded machine a preemption inside one frame's reporting
    // moves the mean by microseconds, so the summary gives the median beside it.
    std::vector<float> reporting_us;
    // In the capture's sample() (--capture): a CSV row and the resident breakdown, once a second.
    double capture_seconds = 0.0;
    std::size_t peak_tracked_total = 0;
    std::size_t leak_warnings = 0;
    std::map<std::string, int> threshold_crossings;  // subsystem -> times it crossed upwards
};

std::string summary_text(const RunSummary& summary, const nebula::debug::MemoryBudget& budget);

}  // namespace nebula::demo
