// What the demo draws behind the panel until the voxel world exists: a top-down map of the
// workload's loaded chunk columns around the camera, and what the workload is doing.
#pragma once

#include "workload.hpp"

#include <imgui.h>

namespace nebula::demo {

// Draws into ImGui's background draw list, right of `panel_right` (the panel's right edge).
void draw_scene(const Workload& workload, double seconds, float panel_right);

}  // namespace nebula::demo
