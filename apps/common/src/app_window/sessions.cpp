#include "app_window/sessions.hpp"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <cstdio>

namespace nebula::app {
namespace {

// GLFW reports errors through a callback only; the message is wanted later, after glfwInit or
// glfwCreateWindow failed.
std::string g_glfw_error;

void remember_glfw_error(int code, const char* description) {
    char code_text[32];
    std::snprintf(code_text, sizeof code_text, "%#x", static_cast<unsigned>(code));
    g_glfw_error = std::string(description) + " (GLFW error " + code_text + ")";
}

}  // namespace

GlfwSession::GlfwSession() {
    glfwSetErrorCallback(remember_glfw_error);
    initialised_ = glfwInit() == GLFW_TRUE;
}

GlfwSession::~GlfwSession() {
    if (initialised_) {
        glfwTerminate();
    }
}

std::string last_glfw_error() {
    return g_glfw_error.empty() ? "unknown GLFW error" : g_glfw_error;
}

GLFWwindow* create_gl33_window(int width, int height, const char* title) {
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    return glfwCreateWindow(width, height, title, nullptr, nullptr);
}

ImGuiSession::ImGuiSession(GLFWwindow* window) {
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // a run leaves no imgui.ini behind
    ImGui::StyleColorsDark();
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");
}

ImGuiSession::~ImGuiSession() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
}

}  // namespace nebula::app
