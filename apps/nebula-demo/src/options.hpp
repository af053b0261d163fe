// nebula-demo's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nebula::demo {

// --serve [ADDRESS:]PORT: the memory server's endpoint (nebula::debug_server).
struct ServeEndpoint {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port, printed at start
};

struct DemoOptions {
    bool headless = false;
    bool show_help = false;
    std::optional<long> frames;  // absent: headless runs kDefaultHeadlessFrames, a window runs
                                 // until closed, a screenshot is taken after
                                 // kDefaultScreenshotFrames
    std::optional<std::string> screenshot_path;
    std::optional<std::string> config_path;
    std::optional<std::string> snapshot_path;  // a JSON snapshot written at the end of the run
    std::optional<std::string> capture_path;   // a CSV row every second of the run's time
    bool show_sites = false;  // headless: each subsystem's top allocation sites after the table
    std::optional<std::string> selected_subsystem;  // window: the row whose Sites pane is open
    std::optional<double> mark_at_seconds;  // window: the panel's mark, placed at this run time
    std::string scenario = "explore";       // one of scenario_names()
    std::optional<int> view_distance;       // chunk columns; absent: WorldSettings' default
    std::optional<ServeEndpoint> serve;     // the memory server, for the run's length
};

inline constexpr long kDefaultHeadlessFrames = 600;
inline constexpr long kDefaultScreenshotFrames = 300;
inline constexpr long kMaxFrames = 100'000'000;
inline constexpr int kMaxViewDistance = 24;
inline constexpr double kMaxMarkSeconds = 1'000'000.0;

// Exit statuses: 0 success, 1 a run that failed (bad config, no display, unwritable
// screenshot), 2 a command line that could not be understood. An unwritable snapshot or capture
// is reported and changes nothing: the run itself went as it would have.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct ParsedOptions {
    DemoOptions options;
    std::string error;  // empty when the command line was understood
};

// `arguments` excludes the program name. Accepts "--flag value" and "--flag=value".
ParsedOptions parse_options(std::span<const char* const> arguments);
std::string usage_text(std::string_view program);

}  // namespace nebula::demo
