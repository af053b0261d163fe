// The "Memory Usage" panel for Dear ImGui: the seed's per-subsystem table (current, peak, budget,
// usage bar, over-budget rows in red, the allocator's global line and the tracked total), plus
// what the tracking allocator holds under each subsystem's tag beside what the subsystem reports
// (the gap is where leaks show), an Untagged row (the allocator's bytes outside every tag), a
// history graph per row, click-to-sort columns, the process's resident memory split by what holds
// it (resident_breakdown(), read a few times a second), what the tracking costs, and "Reset peaks".
// Per subsystem also its tag's GPU bytes (track_gpu_allocation, red past its GPU budget's
// threshold) and its heap allocations in the last frame ("Allocs/frame", red past its churn
// budget's threshold, its history in the tooltip: call MemoryBudget::end_frame() once a frame to
// fill it); below the table the GPU bytes tracked and the driver's own figures
// (gpu_device_memory(), read every few seconds, "unknown" where no source answers).
// Clicking a row selects its subsystem (or Untagged) and opens the Sites pane below: the top live
// allocation sites charged to that tag, from the sampled call stacks (allocation_sites.hpp), with
// each estimate's error; clicking the row again closes it. "Mark" remembers what every row and
// site holds: then a Since mark column shows each row's growth and the Sites pane the sites that
// grew since, with their 95% intervals, until "Clear mark".
//
// Immediate mode, like Dear ImGui itself: tick a MemoryHistory once per frame and call
// draw_memory_panel() between ImGui::NewFrame() and ImGui::Render(). Needs only imgui.h; any
// ImGui backend draws it.
//
//     nebula::debug::imgui::MemoryHistory history;
//     nebula::debug::imgui::MemoryPanelState panel;
//     // every frame:
//     history.sample(budget, ImGui::GetTime());
//     nebula::debug::imgui::draw_memory_panel(budget, panel, &history);
//
// The same window draws another program, or a saved run, from a MemoryPanelModel
// (memory_panel_model.hpp): draw_memory_panel(model, state, &history), the history fed with
// history.sample(model, now). nebula-viewer does so from a program's /snapshot.json endpoint, a
// snapshot file or a capture.
//
// Steady-state frames allocate nothing beyond ImGui's own buffers: rows are read through
// MemoryBudget::for_each_subsystem, and a row's name is copied once, when it first appears. The
// Sites pane is the exception, every kSitesRefreshSeconds: live_allocation_sites() allocates and
// its first call reads the program's symbol tables (up to a second); the frames in between draw
// the copy it keeps.
#pragma once

#include <nebula/debug/imgui/memory_panel_model.hpp>
#include <nebula/debug/leak_watch.hpp>
#include <nebula/debug/memory_tracking.hpp>

#include <imgui.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nebula::debug::imgui {

class MemoryPanelState;

namespace detail {
class BudgetRowCache;
struct PanelCache;
PanelCache& panel_cache(MemoryPanelState& state);
}  // namespace detail

// One row's history as PlotLines takes it: `count` values in MiB, the oldest at `offset`.
struct HistorySeries {
    const float* values_mib = nullptr;
    int count = 0;
    int offset = 0;
    float max_mib = 0.0f;  // the largest value in the window, for the graph's scale
};

// One row's allocations per frame over time (MemoryHistory::churn_series), oldest at `offset`.
struct ChurnSeries {
    const float* allocations = nullptr;
    int count = 0;
    int offset = 0;
    float max_allocations = 0.0f;
};

// The last `window_seconds` of each subsystem's current bytes (and of its allocations per frame,
// as MemoryBudget::end_frame() last counted them at each sample), in a fixed-size ring buffer per
// row. Every buffer is allocated by the constructor; sample() allocates only the first time it
// sees a subsystem's name (and not at all for names past `max_subsystems`, which get no history).
class MemoryHistory {
public:
    struct Config {
        double window_seconds = 30.0;
        std::size_t samples_per_window = 120;  // one sample every window / samples seconds
        std::size_t max_subsystems = 64;
    };

    MemoryHistory();
    explicit MemoryHistory(const Config& config);
    ~MemoryHistory();
    MemoryHistory(const MemoryHistory&) = delete;
    MemoryHistory& operator=(const MemoryHistory&) = delete;

    // Call once per frame with a clock in seconds (ImGui::GetTime(), or simulated time). Frames
    // between two sample times return without touching the budget.
    void sample(const MemoryBudget& budget, double now_seconds);
    // The same from a model (a snapshot polled from a program, a capture's rows): its rows'
    // current bytes and allocations per frame.
    void sample(const MemoryPanelModel& model, double now_seconds);

    // A subsystem's row, or nothing before its first sample. Rows never move: an index stays
    // valid for the history's lifetime, so callers may cache it.
    std::optional<std::size_t> find(std::string_view subsystem) const;
    HistorySeries series(std::size_t row) const;
    std::optional<HistorySeries> series(std::string_view subsystem) const;
    ChurnSeries churn_series(std::size_t row) const;

