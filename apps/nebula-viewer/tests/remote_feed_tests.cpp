// The viewer's poller against a real HTTP server in the test: the panel it feeds draws the
// served program's rows, says so when the connection is lost, and recovers when the server
// returns. Polls are made on the test's thread (poll_once), so nothing waits on a clock.
#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/memory_tracking.hpp>

#include "headless_imgui.hpp"
#include "logged_table.hpp"
#include "remote_feed.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace nd = nebula::debug;
namespace ndi = nebula::debug::imgui;
namespace nv = nebula::viewer;
using ndi::testing::HeadlessImGui;
using ndi::testing::LoggedTable;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// Bound, the server's socket already queues connections; stop() only ends a server whose accept
// loop has begun, so a test that stops one waits for that first.
void wait_until_running(const httplib::Server& server) {
    while (!server.is_running()) {
        std::this_thread::yield();
    }
}

// An endpoint serving `budget`'s snapshot, as a program's debug server does; `token` non-empty:
// only to requests that carry it.
class SnapshotServer {
public:
    SnapshotServer(const nd::MemoryBudget& budget, std::string token = {})
        : budget_(budget), token_(std::move(token)) {}
    ~SnapshotServer() { stop(); }

    // Port 0: any free port. Returns the port.
    int start(int port = 0) {
        server_ = std::make_unique<httplib::Server>();
        // One request per connection: stop() then waits for no idle keep-alive connection.
        server_->set_keep_alive_max_count(1);
        server_->Get(
            "/snapshot.json", [this](const httplib::Request& request, httplib::Response& response) {
                if (!token_.empty() &&
                    request.get_header_value("Authorization") != "Bearer " + token_) {
                    response.status = 401;
                    return;
                }
                response.set_content(nd::memory_snapshot_json(budget_), "application/json");
            });
        port = port == 0 ? server_->bind_to_any_port("127.0.0.1")
                         : (server_->bind_to_port("127.0.0.1", port) ? port : -1);
        if (port > 0) {
            thread_ = std::thread([this] { server_->listen_after_bind(); });
            wait_until_running(*server_);
        }
        return port;
    }

    void stop() {
        if (server_) {
            server_->stop();
        }
        if (thread_.joinable()) {
            thread_.join();
        }
        server_.reset();
    }

private:
    const nd::MemoryBudget& budget_;
    std::string token_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

class RemoteFeed : public ::testing::Test {
protected:
    RemoteFeed() {
        panel_.default_size = ImVec2(1500.0f, 600.0f);
        budget_.set_budget("RemoteChunks", 64 * kMiB);
        budget_.report("RemoteChunks", 40 * kMiB, 10);
        budget_.report("RemoteAudio", 3 * kMiB, 2);
    }

    std::string url(int port) const { return "http://127.0.0.1:" + std::to_string(port); }

    // Takes the feed's newest model and draws it, as the viewer's frame does.
    std::string draw(nv::RemoteFeed& feed) {
        feed.take(model_, generation_);
        std::string text;
        for (int i = 0; i < 3; ++i) {
            text = ui_.frame([&] { ndi::draw_memory_panel(model_, panel_); });
        }
        return text;
    }

