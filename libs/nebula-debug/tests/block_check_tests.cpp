// The header's check word: a double free, a free of a pointer the tracker never handed out and a
// header overwritten by a buffer underflow stop the program at the free, with a message naming the
// block, instead of corrupting the block cache (a block handed out twice) or the counters. The
// quarantine keeps a freed block's header readable a while, so a double free is named as one for
// every size and alignment. A free by the other family is reported and released, or stops the
// program under MismatchPolicy::abort.
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "escape.hpp"
#include "sampling_paused.hpp"
#include "sanitizers.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

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
constexpr const char* kAddress = "\\w+";
// Windows' patterns stop at a line's end: the last of the two lines, which the table prints last.
constexpr const char* kMalformedVariables =
    "NEBULA_ON_MISMATCH=sometimes: expected report or abort; the default is kept \\(report\\)";
#else
constexpr const char* kAddress = "0x[0-9a-f]+";
constexpr const char* kMalformedVariables =
    "NEBULA_SAMPLING_INTERVAL=99999999999999999999: expected a byte count up to 1 TiB(.|\n)*"
    "NEBULA_ON_MISMATCH=sometimes: expected report or abort; the default is kept \\(report\\)";
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

// For a death test's child, which runs the test binary anew (the "threadsafe" style) and so reads
// the environment at its start as any program does.
class ScopedEnvironment {
public:
    ScopedEnvironment(const char* name, const char* value) : name_(name) { set(value); }
    ~ScopedEnvironment() { set(""); }
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

private:
    void set(const char* value) {
#if defined(_WIN32)
        _putenv_s(name_, value);
#else
        setenv(name_, value, 1);
#endif
    }
    const char* name_;
};

std::string double_free_of(std::size_t size) {
    return unless_sanitizer((std::string("nebula-debug: double free of ") + kAddress +
                             ": a block of " + std::to_string(size) + " bytes")
                                .c_str());
}

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

