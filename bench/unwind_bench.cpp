// What capturing one call stack costs, for choosing how sampled allocation sites unwind: glibc's
// backtrace() (libgcc's DWARF unwinder), libunwind's unw_backtrace(), and a walk of the frame
// pointer chain. Each captures up to 32 frames from the bottom of a 20-call recursion; the
// "frames" counter says how many it got, and "mallocs" how many times it called malloc once warm.
// The unwinder runs inside malloc, so a warm capture must not allocate: the process's malloc is
// replaced here by one that counts and forwards to glibc's, and the first captures' allocations
// (on the main thread, then on a fresh thread) go into the context printed before the results.
//
// Linux and glibc only. Built with NEBULA_WITH_LIBUNWIND=0 where libunwind is missing, without its
// benchmark. The frame-pointer walk is meaningful only when this file is compiled with
// -fno-omit-frame-pointer, and stops at the first frame built without it (Debian's libbenchmark
// and libc are), so its count is smaller by design.
#include <benchmark/benchmark.h>

#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>

#if !defined(NEBULA_WITH_LIBUNWIND)
#define NEBULA_WITH_LIBUNWIND 1
#endif
#if NEBULA_WITH_LIBUNWIND
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#endif

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void __libc_free(void* pointer);
}

namespace {

std::atomic<std::uint64_t> malloc_calls{0};

}  // namespace

// Defining the four in the executable replaces them for every library of the process; forwarding
// to glibc's keeps one heap, so blocks from glibc's memalign and the like still free here.
extern "C" {
void* malloc(std::size_t size) {
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) {
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(pointer, size);
}
void free(void* pointer) {
    __libc_free(pointer);
}
}

namespace {

constexpr int kMaxFrames = 32;
constexpr int kDepth = 20;

using Capture = int (*)(void** frames, int max_frames);

// libunwind.so exports a `backtrace` of its own (and _Unwind_Backtrace): linked in, it takes the
// name from glibc for the whole process. Looked up in libc.so.6 itself, it is glibc's.
Capture glibc_backtrace() {
    static const Capture function = [] {
        void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
        return libc != nullptr ? reinterpret_cast<Capture>(dlsym(libc, "backtrace")) : nullptr;
    }();
    return function;
}

int capture_glibc(void** frames, int max_frames) {
    return glibc_backtrace()(frames, max_frames);
}

#if NEBULA_WITH_LIBUNWIND
int capture_libunwind(void** frames, int max_frames) {
    return unw_backtrace(frames, max_frames);
}

// libunwind's step-by-step walk: no per-thread trace cache (unw_backtrace maps 256 KiB of one per
// thread that unwinds), every frame's unwind info found through libunwind's global cache.
int capture_libunwind_steps(void** frames, int max_frames) {
    unw_context_t context;
    unw_cursor_t cursor;
    if (unw_getcontext(&context) != 0 || unw_init_local(&cursor, &context) != 0) {
        return 0;
    }
    int count = 0;
    while (count < max_frames && unw_step(&cursor) > 0) {
        unw_word_t ip = 0;
        unw_get_reg(&cursor, UNW_REG_IP, &ip);
        frames[count++] = reinterpret_cast<void*>(ip);
    }
    return count;
}
#endif

struct StackBounds {
    std::uintptr_t low = 0;
    std::uintptr_t high = 0;
};

// pthread_getattr_np allocates (and on the main thread reads /proc/self/maps): once per thread,
// outside the capture.
StackBounds current_thread_stack() {
    thread_local const StackBounds bounds = [] {
        StackBounds result;
        pthread_attr_t attributes;
        if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
            void* address = nullptr;
            std::size_t size = 0;
            if (pthread_attr_getstack(&attributes, &address, &size) == 0) {
                result.low = reinterpret_cast<std::uintptr_t>(address);
                result.high = result.low + size;
            }
            pthread_attr_destroy(&attributes);
        }
        return result;
    }();
    return bounds;
}

