#include <nebula/debug/imgui/memory_panel.hpp>

#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "budget_rows.hpp"
#include "panel_mark.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string_view>

namespace nebula::debug::imgui {
namespace detail {

inline constexpr std::size_t kUnresolvedHistoryRow = std::numeric_limits<std::size_t>::max();

// What the panel adds to a budget row: the allocator's view of the subsystem's tag, and where the
// row's history is. Kept parallel to BudgetRowCache::rows().
struct PanelRow {
    MemoryTag tag;
    bool has_tag = false;
    AllocatorStats tag_stats;
    GpuStats gpu_stats;
    std::size_t history_row = kUnresolvedHistoryRow;
};

// One site of the Sites pane, formatted when the sites are read so that frames only draw it.
struct SiteLine {
    std::string function;  // site_function(): the first frame that is the program's own code
    std::string details;   // its tooltip: the estimates and the whole stack, innermost first
    char live[16] = {};
    char count[24] = {};
    char error[16] = {};
};

// The selected tag's sites as last read (live_allocation_sites() allocates and symbolises, so
// it is read every kSitesRefreshSeconds, not every frame).
struct SitesPane {
    std::string tag;                // the selection the lines were read for
    double read_at = -1.0;          // negative: read at the next frame
    const char* message = nullptr;  // shown instead of the table: why there are no lines
    std::vector<SiteLine> lines;
    bool since_mark = false;  // the lines are sites grown since the mark, not the largest
    char title[160] = {};
    float table_height = 0.0f;  // laid out each frame, before the subsystems' table takes its room
};

struct PanelCache {
    BudgetRowCache budget_rows;
    std::vector<PanelRow> panel_rows;
    std::vector<int> display_order;  // indices into the rows, in the table's sort order
    const MemoryHistory* history = nullptr;
    std::vector<ImVec2> history_points;  // one graph's points, reserved for a full window
    // The process's resident memory and the allocator's totals, read together a few times a
    // second (resident_breakdown() walks every mapping of the process), and the line they make.
    ResidentBreakdown resident;
    AllocatorStats allocator;
    double resident_read_at = -1.0;
    AllocatorStats untagged;  // the Untagged row's, read every frame like the subsystems' tags
    GpuStats untagged_gpu;
    // The tags read each frame (the rows' and Untagged, last) and what one fold gave for them.
    std::vector<MemoryTag> fold_tags;
    std::vector<AllocatorStats> fold_stats;
    // The driver's view, read every kGpuDeviceRefreshSeconds, and the line it makes.
    double gpu_device_read_at = -1.0;
    GpuDeviceMemory gpu_device;
    char gpu_line[256] = {};
    char resident_line[320] = {};
    SitesPane sites;
    PanelMark mark;
};

}  // namespace detail

namespace {

using detail::BudgetRow;
using detail::PanelCache;
using detail::PanelMark;
using detail::PanelRow;

enum Column : int {
    kSubsystem,
    kCurrent,
    kAllocator,
    kGap,
    kPeak,
    kBudget,
    kUsage,
    kSinceMark,
    kHistory,
    kGpu,
    kChurn
};

struct ColumnSpec {
    const char* label;
    const char* tooltip;
    ImGuiTableColumnFlags flags;
    const char* widest_value;  // sizes fixed-width columns; null for the stretching ones
};

constexpr ImGuiTableColumnFlags kNumber =
    ImGuiTableColumnFlags_WidthFixed | ImGuiTableColumnFlags_PreferSortDescending;

constexpr ColumnSpec kColumns[] = {
    {"Subsystem",
     "What each subsystem reports to MemoryBudget.\nRed: past the warning threshold of its budget.",
     ImGuiTableColumnFlags_WidthFixed | ImGuiTableColumnFlags_DefaultSort |
         ImGuiTableColumnFlags_NoHide,
     nullptr},
    {"Current", "Bytes the subsystem reports now.", kNumber, "1023.9 MB"},
    {"Allocator",
     "Bytes the tracking allocator holds under the subsystem's tag\n"
     "(allocations made inside nebula::debug::MemoryScope(\"<subsystem>\")).",
     kNumber, "1023.9 MB"},
    {"Gap",
     "Allocator plus GPU minus Current. Container slack keeps a steady gap;\n"
     "a gap that keeps growing is memory the subsystem no longer counts: a leak.\n"
     "Negative: the subsystem reports memory neither the allocator nor the GPU tracking holds.",
     kNumber, "+1023.9 MB"},
    {"Peak", "Highest Current since the start or the last \"Reset peaks\".", kNumber, "1023.9 MB"},
    {"Budget", "The subsystem's budget; N/A when it has none.", kNumber, "1023.9 MB"},
    {"Usage", "Current / Budget.", ImGuiTableColumnFlags_WidthStretch, nullptr},
    {"Since mark",
     "Growth since \"Mark\" was pressed: of Allocator where the subsystem has a tag\n"
     "(exact; what a leak grows), of Current otherwise.",
     kNumber | ImGuiTableColumnFlags_NoSort, "+1023.9 MB"},
    {"History", "Current over time: pass a MemoryHistory to draw_memory_panel() to fill it.",
     ImGuiTableColumnFlags_WidthStretch | ImGuiTableColumnFlags_NoSort, nullptr},
    {"GPU",
     "GPU bytes the engine tracks under the subsystem's tag "
     "(nebula::debug::track_gpu_allocation).\n"
     "Red: past the warning threshold of its GPU budget.",
     kNumber, "1023.9 MB"},
    {"Allocs/frame",
     "Heap allocations under the subsystem's tag in the last frame, on every thread\n"
     "(MemoryBudget::end_frame() counts them). Red: past the threshold of its churn budget.",
     kNumber, "Allocs/frame"},
};
constexpr int kColumnCount = static_cast<int>(std::size(kColumns));
constexpr float kMinStretchColumnWidth = 90.0f;

// What the tracker holds for the tag, heap and GPU, minus what the subsystem reports: a texture
// manager that reports its device memory has no gap for it.
std::int64_t gap_bytes(const BudgetRow& row, const PanelRow& panel_row) {
    return static_cast<std::int64_t>(panel_row.tag_stats.allocated_bytes +
                                     panel_row.gpu_stats.allocated_bytes) -
           static_cast<std::int64_t>(row.memory.current_bytes);
}

double usage_fraction(const SubsystemMemory& memory) {
    if (memory.budget_bytes == 0) {
        return 0.0;
    }
    return static_cast<double>(memory.current_bytes) / static_cast<double>(memory.budget_bytes);
}

// Rows whose tag never allocated sort as the lowest values of the Allocator and Gap columns.
double sort_value(int column, const BudgetRow& row, const PanelRow& panel_row) {
    constexpr double kNoTag = -std::numeric_limits<double>::infinity();
    switch (column) {
        case kCurrent:
            return static_cast<double>(row.memory.current_bytes);
        case kAllocator:
            return panel_row.has_tag ? static_cast<double>(panel_row.tag_stats.allocated_bytes)
                                     : kNoTag;
        case kGap:
            return panel_row.has_tag ? static_cast<double>(gap_bytes(row, panel_row)) : kNoTag;
        case kPeak:
            return static_cast<double>(row.memory.peak_bytes);
        case kBudget:
            return static_cast<double>(row.memory.budget_bytes);
        case kUsage:
            return usage_fraction(row.memory);
        case kGpu:
            return static_cast<double>(panel_row.gpu_stats.allocated_bytes);
        case kChurn:
            return static_cast<double>(row.memory.frame_allocations);
        default:
            return 0.0;
    }
}

// Sorted every frame, not only when the sort specs change: the values move every frame.
void sort_rows(PanelCache& cache, int column, bool descending) {
    const std::vector<BudgetRow>& rows = cache.budget_rows.rows();
    std::sort(cache.display_order.begin(), cache.display_order.end(), [&](int a, int b) {
        if (column != kSubsystem) {
            const double value_a = sort_value(column, rows[a], cache.panel_rows[a]);
            const double value_b = sort_value(column, rows[b], cache.panel_rows[b]);
            if (value_a != value_b) {
                return descending ? value_a > value_b : value_a < value_b;
            }
        }
        const int by_name = rows[a].name.compare(rows[b].name);
        return column == kSubsystem && descending ? by_name > 0 : by_name < 0;
    });
}

void refresh(PanelCache& cache, const MemoryBudget& budget, const MemoryHistory* history,
             bool tracking) {
    if (cache.budget_rows.refresh(budget)) {
        const std::size_t row_count = cache.budget_rows.rows().size();
        cache.panel_rows.assign(row_count, PanelRow{});
        cache.display_order.resize(row_count);
        std::iota(cache.display_order.begin(), cache.display_order.end(), 0);
    }
    if (history != cache.history) {
        cache.history = history;
        if (history != nullptr) {
            cache.history_points.reserve(history->config().samples_per_window);
        }
        for (PanelRow& panel_row : cache.panel_rows) {
            panel_row.history_row = detail::kUnresolvedHistoryRow;
        }
    }
    const std::vector<BudgetRow>& rows = cache.budget_rows.rows();
    cache.fold_tags.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        PanelRow& panel_row = cache.panel_rows[i];
        if (tracking && !panel_row.has_tag) {
            panel_row.has_tag = find_memory_tag(rows[i].name, panel_row.tag);
        }
        if (panel_row.has_tag) {
            cache.fold_tags.push_back(panel_row.tag);
            panel_row.gpu_stats = gpu_stats(panel_row.tag);
        }
        if (history != nullptr && panel_row.history_row == detail::kUnresolvedHistoryRow) {
            panel_row.history_row =
                history->find(rows[i].name).value_or(detail::kUnresolvedHistoryRow);
        }
    }
    if (!tracking) {
        return;
    }
    // One fold of every thread's counters for all the rows, rather than one per row: with 32 rows
    // the per-row reads were most of the panel's frame.
    cache.fold_tags.push_back(kUntagged);
    cache.fold_stats.resize(cache.fold_tags.size());
    allocator_stats(cache.fold_tags, cache.fold_stats);
    std::size_t folded = 0;
    for (PanelRow& panel_row : cache.panel_rows) {
        if (panel_row.has_tag) {
            panel_row.tag_stats = cache.fold_stats[folded++];
        }
    }
    cache.untagged = cache.fold_stats[folded];
    cache.untagged_gpu = gpu_stats(kUntagged);
}

void right_aligned_text(const char* text) {
    const float width = ImGui::CalcTextSize(text).x;
    const float available = ImGui::GetContentRegionAvail().x;
    if (available > width) {
        ImGui::SetCursorPosX(ImGui::GetCursorPosX() + available - width);
    }
    ImGui::TextUnformatted(text);
}

void memory_cell(std::size_t bytes) {
    right_aligned_text(format_memory(bytes).c_str());
}

// The whole row is the click target, under the name drawn as text of its own: a Selectable's
// label would read "##" in a name as an ID. AllowItemOverlap keeps the cells' own tooltips.
void row_selectable(std::string& selected, std::string_view name) {
    constexpr ImGuiSelectableFlags kFlags =
        ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap;
    if (ImGui::Selectable("##select", selected == name, kFlags,
                          ImVec2(0.0f, ImGui::GetFrameHeight()))) {
        if (selected == name) {
            selected.clear();
        } else {
            selected.assign(name);
        }
    }
    ImGui::SameLine(0.0f, 0.0f);
}

void draw_name_cell(const MemoryBudget& budget, const BudgetRow& row, std::string& selected) {
    row_selectable(selected, row.name);
    ImGui::PushStyleColor(ImGuiCol_Text, row.over_budget ? kOverBudgetColor : kWithinBudgetColor);
    ImGui::TextUnformatted(row.name.c_str(), row.name.c_str() + row.name.size());
    ImGui::PopStyleColor();
    if (!ImGui::IsItemHovered()) {
        return;
    }
    const SubsystemMemory& memory = row.memory;
    if (memory.budget_bytes == 0) {
        ImGui::SetTooltip("%s: %zu allocations reported, no budget.", row.name.c_str(),
                          memory.allocation_count);
        return;
    }
    const float threshold = budget.warning_threshold();
    const auto threshold_bytes =
        static_cast<std::size_t>(static_cast<double>(memory.budget_bytes) * threshold);
    ImGui::SetTooltip("%s: %zu allocations reported.\nWarns above %s (%.0f%% of its budget).",
                      row.name.c_str(), memory.allocation_count,
                      format_memory(threshold_bytes).c_str(), threshold * 100.0f);
}

void draw_allocator_cells(const BudgetRow& row, const PanelRow& panel_row,
                          const LeakWatch* leak_watch) {
    if (ImGui::TableSetColumnIndex(kAllocator)) {
        if (panel_row.has_tag) {
            memory_cell(panel_row.tag_stats.allocated_bytes);
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("%zu live allocations under the tag \"%s\".",
                                  panel_row.tag_stats.live_allocations(), row.name.c_str());
            }
        } else {
            right_aligned_text("-");
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip(
                    "Nothing was allocated under the tag \"%s\" yet: wrap the subsystem's\n"
                    "allocations in nebula::debug::MemoryScope(\"%s\").",
                    row.name.c_str(), row.name.c_str());
            }
        }
    }
    if (ImGui::TableSetColumnIndex(kGap)) {
        if (!panel_row.has_tag) {
            right_aligned_text("-");
            return;
        }
        const std::int64_t gap = gap_bytes(row, panel_row);
        const auto magnitude = static_cast<std::size_t>(gap < 0 ? -gap : gap);
        char text[32];
        std::snprintf(text, sizeof text, "%s%s", gap < 0 ? "-" : "+",
                      format_memory(magnitude).c_str());
        const bool suspect = leak_watch != nullptr && leak_watch->is_suspect(row.name);
        if (!suspect) {
            right_aligned_text(text);
            if (gap < 0 && ImGui::IsItemHovered()) {
                ImGui::SetTooltip(
                    "\"%s\" reports %s more than the allocator holds under its tag: memory the\n"
                    "CPU allocator never held, such as GPU textures and buffers or mapped files.\n"
                    "Normal for such a subsystem; a leak shows as a growing positive gap.",
                    row.name.c_str(), format_memory(magnitude).c_str());
            }
            return;
        }
        ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, kLeakGapCellColor);
        ImGui::PushStyleColor(ImGuiCol_Text, kLeakGapTextColor);
        right_aligned_text(text);
        ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "The allocator holds %s more under \"%s\" than the subsystem reports:\n"
                "past the leak threshold of %s. Something it no longer counts is still allocated.",
                format_memory(magnitude).c_str(), row.name.c_str(),
                format_memory(leak_watch->gap_threshold()).c_str());
        }
    }
}

