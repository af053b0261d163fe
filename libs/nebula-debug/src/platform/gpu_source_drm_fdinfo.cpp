// DRM fdinfo (Linux 5.19+, Documentation/gpu/drm-usage-stats.rst): every DRM file the process
// has open lists its client's memory in /proc/self/fdinfo/FD. Several files may share one
// client (dup, fork): each client counts once.
#include "platform/gpu_sources.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>

namespace nebula::debug::platform {
namespace {

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

// "1234 KiB", "5 MiB" or a bare byte count.
bool parse_amount(std::string_view value, std::size_t& bytes) {
    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc{} || end == value.data()) {
        return false;
    }
    const std::string_view unit = trimmed(std::string_view(end, value.data() + value.size() - end));
    std::uint64_t scale = 1;
    if (unit == "KiB") {
        scale = 1024;
    } else if (unit == "MiB") {
        scale = 1024 * 1024;
    } else if (unit == "GiB") {
        scale = 1024 * 1024 * 1024;
    } else if (!unit.empty()) {
        return false;
    }
    if (number > SIZE_MAX / scale) {
        return false;
    }
    bytes = static_cast<std::size_t>(number * scale);
    return true;
}

bool is_local_memory_key(std::string_view key) {
    return key == "drm-memory-vram" || key.starts_with("drm-total-local") ||
           key.starts_with("drm-total-vram");
}

}  // namespace

bool parse_drm_fdinfo(std::string_view text, DrmClientMemory& out) {
    out = DrmClientMemory{};
    bool has_client = false;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        const std::string_view key = trimmed(line.substr(0, colon));
        const std::string_view value = trimmed(line.substr(colon + 1));
        if (key == "drm-driver") {
            out.driver = value;
        } else if (key == "drm-client-id") {
            const auto result =
                std::from_chars(value.data(), value.data() + value.size(), out.client_id);
            has_client = result.ec == std::errc{};
        } else if (is_local_memory_key(key)) {
            std::size_t bytes = 0;
            if (parse_amount(value, bytes)) {
                out.local_bytes += bytes;
            }
        }
    }
    return has_client && !out.driver.empty();
}

bool query_drm_fdinfo(GpuDeviceMemory& out) {
    DIR* directory = opendir("/proc/self/fdinfo");
    if (directory == nullptr) {
        return false;
    }
    // Client ids seen, so that a client's memory counts once; a process has a handful of them.
    std::array<std::uint64_t, 64> clients{};
    std::size_t client_count = 0;
    std::size_t local_bytes = 0;
    std::string driver;
    std::array<char, 4096> buffer{};
    while (const dirent* entry = readdir(directory)) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        char path[sizeof("/proc/self/fdinfo/") + sizeof(entry->d_name)];
        std::snprintf(path, sizeof path, "/proc/self/fdinfo/%s", entry->d_name);
        const int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        const ssize_t length = read(fd, buffer.data(), buffer.size());
        close(fd);
        DrmClientMemory client;
        if (length <= 0 ||
            !parse_drm_fdinfo(std::string_view(buffer.data(), static_cast<std::size_t>(length)),
                              client)) {
            continue;
        }
        bool seen = false;
        for (std::size_t index = 0; index < client_count; ++index) {
            seen |= clients[index] == client.client_id;
        }
        if (seen || client_count == clients.size()) {
            continue;
        }
        clients[client_count++] = client.client_id;
        local_bytes += client.local_bytes;
        driver = client.driver;
    }
    closedir(directory);
    if (client_count == 0) {
        return false;
    }
    out.used_bytes = local_bytes;
    out.source = "DRM fdinfo";
    out.device = driver;
    return true;
}

}  // namespace nebula::debug::platform
