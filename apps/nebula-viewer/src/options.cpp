#include "options.hpp"

#include <charconv>
#include <vector>

namespace nebula::viewer {
namespace {

bool parse_frames(std::string_view text, long& frames) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), frames);
    return error == std::errc() && end == text.data() + text.size() && frames > 0 &&
           frames <= kMaxFrames;
}

}  // namespace

SourceKind source_kind(std::string_view source) {
    if (source.starts_with("http://") || source.starts_with("https://")) {
        return SourceKind::remote;
    }
    return source.ends_with(".csv") || source.ends_with(".CSV") ? SourceKind::capture
                                                                : SourceKind::snapshot;
}

ParsedOptions parse_options(std::span<const char* const> arguments, const char* environment_token) {
    ParsedOptions parsed;
    ViewerOptions& options = parsed.options;
    std::vector<std::string> sources;
    std::optional<std::string> token;
    for (std::size_t i = 0; i < arguments.size() && parsed.error.empty(); ++i) {
        std::string_view argument = arguments[i];
        std::optional<std::string_view> inline_value;
        if (const std::size_t equals = argument.find('=');
            argument.starts_with("--") && equals != std::string_view::npos) {
            inline_value = argument.substr(equals + 1);
            argument = argument.substr(0, equals);
        }
        const auto value = [&]() -> std::optional<std::string_view> {
            if (inline_value) {
                return inline_value;
            }
            if (i + 1 < arguments.size()) {
                return std::string_view(arguments[++i]);
            }
            parsed.error = std::string(argument) + " needs a value";
            return std::nullopt;
        };
        if (argument == "--help" || argument == "-h") {
            options.show_help = true;
        } else if (argument == "--token") {
            if (const auto text = value()) {
                token = std::string(*text);
            }
        } else if (argument == "--screenshot") {
            if (const auto text = value()) {
                options.screenshot_path = std::string(*text);
            }
        } else if (argument == "--frames") {
            if (const auto text = value()) {
                long frames = 0;
                if (!parse_frames(*text, frames)) {
                    parsed.error = "--frames takes a whole number of frames from 1 to " +
                                   std::to_string(kMaxFrames) + ", not '" + std::string(*text) +
                                   "'";
                }
                options.frames = frames;
            }
        } else if (argument.starts_with("-") && argument.size() > 1) {
            parsed.error = "unknown option " + std::string(argument);
        } else {
            sources.emplace_back(argument);
        }
    }
    if (!parsed.error.empty() || options.show_help) {
        return parsed;
    }
    if (sources.size() != 1) {
        parsed.error = sources.empty()
                           ? "no source: give http://HOST:PORT, FILE.json or FILE.csv"
                           : "one source at a time, not " + std::to_string(sources.size());
        return parsed;
    }
    options.source = sources.front();
    options.token = token ? *token : environment_token != nullptr ? environment_token : "";
    return parsed;
}

std::string usage_text(std::string_view program) {
    return "Usage: " + std::string(program) +
           " [options] SOURCE\n"
           "Shows the Memory Usage panel of a program nebula-debug tracks.\n"
           "\n"
           "SOURCE:\n"
           "  http://HOST:PORT      a running program's endpoint (GET /snapshot.json), live;\n"
           "                        a lost connection is shown and retried\n"
           "  FILE.json             a saved snapshot (write_memory_snapshot, --snapshot)\n"
           "  FILE.csv              a saved capture (MemoryCapture, --capture): its last row,\n"
           "                        with the history of the whole capture\n"
           "\n"
           "Options:\n"
           "  --token TOKEN         sent as \"Authorization: Bearer TOKEN\" (a server beyond\n"
           "                        loopback needs one); default: $NEBULA_HTTP_TOKEN\n"
           "  --screenshot FILE.png save the window after the last frame and exit\n"
           "  --frames N            frames to run (default: until closed; with --screenshot " +
           std::to_string(kDefaultScreenshotFrames) +
           ")\n"
           "  --help                this text\n"
           "\n"
           "Exit status: 0 success, 1 the run failed (no display, unwritable screenshot),\n"
           "2 a command line or input file that could not be understood.\n";
}

}  // namespace nebula::viewer
