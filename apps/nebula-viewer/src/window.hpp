// The viewer's window: GLFW, OpenGL 3.3 and Dear ImGui's backends around the panel.
#pragma once

#include "options.hpp"
#include "sources.hpp"

namespace nebula::viewer {

// Runs until the window is closed or options.frames have been drawn; returns the exit status.
int run_window(const ViewerOptions& options, ViewerSource& source);

}  // namespace nebula::viewer
