#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "panel_context.hpp"

namespace nebula::debug::imgui::detail {
namespace {

// MemoryBudget::warning_threshold_bytes() takes the budget's lock: asked again only when a budget
// or the threshold changed, not three times per row every frame.
void refresh_thresholds(const MemoryBudget& budget, MemoryPanelRow& row,
                        const SubsystemMemory& memory, bool threshold_changed) {
    if (threshold_changed || memory.budget_bytes != row.memory.budget_bytes) {
        row.warning_threshold_bytes = budget.warning_threshold_bytes(memory.budget_bytes);
    }
    if (threshold_changed || memory.gpu_budget_bytes != row.memory.gpu_budget_bytes) {
        row.gpu_warning_threshold_bytes = budget.warning_threshold_bytes(memory.gpu_budget_bytes);
    }
    if (threshold_changed || memory.churn_budget != row.memory.churn_budget) {
        row.churn_warning_threshold = budget.warning_threshold_bytes(memory.churn_budget);
    }
}

}  // namespace

bool LiveModelReader::read(const MemoryBudget& budget, MemoryPanelModel& model, double now,
                           bool read_gpu_device) {
    const bool tracking = tracking_allocator_enabled();
    model.tracking = tracking;
    const bool rows_changed = budget_rows_.refresh(budget);
    const std::vector<BudgetRow>& rows = budget_rows_.rows();
    if (rows_changed) {
        model.rows.resize(rows.size());
        tags_.assign(rows.size(), MemoryTag{});
        for (std::size_t i = 0; i < rows.size(); ++i) {
            model.rows[i] = MemoryPanelRow{};
            model.rows[i].name = rows[i].name;
        }
    }
    const float threshold = budget.warning_threshold();
    const bool threshold_changed = rows_changed || threshold != model.warning_threshold;
    model.warning_threshold = threshold;
    model.total_budget_bytes = budget.total_budget();
    model.tracked_total_bytes = budget_rows_.total_current();

    fold_tags_.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        MemoryPanelRow& row = model.rows[i];
        refresh_thresholds(budget, row, rows[i].memory, threshold_changed);
        row.memory = rows[i].memory;
        row.over_budget = rows[i].over_budget;
        if (tracking && !row.has_tag) {
            row.has_tag = find_memory_tag(row.name, tags_[i]);
        }
        if (row.has_tag) {
            fold_tags_.push_back(tags_[i]);
            row.gpu = gpu_stats(tags_[i]);
        }
    }
    if (tracking) {
        // One fold of every thread's counters for all the rows, rather than one per row: with 32
        // rows the per-row reads were most of the panel's frame.
        fold_tags_.push_back(kUntagged);
        fold_stats_.resize(fold_tags_.size());
        allocator_stats(fold_tags_, fold_stats_);
        std::size_t folded = 0;
        for (MemoryPanelRow& row : model.rows) {
            if (row.has_tag) {
                row.allocator = fold_stats_[folded++];
            }
        }
        model.untagged = fold_stats_[folded];
        model.untagged_gpu = gpu_stats(kUntagged);
        model.allocator = allocator_stats();
        model.tracking_overhead_bytes = tracking_overhead_bytes();
    }
    model.gpu = gpu_stats();
    model.sampling_interval = tracking ? sampling_interval() : 0;

    model.gpu_device_read = read_gpu_device;
    if (read_gpu_device &&
        (gpu_device_read_at_ < 0.0 || now - gpu_device_read_at_ >= kGpuDeviceRefreshSeconds)) {
        // May connect to the X server: about a millisecond.
        gpu_device_read_at_ = now;
        model.gpu_device = gpu_device_memory();
    }
    if (resident_read_at_ >= 0.0 && now - resident_read_at_ < kResidentRefreshSeconds) {
        return false;
    }
    resident_read_at_ = now;
    model.resident = resident_breakdown();
    model.heap_recognition = model.resident.heap_recognition;
    model.sampling = sampling_stats();
    return true;
}

}  // namespace nebula::debug::imgui::detail
