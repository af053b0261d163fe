#include <nebula/debug/gpu_memory.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>
#include <vector>

#if !defined(_WIN32)
#include "platform/gpu_sources.hpp"
#endif

namespace nd = nebula::debug;

namespace {

// Ids unique to each test, so the process-wide table's other entries never collide with them.
std::uint64_t test_id(std::uint64_t test, std::uint64_t index) {
    return (test << 40) | index;
}

}  // namespace

TEST(GpuMemory, CountsBytesPeakAndCountsPerTag) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    const nd::MemoryTag tag = nd::memory_tag("GpuTest.Counts");
    const nd::GpuStats process_before = nd::gpu_stats();
    nd::track_gpu_allocation(test_id(1, 1), 1000, tag);
    nd::track_gpu_allocation(test_id(1, 2), 3000, tag);
    nd::track_gpu_free(test_id(1, 1));
    const nd::GpuStats stats = nd::gpu_stats("GpuTest.Counts");
    EXPECT_EQ(stats.allocated_bytes, 3000u);
    EXPECT_EQ(stats.peak_allocated_bytes, 4000u);
    EXPECT_EQ(stats.allocation_count, 2u);
    EXPECT_EQ(stats.deallocation_count, 1u);
    EXPECT_EQ(stats.live_allocations(), 1u);
    const nd::GpuStats process = nd::gpu_stats();
    EXPECT_EQ(process.allocated_bytes - process_before.allocated_bytes, 3000u);
    EXPECT_EQ(process.allocation_count - process_before.allocation_count, 2u);
    nd::track_gpu_free(test_id(1, 2));
    EXPECT_EQ(nd::gpu_stats(tag).allocated_bytes, 0u);
    nd::reset_gpu_peak();
    EXPECT_EQ(nd::gpu_stats(tag).peak_allocated_bytes, 0u);
    // Nothing of this reaches the heap's statistics: a texture is not a heap block.
    EXPECT_EQ(nd::allocator_stats(tag).allocation_count, 0u);
}

TEST(GpuMemory, TwoArgumentFormChargesTheCurrentTag) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    {
        nd::MemoryScope scope("GpuTest.Scoped");
        nd::track_gpu_allocation(test_id(2, 1), 4096);
    }
    EXPECT_EQ(nd::gpu_stats("GpuTest.Scoped").allocated_bytes, 4096u);
    // The free needs no scope: the id remembers its tag.
    nd::track_gpu_free(test_id(2, 1));
    EXPECT_EQ(nd::gpu_stats("GpuTest.Scoped").allocated_bytes, 0u);
}

TEST(GpuMemory, TrackingALiveIdAgainReSpecifiesIt) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    const nd::MemoryTag first = nd::memory_tag("GpuTest.First");
    const nd::MemoryTag second = nd::memory_tag("GpuTest.Second");
    nd::track_gpu_allocation(test_id(3, 1), 100, first);
    nd::track_gpu_allocation(test_id(3, 1), 250, second);
    EXPECT_EQ(nd::gpu_stats(first).allocated_bytes, 0u);
    EXPECT_EQ(nd::gpu_stats(first).deallocation_count, 1u);
    EXPECT_EQ(nd::gpu_stats(second).allocated_bytes, 250u);
    nd::track_gpu_free(test_id(3, 1));
    EXPECT_EQ(nd::gpu_stats(second).allocated_bytes, 0u);
}

TEST(GpuMemory, UnknownAndDoubleFreesAreIgnoredAndCounted) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    const nd::MemoryTag tag = nd::memory_tag("GpuTest.Unknown");
    const std::size_t unknown_before = nd::unknown_gpu_free_count();
    nd::track_gpu_free(test_id(4, 99));  // never tracked
    nd::track_gpu_allocation(test_id(4, 1), 64, tag);
    nd::track_gpu_free(test_id(4, 1));
    nd::track_gpu_free(test_id(4, 1));  // freed already
    EXPECT_EQ(nd::unknown_gpu_free_count() - unknown_before, 2u);
    const nd::GpuStats stats = nd::gpu_stats(tag);
    EXPECT_EQ(stats.allocated_bytes, 0u);
    EXPECT_EQ(stats.deallocation_count, 1u);
}

TEST(GpuMemory, UnknownTagsReadZerosAndBadIndicesGoToUntagged) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    EXPECT_EQ(nd::gpu_stats("GpuTest.NeverRegistered").allocation_count, 0u);
    EXPECT_EQ(nd::gpu_stats(nd::MemoryTag{nd::kMaxMemoryTags}).allocation_count, 0u);
    const std::size_t untagged_before = nd::gpu_stats(nd::kUntagged).allocated_bytes;
    nd::track_gpu_allocation(test_id(5, 1), 77, nd::MemoryTag{60000});
    EXPECT_EQ(nd::gpu_stats(nd::kUntagged).allocated_bytes - untagged_before, 77u);
    nd::track_gpu_free(test_id(5, 1));
}

