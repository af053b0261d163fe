// The tracking allocator seen from one thread: every allocation form, exact byte counts,
// alignment, failure paths, static initialisation and destruction.
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include "escape.hpp"
#include "sampling_paused.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <thread>
#include <vector>

namespace nd = nebula::debug;
using nebula::debug::testing::escape;

namespace {

// Allocated before main, under a tag: static initialisation is tracked.
constexpr std::size_t kStaticInitBytes = 3000;
char* const g_static_init_block = [] {
    nd::MemoryScope scope("test.static-init");
    return new char[kStaticInitBytes];
}();

// Deltas of one tag's counters across a piece of code; a fresh tag per test isolates it from
// whatever GoogleTest allocates meanwhile.
struct TagDelta {
    nd::AllocatorStats before;
    nd::MemoryTag tag;

    explicit TagDelta(std::string_view name) : tag(nd::memory_tag(name)) {
        before = nd::allocator_stats(tag);
    }
    std::int64_t bytes() const {
        return static_cast<std::int64_t>(nd::allocator_stats(tag).allocated_bytes) -
               static_cast<std::int64_t>(before.allocated_bytes);
    }
    std::size_t allocations() const {
        return nd::allocator_stats(tag).allocation_count - before.allocation_count;
    }
    std::size_t deallocations() const {
        return nd::allocator_stats(tag).deallocation_count - before.deallocation_count;
    }
};

bool is_aligned(const void* block, std::size_t alignment) {
    return reinterpret_cast<std::uintptr_t>(block) % alignment == 0;
}

}  // namespace

#if NEBULA_MEMORY_TRACKING

namespace {
// A size no allocator can satisfy, hidden from the optimiser so the call really happens.
std::size_t impossible_size() {
    volatile std::size_t size = std::numeric_limits<std::size_t>::max();
    return size;
}

}  // namespace

TEST(TrackingAllocator, IsEnabledWhenCompiledIn) {
    EXPECT_TRUE(nd::tracking_allocator_enabled());
}

TEST(TrackingAllocator, NewCharArrayCountsExactlyTheRequestedBytes) {
    const nd::AllocatorStats before = nd::allocator_stats();
    char* block = new char[1024];
    escape(block);
    const nd::AllocatorStats during = nd::allocator_stats();
    delete[] block;
    const nd::AllocatorStats after = nd::allocator_stats();

    EXPECT_EQ(during.allocated_bytes - before.allocated_bytes, 1024u);
    EXPECT_EQ(during.allocation_count - before.allocation_count, 1u);
    EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
    EXPECT_EQ(after.deallocation_count - before.deallocation_count, 1u);
}

TEST(TrackingAllocator, EveryAllocationFormIsCountedAndReleased) {
    TagDelta delta("test.forms");
    nd::MemoryScope scope(delta.tag);
    struct alignas(64) CacheLine {
        char bytes[64];
    };
    struct alignas(4096) Page {
        char bytes[4096];
    };

    int* single = new int(7);
    int* array = new int[10];
    int* nothrow_single = new (std::nothrow) int(3);
    int* nothrow_array = new (std::nothrow) int[5];
    auto* line = new CacheLine;
    auto* lines = new CacheLine[3];
    auto* page = new Page;
    auto* nothrow_line = new (std::nothrow) CacheLine;
    auto* nothrow_lines = new (std::nothrow) CacheLine[2];
    void* raw = ::operator new(100);
    void* raw_aligned = ::operator new (100, std::align_val_t{256});
    void* raw_aligned_nothrow = ::operator new[](40, std::align_val_t{128}, std::nothrow);
    for (void* block :
         {static_cast<void*>(single), static_cast<void*>(array), static_cast<void*>(nothrow_single),
          static_cast<void*>(nothrow_array), static_cast<void*>(line), static_cast<void*>(lines),
          static_cast<void*>(page), static_cast<void*>(nothrow_line),
          static_cast<void*>(nothrow_lines), raw, raw_aligned, raw_aligned_nothrow}) {
        escape(block);
    }

    const std::size_t expected_bytes = sizeof(int) + 10 * sizeof(int) + sizeof(int) +
                                       5 * sizeof(int) + 64 + 3 * 64 + 4096 + 64 + 2 * 64 + 100 +
                                       100 + 40;
    EXPECT_EQ(delta.bytes(), static_cast<std::int64_t>(expected_bytes));
    EXPECT_EQ(delta.allocations(), 12u);
    EXPECT_TRUE(is_aligned(line, 64));
    EXPECT_TRUE(is_aligned(lines, 64));
    EXPECT_TRUE(is_aligned(page, 4096));
    EXPECT_TRUE(is_aligned(nothrow_line, 64));
    EXPECT_TRUE(is_aligned(raw_aligned, 256));
    EXPECT_TRUE(is_aligned(raw_aligned_nothrow, 128));
    EXPECT_TRUE(is_aligned(single, __STDCPP_DEFAULT_NEW_ALIGNMENT__));
    EXPECT_TRUE(is_aligned(raw, __STDCPP_DEFAULT_NEW_ALIGNMENT__));
    EXPECT_EQ(*single, 7);

    delete single;  // sized delete
    delete[] array;
    ::operator delete(nothrow_single, std::nothrow);
    ::operator delete[](nothrow_array, std::nothrow);
    delete line;  // sized, aligned delete
    delete[] lines;
    delete page;
    ::operator delete (nothrow_line, std::align_val_t{64}, std::nothrow);
    ::operator delete[](nothrow_lines, std::align_val_t{64}, std::nothrow);
    ::operator delete(raw, 100);
    ::operator delete (raw_aligned, 100, std::align_val_t{256});
    ::operator delete[](raw_aligned_nothrow, std::align_val_t{128});

    EXPECT_EQ(delta.bytes(), 0);
    EXPECT_EQ(delta.deallocations(), 12u);
}