// One polyline per row rather than ImGui::PlotLines, which adds every segment as a line of its
// own: with 64 rows on screen that was most of the panel's cost.
void draw_history_cell(const MemoryHistory* history, const PanelRow& panel_row,
                       std::vector<ImVec2>& points) {
    if (history == nullptr || panel_row.history_row == detail::kUnresolvedHistoryRow) {
        return;
    }
    const HistorySeries series = history->series(panel_row.history_row);
    if (series.count < 2) {
        return;
    }
    const ImGuiStyle& style = ImGui::GetStyle();
    const ImVec2 size(std::max(ImGui::GetContentRegionAvail().x, 8.0f), ImGui::GetFrameHeight());
    const ImVec2 frame_min = ImGui::GetCursorScreenPos();
    const ImVec2 frame_max(frame_min.x + size.x, frame_min.y + size.y);
    ImGui::Dummy(size);
    if (!ImGui::IsItemVisible()) {
        return;
    }
    ImDrawList& draw_list = *ImGui::GetWindowDrawList();
    draw_list.AddRectFilled(frame_min, frame_max, ImGui::GetColorU32(ImGuiCol_FrameBg),
                            style.FrameRounding);

    const ImVec2 plot_min(frame_min.x + style.FramePadding.x, frame_min.y + style.FramePadding.y);
    const ImVec2 plot_max(frame_max.x - style.FramePadding.x, frame_max.y - style.FramePadding.y);
    // Headroom above the maximum keeps a flat series off the cell's top border.
    const float scale_max = std::max(series.max_mib * 1.15f, 1.0f / 1024.0f);
    const float step = (plot_max.x - plot_min.x) / static_cast<float>(series.count - 1);
    const auto value_at = [&](int i) {
        return series.values_mib[(series.offset + i) % series.count];
    };
    points.resize(static_cast<std::size_t>(series.count));
    for (int i = 0; i < series.count; ++i) {
        const float height = std::clamp(value_at(i) / scale_max, 0.0f, 1.0f);
        points[static_cast<std::size_t>(i)] =
            ImVec2(plot_min.x + step * static_cast<float>(i),
                   plot_max.y - height * (plot_max.y - plot_min.y));
    }
    draw_list.AddPolyline(points.data(), series.count, ImGui::GetColorU32(ImGuiCol_PlotLines),
                          ImDrawFlags_None, 1.0f);

    if (ImGui::IsItemHovered()) {
        const float along = (ImGui::GetIO().MousePos.x - plot_min.x) / step;
        const int sample = std::clamp(static_cast<int>(along + 0.5f), 0, series.count - 1);
        const double seconds_per_sample = history->config().window_seconds /
                                          static_cast<double>(history->config().samples_per_window);
        constexpr float kBytesPerMib = 1024.0f * 1024.0f;
        ImGui::SetTooltip(
            "%.1f s ago: %s\nHighest in the graph: %s",
            seconds_per_sample * (series.count - 1 - sample),
            format_memory(static_cast<std::size_t>(value_at(sample) * kBytesPerMib)).c_str(),
            format_memory(static_cast<std::size_t>(series.max_mib * kBytesPerMib)).c_str());
    }
}

