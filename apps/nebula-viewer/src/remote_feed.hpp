// A running program's panel, polled from its endpoint: GET /snapshot.json (the document of
// memory_snapshot.hpp) every kPollSeconds on a thread of its own, so that a slow or lost
// connection never stalls the window. A lost connection keeps the last data on screen with the
// reason in the model's status, and is retried at every poll until the program answers again.
#pragma once

#include <nebula/debug/imgui/memory_panel_model.hpp>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Client;
}

namespace nebula::viewer {

inline constexpr double kPollSeconds = 0.5;

// What the status line says while the connection is down, before the reason.
inline constexpr std::string_view kConnectingStatus = "Connecting to ";
inline constexpr std::string_view kConnectionLostStatus = "Connection lost - reconnecting to ";

class RemoteFeed {
public:
    // `url`: http://HOST:PORT (https:// where the HTTP library has TLS); `token`, when not
    // empty, is sent as "Authorization: Bearer TOKEN".
    RemoteFeed(std::string url, std::string token);
    ~RemoteFeed();  // stops the polling thread
    RemoteFeed(const RemoteFeed&) = delete;
    RemoteFeed& operator=(const RemoteFeed&) = delete;

    // False, with the reason, for a URL the HTTP library cannot use.
    bool valid(std::string* error = nullptr) const;

    // One poll, on the calling thread: the thread below calls it, and so may a caller that
    // wants the first answer before drawing (a screenshot run) or a test.
    void poll_once();
    // Polls every kPollSeconds on a thread of its own until destruction.
    void start();

    // Copies the newest model into `model` when it changed since `generation` (which is then
    // updated): true when it did. Its status is empty while the program answers.
    bool take(nebula::debug::imgui::MemoryPanelModel& model, std::uint64_t& generation) const;
    bool connected() const;

private:
    void publish(nebula::debug::imgui::MemoryPanelModel model);

    std::string url_;
    std::string token_;
    std::unique_ptr<httplib::Client> client_;
    std::mutex poll_mutex_;  // one poll at a time: the client is not thread-safe

    mutable std::mutex mutex_;
    nebula::debug::imgui::MemoryPanelModel model_;
    std::uint64_t generation_ = 1;  // ahead of a new caller's 0: the first take() copies
    bool ever_connected_ = false;
    bool connected_ = false;
    bool stopping_ = false;
    std::condition_variable wake_;
    std::thread thread_;
};

}  // namespace nebula::viewer
