#include "window.hpp"

#include "render/world_renderer.hpp"
#include "scene.hpp"

#include <app_window/back_buffer_png.hpp>
#include <app_window/sessions.hpp>
#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <GLFW/glfw3.h>
#include <fmt/format.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>

namespace nebula::demo {
namespace {

namespace nd = nebula::debug;
namespace ndi = nebula::debug::imgui;

// Dear ImGui's own memory goes to an "ImGui" tag, through the entry points meant for
// third-party allocation hooks, instead of disappearing into Untagged.
void* imgui_allocate(std::size_t size, void* tag) {
    return nd::tracked_aligned_malloc(size, alignof(std::max_align_t),
                                      *static_cast<const nd::MemoryTag*>(tag));
}
void imgui_free(void* block, void*) {
    nd::tracked_free(block);
}

// Before the ImGui context is created: everything ImGui allocates goes to the "ImGui" tag.
void route_imgui_memory_to_its_tag() {
    static nd::MemoryTag imgui_tag = nd::memory_tag("ImGui");
    ImGui::SetAllocatorFunctions(imgui_allocate, imgui_free, &imgui_tag);
}

std::string no_window_message() {
    return fmt::format(
        "cannot open a window: {}\n"
        "Without a display, run with --headless, or under xvfb-run as scripts/demo.sh does.",
        app::last_glfw_error());
}

}  // namespace

int run_window(const DemoOptions& options, DemoSession& session) {
    app::GlfwSession glfw;
    if (!glfw.initialised()) {
        fmt::print(stderr, "nebula-demo: {}\n", no_window_message());
        return kExitFailure;
    }
    GLFWwindow* window =
        app::create_gl33_window(kWindowWidth, kWindowHeight, "nebula-demo: Memory Usage");
    if (window == nullptr) {
        fmt::print(stderr, "nebula-demo: {}\n", no_window_message());
        return kExitFailure;
    }
    glfwMakeContextCurrent(window);

    // A screenshot run steps time by a fixed 1/60 s as fast as it can, so the picture is the
    // same every time; an interactive run follows the clock at the display's pace.
    const bool fixed_step = options.screenshot_path.has_value();
    glfwSwapInterval(fixed_step ? 0 : 1);
    const long frame_limit =
        options.frames.value_or(options.screenshot_path ? kDefaultScreenshotFrames : kMaxFrames);

    bool screenshot_saved = false;
    int status = 0;
    {
        route_imgui_memory_to_its_tag();
        app::ImGuiSession imgui(window);
        WorldRenderer renderer(session.world());
        ndi::MemoryHistory history;
        ndi::MemoryPanelState panel;
        panel.default_size = ImVec2(1000.0f, 340.0f);  // every column, GPU and Allocs/frame too
        panel.leak_watch = &session.leak_watch();
        panel.selected_subsystem = options.selected_subsystem.value_or("");
        if (!panel.selected_subsystem.empty()) {
            panel.default_size.y += 180.0f;  // room for the Sites pane below the table
        }

        bool marked = false;
        const double start = glfwGetTime();
        for (long frame = 1; frame <= frame_limit && !glfwWindowShouldClose(window); ++frame) {
            glfwPollEvents();
            const double seconds =
                fixed_step ? static_cast<double>(frame) / kFramesPerSecond : glfwGetTime() - start;
            session.advance(seconds);
            for (const std::string& event : session.take_events()) {
                fmt::print("[{:.2f} s] {}\n", seconds, event);
            }
            history.sample(session.budget(), seconds);
            if (options.mark_at_seconds && seconds >= *options.mark_at_seconds && !marked) {
                panel.mark_requested = marked = true;
            }

            ImGui_ImplOpenGL3_NewFrame();
            ImGui_ImplGlfw_NewFrame();
            ImGui::NewFrame();
            if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) {
                glfwSetWindowShouldClose(window, GLFW_TRUE);
            }
            if (ImGui::IsKeyPressed(GLFW_KEY_F1, false)) {
                panel.open = !panel.open;
            }
            ndi::draw_memory_panel(session.budget(), panel, &history);
            draw_scene_overlay(session.world(), session.leak_watch(), seconds);
            ImGui::Render();

            int width = 0;
            int height = 0;
            glfwGetFramebufferSize(window, &width, &height);
            renderer.draw(width, height);
            ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

            if (options.screenshot_path && frame == frame_limit) {
                const std::string error =
                    app::save_back_buffer_png(*options.screenshot_path, width, height);
                if (!error.empty()) {
                    fmt::print(stderr, "nebula-demo: screenshot: {}\n", error);
                    status = kExitFailure;
                } else {
                    screenshot_saved = true;
                    fmt::print("nebula-demo: wrote {} ({}x{}, frame {})\n",
                               *options.screenshot_path, width, height, frame);
                }
            }
            glfwSwapBuffers(window);
        }
        session.summary().wall_seconds = glfwGetTime() - start;
        // With the window, its GL context and the world's GPU buffers still alive.
        session.finish_capture();
        write_requested_snapshot(options.snapshot_path, session.budget());
    }
    glfwDestroyWindow(window);
    if (options.screenshot_path && !screenshot_saved && status == 0) {
        fmt::print(stderr, "nebula-demo: the window closed before frame {}; no screenshot saved\n",
                   frame_limit);
        status = kExitFailure;
    }
    fmt::print("{}", summary_text(session.summary(), session.budget()));
    std::fflush(stdout);  // before the budget's peak log on stderr
    return status;
}

}  // namespace nebula::demo