// The row's growth since the mark, "-" without one.
void draw_since_mark_cell(const PanelMark& mark, const BudgetRow& row, const PanelRow& panel_row) {
    std::int64_t growth = 0;
    if (!mark.growth(row.name, row.memory.current_bytes,
                     panel_row.has_tag ? &panel_row.tag_stats : nullptr, growth)) {
        right_aligned_text("-");
        return;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%s%s",
                  growth > 0   ? "+"
                  : growth < 0 ? "-"
                               : "",
                  format_memory(static_cast<std::size_t>(std::abs(growth))).c_str());
    right_aligned_text(text);
}

void red_if(bool over, const char* text) {
    if (over) {
        ImGui::PushStyleColor(ImGuiCol_Text, kOverBudgetColor);
    }
    right_aligned_text(text);
    if (over) {
        ImGui::PopStyleColor();
    }
}

void draw_gpu_cell(const MemoryBudget& budget, const BudgetRow& row, const PanelRow& panel_row) {
    const GpuStats& gpu = panel_row.gpu_stats;
    const SubsystemMemory& memory = row.memory;
    if (gpu.allocation_count == 0 && memory.gpu_budget_bytes == 0) {
        right_aligned_text("-");
        return;
    }
    const bool over = memory.gpu_budget_bytes > 0 &&
                      gpu.allocated_bytes > budget.warning_threshold_bytes(memory.gpu_budget_bytes);
    red_if(over, format_memory(gpu.allocated_bytes).c_str());
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "%zu live GPU resources under \"%s\", peak %s.\nGPU budget: %s.",
            gpu.live_allocations(), row.name.c_str(),
            format_memory(gpu.peak_allocated_bytes).c_str(),
            memory.gpu_budget_bytes > 0 ? format_memory(memory.gpu_budget_bytes).c_str() : "none");
    }
}

