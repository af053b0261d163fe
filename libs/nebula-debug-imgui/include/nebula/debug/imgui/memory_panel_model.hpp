// What one frame of the "Memory Usage" panel shows, as plain data: the rows, the footer's
// figures and the allocation sites. draw_memory_panel(budget, ...) fills one from this process
// every frame; a model read from elsewhere (a snapshot document, a capture, a program's
// /snapshot.json endpoint: nebula-viewer) is drawn by the same code through
// draw_memory_panel(model, ...).
//
//     nebula::debug::imgui::MemoryPanelModel model;   // filled by the caller, e.g. with
//                                                      // model_files.hpp's readers
//     // every frame:
//     history.sample(model, ImGui::GetTime());
//     nebula::debug::imgui::draw_memory_panel(model, panel, &history);
#pragma once

#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nebula::debug::imgui {

// One subsystem's row. The thresholds are MemoryBudget::warning_threshold_bytes() of its three
// budgets, computed by the budget that owns them (0 where the budget is 0).
struct MemoryPanelRow {
    std::string name;
    SubsystemMemory memory;
    bool over_budget = false;  // MemoryBudget::is_over_budget()
    std::size_t warning_threshold_bytes = 0;
    std::size_t gpu_warning_threshold_bytes = 0;
    std::size_t churn_warning_threshold = 0;
    bool has_tag = false;      // the tag of its name exists: the allocator's view below is real
    AllocatorStats allocator;  // what the tracking allocator holds under that tag
    GpuStats gpu;              // and track_gpu_allocation under it
};

struct MemoryPanelModel {
    std::vector<MemoryPanelRow> rows;  // sorted by name
    std::size_t tracked_total_bytes = 0;
    std::size_t total_budget_bytes = 0;  // 0: none
    float warning_threshold = 0.85f;

    bool tracking = false;     // tracking_allocator_enabled() of the program the model is of
    AllocatorStats allocator;  // the whole process
    AllocatorStats untagged;   // outside every tag (the Untagged row)
    GpuStats untagged_gpu;
    std::size_t tracking_overhead_bytes = 0;
    SamplingStats sampling;

    ResidentBreakdown resident;    // resident_bytes 0: unknown
    std::string heap_recognition;  // ResidentBreakdown::heap_recognition, kept as text
    GpuStats gpu;                  // every tag's GPU bytes
    bool gpu_device_read = true;   // false: the GPU line says "not read"
    GpuDeviceMemory gpu_device;

    std::size_t sampling_interval = 0;  // 0: sampling off
    // The top live sites of each tag, largest first within a tag (the Sites pane filters by tag).
    std::vector<AllocationSite> sites;

    // Shown above the table when not empty, in the warning colour: e.g. why the data is stale.
    std::string status;
};

}  // namespace nebula::debug::imgui
