// nebula-viewer's command line.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nebula::viewer {

struct ViewerOptions {
    std::string source;  // http://HOST:PORT, or a snapshot (.json) or capture (.csv) file
    std::string token;   // --token, or NEBULA_HTTP_TOKEN: sent as "Authorization: Bearer TOKEN"
    std::optional<std::string> screenshot_path;
    std::optional<long> frames;  // absent: a window runs until closed, a screenshot is taken
                                 // after kDefaultScreenshotFrames
    bool show_help = false;
};

inline constexpr long kDefaultScreenshotFrames = 60;
inline constexpr long kMaxFrames = 100'000'000;

// Exit statuses: 0 success, 1 a run that failed (no display, unwritable screenshot), 2 a command
// line or an input file that could not be understood.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

enum class SourceKind { remote, snapshot, capture };
// By its form: a URL, else by the file's extension (.csv a capture, anything else a snapshot).
SourceKind source_kind(std::string_view source);

struct ParsedOptions {
    ViewerOptions options;
    std::string error;  // empty when the command line was understood
};

// `arguments` excludes the program name; `environment_token` is NEBULA_HTTP_TOKEN's value (null
// when unset), used when --token is not given. Accepts "--flag value" and "--flag=value".
ParsedOptions parse_options(std::span<const char* const> arguments, const char* environment_token);
std::string usage_text(std::string_view program);

}  // namespace nebula::viewer