void draw_churn_cell(const MemoryBudget& budget, const MemoryHistory* history, const BudgetRow& row,
                     const PanelRow& panel_row) {
    const SubsystemMemory& memory = row.memory;
    char text[24];
    std::snprintf(text, sizeof text, "%zu", memory.frame_allocations);
    const bool over =
        memory.churn_budget > 0 &&
        memory.frame_allocations > budget.warning_threshold_bytes(memory.churn_budget);
    red_if(over, text);
    if (!ImGui::IsItemHovered()) {
        return;
    }
    ImGui::BeginTooltip();
    ImGui::Text("%zu allocations, %s, in the last frame. Churn budget: ", memory.frame_allocations,
                format_memory(memory.frame_allocated_bytes).c_str());
    ImGui::SameLine(0.0f, 0.0f);
    if (memory.churn_budget > 0) {
        ImGui::Text("%zu a frame.", memory.churn_budget);
    } else {
        ImGui::TextUnformatted("none.");
    }
    if (history != nullptr && panel_row.history_row != detail::kUnresolvedHistoryRow) {
        const ChurnSeries series = history->churn_series(panel_row.history_row);
        if (series.count >= 2) {
            char label[64];
            std::snprintf(label, sizeof label, "last %.0f s, highest %.0f",
                          history->config().window_seconds,
                          static_cast<double>(series.max_allocations));
            ImGui::PlotLines("##churn", series.allocations, series.count, series.offset, label,
                             0.0f, std::max(series.max_allocations * 1.15f, 1.0f),
                             ImVec2(240.0f, 48.0f));
        }
    }
    ImGui::EndTooltip();
}

void draw_row(const MemoryBudget& budget, const MemoryHistory* history, const LeakWatch* leak_watch,
              const PanelMark& mark, std::string& selected, const BudgetRow& row,
              const PanelRow& panel_row, int row_index, std::vector<ImVec2>& history_points) {
    const SubsystemMemory& memory = row.memory;
    ImGui::TableNextRow();
    ImGui::PushID(row_index);
    if (ImGui::TableSetColumnIndex(kSubsystem)) {
        draw_name_cell(budget, row, selected);
    }
    if (ImGui::TableSetColumnIndex(kCurrent)) {
        memory_cell(memory.current_bytes);
    }
    draw_allocator_cells(row, panel_row, leak_watch);
    if (ImGui::TableSetColumnIndex(kPeak)) {
        memory_cell(memory.peak_bytes);
    }
    if (ImGui::TableSetColumnIndex(kBudget)) {
        if (memory.budget_bytes > 0) {
            memory_cell(memory.budget_bytes);
        } else {
            right_aligned_text("N/A");
        }
    }
    if (ImGui::TableSetColumnIndex(kUsage)) {
        const double fraction = usage_fraction(memory);
        char overlay[32];
        std::snprintf(overlay, sizeof overlay, "%.1f%%", fraction * 100.0);
        if (row.over_budget) {
            ImGui::PushStyleColor(ImGuiCol_PlotHistogram, kOverBudgetBarColor);
        }
        ImGui::ProgressBar(static_cast<float>(std::min(fraction, 1.0)), ImVec2(-FLT_MIN, 0.0f),
                           overlay);
        if (row.over_budget) {
            ImGui::PopStyleColor();
        }
    }
    if (ImGui::TableSetColumnIndex(kSinceMark)) {
        draw_since_mark_cell(mark, row, panel_row);
    }
    if (ImGui::TableSetColumnIndex(kHistory)) {
        draw_history_cell(history, panel_row, history_points);
    }
    if (ImGui::TableSetColumnIndex(kGpu)) {
        draw_gpu_cell(budget, row, panel_row);
    }
    if (ImGui::TableSetColumnIndex(kChurn)) {
        draw_churn_cell(budget, history, row, panel_row);
    }
    ImGui::PopID();
}

// The allocator's bytes outside every subsystem's tag (allocations made outside any MemoryScope),
// below the subsystems whatever the sort: no subsystem reports them, so only Allocator is filled.
void draw_untagged_row(const PanelCache& cache, std::string& selected) {
    ImGui::TableNextRow();
    ImGui::PushID("untagged");
    if (ImGui::TableSetColumnIndex(kSubsystem)) {
        row_selectable(selected, kUntaggedName);
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetColorU32(ImGuiCol_TextDisabled));
        ImGui::TextUnformatted(kUntaggedName.data(), kUntaggedName.data() + kUntaggedName.size());
        ImGui::PopStyleColor();
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip(
                "What the tracking allocator holds outside every subsystem's tag: allocations\n"
                "made outside any nebula::debug::MemoryScope. No subsystem reports them.");
        }
    }
    // Cell by cell in column order, as ImGui's logging (and a reader of it) takes them.
    for (const int column : {kCurrent, kAllocator, kGap, kPeak, kBudget}) {
        if (!ImGui::TableSetColumnIndex(column)) {
            continue;
        }
        if (column != kAllocator) {
            right_aligned_text("-");
            continue;
        }
        memory_cell(cache.untagged.allocated_bytes);
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("%zu live allocations outside every tag; peak %s.",
                              cache.untagged.live_allocations(),
                              format_memory(cache.untagged.peak_allocated_bytes).c_str());
        }
    }
    ImGui::TableSetColumnIndex(kUsage);
    ImGui::TableSetColumnIndex(kHistory);
    if (ImGui::TableSetColumnIndex(kGpu)) {
        if (cache.untagged_gpu.allocation_count > 0) {
            memory_cell(cache.untagged_gpu.allocated_bytes);
        } else {
            right_aligned_text("-");
        }
    }
    if (ImGui::TableSetColumnIndex(kChurn)) {
        right_aligned_text("-");
    }
    ImGui::PopID();
}

