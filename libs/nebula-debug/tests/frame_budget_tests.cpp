// MemoryBudget's per-frame view: churn per subsystem from the tracker's counts, churn budgets and
// GPU budgets warning once per crossing, GPU pressure callbacks with the GPU figures.
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "log_capture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace nd = nebula::debug;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::size_t kMiB = 1024 * 1024;

class FrameBudget : public ::testing::Test {
protected:
    void SetUp() override {
        if (!nd::tracking_allocator_enabled()) {
            GTEST_SKIP() << "tracking is compiled out: no counts to read";
        }
    }
    nd::testing::LogCapture log_;
};

// `count` heap allocations of `bytes` under `tag`, freed at once: churn that holds nothing.
void churn(std::string_view tag, std::size_t count, std::size_t bytes) {
    nd::MemoryScope scope(tag);
    for (std::size_t i = 0; i < count; ++i) {
        void* block = nd::tracked_malloc(bytes);
        nd::tracked_free(block);
    }
}

TEST_F(FrameBudget, ChurnIsEachFramesAllocationsAndBytesOnEveryThread) {
    nd::MemoryBudget budget;
    budget.report("FrameTest.Churn", 0, 0);
    nd::memory_tag("FrameTest.Churn");
    budget.end_frame();  // where the row counts from
    EXPECT_EQ(budget.frame_churn("FrameTest.Churn").allocations, 0u);
    churn("FrameTest.Churn", 10, 100);
    std::thread([] { churn("FrameTest.Churn", 5, 3000); }).join();  // counted as it exits
    std::thread worker([] { churn("FrameTest.Churn", 7, 40); });
    worker.join();
    budget.end_frame();
    nd::FrameChurn frame = budget.frame_churn("FrameTest.Churn");
    EXPECT_EQ(frame.allocations, 22u);
    EXPECT_EQ(frame.allocated_bytes, 10u * 100 + 5 * 3000 + 7 * 40);
    budget.end_frame();  // a frame with nothing
    frame = budget.frame_churn("FrameTest.Churn");
    EXPECT_EQ(frame.allocations, 0u);
    EXPECT_EQ(frame.allocated_bytes, 0u);
    EXPECT_EQ(budget.subsystem("FrameTest.Churn")->frame_allocations, 0u);
}

TEST_F(FrameBudget, RowsWithoutATagAndUnknownNamesReadZero) {
    nd::MemoryBudget budget;
    budget.report("FrameTest.NeverAllocates", 10, 1);
    budget.end_frame();
    budget.end_frame();
    EXPECT_EQ(budget.frame_churn("FrameTest.NeverAllocates").allocations, 0u);
    EXPECT_EQ(budget.frame_churn("FrameTest.NoSuchRow").allocations, 0u);
    EXPECT_FALSE(budget.is_over_churn_budget("FrameTest.NoSuchRow"));
    EXPECT_FALSE(budget.is_over_gpu_budget("FrameTest.NoSuchRow"));
}

TEST_F(FrameBudget, ChurnBudgetWarnsOncePerCrossingWithTheBand) {
    nd::MemoryBudget budget;
    budget.set_churn_budget("FrameTest.Band", 100);  // warns past 85 allocations (0.85)
    budget.end_frame();
    churn("FrameTest.Band", 85, 8);
    budget.end_frame();
    EXPECT_FALSE(budget.is_over_churn_budget("FrameTest.Band"));
    churn("FrameTest.Band", 150, 8);
    budget.end_frame();
    EXPECT_TRUE(budget.is_over_churn_budget("FrameTest.Band"));
    churn("FrameTest.Band", 120, 8);
    budget.end_frame();  // still above: silent
    EXPECT_THAT(log_.warnings(),
                ElementsAre("Subsystem 'FrameTest.Band' made 150 allocations in a frame "
                            "(churn budget 100)"));
    budget.end_frame();  // 0: re-armed
    churn("FrameTest.Band", 90, 8);
    budget.end_frame();
    EXPECT_EQ(log_.warnings().size(), 2u);
    EXPECT_EQ(budget.subsystem("FrameTest.Band")->churn_budget, 100u);
    budget.set_churn_budget("FrameTest.Band", 0);  // unbudgeted: never over
    EXPECT_FALSE(budget.is_over_churn_budget("FrameTest.Band"));
}

