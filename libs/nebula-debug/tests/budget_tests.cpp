// MemoryBudget: rows, peaks, exact thresholds, warnings once per crossing, pressure callbacks,
// thread safety, defaults and format_memory.
#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "log_capture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace nd = nebula::debug;
using nd::testing::LogCapture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;
constexpr std::size_t kGiB = 1024 * kMiB;
constexpr std::size_t kTiB = 1024 * kGiB;

std::vector<std::string> names_of(const nd::MemoryBudget& budget) {
    std::vector<std::string> names;
    for (const auto& [name, memory] : budget.subsystems()) {
        names.push_back(name);
    }
    return names;
}

// floor(budget x 85 / 100) without overflow: the threshold a user computes by hand for 0.85.
std::size_t threshold_at_85_percent(std::size_t budget) {
    return budget / 100 * 85 + budget % 100 * 85 / 100;
}

// Every test logs into a capture: the warnings are asserted on, and stay off the test output.
class LoggedTest : public ::testing::Test {
protected:
    LogCapture log_;
};
using MemoryBudget = LoggedTest;
using MemoryBudgetWarnings = LoggedTest;
using MemoryPressureCallbacks = LoggedTest;
using MemoryBudgetThreads = LoggedTest;
using DefaultBudgets = LoggedTest;

// ---------------------------------------------------------------------------------------------
// Rows and peaks

TEST_F(MemoryBudget, ReportCreatesRowWithCurrentCountAndPeak) {
    nd::MemoryBudget budget;
    budget.report("Chunks", 300, 3);
    budget.report("Chunks", 500, 5);
    budget.report("Chunks", 200, 2);

    const auto chunks = budget.subsystem("Chunks");
    ASSERT_TRUE(chunks.has_value());
    EXPECT_EQ(chunks->current_bytes, 200u);
    EXPECT_EQ(chunks->allocation_count, 2u);
    EXPECT_EQ(chunks->peak_bytes, 500u);
    EXPECT_EQ(chunks->budget_bytes, 0u);
}

TEST_F(MemoryBudget, BudgetMayBeSetBeforeAnyReport) {
    nd::MemoryBudget budget;
    budget.set_budget("Audio", 128 * kMiB);

    const auto before = budget.subsystem("Audio");
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ(before->budget_bytes, 128 * kMiB);
    EXPECT_EQ(before->current_bytes, 0u);

    budget.report("Audio", 10 * kMiB, 4);
    const auto after = budget.subsystem("Audio");
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->budget_bytes, 128 * kMiB);
    EXPECT_EQ(after->current_bytes, 10 * kMiB);
}

TEST_F(MemoryBudget, UnknownSubsystemIsAbsentAndNotOverBudget) {
    nd::MemoryBudget budget;
    budget.report("Chunks", 1, 1);
    EXPECT_FALSE(budget.subsystem("Meshes").has_value());
    EXPECT_FALSE(budget.is_over_budget("Meshes"));
}

TEST_F(MemoryBudget, SubsystemsAreSortedByName) {
    nd::MemoryBudget budget;
    budget.report("Textures", 1, 1);
    budget.report("Audio", 2, 1);
    budget.set_budget("Physics", 3);
    budget.report("Chunks", 4, 1);
    budget.report("Meshes", 5, 1);

    EXPECT_THAT(names_of(budget), ElementsAre("Audio", "Chunks", "Meshes", "Physics", "Textures"));
    EXPECT_EQ(budget.subsystems()[1].second.current_bytes, 4u);
}

TEST_F(MemoryBudget, TotalCurrentSumsTheLatestReports) {
    nd::MemoryBudget budget;
    budget.report("Chunks", 100, 1);
    budget.report("Meshes", 200, 1);
    budget.report("Chunks", 50, 1);
    budget.set_budget("Audio", 1000);
    EXPECT_EQ(budget.total_current(), 250u);
    EXPECT_EQ(budget.total_peak(), 300u);
}