// Since mark shows only while a mark is set.
void setup_columns(bool tracking, bool marked) {
    for (int column = 0; column < kColumnCount; ++column) {
        const ColumnSpec& spec = kColumns[column];
        ImGuiTableColumnFlags flags = spec.flags;
        if (!tracking &&
            (column == kAllocator || column == kGap || column == kGpu || column == kChurn)) {
            flags |= ImGuiTableColumnFlags_Disabled;
        }
        if (!marked && column == kSinceMark) {
            flags |= ImGuiTableColumnFlags_Disabled;
        }
        float width = 0.0f;
        if (spec.widest_value != nullptr) {
            // A sorted header also draws its arrow beside the label.
            width = std::max(ImGui::CalcTextSize(spec.widest_value).x,
                             ImGui::CalcTextSize(spec.label).x + ImGui::GetFontSize());
        }
        ImGui::TableSetupColumn(spec.label, flags, width, static_cast<ImGuiID>(column));
    }
    ImGui::TableSetupScrollFreeze(1, 1);
}

void draw_headers(const MemoryHistory* history) {
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (int column = 0; column < kColumnCount; ++column) {
        if (!ImGui::TableSetColumnIndex(column)) {
            continue;
        }
        ImGui::TableHeader(kColumns[column].label);
        if (!ImGui::IsItemHovered()) {
            continue;
        }
        if (column == kHistory && history != nullptr) {
            ImGui::SetTooltip("Current over the last %.0f s, scaled to its own maximum.",
                              history->config().window_seconds);
        } else {
            ImGui::SetTooltip("%s", kColumns[column].tooltip);
        }
    }
}

// The widths every column needs, so that a narrow window scrolls sideways instead of crushing
// the usage bars and graphs.
float minimum_table_width() {
    const ImGuiStyle& style = ImGui::GetStyle();
    float width = ImGui::CalcTextSize("Subsystem").x;
    for (const ColumnSpec& spec : kColumns) {
        width += spec.widest_value != nullptr ? ImGui::CalcTextSize(spec.widest_value).x
                                              : kMinStretchColumnWidth;
        width += style.CellPadding.x * 2.0f;
    }
    return width;
}

// `below_footer`: the height of what follows the footer (the Sites pane), kept free as well.
void draw_table(MemoryBudget& budget, PanelCache& cache, MemoryPanelState& state,
                const MemoryHistory* history, bool tracking, float below_footer) {
    const ImGuiStyle& style = ImGui::GetStyle();
    // Keeps the totals, the resident line (wrapped to the window's width) and the button below the
    // table visible however many rows there are: the spacing after the table and after the
    // separator (which takes no height of its own), the three lines, and a pixel for rounding.
    const float resident_height =
        ImGui::CalcTextSize(cache.resident_line, nullptr, false, ImGui::GetContentRegionAvail().x)
            .y;
    const float footer_height = 1.0f + style.ItemSpacing.y * 3.0f +
                                ImGui::GetTextLineHeightWithSpacing() * 2.0f + resident_height +
                                ImGui::GetFrameHeight() + below_footer;
    constexpr ImGuiTableFlags kFlags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Sortable |
        ImGuiTableFlags_Resizable | ImGuiTableFlags_Hideable | ImGuiTableFlags_Reorderable |
        ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollX | ImGuiTableFlags_ScrollY;
    const float inner_width = std::max(ImGui::GetContentRegionAvail().x, minimum_table_width());
    if (!ImGui::BeginTable("subsystems", kColumnCount, kFlags, ImVec2(0.0f, -footer_height),
                           inner_width)) {
        return;
    }
    setup_columns(tracking, cache.mark.is_set());

    int sort_column = kSubsystem;
    bool descending = false;
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs()) {
        if (specs->SpecsCount > 0) {
            sort_column = static_cast<int>(specs->Specs[0].ColumnUserID);
            descending = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
        }
        specs->SpecsDirty = false;
    }
    sort_rows(cache, sort_column, descending);

    draw_headers(history);
    const std::vector<BudgetRow>& rows = cache.budget_rows.rows();
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(cache.display_order.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const int row = cache.display_order[i];
            draw_row(budget, history, state.leak_watch, cache.mark, state.selected_subsystem,
                     rows[row], cache.panel_rows[row], row, cache.history_points);
        }
    }
    if (tracking && std::none_of(rows.begin(), rows.end(),
                                 [](const BudgetRow& row) { return row.name == kUntaggedName; })) {
        draw_untagged_row(cache, state.selected_subsystem);
    }
    ImGui::EndTable();
}

// The breakdown walks every mapping of the process (a fraction of a millisecond to a few, see
// docs/benchmarks.md), so it is refreshed a few times a second rather than every frame, together
// with the allocator's totals it is split against. Allocates nothing: the line is formatted into
// the cache's buffer.
constexpr double kResidentRefreshSeconds = 0.25;

void refresh_resident(PanelCache& cache, bool tracking) {
    const double now = ImGui::GetTime();
    if (cache.resident_read_at >= 0.0 && now - cache.resident_read_at < kResidentRefreshSeconds) {
        return;
    }
    cache.resident_read_at = now;
    cache.resident = resident_breakdown();
    cache.allocator = allocator_stats();

    const ResidentBreakdown& r = cache.resident;
    if (r.resident_bytes == 0) {
        std::snprintf(cache.resident_line, sizeof cache.resident_line, "Resident: N/A");
        return;
    }
    const std::size_t unattributed = r.other_anonymous_bytes + r.other_bytes;
    const double unattributed_percent =
        100.0 * static_cast<double>(unattributed) / static_cast<double>(r.resident_bytes);
    char heap_terms[96];
    if (tracking) {
        // What the tracker counts is requested bytes, some of which may not be resident (a large
        // block not yet written): the share of the heap it explains is at most the heap.
        const std::size_t tracked = std::min(cache.allocator.allocated_bytes, r.heap_bytes);
        std::snprintf(heap_terms, sizeof heap_terms, "tracked %s + allocator overhead %s",
                      format_memory(tracked).c_str(),
                      format_memory(r.heap_bytes - tracked).c_str());
    } else {
        std::snprintf(heap_terms, sizeof heap_terms, "heap %s",
                      format_memory(r.heap_bytes).c_str());
    }
    std::snprintf(cache.resident_line, sizeof cache.resident_line,
                  "Resident %s = %s + code %s + mapped files %s + stacks %s + GPU %s + other %s "
                  "(%.1f%% unattributed)",
                  format_memory(r.resident_bytes).c_str(), heap_terms,
                  format_memory(r.code_bytes).c_str(), format_memory(r.file_bytes).c_str(),
                  format_memory(r.stack_bytes).c_str(), format_memory(r.gpu_bytes).c_str(),
                  format_memory(unattributed).c_str(), unattributed_percent);
}

