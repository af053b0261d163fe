#include "workload.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace nd = nebula::debug;
namespace demo = nebula::demo;

namespace {

constexpr double kStep = 1.0 / 60.0;

// Runs the workload at 60 frames a second from `from` to `to` seconds, reporting every frame.
void run(demo::Workload& workload, nd::MemoryBudget& budget, double from, double to,
         const auto& each_frame) {
    for (double seconds = from; seconds < to; seconds += kStep) {
        workload.update(seconds);
        workload.report(budget);
        each_frame(seconds);
    }
}

std::size_t current(const nd::MemoryBudget& budget, std::string_view name) {
    return budget.subsystem(name).value_or(nd::SubsystemMemory{}).current_bytes;
}

TEST(Workload, DrivesTheSeedsSixSubsystems) {
    nd::MemoryBudget budget;
    demo::Workload::configure_budgets(budget);
    demo::Workload workload;
    run(workload, budget, 0.0, 2.0, [](double) {});

    std::vector<std::string> names;
    for (const auto& [name, memory] : budget.subsystems()) {
        names.push_back(name);
        EXPECT_GT(memory.current_bytes, 0u) << name;
        EXPECT_GT(memory.allocation_count, 0u) << name;
        EXPECT_GT(memory.budget_bytes, 0u) << name;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"Audio", "Chunks", "Entities", "Meshes", "Physics",
                                               "Textures"}));
    EXPECT_FALSE(workload.loaded_columns().empty());
}

TEST(Workload, AllocatesUnderEachSubsystemsTagAndFreesOnRelease) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    std::map<std::string_view, std::size_t> before;
    for (const std::string_view name : demo::kSubsystemNames) {
        before[name] = nd::allocator_stats(name).allocated_bytes;
    }
    nd::MemoryBudget budget;
    {
        demo::Workload workload;
        run(workload, budget, 0.0, 1.0, [](double) {});
        for (const std::string_view name : demo::kSubsystemNames) {
            // The allocator holds at least what the subsystem reports: containers keep slack.
            EXPECT_GE(nd::allocator_stats(name).allocated_bytes - before[name],
                      current(budget, name))
                << name;
        }
    }
    for (const std::string_view name : demo::kSubsystemNames) {
        EXPECT_EQ(nd::allocator_stats(name).allocated_bytes, before[name]) << name;
    }
}

TEST(Workload, StreamsUpAndDownAndSpikesAtTheSectorTransition) {
    nd::MemoryBudget budget;
    demo::Workload::configure_budgets(budget);
    demo::Workload workload;
    std::size_t lowest_after_warm_up = SIZE_MAX;
    std::size_t highest_before_transition = 0;
    bool over_during_transition = false;
    bool audio_burst_seen = false;
    run(workload, budget, 0.0, 16.0, [&](double seconds) {
        const std::size_t chunks = current(budget, "Chunks");
        if (seconds > 2.0 && seconds < 11.0) {
            highest_before_transition = std::max(highest_before_transition, chunks);
        }
        if (seconds > 2.0) {
            lowest_after_warm_up = std::min(lowest_after_warm_up, chunks);
        }
        over_during_transition |=
            workload.view().sector_transition && budget.is_over_budget("Chunks");
        audio_burst_seen |= workload.view().sound_burst && budget.is_over_budget("Audio");
    });
    EXPECT_GT(highest_before_transition, lowest_after_warm_up * 5 / 4) << "the radius breathes";
    EXPECT_TRUE(over_during_transition) << "old and new sectors loaded together";
    EXPECT_TRUE(audio_burst_seen);
    EXPECT_LT(current(budget, "Chunks"), budget.subsystem("Chunks")->peak_bytes / 2)
        << "the old sector was unloaded after the transition";
}

TEST(Workload, SameClockSameMemory) {
    nd::MemoryBudget first;
    nd::MemoryBudget second;
    demo::Workload a;
    demo::Workload b;
    run(a, first, 0.0, 3.0, [](double) {});
    run(b, second, 0.0, 3.0, [](double) {});
    for (const std::string_view name : demo::kSubsystemNames) {
        EXPECT_EQ(current(first, name), current(second, name)) << name;
    }
}

}  // namespace
