#include "terminal_table.hpp"

#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace nd = nebula::debug;
namespace demo = nebula::demo;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::string line_starting_with(const std::string& text, const std::string& start) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(start, 0) == 0) {
            return line;
        }
    }
    return {};
}

class TerminalTable : public ::testing::Test {
protected:
    TerminalTable() {
        budget_.set_budget("Textures", 512 * kMiB);
        budget_.set_budget("Meshes", 512 * kMiB);
        budget_.report("Textures", 440 * kMiB, 3);  // 86%: over the 85% threshold
        budget_.report("Meshes", 256 * kMiB, 2);    // 50%
        budget_.report("Audio", 3 * kMiB, 1);       // no budget
    }
    nd::MemoryBudget budget_;
};

TEST_F(TerminalTable, HasThePanelsColumnsAndARowPerSubsystem) {
    const std::string table = demo::memory_table(budget_, false);
    const std::string header = line_starting_with(table, "Subsystem");
    EXPECT_THAT(header, ContainsRegex(nd::tracking_allocator_enabled()
                                          ? "Current +Allocator +Gap +Peak +Budget +Usage"
                                          : "Current +Peak +Budget +Usage"));
    const std::string meshes = line_starting_with(table, "Meshes");
    EXPECT_THAT(meshes, HasSubstr("256.0 MB"));
    EXPECT_THAT(meshes, HasSubstr("512.0 MB"));
    EXPECT_THAT(meshes, HasSubstr("[##########..........]   50.0%"));
    EXPECT_THAT(line_starting_with(table, "Audio"), ContainsRegex("N/A +\\[\\.{20}\\] +0\\.0%"));
    EXPECT_THAT(table, HasSubstr("Tracked Total: 699.0 MB  /  Budget: N/A"));
    EXPECT_THAT(table, HasSubstr("\nResident "));
}

TEST_F(TerminalTable, UntaggedRowShowsTheAllocatorsBytesOutsideEveryTag) {
    const std::string table = demo::memory_table(budget_, false);
    if (!nd::tracking_allocator_enabled()) {
        EXPECT_THAT(table, Not(HasSubstr("Untagged")));
        return;
    }
    const std::vector<char> untagged(64 * kMiB, 'u');  // made outside every MemoryScope
    const std::string row = line_starting_with(demo::memory_table(budget_, false), "Untagged");
    // Current, Allocator, Gap, Peak, Budget; no usage bar: no subsystem reports these bytes.
    EXPECT_THAT(row, ContainsRegex("^Untagged +- +[0-9.]+ MB +- +- +-$"));
    EXPECT_GE(std::stod(row.substr(row.find_first_of("0123456789"))), 64.0);
    // Last of the rows, right above the totals.
    EXPECT_THAT(table, ContainsRegex("\nUntagged [^\n]*\nTracked Total: "));
}

TEST_F(TerminalTable, ResidentLineSplitsResidentMemoryByWhatHoldsIt) {
    nd::ResidentBreakdown resident;
    resident.resident_bytes = 200 * kMiB;
    resident.heap_bytes = 100 * kMiB;
    resident.code_bytes = 40 * kMiB;
    resident.file_bytes = 20 * kMiB;
    resident.stack_bytes = 8 * kMiB;
    resident.gpu_bytes = 12 * kMiB;
    resident.other_anonymous_bytes = 15 * kMiB;
    resident.other_bytes = 5 * kMiB;
    EXPECT_EQ(demo::resident_line(resident, 70 * kMiB, true),
              "Resident 200.0 MB = tracked 70.0 MB + allocator overhead 30.0 MB + code 40.0 MB + "
              "mapped files 20.0 MB + stacks 8.0 MB + GPU 12.0 MB + other 20.0 MB "
              "(10.0% unattributed)");
    // Tracked bytes not yet resident (a large block never written) are not shown as resident.
    EXPECT_THAT(demo::resident_line(resident, 300 * kMiB, true),
                HasSubstr("= tracked 100.0 MB + allocator overhead 0 B + "));
    EXPECT_THAT(demo::resident_line(resident, 0, false),
                StartsWith("Resident 200.0 MB = heap 100.0 MB + code"));
    EXPECT_EQ(demo::resident_line(nd::ResidentBreakdown{}, 0, true), "Resident: N/A");

    const std::string table = demo::memory_table(budget_, false);
    EXPECT_THAT(table, ContainsRegex("\nResident [0-9.]+ [KMG]?B = .* \\+ other [0-9.]+ [KMG]?B "
                                     "\\([0-9]+\\.[0-9]% unattributed\\)\n"));
}

