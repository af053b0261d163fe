// What reading the process's memory costs: resident_breakdown() (a walk over /proc/self/smaps)
// beside process_resident_bytes() (/proc/self/statm, one line). A panel reads the breakdown a few
// times a second, never per frame or per allocation.
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <benchmark/benchmark.h>

#if defined(__linux__)
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <cstddef>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace nd = nebula::debug;

namespace {

void ProcessResidentBytes(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(nd::process_resident_bytes());
    }
}
BENCHMARK(ProcessResidentBytes);

#if defined(__linux__)
// The floor under ResidentBreakdown: the kernel printing /proc/self/smaps, read in the same 8 KiB
// pieces and not parsed. The difference is the parsing.
void SmapsReadOnly(benchmark::State& state) {
    char buffer[8192];
    for (auto _ : state) {
        const int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
        while (read(fd, buffer, sizeof buffer) > 0) {
        }
        close(fd);
        benchmark::DoNotOptimize(buffer);
    }
}
BENCHMARK(SmapsReadOnly);
#endif

// The bench process as it is: its own mappings, Google Benchmark's, the shared libraries'.
// The second argument adds that many small mappings (alternately writable and read-only, so the
// kernel keeps them apart): an engine with many libraries, thread stacks and mapped files.
void ResidentBreakdown(benchmark::State& state) {
    std::vector<void*> mappings;
#if defined(__linux__)
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    for (long i = 0; i < state.range(0); ++i) {
        const int protection = i % 2 == 0 ? PROT_READ | PROT_WRITE : PROT_READ;
        void* mapping = mmap(nullptr, page, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapping != MAP_FAILED) {
            mappings.push_back(mapping);
        }
    }
#endif
    for (auto _ : state) {
        const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
        benchmark::DoNotOptimize(breakdown);
    }
#if defined(__linux__)
    std::ifstream maps("/proc/self/maps");
    std::size_t lines = 0;
    for (std::string line; std::getline(maps, line);) {
        ++lines;
    }
    state.counters["mappings"] = static_cast<double>(lines);
    for (void* mapping : mappings) {
        munmap(mapping, page);
    }
#endif
}
BENCHMARK(ResidentBreakdown)->ArgName("extra_mappings")->Arg(0)->Arg(400)->Arg(1000);

#if defined(__linux__)
// With that many more threads, asleep: each adds its stack and guard (two mappings) and a read of
// /proc/self/task/TID/syscall, where a thread that never allocated shows where its stack is.
void ResidentBreakdownWithThreads(benchmark::State& state) {
    int wake[2];
    if (pipe(wake) != 0) {
        state.SkipWithError("pipe");
        return;
    }
    std::vector<std::thread> threads;
    for (long i = 0; i < state.range(0); ++i) {
        threads.emplace_back([fd = wake[0]] {
            char byte;
            benchmark::DoNotOptimize(read(fd, &byte, 1));
        });
    }
    for (auto _ : state) {
        const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
        benchmark::DoNotOptimize(breakdown);
    }
    for (std::size_t i = 0; i < threads.size(); ++i) {
        benchmark::DoNotOptimize(write(wake[1], "x", 1));
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    close(wake[0]);
    close(wake[1]);
}
BENCHMARK(ResidentBreakdownWithThreads)->ArgName("threads")->Arg(0)->Arg(8)->Arg(32)->UseRealTime();
#endif

}  // namespace
