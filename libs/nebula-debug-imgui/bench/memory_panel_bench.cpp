// What drawing the "Memory Usage" panel costs per frame, in a headless ImGui context (no backend,
// so the numbers are the panel's CPU work and ImGui's vertex generation, not GPU time), with the
// seed's 6 subsystems and with 64. The allocs_per_frame counter is what the panel allocates
// through operator new per frame; ImGui's own buffers use ImGui's allocator and are not in it.
// BM_EmptyImGuiFrame is the floor: NewFrame and Render with nothing drawn.
#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <benchmark/benchmark.h>

#include <imgui.h>
#include "headless_imgui.hpp"
#include "panel_frame.hpp"

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

// Each iteration is one frame: sample the history, draw the panel, render the draw lists.
void BM_DrawMemoryPanel(benchmark::State& state) {
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
BENCHMARK(BM_DrawMemoryPanel)->Arg(6)->Arg(64)->Unit(benchmark::kMicrosecond);

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