TEST_F(MemoryBudget, TotalSaturatesAtSizeMaxInsteadOfWrapping) {
    constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
    nd::MemoryBudget budget;
    budget.report("Chunks", kMax, 1);
    budget.report("Meshes", kMax, 1);
    EXPECT_EQ(budget.total_current(), kMax) << "2 x SIZE_MAX wrapped";
    EXPECT_EQ(budget.total_peak(), kMax);

    budget.report("Meshes", 10, 1);
    EXPECT_EQ(budget.total_current(), kMax) << "SIZE_MAX + 10 wrapped";
    budget.report("Textures", kMax - 5, 1);
    EXPECT_EQ(budget.total_current(), kMax);
    EXPECT_EQ(budget.total_peak(), kMax);

    // The sum is kept exactly under the saturated total: it comes back down to the byte.
    budget.report("Chunks", 100, 1);
    EXPECT_EQ(budget.total_current(), kMax) << "(SIZE_MAX - 5) + 10 + 100";
    budget.report("Textures", 0, 1);
    EXPECT_EQ(budget.total_current(), 110u);
    EXPECT_EQ(budget.total_peak(), kMax);
    budget.reset_peaks();
    EXPECT_EQ(budget.total_peak(), 110u);
}

TEST_F(MemoryBudget, SaturatedTotalStillPassesTheTotalBudget) {
    constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
    nd::MemoryBudget budget;
    budget.set_total_budget(kMax - 1);
    budget.report("Chunks", kMax, 1);
    budget.report("Meshes", 1, 1);  // wrapping would make the total 0, under the budget
    EXPECT_EQ(budget.total_current(), kMax);
    ASSERT_EQ(log_.warnings().size(), 1u);
    EXPECT_THAT(log_.warnings()[0], HasSubstr("Tracked total at 100% of total memory budget"));
}

TEST_F(MemoryBudget, ResetPeaksSetsPeaksToCurrent) {
    nd::MemoryBudget budget;
    budget.report("Chunks", 900, 1);
    budget.report("Chunks", 400, 1);
    budget.report("Meshes", 70, 1);
    budget.reset_peaks();

    EXPECT_EQ(budget.subsystem("Chunks")->peak_bytes, 400u);
    EXPECT_EQ(budget.subsystem("Meshes")->peak_bytes, 70u);
    EXPECT_EQ(budget.total_peak(), 470u);

    budget.report("Chunks", 600, 1);
    EXPECT_EQ(budget.subsystem("Chunks")->peak_bytes, 600u);
    EXPECT_EQ(budget.total_peak(), 670u);
}

// ---------------------------------------------------------------------------------------------
// is_over_budget in integer terms

struct ThresholdCase {
    std::size_t budget;
    std::size_t threshold;  // the last byte count that is not over
};

void PrintTo(const ThresholdCase& c, std::ostream* out) {
    *out << "budget " << c.budget << ", threshold " << c.threshold;
}

class ExactThreshold : public ::testing::TestWithParam<ThresholdCase> {
protected:
    LogCapture log_;
};

TEST_P(ExactThreshold, ExactlyAtIsNotOverAndOneBytePastIs) {
    const ThresholdCase c = GetParam();
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", c.budget);

    EXPECT_EQ(budget.warning_threshold_bytes(c.budget), c.threshold);
    budget.report("Chunks", c.threshold, 1);
    EXPECT_FALSE(budget.is_over_budget("Chunks"));
    budget.report("Chunks", c.threshold + 1, 1);
    EXPECT_TRUE(budget.is_over_budget("Chunks"));
    budget.report("Chunks", c.threshold - 1, 1);
    EXPECT_FALSE(budget.is_over_budget("Chunks"));
}

