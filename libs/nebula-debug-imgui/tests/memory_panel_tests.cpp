#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "headless_imgui.hpp"
#include "logged_table.hpp"
#include "panel_frame.hpp"
#include "panel_mark.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nd = nebula::debug;
namespace ndi = nebula::debug::imgui;
using ndi::testing::HeadlessImGui;
using ndi::testing::LoggedTable;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

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
        panel_.default_size = ImVec2(1500.0f, 600.0f);
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

    HeadlessImGui ui_{ImVec2(1600.0f, 720.0f)};  // wide enough for every column
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
    const std::vector<std::string> all_headers{"Subsystem", "Current",     "Allocator", "Gap",
                                               "Peak",      "Budget",      "Usage",     "History",
                                               "GPU",       "Allocs/frame"};
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
// (a few a second) included; the driver's GPU figures, read every few seconds, are the documented
// exception and are left out here. ImGui's own buffers grow through ImGui's allocator (malloc,
// which NEBULA_TRACK_MALLOC counts too) until every history graph holds a full window; the steady
// state starts there.
TEST_F(MemoryPanel, SteadyStateFramesAllocateNothing) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "allocations are counted by the tracking allocator";
    }
    ndi::MemoryHistory history;
    history_ = &history;
    panel_.read_gpu_device = false;
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

// The Sites pane. Each function below is a site of its own, with a name the pane must show; the
// block sizes differ so that no optimiser folds the two into one.
using Blocks = std::vector<std::unique_ptr<char[]>>;
constexpr std::size_t kSampledEvery = 64 * 1024;
const std::string kPlusMinus = "\u00b1";

[[gnu::noinline]] void allocate_sites_pane_meshes(Blocks& out, std::size_t total) {
    constexpr std::size_t kBlock = 64 * 1024;
    for (std::size_t done = 0; done < total; done += kBlock) {
        out.push_back(std::make_unique<char[]>(kBlock));
    }
}

[[gnu::noinline]] void allocate_sites_pane_textures(Blocks& out, std::size_t total) {
    constexpr std::size_t kBlock = 128 * 1024;
    for (std::size_t done = 0; done < total; done += kBlock) {
        out.push_back(std::make_unique<char[]>(kBlock));
    }
}

// One allocation in every `bytes` sampled for the test's lifetime, the interval put back after.
class SamplingInterval {
public:
    explicit SamplingInterval(std::size_t bytes) : previous_(nd::sampling_interval()) {
        nd::set_sampling_interval(bytes);
    }
    ~SamplingInterval() { nd::set_sampling_interval(previous_); }
    SamplingInterval(const SamplingInterval&) = delete;
    SamplingInterval& operator=(const SamplingInterval&) = delete;

private:
    std::size_t previous_;
};

class SitesPane : public MemoryPanel {
protected:
    void SetUp() override {
        if (!nd::tracking_allocator_enabled()) {
            GTEST_SKIP() << "nothing is sampled with tracking compiled out";
        }
        // Untagged, so that a sampled growth of the holders never shows as a tag's second site.
        meshes_.reserve(kHeldBlocks);
        textures_.reserve(kHeldBlocks);
        {
            nd::MemoryScope scope("test.panel-sites");
            allocate_sites_pane_meshes(meshes_, 8 * kMiB);
        }
        {
            nd::MemoryScope scope("test.panel-sites-other");
            allocate_sites_pane_textures(textures_, 8 * kMiB);
        }
        budget_.report("test.panel-sites", 8 * kMiB, 128);
        budget_.report("test.panel-sites-other", 8 * kMiB, 64);
    }

    // The tag's largest site as the library lists it now, for the pane's copy to match.
    static nd::AllocationSite top_site(std::string_view tag) {
        std::vector<nd::AllocationSite> sites = nd::live_allocation_sites(tag, 1);
        return sites.empty() ? nd::AllocationSite{} : sites.front();
    }

    static constexpr std::size_t kHeldBlocks = 1024;
    SamplingInterval sampling_{kSampledEvery};
    Blocks meshes_;
    Blocks textures_;
};

