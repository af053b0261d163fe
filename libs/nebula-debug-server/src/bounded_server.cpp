#include "bounded_server.hpp"

#include <nebula/debug/tracking_allocator.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace nebula::debug::server {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until `socket` can be read (or written) or `wake` turns readable; false on timeout, on
// wake and on error.
bool wait_for(int socket, short events, int wake, int timeout_ms) {
    pollfd fds[2] = {{socket, events, 0}, {wake, POLLIN, 0}};
    for (;;) {
        const int ready = ::poll(fds, 2, timeout_ms);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        return ready > 0 && fds[1].revents == 0 && (fds[0].revents & (events | POLLHUP | POLLERR));
    }
}

// One connection as httplib reads it: buffered, and refusing to read past the request's byte
// budget, its deadline or a close of the server.
class BoundedStream final : public httplib::Stream {
public:
    BoundedStream(int socket, int wake, const TransportLimits& limits)
        : socket_(socket), wake_(wake), limits_(limits) {}

    // The next request's budget and deadline start now.
    void start_request() {
        budget_ = limits_.max_request_bytes;
        deadline_ = Clock::now() + std::chrono::milliseconds(limits_.request_deadline_ms);
    }

    // Between requests: whether another one starts before the keep-alive timeout.
    bool wait_next_request() {
        return begin_ < end_ || wait_for(socket_, POLLIN, wake_, limits_.keep_alive_timeout_ms);
    }

    bool is_readable() const override {
        return begin_ < end_ || wait_for(socket_, POLLIN, wake_, read_wait_ms());
    }
    bool is_writable() const override {
        return wait_for(socket_, POLLOUT, wake_, limits_.write_timeout_ms);
    }

    ssize_t read(char* ptr, std::size_t size) override {
        if (budget_ == 0 || size == 0) {
            return -1;
        }
        if (begin_ == end_) {
            if (!wait_for(socket_, POLLIN, wake_, read_wait_ms())) {
                return -1;
            }
            const ssize_t received = ::recv(socket_, buffer_, sizeof buffer_, 0);
            if (received <= 0) {
                return received;
            }
            begin_ = 0;
            end_ = static_cast<std::size_t>(received);
        }
        const std::size_t n = std::min({size, end_ - begin_, budget_});
        std::memcpy(ptr, buffer_ + begin_, n);
        begin_ += n;
        budget_ -= n;
        return static_cast<ssize_t>(n);
    }

    ssize_t write(const char* ptr, std::size_t size) override {
        if (!is_writable()) {
            return -1;
        }
        return ::send(socket_, ptr, size, MSG_NOSIGNAL);
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        address_of(::getpeername, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        address_of(::getsockname, ip, port);
    }
    socket_t socket() const override { return socket_; }

private:
    // The read timeout, cut short by the request's deadline.
    int read_wait_ms() const {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
        return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, limits_.read_timeout_ms));
    }

    template <class Query>
    void address_of(Query query, std::string& ip, int& port) const {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        char text[INET6_ADDRSTRLEN] = {};
        port = 0;
        if (query(socket_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            return;
        }
        if (address.ss_family == AF_INET) {
            const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
            ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
            port = ntohs(v4.sin_port);
        } else if (address.ss_family == AF_INET6) {
            const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
            ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
            port = ntohs(v6.sin6_port);
        }
        ip = text;
    }

    int socket_;
    int wake_;
    const TransportLimits& limits_;
    char buffer_[4096];
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::size_t budget_ = 0;
    Clock::time_point deadline_{};
};

}  // namespace

BoundedServer::BoundedServer(TransportLimits limits) : limits_(limits) {}

BoundedServer::~BoundedServer() {
    close();
    for (const int fd : {listener_, wake_[0], wake_[1]}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

bool BoundedServer::open(const std::string& address, std::uint16_t port, std::string& error) {
    const std::string where = address + ":" + std::to_string(port);
    if (::pipe2(wake_, O_CLOEXEC) != 0) {
        error =
            "the memory server cannot make its wake-up pipe: " + std::string(std::strerror(errno));
        return false;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int status = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &found);
        status != 0) {
        error = "the memory server cannot listen on '" + where + "': " + ::gai_strerror(status);
        return false;
    }
    std::string reason = "no address";
    for (const addrinfo* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
        const int fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC,
                                candidate->ai_protocol);
        if (fd < 0) {
            reason = std::strerror(errno);
            continue;
        }
        const int yes = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (::bind(fd, candidate->ai_addr, candidate->ai_addrlen) != 0 ||
            ::listen(fd, static_cast<int>(limits_.max_queued_connections)) != 0) {
            reason = std::strerror(errno);
            ::close(fd);
            continue;
        }
        listener_ = fd;
        break;
    }
    ::freeaddrinfo(found);
    if (listener_ < 0) {
        error = "the memory server cannot listen on '" + where + "': " + reason;
        return false;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ =
        ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(bound).sin6_port
                                          : reinterpret_cast<const sockaddr_in&>(bound).sin_port);
    return true;
}

void BoundedServer::run() {
    for (std::size_t i = 0; i < limits_.worker_threads; ++i) {
        workers_.emplace_back([this] { work(); });
    }
    while (!closing_) {
        // Waits for room first: past max_queued_connections nothing is accepted and the kernel's
        // backlog (as long) holds the rest.
        {
            std::unique_lock lock(mutex_);
            room_.wait(lock,
                       [&] { return queue_.size() < limits_.max_queued_connections || stopping_; });
            if (stopping_) {
                break;
            }
        }
        if (!wait_for(listener_, POLLIN, wake_[0], -1)) {
            continue;
        }
        const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection < 0) {
            continue;
        }
        {
            const std::lock_guard lock(mutex_);
            queue_.push_back(connection);
        }
        ready_.notify_one();
    }
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& worker : workers_) {
        worker.join();
    }
    workers_.clear();
    for (const int connection : queue_) {
        ::close(connection);
    }
    queue_.clear();
}

void BoundedServer::close() noexcept {
    if (closing_.exchange(true) || wake_[1] < 0) {
        return;
    }
    const char byte = 0;
    // The pipe's read end is never drained: once written, every wait sees it.
    [[maybe_unused]] const ssize_t written = ::write(wake_[1], &byte, 1);
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    room_.notify_all();
    ready_.notify_all();
}

void BoundedServer::work() {
    const MemoryScope scope(kTrackerTagName);
    for (;;) {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
            return;
        }
        const int connection = queue_.front();
        queue_.pop_front();
        lock.unlock();
        room_.notify_one();
        serve(connection);
    }
}

void BoundedServer::serve(int socket) {
    BoundedStream stream(socket, wake_[0], limits_);
    for (std::size_t served = 0; served < limits_.keep_alive_max_requests && !closing_; ++served) {
        if (served > 0 && !stream.wait_next_request()) {
            break;
        }
        stream.start_request();
        bool closed = false;
        const bool last = served + 1 == limits_.keep_alive_max_requests;
        if (!process_request(stream, last, closed, nullptr) || closed) {
            break;
        }
    }
    ::shutdown(socket, SHUT_RDWR);
    ::close(socket);
}

}  // namespace nebula::debug::server
