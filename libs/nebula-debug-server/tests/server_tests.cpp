// The memory server from a client's side, in one process: routes, the token, methods, bounds, and
// that a flood of requests changes none of the program's own counts.
#include <nebula/debug/memory_server.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "server_internals.hpp"

namespace nd = nebula::debug;

namespace {

// Generous: the CI machine is loaded, and no test measures time.
constexpr int kClientTimeoutSeconds = 60;

httplib::Client client(std::uint16_t port) {
    httplib::Client http("127.0.0.1", port);
    http.set_connection_timeout(kClientTimeoutSeconds);
    http.set_read_timeout(kClientTimeoutSeconds);
    return http;
}

class MemoryServer : public ::testing::Test {
protected:
    void SetUp() override {
        budget.set_budget("Meshes", 1000);
        budget.report("Meshes", 900, 3);
        budget.report("Audio \"fx\"", 10, 1);
    }
    void TearDown() override { nd::stop_memory_server(); }

    std::uint16_t start(nd::MemoryServerOptions options = {}) {
        options.port = 0;
        std::string error;
        EXPECT_TRUE(nd::start_memory_server(budget, options, &error)) << error;
        EXPECT_TRUE(error.empty());
        return nd::memory_server_port();
    }

    nd::MemoryBudget budget;
};

TEST_F(MemoryServer, MetricsCarryTheBudgetRowsWithHelpAndType) {
    const std::uint16_t port = start();
    ASSERT_NE(port, 0);
    auto response = client(port).Get("/metrics");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->get_header_value("Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8");
    const std::string& body = response->body;
    EXPECT_NE(body.find("# TYPE nebula_subsystem_current_bytes gauge\n"), std::string::npos);
    EXPECT_NE(body.find("# HELP nebula_subsystem_current_bytes "), std::string::npos);
    EXPECT_NE(body.find("nebula_subsystem_current_bytes{subsystem=\"Meshes\"} 900\n"),
              std::string::npos);
    EXPECT_NE(body.find("nebula_subsystem_budget_bytes{subsystem=\"Meshes\"} 1000\n"),
              std::string::npos);
    EXPECT_NE(body.find("nebula_subsystem_warning_bytes{subsystem=\"Meshes\"} 850\n"),
              std::string::npos);
    EXPECT_NE(body.find("nebula_subsystem_current_bytes{subsystem=\"Audio \\\"fx\\\"\"} 10\n"),
              std::string::npos);
    EXPECT_NE(body.find("# TYPE nebula_allocations_total counter\n"), std::string::npos);
    EXPECT_NE(body.find("nebula_resident_bytes{category=\"heap\"} "), std::string::npos);
    EXPECT_NE(body.find("\nnebula_metrics_cpu_seconds 0\n"), std::string::npos);
    for (const char* family : {"nebula_subsystem_peak_bytes", "nebula_subsystem_allocator_bytes",
                               "nebula_subsystem_gpu_bytes", "nebula_subsystem_frame_allocations",
                               "nebula_allocator_live_bytes"}) {
        EXPECT_NE(body.find(std::string("# TYPE ") + family + " gauge\n"), std::string::npos)
            << family;
    }
    // The tracker's own tags are overhead, never a tag of the program's.
    EXPECT_EQ(body.find(std::string("tag=\"") + std::string(nd::kTrackerTagName) + "\""),
              std::string::npos);
}

TEST_F(MemoryServer, MetricsFollowTheBudget) {
    const std::uint16_t port = start();
    ASSERT_TRUE(client(port).Get("/metrics"));
    budget.report("Meshes", 123456, 3);
    auto response = client(port).Get("/metrics");
    ASSERT_TRUE(response);
    EXPECT_NE(response->body.find("nebula_subsystem_current_bytes{subsystem=\"Meshes\"} 123456\n"),
              std::string::npos);
    EXPECT_NE(response->body.find("nebula_subsystem_peak_bytes{subsystem=\"Meshes\"} 123456\n"),
              std::string::npos);
    // The second scrape reports what the first cost the server's thread.
    EXPECT_EQ(response->body.find("\nnebula_metrics_cpu_seconds 0\n"), std::string::npos);
}

TEST_F(MemoryServer, SnapshotIsTheSnapshotDocument) {
    const std::uint16_t port = start();
    auto response = client(port).Get("/snapshot.json");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    const nlohmann::json served = nlohmann::json::parse(response->body);
    const nlohmann::json local = nlohmann::json::parse(nd::memory_snapshot_json(budget));
    // Same keys, same rows; live figures (resident, allocator) move between the two reads.
    for (const auto& [key, value] : local.items()) {
        EXPECT_TRUE(served.contains(key)) << key;
    }
    EXPECT_EQ(served.at("subsystems"), local.at("subsystems"));
}

TEST_F(MemoryServer, HeapProfileIsGzip) {
    const std::uint16_t port = start();
    auto response = client(port).Get("/debug/pprof/heap");
    ASSERT_TRUE(response);
    if (!nd::tracking_allocator_enabled()) {
        EXPECT_EQ(response->status, 501);
        return;
    }
    EXPECT_EQ(response->status, 200);
    ASSERT_GE(response->body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(response->body[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(response->body[1]), 0x8b);
}

TEST_F(MemoryServer, UnknownPathIs404) {
    const std::uint16_t port = start();
    auto response = client(port).Get("/debug/pprof/profile");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
}

TEST_F(MemoryServer, OnlyGet) {
    const std::uint16_t port = start();
    httplib::Client http = client(port);
    auto post = http.Post("/metrics", "x", "text/plain");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 405);
    EXPECT_EQ(post->get_header_value("Allow"), "GET");
    auto remove = http.Delete("/snapshot.json");
    ASSERT_TRUE(remove);
    EXPECT_EQ(remove->status, 405);
    auto head = http.Head("/metrics");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 405);
}

TEST_F(MemoryServer, TokenIsCheckedOnEveryRequest) {
    nd::MemoryServerOptions options;
    options.token = "s3cret-token";
    const std::uint16_t port = start(options);
    httplib::Client http = client(port);
    auto without = http.Get("/metrics");
    ASSERT_TRUE(without);
    EXPECT_EQ(without->status, 401);
    EXPECT_EQ(without->body.find("nebula_"), std::string::npos);
    auto wrong = http.Get("/metrics", {{"Authorization", "Bearer s3cret-tokeN"}});
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401);
    auto longer = http.Get("/snapshot.json", {{"Authorization", "Bearer s3cret-token2"}});
    ASSERT_TRUE(longer);
    EXPECT_EQ(longer->status, 401);
    auto basic = http.Get("/metrics", {{"Authorization", "Basic s3cret-token"}});
    ASSERT_TRUE(basic);
    EXPECT_EQ(basic->status, 401);
    auto right = http.Get("/metrics", {{"Authorization", "Bearer s3cret-token"}});
    ASSERT_TRUE(right);
    EXPECT_EQ(right->status, 200);
    // The token as a password, as a client sends it for http://USER:TOKEN@HOST/ (go tool pprof).
    http.set_basic_auth("pprof", "s3cret-token");
    auto as_password = http.Get("/metrics");
    ASSERT_TRUE(as_password);
    EXPECT_EQ(as_password->status, 200);
    http.set_basic_auth("s3cret-token", "pprof");
    auto as_user = http.Get("/metrics");
    ASSERT_TRUE(as_user);
    EXPECT_EQ(as_user->status, 401);
    // Unauthorised comes before the method: a stranger learns nothing, not even the methods.
    auto post = http.Post("/metrics", "x", "text/plain");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 401);
}

