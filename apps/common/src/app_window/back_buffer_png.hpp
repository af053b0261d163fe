// Saving what a window shows (the demo's and the viewer's --screenshot).
#pragma once

#include <string>

namespace nebula::app {

// Reads the current OpenGL context's back buffer (width x height, after rendering and before the
// swap) and writes it to `path` as an RGB PNG, creating missing directories. Returns an error
// message, empty on success.
std::string save_back_buffer_png(const std::string& path, int width, int height);

}  // namespace nebula::app
