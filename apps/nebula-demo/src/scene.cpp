#include "scene.hpp"

#include <imgui.h>

#include <cstdio>

namespace nebula::demo {
namespace {

constexpr ImU32 kText = IM_COL32(240, 240, 240, 255);
constexpr ImU32 kDimText = IM_COL32(200, 205, 215, 255);
constexpr ImU32 kEventOn = IM_COL32(255, 170, 70, 255);
constexpr ImU32 kBackdrop = IM_COL32(10, 12, 18, 170);
constexpr float kMargin = 16.0f;

}  // namespace

void draw_scene_overlay(const VoxelWorld& world, const nebula::debug::LeakWatch& leak_watch,
                        double seconds) {
    ImDrawList& list = *ImGui::GetForegroundDrawList();
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const CameraPose& camera = world.camera();

    char lines[4][200];
    ImU32 colors[4] = {kText, kDimText, kDimText, kDimText};
    std::snprintf(lines[0], sizeof lines[0], "nebula-demo: scenario %.*s",
                  static_cast<int>(world.scenario().name.size()), world.scenario().name.data());
    std::snprintf(lines[1], sizeof lines[1],
                  "t = %5.1f s   sector %d   camera chunk (%.0f, %.0f)   view distance %d   "
                  "%zu chunks, %zu meshes, %zu colliders, %zu entities",
                  seconds, camera.sector, camera.x, camera.z, world.chunks().view_distance(),
                  world.chunks().count(), world.meshes().meshes().size(),
                  world.physics().collider_count(), world.entities().count());
    std::snprintf(lines[2], sizeof lines[2], "%.*s",
                  static_cast<int>(world.scenario().summary.size()),
                  world.scenario().summary.data());
    if (world.chunks().retaining()) {
        std::snprintf(lines[3], sizeof lines[3], "old sector still loaded beside the new one");
        colors[3] = kEventOn;
    } else if (world.pressure_responses() > 0) {
        std::snprintf(lines[3], sizeof lines[3],
                      "memory pressure: chunks shed %d time%s, view distance now %d",
                      world.pressure_responses(), world.pressure_responses() == 1 ? "" : "s",
                      world.chunks().view_distance());
        colors[3] = kEventOn;
    } else if (leak_watch.is_suspect(MeshStore::kName)) {
        std::snprintf(lines[3], sizeof lines[3],
                      "leak: the allocator holds %.1f MB under Meshes that no mesh reports",
                      static_cast<double>(leak_watch.gap(MeshStore::kName)) / (1024.0 * 1024.0));
        colors[3] = kEventOn;
    } else {
        std::snprintf(lines[3], sizeof lines[3], "F1: show/hide the panel   Esc: quit");
    }

    const ImVec2 origin(kMargin, display.y - kMargin - 4.0f * line);
    float width = 0.0f;
    for (const char* text : lines) {
        width = ImGui::CalcTextSize(text).x > width ? ImGui::CalcTextSize(text).x : width;
    }
    list.AddRectFilled(ImVec2(origin.x - 8.0f, origin.y - 6.0f),
                       ImVec2(origin.x + width + 8.0f, origin.y + 4.0f * line + 2.0f), kBackdrop,
                       6.0f);
    for (int i = 0; i < 4; ++i) {
        list.AddText(ImVec2(origin.x, origin.y + static_cast<float>(i) * line), colors[i],
                     lines[i]);
    }
}

}  // namespace nebula::demo
