// The panel's insides, shared by its files: what it keeps between frames (PanelCache), what one
// frame works with (PanelFrame, as ImGui passes its ImGuiContext&), and the small drawing helpers
// every part uses.
//   memory_panel.cpp   the entry points and the subsystems' table
//   live_model.cpp     this process read into a MemoryPanelModel
//   panel_footer.cpp   the totals, GPU, resident and overhead lines, Mark and Reset peaks
//   panel_sites.cpp    the Sites pane
#pragma once

#include <nebula/debug/imgui/memory_panel.hpp>

#include <imgui.h>

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "budget_rows.hpp"
#include "panel_mark.hpp"

namespace nebula::debug::imgui::detail {

inline constexpr std::size_t kUnresolvedHistoryRow = std::numeric_limits<std::size_t>::max();

// Reads this process into a model every frame without allocating in the steady state: the
// budget's rows through BudgetRowCache, every tag in one fold of the threads' counters, the
// resident breakdown a few times a second and the driver's figures every few seconds.
class LiveModelReader {
public:
    // Returns true when the resident breakdown was read again this frame.
    bool read(const MemoryBudget& budget, MemoryPanelModel& model, double now,
              bool read_gpu_device);
    const std::vector<BudgetRow>& budget_rows() const noexcept { return budget_rows_.rows(); }

private:
    BudgetRowCache budget_rows_;
    std::vector<MemoryTag> tags_;       // per row; has_tag says which are real
    std::vector<MemoryTag> fold_tags_;  // the rows' tags and Untagged, last
    std::vector<AllocatorStats> fold_stats_;
    double resident_read_at_ = -1.0;
    double gpu_device_read_at_ = -1.0;
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
    MemoryPanelModel live_model;  // draw_memory_panel(budget, ...)'s, refilled every frame
    LiveModelReader live;
    // Kept parallel to the drawn model's rows: their names (to see when the rows change), where
    // each row's history is, and the table's sort order.
    std::vector<std::string> row_names;
    std::vector<std::size_t> history_rows;
    std::vector<int> display_order;
    const MemoryHistory* history = nullptr;
    std::vector<ImVec2> history_points;  // one graph's points, reserved for a full window
    char gpu_line[256] = {};
    char resident_line[320] = {};
    SitesPane sites;
    PanelMark mark;
};

// What one frame draws with.
struct PanelFrame {
    const MemoryPanelModel& model;
    MemoryPanelState& state;
    PanelCache& cache;
    const MemoryHistory* history;
    MemoryBudget* budget;  // this process's budget; null for a model of elsewhere (no buttons)
    double now;
};

// Resident breakdown refresh period of the live reader (the breakdown walks every mapping).
inline constexpr double kResidentRefreshSeconds = 0.25;

void right_aligned_text(const char* text);
void memory_cell(std::size_t bytes);

// The footer: totals, GPU line, resident line, overhead, and (live) Mark and Reset peaks.
void format_resident_line(PanelCache& cache, const MemoryPanelModel& model);
float footer_height(const PanelFrame& frame);
void draw_footer(PanelFrame& frame);

// The Sites pane below the footer, shown while a row is selected.
void refresh_sites(PanelFrame& frame);
float layout_sites_pane(SitesPane& pane);
void draw_sites_pane(const SitesPane& pane);

}  // namespace nebula::debug::imgui::detail
