#include "window.hpp"

#include <nebula/debug/imgui/memory_panel.hpp>

#include <GLFW/glfw3.h>  // brings the system's OpenGL header
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace nebula::viewer {
namespace {

namespace ndi = nebula::debug::imgui;

constexpr int kWindowWidth = 1280;
constexpr int kWindowHeight = 720;
constexpr double kFramesPerSecond = 60.0;

std::string g_glfw_error;

void remember_glfw_error(int code, const char* description) {
    g_glfw_error = std::string(description) + " (GLFW error " + std::to_string(code) + ")";
}

class GlfwSession {
public:
    GlfwSession() : initialised_(glfwInit() == GLFW_TRUE) {}
    ~GlfwSession() {
        if (initialised_) {
            glfwTerminate();
        }
    }
    GlfwSession(const GlfwSession&) = delete;
    GlfwSession& operator=(const GlfwSession&) = delete;
    bool initialised() const { return initialised_; }

private:
    bool initialised_;
};

class ImGuiSession {
public:
    explicit ImGuiSession(GLFWwindow* window) {
        ImGui::CreateContext();
        ImGui::GetIO().IniFilename = nullptr;  // a viewer run leaves no imgui.ini behind
        ImGui::StyleColorsDark();
        ImGui_ImplGlfw_InitForOpenGL(window, true);
        ImGui_ImplOpenGL3_Init("#version 330 core");
    }
    ~ImGuiSession() {
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
    }
    ImGuiSession(const ImGuiSession&) = delete;
    ImGuiSession& operator=(const ImGuiSession&) = delete;
};

// The back buffer as a PNG; an empty string on success, the reason otherwise.
std::string save_back_buffer_png(const std::string& path, int width, int height) {
    if (width <= 0 || height <= 0) {
        return "the window has no pixels to save";
    }
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code error;
    if (!parent.empty()) {
        std::filesystem::create_directories(parent, error);
        if (error) {
            return "cannot create " + parent.string() + ": " + error.message();
        }
    }
    const auto row_bytes = static_cast<std::size_t>(width) * 3;
    std::vector<std::uint8_t> pixels(row_bytes * static_cast<std::size_t>(height));
    glReadBuffer(GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    if (const GLenum gl_error = glGetError(); gl_error != GL_NO_ERROR) {
        return "glReadPixels failed with OpenGL error " + std::to_string(gl_error);
    }
    stbi_flip_vertically_on_write(1);  // OpenGL's rows run bottom-up, PNG's top-down
    if (stbi_write_png(path.c_str(), width, height, 3, pixels.data(),
                       static_cast<int>(row_bytes)) == 0) {
        return "cannot write " + path;
    }
    return {};
}

}  // namespace

int run_window(const ViewerOptions& options, ViewerSource& source) {
    glfwSetErrorCallback(remember_glfw_error);
    GlfwSession glfw;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    const std::string title = "nebula-viewer: " + options.source;
    GLFWwindow* window = glfw.initialised() ? glfwCreateWindow(kWindowWidth, kWindowHeight,
                                                               title.c_str(), nullptr, nullptr)
                                            : nullptr;
    if (window == nullptr) {
        std::fprintf(stderr,
                     "nebula-viewer: cannot open a window: %s\n"
                     "Without a display, run it under xvfb-run.\n",
                     g_glfw_error.empty() ? "unknown GLFW error" : g_glfw_error.c_str());
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
        ImGuiSession imgui(window);
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
                    save_back_buffer_png(*options.screenshot_path, width, height);
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
