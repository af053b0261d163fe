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
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <cerrno>
#endif

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
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

// NEBULA_EXPECT_ALLOCATOR names the allocator a CTest entry preloaded underneath (glibc when
// unset, outside the sanitizers, whose runtimes are no allocator the breakdown knows).
TEST(ResidentBreakdown, RecognisesTheAllocatorUnderneath) {
    const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
    std::cout << "heap allocator: " << breakdown.heap_recognition << "\n";
#if defined(__linux__)
    const char* expected = std::getenv("NEBULA_EXPECT_ALLOCATOR");
    if (expected == nullptr && (nd::testing::kAddressSanitizer || nd::testing::kThreadSanitizer)) {
        EXPECT_EQ(breakdown.heap_allocator, nd::HeapAllocator::unknown);
        return;
    }
    EXPECT_STREQ(nd::heap_allocator_name(breakdown.heap_allocator),
                 expected != nullptr ? expected : "glibc");
    EXPECT_EQ(
        std::string(breakdown.heap_recognition).rfind(expected != nullptr ? expected : "glibc", 0),
        0u)
        << breakdown.heap_recognition;
#else
    EXPECT_EQ(breakdown.heap_allocator, nd::HeapAllocator::unknown);
#endif
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
    const nd::HeapAllocator allocator = nd::resident_breakdown().heap_allocator;
    if (allocator == nd::HeapAllocator::jemalloc || allocator == nd::HeapAllocator::tcmalloc) {
        GTEST_SKIP() << nd::heap_allocator_name(allocator)
                     << "'s heap is partly known from its statistics, which count untouched "
                        "pages too: that excess comes out of unfenced anonymous mappings such as "
                        "this one (the fenced mapping's test holds)";
    }
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

// An allocator that names its mappings (PR_SET_VMA_ANON_NAME, Linux 5.17 with
// CONFIG_ANON_VMA_NAME) is read by the names, whichever allocator the process uses.
TEST_F(ResidentBreakdownDeltas, MappingsNamedByAnAllocatorAreHeap) {
    constexpr std::size_t kBytes = 16 * kMiB;
    void* named = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(named, MAP_FAILED);
    if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, named, kBytes, "mimalloc segment") != 0) {
        munmap(named, kBytes);
        GTEST_SKIP() << "the kernel does not name anonymous mappings (CONFIG_ANON_VMA_NAME)";
    }
    const nd::ResidentBreakdown before = nd::resident_breakdown();
    touch_pages(static_cast<volatile char*>(named), kBytes);
    const nd::ResidentBreakdown after = nd::resident_breakdown();
    munmap(named, kBytes);

    EXPECT_GREW_BY(after.heap_bytes, before.heap_bytes, kBytes);
    EXPECT_GREW_BY(after.other_anonymous_bytes, before.other_anonymous_bytes, 0);
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

// A thread that makes `depth` bytes of its stack resident, then waits: spinning (on a CPU, so
// only what the tracker recorded as the thread registered can place its stack) or blocked in a
// read (so /proc/self/task/TID/syscall gives its stack pointer).
struct StackProbe {
    std::size_t depth = 0;
    bool allocate_first = false;
    bool block = false;
    int pipe_fds[2] = {-1, -1};
    std::atomic<pid_t> tid{0};
    std::atomic<bool> touched{false};
    std::atomic<bool> release{false};
};

void* touch_stack_deep(void* argument) {
    auto* probe = static_cast<StackProbe*>(argument);
    if (probe->allocate_first) {
        int* first = new int(1);  // registers the thread with the tracker
        nd::testing::escape(first);
        delete first;
    }
    auto* deep = static_cast<volatile char*>(alloca(probe->depth));
    touch_pages(deep, probe->depth);
    probe->tid.store(static_cast<pid_t>(gettid()));
    probe->touched.store(true);
    if (probe->block) {
        char byte;
        while (read(probe->pipe_fds[0], &byte, 1) < 0 && errno == EINTR) {
        }
    } else {
        while (!probe->release.load(std::memory_order_relaxed)) {
        }
    }
    return nullptr;
}

