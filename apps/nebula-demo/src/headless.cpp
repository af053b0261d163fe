#include "headless.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace nebula::demo {
namespace {

// Colour only for a person at a terminal, and never against their NO_COLOR wish.
bool stdout_wants_color() {
    return isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
}

}  // namespace

int run_headless(const DemoOptions& options, DemoSession& session) {
    const long frames = options.frames.value_or(kDefaultHeadlessFrames);
    const bool color = stdout_wants_color();
    const auto frames_per_table = static_cast<long>(kFramesPerSecond);
    const auto start = std::chrono::steady_clock::now();
    bool output_closed = false;
    for (long frame = 1; frame <= frames; ++frame) {
        const double seconds = static_cast<double>(frame) / kFramesPerSecond;
        session.advance(seconds);
        for (const std::string& event : session.take_events()) {
            fmt::print("[{:.2f} s] {}\n", seconds, event);
        }
        if (frame % frames_per_table == 0 || frame == frames) {
            const VoxelWorld& world = session.world();
            fmt::print("\n== frame {} ({:.1f} s simulated, {}: {} chunks, view distance {}) ==\n{}",
                       frame, seconds, world.scenario().name, world.chunks().count(),
                       world.chunks().view_distance(),
                       memory_table(session.budget(), color, &session.leak_watch()));
            // A closed reader ends the run as SIGPIPE would, which the memory server ignores.
            if (std::fflush(stdout) != 0) {
                output_closed = true;
                break;
            }
        }
    }
    session.summary().wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.show_sites && !output_closed) {
        fmt::print("\n{}", sites_table(session.budget()));
    }
    session.finish_capture();
    write_requested_snapshot(options.snapshot_path, session.budget());
    if (output_closed) {
        std::fputs("nebula-demo: standard output closed; the run stops here\n", stderr);
        return 1;
    }
    fmt::print("\n{}", summary_text(session.summary(), session.budget()));
    std::fflush(stdout);  // before the budget's peak log on stderr
    return 0;
}

}  // namespace nebula::demo