TEST_F(BlockCheck, DeleteOfAMallocBlockStopsUnderTheAbortPolicy) {
    EXPECT_DEATH(
        {
            nd::set_mismatch_policy(nd::MismatchPolicy::abort);
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

TEST_F(BlockCheck, TheMismatchPolicyComesFromTheEnvironment) {
    if (!nd::malloc_family_tracked()) {
        GTEST_SKIP() << "the C allocation family is not tracked in this build";
    }
    const ScopedEnvironment abort_on_mismatch("NEBULA_ON_MISMATCH", "abort");
    EXPECT_DEATH(
        {
            void* block = std::malloc(64);
            escape(block);
            ::operator delete(opaque(block));
        },
        "NEBULA_ON_MISMATCH=abort stops the program");
}

TEST_F(BlockCheck, AMalformedVariableIsReportedOnceAndTheDefaultKept) {
    const ScopedEnvironment interval("NEBULA_SAMPLING_INTERVAL", "99999999999999999999");
    const ScopedEnvironment policy("NEBULA_ON_MISMATCH", "sometimes");
    EXPECT_EXIT(
        {
            const bool defaults = nd::sampling_interval() == nd::kDefaultSamplingInterval;
            if (nd::malloc_family_tracked()) {
                void* block = std::malloc(64);
                escape(block);
                ::operator delete(opaque(block));  // reported, not fatal: the default policy
            }
            std::_Exit(defaults ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), kMalformedVariables);
}

TEST_F(BlockCheck, SamplingIntervalsTakeUnits) {
    const ScopedEnvironment interval("NEBULA_SAMPLING_INTERVAL", "64 KiB");
    EXPECT_EXIT(std::_Exit(nd::sampling_interval() == 64 * 1024 ? 0 : 1),
                ::testing::ExitedWithCode(0), "");
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

// Every size class and alignment: the cache's sizes (the block waits in the cache), a block past
// them (quarantined whole), one big enough that glibc maps it on its own (quarantined with its
// first page only), and over-aligned ones with the header in front (32) or in the aligned table
// (128, 4096).
struct DoubleFreeCase {
    std::size_t size;
    std::size_t alignment;  // 0: operator new's default
};

void* allocate(const DoubleFreeCase& kind) {
    return kind.alignment == 0 ? ::operator new(kind.size)
                               : ::operator new (kind.size, std::align_val_t{kind.alignment});
}

void release(const DoubleFreeCase& kind, void* block) {
    if (kind.alignment == 0) {
        ::operator delete(block);
    } else {
        ::operator delete (block, std::align_val_t{kind.alignment});
    }
}

class DoubleFree : public BlockCheck, public ::testing::WithParamInterface<DoubleFreeCase> {};

TEST_P(DoubleFree, IsNamedAsOne) {
    const DoubleFreeCase kind = GetParam();
    EXPECT_DEATH(
        {
            void* block = allocate(kind);
            std::memset(block, 1, kind.size);
            void* again = opaque(block);
            release(kind, block);
            release(kind, again);
        },
        double_free_of(kind.size));
}

TEST_P(DoubleFree, IsNamedAsOneAfterAnotherBlockOfItsSize) {
    // What the C allocator would do without the quarantine: hand the freed block's memory to the
    // next request of its size, so that the second free releases a live block, silently. A block
    // in the cache is handed out again at once (the cache is LIFO): not for those sizes.
    const DoubleFreeCase kind = GetParam();
    if (kind.alignment == 0 && kind.size <= nd::kMaxCachedBlockBytes) {
        GTEST_SKIP() << "a cached block is reused by the next allocation of its class";
    }
    EXPECT_DEATH(
        {
            void* block = allocate(kind);
            void* again = opaque(block);
            release(kind, block);
            void* next = allocate(kind);
            escape(next);
            if (next == again) {
                std::abort();  // reused: the quarantine did not hold it
            }
            release(kind, again);
        },
        double_free_of(kind.size));
}

// Windows cannot drop a heap block's pages, so a 4 MiB block is not held there (quarantine.hpp).
#if defined(_WIN32)
constexpr std::size_t kBigBlock = 200 * 1024;
#else
constexpr std::size_t kBigBlock = 4u << 20;
#endif
INSTANTIATE_TEST_SUITE_P(EverySizeAndAlignment, DoubleFree,
                         ::testing::Values(DoubleFreeCase{40, 0}, DoubleFreeCase{5000, 0},
                                           DoubleFreeCase{kBigBlock, 0}, DoubleFreeCase{40, 32},
                                           DoubleFreeCase{5000, 128},
                                           DoubleFreeCase{kBigBlock, 4096}),
                         [](const auto& info) {
                             return std::to_string(info.param.size) + "Bytes" +
                                    (info.param.alignment != 0
                                         ? "AlignedTo" + std::to_string(info.param.alignment)
                                         : std::string());
                         });

TEST_F(BlockCheck, AForgedSizeInTheHeaderIsCaughtNotPassedOn) {
    // glibc would take the forged chunk size and later hand out memory inside a live block.
    EXPECT_DEATH(
        {
            auto* block = static_cast<std::uint64_t*>(::operator new(40));
            escape(block);
            opaque(block)[-1] = 0x401;
            ::operator delete(block);
        },
        kNeverHandedOut);
}

TEST(BlockCheckLive, TheQuarantineIsTrackingOverheadAndReleasedOnDemand) {
    const SamplingPaused paused;  // a sample would grow the sampler's tables, overhead too
    nd::release_cached_blocks();
    const std::size_t before = nd::tracking_overhead_bytes();
    void* block = ::operator new(20000);
    escape(block);
    ::operator delete(block);
    EXPECT_GE(nd::tracking_overhead_bytes(), before + 20000);
    nd::release_cached_blocks();
    EXPECT_EQ(nd::tracking_overhead_bytes(), before);
}

TEST(BlockCheckLive, ABigBlockWaitsInTheQuarantineWithItsFirstPageOnly) {
    const SamplingPaused paused;
    nd::release_cached_blocks();
    const std::size_t before = nd::tracking_overhead_bytes();
    void* block = ::operator new(8u << 20);
    std::memset(block, 1, 8u << 20);
    ::operator delete(block);
    EXPECT_LT(nd::tracking_overhead_bytes(), before + 16384);
    nd::release_cached_blocks();
}

#if defined(__GLIBC__) && NEBULA_TRACK_MALLOC
// With glibc's mmap threshold raised, a 300 KiB block lies in glibc's heap: the quarantine cuts it
// down to its header's chunk in place (no page dropped) and the double free is still named. Each
// in a child process: mallopt changes the whole process.
constexpr std::size_t kHeapBigBlock = 300 * 1024;

TEST(BlockCheckLive, ABigBlockOfGlibcsHeapWaitsAsItsHeaderOnly) {
    if (const char* preloaded = std::getenv("LD_PRELOAD"); preloaded != nullptr && *preloaded) {
        GTEST_SKIP() << "another allocator is preloaded: big blocks keep their first page";
    }
    EXPECT_EXIT(
        {
            mallopt(M_MMAP_THRESHOLD, 4 << 20);
            const SamplingPaused paused;
            nd::release_cached_blocks();
            const std::size_t before = nd::tracking_overhead_bytes();
            void* block = ::operator new(kHeapBigBlock);
            std::memset(block, 1, kHeapBigBlock);
            ::operator delete(opaque(block));
            const bool header_only = nd::tracking_overhead_bytes() < before + 64;
            // The rest is glibc's again: the next big block starts right behind the header's chunk.
            void* next = ::operator new(kHeapBigBlock);
            escape(next);
            const bool reused = static_cast<char*>(next) > static_cast<char*>(block) &&
                                static_cast<char*>(next) < static_cast<char*>(block) + 4096;
            ::operator delete(next);
            std::exit(header_only && reused ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST_F(BlockCheck, ADoubleFreeOfABigBlockOfGlibcsHeapIsNamedAsOne) {
    EXPECT_DEATH(
        {
            mallopt(M_MMAP_THRESHOLD, 4 << 20);
            void* block = ::operator new(kHeapBigBlock);
            void* again = opaque(block);
            ::operator delete(block);
            void* next = ::operator new(kHeapBigBlock);
            escape(next);
            ::operator delete(again);
        },
        double_free_of(kHeapBigBlock));
}
#endif

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
