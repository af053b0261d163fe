// Sites are read on some thread (the panel's, a server's) while the program forks or cancels
// threads: a child must never inherit a lock of the symboliser or the tables held by a thread it
// lacks, and a cancellation must never unwind out of an allocation function (a sampled malloc
// inside symbolisation reaches libunwind's read(), a cancellation point). POSIX only.
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "escape.hpp"
#include "sanitizers.hpp"

namespace nd = nebula::debug;
using nebula::debug::testing::escape;

#if NEBULA_MEMORY_TRACKING

namespace {

// Allocates enough to be sampled often (the suite runs at a 64 KiB interval), then reads sites,
// which names them through the symboliser and allocates while doing so.
void allocate_and_read_sites() {
    std::vector<std::vector<char>> blocks;
    for (int i = 0; i < 8; ++i) {
        blocks.emplace_back(96 * 1024, 'x');
    }
    escape(blocks.data());
    escape(nd::live_allocation_sites(5).data());
}

// Waits for a child for up to `limit`: "" when it exited with 0, else what became of it (killed
// when still running at the limit).
std::string child_outcome(pid_t child, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(child, &status, WNOHANG) == child) {
            if (WIFEXITED(status)) {
                return WEXITSTATUS(status) == 0
                           ? ""
                           : "exited with " + std::to_string(WEXITSTATUS(status));
            }
            return "killed by signal " + std::to_string(WTERMSIG(status));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    return "hung";
}

TEST(ForkAndCancel, AForkWhileAnotherThreadReadsSitesNeverHangsTheChild) {
    if (nebula::debug::testing::kThreadSanitizer || nebula::debug::testing::kAddressSanitizer) {
        GTEST_SKIP() << nebula::debug::testing::kForkWhileAllocatingUnsupported;
    }
    if (nd::sampling_interval() == 0) {
        GTEST_SKIP() << "sampling is off";
    }
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        while (!stop.load()) {
            allocate_and_read_sites();
        }
    });
    std::string failure;
    for (int round = 0; round < 50; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1 + round % 5));
        const pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            // Every lock the reader might have held: the symboliser's, the tables', the
            // registry's, all taken again here.
            allocate_and_read_sites();
            _exit(0);
        }
        failure = child_outcome(child, std::chrono::seconds(10));
        if (!failure.empty()) {
            failure = "round " + std::to_string(round) + ": the child " + failure;
            break;  // one is enough to know, and a hang costs the watchdog's whole wait
        }
    }
    stop = true;
    reader.join();
    EXPECT_EQ(failure, "");
}

void* read_sites_until_cancelled(void* started) {
    static_cast<std::atomic<bool>*>(started)->store(true);
    for (;;) {
        allocate_and_read_sites();
        pthread_testcancel();
    }
    return nullptr;
}

TEST(ForkAndCancel, CancellingAThreadThatReadsSitesNeverAbortsTheProcess) {
    if (nebula::debug::testing::kAddressSanitizer) {
        // GCC 12's AddressSanitizer leaves a cancelled thread's stack poisoned and reports its
        // own thread teardown as a stack-buffer-overflow.
        GTEST_SKIP() << "AddressSanitizer misreports the teardown of a cancelled thread";
    }
    if (nd::sampling_interval() == 0) {
        GTEST_SKIP() << "sampling is off";
    }
    for (int round = 0; round < 20; ++round) {
        std::atomic<bool> started{false};
        pthread_t thread;
        ASSERT_EQ(pthread_create(&thread, nullptr, read_sites_until_cancelled, &started), 0);
        while (!started.load()) {
            std::this_thread::yield();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2 + round % 7));
        ASSERT_EQ(pthread_cancel(thread), 0);
        void* result = nullptr;
        ASSERT_EQ(pthread_join(thread, &result), 0);
        EXPECT_EQ(result, PTHREAD_CANCELED);
    }
    // And the tracker still samples and names sites on this thread (a block of 8 MiB is sampled
    // at any interval the suite runs at).
    std::vector<char> kept(8u << 20, 'x');
    escape(kept.data());
    EXPECT_FALSE(nd::live_allocation_sites(1).empty());
}

}  // namespace

#endif
