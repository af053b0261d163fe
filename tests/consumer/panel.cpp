// Draws the Memory Usage panel for a few headless frames (no backend: the font atlas is built on
// the CPU) with the engine's ImGui (CONSUMER_ENGINE_IMGUI) or Debian's; exits non-zero when
// nothing was drawn.
#include <imgui.h>
#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstdio>

#ifdef CONSUMER_ENGINE_IMGUI
#include "engine_imgui.hpp"

static_assert(ENGINE_IMCONFIG_SEEN, "the engine's imconfig reaches code that includes imgui.h");
#endif

int main() {
    namespace nd = nebula::debug;
#ifdef CONSUMER_ENGINE_IMGUI
    engine_imgui_install_allocator();
    const bool engine_imgui = true;
#else
    const bool engine_imgui = false;
#endif
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280.0f, 720.0f);
    io.DeltaTime = 1.0f / 60.0f;
    unsigned char* pixels = nullptr;
    int width = 0;
    int height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);

    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 64ull << 20);
    budget.report("Chunks", 8ull << 20, 3);
    nd::imgui::MemoryHistory history;
    nd::imgui::MemoryPanelState panel;
    int vertices = 0;
    for (int frame = 0; frame < 3; ++frame) {
        ImGui::NewFrame();
        history.sample(budget, frame / 60.0);
        nd::imgui::draw_memory_panel(budget, panel, &history);
        ImGui::Render();
        vertices = ImGui::GetDrawData()->TotalVtxCount;
    }
    const bool imgui_tagged = !engine_imgui || !nd::tracking_allocator_enabled() ||
                              nd::allocator_stats("ImGui").allocated_bytes > 0;
    ImGui::DestroyContext();
    std::printf("consumer_panel: %d vertices, ImGui's memory %s\n", vertices,
                imgui_tagged ? "tagged" : "NOT tagged");
    return vertices > 0 && imgui_tagged ? 0 : 1;
}