TEST_F(TerminalTable, RowsComeSortedByName) {
    const std::string table = demo::memory_table(budget_, false);
    const std::size_t audio = table.find("\nAudio");
    const std::size_t meshes = table.find("\nMeshes");
    const std::size_t textures = table.find("\nTextures");
    EXPECT_LT(audio, meshes);
    EXPECT_LT(meshes, textures);
}

TEST_F(TerminalTable, OverBudgetRowsAreRedOnlyWhenColourIsWanted) {
    const std::string coloured = demo::memory_table(budget_, true);
    EXPECT_THAT(coloured, HasSubstr("\x1b[31mTextures"));
    EXPECT_THAT(line_starting_with(coloured, "\x1b[31mTextures"),
                HasSubstr("over threshold\x1b[0m"));
    EXPECT_THAT(line_starting_with(coloured, "Meshes"), Not(HasSubstr("\x1b[")));

    const std::string plain = demo::memory_table(budget_, false);
    EXPECT_THAT(plain, Not(HasSubstr("\x1b[")));
    EXPECT_THAT(line_starting_with(plain, "Textures"), HasSubstr("over threshold"));
}

TEST_F(TerminalTable, GlobalLineAndAllocatorColumnsFollowTracking) {
    const std::string table = demo::memory_table(budget_, false);
    if (nd::tracking_allocator_enabled()) {
        EXPECT_THAT(table, StartsWith("Global: "));
        EXPECT_THAT(table, HasSubstr("Live allocs: "));
        EXPECT_THAT(table, HasSubstr("Tracking overhead: "));
    } else {
        EXPECT_THAT(table, Not(HasSubstr("Global: ")));
        EXPECT_THAT(table, Not(HasSubstr("Allocator")));
    }
}

TEST_F(TerminalTable, SummaryNamesPeaksAndThresholdCrossings) {
    demo::RunSummary summary;
    summary.scenario = "explore";
    summary.frames = 120;
    summary.reporting_seconds = 0.0006;
    summary.simulated_seconds = 2.0;
    summary.wall_seconds = 0.5;
    summary.peak_tracked_total = 700 * kMiB;
    summary.threshold_crossings["Textures"] = 2;
    const std::string text = demo::summary_text(summary, budget_);
    EXPECT_THAT(text, StartsWith("Summary: scenario explore, 120 frames, 2.0 s simulated in 0.50 s "
                                 "(4.17 ms/frame)\n  Memory reporting: 5.0 us/frame"));
    EXPECT_THAT(text, HasSubstr("Peak tracked total: 700.0 MB / N/A"));
    EXPECT_THAT(text, ContainsRegex("Textures +peak +440\\.0 MB =  85\\.9% of 512\\.0 MB, crossed "
                                    "its warning threshold 2 times"));
}

TEST_F(TerminalTable, MarksRowsTheLeakWatchSuspects) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    std::vector<char> forgotten;
    {
        nd::MemoryScope scope("TableLeaky");
        forgotten.resize(3 * kMiB);
    }
    budget_.report("TableLeaky", 0, 0);
    nd::LeakWatch watch(1 * kMiB);
    watch.check(budget_);
    const std::string table = demo::memory_table(budget_, false, &watch);
    EXPECT_THAT(table, ContainsRegex("\nTableLeaky .*  leak\\? gap over 1\\.0 MB\n"));
    EXPECT_THAT(table, Not(ContainsRegex("\nTextures .*leak")));
}

}  // namespace
