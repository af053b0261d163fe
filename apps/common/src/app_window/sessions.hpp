// The GLFW and Dear ImGui lifetimes around an app's window (the demo's and the viewer's), as
// scoped objects so that every early return shuts down what was started, in reverse order.
#pragma once

#include <string>

struct GLFWwindow;

namespace nebula::app {

// GLFW initialised for this object's lifetime. GLFW's errors are kept from before glfwInit on,
// for last_glfw_error().
class GlfwSession {
public:
    GlfwSession();
    ~GlfwSession();
    GlfwSession(const GlfwSession&) = delete;
    GlfwSession& operator=(const GlfwSession&) = delete;
    bool initialised() const { return initialised_; }

private:
    bool initialised_ = false;
};

// GLFW's last error, "DESCRIPTION (GLFW error 0xCODE)", or "unknown GLFW error": why no window
// opened.
std::string last_glfw_error();

// A window with an OpenGL 3.3 core context (forward-compatible, as macOS requires), or nullptr.
GLFWwindow* create_gl33_window(int width, int height, const char* title);

// A Dear ImGui context with its GLFW and OpenGL 3 backends on `window`, for this object's
// lifetime. A program that routes ImGui's memory elsewhere calls ImGui::SetAllocatorFunctions
// before constructing it.
class ImGuiSession {
public:
    explicit ImGuiSession(GLFWwindow* window);
    ~ImGuiSession();
    ImGuiSession(const ImGuiSession&) = delete;
    ImGuiSession& operator=(const ImGuiSession&) = delete;
};

}  // namespace nebula::app
