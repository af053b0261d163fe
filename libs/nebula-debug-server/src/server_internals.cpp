#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

#include "server_internals.hpp"

namespace nebula::debug::server {

bool is_loopback_address(std::string_view address) {
    if (address == "localhost") {
        return true;
    }
    const std::string text(address);
    in_addr ipv4{};
    if (inet_pton(AF_INET, text.c_str(), &ipv4) == 1) {
        return (ntohl(ipv4.s_addr) >> 24) == 127;
    }
    in6_addr ipv6{};
    if (inet_pton(AF_INET6, text.c_str(), &ipv6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&ipv6)) {
            return true;
        }
        return IN6_IS_ADDR_V4MAPPED(&ipv6) && ipv6.s6_addr[12] == 127;
    }
    return false;
}

bool tokens_equal(std::string_view expected, std::string_view given) noexcept {
    if (expected.empty()) {
        return given.empty();
    }
    // Every byte of `given` is compared, wherever the first difference is; the loop's length is
    // the client's own, so it learns nothing it did not send.
    unsigned difference = expected.size() == given.size() ? 0u : 1u;
    for (std::size_t i = 0; i < given.size(); ++i) {
        difference |= static_cast<unsigned char>(given[i]) ^
                      static_cast<unsigned char>(expected[i % expected.size()]);
    }
    return difference == 0;
}

bool bearer_token_matches(std::string_view authorization, std::string_view token) noexcept {
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() < scheme.size()) {
        return false;
    }
    // The scheme is case-insensitive (RFC 9110, 11.1); it is not the secret.
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        const char c = authorization[i];
        const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        const char want = scheme[i] >= 'A' && scheme[i] <= 'Z'
                              ? static_cast<char>(scheme[i] - 'A' + 'a')
                              : scheme[i];
        if (lower != want) {
            return false;
        }
    }
    return tokens_equal(token, authorization.substr(scheme.size()));
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string* error,
                                       std::string_view default_address) {
    const auto fail = [&](std::string reason) -> std::optional<Endpoint> {
        if (error != nullptr) {
            *error = "'" + std::string(text) + "': " + std::move(reason);
        }
        return std::nullopt;
    };
    Endpoint endpoint;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return fail("expected [IPV6]:PORT");
        }
        endpoint.address = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            if (default_address.empty()) {
                return fail("expected ADDRESS:PORT");
            }
            endpoint.address = std::string(default_address);
            port_text = text;
        } else {
            endpoint.address = std::string(text.substr(0, colon));
            port_text = text.substr(colon + 1);
            if (endpoint.address.find(':') != std::string::npos) {
                return fail("an IPv6 address goes in brackets: [ADDRESS]:PORT");
            }
        }
    }
    if (endpoint.address.empty()) {
        return fail("the address is empty");
    }
    unsigned port = 0;
    const auto [end, status] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || status != std::errc{} || end != port_text.data() + port_text.size() ||
        port > 65535) {
        return fail("the port must be a whole number from 0 to 65535");
    }
    endpoint.port = static_cast<std::uint16_t>(port);
    return endpoint;
}

}  // namespace nebula::debug::server