TEST(TrackingAllocator, ZeroSizedAllocationsAreDistinctAndCounted) {
    TagDelta delta("test.zero-size");
    nd::MemoryScope scope(delta.tag);
    void* first = ::operator new(0);
    void* second = ::operator new(0);
    escape(first);
    escape(second);
    EXPECT_NE(first, nullptr);
    EXPECT_NE(first, second);
    EXPECT_EQ(delta.allocations(), 2u);
    EXPECT_EQ(delta.bytes(), 0);
    ::operator delete(first);
    ::operator delete(second);
    EXPECT_EQ(delta.deallocations(), 2u);
}

TEST(TrackingAllocator, FailedNewThrowsBadAllocAndCountsNothing) {
    const nd::AllocatorStats before = nd::allocator_stats();
    EXPECT_THROW((void)::operator new(impossible_size()), std::bad_alloc);
    EXPECT_THROW((void)::operator new[](impossible_size() - 8), std::bad_alloc);
    EXPECT_THROW((void)::operator new (impossible_size(), std::align_val_t{64}), std::bad_alloc);
    EXPECT_THROW((void)::operator new (impossible_size() - 100, std::align_val_t{4096}),
                 std::bad_alloc);
    // Throwing allocates the exception object (through malloc, counted when the C family is) and
    // frees it when caught: bytes and live blocks come back exactly, a failed new added nothing.
    const nd::AllocatorStats after = nd::allocator_stats();
    EXPECT_EQ(after.live_allocations(), before.live_allocations());
    EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
    if (!nd::malloc_family_tracked()) {
        EXPECT_EQ(after.allocation_count, before.allocation_count);
    }
}

TEST(TrackingAllocator, FailedNothrowNewReturnsNullAndCountsNothing) {
    const nd::AllocatorStats before = nd::allocator_stats();
    EXPECT_EQ(::operator new(impossible_size(), std::nothrow), nullptr);
    EXPECT_EQ(::operator new[](impossible_size() - 15, std::nothrow), nullptr);
    EXPECT_EQ(::operator new (impossible_size(), std::align_val_t{128}, std::nothrow), nullptr);
    EXPECT_EQ(nd::tracked_malloc(impossible_size()), nullptr);
    EXPECT_EQ(nd::tracked_aligned_malloc(impossible_size() - 64, 64, nd::kUntagged), nullptr);
    // Throwing allocates the exception object (through malloc, counted when the C family is) and
    // frees it when caught: bytes and live blocks come back exactly, a failed new added nothing.
    const nd::AllocatorStats after = nd::allocator_stats();
    EXPECT_EQ(after.live_allocations(), before.live_allocations());
    EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
    if (!nd::malloc_family_tracked()) {
        EXPECT_EQ(after.allocation_count, before.allocation_count);
    }
}

namespace {
int g_new_handler_calls = 0;
void new_handler_that_gives_up() {
    ++g_new_handler_calls;
    std::set_new_handler(nullptr);
}
}  // namespace

TEST(TrackingAllocator, FailedNewCallsTheNewHandlerBeforeThrowing) {
    g_new_handler_calls = 0;
    std::set_new_handler(new_handler_that_gives_up);
    EXPECT_THROW((void)::operator new(impossible_size()), std::bad_alloc);
    EXPECT_EQ(g_new_handler_calls, 1);
    EXPECT_EQ(std::get_new_handler(), nullptr);
}