TEST_F(MemoryServer, BeyondLoopbackNeedsAToken) {
    nd::MemoryServerOptions options;
    options.address = "0.0.0.0";
    options.port = 0;
    std::string error;
    EXPECT_FALSE(nd::start_memory_server(budget, options, &error));
    EXPECT_NE(error.find("token"), std::string::npos) << error;
    EXPECT_EQ(nd::memory_server_port(), 0);

    options.token = "fleet-token";
    ASSERT_TRUE(nd::start_memory_server(budget, options, &error)) << error;
    auto response =
        client(nd::memory_server_port()).Get("/metrics", {{"Authorization", "Bearer fleet-token"}});
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
}

TEST_F(MemoryServer, BadAddressesAndASecondServerAreRefused) {
    nd::MemoryServerOptions options;
    options.address = "not-an-address.invalid";
    options.token = "t";
    options.port = 0;
    std::string error;
    EXPECT_FALSE(nd::start_memory_server(budget, options, &error));
    EXPECT_NE(error.find("not-an-address.invalid"), std::string::npos) << error;

    const std::uint16_t port = start();
    nd::MemoryServerOptions second;
    second.port = 0;
    EXPECT_FALSE(nd::start_memory_server(budget, second, &error));
    EXPECT_NE(error.find("already running"), std::string::npos) << error;
    EXPECT_EQ(nd::memory_server_port(), port);
    // Without a place for the message, the refusal is still a refusal.
    EXPECT_FALSE(nd::start_memory_server(budget, second));

    nd::stop_memory_server();
    nd::stop_memory_server();
    EXPECT_EQ(nd::memory_server_port(), 0);
}

