// The engine's Dear ImGui configuration (IMGUI_USER_CONFIG): every file compiled against the
// engine's ImGui sees it, nebula-debug's panel included.
#pragma once

#define ENGINE_IMCONFIG_SEEN 1