TEST(TrackingAllocator, TrackedMallocRejectsAlignmentsThatAreNotPowersOfTwo) {
    EXPECT_EQ(nd::tracked_aligned_malloc(64, 48, nd::kUntagged), nullptr);
    void* block = nd::tracked_aligned_malloc(64, 8192, nd::kUntagged);
    EXPECT_TRUE(is_aligned(block, 8192));
    nd::tracked_free(block);
    nd::tracked_free(nullptr);
}

TEST(TrackingAllocator, TrackedAlignedMallocChargesTheGivenTagWhateverTheScope) {
    TagDelta physics("test.hook-physics");
    TagDelta scoped("test.hook-scope");
    nd::MemoryScope scope(scoped.tag);
    void* block = nd::tracked_aligned_malloc(300, 16, physics.tag);
    void* aligned = nd::tracked_aligned_malloc(200, 64, physics.tag);
    EXPECT_EQ(physics.bytes(), 500);
    EXPECT_EQ(scoped.bytes(), 0);
    nd::tracked_free(block);
    nd::tracked_free(aligned);
    EXPECT_EQ(physics.bytes(), 0);
    EXPECT_EQ(physics.deallocations(), 2u);
}

TEST(TrackingAllocator, TaggedAllocatorChargesContainerMemoryToItsTag) {
    TagDelta delta("test.container");
    TagDelta scoped("test.container-scope");
    {
        nd::MemoryScope scope(scoped.tag);
        std::vector<std::uint64_t, nd::TaggedAllocator<std::uint64_t>> values(
            nd::TaggedAllocator<std::uint64_t>(delta.tag));
        values.reserve(1000);
        EXPECT_EQ(delta.bytes(), static_cast<std::int64_t>(1000 * sizeof(std::uint64_t)));
        EXPECT_EQ(scoped.bytes(), 0);
    }
    EXPECT_EQ(delta.bytes(), 0);
    EXPECT_EQ(delta.allocations(), 1u);
}

TEST(TrackingAllocator, PeakFollowsTheHighestValueAndResetsToCurrent) {
    TagDelta delta("test.peak");
    nd::MemoryScope scope(delta.tag);
    constexpr std::size_t kBig = 8 * 1024 * 1024;
    auto big = std::make_unique<char[]>(kBig);
    escape(big.get());
    big.reset();
    // Nothing read the counters while the block lived: the peak comes from publishing alone.
    const nd::AllocatorStats after_free = nd::allocator_stats(delta.tag);
    EXPECT_EQ(after_free.allocated_bytes, 0u);
    EXPECT_GE(after_free.peak_allocated_bytes, kBig - nd::kPeakSlackBytes);
    EXPECT_LE(after_free.peak_allocated_bytes, kBig);

    nd::reset_allocator_peak();
    EXPECT_EQ(nd::allocator_stats(delta.tag).peak_allocated_bytes, 0u);
    const nd::AllocatorStats process = nd::allocator_stats();
    EXPECT_GE(process.peak_allocated_bytes, process.allocated_bytes);

    auto small = std::make_unique<char[]>(1000);
    escape(small.get());
    const nd::AllocatorStats with_small = nd::allocator_stats(delta.tag);
    EXPECT_EQ(with_small.allocated_bytes, 1000u);
    EXPECT_EQ(with_small.peak_allocated_bytes, 1000u);  // a read lifts the peak to current
}

namespace {
// Allocates `blocks` blocks of kLonePeakBlockBytes, holds them all, frees them all.
constexpr std::size_t kLonePeakBlockBytes = 1000;
constexpr std::size_t kLonePeakMaxBlocks = 40;
void hold_and_free(std::size_t blocks) {
    std::array<std::unique_ptr<char[]>, kLonePeakMaxBlocks> held;  // on the stack: not counted
    for (std::size_t i = 0; i < blocks; ++i) {
        held[i] = std::make_unique<char[]>(kLonePeakBlockBytes);
        escape(held[i].get());
    }
}
}  // namespace

