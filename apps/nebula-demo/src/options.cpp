#include "options.hpp"

#include "scenarios.hpp"

#include <charconv>

namespace nebula::demo {
namespace {

struct Flag {
    std::string_view name;
    std::string_view value;  // "--name=value" splits here
    bool has_inline_value = false;
};

Flag split_flag(std::string_view argument) {
    const std::size_t equals = argument.find('=');
    if (equals == std::string_view::npos) {
        return {argument, {}, false};
    }
    return {argument.substr(0, equals), argument.substr(equals + 1), true};
}

// A whole decimal number in [1, most], nothing before or after it.
template <class Number>
std::optional<Number> parse_count(std::string_view text, Number most) {
    Number value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > most) {
        return std::nullopt;
    }
    return value;
}

// Seconds in [0, most], a decimal number with nothing before or after it.
std::optional<double> parse_seconds(std::string_view text, double most) {
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || !(value >= 0.0) ||
        value > most) {
        return std::nullopt;
    }
    return value;
}

// "[ADDRESS:]PORT", an IPv6 address in brackets: "[::1]:9100".
std::optional<ServeEndpoint> parse_serve(std::string_view text) {
    ServeEndpoint endpoint;
    std::string_view port = text;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos || close == 1) {
            return std::nullopt;
        }
        endpoint.address = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else if (const std::size_t colon = text.find(':'); colon != std::string_view::npos) {
        if (colon == 0 || text.find(':', colon + 1) != std::string_view::npos) {
            return std::nullopt;
        }
        endpoint.address = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
    }
    unsigned number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (port.empty() || error != std::errc{} || end != port.data() + port.size() ||
        number > 65535) {
        return std::nullopt;
    }
    endpoint.port = static_cast<std::uint16_t>(number);
    return endpoint;
}

}  // namespace

ParsedOptions parse_options(std::span<const char* const> arguments) {
    ParsedOptions parsed;
    DemoOptions& options = parsed.options;
    for (std::size_t i = 0; i < arguments.size() && parsed.error.empty(); ++i) {
        const std::string_view argument = arguments[i];
        const Flag flag = split_flag(argument);

        // The value of a flag that takes one: inline after '=' or the next argument.
        const auto take_value = [&]() -> std::optional<std::string_view> {
            if (flag.has_inline_value) {
                return flag.value;
            }
            if (i + 1 < arguments.size()) {
                return std::string_view(arguments[++i]);
            }
            parsed.error = std::string(flag.name) + " needs a value";
            return std::nullopt;
        };
        const auto takes_no_value = [&] {
            if (flag.has_inline_value) {
                parsed.error = std::string(flag.name) + " takes no value";
            }
        };

        if (flag.name == "--help" || flag.name == "-h") {
            takes_no_value();
            options.show_help = true;
        } else if (flag.name == "--headless") {
            takes_no_value();
            options.headless = true;
        } else if (flag.name == "--sites") {
            takes_no_value();
            options.show_sites = true;
        } else if (flag.name == "--frames") {
            if (const auto value = take_value()) {
                options.frames = parse_count(*value, kMaxFrames);
                if (!options.frames) {
                    parsed.error = "--frames expects a whole number from 1 to " +
                                   std::to_string(kMaxFrames) + ", not '" + std::string(*value) +
                                   "'";
                }
            }
        } else if (flag.name == "--scenario") {
            if (const auto value = take_value()) {
                if (find_scenario(*value)) {
                    options.scenario = std::string(*value);
                } else {
                    parsed.error = "unknown scenario '" + std::string(*value) + "' (one of " +
                                   scenario_names() + ")";
                }
            }
        } else if (flag.name == "--view-distance") {
            if (const auto value = take_value()) {
                options.view_distance = parse_count(*value, kMaxViewDistance);
                if (!options.view_distance) {
                    parsed.error = "--view-distance expects a whole number of chunks from 1 to " +
                                   std::to_string(kMaxViewDistance) + ", not '" +
                                   std::string(*value) + "'";
                }
            }
        } else if (flag.name == "--select") {
            if (const auto value = take_value()) {
                if (value->empty()) {
                    parsed.error = "--select needs a subsystem name";
                } else {
                    options.selected_subsystem = std::string(*value);
                }
            }
        } else if (flag.name == "--mark-at") {
            if (const auto value = take_value()) {
                options.mark_at_seconds = parse_seconds(*value, kMaxMarkSeconds);
                if (!options.mark_at_seconds) {
                    parsed.error = "--mark-at expects seconds from 0 to 1000000, not '" +
                                   std::string(*value) + "'";
                }
            }
        } else if (flag.name == "--serve") {
            if (const auto value = take_value()) {
                options.serve = parse_serve(*value);
                if (!options.serve) {
                    parsed.error =
                        "--serve expects [ADDRESS:]PORT with a port from 0 to 65535 "
                        "(an IPv6 address in brackets), not '" +
                        std::string(*value) + "'";
                }
            }
        } else if (flag.name == "--screenshot" || flag.name == "--config" ||
                   flag.name == "--snapshot" || flag.name == "--capture") {
            if (const auto value = take_value()) {
                if (value->empty()) {
                    parsed.error = std::string(flag.name) + " needs a file name";
                } else if (flag.name == "--screenshot") {
                    options.screenshot_path = std::string(*value);
                } else if (flag.name == "--snapshot") {
                    options.snapshot_path = std::string(*value);
                } else if (flag.name == "--capture") {
                    options.capture_path = std::string(*value);
                } else {
                    options.config_path = std::string(*value);
                }
            }
        } else {
            parsed.error = "unknown option '" + std::string(argument) + "'";
        }
    }
    if (parsed.error.empty() && options.headless && options.screenshot_path) {
        parsed.error = "--screenshot renders a window; it cannot be combined with --headless";
    }
    return parsed;
}