// Whether the thread is asleep in the kernel ("S" or "D" in /proc/self/task/TID/stat).
bool blocked(pid_t tid) {
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    char text[512];
    const ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    const std::string stat(text, length > 0 ? static_cast<std::size_t>(length) : 0);
    const std::size_t state = stat.rfind(") ");
    return state != std::string::npos && state + 2 < stat.size() &&
           (stat[state + 2] == 'S' || stat[state + 2] == 'D');
}

// Runs the probe on a thread with a 16 MiB stack and returns the breakdowns before and after.
void probe_thread_stack(StackProbe& probe, nd::ResidentBreakdown& before,
                        nd::ResidentBreakdown& after) {
    if (probe.block) {
        ASSERT_EQ(pipe(probe.pipe_fds), 0);
    }
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    // A size no other thread of this process uses, so glibc cannot hand over a cached stack
    // whose pages an earlier thread made resident already.
    pthread_attr_setstacksize(&attributes, 16 * kMiB + (probe.block ? 3 : 5) * page_size());
    before = nd::resident_breakdown();
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, &attributes, touch_stack_deep, &probe), 0);
    pthread_attr_destroy(&attributes);
    while (!probe.touched.load()) {
        usleep(1000);
    }
    for (int i = 0; probe.block && i < 5000 && !blocked(probe.tid.load()); ++i) {
        usleep(1000);
    }
    after = nd::resident_breakdown();
    probe.release.store(true);
    if (probe.block) {
        EXPECT_EQ(write(probe.pipe_fds[1], "x", 1), 1);
    }
    pthread_join(thread, nullptr);
    if (probe.block) {
        close(probe.pipe_fds[0]);
        close(probe.pipe_fds[1]);
    }
}

TEST_F(ResidentBreakdownDeltas, StackOfAThreadThatAllocatedIsStackWhileItRuns) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "threads are recorded as they register with the tracking allocator";
    }
    constexpr std::size_t kDepth = 4 * kMiB;
    StackProbe probe;
    probe.depth = kDepth;
    probe.allocate_first = true;
    nd::ResidentBreakdown before;
    nd::ResidentBreakdown after;
    probe_thread_stack(probe, before, after);

    EXPECT_GREW_BY(after.stack_bytes, before.stack_bytes, kDepth);
    EXPECT_GREW_BY(after.other_anonymous_bytes, before.other_anonymous_bytes, 0);
}

TEST_F(ResidentBreakdownDeltas, StackOfABlockedThreadThatNeverAllocatedIsStack) {
    constexpr std::size_t kDepth = 4 * kMiB;
    StackProbe probe;
    probe.depth = kDepth;
    probe.block = true;
    nd::ResidentBreakdown before;
    nd::ResidentBreakdown after;
    probe_thread_stack(probe, before, after);

    EXPECT_GREW_BY(after.stack_bytes, before.stack_bytes, kDepth);
    EXPECT_GREW_BY(after.other_anonymous_bytes, before.other_anonymous_bytes, 0);
}

