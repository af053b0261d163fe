#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/memory_server.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server_internals.hpp"

namespace nebula::debug {
namespace {

// Bounds that hold whatever clients do: two requests served at once, eight accepted connections
// waiting for a worker (past that the listener stops accepting and the kernel's backlog of five
// holds the rest), requests of at most 8 KiB of headers (httplib's own limits) and no body, and
// a client that sends nothing gives up its worker after the read timeout.
constexpr std::size_t kWorkerThreads = 2;
constexpr std::size_t kMaxQueuedConnections = 8;
constexpr std::size_t kMaxPayloadBytes = 1024;
constexpr std::time_t kReadTimeoutSeconds = 3;
constexpr std::time_t kWriteTimeoutSeconds = 3;
constexpr std::time_t kKeepAliveTimeoutSeconds = 3;
constexpr std::size_t kKeepAliveMaxRequests = 100;

// httplib's own pool has an unbounded queue and untagged threads: this one holds at most
// kMaxQueuedConnections (the listener waits for room) and charges everything its threads
// allocate to the tracker's tag.
class TaggedWorkers final : public httplib::TaskQueue {
public:
    TaggedWorkers() {
        for (std::size_t i = 0; i < kWorkerThreads; ++i) {
            threads_.emplace_back([this] { work(); });
        }
    }

    void enqueue(std::function<void()> task) override {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [&] { return queue_.size() < kMaxQueuedConnections; });
        queue_.push_back(std::move(task));
        lock.unlock();
        ready_.notify_one();
    }