void draw_resident_line(const PanelCache& cache, bool tracking) {
    ImGui::TextWrapped("%s", cache.resident_line);
    if (!ImGui::IsItemHovered() || cache.resident.resident_bytes == 0) {
        return;
    }
    const ResidentBreakdown& r = cache.resident;
    ImGui::SetTooltip(
        "The process's resident memory as the OS counts it, by what holds it:\n"
        "  %s %s\n"
        "    (the C allocator underneath: %s)\n"
        "  code: the program's and shared libraries' executable mappings\n"
        "  mapped files: libraries' data, mapped files, shared memory\n"
        "  stacks: every thread's stack\n"
        "  GPU: mappings of the graphics device\n"
        "  other: anonymous memory nothing above claims (%s: other allocators, JIT code)\n"
        "         and the rest (%s: the kernel's [vdso], other devices)\n"
        "Refreshed every %.2f s.",
        tracking ? "tracked + allocator overhead:" : "heap:",
        tracking ? "what the C allocator holds; tracked is what went through\n"
                   "    the tracker, the overhead its headers, free lists and free pages"
                 : "what the C allocator holds: live blocks, headers, free lists",
        r.heap_recognition, format_memory(r.other_anonymous_bytes).c_str(),
        format_memory(r.other_bytes).c_str(), kResidentRefreshSeconds);
}

void draw_overhead_line(bool tracking) {
    ImGui::AlignTextToFramePadding();
    if (!tracking) {
        ImGui::TextUnformatted("");
        return;
    }
    ImGui::Text("Tracking overhead: %s", format_memory(tracking_overhead_bytes()).c_str());
    if (ImGui::IsItemHovered()) {
        const SamplingStats sampling = sampling_stats();
        ImGui::SetTooltip(
            "What the tracking itself holds: block headers of live allocations, per-thread\n"
            "counters and the sampled allocation sites' tables (Unreal's LLMOverhead).\n"
            "Sample tables: %s for %zu sites and %zu live samples.",
            format_memory(sampling.table_bytes).c_str(), sampling.sites, sampling.live_samples);
    }
}

void draw_reset_peaks_button(MemoryBudget& budget) {
    const char* label = "Reset peaks";
    const float button_width = ImGui::CalcTextSize(label).x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SameLine();
    const float available = ImGui::GetContentRegionAvail().x;
    if (available > button_width) {
        ImGui::SetCursorPosX(ImGui::GetCursorPosX() + available - button_width);
    }
    if (ImGui::Button(label)) {
        budget.reset_peaks();
        reset_allocator_peak();
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "Peak := current, for every subsystem and for the allocator (globally and per tag).\n"
            "Press it at a sector transition to see the new sector's own peak.");
    }
}

// "Mark" records what every row and site holds now; "Clear mark" forgets it.
// Right-aligned with "Reset peaks", which follows it.
void draw_mark_button(PanelCache& cache, bool& mark_requested, bool tracking) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const char* label = cache.mark.is_set() ? "Clear mark" : "Mark";
    const float both = ImGui::CalcTextSize(label).x + ImGui::CalcTextSize("Reset peaks").x +
                       style.FramePadding.x * 4 + style.ItemSpacing.x;
    ImGui::SameLine();
    const float available = ImGui::GetContentRegionAvail().x;
    if (available > both) {
        ImGui::SetCursorPosX(ImGui::GetCursorPosX() + available - both);
    }
    if (ImGui::Button(label)) {
        if (cache.mark.is_set()) {
            cache.mark.clear();
        } else {
            mark_requested = true;
        }
        cache.sites.read_at = -1.0;  // the pane switches between its two views at once
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(cache.mark.is_set()
                              ? "Marked %.0f s ago. Since mark: each row's growth since then;\n"
                                "a selected row's Sites pane lists the sites that grew."
                              : "Remember what every row and allocation site holds now, to see\n"
                                "what grows from here (Since mark, and the Sites pane).",
                          ImGui::GetTime() - cache.mark.seconds());
    }
    if (mark_requested) {
        mark_requested = false;
        cache.mark.set(cache.budget_rows.rows(), ImGui::GetTime(), tracking);
        cache.sites.read_at = -1.0;
    }
}

// The tracked bytes every frame; the driver's figures (gpu_device_memory() may connect to the X
// server: about a millisecond) every kGpuDeviceRefreshSeconds.
void refresh_gpu_line(PanelCache& cache, bool read_device) {
    const double now = ImGui::GetTime();
    if (read_device && (cache.gpu_device_read_at < 0.0 ||
                        now - cache.gpu_device_read_at >= kGpuDeviceRefreshSeconds)) {
        cache.gpu_device_read_at = now;
        cache.gpu_device = gpu_device_memory();
    }
    const GpuDeviceMemory& device = cache.gpu_device;
    const GpuStats tracked = gpu_stats();
    char device_text[160];
    if (!read_device) {
        std::snprintf(device_text, sizeof device_text, "not read");
    } else if (device.source.empty()) {
        std::snprintf(device_text, sizeof device_text, "unknown (no driver source answers)");
    } else {
        const auto figure = [](std::size_t bytes) {
            return bytes > 0 ? format_memory(bytes) : std::string("?");
        };
        std::snprintf(device_text, sizeof device_text, "used %s / total %s, budget %s (%s)",
                      figure(device.used_bytes).c_str(), figure(device.total_bytes).c_str(),
                      figure(device.budget_bytes).c_str(), device.source.c_str());
    }
    std::snprintf(cache.gpu_line, sizeof cache.gpu_line, "GPU tracked: %s (peak %s)  |  Device: %s",
                  format_memory(tracked.allocated_bytes).c_str(),
                  format_memory(tracked.peak_allocated_bytes).c_str(), device_text);
}

void draw_footer(MemoryBudget& budget, PanelCache& cache, bool& mark_requested, bool tracking,
                 bool read_gpu_device) {
    ImGui::Separator();
    const std::size_t total_budget = budget.total_budget();
    ImGui::Text("Tracked Total: %s  /  Budget: %s",
                format_memory(cache.budget_rows.total_current()).c_str(),
                total_budget > 0 ? format_memory(total_budget).c_str() : "N/A");
    refresh_gpu_line(cache, read_gpu_device);
    ImGui::TextUnformatted(cache.gpu_line);
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "Tracked: what the engine reported with track_gpu_allocation, every tag.\n"
            "Device: the driver's own figures (gpu_device_memory()), refreshed every %.0f s;\n"
            "'?' where its source does not tell.",
            kGpuDeviceRefreshSeconds);
    }
    draw_resident_line(cache, tracking);
    draw_overhead_line(tracking);
    draw_mark_button(cache, mark_requested, tracking);
    draw_reset_peaks_button(budget);
}

