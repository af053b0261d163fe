#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "headless_imgui.hpp"
#include "panel_frame.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nd = nebula::debug;
namespace ndi = nebula::debug::imgui;
using ndi::testing::HeadlessImGui;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// The table as ImGui's logging writes it: every cell opens with '|' and every row closes with
// one, so each row is its cells plus one empty piece. Rows are not reliably on lines of their
// own, so they are split by the header count.
class LoggedTable {
public:
    explicit LoggedTable(const std::string& text) {
        std::vector<std::string> cells;
        std::size_t begin = text.find('|');
        while (begin != std::string::npos) {
            const std::size_t end = text.find('|', begin + 1);
            cells.push_back(trimmed(text.substr(
                begin + 1, end == std::string::npos ? std::string::npos : end - begin - 1)));
            begin = end;
        }
        auto cell = std::find(cells.begin(), cells.end(), "Subsystem");
        for (; cell != cells.end(); ++cell) {
            headers_.push_back(*cell);
            if (*cell == "History") {
                ++cell;
                break;
            }
        }
        const auto row_width = static_cast<std::ptrdiff_t>(headers_.size());
        while (cell != cells.end() && cells.end() - cell > row_width) {
            ++cell;  // the piece between the previous row's closing '|' and this row's first
            rows_.emplace_back(cell, cell + row_width);
            cell += row_width;
        }
    }

    const std::vector<std::string>& headers() const { return headers_; }

    std::vector<std::string> names() const {
        std::vector<std::string> names;
        for (const std::vector<std::string>& row : rows_) {
            names.push_back(row.front());
        }
        return names;
    }

    // The cell of `row_name`'s row under `header`, or "<absent>".
    std::string cell(std::string_view row_name, std::string_view header) const {
        const auto column = std::find(headers_.begin(), headers_.end(), header);
        for (const std::vector<std::string>& row : rows_) {
            if (row.front() == row_name && column != headers_.end()) {
                return row[static_cast<std::size_t>(column - headers_.begin())];
            }
        }
        return "<absent>";
    }

private:
    static std::string trimmed(const std::string& text) {
        const std::size_t first = text.find_first_not_of(" \n");
        if (first == std::string::npos) {
            return {};
        }
        return text.substr(first, text.find_last_not_of(" \n") - first + 1);
    }

    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

// The rows the panel shows for these subsystems: with tracking compiled in, the Untagged row
// (the allocator's bytes outside every tag) comes last, whatever the sort.
std::vector<std::string> rows_for(std::vector<std::string> subsystems) {
    if (nd::tracking_allocator_enabled()) {
        subsystems.emplace_back(nd::kUntaggedName);
    }
    return subsystems;
}

int glyph_vertices(std::string_view text) {
    int glyphs = 0;
    for (const char c : text) {
        glyphs += c == ' ' ? 0 : 1;
    }
    return glyphs * 4;
}

class MemoryPanel : public ::testing::Test {
protected:
    MemoryPanel() {
        // Large enough that every row and column is on screen, so every cell is logged.
        panel_.default_size = ImVec2(1100.0f, 600.0f);
    }

    std::string draw_frames(int frames = 3) {
        std::string text;
        for (int i = 0; i < frames; ++i) {
            text = ui_.frame([&] { ndi::draw_memory_panel(budget_, panel_, history_); });
        }
        return text;
    }

    auto drawer() {
        return [this] { ndi::draw_memory_panel(budget_, panel_, history_); };
    }