// 0.85f is 0.850000023...: multiplying by the float would put these thresholds up to 26 KB
// (1 TiB) higher; an integer product of 85 / 100 would not.
INSTANTIATE_TEST_SUITE_P(
    DefaultThreshold, ExactThreshold,
    ::testing::Values(ThresholdCase{100, 85}, ThresholdCase{512 * kMiB, 456'340'275},
                      ThresholdCase{kGiB, threshold_at_85_percent(kGiB)},
                      ThresholdCase{kTiB, 934'584'883'609},
                      ThresholdCase{1000 * kTiB, threshold_at_85_percent(1000 * kTiB)},
                      ThresholdCase{
                          std::numeric_limits<std::size_t>::max() - 1,
                          threshold_at_85_percent(std::numeric_limits<std::size_t>::max() - 1)}));

TEST_F(MemoryBudget, ThresholdIsTheDecimalTheUserWrote) {
    nd::MemoryBudget budget;
    // 0.7f is 0.699999988...: budget x float would make 7 bytes of 10 "over".
    budget.set_warning_threshold(0.7f);
    budget.set_budget("Audio", 10);
    EXPECT_EQ(budget.warning_threshold_bytes(10), 7u);
    budget.report("Audio", 7, 1);
    EXPECT_FALSE(budget.is_over_budget("Audio"));
    budget.report("Audio", 8, 1);
    EXPECT_TRUE(budget.is_over_budget("Audio"));
}

TEST_F(MemoryBudget, ThresholdOfOneMeansOverOnlyPastTheBudget) {
    nd::MemoryBudget budget;
    budget.set_warning_threshold(1.0f);
    budget.set_budget("Physics", 256 * kMiB);
    budget.report("Physics", 256 * kMiB, 1);
    EXPECT_FALSE(budget.is_over_budget("Physics"));
    budget.report("Physics", 256 * kMiB + 1, 1);
    EXPECT_TRUE(budget.is_over_budget("Physics"));
}

TEST_F(MemoryBudget, ZeroBudgetIsNeverOverAndNeverWarns) {
    nd::MemoryBudget budget;
    budget.report("Audio", std::numeric_limits<std::size_t>::max(), 1);
    EXPECT_FALSE(budget.is_over_budget("Audio"));

    budget.set_budget("Audio", 1);
    EXPECT_TRUE(budget.is_over_budget("Audio"));
    budget.set_budget("Audio", 0);
    EXPECT_FALSE(budget.is_over_budget("Audio"));
    EXPECT_EQ(log_.warnings().size(), 1u);
}

TEST_F(MemoryBudget, WarningThresholdOutsideZeroToOneIsIgnoredAndLogged) {
    nd::MemoryBudget budget;
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.85f);
    budget.set_warning_threshold(0.5f);
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.5f);

    for (const float bad :
         {0.0f, -0.25f, 1.0001f, std::nanf(""), std::numeric_limits<float>::infinity()}) {
        budget.set_warning_threshold(bad);
        EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.5f) << bad;
    }
    EXPECT_EQ(log_.errors().size(), 5u);
    EXPECT_THAT(log_.errors().front(), HasSubstr("[0.01, 1]"));
}

TEST_F(MemoryBudget, WarningThresholdBelowOnePercentIsIgnoredAndLogged) {
    EXPECT_FLOAT_EQ(nd::kMinWarningThreshold, 0.01f);
    nd::MemoryBudget budget;
    budget.set_budget("Audio", 1000);
    budget.report("Audio", 500, 1);
    budget.set_warning_threshold(0.5f);
    ASSERT_FALSE(budget.is_over_budget("Audio"));

    const float denormal = std::numeric_limits<float>::denorm_min();  // 1e-45f
    for (const float bad : {denormal, 1e-40f, std::numeric_limits<float>::min(), 1e-6f, 0.005f,
                            std::nextafter(0.01f, 0.0f)}) {
        budget.set_warning_threshold(bad);
        EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.5f) << bad;
        EXPECT_FALSE(budget.is_over_budget("Audio")) << bad;
    }
    EXPECT_THAT(log_.warnings(), IsEmpty()) << "a refused threshold must not trigger a crossing";
    ASSERT_EQ(log_.errors().size(), 6u);
    EXPECT_EQ(log_.errors().front(),
              "Ignoring memory warning threshold 1e-45: it must be in [0.01, 1]");

    // 1% itself is accepted, and meant exactly: 10 bytes of a 1000-byte budget.
    budget.set_warning_threshold(0.01f);
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.01f);
    EXPECT_EQ(budget.warning_threshold_bytes(1000), 10u);
    EXPECT_TRUE(budget.is_over_budget("Audio"));
    EXPECT_EQ(log_.errors().size(), 6u);
}