TEST_F(MemoryServer, TakenPortIsRefused) {
    const std::uint16_t port = start();
    nd::stop_memory_server();
    // Hold a port, then ask for it.
    const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(holder, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(holder, 1), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);
    nd::MemoryServerOptions options;
    options.port = ntohs(address.sin_port);
    std::string error;
    EXPECT_FALSE(nd::start_memory_server(budget, options, &error));
    EXPECT_NE(error.find(std::to_string(options.port)), std::string::npos) << error;
    ::close(holder);
    (void)port;
}

TEST_F(MemoryServer, OversizedRequestsAreRefused) {
    const std::uint16_t port = start();
    httplib::Client http = client(port);
    auto long_path = http.Get("/" + std::string(20000, 'a'));
    // httplib refuses it (414) or drops the connection; either way nothing is served.
    if (long_path) {
        EXPECT_GE(long_path->status, 400);
    }
    auto big_header = http.Get("/metrics", {{"X-Filler", std::string(20000, 'b')}});
    if (big_header) {
        EXPECT_GE(big_header->status, 400);
    }
    // And the server still answers.
    auto after = client(port).Get("/metrics");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
}

TEST_F(MemoryServer, AnEndlessHeaderLineIsNotBuffered) {
    const std::uint16_t port = start();
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "the server's memory is read from the tracker";
    }
    const nd::MemoryTag tracker = nd::memory_tag(nd::kTrackerTagName);
    const std::size_t before = nd::allocator_stats(tracker).allocated_bytes;
    nd::reset_allocator_peak();
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(s, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    // A send that the server stops reading fails instead of blocking for ever.
    const timeval timeout{5, 0};
    ASSERT_EQ(::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout), 0);
    const std::string start_line = "GET /metrics HTTP/1.1\r\nX-Endless: ";
    ASSERT_GT(::send(s, start_line.data(), start_line.size(), MSG_NOSIGNAL), 0);
    const std::string chunk(64 * 1024, 'a');
    std::size_t sent = 0;
    while (sent < (32u << 20)) {
        const ssize_t n = ::send(s, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            break;
        }
        sent += static_cast<std::size_t>(n);
    }
    ::close(s);
    // httplib alone would hold the whole line (and twice it while its string grows): megabytes.
    EXPECT_LT(nd::allocator_stats(tracker).peak_allocated_bytes, before + (1u << 20))
        << sent << " bytes sent";
    auto after = client(port).Get("/metrics");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
}

