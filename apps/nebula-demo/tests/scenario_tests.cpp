// Each scenario run headless at 60 frames a second, as nebula-demo --headless runs it, with a
// small view distance so that the sanitizer builds stay quick.
#include "scenarios.hpp"
#include "session.hpp"
#include "world/voxel_world.hpp"

#include "log_capture.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <string>

namespace nd = nebula::debug;
namespace demo = nebula::demo;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

demo::WorldSettings small_world(int view_distance) {
    demo::WorldSettings settings;
    settings.view_distance = view_distance;
    return settings;
}

std::size_t current(const nd::MemoryBudget& budget, std::string_view name) {
    return budget.subsystem(name).value_or(nd::SubsystemMemory{}).current_bytes;
}

// Runs frames first..last (inclusive) and calls each_frame(seconds) after each.
void run_frames(demo::DemoSession& session, long first, long last, const auto& each_frame) {
    for (long frame = first; frame <= last; ++frame) {
        const double seconds = static_cast<double>(frame) / demo::kFramesPerSecond;
        session.advance(seconds);
        each_frame(seconds);
    }
}

TEST(Scenarios, ExploreMovesEveryRowUpAndDown) {
    nd::MemoryBudget budget;
    demo::VoxelWorld::configure_budgets(budget);
    demo::DemoSession session(budget, *demo::find_scenario("explore"), small_world(2));
    std::map<std::string_view, std::size_t> lowest;
    std::map<std::string_view, std::size_t> highest;
    std::map<std::string_view, bool> fell;
    std::map<std::string_view, std::size_t> previous;
    run_frames(session, 1, 600, [&](double seconds) {
        for (const std::string_view name : demo::kSubsystemNames) {
            const std::size_t now = current(budget, name);
            if (seconds > 2.0) {  // after the first load around the start
                lowest[name] = std::min(lowest.contains(name) ? lowest[name] : now, now);
                highest[name] = std::max(highest[name], now);
                fell[name] = fell[name] || now < previous[name];
            }
            previous[name] = now;
        }
    });
    for (const std::string_view name : demo::kSubsystemNames) {
        // Physics is reported from the allocator's Physics tag, which reads zero with tracking
        // compiled out.
        if (name == "Physics" && !nd::tracking_allocator_enabled()) {
            EXPECT_EQ(highest[name], 0u);
            continue;
        }
        EXPECT_GT(lowest[name], 0u) << name;
        EXPECT_LT(lowest[name], highest[name]) << name << " never moved";
        // Entity tables keep their capacity until mostly empty, as archetype storage does.
        if (name != "Entities") {
            EXPECT_TRUE(fell[name]) << name << " never gave memory back";
        }
    }
    EXPECT_EQ(session.world().pressure_responses(), 0);
    EXPECT_EQ(session.leak_watch().warnings_logged(), 0u);
}

TEST(Scenarios, ExploreAllocatesUnderEachTagAndGivesItAllBack) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    std::map<std::string_view, std::size_t> before;
    for (const std::string_view name : demo::kSubsystemNames) {
        before[name] = nd::allocator_stats(name).allocated_bytes;
    }
    nd::MemoryBudget budget;
    {
        demo::DemoSession session(budget, *demo::find_scenario("explore"), small_world(2));
        run_frames(session, 1, 120, [](double) {});
        for (const std::string_view name : {"Chunks", "Meshes", "Entities", "Audio", "Physics"}) {
            const std::size_t held = nd::allocator_stats(name).allocated_bytes - before[name];
            EXPECT_GE(held, current(budget, name)) << name;
            // Without a leak, reports and the allocator agree to within container overhead.
            EXPECT_LT(held - current(budget, name), 256 * 1024) << name;
        }
    }
    for (const std::string_view name : demo::kSubsystemNames) {
        EXPECT_EQ(nd::allocator_stats(name).allocated_bytes, before[name]) << name;
    }
}

TEST(Scenarios, SameScriptSameMemory) {
    nd::MemoryBudget first;
    nd::MemoryBudget second;
    demo::DemoSession a(first, *demo::find_scenario("explore"), small_world(2));
    demo::DemoSession b(second, *demo::find_scenario("explore"), small_world(2));
    run_frames(a, 1, 120, [](double) {});
    run_frames(b, 1, 120, [](double) {});
    for (const std::string_view name : {"Chunks", "Meshes", "Textures", "Entities", "Audio"}) {
        EXPECT_EQ(current(first, name), current(second, name)) << name;
    }
}