TEST_F(SitesPane, SelectingARowShowsThatTagsTopSitesAndSwitchesAtOnce) {
    EXPECT_THAT(draw_frames(), Not(HasSubstr("Allocation sites")));

    panel_.selected_subsystem = "test.panel-sites";
    std::string text = draw_frames(1);
    EXPECT_THAT(text, HasSubstr("Allocation sites: test.panel-sites (sampled every " +
                                nd::format_memory(kSampledEvery) + ")"));
    LoggedTable sites(text, "Function", kPlusMinus);
    EXPECT_EQ(sites.headers(), (std::vector<std::string>{"Function", "Live", "Count", kPlusMinus}));
    std::vector<std::string> functions = sites.names();
    ASSERT_FALSE(functions.empty()) << text;
    ASSERT_LE(functions.size(), ndi::kMaxSitesShown);
    EXPECT_THAT(functions.front(), HasSubstr("allocate_sites_pane_meshes")) << text;
    EXPECT_THAT(text, Not(HasSubstr("allocate_sites_pane_textures")));

    const nd::AllocationSite site = top_site("test.panel-sites");
    ASSERT_THAT(std::string(nd::site_function(site)), HasSubstr("allocate_sites_pane_meshes"));
    char error[16];
    std::snprintf(error, sizeof error, "%s%.0f%%", kPlusMinus.c_str(),
                  100.0 / std::sqrt(static_cast<double>(site.live_samples)));
    EXPECT_EQ(sites.cell(functions.front(), "Live"), nd::format_memory(site.live_bytes));
    EXPECT_EQ(sites.cell(functions.front(), "Count"), std::to_string(site.live_allocations));
    EXPECT_EQ(sites.cell(functions.front(), kPlusMinus), error);

    panel_.selected_subsystem = "test.panel-sites-other";
    text = draw_frames(1);
    EXPECT_THAT(text, HasSubstr("Allocation sites: test.panel-sites-other "));
    functions = LoggedTable(text, "Function", kPlusMinus).names();
    ASSERT_FALSE(functions.empty()) << text;
    EXPECT_THAT(functions.front(), HasSubstr("allocate_sites_pane_textures"));
    EXPECT_THAT(text, Not(HasSubstr("allocate_sites_pane_meshes")));

    panel_.selected_subsystem.clear();
    EXPECT_THAT(draw_frames(1), Not(HasSubstr("Allocation sites")));
}

TEST_F(SitesPane, ReadsTheSitesAgainAFewTimesASecondAndDrawsItsCopyBetween) {
    panel_.selected_subsystem = "test.panel-sites";
    const auto top_function = [&](int frames) {
        const std::vector<std::string> functions =
            LoggedTable(draw_frames(frames), "Function", kPlusMinus).names();
        return functions.empty() ? std::string("<no site>") : functions.front();
    };
    ASSERT_THAT(top_function(1), HasSubstr("allocate_sites_pane_meshes"));

    {
        nd::MemoryScope scope("test.panel-sites");
        allocate_sites_pane_textures(textures_, 32 * kMiB);  // a new site, now the largest
    }
    ASSERT_THAT(std::string(nd::site_function(top_site("test.panel-sites"))),
                HasSubstr("allocate_sites_pane_textures"));
    EXPECT_THAT(top_function(1), HasSubstr("allocate_sites_pane_meshes"))
        << "read again before kSitesRefreshSeconds passed";

    const int frames_per_refresh =
        static_cast<int>(std::ceil(ndi::kSitesRefreshSeconds / ImGui::GetIO().DeltaTime));
    EXPECT_THAT(top_function(frames_per_refresh), HasSubstr("allocate_sites_pane_textures"));
}

// Between two reads of the sites the pane draws its copy: a frame allocates only when it reads
// them again (live_allocation_sites() allocates), a few times a second.
TEST_F(SitesPane, SteadyStateFramesAllocateOnlyWhenTheSitesAreReadAgain) {
    ndi::MemoryHistory history;
    panel_.selected_subsystem = "test.panel-sites";
    double now = 0.0;
    const float frame_seconds = ImGui::GetIO().DeltaTime;
    // Until ImGui's buffers and the history's graphs are full, the first symbolisation done.
    while (now < history.config().window_seconds + 1.0) {
        ndi::testing::draw_panel_frame(budget_, panel_, history, now);
        now += frame_seconds;
    }
    ASSERT_THAT(draw_frames(1), HasSubstr("allocate_sites_pane_meshes"));

    constexpr int kFrames = 120;
    int frames_that_allocated = 0;
    for (int i = 0; i < kFrames; ++i) {
        frames_that_allocated +=
            ndi::testing::draw_panel_frame(budget_, panel_, history, now) > 0 ? 1 : 0;
        now += frame_seconds;
    }
    const double reads = kFrames * frame_seconds / ndi::kSitesRefreshSeconds;
    EXPECT_LE(frames_that_allocated, static_cast<int>(std::ceil(reads)) + 1);
    EXPECT_GE(frames_that_allocated, static_cast<int>(reads) - 1)
        << "the sites are read again every kSitesRefreshSeconds";
}