// How engines reserve an arena with guard pages: the shape of a thread stack (read-write above
// a PROT_NONE page) and of no C allocator's mapping, yet neither.
TEST_F(ResidentBreakdownDeltas, FencedMappingIsOtherAnonymousNotStackNorHeap) {
    constexpr std::size_t kBytes = 64 * kMiB;
    const nd::ResidentBreakdown before = nd::resident_breakdown();
    const std::size_t reserved = kBytes + 2 * page_size();
    void* reservation =
        mmap(nullptr, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ASSERT_NE(reservation, MAP_FAILED);
    char* arena = static_cast<char*>(reservation) + page_size();
    ASSERT_EQ(mprotect(arena, kBytes, PROT_READ | PROT_WRITE), 0);
    touch_pages(arena, kBytes);
    const nd::ResidentBreakdown after = nd::resident_breakdown();
    munmap(reservation, reserved);

    EXPECT_GREW_BY(after.other_anonymous_bytes, before.other_anonymous_bytes, kBytes);
    EXPECT_GREW_BY(after.stack_bytes, before.stack_bytes, 0);
    EXPECT_GREW_BY(after.heap_bytes, before.heap_bytes, 0);
    EXPECT_EQ(sum_of_categories(after), after.resident_bytes);
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

    // tcmalloc's and jemalloc's own bookkeeping for a block this size (tcmalloc's page map) is
    // known from their statistics only, estimated as a whole: a few MiB either way.
    const bool from_statistics = after.heap_allocator == nd::HeapAllocator::jemalloc ||
                                 after.heap_allocator == nd::HeapAllocator::tcmalloc;
    const double tolerance =
        static_cast<double>(slack()) + (from_statistics ? static_cast<double>(kBytes) / 64 : 0.0);
    EXPECT_NEAR(static_cast<double>(delta(after.heap_bytes, before.heap_bytes)),
                static_cast<double>(kBytes), tolerance);
    EXPECT_NEAR(
        static_cast<double>(delta(after.other_anonymous_bytes, before.other_anonymous_bytes)), 0.0,
        tolerance);
}

// tcmalloc keeps what earlier tests freed resident and hands it out again: new blocks would not
// make the heap grow. Its MallocExtension gives it back to the OS first.
void release_free_heap_memory() {
    using Release = void (*)();
    if (auto release =
            reinterpret_cast<Release>(dlsym(RTLD_DEFAULT, "MallocExtension_ReleaseFreeMemory"))) {
        release();
    }
}

// A thread's mallocs go to an arena of its own (glibc: 64 MiB-aligned heaps it maps for the
// thread; jemalloc, mimalloc and tcmalloc: their per-thread caches over shared memory), and are
// heap under every allocator the breakdown knows.
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
                      release_free_heap_memory();
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

    // jemalloc's and tcmalloc's statistics count each block's untouched tail page as resident
    // (64 KiB and the tracker's header take a 68 or 72 KiB run): up to 1 MiB over, out of other
    // anonymous memory. Elsewhere the mappings' own resident pages are counted: exact.
    const auto allocator = arena.after.heap_allocator;
    const bool from_statistics =
        allocator == nd::HeapAllocator::jemalloc || allocator == nd::HeapAllocator::tcmalloc;
    const double tolerance =
        static_cast<double>(slack()) + (from_statistics ? static_cast<double>(kBytes) / 8 : 0.0);
    EXPECT_NEAR(static_cast<double>(delta(arena.after.heap_bytes, arena.before.heap_bytes)),
                static_cast<double>(kBytes), tolerance);
    EXPECT_NEAR(static_cast<double>(
                    delta(arena.after.other_anonymous_bytes, arena.before.other_anonymous_bytes)),
                0.0, tolerance);
}

TEST(ResidentBreakdown, ReadsTheSameWithManyMappings) {
    // Hundreds of small mappings make /proc/self/smaps far longer than the reader's buffer.
    std::vector<void*> mappings;
    const std::size_t bytes = 2 * page_size();
    for (int i = 0; i < 401; ++i) {
        // Alternating protections keep the kernel from merging neighbours into one mapping;
        // fenced by PROT_NONE, the written ones stay other anonymous under every allocator (an
        // allocator's estimated heap may otherwise take unfenced anonymous memory).
        const int protection = i % 2 == 1 ? PROT_READ | PROT_WRITE : PROT_NONE;
        void* mapping = mmap(nullptr, bytes, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(mapping, MAP_FAILED);
        if (i % 2 == 1) {
            touch_pages(static_cast<volatile char*>(mapping), bytes);
        }
        mappings.push_back(mapping);
    }
    const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
    for (void* mapping : mappings) {
        munmap(mapping, bytes);
    }
    EXPECT_EQ(sum_of_categories(breakdown), breakdown.resident_bytes);
    // Most of the 200 written mappings: one that filled a hole between other mappings may not
    // be fenced, and an allocator known by its statistics may take it.
    EXPECT_GE(breakdown.other_anonymous_bytes, 180 * bytes);
}

#elif defined(_WIN32)

TEST(ResidentBreakdown, WindowsCountsTheWorkingSetAsOther) {
    const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
    EXPECT_GT(breakdown.resident_bytes, 0u);
    EXPECT_EQ(breakdown.other_bytes, breakdown.resident_bytes);
}

#endif

}  // namespace