    HeadlessImGui ui_;
    nd::MemoryBudget budget_;
    ndi::MemoryPanelState panel_;
    const ndi::MemoryHistory* history_ = nullptr;
};

TEST_F(MemoryPanel, ShowsTheSeedsWindowColumnsAndValues) {
    budget_.set_budget("Chunks", 1024 * kMiB);
    budget_.report("Chunks", 500'000'000, 200);
    budget_.report("Chunks", 450'000'000, 180);

    const std::string text = draw_frames();

    const LoggedTable table(text);
    const std::vector<std::string> seed_headers{"Subsystem", "Current", "Peak",
                                                "Budget",    "Usage",   "History"};
    const std::vector<std::string> all_headers{"Subsystem", "Current", "Allocator", "Gap",
                                               "Peak",      "Budget",  "Usage",     "History"};
    EXPECT_EQ(table.headers(), nd::tracking_allocator_enabled() ? all_headers : seed_headers);
    EXPECT_EQ(table.names(), rows_for({"Chunks"}));
    EXPECT_EQ(table.cell("Chunks", "Current"), nd::format_memory(450'000'000));
    EXPECT_EQ(table.cell("Chunks", "Peak"), nd::format_memory(500'000'000));
    EXPECT_EQ(table.cell("Chunks", "Budget"), "1.00 GB");
    EXPECT_EQ(table.cell("Chunks", "Usage"), "41.9%");
    EXPECT_THAT(text, HasSubstr("Memory Usage"));
}

TEST_F(MemoryPanel, GlobalLineShowsTheAllocatorWhenTrackingIsCompiledIn) {
    budget_.report("Meshes", 1000, 1);
    const std::string text = draw_frames();
    EXPECT_THAT(text, HasSubstr("Resident "));
    if (nd::tracking_allocator_enabled()) {
        EXPECT_THAT(text, HasSubstr("Global: "));
        EXPECT_THAT(text, HasSubstr("  Peak: "));
        EXPECT_THAT(text, HasSubstr("  Live allocs: "));
        EXPECT_THAT(text, HasSubstr(" = tracked "));
        EXPECT_THAT(text, HasSubstr("Tracking overhead: "));
        EXPECT_THAT(text, HasSubstr("Allocator"));
        EXPECT_THAT(text, HasSubstr("Gap"));
    } else {
        EXPECT_THAT(text, Not(HasSubstr("Global: ")));
        EXPECT_THAT(text, Not(HasSubstr("Allocator")));
    }
}

TEST_F(MemoryPanel, UnbudgetedRowsShowNotApplicable) {
    budget_.report("Audio", 100 * kMiB, 10);
    budget_.set_budget("Physics", 256 * kMiB);
    budget_.report("Physics", 64 * kMiB, 4);

    const LoggedTable table(draw_frames());

    EXPECT_EQ(table.cell("Audio", "Budget"), "N/A");
    EXPECT_EQ(table.cell("Audio", "Usage"), "0.0%");
    EXPECT_EQ(table.cell("Physics", "Budget"), "256.0 MB");
    EXPECT_EQ(table.cell("Physics", "Usage"), "25.0%");
}

TEST_F(MemoryPanel, OverBudgetNamesAreRedAndTheOthersGrey) {
    budget_.set_budget("Textures", 512 * kMiB);
    budget_.set_budget("Meshes", 512 * kMiB);
    budget_.report("Textures", 440 * kMiB, 1);  // 86%: past the 85% threshold
    budget_.report("Meshes", 400 * kMiB, 1);    // 78%

    draw_frames();

    EXPECT_EQ(HeadlessImGui::vertices_with_color(ndi::kOverBudgetColor),
              glyph_vertices("Textures"));
    EXPECT_EQ(HeadlessImGui::vertices_with_color(ndi::kWithinBudgetColor),
              glyph_vertices("Meshes"));
}

TEST_F(MemoryPanel, RowTurnsGreyAgainBelowTheThreshold) {
    budget_.set_budget("Textures", 512 * kMiB);
    budget_.report("Textures", 440 * kMiB, 1);
    draw_frames();
    ASSERT_GT(HeadlessImGui::vertices_with_color(ndi::kOverBudgetColor), 0);

    budget_.report("Textures", 435 * kMiB, 1);  // 84.9%
    draw_frames(1);
    EXPECT_EQ(HeadlessImGui::vertices_with_color(ndi::kOverBudgetColor), 0);
    EXPECT_EQ(HeadlessImGui::vertices_with_color(ndi::kWithinBudgetColor),
              glyph_vertices("Textures"));
}

TEST_F(MemoryPanel, RowsAreSortedByNameByDefault) {
    budget_.report("Physics", 3, 1);
    budget_.report("Audio", 1, 1);
    budget_.report("Chunks", 2, 1);

    EXPECT_EQ(LoggedTable(draw_frames()).names(), rows_for({"Audio", "Chunks", "Physics"}));
}

TEST_F(MemoryPanel, ClickingAHeaderSortsByThatColumnAndClickingAgainReverses) {
    budget_.report("Audio", 20 * kMiB, 1);
    budget_.report("Chunks", 5 * kMiB, 1);
    budget_.report("Physics", 90 * kMiB, 1);
    draw_frames();

    const ImGuiTable* table = ImGui::GetCurrentContext()->Tables.GetByIndex(0);
    const ImGuiTableColumn& current = table->Columns[1];
    const ImVec2 current_header((current.MinX + current.MaxX) * 0.5f,
                                table->OuterRect.Min.y + ImGui::GetTextLineHeight() * 0.5f);

    ui_.click(current_header, drawer());
    EXPECT_EQ(LoggedTable(draw_frames(1)).names(), rows_for({"Physics", "Audio", "Chunks"}));

    ui_.click(current_header, drawer());
    EXPECT_EQ(LoggedTable(draw_frames(1)).names(), rows_for({"Chunks", "Audio", "Physics"}));
}

TEST_F(MemoryPanel, SortOrderFollowsValuesAsTheyChange) {
    budget_.report("Audio", 20 * kMiB, 1);
    budget_.report("Chunks", 5 * kMiB, 1);
    draw_frames();
    const ImGuiTable* table = ImGui::GetCurrentContext()->Tables.GetByIndex(0);
    const ImGuiTableColumn& current = table->Columns[1];
    ui_.click(ImVec2((current.MinX + current.MaxX) * 0.5f, table->OuterRect.Min.y + 4.0f),
              drawer());
    ASSERT_EQ(LoggedTable(draw_frames(1)).names(), rows_for({"Audio", "Chunks"}));

    budget_.report("Chunks", 50 * kMiB, 1);
    EXPECT_EQ(LoggedTable(draw_frames(1)).names(), rows_for({"Chunks", "Audio"}));
}

TEST_F(MemoryPanel, TotalsLineShowsTrackedTotalAgainstTheTotalBudget) {
    budget_.report("Chunks", 3 * kMiB, 1);
    budget_.report("Meshes", 2 * kMiB, 1);
    EXPECT_THAT(draw_frames(), HasSubstr("Tracked Total: 5.0 MB  /  Budget: N/A"));

    budget_.set_total_budget(4096 * kMiB);
    EXPECT_THAT(draw_frames(1), HasSubstr("Tracked Total: 5.0 MB  /  Budget: 4.00 GB"));
}

TEST_F(MemoryPanel, RowsSetUpWithABudgetShowBeforeTheirFirstReport) {
    nd::configure_default_budgets(budget_);
    const LoggedTable table(draw_frames());
    EXPECT_EQ(table.names(),
              rows_for({"Audio", "Chunks", "Entities", "Meshes", "Physics", "Textures"}));
    EXPECT_EQ(table.cell("Chunks", "Current"), "0 B");
    EXPECT_EQ(table.cell("Chunks", "Budget"), "1.00 GB");
}

TEST_F(MemoryPanel, SubsystemsReportedLaterAppear) {
    budget_.report("Chunks", 1 * kMiB, 1);
    draw_frames();
    budget_.report("Meshes", 2 * kMiB, 1);
    EXPECT_EQ(LoggedTable(draw_frames(1)).cell("Meshes", "Current"), "2.0 MB");
}

TEST_F(MemoryPanel, AllocatorColumnShowsWhatTheTagHoldsAndTheGap) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    std::vector<char> blocks;
    {
        nd::MemoryScope scope("PanelTagged");
        blocks.resize(3 * kMiB);
    }
    budget_.report("PanelTagged", 1 * kMiB, 1);
    budget_.report("PanelUntagged", 1 * kMiB, 1);

