// resident_breakdown(): the categories add up, and memory of each kind lands in its category.
// Each test reads the breakdown, makes memory of one kind resident, reads again and compares.
// Between the two reads the rest of the process may touch a few pages of its own (the test's
// stack, gtest's bookkeeping), so deltas are compared within kSlackPages pages.
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include "escape.hpp"
#include "sampling_paused.hpp"
#include "sanitizers.hpp"

#if defined(__linux__)
#include <alloca.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace nd = nebula::debug;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::size_t sum_of_categories(const nd::ResidentBreakdown& b) {
    return b.heap_bytes + b.code_bytes + b.file_bytes + b.stack_bytes + b.gpu_bytes +
           b.other_anonymous_bytes + b.other_bytes;
}

TEST(ResidentBreakdown, CategoriesAddUpToResidentExactly) {
    for (int i = 0; i < 3; ++i) {
        const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
        ASSERT_GT(breakdown.resident_bytes, 0u);
        EXPECT_EQ(sum_of_categories(breakdown), breakdown.resident_bytes);
    }
}

TEST(ResidentBreakdown, ACallAllocatesNothing) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "allocations are counted by the tracking allocator";
    }
    nd::resident_breakdown();  // anything a first call might set up, once
    const std::size_t before = nd::allocator_stats().allocation_count;
    for (int i = 0; i < 5; ++i) {
        nd::resident_breakdown();
    }
    EXPECT_EQ(nd::allocator_stats().allocation_count, before);
}

#if defined(__linux__)

// Pages the rest of the process may make resident or release between two reads.
constexpr std::size_t kSlackPages = 64;

std::size_t page_size() {
    return static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t slack() {
    return kSlackPages * page_size();
}

void touch_pages(volatile char* memory, std::size_t bytes) {
    for (std::size_t offset = 0; offset < bytes; offset += page_size()) {
        memory[offset] = 1;
    }
}

std::int64_t delta(std::size_t after, std::size_t before) {
    return static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before);
}

// EXPECT that `after - before` is `expected` give or take the slack.
#define EXPECT_GREW_BY(after, before, expected)                                           \
    EXPECT_NEAR(static_cast<double>(delta(after, before)), static_cast<double>(expected), \
                static_cast<double>(slack()))

TEST(ResidentBreakdown, CodeIsTheProgramsAndLibrariesExecutableMappings) {
    const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
    EXPECT_GT(breakdown.code_bytes, 0u);
    EXPECT_GT(breakdown.file_bytes, 0u);   // the libraries' read-only data at least
    EXPECT_GT(breakdown.stack_bytes, 0u);  // the main thread's [stack]
}

// Tests that read how one category grows with what the test maps and writes.
class ResidentBreakdownDeltas : public ::testing::Test {
protected:
    void SetUp() override {
        if (nd::testing::kThreadSanitizer) {
            GTEST_SKIP() << "ThreadSanitizer maps shadow memory for the test's own mappings and "
                            "writes: the categories' deltas are not the test's alone";
        }
    }
};

TEST_F(ResidentBreakdownDeltas, TouchedAnonymousMappingIsOtherAnonymous) {
    constexpr std::size_t kBytes = 64 * kMiB;
    const nd::ResidentBreakdown before = nd::resident_breakdown();
    void* mapping =
        mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mapping, MAP_FAILED);
    touch_pages(static_cast<volatile char*>(mapping), kBytes);
    const nd::ResidentBreakdown after = nd::resident_breakdown();
    munmap(mapping, kBytes);

    EXPECT_GREW_BY(after.other_anonymous_bytes, before.other_anonymous_bytes, kBytes);
    EXPECT_GREW_BY(after.resident_bytes, before.resident_bytes, kBytes);
    EXPECT_GREW_BY(after.heap_bytes, before.heap_bytes, 0);
    EXPECT_EQ(sum_of_categories(after), after.resident_bytes);
}

TEST_F(ResidentBreakdownDeltas, FileMappingReadThroughIsFile) {
    constexpr std::size_t kBytes = 8 * kMiB;
    const char* directory = std::getenv("TMPDIR");
    std::string path =
        std::string(directory != nullptr ? directory : "/tmp") + "/nebula-resident-XXXXXX";
    const int fd = mkstemp(path.data());
    ASSERT_GE(fd, 0) << path;
    unlink(path.c_str());
    const std::vector<char> chunk(kMiB, 'x');
    for (std::size_t written = 0; written < kBytes; written += chunk.size()) {
        ASSERT_EQ(write(fd, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
    }

    const nd::ResidentBreakdown before = nd::resident_breakdown();
    void* mapping = mmap(nullptr, kBytes, PROT_READ, MAP_SHARED, fd, 0);
    ASSERT_NE(mapping, MAP_FAILED);
    const auto* bytes = static_cast<const volatile char*>(mapping);
    int sum = 0;
    for (std::size_t offset = 0; offset < kBytes; offset += page_size()) {
        sum += bytes[offset];
    }
    const nd::ResidentBreakdown after = nd::resident_breakdown();
    munmap(mapping, kBytes);
    close(fd);

    EXPECT_EQ(sum, static_cast<int>('x' * (kBytes / page_size())));
    EXPECT_GREW_BY(after.file_bytes, before.file_bytes, kBytes);
    EXPECT_GREW_BY(after.other_anonymous_bytes, before.other_anonymous_bytes, 0);
}

struct StackProbe {
    std::size_t depth = 0;
    std::atomic<bool> touched{false};
    std::atomic<bool> release{false};
};

void* touch_stack_deep(void* argument) {
    auto* probe = static_cast<StackProbe*>(argument);
    auto* deep = static_cast<volatile char*>(alloca(probe->depth));
    touch_pages(deep, probe->depth);
    probe->touched.store(true);
    while (!probe->release.load()) {
        usleep(1000);
    }
    return nullptr;
}

TEST_F(ResidentBreakdownDeltas, ThreadStackTouchedDeepIsStack) {
    constexpr std::size_t kDepth = 4 * kMiB;
    StackProbe probe;
    probe.depth = kDepth;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    // A size no other thread of this process uses, so glibc cannot hand over a cached stack
    // whose pages an earlier thread made resident already.
    pthread_attr_setstacksize(&attributes, 16 * kMiB + 3 * page_size());

    const nd::ResidentBreakdown before = nd::resident_breakdown();
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, &attributes, touch_stack_deep, &probe), 0);
    pthread_attr_destroy(&attributes);
    while (!probe.touched.load()) {
        usleep(1000);
    }
    const nd::ResidentBreakdown after = nd::resident_breakdown();
    probe.release.store(true);
    pthread_join(thread, nullptr);

    EXPECT_GREW_BY(after.stack_bytes, before.stack_bytes, kDepth);
    EXPECT_GREW_BY(after.other_anonymous_bytes, before.other_anonymous_bytes, 0);
}

