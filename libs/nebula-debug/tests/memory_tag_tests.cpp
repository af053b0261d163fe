#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include "escape.hpp"

#include <cstdlib>
#include <memory>
#include <string>

namespace nd = nebula::debug;

TEST(MemoryTags, SameNameGivesSameTagAndNamesRoundTrip) {
    const nd::MemoryTag chunks = nd::memory_tag("test.tags-chunks");
    const nd::MemoryTag meshes = nd::memory_tag("test.tags-meshes");
    EXPECT_NE(chunks, meshes);
    EXPECT_NE(chunks, nd::kUntagged);
    EXPECT_EQ(nd::memory_tag("test.tags-chunks"), chunks);
    EXPECT_EQ(nd::memory_tag_name(chunks), "test.tags-chunks");
    EXPECT_EQ(nd::memory_tag_name(nd::kUntagged), nd::kUntaggedName);
    nd::MemoryTag found;
    EXPECT_TRUE(nd::find_memory_tag("test.tags-meshes", found));
    EXPECT_EQ(found, meshes);
    EXPECT_FALSE(nd::find_memory_tag("test.tags-never-registered", found));
}

TEST(MemoryTags, UnknownTagsReadZero) {
    const nd::AllocatorStats stats = nd::allocator_stats("test.tags-unknown");
    EXPECT_EQ(stats.allocated_bytes, 0u);
    EXPECT_EQ(stats.allocation_count, 0u);
    EXPECT_EQ(nd::allocator_stats(nd::MemoryTag{1000}).allocation_count, 0u);
    EXPECT_TRUE(nd::memory_tag_name(nd::MemoryTag{1000}).empty());
}

TEST(MemoryTags, LongNamesAreTruncated) {
    const std::string long_name(200, 'x');
    const nd::MemoryTag tag = nd::memory_tag(long_name);
    EXPECT_EQ(nd::memory_tag_name(tag).size(), nd::kMaxTagNameLength);
    EXPECT_EQ(nd::memory_tag(long_name.substr(0, nd::kMaxTagNameLength)), tag);
}

TEST(MemoryTagsDeathTest, TagsPastCapacityAreChargedToUntagged) {
    EXPECT_EXIT(
        {
            nd::MemoryTag last;
            for (std::size_t i = 0; i < nd::kMaxMemoryTags; ++i) {
                last = nd::memory_tag("test.capacity-" + std::to_string(i));
            }
            const bool overflowed = last == nd::kUntagged;
            const bool earlier_kept = nd::memory_tag("test.capacity-0") != nd::kUntagged;
            std::_Exit(overflowed && earlier_kept ? 0 : 1);
        },
        testing::ExitedWithCode(0), "");
}

#if NEBULA_MEMORY_TRACKING
TEST(MemoryTags, ScopeWithAnOutOfRangeTagChargesUntagged) {
    nd::MemoryScope scope(nd::MemoryTag{9999});
    EXPECT_EQ(nd::current_memory_tag(), nd::kUntagged);
}
#endif

TEST(ProcessMemory, ResidentMemoryGrowsWhenPagesAreTouched) {
    const std::size_t before = nd::process_resident_bytes();
    ASSERT_GT(before, 0u);
    constexpr std::size_t kBytes = 64 * 1024 * 1024;
    auto block = std::make_unique<char[]>(kBytes);
    for (std::size_t offset = 0; offset < kBytes; offset += 4096) {
        block[offset] = static_cast<char>(offset);
    }
    nebula::debug::testing::escape(block.get());
    EXPECT_GE(nd::process_resident_bytes(), before + kBytes / 2);
}