using detail::SiteLine;
using detail::SitesPane;

constexpr const char* kTrackingOffMessage =
    "Nothing is sampled: the tracking allocator is compiled out of this build.";
constexpr const char* kSamplingOffMessage =
    "Sampling is off: NEBULA_SAMPLING_INTERVAL=<bytes> at start, or\n"
    "nebula::debug::set_sampling_interval(<bytes>), turns it on.";
constexpr const char* kNoSamplesMessage =
    "None of its live blocks was sampled yet: the larger a site's share of the bytes\n"
    "allocated, the sooner it shows.";

constexpr const char* kNothingGrewMessage = "No sampled site of this tag grew since the mark.";

// A function's name without its return type and parameter list, which the stack in the tooltip
// still shows: "nebula::demo::build_chunk_mesh(nebula::demo::PaddedBlocks const&)" ->
// "...::build_chunk_mesh", and "decltype (...) std::construct_at<T>(T*)" -> "std::construct_at<T>".
std::string_view without_parameters(std::string_view name) {
    return function_base_name(name);
}

// The site's function and the line it allocates at: one function's sites at different lines
// would otherwise read the same.
SiteLine site_line(const AllocationSite& site) {
    SiteLine line;
    const std::string_view function = site_function(site);
    line.function = function.empty() ? "?" : std::string(without_parameters(function));
    for (std::size_t i = 0; i < site.frames.size() && i < site.lines.size(); ++i) {
        if (site.frames[i].data() == function.data() && !site.lines[i].empty()) {
            line.function += " at " + site.lines[i];
        }
    }
    std::snprintf(line.live, sizeof line.live, "%s", format_memory(site.live_bytes).c_str());
    std::snprintf(line.count, sizeof line.count, "%zu", site.live_allocations);
    // The site's relative standard error (allocation_sites.hpp); sites without live samples are
    // not listed, the guard is for the division.
    const double error =
        100.0 / std::sqrt(static_cast<double>(std::max<std::size_t>(site.live_samples, 1)));
    std::snprintf(line.error, sizeof line.error, "\u00b1%.0f%%", error);

    char estimates[256];
    std::snprintf(estimates, sizeof estimates,
                  "%s live in %zu allocations (%s allocated since start), estimated from %zu\n"
                  "samples: off by about %s. Call stack, innermost first:",
                  line.live, site.live_allocations, format_memory(site.allocated_bytes).c_str(),
                  site.live_samples, line.error);
    line.details = estimates;
    for (std::size_t i = 0; i < site.frames.size(); ++i) {
        line.details += "\n  ";
        line.details += site.frames[i];
        if (i < site.lines.size() && !site.lines[i].empty()) {
            line.details += "  (" + site.lines[i] + ")";
        }
    }
    return line;
}

// A site that grew since the mark: its growth, the 95% interval's half-width, and its bytes now.
SiteLine growth_line(const detail::SiteGrowth& grown) {
    SiteLine line = site_line(grown.site);
    std::snprintf(line.live, sizeof line.live, "+%s",
                  format_memory(static_cast<std::size_t>(grown.growth_bytes)).c_str());
    std::snprintf(line.count, sizeof line.count, "%s",
                  format_memory(grown.site.live_bytes).c_str());
    std::snprintf(line.error, sizeof line.error, "\u00b1%s",
                  format_memory(static_cast<std::size_t>(grown.interval_bytes)).c_str());
    return line;
}

void refresh_sites(SitesPane& pane, const PanelMark& mark, const std::string& selected,
                   bool tracking) {
    if (selected.empty()) {
        pane.read_at = -1.0;  // a row selected again shows fresh sites, not the last copy
        return;
    }
    const double now = ImGui::GetTime();
    if (selected == pane.tag && pane.read_at >= 0.0 && now - pane.read_at < kSitesRefreshSeconds) {
        return;
    }
    pane.tag = selected;
    pane.read_at = now;
    const std::size_t interval = tracking ? sampling_interval() : 0;
    pane.lines.clear();
    if (interval == 0) {
        std::snprintf(pane.title, sizeof pane.title, "Allocation sites: %s", pane.tag.c_str());
        pane.message = tracking ? kSamplingOffMessage : kTrackingOffMessage;
        return;
    }
    pane.since_mark = mark.is_set();
    if (pane.since_mark) {
        std::snprintf(pane.title, sizeof pane.title,
                      "Allocation sites: %s, grown since the mark (sampled every %s)",
                      pane.tag.c_str(), format_memory(interval).c_str());
        for (const detail::SiteGrowth& grown : mark.grown_sites(pane.tag, kMaxSitesShown)) {
            pane.lines.push_back(growth_line(grown));
        }
        pane.message = pane.lines.empty() ? kNothingGrewMessage : nullptr;
        return;
    }
    std::snprintf(pane.title, sizeof pane.title, "Allocation sites: %s (sampled every %s)",
                  pane.tag.c_str(), format_memory(interval).c_str());
    for (const AllocationSite& site : live_allocation_sites(pane.tag, kMaxSitesShown)) {
        pane.lines.push_back(site_line(site));
    }
    pane.message = pane.lines.empty() ? kNoSamplesMessage : nullptr;
}

constexpr int kSitesColumnCount = 4;

float sites_row_height() {
    return ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2.0f;
}

// The pane's height below the footer: the spacing after the footer and after the separator, the
// title, and either the message or the table. The table takes what its lines need up to under
// half the window, so that a short window keeps room for the subsystems; past that it scrolls.
float layout_sites_pane(SitesPane& pane) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const ImVec2 available = ImGui::GetContentRegionAvail();
    float body = 0.0f;
    if (pane.message != nullptr) {
        body = ImGui::CalcTextSize(pane.message, nullptr, false, available.x).y;
    } else {
        const float row = sites_row_height();
        const float needed = row * static_cast<float>(pane.lines.size() + 1);
        pane.table_height = std::min(needed, std::max(available.y * 0.45f, row * 3.0f));
        body = pane.table_height;
    }
    return style.ItemSpacing.y * 2.0f + ImGui::GetTextLineHeightWithSpacing() + body;
}

