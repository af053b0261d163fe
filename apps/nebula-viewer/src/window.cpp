#include "window.hpp"

#include <app_window/back_buffer_png.hpp>
#include <app_window/sessions.hpp>
#include <nebula/debug/imgui/memory_panel.hpp>

#include <GLFW/glfw3.h>  // brings the system's OpenGL header
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <cstdio>
#include <string>

namespace nebula::viewer {
namespace {

namespace ndi = nebula::debug::imgui;

constexpr int kWindowWidth = 1280;
constexpr int kWindowHeight = 720;
constexpr double kFramesPerSecond = 60.0;

}  // namespace

int run_window(const ViewerOptions& options, ViewerSource& source) {
    app::GlfwSession glfw;
    const std::string title = "nebula-viewer: " + options.source;
    GLFWwindow* window = glfw.initialised()
                             ? app::create_gl33_window(kWindowWidth, kWindowHeight, title.c_str())
                             : nullptr;
    if (window == nullptr) {
        std::fprintf(stderr,
                     "nebula-viewer: cannot open a window: %s\n"
                     "Without a display, run it under xvfb-run.\n",
                     app::last_glfw_error().c_str());
        return kExitFailure;
    }
    glfwMakeContextCurrent(window);
    // A screenshot run steps time by a fixed 1/60 s as fast as it can; an interactive run
    // follows the clock at the display's pace.
    const bool fixed_step = options.screenshot_path.has_value();
    glfwSwapInterval(fixed_step ? 0 : 1);
    const long frame_limit =
        options.frames.value_or(fixed_step ? kDefaultScreenshotFrames : kMaxFrames);

    int status = 0;
    bool screenshot_saved = false;
    {
        app::ImGuiSession imgui(window);
        ndi::MemoryHistory history(source.history_config());
        ndi::MemoryPanelState panel;
        panel.default_position = ImVec2(8.0f, 8.0f);
        panel.default_size = ImVec2(kWindowWidth - 16.0f, kWindowHeight - 16.0f);
        source.start(fixed_step);
        const double start = glfwGetTime();
        for (long frame = 1; frame <= frame_limit && !glfwWindowShouldClose(window); ++frame) {
            glfwPollEvents();
            const double seconds =
                fixed_step ? static_cast<double>(frame) / kFramesPerSecond : glfwGetTime() - start;
            const ndi::MemoryPanelModel& model = source.update(seconds, history);

            ImGui_ImplOpenGL3_NewFrame();
            ImGui_ImplGlfw_NewFrame();
            ImGui::NewFrame();
            if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) {
                glfwSetWindowShouldClose(window, GLFW_TRUE);
            }
            ndi::draw_memory_panel(model, panel, &history);
            if (!panel.open) {  // the only window: closing it closes the viewer
                glfwSetWindowShouldClose(window, GLFW_TRUE);
            }
            ImGui::Render();

            int width = 0;
            int height = 0;
            glfwGetFramebufferSize(window, &width, &height);
            glViewport(0, 0, width, height);
            glClearColor(0.08f, 0.09f, 0.11f, 1.0f);
            glClear(GL_COLOR_BUFFER_BIT);
            ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

            if (options.screenshot_path && frame == frame_limit) {
                const std::string error =
                    app::save_back_buffer_png(*options.screenshot_path, width, height);
                if (!error.empty()) {
                    std::fprintf(stderr, "nebula-viewer: screenshot: %s\n", error.c_str());
                    status = kExitFailure;
                } else {
                    screenshot_saved = true;
                    std::printf("nebula-viewer: wrote %s (%dx%d, frame %ld)\n",
                                options.screenshot_path->c_str(), width, height, frame);
                    if (!model.status.empty()) {
                        std::printf("nebula-viewer: status: %s\n", model.status.c_str());
                    }
                }
            }
            glfwSwapBuffers(window);
        }
    }
    glfwDestroyWindow(window);
    if (options.screenshot_path && !screenshot_saved && status == 0) {
        std::fprintf(stderr, "nebula-viewer: the window closed before frame %ld; no screenshot\n",
                     frame_limit);
        status = kExitFailure;
    }
    return status;
}

}  // namespace nebula::viewer
