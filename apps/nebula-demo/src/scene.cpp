#include "scene.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nebula::demo {
namespace {

constexpr ImU32 kMapBackground = IM_COL32(22, 26, 34, 255);
constexpr ImU32 kMapBorder = IM_COL32(70, 78, 96, 255);
constexpr ImU32 kColumnLoaded = IM_COL32(58, 66, 84, 255);
constexpr ImU32 kColumnMeshed = IM_COL32(64, 118, 92, 255);
constexpr ImU32 kColumnWithCollider = IM_COL32(90, 164, 112, 255);
constexpr ImU32 kLoadRadius = IM_COL32(220, 200, 120, 170);
constexpr ImU32 kCamera = IM_COL32(245, 205, 80, 255);
constexpr ImU32 kText = IM_COL32(200, 200, 200, 255);
constexpr ImU32 kDimText = IM_COL32(140, 146, 160, 255);
constexpr ImU32 kEventOn = IM_COL32(230, 140, 60, 255);
constexpr float kMargin = 16.0f;
constexpr double kMapReachChunks = 11.0;  // beyond the largest load radius

void legend_entry(ImDrawList& list, ImVec2& cursor, ImU32 color, const char* label) {
    const float size = ImGui::GetTextLineHeight();
    list.AddRectFilled(cursor, ImVec2(cursor.x + size, cursor.y + size), color);
    list.AddText(ImVec2(cursor.x + size + 6.0f, cursor.y), kText, label);
    cursor.x += size + 12.0f + ImGui::CalcTextSize(label).x + 16.0f;
}

void draw_map(ImDrawList& list, const Workload& workload, ImVec2 min, ImVec2 max) {
    list.AddRectFilled(min, max, kMapBackground, 6.0f);
    list.AddRect(min, max, kMapBorder, 6.0f);
    const ImVec2 center((min.x + max.x) * 0.5f, (min.y + max.y) * 0.5f);
    const float cell =
        std::min(max.x - min.x, max.y - min.y) / static_cast<float>(2.0 * kMapReachChunks + 1.0);
    const WorkloadView view = workload.view();

    list.PushClipRect(min, max, true);
    for (const ChunkColumn& column : workload.loaded_columns()) {
        const float x = center.x + static_cast<float>(column.x - view.camera_x) * cell;
        const float y = center.y + static_cast<float>(column.z - view.camera_z) * cell;
        const ImU32 color = column.collider ? kColumnWithCollider
                            : column.meshed ? kColumnMeshed
                                            : kColumnLoaded;
        list.AddRectFilled(ImVec2(x - cell * 0.45f, y - cell * 0.45f),
                           ImVec2(x + cell * 0.45f, y + cell * 0.45f), color);
    }
    list.AddCircle(center, static_cast<float>(view.load_radius) * cell, kLoadRadius, 64, 1.5f);
    list.AddCircleFilled(center, cell * 0.35f, kCamera);
    list.PopClipRect();
}

void draw_status(ImDrawList& list, const Workload& workload, double seconds, ImVec2 origin) {
    const WorkloadView view = workload.view();
    const float line = ImGui::GetTextLineHeightWithSpacing();
    ImVec2 cursor = origin;
    list.AddText(cursor, kText, "nebula-demo: a synthetic engine workload (until the voxel world)");
    cursor.y += line;
    char text[160];
    std::snprintf(text, sizeof text, "t = %6.1f s   camera (%.0f, %.0f)   load radius %.1f chunks",
                  seconds, view.camera_x, view.camera_z, view.load_radius);
    list.AddText(cursor, kDimText, text);
    cursor.y += line;

    struct Event {
        const char* label;
        bool on;
    };
    const Event events[] = {{"sector transition", view.sector_transition},
                            {"horde", view.horde},
                            {"sound burst", view.sound_burst}};
    for (const Event& event : events) {
        list.AddText(cursor, event.on ? kEventOn : kDimText, event.label);
        cursor.x += ImGui::CalcTextSize(event.label).x + 24.0f;
    }
    cursor = ImVec2(origin.x, cursor.y + line);
    list.AddText(cursor, kDimText, "F1: show/hide the panel   Esc: quit");
}

}  // namespace

void draw_scene(const Workload& workload, double seconds, float panel_right) {
    ImDrawList& list = *ImGui::GetBackgroundDrawList();
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const float line = ImGui::GetTextLineHeightWithSpacing();

    const ImVec2 map_min(std::max(panel_right + kMargin, display.x * 0.35f), kMargin + line);
    const ImVec2 map_max(display.x - kMargin, display.y - kMargin - 4.0f * line);
    if (map_max.x - map_min.x > 64.0f && map_max.y - map_min.y > 64.0f) {
        list.AddText(ImVec2(map_min.x, kMargin), kText,
                     "Loaded chunk columns around the camera (top-down)");
        draw_map(list, workload, map_min, map_max);
        ImVec2 legend(map_min.x, map_max.y + line * 0.5f);
        legend_entry(list, legend, kColumnLoaded, "voxels");
        legend_entry(list, legend, kColumnMeshed, "+ mesh");
        legend_entry(list, legend, kColumnWithCollider, "+ collider");
    }
    draw_status(list, workload, seconds, ImVec2(kMargin, display.y - kMargin - 4.0f * line));
}

}  // namespace nebula::demo