// ---------------------------------------------------------------------------------------------
// Warnings

TEST_F(MemoryBudgetWarnings, TextIsTheSeedsWords) {
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 1024 * kMiB);
    budget.report("Chunks", 890 * kMiB, 1);  // the seed's own example: 86.9%
    EXPECT_THAT(log_.warnings(),
                ElementsAre("Subsystem 'Chunks' at 87% of memory budget (890 MB / 1024 MB)"));
}

TEST_F(MemoryBudgetWarnings, PercentageAndSizesRoundToNearest) {
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 1000 * kMiB);
    budget.report("Chunks", 864 * kMiB + kMiB / 2 - 1, 1);  // 86.449...%, 864.4999 MiB
    budget.set_budget("Meshes", 1000 * kMiB);
    budget.report("Meshes", 864 * kMiB + kMiB / 2, 1);  // 86.45%, 864.5 MiB
    EXPECT_THAT(log_.warnings(),
                ElementsAre("Subsystem 'Chunks' at 86% of memory budget (864 MB / 1000 MB)",
                            "Subsystem 'Meshes' at 86% of memory budget (865 MB / 1000 MB)"));
}

TEST_F(MemoryBudgetWarnings, OncePerCrossingAndAgainOnlyAfterFallingBack) {
    nd::MemoryBudget budget;
    budget.set_budget("Textures", 512 * kMiB);
    const std::size_t threshold = 456'340'275;

    budget.report("Textures", 400 * kMiB, 1);
    EXPECT_THAT(log_.warnings(), IsEmpty());
    budget.report("Textures", threshold + 1, 1);
    EXPECT_EQ(log_.warnings().size(), 1u);
    for (int frame = 0; frame < 10; ++frame) {
        budget.report("Textures", 500 * kMiB, 1);
        budget.report("Textures", threshold + 1, 1);
    }
    EXPECT_EQ(log_.warnings().size(), 1u);

    // Exactly at the threshold counts as fallen back: the next crossing warns again.
    budget.report("Textures", threshold, 1);
    EXPECT_EQ(log_.warnings().size(), 1u);
    budget.report("Textures", 450 * kMiB, 1);
    EXPECT_EQ(log_.warnings().size(), 2u);
    EXPECT_EQ(log_.warnings()[1], "Subsystem 'Textures' at 88% of memory budget (450 MB / 512 MB)");
}

TEST_F(MemoryBudgetWarnings, EachSubsystemHasItsOwnCrossing) {
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 100 * kMiB);
    budget.set_budget("Meshes", 100 * kMiB);
    budget.report("Chunks", 90 * kMiB, 1);
    budget.report("Meshes", 95 * kMiB, 1);
    budget.report("Chunks", 91 * kMiB, 1);
    EXPECT_THAT(log_.warnings(),
                ElementsAre("Subsystem 'Chunks' at 90% of memory budget (90 MB / 100 MB)",
                            "Subsystem 'Meshes' at 95% of memory budget (95 MB / 100 MB)"));
}

