// httplib's request parsing and routing behind a transport with bounds that hold whatever a client
// sends: httplib 0.11's own accept loop reads a header line of any length into memory and queues
// connections without limit, so the sockets, threads and byte budgets are this class's, and each
// request is handed to httplib's parser (Server::process_request) through a Stream that refuses
// to read past them.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nebula::debug::server {

struct TransportLimits {
    std::size_t worker_threads = 2;
    std::size_t max_queued_connections = 8;     // accepted, waiting for a worker
    std::size_t max_request_bytes = 16 * 1024;  // request line, headers and body together
    int read_timeout_ms = 3000;                 // per wait for bytes
    int request_deadline_ms = 10000;            // a whole request, however slowly it drips
    int write_timeout_ms = 3000;
    int keep_alive_timeout_ms = 3000;  // an idle connection between requests
    std::size_t keep_alive_max_requests = 100;
};

class BoundedServer : public httplib::Server {
public:
    explicit BoundedServer(TransportLimits limits = {});
    ~BoundedServer() override;
    BoundedServer(const BoundedServer&) = delete;
    BoundedServer& operator=(const BoundedServer&) = delete;

    // Binds and listens (port 0: any free port). False with the reason in `error`.
    bool open(const std::string& address, std::uint16_t port, std::string& error);
    std::uint16_t port() const noexcept { return port_; }
    // Accepts and serves until close(), on the calling thread and the workers it starts.
    void run();
    // Makes run() return: every wait of every thread wakes, every socket is closed.
    void close() noexcept;

private:
    void work();
    void serve(int socket);

    TransportLimits limits_;
    int listener_ = -1;
    int wake_[2] = {-1, -1};  // a pipe whose read end turns readable at close()
    std::uint16_t port_ = 0;
    std::atomic<bool> closing_{false};

    std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable room_;
    std::deque<int> queue_;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace nebula::debug::server