// The pane's room is taken from the subsystems' table: the window itself never scrolls, in the
// seed's size as in a large one, and the sites' table shows its lines without scrolling.
TEST_F(SitesPane, FitsBelowTheFooterWithoutScrollingTheWindow) {
    panel_.selected_subsystem = "test.panel-sites";
    for (const ImVec2 size : {ImVec2(1100.0f, 600.0f), ImVec2(450.0f, 300.0f)}) {
        for (int frame = 0; frame < 3; ++frame) {
            ui_.frame([&] {
                ImGui::SetWindowSize("Memory Usage", size);
                ndi::draw_memory_panel(budget_, panel_, history_);
            });
        }
        const ImGuiWindow* window = ImGui::FindWindowByName("Memory Usage");
        ASSERT_NE(window, nullptr);
        ASSERT_EQ(window->Size.y, size.y);
        EXPECT_EQ(window->ScrollMax.y, 0.0f) << size.x << " x " << size.y;
        const ImGuiTable* sites = ImGui::GetCurrentContext()->Tables.GetByIndex(1);
        ASSERT_NE(sites, nullptr);
        EXPECT_EQ(sites->InnerWindow->ScrollMax.y, 0.0f) << size.x << " x " << size.y;
    }
}

TEST_F(SitesPane, SaysSoWhenTheTagHasNoSampledBlocks) {
    budget_.report("test.panel-sites-empty", 1 * kMiB, 1);
    panel_.selected_subsystem = "test.panel-sites-empty";
    const std::string text = draw_frames();
    EXPECT_THAT(text, HasSubstr("Allocation sites: test.panel-sites-empty (sampled every "));
    EXPECT_THAT(text, HasSubstr("None of its live blocks was sampled yet"));
    EXPECT_THAT(text, Not(HasSubstr("allocate_sites_pane")));
}

TEST_F(MemoryPanel, SitesPaneSaysHowToTurnSamplingOn) {
    const SamplingInterval off(0);
    budget_.report("Meshes", 1 * kMiB, 1);
    panel_.selected_subsystem = "Meshes";
    const std::string text = draw_frames();
    EXPECT_THAT(text, HasSubstr("Allocation sites: Meshes"));
    if (nd::tracking_allocator_enabled()) {
        EXPECT_THAT(text, HasSubstr("Sampling is off"));
        EXPECT_THAT(text, HasSubstr("NEBULA_SAMPLING_INTERVAL=<bytes>"));
        EXPECT_THAT(text, HasSubstr("set_sampling_interval(<bytes>)"));
    } else {
        EXPECT_THAT(text, HasSubstr("the tracking allocator is compiled out"));
    }
    EXPECT_THAT(text, Not(HasSubstr("Function")));
    EXPECT_EQ(ImGui::FindWindowByName("Memory Usage")->ScrollMax.y, 0.0f)
        << "the message's room is kept below the footer";
}

TEST_F(MemoryPanel, ClickingARowSelectsItsSubsystemAndClickingAgainDeselects) {
    budget_.report("Chunks", 1 * kMiB, 1);
    draw_frames();
    const ImGuiTable* table = ImGui::GetCurrentContext()->Tables.GetByIndex(0);
    const ImGuiStyle& style = ImGui::GetStyle();
    const float header_height = ImGui::GetTextLineHeight() + style.CellPadding.y * 2.0f;
    const float row_height = ImGui::GetFrameHeight() + style.CellPadding.y * 2.0f;
    const auto row_center = [&](int row) {
        return ImVec2(table->OuterRect.Min.x + 8.0f,
                      table->OuterRect.Min.y + header_height + row_height * (row + 0.5f));
    };

    ui_.click(row_center(0), drawer());
    EXPECT_EQ(panel_.selected_subsystem, "Chunks");
    EXPECT_THAT(draw_frames(1), HasSubstr("Allocation sites: Chunks"));

    ui_.click(row_center(0), drawer());
    EXPECT_EQ(panel_.selected_subsystem, "");
    EXPECT_THAT(draw_frames(1), Not(HasSubstr("Allocation sites")));

    if (nd::tracking_allocator_enabled()) {
        ui_.click(row_center(1), drawer());
        EXPECT_EQ(panel_.selected_subsystem, nd::kUntaggedName);
        EXPECT_THAT(draw_frames(1), HasSubstr("Allocation sites: Untagged"));
    }
}