TEST(ResidentBreakdown, LargeMallocTouchedIsHeapNotOtherAnonymous) {
    if (nd::testing::kAddressSanitizer || nd::testing::kThreadSanitizer) {
        GTEST_SKIP() << "the sanitizer's malloc is not glibc's: its memory is other anonymous";
    }
    // Past glibc's largest mmap threshold (32 MiB): glibc maps the block on its own.
    constexpr std::size_t kBytes = 256 * kMiB;
    const nd::ResidentBreakdown before = nd::resident_breakdown();
    char* block = static_cast<char*>(std::malloc(kBytes));
    ASSERT_NE(block, nullptr);
    nd::testing::escape(block);
    touch_pages(block, kBytes);
    const nd::ResidentBreakdown after = nd::resident_breakdown();
    std::free(block);

    EXPECT_GREW_BY(after.heap_bytes, before.heap_bytes, kBytes);
    EXPECT_GREW_BY(after.other_anonymous_bytes, before.other_anonymous_bytes, 0);
}

// A thread's mallocs go to an arena of its own: 64 MiB-aligned heaps glibc maps for it.
TEST(ResidentBreakdown, AThreadsMallocArenaIsHeap) {
    if (nd::testing::kAddressSanitizer || nd::testing::kThreadSanitizer) {
        GTEST_SKIP() << "the sanitizer's malloc is not glibc's: its memory is other anonymous";
    }
    constexpr std::size_t kBlockBytes = 64 * 1024;  // under glibc's mmap threshold (128 KiB)
    constexpr std::size_t kBytes = 16 * kMiB;
    // The thread's first sample would map the unwinder's per-thread cache (other anonymous).
    const SamplingPaused sampling_paused;
    struct Arena {
        std::vector<void*> blocks;
        nd::ResidentBreakdown before;
        nd::ResidentBreakdown after;
    } arena;
    arena.blocks.reserve(kBytes / kBlockBytes);
    pthread_t thread;
    ASSERT_EQ(pthread_create(
                  &thread, nullptr,
                  [](void* argument) -> void* {
                      auto* state = static_cast<Arena*>(argument);
                      std::free(std::malloc(16));  // this thread's arena, before measuring
                      state->before = nd::resident_breakdown();
                      for (std::size_t i = 0; i < kBytes / kBlockBytes; ++i) {
                          char* block = static_cast<char*>(std::malloc(kBlockBytes));
                          touch_pages(block, kBlockBytes);
                          state->blocks.push_back(block);
                      }
                      state->after = nd::resident_breakdown();
                      return nullptr;
                  },
                  &arena),
              0);
    pthread_join(thread, nullptr);
    for (void* block : arena.blocks) {
        std::free(block);
    }

    EXPECT_GREW_BY(arena.after.heap_bytes, arena.before.heap_bytes, kBytes);
    EXPECT_GREW_BY(arena.after.other_anonymous_bytes, arena.before.other_anonymous_bytes, 0);
}

TEST(ResidentBreakdown, ReadsTheSameWithManyMappings) {
    // Hundreds of small mappings make /proc/self/smaps far longer than the reader's buffer.
    std::vector<void*> mappings;
    const std::size_t bytes = 2 * page_size();
    for (int i = 0; i < 400; ++i) {
        // Alternating protections keep the kernel from merging neighbours into one mapping.
        const int protection = i % 2 == 0 ? PROT_READ | PROT_WRITE : PROT_READ;
        void* mapping = mmap(nullptr, bytes, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(mapping, MAP_FAILED);
        if (i % 2 == 0) {
            touch_pages(static_cast<volatile char*>(mapping), bytes);
        }
        mappings.push_back(mapping);
    }
    const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
    for (void* mapping : mappings) {
        munmap(mapping, bytes);
    }
    EXPECT_EQ(sum_of_categories(breakdown), breakdown.resident_bytes);
    EXPECT_GE(breakdown.other_anonymous_bytes, 200 * bytes);
}

#elif defined(_WIN32)

TEST(ResidentBreakdown, WindowsCountsTheWorkingSetAsOther) {
    const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
    EXPECT_GT(breakdown.resident_bytes, 0u);
    EXPECT_EQ(breakdown.other_bytes, breakdown.resident_bytes);
}

#endif

}  // namespace
