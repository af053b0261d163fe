#include "terminal_table.hpp"

#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;

constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::size_t kBarWidth = 20;
constexpr int kMemoryWidth = 10;  // "1023.9 MB", "+1023.9 MB"

std::string usage_bar(double fraction) {
    const auto filled = static_cast<std::size_t>(std::clamp(fraction, 0.0, 1.0) * kBarWidth + 0.5);
    std::string bar = "[";
    bar.append(filled, '#');
    bar.append(kBarWidth - filled, '.');
    bar += ']';
    return bar;
}

std::string signed_memory(std::int64_t bytes) {
    const auto magnitude = static_cast<std::size_t>(bytes < 0 ? -bytes : bytes);
    std::string text = bytes < 0 ? "-" : "+";
    text += nd::format_memory(magnitude);
    return text;
}

}  // namespace

std::string resident_line(const nd::ResidentBreakdown& resident, std::size_t tracked_bytes,
                          bool tracking) {
    if (resident.resident_bytes == 0) {
        return "Resident: N/A";
    }
    std::string text = fmt::format("Resident {} = ", nd::format_memory(resident.resident_bytes));
    auto out = std::back_inserter(text);
    if (tracking) {
        // Requested bytes, some perhaps not resident yet: at most the heap they live in.
        const std::size_t tracked = std::min(tracked_bytes, resident.heap_bytes);
        fmt::format_to(out, "tracked {} + allocator overhead {}", nd::format_memory(tracked),
                       nd::format_memory(resident.heap_bytes - tracked));
    } else {
        fmt::format_to(out, "heap {}", nd::format_memory(resident.heap_bytes));
    }
    const std::size_t unattributed = resident.other_anonymous_bytes + resident.other_bytes;
    fmt::format_to(
        out,
        " + code {} + mapped files {} + stacks {} + GPU {} + other {} "
        "({:.1f}% unattributed)",
        nd::format_memory(resident.code_bytes), nd::format_memory(resident.file_bytes),
        nd::format_memory(resident.stack_bytes), nd::format_memory(resident.gpu_bytes),
        nd::format_memory(unattributed),
        100.0 * static_cast<double>(unattributed) / static_cast<double>(resident.resident_bytes));
    return text;
}

std::string memory_table(const nd::MemoryBudget& budget, bool color,
                         const nd::LeakWatch* leak_watch) {
    const bool tracking = nd::tracking_allocator_enabled();
    const std::vector<std::pair<std::string, nd::SubsystemMemory>> rows = budget.subsystems();
    // The Untagged row: the allocator's bytes outside every subsystem's tag.
    const bool untagged_row =
        tracking && std::none_of(rows.begin(), rows.end(),
                                 [](const auto& row) { return row.first == nd::kUntaggedName; });
    std::size_t name_width = std::string_view("Subsystem").size();
    if (untagged_row) {
        name_width = std::max(name_width, nd::kUntaggedName.size());
    }
    for (const auto& [name, memory] : rows) {
        name_width = std::max(name_width, name.size());
    }

    std::string text;
    auto out = std::back_inserter(text);
    if (tracking) {
        const nd::AllocatorStats global = nd::allocator_stats();
        fmt::format_to(out, "Global: {}  Peak: {}  Live allocs: {}\n",
                       nd::format_memory(global.allocated_bytes),
                       nd::format_memory(global.peak_allocated_bytes), global.live_allocations());
    }
    fmt::format_to(out, "{:<{}}  {:>{}}", "Subsystem", name_width, "Current", kMemoryWidth);
    if (tracking) {
        fmt::format_to(out, "  {:>{}}  {:>{}}", "Allocator", kMemoryWidth, "Gap", kMemoryWidth);
    }
    fmt::format_to(out, "  {:>{}}  {:>{}}  Usage\n", "Peak", kMemoryWidth, "Budget", kMemoryWidth);

    for (const auto& [name, memory] : rows) {
        const bool over = budget.is_over_budget(name);
        if (over && color) {
            text += kRed;
        }
        fmt::format_to(out, "{:<{}}  {:>{}}", name, name_width,
                       nd::format_memory(memory.current_bytes), kMemoryWidth);
        if (tracking) {
            nd::MemoryTag tag;
            if (nd::find_memory_tag(name, tag)) {
                const std::size_t held = nd::allocator_stats(tag).allocated_bytes;
                // The gap counts the tag's GPU bytes as held too, as the panel's does.
                const std::size_t gpu = nd::gpu_stats(tag).allocated_bytes;
                fmt::format_to(out, "  {:>{}}  {:>{}}", nd::format_memory(held), kMemoryWidth,
                               signed_memory(static_cast<std::int64_t>(held + gpu) -
                                             static_cast<std::int64_t>(memory.current_bytes)),
                               kMemoryWidth);
            } else {
                fmt::format_to(out, "  {:>{}}  {:>{}}", "-", kMemoryWidth, "-", kMemoryWidth);
            }
        }
        const double fraction = memory.budget_bytes > 0
                                    ? static_cast<double>(memory.current_bytes) /
                                          static_cast<double>(memory.budget_bytes)
                                    : 0.0;
        fmt::format_to(out, "  {:>{}}  {:>{}}  {} {:>6.1f}%", nd::format_memory(memory.peak_bytes),
                       kMemoryWidth,
                       memory.budget_bytes > 0 ? nd::format_memory(memory.budget_bytes) : "N/A",
                       kMemoryWidth, usage_bar(fraction), fraction * 100.0);
        if (over) {
            text += "  over threshold";
        }
        if (leak_watch != nullptr && leak_watch->is_suspect(name)) {
            fmt::format_to(out, "  leak? gap over {}",
                           nd::format_memory(leak_watch->gap_threshold()));
        }
        if (over && color) {
            text += kReset;
        }
        text += '\n';
    }

    if (untagged_row) {
        fmt::format_to(out, "{:<{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}\n", nd::kUntaggedName,
                       name_width, "-", kMemoryWidth,
                       nd::format_memory(nd::allocator_stats(nd::kUntagged).allocated_bytes),
                       kMemoryWidth, "-", kMemoryWidth, "-", kMemoryWidth, "-", kMemoryWidth);
    }

    const std::size_t total_budget = budget.total_budget();
    fmt::format_to(out, "Tracked Total: {}  /  Budget: {}\n",
                   nd::format_memory(budget.total_current()),
                   total_budget > 0 ? nd::format_memory(total_budget) : "N/A");
    text +=
        resident_line(nd::resident_breakdown(), nd::allocator_stats().allocated_bytes, tracking);
    if (tracking) {
        fmt::format_to(out, "\nTracking overhead: {}",
                       nd::format_memory(nd::tracking_overhead_bytes()));
    }
    text += '\n';
    return text;
}