TEST_F(MemoryBudgetWarnings, LoweringTheBudgetOrThresholdWarns) {
    nd::MemoryBudget budget;
    budget.report("Meshes", 300 * kMiB, 1);
    budget.set_budget("Meshes", 1024 * kMiB);
    EXPECT_THAT(log_.warnings(), IsEmpty());

    budget.set_budget("Meshes", 256 * kMiB);
    EXPECT_THAT(log_.warnings(),
                ElementsAre("Subsystem 'Meshes' at 117% of memory budget (300 MB / 256 MB)"));

    budget.set_budget("Meshes", 1024 * kMiB);
    budget.set_warning_threshold(0.25f);
    ASSERT_EQ(log_.warnings().size(), 2u);
    EXPECT_EQ(log_.warnings()[1], "Subsystem 'Meshes' at 29% of memory budget (300 MB / 1024 MB)");
}

TEST_F(MemoryBudgetWarnings, TrackedTotalWarnsWhenPassingTheTotalBudget) {
    nd::MemoryBudget budget;
    budget.set_total_budget(4096 * kMiB);
    budget.report("Chunks", 2048 * kMiB, 1);
    budget.report("Meshes", 2048 * kMiB, 1);
    EXPECT_THAT(log_.warnings(), IsEmpty()) << "exactly at the total budget is not past it";

    budget.report("Textures", 124 * kMiB, 1);
    EXPECT_THAT(log_.warnings(),
                ElementsAre("Tracked total at 103% of total memory budget (4220 MB / 4096 MB)"));
    budget.report("Textures", 200 * kMiB, 1);
    EXPECT_EQ(log_.warnings().size(), 1u);

    budget.report("Textures", 0, 1);
    budget.report("Textures", 1, 1);
    EXPECT_EQ(log_.warnings().size(), 2u);

    budget.report("Textures", 0, 1);
    budget.set_total_budget(4000 * kMiB);
    EXPECT_EQ(log_.warnings().size(), 3u);
}

TEST_F(MemoryBudgetWarnings, NoTotalBudgetNoTotalWarning) {
    nd::MemoryBudget budget;
    budget.report("Chunks", 100 * kGiB, 1);
    EXPECT_THAT(log_.warnings(), IsEmpty());
}

TEST_F(MemoryBudgetWarnings, PeakSummaryLogsEveryRowAndTheTotal) {
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", kGiB);
    budget.report("Chunks", kGiB, 1);
    budget.report("Chunks", 512 * kMiB, 1);
    budget.report("Audio", 2048, 1);
    budget.set_total_budget(4 * kGiB);
    budget.log_peak_summary();

    std::vector<std::string> expected = {
        "Subsystem 'Audio' peak 2.0 KB (current 2.0 KB, budget none)",
        "Subsystem 'Chunks' peak 1.00 GB (current 512.0 MB, budget 1.00 GB)",
        "Tracked total peak 1.00 GB (current 512.0 MB, budget 4.00 GB)",
    };
    auto info = log_.messages(spdlog::level::info);
    if (nd::tracking_allocator_enabled()) {
        ASSERT_EQ(info.size(), 4u);
        EXPECT_THAT(info[3], HasSubstr("Allocator peak "));
        EXPECT_THAT(info[3], HasSubstr("; tracking overhead "));
        info.pop_back();
    }
    EXPECT_EQ(info, expected);
}

// ---------------------------------------------------------------------------------------------
// Pressure callbacks

TEST_F(MemoryPressureCallbacks, CalledOncePerCrossingWithWhatIsOver) {
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 1000);
    std::vector<nd::MemoryPressure> calls;
    std::vector<std::string> names;
    std::vector<std::size_t> warnings_seen;
    budget.add_pressure_callback("Chunks", [&](const nd::MemoryPressure& pressure) {
        calls.push_back(pressure);
        names.emplace_back(pressure.subsystem);
        warnings_seen.push_back(log_.warnings().size());
    });

    budget.report("Chunks", 850, 1);
    EXPECT_TRUE(calls.empty());
    budget.report("Chunks", 900, 1);
    budget.report("Chunks", 950, 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(names[0], "Chunks");
    EXPECT_EQ(calls[0].current_bytes, 900u);
    EXPECT_EQ(calls[0].budget_bytes, 1000u);
    EXPECT_EQ(calls[0].threshold_bytes, 850u);
    EXPECT_EQ(calls[0].excess_bytes, 50u);
    EXPECT_EQ(warnings_seen[0], 1u) << "the callback runs after the warning";

    budget.report("Chunks", 100, 1);
    budget.report("Chunks", 851, 1);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].excess_bytes, 1u);
}

