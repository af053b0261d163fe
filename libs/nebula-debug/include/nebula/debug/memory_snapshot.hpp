// A snapshot of everything the tracker knows, as one JSON document: what a build gate or a
// regression report reads (tools/nebula-memreport check, nebula-demo --snapshot).
#pragma once

#include <nebula/debug/memory_budget.hpp>

#include <cstddef>
#include <string>

namespace nebula::debug {

inline constexpr std::size_t kSnapshotSites = 20;

// Writes `budget`'s subsystems, the allocator's statistics and the process's resident memory to
// `path` as JSON (UTF-8, replacing the file):
//
//   {"subsystems": [{"name", "current_bytes", "peak_bytes", "budget_bytes", "allocator_bytes",
//                    "allocation_count", "gpu_bytes", "gpu_peak_bytes", "gpu_budget_bytes",
//                    "frame_allocations", "frame_allocated_bytes", "churn_budget",
//                    "warning_threshold_bytes", "gpu_warning_threshold_bytes",
//                    "churn_warning_threshold",   MemoryBudget::warning_threshold_bytes() of the
//                                                 three budgets (0 for no budget)
//                    "tagged",                    whether the tag of its name exists
//                    "allocator": {"allocated_bytes", "peak_allocated_bytes",
//                                  "allocation_count", "deallocation_count"},   the tag's
//                    "gpu": {the same four},                                    and its GPU's
//                   }, ...],
//                                                         sorted by name; allocator_bytes and
//                                                         gpu_bytes are what the allocator and
//                                                         track_gpu_allocation hold under the tag
//                                                         of the subsystem's name (0 when none);
//                                                         frame_* the last end_frame()'s churn
//    "tracked_total_bytes", "tracked_peak_bytes",          the budget's total_current() and
//                                                         total_peak()
//    "total_budget_bytes", "total_warning_threshold_bytes",  where the total starts to warn:
//                                                         its budget itself
//    "warning_threshold",
//    "allocator": {"tracking_enabled", "allocated_bytes", "peak_allocated_bytes",
//                  "allocation_count", "deallocation_count", "untagged_bytes",
//                  "tracking_overhead_bytes",
//                  "tags": [{"name", "allocated_bytes", "peak_allocated_bytes",
//                            "allocation_count", "deallocation_count"}, ...]},
//                                                         every registered tag, Untagged first,
//                                                         in registration order (empty without
//                                                         tracking)
//    "resident": {every ResidentBreakdown field by name: "resident_bytes", "heap_bytes", ...,
//                 "heap_allocator": its name ("glibc", "jemalloc", ...), "heap_recognition"},
//    "gpu": {"allocated_bytes", "peak_allocated_bytes", "allocation_count",
//            "deallocation_count", "unknown_free_count",   gpu_stats() and unknown frees
//            "untagged": {the same four for the Untagged tag},
//            "device": {"source", "device", "total_bytes", "used_bytes", "budget_bytes",
//                       "available_bytes"}},               gpu_device_memory(); source "" when
//                                                         no driver source answers
//    "sampling_interval",                                  sampling_interval(); 0: off
//    "sites": [{"tag", "function", "live_bytes", "live_allocations", "allocated_bytes",
//               "live_samples", "frames", "lines", "system_frames"}, ...],
//                                                         the top kSnapshotSites live allocation
//                                                         sites (allocation_sites.hpp), largest
//                                                         first; "function" is site_function()
//                                                         (empty without tracking or sampling)
//    "tag_sites": [{"tag", "sites": [as above]}, ...],    the top kSnapshotSites of Untagged and
//                                                         of every subsystem with a tag (what a
//                                                         viewer's Sites pane lists)
//    "sampling": {"samples_recorded", "live_samples", "samples_dropped", "sites",
//                 "sites_evicted", "table_bytes"}}         sampling_stats()
//
// Returns false, with a message naming the path and the reason in `*error` (when not null), if
// the file cannot be written; nothing else is affected. Allocates: not for every frame.
bool write_memory_snapshot(const MemoryBudget& budget, const std::string& path,
                           std::string* error = nullptr);

// The same document as a string (two-space indentation).
std::string memory_snapshot_json(const MemoryBudget& budget);

}  // namespace nebula::debug
