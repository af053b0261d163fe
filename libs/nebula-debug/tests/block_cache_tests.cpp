// The per-thread block cache: which blocks it keeps and reuses, that it stays within its budget,
// that its bytes are reported as overhead and handed back on request and at thread exit, that it
// changes no statistic, and that AddressSanitizer still sees misuse of the blocks it holds.
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include "escape.hpp"
#include "sampling_paused.hpp"

#include <cstddef>
#include <string_view>
#include <thread>
#include <vector>

namespace nd = nebula::debug;
using nebula::debug::testing::escape;

#if NEBULA_MEMORY_TRACKING

namespace {

// glibc-sized chunk of a cached block of `size` bytes: its 16-byte header, glibc's 8-byte
// size word, rounded up to 16 (the cache's size classes).
constexpr std::size_t chunk_bytes(std::size_t size) {
    return (size + 16 + 8 + 15) / 16 * 16;
}

// The tracking overhead less the headers of live blocks and less the tracker's own blocks: the
// per-thread counters, constant while no thread starts or exits, plus what the caches hold. The
// tracker's own blocks change when no cache does: a thread that sampled (in an earlier test)
// left libunwind's thread-local block, allocated under the tracker's tag, in its cached stack,
// and glibc frees it on whichever thread next creates a thread on that stack.
std::size_t cached_and_counters() {
    std::size_t own = 0;
    for (const std::string_view name : {nd::kTrackerTagName, nd::kTrackerSymbolsTagName}) {
        const nd::AllocatorStats stats = nd::allocator_stats(name);
        own += stats.allocated_bytes + stats.live_allocations() * nd::kBlockHeaderBytes;
    }
    return nd::tracking_overhead_bytes() -
           nd::allocator_stats().live_allocations() * nd::kBlockHeaderBytes - own;
}

class BlockCache : public ::testing::Test {
protected:
    void SetUp() override {
        if (nd::kBlockCacheBytesPerThread == 0) {
            GTEST_SKIP() << "built with NEBULA_BLOCK_CACHE_BYTES=0: there is no cache to test";
        }
        // Start every test with this thread's cache empty, so what it holds is the test's doing.
        nd::release_cached_blocks();
    }

private:
    // The overhead read here would include sample tables grown by the test's own blocks.
    SamplingPaused sampling_paused_;
};

}  // namespace

TEST_F(BlockCache, NextAllocationOfTheSameSizeClassReusesTheFreedBlock) {
    const nd::MemoryTag tag = nd::memory_tag("test.cache-reuse");
    void* first = nd::tracked_aligned_malloc(100, alignof(std::max_align_t), tag);
    nd::tracked_free(first);
    void* second = nd::tracked_aligned_malloc(104, alignof(std::max_align_t), tag);
    EXPECT_EQ(second, first);  // 100 and 104 bytes share the 144-byte class
    // Reuse changes no statistic: the tag holds exactly the live block's bytes.
    const nd::AllocatorStats stats = nd::allocator_stats(tag);
    EXPECT_EQ(stats.allocated_bytes, 104u);
    EXPECT_EQ(stats.allocation_count, 2u);
    EXPECT_EQ(stats.deallocation_count, 1u);
    nd::tracked_free(second);
}

TEST_F(BlockCache, BlocksOfAnotherSizeClassAreNotHandedOut) {
    char* small = new char[100];
    escape(small);
    delete[] small;
    char* larger = new char[200];
    escape(larger);
    EXPECT_NE(larger, small);  // the 100-byte block waits in its own class, still owned by us
    delete[] larger;
}

TEST_F(BlockCache, CachedBytesAreOverheadUntilReleased) {
    constexpr int kBlocks = 100;
    std::vector<void*> blocks(kBlocks);
    nd::release_cached_blocks();
    const std::size_t empty = nd::tracking_overhead_bytes();
    for (void*& block : blocks) {
        block = nd::tracked_malloc(64);
    }
    for (void* block : blocks) {
        nd::tracked_free(block);
    }
    EXPECT_EQ(nd::tracking_overhead_bytes() - empty, kBlocks * chunk_bytes(64));
    nd::release_cached_blocks();
    EXPECT_EQ(nd::tracking_overhead_bytes(), empty);
}

TEST_F(BlockCache, AFullCacheStartsOverInsteadOfGrowing) {
    // One block more than the budget holds: the free that finds the cache full hands the cache's
    // blocks back to the C allocator and is kept alone.
    constexpr std::size_t kChunk = chunk_bytes(nd::kMaxCachedBlockBytes);
    const std::size_t fits = nd::kBlockCacheBytesPerThread / kChunk;
    std::vector<void*> blocks(fits + 1);
    nd::release_cached_blocks();
    const std::size_t empty = cached_and_counters();
    for (void*& block : blocks) {
        block = nd::tracked_malloc(nd::kMaxCachedBlockBytes);
    }
    for (std::size_t i = 0; i < fits; ++i) {
        nd::tracked_free(blocks[i]);
    }
    const std::size_t full = cached_and_counters() - empty;
    nd::tracked_free(blocks[fits]);
    const std::size_t after = cached_and_counters() - empty;
    EXPECT_EQ(full, fits * kChunk);
    EXPECT_EQ(after, kChunk);
}

