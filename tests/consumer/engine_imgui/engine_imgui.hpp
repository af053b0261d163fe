// The engine's ImGui set-up.
#pragma once

void engine_imgui_install_allocator();