    // Runs what is queued (a stopped server closes those connections at once), then joins.
    void shutdown() override {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        for (std::thread& thread : threads_) {
            thread.join();
        }
    }

private:
    void work() {
        const MemoryScope scope(kTrackerTagName);
        for (;;) {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;
            }
            std::function<void()> task = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            room_.notify_one();
            task();
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable room_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

void refuse(httplib::Response& response, int status, const char* message) {
    response.status = status;
    response.set_content(message, "text/plain; charset=utf-8");
}

struct RunningServer {
    httplib::Server http;
    std::thread listener;
    std::atomic<bool> listener_done{false};
    std::uint16_t port = 0;
};

std::mutex g_server_mutex;
std::unique_ptr<RunningServer> g_server;

void add_routes(httplib::Server& http, const MemoryBudget& budget, const std::string& token) {
    http.set_pre_routing_handler(
        [token](const httplib::Request& request, httplib::Response& response) {
            if (!token.empty() &&
                !server::bearer_token_matches(request.get_header_value("Authorization"), token)) {
                response.set_header("WWW-Authenticate", "Bearer");
                refuse(response, 401, "a token is required: Authorization: Bearer TOKEN\n");
                return httplib::Server::HandlerResponse::Handled;
            }
            if (request.method != "GET") {
                response.set_header("Allow", "GET");
                refuse(response, 405, "only GET\n");
                return httplib::Server::HandlerResponse::Handled;
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });
    http.Get("/metrics", [&budget](const httplib::Request&, httplib::Response& response) {
        response.set_content(server::prometheus_metrics(budget),
                             "text/plain; version=0.0.4; charset=utf-8");
    });
    http.Get("/debug/pprof/heap", [](const httplib::Request&, httplib::Response& response) {
        std::string profile = heap_profile();
        if (profile.empty()) {
            refuse(response, 501, "no heap profile: memory tracking is compiled out\n");
            return;
        }
        response.set_header("Content-Disposition", "attachment; filename=\"heap.pb.gz\"");
        response.set_content(std::move(profile), "application/octet-stream");
    });
    http.Get("/snapshot.json", [&budget](const httplib::Request&, httplib::Response& response) {
        response.set_content(memory_snapshot_json(budget), "application/json");
    });
}

// start_memory_server's work, all of it charged to the tracker: the reason for a refusal in
// `error` (empty on success).
void start(const MemoryBudget& budget, const MemoryServerOptions& options, std::string& error) {
    const MemoryScope scope(kTrackerTagName);
    const std::lock_guard lock(g_server_mutex);
    if (g_server) {
        error = "a memory server is already running on port " + std::to_string(g_server->port);
        return;
    }
    if (options.token.empty() && !server::is_loopback_address(options.address)) {
        error = "the memory server listens on '" + options.address +
                "', beyond loopback, only with a token (MemoryServerOptions::token, "
                "NEBULA_HTTP_TOKEN); clients then send \"Authorization: Bearer TOKEN\"";
        return;
    }
    auto running = std::make_unique<RunningServer>();
    httplib::Server& http = running->http;
    http.new_task_queue = [] { return new TaggedWorkers(); };
    http.set_read_timeout(kReadTimeoutSeconds, 0);
    http.set_write_timeout(kWriteTimeoutSeconds, 0);
    http.set_keep_alive_timeout(kKeepAliveTimeoutSeconds);
    http.set_keep_alive_max_count(kKeepAliveMaxRequests);
    http.set_payload_max_length(kMaxPayloadBytes);
    add_routes(http, budget, options.token);

    const std::string where = options.address + ":" + std::to_string(options.port);
    if (options.port == 0) {
        const int port = http.bind_to_any_port(options.address);
        if (port <= 0) {
            error = "the memory server cannot listen on '" + where +
                    "': not an address of this machine";
            return;
        }
        running->port = static_cast<std::uint16_t>(port);
    } else {
        if (!http.bind_to_port(options.address, options.port)) {
            error = "the memory server cannot listen on '" + where +
                    "': the port is taken or the address is not one of this machine";
            return;
        }
        running->port = options.port;
    }
    RunningServer* const raw = running.get();
    running->listener = std::thread([raw] {
        const MemoryScope listener_scope(kTrackerTagName);
        raw->http.listen_after_bind();
        raw->listener_done = true;
    });
    // Until the listener runs, stop() would not reach it: wait for it here, briefly, so that a
    // stop right after the start cannot leave it listening.
    while (!raw->http.is_running() && !raw->listener_done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!raw->http.is_running()) {
        raw->listener.join();
        error = "the memory server could not listen on '" + where + "'";
        return;
    }
    g_server = std::move(running);
}

}  // namespace

bool start_memory_server(const MemoryBudget& budget, const MemoryServerOptions& options,
                         std::string* error) {
    std::string reason;
    try {
        start(budget, options, reason);
    } catch (const std::exception& failure) {
        reason = std::string("the memory server could not start: ") + failure.what();
    }
    if (reason.empty()) {
        return true;
    }
    if (error != nullptr) {
        *error = reason;
    }
    return false;
}

void stop_memory_server() noexcept {
    const MemoryScope scope(kTrackerTagName);
    std::unique_ptr<RunningServer> running;
    {
        const std::lock_guard lock(g_server_mutex);
        running = std::move(g_server);
    }
    if (!running) {
        return;
    }
    running->http.stop();
    running->listener.join();
}

std::uint16_t memory_server_port() noexcept {
    const std::lock_guard lock(g_server_mutex);
    return g_server ? g_server->port : 0;
}

namespace {

// NEBULA_HTTP=ADDRESS:PORT: a server from start-up to exit in any program that links this
// library (its link options keep this object), with no budget rows: the program's budget is
// not known here.
class EnvironmentServer {
public:
    EnvironmentServer() {
        const char* endpoint_text = std::getenv("NEBULA_HTTP");
        if (endpoint_text == nullptr || *endpoint_text == '\0') {
            return;
        }
        std::string error;
        const std::optional<server::Endpoint> endpoint =
            server::parse_endpoint(endpoint_text, &error);
        MemoryServerOptions options;
        if (endpoint) {
            options.address = endpoint->address;
            options.port = endpoint->port;
            if (const char* token = std::getenv("NEBULA_HTTP_TOKEN")) {
                options.token = token;
            }
            {
                const MemoryScope scope(kTrackerTagName);
                budget_ = std::make_unique<MemoryBudget>();
            }
            started_ = start_memory_server(*budget_, options, &error);
        }
        if (!started_) {
            std::fprintf(stderr, "nebula-debug: NEBULA_HTTP: %s; no memory server\n",
                         error.c_str());
        } else {
            std::fprintf(stderr, "nebula-debug: NEBULA_HTTP: memory server on %s:%u\n",
                         options.address.c_str(), static_cast<unsigned>(memory_server_port()));
        }
    }
    ~EnvironmentServer() {
        if (started_) {
            stop_memory_server();
        }
    }
    EnvironmentServer(const EnvironmentServer&) = delete;
    EnvironmentServer& operator=(const EnvironmentServer&) = delete;

private:
    std::unique_ptr<MemoryBudget> budget_;
    bool started_ = false;
};

const EnvironmentServer g_environment_server;

}  // namespace
}  // namespace nebula::debug

// The symbol nebula::debug_server's link options ask for, so that g_environment_server is linked.
extern "C" void nebula_debug_link_memory_server_environment() {}