TEST(GpuMemory, ExactAcrossThreadsWithTheTableGrowing) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    const nd::MemoryTag tag = nd::memory_tag("GpuTest.Threads");
    constexpr std::uint64_t kThreads = 8, kPerThread = 20000;
    const auto run_threads = [](auto&& body) {
        std::vector<std::thread> threads;
        for (std::uint64_t thread = 0; thread < kThreads; ++thread) {
            threads.emplace_back(body, thread);
        }
        for (std::thread& thread : threads) {
            thread.join();
        }
    };
    run_threads([&](std::uint64_t thread) {
        for (std::uint64_t index = 0; index < kPerThread; ++index) {
            nd::track_gpu_allocation(test_id(6, thread * kPerThread + index), index + 1, tag);
        }
    });
    // Each thread frees the odd ids of its neighbour's range: frees from other threads than the
    // one that allocated, interleaved with the neighbours' own.
    run_threads([&](std::uint64_t thread) {
        const std::uint64_t other = (thread + 1) % kThreads;
        for (std::uint64_t index = 1; index < kPerThread; index += 2) {
            nd::track_gpu_free(test_id(6, other * kPerThread + index));
        }
    });
    std::size_t even_bytes = 0, all_bytes = 0;
    for (std::uint64_t index = 0; index < kPerThread; ++index) {
        all_bytes += index + 1;
        even_bytes += index % 2 == 0 ? index + 1 : 0;
    }
    const nd::GpuStats stats = nd::gpu_stats(tag);
    EXPECT_EQ(stats.allocated_bytes, kThreads * even_bytes);
    EXPECT_EQ(stats.peak_allocated_bytes, kThreads * all_bytes);
    EXPECT_EQ(stats.allocation_count, kThreads * kPerThread);
    EXPECT_EQ(stats.deallocation_count, kThreads * kPerThread / 2);
    run_threads([&](std::uint64_t thread) {
        for (std::uint64_t index = 0; index < kPerThread; index += 2) {
            nd::track_gpu_free(test_id(6, thread * kPerThread + index));
        }
    });
    EXPECT_EQ(nd::gpu_stats(tag).allocated_bytes, 0u);
    EXPECT_EQ(nd::gpu_stats(tag).live_allocations(), 0u);
}

TEST(GpuDeviceMemory, SaysWhichSourceAnsweredOrNothing) {
    const nd::GpuDeviceMemory memory = nd::gpu_device_memory();
    if (memory.source.empty()) {
        EXPECT_EQ(memory.total_bytes, 0u);
        EXPECT_EQ(memory.used_bytes, 0u);
        EXPECT_EQ(memory.budget_bytes, 0u);
    } else {
        EXPECT_GT(memory.total_bytes + memory.used_bytes + memory.available_bytes, 0u);
    }
    // NEBULA_EXPECT_GPU_SOURCE: the CTest test run under Xvfb names the source Mesa gives there.
    if (const char* expected = std::getenv("NEBULA_EXPECT_GPU_SOURCE")) {
        EXPECT_EQ(memory.source, expected);
        EXPECT_GT(memory.total_bytes, 0u);
        EXPECT_FALSE(memory.device.empty());
    }
}

#if !defined(_WIN32)
TEST(DrmFdinfo, ReadsAmdgpuClients) {
    nd::platform::DrmClientMemory client;
    ASSERT_TRUE(
        nd::platform::parse_drm_fdinfo("pos:\t0\nflags:\t02100002\n"
                                       "drm-driver:\tamdgpu\n"
                                       "drm-client-id:\t42\n"
                                       "drm-memory-vram:\t1024 KiB\n"
                                       "drm-memory-gtt:\t4096 KiB\n"
                                       "drm-memory-cpu:\t0 KiB\n",
                                       client));
    EXPECT_EQ(client.driver, "amdgpu");
    EXPECT_EQ(client.client_id, 42u);
    EXPECT_EQ(client.local_bytes, 1024u * 1024u);  // VRAM only: GTT is system memory
}

TEST(DrmFdinfo, ReadsI915AndXeRegionsInAnyUnit) {
    nd::platform::DrmClientMemory client;
    ASSERT_TRUE(
        nd::platform::parse_drm_fdinfo("drm-driver: xe\r\ndrm-client-id: 7\r\n"
                                       "drm-total-system0: 9 MiB\r\n"
                                       "drm-total-vram0: 2 MiB\r\n"
                                       "drm-total-vram1: 512\r\n",
                                       client));
    EXPECT_EQ(client.local_bytes, 2u * 1024 * 1024 + 512);
    ASSERT_TRUE(nd::platform::parse_drm_fdinfo(
        "drm-driver:\ti915\ndrm-client-id:\t3\ndrm-total-local0:\t3 GiB\n", client));
    EXPECT_EQ(client.local_bytes, 3ull * 1024 * 1024 * 1024);
}

TEST(DrmFdinfo, RejectsOtherFilesAndSkipsBadAmounts) {
    nd::platform::DrmClientMemory client;
    EXPECT_FALSE(nd::platform::parse_drm_fdinfo("pos:\t0\nflags:\t0100002\nmnt_id:\t15\n", client));
    EXPECT_FALSE(nd::platform::parse_drm_fdinfo("", client));
    EXPECT_FALSE(nd::platform::parse_drm_fdinfo("drm-driver: amdgpu\n", client));  // no client id
    EXPECT_FALSE(nd::platform::parse_drm_fdinfo("drm-driver: amdgpu\ndrm-client-id: x\n", client));
    ASSERT_TRUE(
        nd::platform::parse_drm_fdinfo("drm-driver: amdgpu\ndrm-client-id: 1\n"
                                       "drm-memory-vram: 12 parsecs\n"
                                       "drm-memory-vram: -5 KiB\n"
                                       "drm-memory-vram: 99999999999999999999 GiB\n"
                                       "drm-memory-vram\n"
                                       "drm-memory-vram: 1 KiB\n",
                                       client));
    EXPECT_EQ(client.local_bytes, 1024u);
}
#endif
