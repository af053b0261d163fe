// Panel models read from files and documents: a snapshot (memory_snapshot.hpp, as
// write_memory_snapshot() and a program's GET /snapshot.json write it) and a capture
// (memory_capture.hpp). Built for nebula-viewer and the tests, not installed with the panel's
// sources: it needs nlohmann-json, which the panel itself does not.
#pragma once

#include <nebula/debug/imgui/memory_panel_model.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace nebula::debug::imgui {

// Reads a snapshot document (memory_snapshot.hpp, as write_memory_snapshot() and a program's
// GET /snapshot.json write it). Fields older snapshots lack stay at their defaults. Returns false
// with the reason in `*error` (prefixed by `origin`, a file name or a URL, when not empty) if the
// text is not such a document; `model` is then unchanged.
bool read_snapshot_json(std::string_view text, MemoryPanelModel& model, std::string* error,
                        std::string_view origin = {});
bool read_snapshot_file(const std::string& path, MemoryPanelModel& model, std::string* error);

// A capture (memory_capture.hpp): one model per row, and the row's time_s.
struct CaptureFrames {
    std::vector<double> seconds;
    std::vector<MemoryPanelModel> models;
};
// Returns false with a message naming `path` and the line in `*error` on a file that is not a
// capture (no time_s column, a row of another width, a cell that is not a number, no rows).
bool read_capture_file(const std::string& path, CaptureFrames& frames, std::string* error);

}  // namespace nebula::debug::imgui
