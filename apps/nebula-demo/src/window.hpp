// The windowed demo: GLFW + OpenGL 3, the "Memory Usage" panel over the scene.
#pragma once

#include "options.hpp"
#include "session.hpp"

namespace nebula::demo {

inline constexpr int kWindowWidth = 1280;
inline constexpr int kWindowHeight = 720;

// Runs until the window closes or options.frames frames were shown; with a screenshot path,
// saves the last frame. Returns the process exit status.
int run_window(const DemoOptions& options, DemoSession& session);

}  // namespace nebula::demo