    const Config& config() const noexcept { return config_; }

private:
    struct Row {
        std::string name;
        int count = 0;
        int next = 0;  // where the next sample goes
        float max_mib = 0.0f;
        float max_allocations = 0.0f;
    };

    Config config_;
    std::unique_ptr<detail::BudgetRowCache> budget_rows_;
    std::vector<Row> rows_;                       // reserved to max_subsystems up front
    std::vector<float> samples_mib_;              // max_subsystems x samples_per_window
    std::vector<float> churn_samples_;            // the same shape: allocations per frame
    std::vector<std::size_t> row_of_budget_row_;  // budget_rows_ index -> rows_ index
    std::optional<double> last_sample_seconds_;

    bool due(double now_seconds);
    // The row of `name`, added while there is room; nullopt past max_subsystems.
    std::optional<std::size_t> row_for(std::string_view name);
    void push(std::size_t row, std::size_t current_bytes, std::size_t frame_allocations);
};

// What the panel keeps between frames. The public fields may be changed at any time.
class MemoryPanelState {
public:
    MemoryPanelState();
    ~MemoryPanelState();
    MemoryPanelState(MemoryPanelState&&) noexcept;
    MemoryPanelState& operator=(MemoryPanelState&&) noexcept;

    bool open = true;  // the window's close button clears it; while false nothing is drawn
    ImVec2 default_position{16.0f, 16.0f};
    ImVec2 default_size{450.0f, 300.0f};  // the seed's; applied on first use, then the user's
    // When set, a row whose gap is past the watch's threshold has its Gap cell highlighted (the
    // watch's check() is the caller's, once a frame).
    const LeakWatch* leak_watch = nullptr;
    // The row whose allocation sites the Sites pane shows: a subsystem's name, or kUntaggedName
    // for the Untagged row; empty, no pane. Clicking a row sets it and clicking it again clears
    // it; set by the caller, the next draw reads that tag's sites at once.
    std::string selected_subsystem;
    // Set: the next draw places the mark, as the "Mark" button does, and clears the flag. From
    // then on the Since mark column shows each row's growth (of its tag's allocator bytes, or of
    // its reported bytes for a row without a tag) and the Sites pane the selected tag's sites
    // that grew, each with its 95% interval; "Clear mark" returns to the live view.
    bool mark_requested = false;
    // The driver's figures on the GPU line (gpu_device_memory()), read every
    // kGpuDeviceRefreshSeconds: each read may connect to the X server and allocates, the one
    // exception besides the Sites pane to steady-state frames allocating nothing. False: the line
    // shows the tracked GPU bytes only.
    bool read_gpu_device = true;

private:
    friend detail::PanelCache& detail::panel_cache(MemoryPanelState&);
    std::unique_ptr<detail::PanelCache> cache_;
};

// Draws the "Memory Usage" window. The budget is not const because "Reset peaks" resets its peaks
// (and the allocator's, globally and per tag): a user presses it at a sector transition to see
// the new sector's peak. `history` may be null: the History column then stays empty.
void draw_memory_panel(MemoryBudget& budget, MemoryPanelState& state,
                       const MemoryHistory* history = nullptr);

// Draws the same window from a model of another program (or of a saved run): the rows, history,
// footer and Sites pane as above. "Mark" and "Reset peaks" act on a live process and are not
// shown; the model's status, when set, is shown above the table.
void draw_memory_panel(const MemoryPanelModel& model, MemoryPanelState& state,
                       const MemoryHistory* history = nullptr);

// How often the GPU line reads the driver's figures again.
inline constexpr double kGpuDeviceRefreshSeconds = 2.0;
// How often the Sites pane reads the selected tag's sites again (and at once when the selection
// changes). Each read symbolises and allocates, so it is not done every frame.
inline constexpr double kSitesRefreshSeconds = 0.5;
// How many sites the pane lists, the largest first.
inline constexpr std::size_t kMaxSitesShown = 10;

// The colours of the subsystem's name: the seed's red over the warning threshold, grey otherwise.
inline constexpr ImU32 kOverBudgetColor = IM_COL32(220, 50, 50, 255);
inline constexpr ImU32 kWithinBudgetColor = IM_COL32(200, 200, 200, 255);
// The usage bar of a row over its threshold (within budget it keeps the style's colour).
inline constexpr ImU32 kOverBudgetBarColor = IM_COL32(178, 44, 44, 255);
// The Gap cell of a row the leak watch suspects: the text and the cell behind it.
inline constexpr ImU32 kLeakGapTextColor = IM_COL32(255, 220, 120, 255);
inline constexpr ImU32 kLeakGapCellColor = IM_COL32(150, 40, 30, 255);
// A model's status line above the table (MemoryPanelModel::status: stale data, a lost link).
inline constexpr ImU32 kStatusTextColor = IM_COL32(255, 220, 120, 255);

}  // namespace nebula::debug::imgui
