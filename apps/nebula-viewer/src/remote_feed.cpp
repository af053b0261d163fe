#include "remote_feed.hpp"

#include <nebula/debug/imgui/model_files.hpp>

#include <httplib.h>

#include <chrono>
#include <regex>
#include <utility>

namespace nebula::viewer {
namespace {

namespace ndi = nebula::debug::imgui;

constexpr const char* kSnapshotPath = "/snapshot.json";
constexpr std::chrono::seconds kConnectTimeout{2};
constexpr std::chrono::seconds kReadTimeout{10};

std::string http_error_text(int status) {
    if (status == 401 || status == 403) {
        return "HTTP " + std::to_string(status) +
               ": the server wants a token (--token TOKEN or NEBULA_HTTP_TOKEN)";
    }
    return "HTTP " + std::to_string(status);
}

}  // namespace

RemoteFeed::RemoteFeed(std::string url, std::string token)
    : url_(std::move(url)),
      token_(std::move(token)),
      client_(std::make_unique<httplib::Client>(url_)) {
    client_->set_connection_timeout(kConnectTimeout);
    client_->set_read_timeout(kReadTimeout);
    client_->set_keep_alive(true);
    model_.status = std::string(kConnectingStatus) + url_;
}

RemoteFeed::~RemoteFeed() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool RemoteFeed::valid(std::string* error) const {
    // The HTTP library takes anything for a host name ("http://" included): the form is checked
    // here, so that a typo is an error at start rather than a connection that never comes.
    static const std::regex kUrl(
        R"(https?://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?/?)");
    if (std::regex_match(url_, kUrl) && client_->is_valid()) {
        return true;
    }
    if (error != nullptr) {
        *error = "'" + url_ + "' is not a URL the viewer can connect to (http://HOST:PORT)";
    }
    return false;
}

void RemoteFeed::poll_once() {
    std::lock_guard poll_lock(poll_mutex_);
    httplib::Headers headers;
    if (!token_.empty()) {
        headers.emplace("Authorization", "Bearer " + token_);
    }
    std::string error;
    ndi::MemoryPanelModel model;
    if (const httplib::Result result = client_->Get(kSnapshotPath, headers); !result) {
        error = httplib::to_string(result.error());
    } else if (result->status != 200) {
        error = http_error_text(result->status);
    } else if (ndi::read_snapshot_json(result->body, model, &error, url_ + kSnapshotPath)) {
        publish(std::move(model));
        return;
    }
    std::lock_guard lock(mutex_);
    // The last data stays on screen, marked stale.
    model_.status = std::string(ever_connected_ ? kConnectionLostStatus : kConnectingStatus) +
                    url_ + " (" + error + ")";
    connected_ = false;
    ++generation_;
}

void RemoteFeed::publish(ndi::MemoryPanelModel model) {
    std::lock_guard lock(mutex_);
    model_ = std::move(model);
    ever_connected_ = true;
    connected_ = true;
    ++generation_;
}

void RemoteFeed::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            poll_once();
            lock.lock();
            wake_.wait_for(lock, std::chrono::duration<double>(kPollSeconds),
                           [this] { return stopping_; });
        }
    });
}

bool RemoteFeed::take(ndi::MemoryPanelModel& model, std::uint64_t& generation) const {
    std::lock_guard lock(mutex_);
    if (generation == generation_) {
        return false;
    }
    model = model_;
    generation = generation_;
    return true;
}

bool RemoteFeed::connected() const {
    std::lock_guard lock(mutex_);
    return connected_;
}

}  // namespace nebula::viewer
