// The per-frame view's costs (docs/benchmarks.md, "GPU resources and the frame"):
//
// GpuTrackingPair: one track_gpu_allocation and its track_gpu_free, at 1 and 8 threads, each
// thread its own ids under one shared tag (the contended case: every thread updates the same
// tag's totals). Target: at most 100 ns of CPU time per pair at 8 threads.
// EndFrame: MemoryBudget::end_frame() with 6 and 32 subsystems, with 1 and 8 threads alive (the
// fold visits every thread). Target: at most 2 us with 32 subsystems.
// FrameReporting: what nebula-demo times as "Memory reporting" each frame: six reports, the leak
// watch, end_frame() and a capture's sample() between rows. Target: at most 2 us.
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/leak_watch.hpp>
#include <nebula/debug/memory_capture.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nd = nebula::debug;

namespace {

void GpuTrackingPair(benchmark::State& state) {
    const nd::MemoryTag tag = nd::memory_tag("Bench.Gpu");
    // Ids apart per thread, as a driver's handles are.
    std::uint64_t id = (static_cast<std::uint64_t>(state.thread_index()) + 1) << 40;
    for (auto _ : state) {
        nd::track_gpu_allocation(id, 65536, tag);
        nd::track_gpu_free(id);
        ++id;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(GpuTrackingPair)->Threads(1)->Threads(8);

// Threads that each allocated once (so they are in the tracker's registry) and then wait until
// the benchmark ends: the fold's work grows with them.
class IdleThreads {
public:
    explicit IdleThreads(int count) {
        for (int i = 0; i < count; ++i) {
            threads_.emplace_back([this] {
                delete new int(1);
                std::unique_lock lock(mutex_);
                done_.wait(lock, [this] { return stop_; });
            });
        }
    }
    ~IdleThreads() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        done_.notify_all();
        for (std::thread& thread : threads_) {
            thread.join();
        }
    }

private:
    std::mutex mutex_;
    std::condition_variable done_;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

std::vector<std::string> subsystem_names(std::int64_t count) {
    static const char* const kDemo[] = {"Chunks",   "Meshes", "Textures",
                                        "Entities", "Audio",  "Physics"};
    std::vector<std::string> names;
    for (std::int64_t i = 0; i < count; ++i) {
        names.push_back(i < 6 ? std::string(kDemo[i]) : "Subsystem" + std::to_string(i));
    }
    return names;
}

// range(0) subsystems, each with its tag, a churn budget and a GPU budget; range(1) threads alive.
void EndFrame(benchmark::State& state) {
    nd::MemoryBudget budget;
    const std::vector<std::string> names = subsystem_names(state.range(0));
    for (const std::string& name : names) {
        nd::memory_tag(name);
        budget.report(name, 1024, 1);
        budget.set_churn_budget(name, 1000);
        budget.set_gpu_budget(name, 1 << 30);
    }
    const IdleThreads others(static_cast<int>(state.range(1)) - 1);
    for (auto _ : state) {
        budget.end_frame();
    }
}
BENCHMARK(EndFrame)
    ->ArgNames({"subsystems", "threads"})
    ->Args({6, 1})
    ->Args({32, 1})
    ->Args({32, 8});

void FrameReporting(benchmark::State& state) {
    nd::MemoryBudget budget;
    nd::configure_default_budgets(budget);
    const std::vector<std::string> names = subsystem_names(6);
    for (const std::string& name : names) {
        nd::memory_tag(name);
    }
    nd::LeakWatch leak_watch(2 * 1024 * 1024);
    nd::MemoryCapture capture;
    if (!capture.open("/dev/null")) {
        state.SkipWithError("cannot open /dev/null");
        return;
    }
    const IdleThreads others(static_cast<int>(state.range(0)) - 1);
    std::size_t frame = 0;
    capture.sample(budget, 0.0);  // the first row; the next is due a second later
    for (auto _ : state) {
        for (std::size_t row = 0; row < names.size(); ++row) {
            budget.report(names[row], (row + 1) * 1024 * 1024 + frame % 64, 100 + row);
        }
        leak_watch.check(budget);
        budget.end_frame();
        capture.sample(budget, 0.5);
        ++frame;
    }
}
BENCHMARK(FrameReporting)->ArgName("threads")->Arg(1)->Arg(8);

}  // namespace
