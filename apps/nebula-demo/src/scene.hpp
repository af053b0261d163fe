// What the demo writes over the world: the scenario, the camera and streaming state, and the
// scenario's telling numbers (the old sector still loaded, the view distance shed, the leak).
#pragma once

#include "world/voxel_world.hpp"

#include <nebula/debug/leak_watch.hpp>

namespace nebula::demo {

// Draws into ImGui's foreground draw list, at the bottom left of the window.
void draw_scene_overlay(const VoxelWorld& world, const nebula::debug::LeakWatch& leak_watch,
                        double seconds);

}  // namespace nebula::demo
