// A Dear ImGui context without a backend: the font atlas is built on the CPU and frames are
// rendered to draw lists only, so the panel's text and vertex colours can be inspected.
#pragma once

#include <imgui.h>
#include <imgui_internal.h>

#include <string>

namespace nebula::debug::imgui::testing {

class HeadlessImGui {
public:
    explicit HeadlessImGui(ImVec2 display_size = ImVec2(1280.0f, 720.0f))
        : context_(ImGui::CreateContext()) {
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = display_size;
        io.DeltaTime = 1.0f / 60.0f;
        unsigned char* pixels = nullptr;
        int width = 0;
        int height = 0;
        io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
    }
    ~HeadlessImGui() { ImGui::DestroyContext(context_); }
    HeadlessImGui(const HeadlessImGui&) = delete;
    HeadlessImGui& operator=(const HeadlessImGui&) = delete;

    // Runs one frame around `draw` and returns the text its window emitted, through ImGui's
    // logging. ImGui stops logging at the End() of a top-level window and then hands the text to
    // the clipboard (a plain buffer in the context, without a backend), so the log is started
    // before the window begins and read from the clipboard after it ended.
    template <class Draw>
    std::string frame(Draw&& draw) {
        ImGui::NewFrame();
        ImGui::SetClipboardText("");
        ImGui::LogToClipboard();
        draw();
        ImGui::LogFinish();
        std::string text = ImGui::GetClipboardText() != nullptr ? ImGui::GetClipboardText() : "";
        ImGui::Render();
        return text;
    }

    // Counts the vertices of the last rendered frame whose colour is exactly `color`.
    static int vertices_with_color(ImU32 color) {
        int count = 0;
        const ImDrawData* draw_data = ImGui::GetDrawData();
        for (int list = 0; list < draw_data->CmdListsCount; ++list) {
            for (const ImDrawVert& vertex : draw_data->CmdLists[list]->VtxBuffer) {
                count += vertex.col == color ? 1 : 0;
            }
        }
        return count;
    }

    // A left click at `position`, spread over frames as a user's would be: move, press, release.
    template <class Draw>
    void click(ImVec2 position, Draw&& draw) {
        ImGuiIO& io = ImGui::GetIO();
        io.MousePos = position;
        frame(draw);
        io.MouseDown[0] = true;
        frame(draw);
        io.MouseDown[0] = false;
        frame(draw);
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        frame(draw);
    }

private:
    ImGuiContext* context_;
};

}  // namespace nebula::debug::imgui::testing
