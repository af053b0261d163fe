#include "sources.hpp"

#include <nebula/debug/imgui/model_files.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>

#include "remote_feed.hpp"

namespace nebula::viewer {
namespace {

namespace ndi = nebula::debug::imgui;

constexpr int kFirstAnswerAttempts = 60;

// A saved snapshot: one moment, so no history.
class SnapshotSource final : public ViewerSource {
public:
    explicit SnapshotSource(ndi::MemoryPanelModel model) : model_(std::move(model)) {}
    const ndi::MemoryPanelModel& update(double, ndi::MemoryHistory&) override { return model_; }

private:
    ndi::MemoryPanelModel model_;
};

// A capture's last row, with every row in the history: one history sample per row, the window
// as long as the capture.
class CaptureSource final : public ViewerSource {
public:
    explicit CaptureSource(ndi::CaptureFrames frames) : frames_(std::move(frames)) {}

    ndi::MemoryHistory::Config history_config() const override {
        const std::size_t rows = frames_.models.size();
        const double span = frames_.seconds.back() - frames_.seconds.front();
        ndi::MemoryHistory::Config config;
        config.samples_per_window = std::max<std::size_t>(rows, 2);
        config.window_seconds = rows > 1 && span > 0.0 ? span * static_cast<double>(rows) /
                                                             static_cast<double>(rows - 1)
                                                       : 1.0;
        config.max_subsystems =
            std::max<std::size_t>(config.max_subsystems, frames_.models.back().rows.size());
        return config;
    }

    const ndi::MemoryPanelModel& update(double, ndi::MemoryHistory& history) override {
        if (!history_filled_) {
            history_filled_ = true;
            // Evenly spaced, so that each row is one sample whatever its capture time's jitter.
            const double step = history.config().window_seconds /
                                static_cast<double>(history.config().samples_per_window);
            for (std::size_t i = 0; i < frames_.models.size(); ++i) {
                history.sample(frames_.models[i], static_cast<double>(i) * step);
            }
        }
        return frames_.models.back();
    }

private:
    ndi::CaptureFrames frames_;
    bool history_filled_ = false;
};

class RemoteSource final : public ViewerSource {
public:
    explicit RemoteSource(std::unique_ptr<RemoteFeed> feed) : feed_(std::move(feed)) {}

    // A screenshot run started beside its server (a test) gives the server a while to listen.
    void start(bool wait_for_first) override {
        for (int attempt = 0; wait_for_first && attempt < kFirstAnswerAttempts; ++attempt) {
            feed_->poll_once();
            if (feed_->connected()) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::duration<double>(kPollSeconds));
        }
        feed_->start();
    }

    const ndi::MemoryPanelModel& update(double now, ndi::MemoryHistory& history) override {
        // A stale model (the connection is down) adds nothing to the history.
        if (feed_->take(model_, generation_) && model_.status.empty()) {
            history.sample(model_, now);
        }
        return model_;
    }

private:
    std::unique_ptr<RemoteFeed> feed_;
    ndi::MemoryPanelModel model_;
    std::uint64_t generation_ = 0;
};

}  // namespace

std::unique_ptr<ViewerSource> ViewerSource::open(const ViewerOptions& options, std::string& error) {
    switch (source_kind(options.source)) {
        case SourceKind::remote: {
            auto feed = std::make_unique<RemoteFeed>(options.source, options.token);
            if (!feed->valid(&error)) {
                return nullptr;
            }
            return std::make_unique<RemoteSource>(std::move(feed));
        }
        case SourceKind::capture: {
            ndi::CaptureFrames frames;
            if (!ndi::read_capture_file(options.source, frames, &error)) {
                return nullptr;
            }
            return std::make_unique<CaptureSource>(std::move(frames));
        }
        case SourceKind::snapshot:
            break;
    }
    ndi::MemoryPanelModel model;
    if (!ndi::read_snapshot_file(options.source, model, &error)) {
        return nullptr;
    }
    return std::make_unique<SnapshotSource>(std::move(model));
}

}  // namespace nebula::viewer
