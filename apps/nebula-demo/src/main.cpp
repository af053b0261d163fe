// nebula-demo: the memory tracker on a small voxel engine, in a window (the world behind the
// Dear ImGui panel), headless (the same table in the terminal) or as a screenshot. See --help.
#include "headless.hpp"
#include "options.hpp"
#include "scenarios.hpp"
#include "session.hpp"
#include "window.hpp"

#include <nebula/debug/leak_watch.hpp>
#include <nebula/debug/memory_tracking.hpp>
#if NEBULA_DEMO_MEMORY_SERVER
#include <nebula/debug/memory_server.hpp>
#endif

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <vector>

namespace {

namespace nd = nebula::debug;
namespace demo = nebula::demo;

bool apply_budgets_file(nd::MemoryBudget& budget, const std::string& path) {
    const std::vector<nd::ConfigError> errors = nd::load_budget_config(budget, path);
    if (errors.empty()) {
        return true;
    }
    // load_budget_config has logged each error, with its file and line, to "nebula.memory".
    fmt::print(stderr, "nebula-demo: {} problem{} in the budgets config; nothing was run\n",
               errors.size(), errors.size() == 1 ? "" : "s");
    return false;
}

// --serve: the memory server for as long as the budget it reads lives.
class ServeScope {
public:
    ServeScope() = default;
    ServeScope(const ServeScope&) = delete;
    ServeScope& operator=(const ServeScope&) = delete;
    ~ServeScope() {
#if NEBULA_DEMO_MEMORY_SERVER
        if (started_) {
            nd::stop_memory_server();
        }
#endif
    }

    bool start(const nd::MemoryBudget& budget, const demo::ServeEndpoint& endpoint) {
#if NEBULA_DEMO_MEMORY_SERVER
        nd::MemoryServerOptions server;
        server.address = endpoint.address;
        server.port = endpoint.port;
        if (const char* token = std::getenv("NEBULA_HTTP_TOKEN")) {
            server.token = token;
        }
        std::string error;
        started_ = nd::start_memory_server(budget, server, &error);
        if (!started_) {
            fmt::print(stderr, "nebula-demo: --serve: {}\n", error);
            return false;
        }
        fmt::print(stderr, "nebula-demo: memory server on http://{}:{}/metrics\n",
                   endpoint.address.find(':') == std::string::npos ? endpoint.address
                                                                   : "[" + endpoint.address + "]",
                   nd::memory_server_port());
        return true;
#else
        (void)budget;
        (void)endpoint;
        fmt::print(stderr,
                   "nebula-demo: --serve: this build has no memory server "
                   "(NEBULA_DEBUG_BUILD_SERVER=OFF)\n");
        return false;
#endif
    }

private:
    [[maybe_unused]] bool started_ = false;
};

int run(const demo::DemoOptions& options) {
    // What is still allocated at exit, per tag with its allocation sites (NEBULA_LEAK_REPORT=0:
    // not logged).
    nd::log_live_memory_at_exit();
    const demo::Scenario scenario = *demo::find_scenario(options.scenario);
    nd::MemoryBudget budget;
    demo::VoxelWorld::configure_budgets(budget);
    // The scenario's own budgets first, so that --config can still override them.
    if (!scenario.budgets_file.empty() &&
        !apply_budgets_file(budget, std::string(NEBULA_DEMO_SCENARIO_DIR "/") +
                                        std::string(scenario.budgets_file))) {
        return demo::kExitFailure;
    }
    if (options.config_path && !apply_budgets_file(budget, *options.config_path)) {
        return demo::kExitFailure;
    }
    ServeScope serve;
    if (options.serve && !serve.start(budget, *options.serve)) {
        return demo::kExitFailure;
    }
    demo::WorldSettings settings;
    settings.view_distance = options.view_distance.value_or(settings.view_distance);
    int status = 0;
    long frames_run = 0;
    {
        demo::DemoSession session(budget, scenario, settings);
        session.start_capture(options.capture_path);
        status = options.headless ? demo::run_headless(options, session)
                                  : demo::run_window(options, session);
        frames_run = session.summary().frames;
    }
    // The seed's "peak memory usage at engine shutdown", once the world has let go of it.
    if (frames_run > 0) {
        budget.log_peak_summary();
    }
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    const std::span<const char* const> arguments(argv + (argc > 0 ? 1 : 0),
                                                 static_cast<std::size_t>(argc > 0 ? argc - 1 : 0));
    const demo::ParsedOptions parsed = demo::parse_options(arguments);
    if (!parsed.error.empty()) {
        fmt::print(stderr, "nebula-demo: {}\nTry 'nebula-demo --help'.\n", parsed.error);
        return demo::kExitUsage;
    }
    if (parsed.options.show_help) {
        fmt::print("{}", demo::usage_text("nebula-demo"));
        return 0;
    }
    try {
        return run(parsed.options);
    } catch (const std::exception& error) {
        fmt::print(stderr, "nebula-demo: {}\n", error.what());
        return demo::kExitFailure;
    }
}