// x86-64 and AArch64 frame records: [0] the caller's frame pointer, [1] the return address.
// A frame built without a frame pointer leaves anything in that register, so every link is
// checked: inside this thread's stack, aligned, and strictly towards the stack's base.
[[gnu::noinline]] int capture_frame_pointers(void** frames, int max_frames) {
    const StackBounds stack = current_thread_stack();
    if (stack.high == 0) {
        return 0;  // no bounds, no safe walk
    }
    auto frame = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    int count = 0;
    while (count < max_frames && frame >= stack.low && frame <= stack.high - 2 * sizeof(void*) &&
           frame % alignof(void*) == 0) {
        const auto* record = reinterpret_cast<const std::uintptr_t*>(frame);
        if (record[1] == 0) {
            break;
        }
        frames[count++] = reinterpret_cast<void*>(record[1]);
        if (record[0] <= frame) {
            break;
        }
        frame = record[0];
    }
    return count;
}

// A real call each level (the clobber after the call rules out a tail call and so a loop), so
// that the unwinders walk kDepth genuine frames.
template <typename Body>
[[gnu::noinline]] void descend(int depth, Body& body) {
    if (depth == 0) {
        body();
    } else {
        descend(depth - 1, body);
    }
    benchmark::ClobberMemory();
}

template <Capture capture>
void CaptureStack(benchmark::State& state) {
    void* frames[kMaxFrames];
    int count = 0;
    std::uint64_t mallocs = 0;
    auto body = [&] {
        capture(frames, kMaxFrames);  // warm: the first capture of a thread may set up caches
        const std::uint64_t before = malloc_calls.load(std::memory_order_relaxed);
        for (auto _ : state) {
            count = capture(frames, kMaxFrames);
            benchmark::DoNotOptimize(frames);
        }
        mallocs = malloc_calls.load(std::memory_order_relaxed) - before;
    };
    descend(kDepth, body);
    state.counters["frames"] = count;
    state.counters["mallocs"] =
        benchmark::Counter(static_cast<double>(mallocs), benchmark::Counter::kAvgIterations);
}
BENCHMARK(CaptureStack<capture_glibc>)->Name("CaptureStack/glibc_backtrace");
#if NEBULA_WITH_LIBUNWIND
BENCHMARK(CaptureStack<capture_libunwind>)->Name("CaptureStack/unw_backtrace");
BENCHMARK(CaptureStack<capture_libunwind_steps>)->Name("CaptureStack/unw_step");
#endif
BENCHMARK(CaptureStack<capture_frame_pointers>)->Name("CaptureStack/frame_pointers");

// Allocations of the first capture and of the second, on the calling thread.
std::string first_captures_mallocs(Capture capture) {
    void* frames[kMaxFrames];
    std::uint64_t counts[2];
    for (std::uint64_t& count : counts) {
        const std::uint64_t before = malloc_calls.load(std::memory_order_relaxed);
        capture(frames, kMaxFrames);
        count = malloc_calls.load(std::memory_order_relaxed) - before;
    }
    return std::to_string(counts[0]) + " then " + std::to_string(counts[1]);
}

void add_first_capture_context(const char* name, Capture capture) {
    // Before the benchmarks: once they ran, no capture in the process is a first one.
    benchmark::AddCustomContext(std::string(name) + " mallocs, main thread",
                                first_captures_mallocs(capture));
    std::string on_new_thread;
    std::thread([&] { on_new_thread = first_captures_mallocs(capture); }).join();
    benchmark::AddCustomContext(std::string(name) + " mallocs, new thread", on_new_thread);
}

}  // namespace

int main(int argc, char** argv) {
    if (glibc_backtrace() == nullptr) {
        std::fprintf(stderr, "backtrace() not found in libc.so.6\n");
        return 1;
    }
    add_first_capture_context("glibc_backtrace", capture_glibc);
#if NEBULA_WITH_LIBUNWIND
    add_first_capture_context("unw_backtrace", capture_libunwind);
    add_first_capture_context("unw_step", capture_libunwind_steps);
#endif
    add_first_capture_context("frame_pointers", capture_frame_pointers);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