TEST_F(MemoryPressureCallbacks, OnlyTheCrossingSubsystemsCallbacksRun) {
    nd::MemoryBudget budget;
    int chunk_calls = 0;
    int mesh_calls = 0;
    budget.add_pressure_callback("Chunks", [&](const nd::MemoryPressure&) { ++chunk_calls; });
    budget.add_pressure_callback("Meshes", [&](const nd::MemoryPressure&) { ++mesh_calls; });
    budget.add_pressure_callback("Chunks", [&](const nd::MemoryPressure&) { ++chunk_calls; });
    budget.set_budget("Chunks", 100);
    budget.set_budget("Meshes", 100);
    budget.report("Chunks", 99, 1);
    EXPECT_EQ(chunk_calls, 2);
    EXPECT_EQ(mesh_calls, 0);
}

TEST_F(MemoryPressureCallbacks, RemovedCallbackIsNotCalled) {
    nd::MemoryBudget budget;
    budget.set_budget("Audio", 100);
    int kept_calls = 0;
    int removed_calls = 0;
    const nd::PressureCallbackId kept =
        budget.add_pressure_callback("Audio", [&](const nd::MemoryPressure&) { ++kept_calls; });
    const nd::PressureCallbackId removed =
        budget.add_pressure_callback("Audio", [&](const nd::MemoryPressure&) { ++removed_calls; });
    EXPECT_NE(kept, removed);
    budget.remove_pressure_callback(removed);
    budget.remove_pressure_callback(removed + 1000);  // unknown ids are ignored

    budget.report("Audio", 90, 1);
    EXPECT_EQ(kept_calls, 1);
    EXPECT_EQ(removed_calls, 0);
}

TEST_F(MemoryPressureCallbacks, CallbackMayReportIntoTheSameBudget) {
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 1000);
    int calls = 0;
    budget.add_pressure_callback("Chunks", [&](const nd::MemoryPressure& pressure) {
        ++calls;
        // What a chunk manager does: unload distant chunks and report what is left.
        budget.report("Chunks", pressure.threshold_bytes - 100, 1);
        budget.set_budget("Meshes", 5);
    });

    budget.report("Chunks", 990, 1);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(budget.subsystem("Chunks")->current_bytes, 750u);
    EXPECT_FALSE(budget.is_over_budget("Chunks"));
    EXPECT_EQ(budget.subsystem("Meshes")->budget_bytes, 5u);

    budget.report("Chunks", 900, 1);
    EXPECT_EQ(calls, 2) << "shedding below the threshold re-arms the crossing";
}

TEST_F(MemoryPressureCallbacks, CallbackMayRemoveItselfAndOthers) {
    nd::MemoryBudget budget;
    budget.set_budget("Textures", 100);
    int self_removing_calls = 0;
    int later_calls = 0;
    nd::PressureCallbackId self_removing = 0;
    nd::PressureCallbackId later = 0;
    self_removing = budget.add_pressure_callback("Textures", [&](const nd::MemoryPressure&) {
        ++self_removing_calls;
        budget.remove_pressure_callback(self_removing);
        budget.remove_pressure_callback(later);
    });
    later =
        budget.add_pressure_callback("Textures", [&](const nd::MemoryPressure&) { ++later_calls; });

    budget.report("Textures", 90, 1);
    budget.report("Textures", 0, 1);
    budget.report("Textures", 90, 1);
    EXPECT_EQ(self_removing_calls, 1);
    EXPECT_EQ(later_calls, 0) << "removed by an earlier callback of the same crossing";
}

