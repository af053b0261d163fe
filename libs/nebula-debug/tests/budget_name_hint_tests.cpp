// Budget rows and tags meet only by equal names: a report() or MemoryScope name that resembles a
// budget row without being one is logged once, naming the row.
#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "log_capture.hpp"

namespace nd = nebula::debug;
using nd::testing::LogCapture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

long hints(const LogCapture& log) {
    const auto warnings = log.warnings();
    return std::count_if(warnings.begin(), warnings.end(), [](const std::string& warning) {
        return warning.find("did you mean") != std::string::npos;
    });
}

TEST(BudgetNameHint, ReportedTypoOfABudgetRowIsLoggedOnce) {
    LogCapture log;
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 1024 * kMiB);
    budget.report("Chunkz", 10 * kMiB, 1);
    budget.report("Chunkz", 11 * kMiB, 1);
    EXPECT_THAT(log.warnings(),
                ElementsAre("Subsystem 'Chunkz' matches no budget row: did you mean 'Chunks'?"));
    ASSERT_TRUE(budget.subsystem("Chunkz"));
    EXPECT_EQ(budget.subsystem("Chunkz")->current_bytes, 11 * kMiB);
}

TEST(BudgetNameHint, OtherCaseAndSwappedLettersAreHinted) {
    LogCapture log;
    nd::MemoryBudget budget;
    budget.set_budget("Meshes", 512 * kMiB);
    budget.set_budget("Textures", 512 * kMiB);
    budget.report("meshes", kMiB, 1);
    budget.report("Texteurs", kMiB, 1);
    const auto warnings = log.warnings();
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_THAT(warnings[0], HasSubstr("'meshes' matches no budget row: did you mean 'Meshes'?"));
    EXPECT_THAT(warnings[1], HasSubstr("did you mean 'Textures'?"));
}

TEST(BudgetNameHint, DistinctNamesAreNotHinted) {
    LogCapture log;
    nd::MemoryBudget budget;
    nd::configure_default_budgets(budget);
    budget.set_budget("AI", 64 * kMiB);
    budget.report("UI", kMiB, 1);          // two letters: case only
    budget.report("Chunks", kMiB, 1);      // the row itself
    budget.report("Mesh", kMiB, 1);        // two letters short of "Meshes"
    budget.report("Navigation", kMiB, 1);  // like no row
    budget.report("Chunk LOD", kMiB, 1);
    EXPECT_EQ(hints(log), 0);
}

TEST(BudgetNameHint, OnlyBudgetRowsAreSuggested) {
    LogCapture log;
    nd::MemoryBudget budget;
    budget.report("Particles", kMiB, 1);  // reported, no budget
    budget.report("Particels", kMiB, 1);
    EXPECT_EQ(hints(log), 0);
}

TEST(BudgetNameHint, TagResemblingABudgetRowIsLoggedOnceByTheNextReport) {
    LogCapture log;
    nd::MemoryBudget budget;
    // Registered before the row exists: compared again when the row appears.
    nd::memory_tag("Physiks");
    budget.set_budget("Physics", 256 * kMiB);
    EXPECT_EQ(hints(log), 0) << "no check outside report()";
    budget.report("Audio", kMiB, 1);
    budget.report("Audio", kMiB, 1);
    EXPECT_THAT(log.warnings(), ElementsAre("Memory tag 'Physiks' matches no budget row: did you "
                                            "mean 'Physics'?"));
}

TEST(BudgetNameHint, MemoryScopeTypoIsHinted) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking compiled out: MemoryScope registers no tag";
    }
    LogCapture log;
    nd::MemoryBudget budget;
    budget.set_budget("Entities", 256 * kMiB);
    { nd::MemoryScope scope("Entitites"); }
    budget.report("Entities", kMiB, 1);
    EXPECT_THAT(log.warnings(), ElementsAre("Memory tag 'Entitites' matches no budget row: did "
                                            "you mean 'Entities'?"));
}

TEST(BudgetNameHint, TagThatIsARowIsNotHinted) {
    LogCapture log;
    nd::MemoryBudget budget;
    budget.set_budget("Voxels", 64 * kMiB);
    budget.set_budget("Voxel", 64 * kMiB);
    nd::memory_tag("Voxel");
    budget.report("Voxels", kMiB, 1);
    EXPECT_THAT(log.warnings(), IsEmpty());
}

}  // namespace