TEST_F(FrameBudget, GpuBudgetWarnsOnceAndCallsPressureWithTheGpuFigures) {
    nd::MemoryBudget budget;
    const nd::MemoryTag tag = nd::memory_tag("FrameTest.Gpu");
    std::vector<nd::MemoryPressure> pressures;
    std::vector<std::string> names;  // a pressure's name is valid during its call only
    budget.add_pressure_callback("FrameTest.Gpu", [&](const nd::MemoryPressure& pressure) {
        pressures.push_back(pressure);
        names.emplace_back(pressure.subsystem);
    });
    budget.set_gpu_budget("FrameTest.Gpu", 100 * kMiB);
    budget.report("FrameTest.Gpu", 1 * kMiB, 1);  // far under its (unset) heap budget
    nd::track_gpu_allocation(0xF0001, 60 * kMiB, tag);
    budget.end_frame();
    EXPECT_EQ(budget.subsystem("FrameTest.Gpu")->gpu_bytes, 60 * kMiB);
    EXPECT_FALSE(budget.is_over_gpu_budget("FrameTest.Gpu"));
    nd::track_gpu_allocation(0xF0002, 30 * kMiB, tag);
    budget.end_frame();
    budget.end_frame();  // still over: silent
    EXPECT_TRUE(budget.is_over_gpu_budget("FrameTest.Gpu"));
    EXPECT_FALSE(budget.is_over_budget("FrameTest.Gpu"));
    EXPECT_THAT(log_.warnings(), ElementsAre("Subsystem 'FrameTest.Gpu' at 90% of GPU memory "
                                             "budget (90 MB / 100 MB)"));
    ASSERT_EQ(pressures.size(), 1u);
    EXPECT_EQ(pressures[0].kind, nd::MemoryKind::gpu);
    EXPECT_EQ(pressures[0].current_bytes, 90 * kMiB);
    EXPECT_EQ(pressures[0].budget_bytes, 100 * kMiB);
    EXPECT_EQ(pressures[0].threshold_bytes, 85 * kMiB);
    EXPECT_EQ(pressures[0].excess_bytes, 5 * kMiB);
    EXPECT_EQ(names[0], "FrameTest.Gpu");
    nd::track_gpu_free(0xF0002);
    budget.end_frame();  // re-armed
    nd::track_gpu_allocation(0xF0002, 30 * kMiB, tag);
    budget.end_frame();
    EXPECT_EQ(pressures.size(), 2u);
    // Lowering the budget under what is held warns at once, as set_budget does.
    nd::track_gpu_free(0xF0002);
    budget.end_frame();
    budget.set_gpu_budget("FrameTest.Gpu", 50 * kMiB);
    EXPECT_EQ(pressures.size(), 3u);
    nd::track_gpu_free(0xF0001);
}

TEST_F(FrameBudget, HeapPressureSaysHeap) {
    nd::MemoryBudget budget;
    nd::MemoryKind kind = nd::MemoryKind::gpu;
    budget.add_pressure_callback("FrameTest.Heap",
                                 [&](const nd::MemoryPressure& pressure) { kind = pressure.kind; });
    budget.set_budget("FrameTest.Heap", 100);
    budget.report("FrameTest.Heap", 99, 1);
    EXPECT_EQ(kind, nd::MemoryKind::heap);
}

TEST_F(FrameBudget, EndFrameAllocatesNothingOnceTheRowsExist) {
    nd::MemoryBudget budget;
    for (int row = 0; row < 32; ++row) {
        const std::string name = "FrameTest.Row" + std::to_string(row);
        nd::memory_tag(name);
        budget.report(name, 1, 1);
    }
    budget.end_frame();
    const std::size_t before = nd::allocator_stats().allocation_count;
    budget.end_frame();
    EXPECT_EQ(nd::allocator_stats().allocation_count, before);
}

}  // namespace