std::string summary_text(const RunSummary& summary, const nd::MemoryBudget& budget) {
    std::string text;
    auto out = std::back_inserter(text);
    const double per_frame_ms =
        summary.frames > 0 ? summary.wall_seconds * 1000.0 / static_cast<double>(summary.frames)
                           : 0.0;
    fmt::format_to(out,
                   "Summary: scenario {}, {} frames, {:.1f} s simulated in {:.2f} s "
                   "({:.2f} ms/frame)\n",
                   summary.scenario, summary.frames, summary.simulated_seconds,
                   summary.wall_seconds, per_frame_ms);
    const double reporting_us =
        summary.frames > 0 ? summary.reporting_seconds * 1e6 / static_cast<double>(summary.frames)
                           : 0.0;
    if (summary.reporting_us.empty()) {
        fmt::format_to(
            out, "  Memory reporting: {:.1f} us/frame (reporters, budget, end_frame, leak watch)\n",
            reporting_us);
    } else {
        std::vector<float> sorted = summary.reporting_us;
        const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
        std::nth_element(sorted.begin(), middle, sorted.end());
        fmt::format_to(out,
                       "  Memory reporting: {:.1f} us/frame median, {:.1f} mean (reporters, "
                       "budget, end_frame, leak watch)\n",
                       *middle, reporting_us);
    }
    if (summary.capture_seconds > 0.0) {
        // Apart: the resident breakdown it reads once a second (about a millisecond) is not what
        // a frame's reporting costs, and averaged in it read as 15-20 us a frame.
        fmt::format_to(out,
                       "  Capture: {:.1f} us/frame (a CSV row and the resident breakdown once a "
                       "second)\n",
                       summary.capture_seconds * 1e6 / static_cast<double>(summary.frames));
    }
    const std::size_t total_budget = budget.total_budget();
    fmt::format_to(out, "  Peak tracked total: {} / {}\n",
                   nd::format_memory(summary.peak_tracked_total),
                   total_budget > 0 ? nd::format_memory(total_budget) : "N/A");
    for (const auto& [name, memory] : budget.subsystems()) {
        fmt::format_to(out, "  {:<10} peak {:>10}", name, nd::format_memory(memory.peak_bytes));
        if (memory.budget_bytes > 0) {
            fmt::format_to(out, " = {:>5.1f}% of {}",
                           100.0 * static_cast<double>(memory.peak_bytes) /
                               static_cast<double>(memory.budget_bytes),
                           nd::format_memory(memory.budget_bytes));
        }
        const auto crossings = summary.threshold_crossings.find(name);
        if (crossings != summary.threshold_crossings.end() && crossings->second > 0) {
            fmt::format_to(out, ", crossed its warning threshold {} time{}", crossings->second,
                           crossings->second == 1 ? "" : "s");
        }
        text += '\n';
    }
    if (nd::tracking_allocator_enabled()) {
        const nd::AllocatorStats global = nd::allocator_stats();
        fmt::format_to(out, "  Allocator: peak {}, {} allocations, {} live now\n",
                       nd::format_memory(global.peak_allocated_bytes), global.allocation_count,
                       global.live_allocations());
        fmt::format_to(out, "  Leak warnings: {}\n", summary.leak_warnings);
    }
    return text;
}

std::string sites_table(const nd::MemoryBudget& budget, std::size_t sites_per_tag) {
    if (!nd::tracking_allocator_enabled()) {
        return "Allocation sites: none, memory tracking is compiled out\n";
    }
    if (nd::sampling_interval() == 0) {
        return "Allocation sites: none, sampling is off (NEBULA_SAMPLING_INTERVAL=0)\n";
    }
    std::vector<std::string> tags;
    budget.for_each_subsystem(
        [&](std::string_view name, const nd::SubsystemMemory&, bool) { tags.emplace_back(name); });
    tags.emplace_back(nd::memory_tag_name(nd::kUntagged));
    std::string text = fmt::format("Allocation sites (live, sampled every {}):\n",
                                   nd::format_memory(nd::sampling_interval()));
    for (const std::string& tag : tags) {
        const std::vector<nd::AllocationSite> sites = nd::live_allocation_sites(tag, sites_per_tag);
        if (sites.empty()) {
            text += fmt::format("  {:<10}  -\n", tag);
            continue;
        }
        for (const nd::AllocationSite& site : sites) {
            text += fmt::format("  {:<10} {:>10}  +-{:>2}%  {:>7} allocs  {}\n", tag,
                                nd::format_memory(site.live_bytes),
                                std::lround(100 * nd::estimate_error(site)), site.live_allocations,
                                nd::site_summary(site));
        }
    }
    return text;
}

}  // namespace nebula::demo
