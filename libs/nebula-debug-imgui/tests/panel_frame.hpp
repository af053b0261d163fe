// One steady-state panel frame as an engine draws it (sample the history, draw, render), shared
// by the test that no such frame allocates and the benchmark that times it.
#pragma once

#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <imgui.h>

#include <cstddef>

namespace nebula::debug::imgui::testing {

// Returns how many allocations the frame made (0 with tracking compiled out).
inline std::size_t draw_panel_frame(MemoryBudget& budget, MemoryPanelState& panel,
                                    MemoryHistory& history, double now) {
    const std::size_t before = allocator_stats().allocation_count;
    ImGui::NewFrame();
    history.sample(budget, now);
    draw_memory_panel(budget, panel, &history);
    ImGui::Render();
    return allocator_stats().allocation_count - before;
}

}  // namespace nebula::debug::imgui::testing
