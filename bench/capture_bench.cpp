// What a capture costs (memory_capture.hpp): a row with six subsystems, without and with the
// resident breakdown, and a sample() call between rows (what a game pays every frame). Rows go
// to /dev/null through the same buffered writer a file gets, so the figure is the row's own cost,
// not the disk's.
//
// CaptureOneHour writes a one-hour capture at 1 Hz (3600 rows, the resident breakdown on every
// row: the largest such a file gets) with six subsystems' worth of realistic, moving numbers, and
// reports its size; the file stays in the temporary directory for timing `nebula-memreport plot`
// on it (docs/benchmarks.md).
#include <nebula/debug/memory_capture.hpp>
#include <nebula/debug/memory_tracking.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>

namespace nd = nebula::debug;

namespace {

constexpr const char* kSubsystems[] = {"Chunks",   "Meshes", "Textures",
                                       "Entities", "Audio",  "Physics"};
constexpr std::size_t kMiB = 1024 * 1024;

void configure(nd::MemoryBudget& budget) {
    nd::configure_default_budgets(budget);
    std::size_t bytes = 100 * kMiB;
    for (const char* name : kSubsystems) {
        budget.report(name, bytes, 1000);
        bytes /= 2;
    }
}

// range(0): 1 reads the resident breakdown on every row, 0 only on the first.
void CaptureRow(benchmark::State& state) {
    nd::MemoryBudget budget;
    configure(budget);
    nd::MemoryCapture capture;
    nd::MemoryCaptureOptions options;
    options.resident_interval_seconds = state.range(0) != 0 ? 0.0 : 1e300;
    if (!capture.open("/dev/null", options)) {
        state.SkipWithError("cannot open /dev/null");
        return;
    }
    double now = 0.0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(capture.sample(budget, now));
        now += 1.0;
    }
    if (capture.rows_written() != static_cast<std::size_t>(state.iterations())) {
        state.SkipWithError("a sample did not write its row");
    }
}
BENCHMARK(CaptureRow)->ArgName("resident")->Arg(0)->Arg(1);

void CaptureSampleNotDue(benchmark::State& state) {
    nd::MemoryBudget budget;
    configure(budget);
    nd::MemoryCapture capture;
    if (!capture.open("/dev/null")) {
        state.SkipWithError("cannot open /dev/null");
        return;
    }
    capture.sample(budget, 0.0);
    for (auto _ : state) {
        benchmark::DoNotOptimize(capture.sample(budget, 0.5));
    }
}
BENCHMARK(CaptureSampleNotDue);

void CaptureOneHour(benchmark::State& state) {
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / "nebula-capture-one-hour.csv";
    std::size_t file_bytes = 0;
    for (auto _ : state) {
        nd::MemoryBudget budget;
        configure(budget);
        nd::MemoryCapture capture;
        nd::MemoryCaptureOptions options;
        options.resident_interval_seconds = 0.0;
        if (!capture.open(path.string(), options)) {
            state.SkipWithError("cannot write the one-hour capture");
            return;
        }
        for (int second = 0; second < 3600; ++second) {
            // Streaming in waves, a slow climb, a sector transition every ten minutes.
            const double wave = std::sin(second / 60.0);
            const double climb = second / 3600.0;
            const double transition = second % 600 < 30 ? 1.0 : 0.0;
            std::size_t scale = 400 * kMiB;
            for (const char* name : kSubsystems) {
                budget.report(
                    name,
                    static_cast<std::size_t>(static_cast<double>(scale) *
                                             (1.0 + 0.2 * wave + 0.3 * climb + 0.5 * transition)),
                    1000);
                scale /= 2;
            }
            capture.sample(budget, second);
        }
        capture.close();
        file_bytes = std::filesystem::file_size(path);
    }
    state.counters["file_bytes"] = static_cast<double>(file_bytes);
    state.counters["bytes_per_row"] = static_cast<double>(file_bytes) / 3600.0;  // header too
}
BENCHMARK(CaptureOneHour)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
