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

namespace {

char lower_case(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether an Authorization value starts with `scheme` (its name and one space). The scheme is
// case-insensitive (RFC 9110, 11.1); it is not the secret.
bool has_scheme(std::string_view authorization, std::string_view scheme) noexcept {
    if (authorization.size() < scheme.size()) {
        return false;
    }
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (lower_case(authorization[i]) != lower_case(scheme[i])) {
            return false;
        }
    }
    return true;
}

int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

}  // namespace

bool bearer_token_matches(std::string_view authorization, std::string_view token) noexcept {
    constexpr std::string_view scheme = "Bearer ";
    return has_scheme(authorization, scheme) &&
           tokens_equal(token, authorization.substr(scheme.size()));
}

std::optional<std::string> decode_base64(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    std::string decoded;
    decoded.reserve(text.size() / 4 * 3);
    std::uint32_t bits = 0;
    for (std::size_t i = 0; i < text.size() - padding; ++i) {
        const int value = base64_value(text[i]);
        if (value < 0) {
            return std::nullopt;
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        if (i % 4 == 3) {
            decoded += static_cast<char>(bits >> 16);
            decoded += static_cast<char>(bits >> 8);
            decoded += static_cast<char>(bits);
            bits = 0;
        }
    }
    if (padding == 2) {
        decoded += static_cast<char>(bits >> 4);
    } else if (padding == 1) {
        decoded += static_cast<char>(bits >> 10);
        decoded += static_cast<char>(bits >> 2);
    }
    return decoded;
}

bool authorization_matches(std::string_view authorization, std::string_view token) {
    constexpr std::string_view basic = "Basic ";
    if (!has_scheme(authorization, basic)) {
        return bearer_token_matches(authorization, token);
    }
    const std::optional<std::string> credentials =
        decode_base64(authorization.substr(basic.size()));
    // USER:PASSWORD; a user name has no colon, a password may.
    const std::size_t colon = credentials ? credentials->find(':') : std::string::npos;
    return colon != std::string::npos &&
           tokens_equal(token, std::string_view(*credentials).substr(colon + 1));
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
