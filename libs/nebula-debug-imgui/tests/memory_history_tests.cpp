#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace nd = nebula::debug;
namespace ndi = nebula::debug::imgui;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// The series oldest first, as PlotLines draws it.
std::vector<float> in_plot_order(const ndi::HistorySeries& series) {
    std::vector<float> values;
    for (int i = 0; i < series.count; ++i) {
        values.push_back(series.values_mib[(series.offset + i) % series.count]);
    }
    return values;
}

TEST(MemoryHistory, RecordsOneSamplePerIntervalWhateverTheFrameRate) {
    ndi::MemoryHistory history({.window_seconds = 4.0, .samples_per_window = 4});
    nd::MemoryBudget budget;
    budget.report("Chunks", 1 * kMiB, 1);
    for (int frame = 0; frame < 60; ++frame) {
        history.sample(budget, frame / 60.0);  // 60 frames inside the first second
    }
    ASSERT_TRUE(history.series("Chunks"));
    EXPECT_EQ(history.series("Chunks")->count, 1);

    history.sample(budget, 1.0);
    EXPECT_EQ(history.series("Chunks")->count, 2);
}

TEST(MemoryHistory, RingBufferKeepsTheLastWindowOldestFirst) {
    ndi::MemoryHistory history({.window_seconds = 4.0, .samples_per_window = 4});
    nd::MemoryBudget budget;
    for (int second = 1; second <= 6; ++second) {
        budget.report("Meshes", second * kMiB, 1);
        history.sample(budget, second);
    }
    const std::optional<ndi::HistorySeries> series = history.series("Meshes");
    ASSERT_TRUE(series);
    EXPECT_EQ(series->count, 4);
    EXPECT_EQ(in_plot_order(*series), (std::vector<float>{3.0f, 4.0f, 5.0f, 6.0f}));
    EXPECT_FLOAT_EQ(series->max_mib, 6.0f);
}

TEST(MemoryHistory, MaximumFollowsTheWindowNotAllTime) {
    ndi::MemoryHistory history({.window_seconds = 2.0, .samples_per_window = 2});
    nd::MemoryBudget budget;
    const std::size_t values[] = {8, 1, 2, 3};
    for (int second = 0; second < 4; ++second) {
        budget.report("Audio", values[second] * kMiB, 1);
        history.sample(budget, second);
    }
    EXPECT_FLOAT_EQ(history.series("Audio")->max_mib, 3.0f);
}

TEST(MemoryHistory, UnknownSubsystemHasNoSeries) {
    ndi::MemoryHistory history;
    EXPECT_FALSE(history.series("Chunks"));
    EXPECT_FALSE(history.find("Chunks"));
}

TEST(MemoryHistory, SubsystemsPastTheCapacityGetNoHistoryAndRowsNeverMove) {
    ndi::MemoryHistory history(
        {.window_seconds = 1.0, .samples_per_window = 2, .max_subsystems = 2});
    nd::MemoryBudget budget;
    budget.report("Meshes", 1, 1);
    history.sample(budget, 0.0);
    const std::optional<std::size_t> meshes = history.find("Meshes");
    ASSERT_TRUE(meshes);

    budget.report("Audio", 1, 1);  // sorts before Meshes
    budget.report("Chunks", 1, 1);
    history.sample(budget, 1.0);

    EXPECT_EQ(history.find("Meshes"), meshes);
    EXPECT_TRUE(history.find("Audio"));
    EXPECT_FALSE(history.find("Chunks"));
    EXPECT_EQ(history.series(*meshes).count, 2);
}

}  // namespace

namespace {

TEST(MemoryHistory, KeepsEachRowsAllocationsPerFrame) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "churn is counted by the tracking allocator";
    }
    nd::MemoryBudget budget;
    budget.report("HistoryChurn", 1, 1);
    nd::memory_tag("HistoryChurn");
    ndi::MemoryHistory history(ndi::MemoryHistory::Config{10.0, 10, 8});
    budget.end_frame();
    for (int frame = 0; frame < 3; ++frame) {
        {
            nd::MemoryScope scope("HistoryChurn");
            for (int i = 0; i < (frame + 1) * 5; ++i) {
                // Through the tracker's entry point: a new-expression's pair may be elided when
                // optimised.
                nd::tracked_free(nd::tracked_malloc(sizeof(int)));
            }
        }
        budget.end_frame();
        history.sample(budget, frame);
    }
    const std::optional<std::size_t> row = history.find("HistoryChurn");
    ASSERT_TRUE(row.has_value());
    const ndi::ChurnSeries series = history.churn_series(*row);
    ASSERT_EQ(series.count, 3);
    EXPECT_EQ(series.allocations[0], 5.0f);
    EXPECT_EQ(series.allocations[1], 10.0f);
    EXPECT_EQ(series.allocations[2], 15.0f);
    EXPECT_EQ(series.max_allocations, 15.0f);
    EXPECT_EQ(history.churn_series(99).count, 0);
}

}  // namespace