// The function's name cut to the cell with "...", rather than clipped mid-glyph.
void elided_text(const std::string& text) {
    const char* begin = text.data();
    const char* end = begin + text.size();
    const float available = ImGui::GetContentRegionAvail().x;
    if (ImGui::CalcTextSize(begin, end).x <= available) {
        ImGui::TextUnformatted(begin, end);
        return;
    }
    constexpr char kEllipsis[] = "...";
    const float room = std::max(available - ImGui::CalcTextSize(kEllipsis).x, 0.0f);
    const char* fits = begin;
    ImGui::GetFont()->CalcTextSizeA(ImGui::GetFontSize(), room, 0.0f, begin, end, &fits);
    char shown[256];
    const auto kept = std::min<std::size_t>(static_cast<std::size_t>(fits - begin),
                                            sizeof shown - sizeof kEllipsis);
    std::snprintf(shown, sizeof shown, "%.*s%s", static_cast<int>(kept), begin, kEllipsis);
    ImGui::TextUnformatted(shown);
}

void draw_sites_headers(bool since_mark) {
    static constexpr const char* kTooltips[kSitesColumnCount] = {
        "The first frame of the site's call stack that is the program's own code.\n"
        "Hover a row for the whole stack.",
        "Bytes still allocated from the site, estimated from its samples.",
        "Allocations from the site still live, estimated from its samples.",
        "How far off the estimates are likely to be: 1/sqrt(the site's live samples).",
    };
    static constexpr const char* kSinceMarkTooltips[kSitesColumnCount] = {
        kTooltips[0],
        "Growth of the site's live bytes since the mark, estimated from its samples.",
        "The site's live bytes now, estimated from its samples.",
        "The growth's 95% interval: growth +- this. Only the samples taken or freed since\n"
        "the mark make it uncertain (docs/architecture.md, \"Comparing runs\").",
    };
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (int column = 0; column < kSitesColumnCount; ++column) {
        if (!ImGui::TableSetColumnIndex(column)) {
            continue;
        }
        ImGui::TableHeader(ImGui::TableGetColumnName(column));
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("%s", (since_mark ? kSinceMarkTooltips : kTooltips)[column]);
        }
    }
}

void draw_sites_table(const SitesPane& pane) {
    constexpr ImGuiTableFlags kFlags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                       ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
    if (!ImGui::BeginTable("sites", kSitesColumnCount, kFlags, ImVec2(0.0f, pane.table_height))) {
        return;
    }
    ImGui::TableSetupColumn("Function", ImGuiTableColumnFlags_WidthStretch);
    if (pane.since_mark) {
        ImGui::TableSetupColumn("Growth", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("+1023.9 MB").x);
        ImGui::TableSetupColumn("Live", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("1023.9 MB").x);
        ImGui::TableSetupColumn("\u00b1 95%", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("\u00b11023.9 MB").x);
    } else {
        ImGui::TableSetupColumn("Live", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("1023.9 MB").x);
        ImGui::TableSetupColumn("Count", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("99999999").x);
        ImGui::TableSetupColumn("\u00b1", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("\u00b1100%").x);
    }
    ImGui::TableSetupScrollFreeze(0, 1);
    draw_sites_headers(pane.since_mark);
    for (const SiteLine& line : pane.lines) {
        ImGui::TableNextRow();
        if (ImGui::TableSetColumnIndex(0)) {
            elided_text(line.function);
            if (ImGui::IsItemHovered()) {
                // Not SetTooltip: its buffer would cut a deep stack short.
                ImGui::BeginTooltip();
                ImGui::TextUnformatted(line.details.data(),
                                       line.details.data() + line.details.size());
                ImGui::EndTooltip();
            }
        }
        if (ImGui::TableSetColumnIndex(1)) {
            right_aligned_text(line.live);
        }
        if (ImGui::TableSetColumnIndex(2)) {
            right_aligned_text(line.count);
        }
        if (ImGui::TableSetColumnIndex(3)) {
            right_aligned_text(line.error);
        }
    }
    ImGui::EndTable();
}

void draw_sites_pane(const SitesPane& pane) {
    ImGui::Separator();
    ImGui::TextUnformatted(pane.title);
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "The live allocations charged to \"%s\" by where they were allocated, from sampled\n"
            "call stacks: the largest %zu sites, read every %.1f s. Click the row again to close.",
            pane.tag.c_str(), kMaxSitesShown, kSitesRefreshSeconds);
    }
    if (pane.message == nullptr) {
        draw_sites_table(pane);
        return;
    }
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(pane.message);
    ImGui::PopTextWrapPos();
}

}  // namespace

MemoryPanelState::MemoryPanelState() : cache_(std::make_unique<detail::PanelCache>()) {}
MemoryPanelState::~MemoryPanelState() = default;
MemoryPanelState::MemoryPanelState(MemoryPanelState&&) noexcept = default;
MemoryPanelState& MemoryPanelState::operator=(MemoryPanelState&&) noexcept = default;

void draw_memory_panel(MemoryBudget& budget, MemoryPanelState& state,
                       const MemoryHistory* history) {
    if (!state.open) {
        return;
    }
    ImGui::SetNextWindowPos(state.default_position, ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(state.default_size, ImGuiCond_FirstUseEver);
    if (ImGui::Begin("Memory Usage", &state.open)) {
        if (!state.cache_) {
            state.cache_ = std::make_unique<detail::PanelCache>();  // the state was moved from
        }
        const bool tracking = tracking_allocator_enabled();
        PanelCache& cache = *state.cache_;
        refresh(cache, budget, history, tracking);
        refresh_resident(cache, tracking);
        refresh_sites(cache.sites, cache.mark, state.selected_subsystem, tracking);
        const bool sites_shown = !state.selected_subsystem.empty();
        if (tracking) {
            const AllocatorStats global = allocator_stats();
            ImGui::Text("Global: %s  Peak: %s  Live allocs: %zu",
                        format_memory(global.allocated_bytes).c_str(),
                        format_memory(global.peak_allocated_bytes).c_str(),
                        global.live_allocations());
            ImGui::Separator();
        }
        draw_table(budget, cache, state, history, tracking,
                   sites_shown ? layout_sites_pane(cache.sites) : 0.0f);
        draw_footer(budget, cache, state.mark_requested, tracking, state.read_gpu_device);
        if (sites_shown) {
            draw_sites_pane(cache.sites);
        }
    }
    ImGui::End();
}

}  // namespace nebula::debug::imgui
