// The header's check word: a double free, a free of a pointer the tracker never handed out and a
// header overwritten by a buffer underflow stop the program at the free, with a message naming the
// block, instead of corrupting the block cache (a block handed out twice) or the counters.
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include "escape.hpp"
#include "sanitizers.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace nd = nebula::debug;
using nebula::debug::testing::escape;
using nebula::debug::testing::opaque;

#if NEBULA_MEMORY_TRACKING

namespace {

// Under AddressSanitizer some of these frees are reported by ASan itself (reading the header of a
// malloc block touches its redzone), and under either sanitizer reading the header of a block the
// C allocator already took back is a use after free: any report that stops the program passes
// there.
using nebula::debug::testing::kAddressSanitizer;
using nebula::debug::testing::kThreadSanitizer;

const char* unless_asan(const char* pattern) {
    return kAddressSanitizer ? "" : pattern;
}
const char* unless_sanitizer(const char* pattern) {
    return kAddressSanitizer || kThreadSanitizer ? "" : pattern;
}

#if defined(_WIN32)
// GoogleTest on Windows matches a death test's output with its own simple regular expressions
// (no [], () or |): the same messages in that form.
constexpr const char* kNeverHandedOut =
    "nebula-debug: free of \\w+, which the tracker never handed out or whose header was "
    "overwritten";
constexpr const char* kDoubleFreeOrNeverHandedOut = "nebula-debug: .*free of \\w+";
constexpr const char* kCachedDoubleFree =
    "nebula-debug: double free of \\w+: a block of 100 bytes charged to tag "
    "'test.double-free', already freed \\(it waits in a thread's block cache\\)";
#else
constexpr const char* kNeverHandedOut =
    "nebula-debug: free of 0x[0-9a-f]+, which the tracker never handed out or whose header was "
    "overwritten";
constexpr const char* kDoubleFreeOrNeverHandedOut =
    "nebula-debug: (double free|free of 0x[0-9a-f]+, which the tracker never handed out)";
constexpr const char* kCachedDoubleFree =
    "nebula-debug: double free of 0x[0-9a-f]+: a block of 100 bytes charged to tag "
    "'test.double-free', already freed \\(it waits in a thread's block cache\\)";
#endif

class BlockCheck : public ::testing::Test {
protected:
    void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(BlockCheck, DoubleDeleteOfACachedBlockNamesTagAndSize) {
    EXPECT_DEATH(
        {
            nd::MemoryScope scope("test.double-free");
            char* block = new char[100];
            escape(block);
            char* again = opaque(block);
            delete[] block;
            delete[] again;
        },
        kCachedDoubleFree);
}

TEST_F(BlockCheck, DoubleFreeOfALargeBlockIsCaught) {
    // A block past the cache's sizes goes back to the C allocator, which may reuse its header's
    // bytes: the second free is caught either as a double free or as a header that does not check.
    EXPECT_DEATH(
        {
            void* block = nd::tracked_malloc(64 * 1024);
            escape(block);
            void* again = opaque(block);
            nd::tracked_free(block);
            nd::tracked_free(again);
        },
        unless_sanitizer(kDoubleFreeOrNeverHandedOut));
}

TEST_F(BlockCheck, DeleteOfAMallocBlockIsCaught) {
    EXPECT_DEATH(
        {
            void* block = std::malloc(256);
            std::memset(block, 0, 256);
            escape(block);
            ::operator delete(opaque(block));
        },
        unless_asan(nd::malloc_family_tracked()
                        ? "nebula-debug: operator delete of 0x[0-9a-f]+, a block of 256 bytes "
                          "charged to tag 'Untagged' that malloc\\(\\) made \\(mismatched"
                        : kNeverHandedOut));
}

TEST_F(BlockCheck, DeleteOfAnInteriorPointerIsCaught) {
    EXPECT_DEATH(
        {
            char* block = new char[256]();
            escape(block);
            delete[] opaque(block + 64);
        },
        kNeverHandedOut);
}

TEST_F(BlockCheck, DeleteOfAStackBufferIsCaught) {
    EXPECT_DEATH(
        {
            alignas(16) char buffer[128] = {};
            escape(buffer);
            ::operator delete(opaque(buffer + 32));
        },
        kNeverHandedOut);
}

TEST_F(BlockCheck, AHeaderOverwrittenByAnUnderflowIsCaughtAtTheFree) {
    EXPECT_DEATH(
        {
            char* block = new char[40];
            escape(block);
            // A loop that ran one element too far back. Flipped, not set: a byte that happened to
            // hold the value written would leave the header intact (1 run in 256).
            block[-3] = static_cast<char>(block[-3] ^ 0x5A);
            escape(block);
            delete[] block;
        },
        kNeverHandedOut);
}

TEST_F(BlockCheck, AnOverAlignedDoubleFreeIsCaught) {
    EXPECT_DEATH(
        {
            void* block = ::operator new (200, std::align_val_t{256});
            escape(block);
            void* again = opaque(block);
            ::operator delete (block, std::align_val_t{256});
            ::operator delete (again, std::align_val_t{256});
        },
        unless_sanitizer(kDoubleFreeOrNeverHandedOut));
}

TEST(BlockCheckLive, ValidFreesOfEveryKindPassTheCheck) {
    // The check must never fire on a correct program: every allocation form, freed on the thread
    // that made it and from the cache's reuse, leaves the statistics exact.
    const nd::AllocatorStats before = nd::allocator_stats();
    for (int round = 0; round < 3; ++round) {
        for (std::size_t size : {0u, 1u, 24u, 100u, 1024u, 1025u, 70000u}) {
            char* block = new char[size];
            escape(block);
            delete[] block;
            void* aligned = ::operator new (size, std::align_val_t{4096});
            escape(aligned);
            ::operator delete (aligned, std::align_val_t{4096});
            void* hooked = nd::tracked_aligned_malloc(size, 64, nd::kUntagged);
            escape(hooked);
            nd::tracked_free(hooked);
        }
    }
    const nd::AllocatorStats after = nd::allocator_stats();
    EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
    EXPECT_EQ(after.allocation_count - before.allocation_count, 3u * 7u * 3u);
    EXPECT_EQ(after.deallocation_count - before.deallocation_count, 3u * 7u * 3u);
}

}  // namespace

#endif