// "Mark": the Since mark column and the Sites pane's sites grown since the mark.
ImVec2 mark_button_center(bool marked) {
    const ImGuiWindow* window = ImGui::FindWindowByName("Memory Usage");
    const ImGuiStyle& style = ImGui::GetStyle();
    const float reset_width = ImGui::CalcTextSize("Reset peaks").x + style.FramePadding.x * 2;
    const float mark_width =
        ImGui::CalcTextSize(marked ? "Clear mark" : "Mark").x + style.FramePadding.x * 2;
    return ImVec2(
        window->Pos.x + window->Size.x - style.WindowPadding.x - reset_width - style.ItemSpacing.x -
            mark_width * 0.5f,
        window->Pos.y + window->Size.y - style.WindowPadding.y - ImGui::GetFrameHeight() * 0.5f);
}

TEST_F(MemoryPanel, MarkButtonShowsEachRowsGrowthUntilClearMark) {
    budget_.report("Chunks", 10 * kMiB, 1);
    budget_.report("Meshes", 4 * kMiB, 1);
    LoggedTable table(draw_frames());
    EXPECT_EQ(table.cell("Chunks", "Since mark"), "<absent>") << "no column without a mark";

    ui_.click(mark_button_center(false), drawer());
    budget_.report("Chunks", 13 * kMiB, 1);
    budget_.report("Meshes", 3 * kMiB, 1);
    table = LoggedTable(draw_frames());
    // Rows without a tag of their own: the growth of what they report.
    EXPECT_EQ(table.cell("Chunks", "Since mark"), "+3.0 MB");
    EXPECT_EQ(table.cell("Meshes", "Since mark"), "-1.0 MB");

    budget_.report("Audio", 1 * kMiB, 1);
    EXPECT_EQ(LoggedTable(draw_frames()).cell("Audio", "Since mark"), "-")
        << "a row that appeared after the mark has no growth since it";

    ui_.click(mark_button_center(true), drawer());
    EXPECT_EQ(LoggedTable(draw_frames()).cell("Chunks", "Since mark"), "<absent>");
    EXPECT_EQ(LoggedTable(draw_frames()).cell("Chunks", "Current"), "13.0 MB");
}

TEST_F(MemoryPanel, MarkRequestedFromCodeCountsATagsAllocatorBytes) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "no allocator bytes with tracking compiled out";
    }
    std::vector<std::unique_ptr<char[]>> held;
    {
        nd::MemoryScope scope("test.panel-mark");
        held.push_back(std::make_unique<char[]>(kMiB));
    }
    budget_.report("test.panel-mark", 1 * kMiB, 1);
    panel_.mark_requested = true;
    draw_frames();
    EXPECT_FALSE(panel_.mark_requested) << "the draw that places the mark clears the request";
    {
        nd::MemoryScope scope("test.panel-mark");
        held.push_back(std::make_unique<char[]>(2 * kMiB));
    }
    // The subsystem reports no more; its tag holds 2 MiB more: a leak, as the Gap shows it.
    EXPECT_EQ(LoggedTable(draw_frames()).cell("test.panel-mark", "Since mark"), "+2.0 MB");
}