    const LoggedTable table(draw_frames());

    const std::size_t held = nd::allocator_stats("PanelTagged").allocated_bytes;
    ASSERT_GE(held, 3 * kMiB);
    EXPECT_EQ(table.cell("PanelTagged", "Allocator"), nd::format_memory(held));
    const std::string gap = table.cell("PanelTagged", "Gap");
    ASSERT_FALSE(gap.empty());
    EXPECT_EQ(gap.front(), '+');
    EXPECT_EQ(gap.substr(1), nd::format_memory(held - kMiB));
    EXPECT_EQ(table.cell("PanelUntagged", "Allocator"), "-");
    EXPECT_EQ(table.cell("PanelUntagged", "Gap"), "-");
}

TEST_F(MemoryPanel, UntaggedRowShowsTheAllocatorsBytesOutsideEveryTag) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    budget_.report("Chunks", 1 * kMiB, 1);
    const std::vector<char> untagged(64 * kMiB, 'u');  // made outside every MemoryScope

    const LoggedTable table(draw_frames());

    const std::string cell = table.cell("Untagged", "Allocator");
    ASSERT_THAT(cell, ::testing::EndsWith(" MB"));
    const double megabytes = std::stod(cell);
    EXPECT_GE(megabytes, 64.0);
    // Everything else the process allocated outside a tag (gtest, the ImGui context) is far less.
    EXPECT_LT(megabytes, 64.0 + 16.0);
    for (const char* column : {"Current", "Gap", "Peak", "Budget"}) {
        EXPECT_EQ(table.cell("Untagged", column), "-") << column;
    }
}