TEST_F(MemoryPressureCallbacks, ThrowingCallbackIsLoggedAndOthersStillRun) {
    nd::MemoryBudget budget;
    budget.set_budget("Physics", 100);
    int later_calls = 0;
    budget.add_pressure_callback(
        "Physics", [](const nd::MemoryPressure&) { throw std::runtime_error("collider pool"); });
    budget.add_pressure_callback("Physics", [&](const nd::MemoryPressure&) { ++later_calls; });

    EXPECT_NO_THROW(budget.report("Physics", 99, 1));
    EXPECT_EQ(later_calls, 1);
    ASSERT_EQ(log_.errors().size(), 1u);
    EXPECT_THAT(log_.errors()[0], HasSubstr("collider pool"));
}

TEST_F(MemoryPressureCallbacks, RemoveWaitsForTheCallbackRunningOnAnotherThread) {
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 100);
    std::atomic<bool> started = false;
    std::atomic<bool> finished = false;
    const nd::PressureCallbackId id =
        budget.add_pressure_callback("Chunks", [&](const nd::MemoryPressure&) {
            started = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            finished = true;
        });

    std::thread reporter([&] { budget.report("Chunks", 99, 1); });
    while (!started) {
        std::this_thread::yield();
    }
    budget.remove_pressure_callback(id);
    EXPECT_TRUE(finished) << "remove returned while the callback was still running";
    reporter.join();
}

// ---------------------------------------------------------------------------------------------
// Threads

TEST_F(MemoryBudgetThreads, ConcurrentReportsKeepEveryRowConsistent) {
    nd::MemoryBudget budget;
    constexpr int kThreads = 4;
    constexpr int kCrossings = 200;
    const std::vector<std::string> names = {"Audio", "Chunks", "Meshes", "Textures"};
    std::vector<std::atomic<int>> callback_calls(kThreads);
    for (int thread = 0; thread < kThreads; ++thread) {
        budget.set_budget(names[thread], 1000);
        budget.add_pressure_callback(
            names[thread],
            [&callback_calls, thread](const nd::MemoryPressure&) { ++callback_calls[thread]; });
    }

    std::atomic<bool> done = false;
    std::thread reader([&] {
        while (!done) {
            EXPECT_LE(budget.subsystems().size(), 5u);
            (void)budget.total_current();
            (void)budget.is_over_budget("Shared");
        }
    });
    std::vector<std::thread> reporters;
    for (int thread = 0; thread < kThreads; ++thread) {
        reporters.emplace_back([&, thread] {
            for (int crossing = 0; crossing < kCrossings; ++crossing) {
                budget.report(names[thread], 900 + thread, 2);  // over 850
                budget.report(names[thread], 100 + thread, 1);  // back under
                budget.report("Shared", static_cast<std::size_t>(thread * 1000 + crossing), 1);
            }
        });
    }
    for (auto& reporter : reporters) {
        reporter.join();
    }
    done = true;
    reader.join();

    for (int thread = 0; thread < kThreads; ++thread) {
        const auto row = budget.subsystem(names[thread]);
        ASSERT_TRUE(row.has_value());
        EXPECT_EQ(row->current_bytes, 100u + thread);
        EXPECT_EQ(row->peak_bytes, 900u + thread);
        EXPECT_EQ(row->allocation_count, 1u);
        EXPECT_EQ(callback_calls[thread], kCrossings);
    }
    const auto shared = budget.subsystem("Shared");
    ASSERT_TRUE(shared.has_value());
    EXPECT_EQ(shared->peak_bytes, (kThreads - 1) * 1000u + kCrossings - 1);
    EXPECT_EQ(shared->current_bytes % 1000, kCrossings - 1u) << "some thread's last report";
    EXPECT_EQ(budget.total_current(), 100u + 101 + 102 + 103 + shared->current_bytes);
    EXPECT_EQ(log_.warnings().size(), static_cast<std::size_t>(kThreads * kCrossings));
}