// Below kPeakSlackBytes a thread publishes nothing, yet alone under its tag its peak is exact:
// while it lives (a reader folds it in), after it publishes a shrink, and as it exits.
TEST(TrackingAllocator, ALoneThreadsPeakIsExactBetweenPublishes) {
    const nd::MemoryTag tag = nd::memory_tag("test.lone-peak");
    constexpr std::size_t kBlocks = kLonePeakMaxBlocks;
    static_assert(kBlocks * kLonePeakBlockBytes <
                  nd::kPeakSlackBytes);  // a fresh thread starts at 0
    constexpr std::size_t kBig = 4 * nd::kPeakSlackBytes;
    std::atomic<int> phase{0};
    const auto wait_for = [&phase](int wanted) {
        while (phase.load() != wanted) {
            std::this_thread::yield();
        }
    };
    std::thread worker([&] {
        nd::MemoryScope scope(tag);
        hold_and_free(kBlocks);
        phase = 1;
        wait_for(2);
        auto big = std::make_unique<char[]>(kBig);  // published on the way up and on the way down
        escape(big.get());
        big.reset();
        hold_and_free(kBlocks / 2);
    });
    wait_for(1);
    const nd::AllocatorStats live = nd::allocator_stats(tag);
    EXPECT_EQ(live.allocated_bytes, 0u);
    EXPECT_EQ(live.peak_allocated_bytes, kBlocks * kLonePeakBlockBytes);
    nd::reset_allocator_peak();
    EXPECT_EQ(nd::allocator_stats(tag).peak_allocated_bytes, 0u);
    phase = 2;
    worker.join();
    EXPECT_EQ(nd::allocator_stats(tag).peak_allocated_bytes, kBig);

    const nd::MemoryTag exiting_tag = nd::memory_tag("test.lone-peak-exit");
    std::thread exiting([&] {
        nd::MemoryScope scope(exiting_tag);
        hold_and_free(kBlocks / 4);
    });
    exiting.join();
    const nd::AllocatorStats exited = nd::allocator_stats(exiting_tag);
    EXPECT_EQ(exited.allocated_bytes, 0u);
    EXPECT_EQ(exited.peak_allocated_bytes, kBlocks / 4 * kLonePeakBlockBytes);
}

TEST(TrackingAllocator, StaticInitialisationIsTracked) {
    const nd::AllocatorStats stats = nd::allocator_stats("test.static-init");
    EXPECT_EQ(stats.allocated_bytes, kStaticInitBytes);
    EXPECT_EQ(stats.live_allocations(), 1u);
    EXPECT_NE(g_static_init_block, nullptr);
}

namespace {
// Frees during static destruction and checks the counters saw it; exits 3 if they did not.
struct FreedAtStaticDestruction {
    nd::MemoryTag tag = nd::memory_tag("test.static-destruction");
    char* block = nullptr;
    ~FreedAtStaticDestruction() {
        delete[] block;
        const bool freed = nd::allocator_stats(tag).allocated_bytes == 0;
        std::vector<int> scratch(100);  // allocating there must work as well
        if (!freed || nd::allocator_stats().allocated_bytes < scratch.size() * sizeof(int)) {
            std::_Exit(3);
        }
    }
};
}  // namespace

TEST(TrackingAllocatorDeathTest, StaticDestructionIsTracked) {
    EXPECT_EXIT(
        {
            static FreedAtStaticDestruction holder;
            nd::MemoryScope scope(holder.tag);
            holder.block = new char[4096];
            escape(holder.block);
            if (nd::allocator_stats(holder.tag).allocated_bytes != 4096) {
                std::_Exit(2);
            }
            std::exit(0);
        },
        testing::ExitedWithCode(0), "");
}

TEST(TrackingAllocator, OverheadIsOneHeaderPerLiveAllocation) {
    const SamplingPaused sampling_paused;
    // Blocks taken from this thread's cache would lower the overhead they are counted in.
    nd::release_cached_blocks();
    const std::size_t before = nd::tracking_overhead_bytes();
    std::vector<std::unique_ptr<int>> blocks;
    blocks.reserve(100);
    const std::size_t with_vector = nd::tracking_overhead_bytes();
    for (int i = 0; i < 100; ++i) {
        blocks.push_back(std::make_unique<int>(i));
    }
    EXPECT_EQ(nd::tracking_overhead_bytes() - with_vector, 100 * nd::kBlockHeaderBytes);
    EXPECT_GT(with_vector, before);
}

#else

TEST(TrackingAllocator, CompiledOutReadsZeroAndStillAllocates) {
    EXPECT_FALSE(nd::tracking_allocator_enabled());
    auto block = std::make_unique<char[]>(1024);
    const nd::AllocatorStats stats = nd::allocator_stats();
    EXPECT_EQ(stats.allocated_bytes, 0u);
    EXPECT_EQ(stats.allocation_count, 0u);
    EXPECT_EQ(nd::allocator_stats("Chunks").allocated_bytes, 0u);
    EXPECT_EQ(nd::tracking_overhead_bytes(), 0u);
    void* aligned = nd::tracked_aligned_malloc(100, 256, nd::kUntagged);
    EXPECT_TRUE(is_aligned(aligned, 256));
    nd::tracked_free(aligned);
    EXPECT_NE(g_static_init_block, nullptr);
}

#endif
