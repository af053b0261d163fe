// A thread's exit, through the platform seam's call_at_thread_exit: the thread is retired after
// its thread_local destructors, however it was started, and leaves nothing behind even when those
// destructors allocate. Under MinGW-w64 the thread_local destructors run after emulated TLS was
// freed, so an allocation there finds the tracker's TLS reset and registers the thread again: both
// registrations must be retired.
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include "escape.hpp"
#include "sampling_paused.hpp"

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#endif

#include <cstddef>
#include <functional>
#include <thread>

namespace nd = nebula::debug;
using nebula::debug::testing::escape;

#if NEBULA_MEMORY_TRACKING

namespace {

constexpr int kThreads = 40;
constexpr int kBlocksPerThread = 100;

void allocate_and_free(int blocks) {
    for (int i = 0; i < blocks; ++i) {
        char* block = new char[64];
        escape(block);
        delete[] block;
    }
}

// Allocates and frees a block as the thread exits, after the tracker may have seen it exit.
struct AllocatesAtExit {
    ~AllocatesAtExit() { allocate_and_free(1); }
};
thread_local AllocatesAtExit t_allocates_at_exit;

void thread_body() {
    escape(&t_allocates_at_exit);  // constructs it, so that its destructor runs at exit
    allocate_and_free(kBlocksPerThread);
}

// Runs `start_and_join` kThreads times; each start runs thread_body on a new thread. Afterwards the
// tracker's overhead (counters, cached blocks, headers) must be what it was, and every allocation
// of the threads counted and freed.
void expect_threads_leave_nothing_behind(const std::function<void()>& start_and_join) {
    const SamplingPaused sampling_paused;
    start_and_join();  // the first thread sets up what stays (the counters' pool, runtime keys)
    nd::release_cached_blocks();
    const std::size_t overhead_before = nd::tracking_overhead_bytes();
    const nd::AllocatorStats before = nd::allocator_stats();
    for (int i = 0; i < kThreads; ++i) {
        start_and_join();
    }
    nd::release_cached_blocks();
    const nd::AllocatorStats after = nd::allocator_stats();
    EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
    EXPECT_EQ(after.live_allocations(), before.live_allocations());
    EXPECT_GE(after.allocation_count - before.allocation_count,
              static_cast<std::size_t>(kThreads * (kBlocksPerThread + 1)));
    EXPECT_EQ(nd::tracking_overhead_bytes(), overhead_before)
        << "threads whose thread_local destructors allocate left counters or cached blocks "
           "behind: not every registration of theirs was retired";
}

TEST(ThreadExit, StdThreadsWithAllocatingThreadLocalDestructorsLeaveNothingBehind) {
    expect_threads_leave_nothing_behind([] { std::thread(thread_body).join(); });
}

#if defined(_WIN32)
// A thread the C++ runtime did not start (a thread pool's, a third-party library's) reaches the
// tracker's exit callback by another path: no winpthreads wrapper runs its key destructors first.
TEST(ThreadExit, CreateThreadThreadsWithAllocatingThreadLocalDestructorsLeaveNothingBehind) {
    expect_threads_leave_nothing_behind([] {
        const HANDLE thread = CreateThread(
            nullptr, 0,
            [](void*) -> DWORD {
                thread_body();
                return 0;
            },
            nullptr, 0, nullptr);
        ASSERT_NE(thread, nullptr);
        WaitForSingleObject(thread, INFINITE);
        CloseHandle(thread);
    });
}
#endif

}  // namespace

#endif