TEST_F(MemoryBudgetThreads, CallbacksAddedAndRemovedWhileReporting) {
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 100);
    std::atomic<bool> done = false;
    std::atomic<int> calls = 0;
    std::thread reporter([&] {
        while (!done) {
            budget.report("Chunks", 99, 1);
            budget.report("Chunks", 0, 1);
        }
    });
    for (int round = 0; round < 500; ++round) {
        const auto id =
            budget.add_pressure_callback("Chunks", [&](const nd::MemoryPressure&) { ++calls; });
        std::this_thread::yield();
        budget.remove_pressure_callback(id);
    }
    const int calls_after_removal = calls;
    done = true;
    reporter.join();
    EXPECT_EQ(calls, calls_after_removal) << "a removed callback ran after its removal";
}

// ---------------------------------------------------------------------------------------------
// Defaults and display

TEST_F(DefaultBudgets, AreTheSeeds) {
    nd::MemoryBudget budget;
    budget.set_warning_threshold(0.5f);
    nd::configure_default_budgets(budget);

    EXPECT_EQ(budget.total_budget(), 4 * kGiB);
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.85f);
    const std::vector<std::pair<std::string, std::size_t>> expected = {
        {"Audio", 128 * kMiB},  {"Chunks", 1 * kGiB},    {"Entities", 256 * kMiB},
        {"Meshes", 512 * kMiB}, {"Physics", 256 * kMiB}, {"Textures", 512 * kMiB},
    };
    std::vector<std::pair<std::string, std::size_t>> actual;
    for (const auto& [name, memory] : budget.subsystems()) {
        actual.emplace_back(name, memory.budget_bytes);
        EXPECT_EQ(memory.current_bytes, 0u) << name;
    }
    EXPECT_EQ(actual, expected);
}

struct FormatCase {
    std::size_t bytes;
    const char* text;
};

void PrintTo(const FormatCase& c, std::ostream* out) {
    *out << c.bytes << " -> " << c.text;
}

class FormatMemory : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatMemory, MatchesTheSeed) {
    EXPECT_EQ(nd::format_memory(GetParam().bytes), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    SeedFormat, FormatMemory,
    ::testing::Values(FormatCase{0, "0 B"}, FormatCase{500, "500 B"}, FormatCase{1023, "1023 B"},
                      FormatCase{1024, "1.0 KB"}, FormatCase{1536, "1.5 KB"},
                      FormatCase{2048, "2.0 KB"}, FormatCase{kMiB - 1, "1024.0 KB"},
                      FormatCase{kMiB, "1.0 MB"}, FormatCase{5 * kMiB, "5.0 MB"},
                      FormatCase{890 * kMiB + 300 * kKiB, "890.3 MB"},
                      FormatCase{kGiB - 1, "1024.0 MB"}, FormatCase{kGiB, "1.00 GB"},
                      FormatCase{kGiB + kGiB / 2, "1.50 GB"}, FormatCase{4 * kGiB, "4.00 GB"},
                      FormatCase{kTiB, "1024.00 GB"}));

}  // namespace

TEST(MemoryBudgetVisit, ListsEveryRowInNameOrderWithItsState) {
    nd::MemoryBudget budget;
    budget.set_budget("Textures", 100);
    budget.report("Textures", 90, 2);
    budget.report("Audio", 5, 1);
    std::vector<std::string> names;
    std::vector<bool> over;
    std::size_t bytes = 0;
    budget.for_each_subsystem(
        [&](std::string_view name, const nd::SubsystemMemory& memory, bool over_budget) {
            names.emplace_back(name);
            over.push_back(over_budget);
            bytes += memory.current_bytes;
        });
    EXPECT_THAT(names, ElementsAre("Audio", "Textures"));
    EXPECT_THAT(over, ElementsAre(false, true));
    EXPECT_EQ(bytes, budget.total_current());
}
