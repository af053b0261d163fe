// What drawing the "Memory Usage" panel costs per frame, in a headless ImGui context (no backend,
// so the numbers are the panel's CPU work and ImGui's vertex generation, not GPU time), with the
// seed's 6 subsystems and with 64. The allocs_per_frame counter is what the panel allocates
// through operator new per frame; ImGui's own buffers use ImGui's allocator and are not in it.
// BM_DrawMemoryPanelWithSites has a row selected and its Sites pane open over ten sites: its
// frames include the pane's reads of the sites (every kSitesRefreshSeconds of ImGui's clock,
// which advances 1/60 s a frame), so it is the pane's cost averaged over frames.
// BM_EmptyImGuiFrame is the floor: NewFrame and Render with nothing drawn.
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <benchmark/benchmark.h>

#include <imgui.h>
#include "headless_imgui.hpp"
#include "panel_frame.hpp"

#include <memory>
#include <string>
#include <vector>

namespace nd = nebula::debug;
namespace ndi = nebula::debug::imgui;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

void report_all(nd::MemoryBudget& budget, const std::vector<std::string>& names, int frame) {
    for (std::size_t row = 0; row < names.size(); ++row) {
        budget.report(names[row], ((frame + row * 7) % 600) * kMiB / 4, row);
    }
}

using Blocks = std::vector<std::unique_ptr<char[]>>;

// A site per depth: the same function, called through `depth` more frames of itself (the
// clobber after the call keeps it from becoming a jump, which would leave one frame). 4 MiB a
// site, about 8 samples at the default interval.
[[gnu::noinline]] void allocate_at_depth(Blocks& out, int depth) {
    if (depth > 0) {
        allocate_at_depth(out, depth - 1);
        benchmark::ClobberMemory();
        return;
    }
    for (int i = 0; i < 64; ++i) {
        out.push_back(std::make_unique<char[]>(64 * 1024));
    }
}

// Each iteration is one frame: sample the history, draw the panel, render the draw lists.
void draw_memory_panel_frames(benchmark::State& state, bool sites_pane) {
    const auto subsystem_count = static_cast<std::size_t>(state.range(0));
    const nebula::debug::imgui::testing::HeadlessImGui headless(ImVec2(1920.0f, 1080.0f));
    nd::MemoryBudget budget;
    budget.set_total_budget(64 * 1024 * kMiB);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < subsystem_count; ++i) {
        names.push_back("Subsystem " + std::to_string(i));
        budget.set_budget(names.back(), 256 * kMiB);
    }
    ndi::MemoryHistory history;
    ndi::MemoryPanelState panel;
    panel.default_size = ImVec2(900.0f, 1000.0f);  // every row on screen: the costly case
    Blocks blocks;
    if (sites_pane) {
        const nd::MemoryScope scope(names.front());
        for (std::size_t depth = 0; depth < ndi::kMaxSitesShown; ++depth) {
            allocate_at_depth(blocks, static_cast<int>(depth));
        }
        panel.selected_subsystem = names.front();
        // The first read of the sites loads the program's symbol tables: not a frame's cost.
        benchmark::DoNotOptimize(nd::live_allocation_sites(names.front()));
    }

    int frame = 0;
    double now = 0.0;
    std::size_t allocations = 0;
    for (auto _ : state) {
        state.PauseTiming();
        report_all(budget, names, frame++);
        now += 1.0 / 60.0;
        state.ResumeTiming();

        allocations += ndi::testing::draw_panel_frame(budget, panel, history, now);
        benchmark::DoNotOptimize(ImGui::GetDrawData()->TotalVtxCount);
    }
    state.counters["allocs_per_frame"] =
        benchmark::Counter(static_cast<double>(allocations), benchmark::Counter::kAvgIterations);
    state.counters["vertices"] = static_cast<double>(ImGui::GetDrawData()->TotalVtxCount);
}

void BM_DrawMemoryPanel(benchmark::State& state) {
    draw_memory_panel_frames(state, false);
}
BENCHMARK(BM_DrawMemoryPanel)->Arg(6)->Arg(32)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_DrawMemoryPanelWithSites(benchmark::State& state) {
    draw_memory_panel_frames(state, true);
}
BENCHMARK(BM_DrawMemoryPanelWithSites)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_EmptyImGuiFrame(benchmark::State& state) {
    const nebula::debug::imgui::testing::HeadlessImGui headless(ImVec2(1920.0f, 1080.0f));
    for (auto _ : state) {
        ImGui::NewFrame();
        ImGui::Render();
        benchmark::DoNotOptimize(ImGui::GetDrawData()->TotalVtxCount);
    }
}
BENCHMARK(BM_EmptyImGuiFrame)->Unit(benchmark::kMicrosecond);

}  // namespace
