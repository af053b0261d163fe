// The tracker's own memory (its tags kTrackerTagName and kTrackerSymbolsTagName) is tracking
// overhead: never in the program's totals and peak, its sites or its snapshots' tags.
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <thread>

#include "escape.hpp"

namespace nd = nebula::debug;
using nebula::debug::testing::escape;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

TEST(TrackerMemory, OnlyTheTrackersTagsAreItsOwn) {
    EXPECT_TRUE(nd::is_tracker_tag(nd::memory_tag(nd::kTrackerTagName)));
    EXPECT_TRUE(nd::is_tracker_tag(nd::memory_tag(nd::kTrackerSymbolsTagName)));
    EXPECT_FALSE(nd::is_tracker_tag(nd::kUntagged));
    EXPECT_FALSE(nd::is_tracker_tag(nd::memory_tag("TrackerMemory.Meshes")));
    EXPECT_FALSE(nd::is_tracker_tag(nd::memory_tag("nebula-debug symbols 2")));
    EXPECT_FALSE(nd::is_tracker_tag(nd::MemoryTag{60000}));
}

TEST(TrackerMemory, IsOverheadNotTheProgramsTotalsOrPeak) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    for (const std::string_view tag : {nd::kTrackerTagName, nd::kTrackerSymbolsTagName}) {
        nd::reset_allocator_peak();
        const nd::AllocatorStats before = nd::allocator_stats();
        const std::size_t overhead_before = nd::tracking_overhead_bytes();
        std::unique_ptr<char[]> own;
        {
            const nd::MemoryScope scope(tag);
            own.reset(new char[4 * kMiB]);
        }
        std::memset(own.get(), 1, 4 * kMiB);
        escape(own.get());
        const nd::AllocatorStats during = nd::allocator_stats();
        EXPECT_EQ(during.allocated_bytes, before.allocated_bytes) << tag;
        EXPECT_EQ(during.live_allocations(), before.live_allocations()) << tag;
        EXPECT_LT(during.peak_allocated_bytes, before.allocated_bytes + kMiB) << tag;
        EXPECT_GE(nd::tracking_overhead_bytes(), overhead_before + 4 * kMiB) << tag;
        EXPECT_GE(nd::allocator_stats(tag).allocated_bytes, 4 * kMiB) << tag;
        own.reset();
        EXPECT_EQ(nd::allocator_stats().allocated_bytes, before.allocated_bytes) << tag;
        EXPECT_LT(nd::tracking_overhead_bytes(), overhead_before + kMiB) << tag;
    }
}

// A thread that exits folds its counts into the shared totals: the tracker's stay apart there too.
TEST(TrackerMemory, StaysApartWhenItsThreadExits) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    nd::reset_allocator_peak();
    const nd::AllocatorStats before = nd::allocator_stats();
    char* kept = nullptr;
    std::thread([&] {
        const nd::MemoryScope scope(nd::kTrackerSymbolsTagName);
        kept = new char[2 * kMiB];
        std::memset(kept, 1, 2 * kMiB);
    }).join();
    // (Starting a thread allocates a little of the program's own: the C library's thread state.)
    const nd::AllocatorStats after = nd::allocator_stats();
    EXPECT_LT(after.allocated_bytes, before.allocated_bytes + kMiB);
    EXPECT_LT(after.peak_allocated_bytes, before.allocated_bytes + kMiB);
    EXPECT_GE(nd::allocator_stats(nd::kTrackerSymbolsTagName).allocated_bytes, 2 * kMiB);
    delete[] kept;
}

TEST(TrackerMemory, IsNeitherASiteNorASnapshotTag) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    const std::size_t interval = nd::sampling_interval();
    nd::set_sampling_interval(4096);
    std::unique_ptr<char[]> own;
    std::unique_ptr<char[]> program;
    {
        const nd::MemoryScope scope(nd::kTrackerSymbolsTagName);
        own.reset(new char[kMiB]);
    }
    {
        const nd::MemoryScope scope("TrackerMemory.Program");
        program.reset(new char[kMiB]);
    }
    escape(own.get());
    escape(program.get());
    bool program_site = false;
    for (const nd::AllocationSite& site : nd::live_allocation_sites(1000)) {
        EXPECT_NE(site.tag, nd::kTrackerSymbolsTagName);
        EXPECT_NE(site.tag, nd::kTrackerTagName);
        program_site |= site.tag == "TrackerMemory.Program";
    }
    EXPECT_TRUE(program_site);
    // Asked for by name, the tracker's own sites are there.
    EXPECT_FALSE(nd::live_allocation_sites(nd::kTrackerSymbolsTagName, 1000).empty());
    const nd::MemoryBudget budget;
    const std::string snapshot = nd::memory_snapshot_json(budget);
    EXPECT_EQ(snapshot.find("\"nebula-debug\""), std::string::npos) << snapshot;
    EXPECT_EQ(snapshot.find("\"nebula-debug symbols\""), std::string::npos) << snapshot;
    EXPECT_NE(snapshot.find("\"TrackerMemory.Program\""), std::string::npos);
    nd::set_sampling_interval(interval);
}

}  // namespace