TEST_F(BlockCache, BlocksOfAPastPhaseDoNotCrowdOutTheCurrentOne) {
    // The cache is filled with 1 KiB blocks nobody asks for any more; the 64-byte blocks the
    // program now churns through must still be cached.
    constexpr std::size_t kChunk = chunk_bytes(nd::kMaxCachedBlockBytes);
    std::vector<void*> stale(nd::kBlockCacheBytesPerThread / kChunk);
    std::vector<void*> current(100);
    nd::release_cached_blocks();
    for (void*& block : stale) {
        block = nd::tracked_malloc(nd::kMaxCachedBlockBytes);
    }
    for (void* block : stale) {
        nd::tracked_free(block);
    }
    const std::size_t full = cached_and_counters();
    for (void*& block : current) {
        block = nd::tracked_malloc(64);
    }
    for (void* block : current) {
        nd::tracked_free(block);
    }
    const std::size_t after = cached_and_counters();
    // The 64-byte frees fill what room the stale blocks left; the next one empties the cache,
    // stale blocks and all, and the rest wait in it.
    const std::size_t room_left = nd::kBlockCacheBytesPerThread - stale.size() * kChunk;
    const std::size_t waiting = current.size() - room_left / chunk_bytes(64);
    EXPECT_EQ(full - after, stale.size() * kChunk - waiting * chunk_bytes(64));
}

TEST_F(BlockCache, LargeAndOverAlignedBlocksPassTheCacheForTheQuarantine) {
    nd::release_cached_blocks();
    const std::size_t empty = nd::tracking_overhead_bytes();
    nd::tracked_free(nd::tracked_malloc(nd::kMaxCachedBlockBytes + 1));
    nd::tracked_free(nd::tracked_aligned_malloc(64, 64, nd::kUntagged));
    auto* vector = new (std::align_val_t{32}) float[8];
    escape(vector);
    ::operator delete[](vector, std::align_val_t{32});
    // Held by the quarantine for a while (their requested bytes), never by the cache.
    EXPECT_EQ(nd::tracking_overhead_bytes(), empty + nd::kMaxCachedBlockBytes + 1 + 64 + 32);
    nd::release_cached_blocks();
    EXPECT_EQ(nd::tracking_overhead_bytes(), empty);
}

TEST_F(BlockCache, AThreadReleasesItsCacheWhenItExits) {
    // Not the headers of live blocks: the C library keeps some of a finished thread's storage.
    const std::size_t before = cached_and_counters();
    std::size_t while_running = 0;
    std::thread worker([&] {
        std::vector<void*> blocks(100);
        for (void*& block : blocks) {
            block = nd::tracked_malloc(64);
        }
        for (void* block : blocks) {
            nd::tracked_free(block);
        }
        while_running = cached_and_counters();
    });
    worker.join();
    EXPECT_GE(while_running, before + 100 * chunk_bytes(64));
    // What this thread freed meanwhile (glibc frees a reused stack's old TLS block here, into
    // this thread's quarantine) is not the worker's.
    nd::release_cached_blocks();
    EXPECT_EQ(cached_and_counters(), before);
}

TEST_F(BlockCache, ABlockFreedOnAnotherThreadServesThatThread) {
    const nd::MemoryTag maker = nd::memory_tag("test.cache-maker");
    const nd::MemoryTag taker = nd::memory_tag("test.cache-taker");
    void* made = nd::tracked_aligned_malloc(48, alignof(std::max_align_t), maker);
    void* taken = nullptr;
    std::thread other([&] {
        nd::tracked_free(made);
        taken = nd::tracked_aligned_malloc(48, alignof(std::max_align_t), taker);
    });
    other.join();
    EXPECT_EQ(taken, made);
    // The free is charged to the tag that made the block, the new block to the one that took it.
    EXPECT_EQ(nd::allocator_stats(maker).allocated_bytes, 0u);
    EXPECT_EQ(nd::allocator_stats(taker).allocated_bytes, 48u);
    nd::tracked_free(taken);
    EXPECT_EQ(nd::allocator_stats(taker).allocated_bytes, 0u);
}

#if defined(__SANITIZE_ADDRESS__)

TEST_F(BlockCache, AddressSanitizerReportsAWriteToACachedBlock) {
    EXPECT_DEATH(
        {
            char* block = new char[64];
            escape(block);
            delete[] block;
            block[0] = 1;
            escape(block);
        },
        "use-after-poison");
}

TEST_F(BlockCache, AddressSanitizerReportsAWritePastTheRequestedBytes) {
    EXPECT_DEATH(
        {
            // A 24-byte class: 4 bytes past the end are still the block's. (Not new char[20]:
            // UBSan would see that size and report first.)
            auto* block = static_cast<char*>(nd::tracked_malloc(20));
            escape(block);
            block[20] = 1;
            escape(block);
        },
        "AddressSanitizer: (heap-buffer-overflow|use-after-poison)");
}

#endif

#endif
