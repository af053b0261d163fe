// The "Memory Usage" panel: its entry points and the subsystems' table. The footer and the Sites
// pane are in files of their own (panel_context.hpp lists them).
//
// Index of this file:
// [SECTION] Columns
// [SECTION] Row values and sorting
// [SECTION] Cells
// [SECTION] Rows
// [SECTION] Table
// [SECTION] Frame: keeping the cache in step with the model
// [SECTION] Public API
#include <nebula/debug/imgui/memory_panel.hpp>

#include <nebula/debug/tracking_allocator.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string_view>

#include "panel_context.hpp"

namespace nebula::debug::imgui {
namespace detail {

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

PanelCache& panel_cache(MemoryPanelState& state) {
    if (!state.cache_) {
        state.cache_ = std::make_unique<PanelCache>();  // the state was moved from
    }
    return *state.cache_;
}

namespace {

//-----------------------------------------------------------------------------
// [SECTION] Columns
//-----------------------------------------------------------------------------

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

//-----------------------------------------------------------------------------
// [SECTION] Row values and sorting
//-----------------------------------------------------------------------------

// What the tracker holds for the tag, heap and GPU, minus what the subsystem reports: a texture
// manager that reports its device memory has no gap for it.
std::int64_t gap_bytes(const MemoryPanelRow& row) {
    return static_cast<std::int64_t>(row.allocator.allocated_bytes + row.gpu.allocated_bytes) -
           static_cast<std::int64_t>(row.memory.current_bytes);
}

double usage_fraction(const SubsystemMemory& memory) {
    if (memory.budget_bytes == 0) {
        return 0.0;
    }
    return static_cast<double>(memory.current_bytes) / static_cast<double>(memory.budget_bytes);
}

// Rows whose tag never allocated sort as the lowest values of the Allocator and Gap columns.
double sort_value(int column, const MemoryPanelRow& row) {
    constexpr double kNoTag = -std::numeric_limits<double>::infinity();
    switch (column) {
        case kCurrent:
            return static_cast<double>(row.memory.current_bytes);
        case kAllocator:
            return row.has_tag ? static_cast<double>(row.allocator.allocated_bytes) : kNoTag;
        case kGap:
            return row.has_tag ? static_cast<double>(gap_bytes(row)) : kNoTag;
        case kPeak:
            return static_cast<double>(row.memory.peak_bytes);
        case kBudget:
            return static_cast<double>(row.memory.budget_bytes);
        case kUsage:
            return usage_fraction(row.memory);
        case kGpu:
            return static_cast<double>(row.gpu.allocated_bytes);
        case kChurn:
            return static_cast<double>(row.memory.frame_allocations);
        default:
            return 0.0;
    }
}

// Sorted every frame, not only when the sort specs change: the values move every frame.
void sort_rows(PanelFrame& frame, int column, bool descending) {
    const std::vector<MemoryPanelRow>& rows = frame.model.rows;
    std::vector<int>& order = frame.cache.display_order;
    std::sort(order.begin(), order.end(), [&](int a, int b) {
        if (column != kSubsystem) {
            const double value_a = sort_value(column, rows[a]);
            const double value_b = sort_value(column, rows[b]);
            if (value_a != value_b) {
                return descending ? value_a > value_b : value_a < value_b;
            }
        }
        const int by_name = rows[a].name.compare(rows[b].name);
        return column == kSubsystem && descending ? by_name > 0 : by_name < 0;
    });
}

//-----------------------------------------------------------------------------
// [SECTION] Cells
//-----------------------------------------------------------------------------

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

void draw_name_cell(const MemoryPanelModel& model, const MemoryPanelRow& row,
                    std::string& selected) {
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
    ImGui::SetTooltip("%s: %zu allocations reported.\nWarns above %s (%.0f%% of its budget).",
                      row.name.c_str(), memory.allocation_count,
                      format_memory(row.warning_threshold_bytes).c_str(),
                      static_cast<double>(model.warning_threshold) * 100.0);
}

void draw_allocator_cells(const MemoryPanelRow& row, const LeakWatch* leak_watch) {
    if (ImGui::TableSetColumnIndex(kAllocator)) {
        if (row.has_tag) {
            memory_cell(row.allocator.allocated_bytes);
            if (ImGui::IsItemHovered()) {
                ImGui::SetTooltip("%zu live allocations under the tag \"%s\".",
                                  row.allocator.live_allocations(), row.name.c_str());
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
        if (!row.has_tag) {
            right_aligned_text("-");
            return;
        }
        const std::int64_t gap = gap_bytes(row);
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
void draw_history_cell(const MemoryHistory* history, std::size_t history_row,
                       std::vector<ImVec2>& points) {
    if (history == nullptr || history_row == kUnresolvedHistoryRow) {
        return;
    }
    const HistorySeries series = history->series(history_row);
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
void draw_since_mark_cell(const PanelMark& mark, const MemoryPanelRow& row) {
    std::int64_t growth = 0;
    if (!mark.growth(row.name, row.memory.current_bytes, row.has_tag ? &row.allocator : nullptr,
                     growth)) {
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

void draw_gpu_cell(const MemoryPanelRow& row) {
    const GpuStats& gpu = row.gpu;
    const SubsystemMemory& memory = row.memory;
    if (gpu.allocation_count == 0 && memory.gpu_budget_bytes == 0) {
        right_aligned_text("-");
        return;
    }
    const bool over =
        memory.gpu_budget_bytes > 0 && gpu.allocated_bytes > row.gpu_warning_threshold_bytes;
    red_if(over, format_memory(gpu.allocated_bytes).c_str());
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "%zu live GPU resources under \"%s\", peak %s.\nGPU budget: %s.",
            gpu.live_allocations(), row.name.c_str(),
            format_memory(gpu.peak_allocated_bytes).c_str(),
            memory.gpu_budget_bytes > 0 ? format_memory(memory.gpu_budget_bytes).c_str() : "none");
    }
}

void draw_churn_cell(const MemoryHistory* history, std::size_t history_row,
                     const MemoryPanelRow& row) {
    const SubsystemMemory& memory = row.memory;
    char text[24];
    std::snprintf(text, sizeof text, "%zu", memory.frame_allocations);
    const bool over =
        memory.churn_budget > 0 && memory.frame_allocations > row.churn_warning_threshold;
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
    if (history != nullptr && history_row != kUnresolvedHistoryRow) {
        const ChurnSeries series = history->churn_series(history_row);
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

//-----------------------------------------------------------------------------
// [SECTION] Rows
//-----------------------------------------------------------------------------

// The frame's model row `index`, its history at the cache's row of the same index.
void draw_row(PanelFrame& frame, int index) {
    const MemoryPanelRow& row = frame.model.rows[static_cast<std::size_t>(index)];
    const std::size_t history_row = frame.cache.history_rows[static_cast<std::size_t>(index)];
    const SubsystemMemory& memory = row.memory;
    ImGui::TableNextRow();
    ImGui::PushID(index);
    if (ImGui::TableSetColumnIndex(kSubsystem)) {
        draw_name_cell(frame.model, row, frame.state.selected_subsystem);
    }
    if (ImGui::TableSetColumnIndex(kCurrent)) {
        memory_cell(memory.current_bytes);
    }
    draw_allocator_cells(row, frame.state.leak_watch);
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
        draw_since_mark_cell(frame.cache.mark, row);
    }
    if (ImGui::TableSetColumnIndex(kHistory)) {
        draw_history_cell(frame.history, history_row, frame.cache.history_points);
    }
    if (ImGui::TableSetColumnIndex(kGpu)) {
        draw_gpu_cell(row);
    }
    if (ImGui::TableSetColumnIndex(kChurn)) {
        draw_churn_cell(frame.history, history_row, row);
    }
    ImGui::PopID();
}

// The allocator's bytes outside every subsystem's tag (allocations made outside any MemoryScope),
// below the subsystems whatever the sort: no subsystem reports them, so only Allocator is filled.
void draw_untagged_row(const MemoryPanelModel& model, std::string& selected) {
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
        memory_cell(model.untagged.allocated_bytes);
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("%zu live allocations outside every tag; peak %s.",
                              model.untagged.live_allocations(),
                              format_memory(model.untagged.peak_allocated_bytes).c_str());
        }
    }
    ImGui::TableSetColumnIndex(kUsage);
    ImGui::TableSetColumnIndex(kHistory);
    if (ImGui::TableSetColumnIndex(kGpu)) {
        if (model.untagged_gpu.allocation_count > 0) {
            memory_cell(model.untagged_gpu.allocated_bytes);
        } else {
            right_aligned_text("-");
        }
    }
    if (ImGui::TableSetColumnIndex(kChurn)) {
        right_aligned_text("-");
    }
    ImGui::PopID();
}

//-----------------------------------------------------------------------------
// [SECTION] Table
//-----------------------------------------------------------------------------

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
void draw_table(PanelFrame& frame, float below_footer) {
    constexpr ImGuiTableFlags kFlags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Sortable |
        ImGuiTableFlags_Resizable | ImGuiTableFlags_Hideable | ImGuiTableFlags_Reorderable |
        ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollX | ImGuiTableFlags_ScrollY;
    const float inner_width = std::max(ImGui::GetContentRegionAvail().x, minimum_table_width());
    if (!ImGui::BeginTable("subsystems", kColumnCount, kFlags,
                           ImVec2(0.0f, -(footer_height(frame) + below_footer)), inner_width)) {
        return;
    }
    const bool tracking = frame.model.tracking;
    setup_columns(tracking, frame.cache.mark.is_set());

    int sort_column = kSubsystem;
    bool descending = false;
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs()) {
        if (specs->SpecsCount > 0) {
            sort_column = static_cast<int>(specs->Specs[0].ColumnUserID);
            descending = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
        }
        specs->SpecsDirty = false;
    }
    sort_rows(frame, sort_column, descending);

    draw_headers(frame.history);
    const std::vector<int>& order = frame.cache.display_order;
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(order.size()));
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            draw_row(frame, order[static_cast<std::size_t>(i)]);
        }
    }
    const std::vector<MemoryPanelRow>& rows = frame.model.rows;
    if (tracking && std::none_of(rows.begin(), rows.end(), [](const MemoryPanelRow& row) {
            return row.name == kUntaggedName;
        })) {
        draw_untagged_row(frame.model, frame.state.selected_subsystem);
    }
    ImGui::EndTable();
}

//-----------------------------------------------------------------------------
// [SECTION] Frame: keeping the cache in step with the model
//-----------------------------------------------------------------------------

// What the cache keeps per row follows the model's rows: rebuilt when their names change (a
// subsystem appeared, another model), which is the only time this allocates.
void sync_rows(PanelCache& cache, const MemoryPanelModel& model, const MemoryHistory* history) {
    const std::vector<MemoryPanelRow>& rows = model.rows;
    const bool same_rows = cache.row_names.size() == rows.size() &&
                           std::equal(rows.begin(), rows.end(), cache.row_names.begin(),
                                      [](const MemoryPanelRow& row, const std::string& name) {
                                          return row.name == name;
                                      });
    if (!same_rows) {
        cache.row_names.clear();
        for (const MemoryPanelRow& row : rows) {
            cache.row_names.push_back(row.name);
        }
        cache.history_rows.assign(rows.size(), kUnresolvedHistoryRow);
        cache.display_order.resize(rows.size());
        std::iota(cache.display_order.begin(), cache.display_order.end(), 0);
    }
    if (history != cache.history) {
        cache.history = history;
        if (history != nullptr) {
            cache.history_points.reserve(history->config().samples_per_window);
        }
        cache.history_rows.assign(rows.size(), kUnresolvedHistoryRow);
    }
    if (history == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (cache.history_rows[i] == kUnresolvedHistoryRow) {
            cache.history_rows[i] = history->find(rows[i].name).value_or(kUnresolvedHistoryRow);
        }
    }
}

void draw_window(PanelFrame& frame, bool resident_fresh) {
    PanelCache& cache = frame.cache;
    const MemoryPanelModel& model = frame.model;
    sync_rows(cache, model, frame.history);
    if (resident_fresh) {
        format_resident_line(cache, model);
    }
    refresh_sites(frame);
    if (!model.status.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, kStatusTextColor);
        ImGui::TextUnformatted(model.status.data(), model.status.data() + model.status.size());
        ImGui::PopStyleColor();
    }
    if (model.tracking) {
        ImGui::Text("Global: %s  Peak: %s  Live allocs: %zu",
                    format_memory(model.allocator.allocated_bytes).c_str(),
                    format_memory(model.allocator.peak_allocated_bytes).c_str(),
                    model.allocator.live_allocations());
        ImGui::Separator();
    }
    const bool sites_shown = !frame.state.selected_subsystem.empty();
    draw_table(frame, sites_shown ? layout_sites_pane(cache.sites) : 0.0f);
    draw_footer(frame);
    if (sites_shown) {
        draw_sites_pane(cache.sites);
    }
}

bool begin_window(MemoryPanelState& state) {
    if (!state.open) {
        return false;
    }
    ImGui::SetNextWindowPos(state.default_position, ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(state.default_size, ImGuiCond_FirstUseEver);
    if (ImGui::Begin("Memory Usage", &state.open)) {
        return true;
    }
    ImGui::End();
    return false;
}

}  // namespace
}  // namespace detail

//-----------------------------------------------------------------------------
// [SECTION] Public API
//-----------------------------------------------------------------------------

MemoryPanelState::MemoryPanelState() : cache_(std::make_unique<detail::PanelCache>()) {}
MemoryPanelState::~MemoryPanelState() = default;
MemoryPanelState::MemoryPanelState(MemoryPanelState&&) noexcept = default;
MemoryPanelState& MemoryPanelState::operator=(MemoryPanelState&&) noexcept = default;

void draw_memory_panel(MemoryBudget& budget, MemoryPanelState& state,
                       const MemoryHistory* history) {
    if (!detail::begin_window(state)) {
        return;
    }
    detail::PanelCache& cache = detail::panel_cache(state);
    const double now = ImGui::GetTime();
    const bool resident_fresh =
        cache.live.read(budget, cache.live_model, now, state.read_gpu_device);
    detail::PanelFrame frame{cache.live_model, state, cache, history, &budget, now};
    detail::draw_window(frame, resident_fresh);
    ImGui::End();
}

void draw_memory_panel(const MemoryPanelModel& model, MemoryPanelState& state,
                       const MemoryHistory* history) {
    if (!detail::begin_window(state)) {
        return;
    }
    detail::PanelCache& cache = detail::panel_cache(state);
    detail::PanelFrame frame{model, state, cache, history, nullptr, ImGui::GetTime()};
    detail::draw_window(frame, true);
    ImGui::End();
}

}  // namespace nebula::debug::imgui