std::string usage_text(std::string_view program) {
    std::string text =
        "Usage: " + std::string(program) +
        " [--scenario NAME] [--headless] [--sites] [--frames N] [--view-distance N]\n"
        "       [--screenshot FILE.png] [--select SUBSYSTEM] [--mark-at SECONDS]\n"
        "       [--config FILE.toml]"
        "       [--snapshot FILE.json] [--capture FILE.csv] [--serve [ADDRESS:]PORT]\n";
    text += R"(
Runs a small voxel engine (Chunks, Meshes, Textures, Entities, Audio, Physics) along a scripted
camera flight and shows its memory live in the "Memory Usage" panel.

  --scenario NAME       explore (default): the camera flies, chunks stream in and out.
                        sector-transition: a jump to a far sector; old and new chunks at once.
                        pressure: a tight Chunks budget; the chunk manager sheds chunks.
                        leak: unloaded chunks' mesh buffers leak; the Gap column grows.
  --headless            No window: print the memory table once a simulated second, and a
                        summary at exit. Runs as fast as it can, at 60 simulated frames/s.
  --sites               With --headless: after the last table, each subsystem's top live
                        allocation sites (sampled call stacks; see allocation_sites.hpp).
  --frames N            Stop after N frames (headless default: )" +
            std::to_string(kDefaultHeadlessFrames) + R"(; a window runs until closed).
  --view-distance N     Chunk columns streamed around the camera (default 6).
  --screenshot FILE     Render N frames (default )" +
            std::to_string(kDefaultScreenshotFrames) + R"() in a window and save the last as PNG.
  --select SUBSYSTEM    In a window: select the panel's row, opening its allocation sites.
  --mark-at SECONDS     In a window: press the panel's Mark at this run time; the Since mark
                        column and the Sites pane then show what grew from there.
  --config FILE.toml    Memory budgets to apply over the demo's own (see docs/configuration.md).
  --snapshot FILE.json  At the end of the run (any mode), write every subsystem's memory, the
                        allocator's totals and the resident memory's breakdown as JSON.
  --capture FILE.csv    A CSV row of the same numbers every second of the run's time (any
                        mode); tools/nebula-memreport plot draws it.
  --serve [ADDR:]PORT   For the run's length, serve /metrics (Prometheus), /debug/pprof/heap
                        and /snapshot.json over HTTP (docs/remote.md); 127.0.0.1 unless an
                        address is given, which then needs NEBULA_HTTP_TOKEN. Port 0: any
                        free port; the address is printed on standard error.
  -h, --help            Show this help.

In a window: F1 shows or hides the panel, Esc quits.
Exit status: 0 success, 1 the run failed (bad config, no display), 2 bad command line.
)";
    return text;
}

}  // namespace nebula::demo
