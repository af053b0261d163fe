// Where the viewer's panel gets its model each frame: a snapshot file (one model), a capture
// (its last row, the history of all of them) or a running program's endpoint (polled).
#pragma once

#include <nebula/debug/imgui/memory_panel.hpp>

#include <memory>
#include <string>

#include "options.hpp"

namespace nebula::viewer {

class ViewerSource {
public:
    // Null, with an error naming the file or URL, for a source that cannot be read.
    static std::unique_ptr<ViewerSource> open(const ViewerOptions& options, std::string& error);

    virtual ~ViewerSource() = default;
    // The history's shape: a capture's covers the whole capture.
    virtual nebula::debug::imgui::MemoryHistory::Config history_config() const { return {}; }
    // Starts any background work; `wait_for_first`: return only once the first data (or the
    // first failure) is in, so that a screenshot shows it.
    virtual void start(bool /*wait_for_first*/) {}
    // Brings the model up to date, once per frame, feeding `history` from it.
    virtual const nebula::debug::imgui::MemoryPanelModel& update(
        double now_seconds, nebula::debug::imgui::MemoryHistory& history) = 0;
};

}  // namespace nebula::viewer