TEST_F(MemoryServer, IdleConnectionsDoNotStopIt) {
    const std::uint16_t port = start();
    // More silent connections than workers, each holding one until its read timeout: a real
    // request still gets through, after them.
    std::vector<int> idle;
    for (int i = 0; i < 4; ++i) {
        const int s = ::socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(s, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        if (::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
            const char partial[] = "GET /metrics HTTP/1.1\r\n";
            ASSERT_GT(::send(s, partial, sizeof partial - 1, MSG_NOSIGNAL), 0);
        }
        idle.push_back(s);
    }
    // The game thread goes on reporting while the server is held up.
    budget.report("Meshes", 777, 3);
    auto response = client(port).Get("/metrics");
    ASSERT_TRUE(response);
    EXPECT_NE(response->body.find("nebula_subsystem_current_bytes{subsystem=\"Meshes\"} 777\n"),
              std::string::npos);
    for (const int s : idle) {
        ::close(s);
    }
}

TEST_F(MemoryServer, FloodChangesNoProgramCountsAndStaysBounded) {
    const std::uint16_t port = start();
    const nd::MemoryTag tracker = nd::memory_tag(nd::kTrackerTagName);
    const nd::AllocatorStats tracker_before = nd::allocator_stats(tracker);
    constexpr int kConnections = 50;
    constexpr int kRequestsPerConnection = 20;  // 1,000 requests in all
    std::atomic<int> served{0};
    std::vector<std::pair<std::string, nd::AllocatorStats>> before;
    std::vector<std::pair<std::string, nd::AllocatorStats>> after;
    {
        // The clients are this test's, not the program's: their own tag, like their threads.
        const nd::MemoryScope clients_scope("flood clients");
        before = nd::allocator_stats_by_tag();
        std::vector<std::thread> clients;
        for (int c = 0; c < kConnections; ++c) {
            clients.emplace_back([&, c] {
                const nd::MemoryScope scope("flood clients");
                httplib::Client http = client(port);
                http.set_keep_alive(c % 2 == 0);
                static const char* const paths[] = {"/metrics", "/snapshot.json", "/nothing"};
                for (int r = 0; r < kRequestsPerConnection; ++r) {
                    auto response = http.Get(paths[(c + r) % 3]);
                    // A kept-alive connection the server closed as idle (3 s: a starved client
                    // thread under a sanitizer) fails the GET sent on it as it closes: HTTP
                    // clients send it again, once, on a new connection, and so does this one.
                    if (!response) {
                        response = http.Get(paths[(c + r) % 3]);
                    }
                    if (response) {
                        served.fetch_add(1);
                    }
                }
            });
        }
        for (std::thread& thread : clients) {
            thread.join();
        }
        after = nd::allocator_stats_by_tag();
    }
    EXPECT_EQ(served.load(), kConnections * kRequestsPerConnection);
    // Every tag of the program's (all but the clients' and the tracker's own) made not one
    // allocation while the server answered 1,000 requests.
    ASSERT_LE(before.size(), after.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
        const nd::MemoryTag tag{static_cast<std::uint16_t>(i)};
        if (nd::is_tracker_tag(tag) || before[i].first == "flood clients") {
            continue;
        }
        EXPECT_EQ(after[i].second.allocation_count, before[i].second.allocation_count)
            << before[i].first;
        EXPECT_EQ(after[i].second.allocated_bytes, before[i].second.allocated_bytes)
            << before[i].first;
    }
    if (nd::tracking_allocator_enabled()) {
        const nd::AllocatorStats tracker_after = nd::allocator_stats(tracker);
        // It did allocate, under the tracker's tag...
        EXPECT_GT(tracker_after.allocation_count, tracker_before.allocation_count);
        // ...and holds no more than a few responses' worth afterwards, or at its peak.
        EXPECT_LT(tracker_after.allocated_bytes, tracker_before.allocated_bytes + (4u << 20));
        EXPECT_LT(tracker_after.peak_allocated_bytes, tracker_before.allocated_bytes + (64u << 20));
    }
}

TEST(ServerInternals, LoopbackAddresses) {
    using nd::server::is_loopback_address;
    for (const char* address : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"}) {
        EXPECT_TRUE(is_loopback_address(address)) << address;
    }
    for (const char* address : {"0.0.0.0", "10.0.0.1", "::", "192.168.1.1", "128.0.0.1", "",
                                "localhost.evil", "127.0.0"}) {
        EXPECT_FALSE(is_loopback_address(address)) << address;
    }
}

TEST(ServerInternals, TokensEqual) {
    using nd::server::tokens_equal;
    EXPECT_TRUE(tokens_equal("abc", "abc"));
    EXPECT_FALSE(tokens_equal("abc", "abd"));
    EXPECT_FALSE(tokens_equal("abc", "ab"));
    EXPECT_FALSE(tokens_equal("abc", "abcabc"));
    EXPECT_FALSE(tokens_equal("abc", ""));
    EXPECT_TRUE(tokens_equal("", ""));
    EXPECT_FALSE(tokens_equal("", "x"));
    EXPECT_TRUE(nd::server::bearer_token_matches("bearer abc", "abc"));
    EXPECT_FALSE(nd::server::bearer_token_matches("Bearer", "abc"));
    EXPECT_FALSE(nd::server::bearer_token_matches("Bearer  abc", "abc"));
}

TEST(ServerInternals, TheTokenAsBearerOrAsTheBasicPassword) {
    using nd::server::authorization_matches;
    EXPECT_TRUE(authorization_matches("Bearer abc", "abc"));
    EXPECT_TRUE(authorization_matches("Basic bmVidWxhOmFiYw==", "abc"));   // nebula:abc
    EXPECT_TRUE(authorization_matches("basic OmFiYw==", "abc"));           // no user name
    EXPECT_TRUE(authorization_matches("Basic dTphOmI=", "a:b"));           // a colon in the token
    EXPECT_FALSE(authorization_matches("Basic bmVidWxhOmFiZA==", "abc"));  // nebula:abd
    EXPECT_FALSE(authorization_matches("Basic YWJjOm5lYnVsYQ==", "abc"));  // abc:nebula
    EXPECT_FALSE(authorization_matches("Basic YWJj", "abc"));              // abc: no colon
    EXPECT_FALSE(authorization_matches("Basic abc", "abc"));
    EXPECT_FALSE(authorization_matches("Basic bmVidWxhOmFiYw=", "abc"));
    EXPECT_FALSE(authorization_matches("Basic ", "abc"));
    EXPECT_FALSE(authorization_matches("Basic", "abc"));
    EXPECT_FALSE(authorization_matches("abc", "abc"));
    EXPECT_FALSE(authorization_matches("", "abc"));
}

TEST(ServerInternals, DecodeBase64) {
    using nd::server::decode_base64;
    EXPECT_EQ(decode_base64(""), "");
    EXPECT_EQ(decode_base64("Zg=="), "f");
    EXPECT_EQ(decode_base64("Zm8="), "fo");
    EXPECT_EQ(decode_base64("Zm9v"), "foo");
    EXPECT_EQ(decode_base64("Zm9vYmFy"), "foobar");
    EXPECT_EQ(decode_base64("+/+/"), "\xfb\xff\xbf");
    for (const char* bad : {"Zm9", "Zm9v=", "Z===", "====", "Zm=v", "Zm9-", "Zm 9v"}) {
        EXPECT_EQ(decode_base64(bad), std::nullopt) << bad;
    }
}

TEST(ServerInternals, ParseEndpoint) {
    using nd::server::parse_endpoint;
    std::string error;
    auto plain = parse_endpoint("0.0.0.0:9100", &error);
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->address, "0.0.0.0");
    EXPECT_EQ(plain->port, 9100);
    auto ipv6 = parse_endpoint("[::1]:0", &error);
    ASSERT_TRUE(ipv6);
    EXPECT_EQ(ipv6->address, "::1");
    EXPECT_EQ(ipv6->port, 0);
    auto port_only = parse_endpoint("8080", &error, "127.0.0.1");
    ASSERT_TRUE(port_only);
    EXPECT_EQ(port_only->address, "127.0.0.1");
    for (const char* bad : {"9100", "host:", ":80", "host:65536", "host:-1", "host:80x", "::1:80",
                            "[::1]80", "[::1", ""}) {
        error.clear();
        EXPECT_FALSE(parse_endpoint(bad, &error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
}

TEST(ServerInternals, LabelValuesAreEscaped) {
    EXPECT_EQ(nd::server::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    EXPECT_EQ(nd::server::escape_label_value("Meshes"), "Meshes");
}

}  // namespace
