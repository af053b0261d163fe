#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/memory_server.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>

#include "bounded_server.hpp"
#include "options.hpp"
#include "server_internals.hpp"

namespace nebula::debug {
namespace {

// Request bodies are refused before they are read (GET only); httplib's limit on what it would
// read of one is kept small all the same.
constexpr std::size_t kMaxPayloadBytes = 1024;

double thread_cpu_seconds() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

void refuse(httplib::Response& response, int status, const char* message) {
    response.status = status;
    response.set_content(message, "text/plain; charset=utf-8");
}

struct RunningServer {
    server::BoundedServer http;
    std::thread listener;
};

std::mutex g_server_mutex;
std::unique_ptr<RunningServer> g_server;

void add_routes(httplib::Server& http, const MemoryBudget& budget, const std::string& token) {
    http.set_pre_routing_handler(
        [token](const httplib::Request& request, httplib::Response& response) {
            if (!token.empty() &&
                !server::authorization_matches(request.get_header_value("Authorization"), token)) {
                response.set_header("WWW-Authenticate", "Bearer");
                refuse(response, 401,
                       "a token is required: Authorization: Bearer TOKEN, or the token as the "
                       "password of any user (http://USER:TOKEN@HOST:PORT/...)\n");
                return httplib::Server::HandlerResponse::Handled;
            }
            if (request.method != "GET") {
                response.set_header("Allow", "GET");
                refuse(response, 405, "only GET\n");
                return httplib::Server::HandlerResponse::Handled;
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });
    // What a scrape costs, as the next scrape reports it (docs/remote.md: about a millisecond).
    auto previous_cpu_seconds = std::make_shared<std::atomic<double>>(0.0);
    http.Get("/metrics", [&budget, previous_cpu_seconds](const httplib::Request&,
                                                         httplib::Response& response) {
        const double started = thread_cpu_seconds();
        response.set_content(server::prometheus_metrics(budget, previous_cpu_seconds->load()),
                             "text/plain; version=0.0.4; charset=utf-8");
        previous_cpu_seconds->store(thread_cpu_seconds() - started);
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
        error =
            "a memory server is already running on port " + std::to_string(g_server->http.port());
        return;
    }
    if (options.token.empty() && !server::is_loopback_address(options.address)) {
        error = "the memory server listens on '" + options.address +
                "', beyond loopback, only with a token (MemoryServerOptions::token, "
                "NEBULA_HTTP_TOKEN); clients then send \"Authorization: Bearer TOKEN\"";
        return;
    }
    auto running = std::make_unique<RunningServer>();
    server::BoundedServer& http = running->http;
    http.set_payload_max_length(kMaxPayloadBytes);
    add_routes(http, budget, options.token);
    if (!http.open(options.address, options.port, error)) {
        return;
    }
    running->listener = std::thread([&http] {
        const MemoryScope listener_scope(kTrackerTagName);
        http.run();
    });
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
    running->http.close();
    running->listener.join();
}

std::uint16_t memory_server_port() noexcept {
    const std::lock_guard lock(g_server_mutex);
    return g_server ? g_server->http.port() : 0;
}

namespace {

// NEBULA_HTTP=ADDRESS:PORT: a server from start-up to exit in any program that links this
// library (its link options keep this object), with no budget rows: the program's budget is
// not known here.
class EnvironmentServer {
public:
    EnvironmentServer() {
        const char* endpoint_text = detail::options::text(detail::options::Option::http);
        if (endpoint_text == nullptr) {
            return;
        }
        std::string error;
        const std::optional<server::Endpoint> endpoint =
            server::parse_endpoint(endpoint_text, &error);
        MemoryServerOptions options;
        if (endpoint) {
            options.address = endpoint->address;
            options.port = endpoint->port;
            if (const char* token = detail::options::text(detail::options::Option::http_token)) {
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