TEST(Scenarios, SectorTransitionSpikesThenFallsBack) {
    const demo::Scenario scenario = *demo::find_scenario("sector-transition");
    ASSERT_TRUE(scenario.sector_jump_seconds);
    const double jump = *scenario.sector_jump_seconds;
    nd::MemoryBudget budget;
    demo::VoxelWorld::configure_budgets(budget);
    demo::DemoSession session(budget, scenario, small_world(2));
    std::size_t before = 0;
    std::size_t peak_during = 0;
    run_frames(session, 1, static_cast<long>((jump + 4.0) * demo::kFramesPerSecond),
               [&](double seconds) {
                   const std::size_t chunks = current(budget, "Chunks");
                   if (seconds < jump) {
                       before = chunks;
                   } else if (seconds < jump + scenario.old_sector_hold_seconds) {
                       peak_during = std::max(peak_during, chunks);
                       EXPECT_TRUE(session.world().chunks().retaining()) << seconds;
                   }
               });
    const std::size_t after = current(budget, "Chunks");
    EXPECT_EQ(session.world().camera().sector, 1);
    EXPECT_FALSE(session.world().chunks().retaining());
    EXPECT_GT(peak_during, before * 3 / 2) << "old and new sectors loaded at once";
    EXPECT_GT(peak_during, after * 3 / 2);
    EXPECT_LT(after, before * 3 / 2) << "the old sector was unloaded";
    EXPECT_GE(budget.subsystem("Chunks")->peak_bytes, peak_during);
    const auto events = session.take_events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_NE(events[0].find("jumped to sector 1"), std::string::npos) << events[0];
}

TEST(Scenarios, PressureShedsChunksAndShrinksTheView) {
    nd::MemoryBudget budget;
    demo::VoxelWorld::configure_budgets(budget);
    ASSERT_TRUE(
        nd::load_budget_config_string(budget, "[memory.budgets]\nChunks = \"1 MiB\"\n").empty());
    constexpr int kViewDistance = 4;
    demo::DemoSession session(budget, *demo::find_scenario("pressure"), small_world(kViewDistance));
    std::size_t highest = 0;
    run_frames(session, 1, 300,
               [&](double) { highest = std::max(highest, current(budget, "Chunks")); });
    EXPECT_GE(session.world().pressure_responses(), 1);
    EXPECT_LT(session.world().chunks().view_distance(), kViewDistance);
    EXPECT_LE(current(budget, "Chunks"), 1 * kMiB);
    EXPECT_EQ(current(budget, "Chunks"), session.world().chunks().bytes());
    EXPECT_GE(session.summary().threshold_crossings["Chunks"], 1);
    const auto events = session.take_events();
    ASSERT_FALSE(events.empty());
    EXPECT_NE(events[0].find("pressure: Chunks at"), std::string::npos) << events[0];
}

TEST(Scenarios, LeakOpensAGapThatIsWarnedAboutOnce) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out: no allocator view to compare with";
    }
    nd::testing::LogCapture log;
    nd::MemoryBudget budget;
    demo::VoxelWorld::configure_budgets(budget);
    demo::DemoSession session(budget, *demo::find_scenario("leak"), small_world(2));
    const auto gap = [](const nd::MemoryBudget& b) {
        return static_cast<std::int64_t>(nd::allocator_stats("Meshes").allocated_bytes) -
               static_cast<std::int64_t>(current(b, "Meshes"));
    };
    run_frames(session, 1, 180, [](double) {});
    const std::int64_t gap_at_start = gap(budget);
    const std::size_t reported_at_start = current(budget, "Meshes");
    run_frames(session, 181, 900, [](double) {});

    EXPECT_GE(gap(budget) - gap_at_start, static_cast<std::int64_t>(demo::kLeakGapThresholdBytes));
    EXPECT_LT(current(budget, "Meshes"), reported_at_start * 3 / 2) << "the reports stay flat";
    EXPECT_GE(static_cast<std::int64_t>(session.world().meshes().leaked_bytes()),
              gap(budget) - gap_at_start);
    EXPECT_TRUE(session.leak_watch().is_suspect("Meshes"));
    EXPECT_FALSE(session.leak_watch().is_suspect("Chunks"));
    int leak_warnings = 0;
    for (const std::string& warning : log.warnings()) {
        leak_warnings += warning.find("does not report") != std::string::npos ? 1 : 0;
        if (warning.find("does not report") != std::string::npos) {
            EXPECT_NE(warning.find("Subsystem 'Meshes' holds"), std::string::npos) << warning;
        }
    }
    EXPECT_EQ(leak_warnings, 1);
}

}  // namespace
