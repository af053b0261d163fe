// The C API (nebula_debug.h): from C++ here, and from C99 through c_api_check.c.
#include <nebula/debug/nebula_debug.h>
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "c_api_check.h"

namespace nd = nebula::debug;

namespace {

TEST(CApi, TrackingEnabledMatchesTheCppApi) {
    EXPECT_EQ(nebula_tracking_enabled(), nd::tracking_allocator_enabled() ? 1 : 0);
    EXPECT_EQ(nebula_malloc_tracked(), nd::malloc_family_tracked() ? 1 : 0);
}

TEST(CApi, PushedTagChargesThisThreadsAllocationsUntilPopped) {
    const nd::MemoryTag before = nd::current_memory_tag();
    const nebula_tag_scope scope = nebula_push_tag("capi.Chunks");
    auto block = std::make_unique<char[]>(1000);
    const nebula_allocator_stats during = nebula_stats("capi.Chunks");
    nebula_pop_tag(scope);
    EXPECT_EQ(nd::current_memory_tag(), before);
    if (!nd::tracking_allocator_enabled()) {
        EXPECT_EQ(during.allocated_bytes, 0u);
        return;
    }
    EXPECT_EQ(during.allocated_bytes, 1000u);
    EXPECT_EQ(during.allocation_count, 1u);
    block.reset();
    const nebula_allocator_stats after = nebula_stats("capi.Chunks");
    EXPECT_EQ(after.allocated_bytes, 0u);
    EXPECT_EQ(after.deallocation_count, 1u);
    EXPECT_EQ(after.peak_allocated_bytes, 1000u);
}

TEST(CApi, StatsMatchTheCppApi) {
    {
        nd::MemoryScope scope("capi.Same");
        auto block = std::make_unique<char[]>(64);
        const nebula_allocator_stats c = nebula_stats("capi.Same");
        const nd::AllocatorStats cpp = nd::allocator_stats("capi.Same");
        EXPECT_EQ(c.allocated_bytes, cpp.allocated_bytes);
        EXPECT_EQ(c.allocation_count, cpp.allocation_count);
    }
    const nebula_allocator_stats process = nebula_stats(nullptr);
    if (nd::tracking_allocator_enabled()) {
        EXPECT_GT(process.allocation_count, 0u);
    } else {
        EXPECT_EQ(process.allocation_count, 0u);
    }
}

TEST(CApi, UnknownTagReadsZerosWithoutRegisteringIt) {
    const nebula_allocator_stats stats = nebula_stats("capi.never used");
    EXPECT_EQ(stats.allocated_bytes, 0u);
    EXPECT_EQ(stats.allocation_count, 0u);
    nd::MemoryTag tag;
    EXPECT_FALSE(nd::find_memory_tag("capi.never used", tag));
}

TEST(CApi, NullTagIsUntagged) {
    const nebula_tag_scope outer = nebula_push_tag("capi.Outer");
    const nebula_tag_scope scope = nebula_push_tag(nullptr);
    EXPECT_EQ(nd::current_memory_tag(), nd::kUntagged);
    nebula_pop_tag(scope);
    if (nd::tracking_allocator_enabled()) {
        EXPECT_EQ(nd::memory_tag_name(nd::current_memory_tag()), "capi.Outer");
    }
    nebula_pop_tag(outer);
}

TEST(CApi, PoppingAScopeFromOutsideTheTagRangeFallsBackToUntagged) {
    const nd::MemoryTag before = nd::current_memory_tag();
    nebula_pop_tag(nebula_tag_scope{static_cast<std::uint16_t>(nd::kMaxMemoryTags + 5)});
    EXPECT_EQ(nd::current_memory_tag(), nd::kUntagged);
    nd::exchange_memory_tag(before);
}

TEST(CApi, FromC99MallocUnderATag) {
    const nebula_allocator_stats during = nebula_c_check_tagged_malloc("capi.FromC", 777);
    if (nd::tracking_allocator_enabled()) {  // compiled out, there are no tags to nest
        EXPECT_EQ(nebula_c_check_nested_tags("capi.A", "capi.B"), 1);
    }
    if (nd::malloc_family_tracked()) {
        EXPECT_EQ(during.allocated_bytes, 777u);
        EXPECT_EQ(nebula_stats("capi.FromC").allocated_bytes, 0u);
    } else {
        EXPECT_EQ(during.allocated_bytes, 0u);
    }
}

TEST(CApi, HeapProfileToABadPathOrNullFails) {
    EXPECT_EQ(nebula_write_heap_profile(nullptr), -1);
    EXPECT_EQ(nebula_write_heap_profile("/nonexistent-directory/heap.pb.gz"), -1);
}

TEST(CApi, HeapProfileWritten) {
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / "nebula_c_api_heap.pb.gz";
    std::filesystem::remove(path);
    const int result = nebula_write_heap_profile(path.string().c_str());
    if (nd::tracking_allocator_enabled()) {
        EXPECT_EQ(result, 0);
        EXPECT_GT(std::filesystem::file_size(path), 0u);
    } else {
        EXPECT_EQ(result, -1);
    }
    std::filesystem::remove(path);
}

}  // namespace
