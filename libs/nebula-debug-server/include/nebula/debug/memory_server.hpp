// The tracker's figures over HTTP, for a dedicated server, a console or a playtest machine that
// nobody looks at through the game's window: Prometheus scrapes /metrics, `go tool pprof` reads
// /debug/pprof/heap, nebula-viewer reads /snapshot.json (docs/remote.md). CMake target
// nebula::debug_server, a library of its own so that the core links no network code.
#pragma once

#include <nebula/debug/memory_tracking.hpp>

#include <cstdint>
#include <string>

namespace nebula::debug {

// An HTTP endpoint on its own thread, off unless started: GET /metrics (Prometheus text format),
// GET /debug/pprof/heap (a live heap profile: `go tool pprof http://HOST:PORT/debug/pprof/heap`),
// GET /snapshot.json (write_memory_snapshot's document). Loopback by default; any other address
// needs a token, sent as "Authorization: Bearer TOKEN". NEBULA_HTTP=ADDRESS:PORT starts one at
// start-up (tags and process figures only, no budget rows); its token comes from
// NEBULA_HTTP_TOKEN.
struct MemoryServerOptions {
    std::string address = "127.0.0.1";  // an IPv4 or IPv6 address of this machine, or "localhost"
    std::uint16_t port = 9100;          // 0: any free port (memory_server_port() says which)
    std::string token;  // required beyond loopback; when set, checked on every request
};

// Starts the one server of the process, reading `budget` (which must outlive the server: stop it
// first) on its own threads; the game's threads are never blocked for longer than a copy of the
// budget's rows. Every other method than GET gets 405, a request without the token (when one is
// set) 401. False, with the reason in `*error` (when not null), when the options are refused (a
// non-loopback address without a token), the address cannot be listened on, or a server is
// already running; nothing is started then. What the server allocates is tracking overhead
// (tracking_overhead_bytes), never the program's.
bool start_memory_server(const MemoryBudget& budget, const MemoryServerOptions& options,
                         std::string* error = nullptr);

// Stops the server and joins its threads (a request being read is given up after its read
// timeout, 3 s at most). Does nothing when none runs.
void stop_memory_server() noexcept;

// The port the running server listens on (the one chosen when started with port 0); 0 when none
// runs.
std::uint16_t memory_server_port() noexcept;

}  // namespace nebula::debug