    HeadlessImGui ui_{ImVec2(1600.0f, 720.0f)};
    nd::MemoryBudget budget_;
    ndi::MemoryPanelState panel_;
    ndi::MemoryPanelModel model_;
    std::uint64_t generation_ = 0;
};

TEST_F(RemoteFeed, DrawsTheServedProgramsPanel) {
    SnapshotServer server(budget_);
    const int port = server.start();
    ASSERT_GT(port, 0);
    nv::RemoteFeed feed(url(port), "");
    ASSERT_TRUE(feed.valid());
    feed.poll_once();
    EXPECT_TRUE(feed.connected());
    const std::string text = draw(feed);
    const LoggedTable table(text);
    EXPECT_EQ(table.cell("RemoteChunks", "Current"), "40.0 MB");
    EXPECT_EQ(table.cell("RemoteChunks", "Budget"), "64.0 MB");
    EXPECT_EQ(table.cell("RemoteAudio", "Budget"), "N/A");
    EXPECT_THAT(text, Not(HasSubstr(nv::kConnectingStatus)));
}

TEST_F(RemoteFeed, SaysConnectingUntilTheFirstAnswer) {
    SnapshotServer server(budget_);
    const int port = server.start();
    ASSERT_GT(port, 0);
    server.stop();  // the port is known and nothing listens on it
    nv::RemoteFeed feed(url(port), "");
    EXPECT_THAT(draw(feed), HasSubstr(std::string(nv::kConnectingStatus) + url(port)));
    feed.poll_once();
    EXPECT_FALSE(feed.connected());
    EXPECT_THAT(draw(feed), HasSubstr(std::string(nv::kConnectingStatus) + url(port) + " ("));
}

TEST_F(RemoteFeed, LostConnectionIsShownWithTheLastDataAndRecovers) {
    SnapshotServer server(budget_);
    const int port = server.start();
    ASSERT_GT(port, 0);
    nv::RemoteFeed feed(url(port), "");
    feed.poll_once();
    ASSERT_TRUE(feed.connected());
    EXPECT_THAT(draw(feed), Not(HasSubstr("Connection lost")));

    server.stop();
    feed.poll_once();
    EXPECT_FALSE(feed.connected());
    std::string text = draw(feed);
    EXPECT_THAT(text, HasSubstr(std::string(nv::kConnectionLostStatus) + url(port)));
    EXPECT_EQ(LoggedTable(text).cell("RemoteChunks", "Current"), "40.0 MB");

    budget_.report("RemoteChunks", 50 * kMiB, 12);
    ASSERT_EQ(server.start(port), port) << "the port was taken meanwhile";
    feed.poll_once();
    EXPECT_TRUE(feed.connected());
    text = draw(feed);
    EXPECT_THAT(text, Not(HasSubstr("Connection lost")));
    EXPECT_EQ(LoggedTable(text).cell("RemoteChunks", "Current"), "50.0 MB");
}

TEST_F(RemoteFeed, SendsTheTokenAsABearerAndSaysWhenOneIsWanted) {
    SnapshotServer server(budget_, "s3cret");
    const int port = server.start();
    ASSERT_GT(port, 0);
    nv::RemoteFeed without(url(port), "");
    without.poll_once();
    EXPECT_FALSE(without.connected());
    EXPECT_THAT(draw(without), HasSubstr("HTTP 401: the server wants a token"));

    nv::RemoteFeed with(url(port), "s3cret");
    with.poll_once();
    EXPECT_TRUE(with.connected());
    generation_ = 0;
    EXPECT_EQ(LoggedTable(draw(with)).cell("RemoteChunks", "Current"), "40.0 MB");
}

TEST_F(RemoteFeed, ADocumentThatIsNoSnapshotIsShownAsTheReason) {
    httplib::Server server;
    server.set_keep_alive_max_count(1);
    server.Get("/snapshot.json", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("{\"subsystems\": [", "application/json");
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    std::thread listener([&] { server.listen_after_bind(); });
    wait_until_running(server);
    nv::RemoteFeed feed(url(port), "");
    feed.poll_once();
    server.stop();
    listener.join();
    EXPECT_FALSE(feed.connected());
    EXPECT_THAT(draw(feed), HasSubstr(url(port) + "/snapshot.json: [json.exception.parse_error"));
}

TEST(RemoteFeedUrl, RejectsWhatIsNoUrl) {
    nv::RemoteFeed feed("http://", "");
    std::string error;
    EXPECT_FALSE(feed.valid(&error));
    EXPECT_THAT(error, HasSubstr("'http://' is not a URL"));
}

}  // namespace