TEST_F(SitesPane, AfterAMarkListsTheSitesThatGrewWithTheirIntervals) {
    panel_.selected_subsystem = "test.panel-sites";
    panel_.mark_requested = true;
    draw_frames();
    std::string text = draw_frames(1);
    EXPECT_THAT(text, HasSubstr("Allocation sites: test.panel-sites, grown since the mark"));
    EXPECT_THAT(text, HasSubstr("No sampled site of this tag grew since the mark"));

    {
        nd::MemoryScope scope("test.panel-sites");
        allocate_sites_pane_textures(textures_, 16 * kMiB);
    }
    const int frames_per_refresh =
        static_cast<int>(std::ceil(ndi::kSitesRefreshSeconds / ImGui::GetIO().DeltaTime));
    text = draw_frames(frames_per_refresh);
    const std::string interval_header = kPlusMinus + " 95%";
    LoggedTable sites(text, "Function", interval_header);
    EXPECT_EQ(sites.headers(),
              (std::vector<std::string>{"Function", "Growth", "Live", interval_header}));
    const std::vector<std::string> functions = sites.names();
    ASSERT_EQ(functions.size(), 1u) << "only the site that grew: " << text;
    EXPECT_THAT(functions.front(), HasSubstr("allocate_sites_pane_textures"));
    EXPECT_THAT(sites.cell(functions.front(), "Growth"), ContainsRegex("^\\+[0-9.]+ MB$"));
    EXPECT_THAT(sites.cell(functions.front(), interval_header),
                ContainsRegex("^" + kPlusMinus + "[0-9.]+ (MB|KB)$"));
}

TEST(PanelMark, GrowthIntervalFollowsTheChangedSamples) {
    nd::AllocationSite site;
    site.live_bytes = 32 * kMiB;
    site.live_allocations = 512;  // 64 KiB blocks
    site.live_samples = 20;
    constexpr std::size_t kInterval = 512 * 1024;
    // 16 samples more than at the mark, for 16 MiB of growth: 1 MiB a changed sample, and a
    // 64 KiB block goes unsampled with probability exp(-1/8).
    const double expected = 1.959963984540054 * kMiB * std::sqrt(16.0 * std::exp(-1.0 / 8.0));
    EXPECT_NEAR(
        static_cast<double>(ndi::detail::growth_interval_bytes(site, 4, 16 * kMiB, kInterval)),
        expected, 1.0);
    EXPECT_EQ(ndi::detail::growth_interval_bytes(site, 20, 0, kInterval), 0)
        << "the same samples at both times: nothing uncertain";
    EXPECT_EQ(ndi::detail::growth_interval_bytes(site, 4, 16 * kMiB, 0), 0) << "sampling off";
    // Blocks far above the interval are always sampled: no error however many changed.
    site.live_allocations = 1;
    EXPECT_EQ(ndi::detail::growth_interval_bytes(site, 4, 16 * kMiB, 1024), 0);
}

}  // namespace

namespace {

TEST_F(MemoryPanel, GpuColumnShowsTheTagsGpuBytesAndTheTotals) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "GPU tracking is compiled out with the tracking allocator";
    }
    const nd::MemoryTag tag = nd::memory_tag("PanelGpu");
    budget_.report("PanelGpu", kMiB, 1);
    budget_.report("PanelNoGpu", kMiB, 1);
    nd::track_gpu_allocation(0x9A9E1, 3 * kMiB, tag);
    const std::string text = draw_frames();
    const LoggedTable table(text);
    EXPECT_EQ(table.cell("PanelGpu", "GPU"), "3.0 MB");
    EXPECT_EQ(table.cell("PanelNoGpu", "GPU"), "-");
    EXPECT_THAT(text, HasSubstr("GPU tracked: "));
    // Under Xvfb Mesa answers; without a display no source does, and the panel says so.
    EXPECT_THAT(text, ::testing::AnyOf(HasSubstr("Device: unknown"), HasSubstr("Device: used")));
    nd::track_gpu_free(0x9A9E1);
}

TEST_F(MemoryPanel, AllocsPerFrameColumnShowsTheLastFramesChurn) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "churn is counted by the tracking allocator";
    }
    budget_.report("PanelChurn", kMiB, 1);
    nd::memory_tag("PanelChurn");
    budget_.end_frame();
    {
        nd::MemoryScope scope("PanelChurn");
        for (int i = 0; i < 37; ++i) {
            // Through the tracker's entry point: a new-expression's pair may be elided when
            // optimised.
            nd::tracked_free(nd::tracked_malloc(sizeof(int)));
        }
    }
    budget_.end_frame();
    const LoggedTable table(draw_frames());
    EXPECT_EQ(table.cell("PanelChurn", "Allocs/frame"), "37");
    EXPECT_EQ(table.cell(std::string(nd::kUntaggedName), "Allocs/frame"), "-");
}

}  // namespace