// "Resident X = tracked A + allocator overhead B + code C + mapped files D + stacks E + GPU F +
// other G (P% unattributed)", the terms as resident_breakdown() splits them.
TEST_F(MemoryPanel, ResidentLineSplitsResidentMemoryByWhatHoldsIt) {
    budget_.report("Chunks", 1 * kMiB, 1);
    const std::string text = draw_frames();
    const std::string memory = "[0-9.]+ [KMG]?B";
    const std::string heap = nd::tracking_allocator_enabled()
                                 ? "tracked " + memory + " \\+ allocator overhead " + memory
                                 : "heap " + memory;
    EXPECT_THAT(text, ContainsRegex("Resident " + memory + " = " + heap + " \\+ code " + memory +
                                    " \\+ mapped files " + memory + " \\+ stacks " + memory +
                                    " \\+ GPU " + memory + " \\+ other " + memory +
                                    " \\([0-9]+\\.[0-9]% unattributed\\)"));
}

TEST_F(MemoryPanel, ResetPeaksButtonResetsTheBudgetsPeaks) {
    budget_.report("Chunks", 90 * kMiB, 1);
    budget_.report("Chunks", 10 * kMiB, 1);
    draw_frames();
    ASSERT_EQ(budget_.subsystem("Chunks")->peak_bytes, 90 * kMiB);

    const ImGuiWindow* window = ImGui::FindWindowByName("Memory Usage");
    const ImGuiStyle& style = ImGui::GetStyle();
    const ImVec2 button(
        window->Pos.x + window->Size.x - style.WindowPadding.x - 8.0f,
        window->Pos.y + window->Size.y - style.WindowPadding.y - ImGui::GetFrameHeight() * 0.5f);
    ui_.click(button, drawer());

    EXPECT_EQ(budget_.subsystem("Chunks")->peak_bytes, 10 * kMiB);
}

TEST_F(MemoryPanel, ClosedPanelDrawsNothing) {
    budget_.report("Chunks", 1, 1);
    panel_.open = false;
    EXPECT_THAT(draw_frames(), Not(HasSubstr("Chunks")));
    EXPECT_EQ(ImGui::FindWindowByName("Memory Usage"), nullptr);
}

TEST_F(MemoryPanel, HistoryColumnDrawsAGraphFromTheSampler) {
    ndi::MemoryHistory history;
    budget_.report("Chunks", 1 * kMiB, 1);
    draw_frames();
    const ImU32 plot_color = ImGui::GetColorU32(ImGuiCol_PlotLines);
    EXPECT_EQ(HeadlessImGui::vertices_with_color(plot_color), 0);

    history_ = &history;
    for (int second = 0; second < 10; ++second) {
        budget_.report("Chunks", (1 + second % 3) * kMiB, 1);
        history.sample(budget_, second);
    }
    draw_frames();
    EXPECT_GT(HeadlessImGui::vertices_with_color(plot_color), 0);
}

// The panel's promise: a steady-state frame allocates nothing, the resident line's refreshes
// (a few a second) included. ImGui's own buffers grow through ImGui's allocator (malloc, which
// NEBULA_TRACK_MALLOC counts too) until every history graph holds a full window; the steady state
// starts there.
TEST_F(MemoryPanel, SteadyStateFramesAllocateNothing) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "allocations are counted by the tracking allocator";
    }
    ndi::MemoryHistory history;
    history_ = &history;
    std::vector<std::string> names;
    for (int i = 0; i < 64; ++i) {
        names.push_back("Subsystem " + std::to_string(i));
        budget_.set_budget(names.back(), (i % 4 == 0 ? 0 : 64) * kMiB);
    }
    double now = 0.0;
    auto frame = [&](int i) {
        for (std::size_t row = 0; row < names.size(); ++row) {
            budget_.report(names[row], ((i + row) % 50) * kMiB, row);
        }
        history.sample(budget_, now);
        now += 1.0 / 60.0;
        ui_.frame(drawer());
    };
    for (int i = 0; i < 10; ++i) {
        frame(i);
    }
    while (now < history.config().window_seconds + 1.0) {
        ndi::testing::draw_panel_frame(budget_, panel_, history, now);
        now += 1.0 / 60.0;
    }

    std::size_t allocations = 0;
    for (int i = 10; i < 200; ++i) {
        allocations += ndi::testing::draw_panel_frame(budget_, panel_, history, now);
        for (std::size_t row = 0; row < names.size(); ++row) {
            budget_.report(names[row], ((i + row) % 50) * kMiB, row);
        }
        now += 1.0 / 60.0;
    }
    EXPECT_EQ(allocations, 0u);
}

}  // namespace
