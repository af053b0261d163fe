// The server's parts that need no socket, apart so that tests reach them directly.
#pragma once

#include <nebula/debug/memory_tracking.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nebula::debug::server {

// The Prometheus text exposition (format 0.0.4) of `budget`'s rows, the allocator's tags and the
// resident breakdown: every family with its HELP and TYPE lines, even when it has no sample.
// `previous_cpu_seconds`: the CPU time the server's thread spent on the previous one (0 for none).
std::string prometheus_metrics(const MemoryBudget& budget, double previous_cpu_seconds = 0);

// A label value as the exposition format quotes it: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);

// 127.0.0.0/8, ::1, ::ffff:127.x.x.x and "localhost": addresses no other machine can reach.
bool is_loopback_address(std::string_view address);

// Compares in time that depends on the lengths only, never on where the first difference is, so
// that a client cannot find a token byte by byte from response times.
bool tokens_equal(std::string_view expected, std::string_view given) noexcept;

// Whether an Authorization header's value is "Bearer " followed by `token`.
bool bearer_token_matches(std::string_view authorization, std::string_view token) noexcept;

// Whether an Authorization header's value carries `token`: "Bearer TOKEN", or "Basic" with any
// user name and the token as password, which is what a client sends for a URL of the form
// http://USER:TOKEN@HOST:PORT/... (go tool pprof, which cannot send a header of its own, does).
bool authorization_matches(std::string_view authorization, std::string_view token);

// Standard base64 (RFC 4648, padded) decoded; nullopt for anything else.
std::optional<std::string> decode_base64(std::string_view text);

struct Endpoint {
    std::string address;
    std::uint16_t port = 0;
};

// "ADDRESS:PORT", "[IPV6]:PORT" or, with a default address, "PORT" alone. nullopt, with the reason
// in `*error`, for anything else (a port outside 0-65535, an empty address, extra characters).
std::optional<Endpoint> parse_endpoint(std::string_view text, std::string* error,
                                       std::string_view default_address = {});

}  // namespace nebula::debug::server
