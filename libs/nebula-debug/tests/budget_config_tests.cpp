// The TOML budgets config: every key applied, sizes and units, and every kind of bad input
// reported with its file and line while the values in force stay.
#include <nebula/debug/memory_budget.hpp>

#include "log_capture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

namespace {

namespace nd = nebula::debug;
using nd::testing::LogCapture;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * kKiB;
constexpr std::size_t kGiB = 1024 * kMiB;

// A file under the test's temporary directory, removed when the test ends.
class TempFile {
public:
    TempFile(const std::string& name, const std::string& text)
        : path_(::testing::TempDir() + name) {
        std::ofstream(path_) << text;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::string& path() const { return path_; }

private:
    std::string path_;
};

nd::MemoryBudget& with_defaults(nd::MemoryBudget& budget) {
    nd::configure_default_budgets(budget);
    return budget;
}

std::size_t budget_of(const nd::MemoryBudget& budget, std::string_view name) {
    const auto row = budget.subsystem(name);
    return row ? row->budget_bytes : 0;
}

// Every default unchanged: what a config that could not be applied must leave.
void expect_defaults(const nd::MemoryBudget& budget) {
    nd::MemoryBudget defaults;
    nd::configure_default_budgets(defaults);
    EXPECT_EQ(budget.total_budget(), defaults.total_budget());
    EXPECT_FLOAT_EQ(budget.warning_threshold(), defaults.warning_threshold());
    ASSERT_EQ(budget.subsystems().size(), defaults.subsystems().size());
    for (const auto& [name, memory] : defaults.subsystems()) {
        EXPECT_EQ(budget_of(budget, name), memory.budget_bytes) << name;
    }
}

// Expected errors are logged too; capturing them keeps the test output readable.
class BudgetConfig : public ::testing::Test {
protected:
    LogCapture log_;
};

template <class Param>
class BudgetConfigTable : public ::testing::TestWithParam<Param> {
protected:
    LogCapture log_;
};

// ---------------------------------------------------------------------------------------------
// Valid configs

TEST_F(BudgetConfig, ValidFileAppliesEveryKey) {
    const TempFile file("valid_budgets.toml", R"(# Nebula memory budgets
[memory]
total_budget = "6 GiB"
warning_threshold = 0.9

[memory.budgets]
Chunks = "2 GiB"
Meshes = 268435456
"Voxel Lights" = "1.5GiB"
)");
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors = nd::load_budget_config(budget, file.path());

    EXPECT_THAT(errors, IsEmpty());
    EXPECT_EQ(budget.total_budget(), 6 * kGiB);
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.9f);
    EXPECT_EQ(budget_of(budget, "Chunks"), 2 * kGiB);
    EXPECT_EQ(budget_of(budget, "Meshes"), 256 * kMiB);
    EXPECT_EQ(budget_of(budget, "Voxel Lights"), kGiB + kGiB / 2);
    EXPECT_EQ(budget_of(budget, "Textures"), 512 * kMiB) << "keys not in the file keep defaults";
}

TEST_F(BudgetConfig, EmptyConfigChangesNothing) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    EXPECT_THAT(nd::load_budget_config_string(budget, ""), IsEmpty());
    EXPECT_THAT(nd::load_budget_config_string(budget, "[memory]\n[memory.budgets]\n"), IsEmpty());
    expect_defaults(budget);
}

TEST_F(BudgetConfig, ThresholdOfOneIsValid) {
    nd::MemoryBudget budget;
    EXPECT_THAT(nd::load_budget_config_string(budget, "[memory]\nwarning_threshold = 1\n"),
                IsEmpty());
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 1.0f);
}

struct SizeCase {
    const char* toml_value;
    std::size_t bytes;
};

void PrintTo(const SizeCase& c, std::ostream* out) {
    *out << c.toml_value << " -> " << c.bytes;
}

class SizeUnits : public BudgetConfigTable<SizeCase> {};

TEST_P(SizeUnits, ParseToBytes) {
    nd::MemoryBudget budget;
    const auto errors = nd::load_budget_config_string(
        budget, std::string("[memory]\ntotal_budget = ") + GetParam().toml_value + "\n");
    EXPECT_THAT(errors, IsEmpty()) << (errors.empty() ? "" : errors[0].to_string());
    EXPECT_EQ(budget.total_budget(), GetParam().bytes);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SizeUnits,
    ::testing::Values(SizeCase{"0", 0}, SizeCase{"536870912", 512 * kMiB},
                      SizeCase{R"("100 B")", 100}, SizeCase{R"("100B")", 100},
                      SizeCase{R"("2 KiB")", 2 * kKiB}, SizeCase{R"("2 KB")", 2 * kKiB},
                      SizeCase{R"("512 MiB")", 512 * kMiB}, SizeCase{R"("512MB")", 512 * kMiB},
                      SizeCase{R"("1 GiB")", kGiB}, SizeCase{R"("4 GB")", 4 * kGiB},
                      SizeCase{R"("1.5 GiB")", kGiB + kGiB / 2}, SizeCase{R"("0.5 KiB")", 512},
                      SizeCase{R"("0.25 MB")", 256 * kKiB}, SizeCase{R"("  3 MiB  ")", 3 * kMiB},
                      SizeCase{R"("3	MiB")", 3 * kMiB}, SizeCase{R"("0 GiB")", 0},
                      SizeCase{R"("007 MiB")", 7 * kMiB}, SizeCase{R"("1.999999999 B")", 1},
                      SizeCase{R"("0.1 B")", 0}, SizeCase{R"("1024 GiB")", 1024 * kGiB},
                      SizeCase{R"("17179869183.999999999 GiB")", 18'446'744'073'709'551'614u}));

// ---------------------------------------------------------------------------------------------
// Bad values: reported with file and line, skipped, the rest of the file still applied

// A config with the Chunks budget on line 5, between valid keys.
std::string config_with_chunks(const std::string& chunks_value) {
    return "[memory]\n"
           "total_budget = \"6 GiB\"\n"
           "warning_threshold = 0.9\n"
           "[memory.budgets]\n"
           "Chunks = " +
           chunks_value +
           "\n"
           "Meshes = \"256 MiB\"\n";
}

struct BadValueCase {
    const char* toml_value;
    const char* message_part;
};

void PrintTo(const BadValueCase& c, std::ostream* out) {
    *out << c.toml_value;
}

class BadSize : public BudgetConfigTable<BadValueCase> {};

TEST_P(BadSize, IsReportedAtItsLineAndTheDefaultStays) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors = nd::load_budget_config_string(
        budget, config_with_chunks(GetParam().toml_value), "budgets.toml");

    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].file, "budgets.toml");
    EXPECT_EQ(errors[0].line, 5u);
    EXPECT_THAT(errors[0].message, HasSubstr("memory.budgets.Chunks"));
    EXPECT_THAT(errors[0].message, HasSubstr(GetParam().message_part));
    EXPECT_THAT(errors[0].to_string(), ::testing::StartsWith("budgets.toml:5: "));

    EXPECT_EQ(budget_of(budget, "Chunks"), kGiB);
    EXPECT_EQ(budget_of(budget, "Meshes"), 256 * kMiB);
    EXPECT_EQ(budget.total_budget(), 6 * kGiB);
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.9f);

    ASSERT_THAT(log_.errors(), SizeIs(1));
    EXPECT_THAT(log_.errors()[0], HasSubstr(errors[0].to_string()));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadSize,
    ::testing::Values(
        BadValueCase{"-5", "negative"}, BadValueCase{R"("-1 GiB")", "negative"},
        BadValueCase{R"("lots")", "not a size"}, BadValueCase{R"("12")", "not a size"},
        BadValueCase{R"("12 TB")", "not a size"}, BadValueCase{R"("1 gib")", "not a size"},
        BadValueCase{R"("GiB")", "not a size"}, BadValueCase{R"("")", "not a size"},
        BadValueCase{R"(".5 GiB")", "not a size"}, BadValueCase{R"("5. GiB")", "not a size"},
        BadValueCase{R"("1.5.5 GiB")", "not a size"}, BadValueCase{R"("1e9 B")", "not a size"},
        BadValueCase{R"("0.0000000001 GiB")", "more than 9 decimals"},
        BadValueCase{R"("17179869184 GiB")", "too large"},
        BadValueCase{R"("99999999999999999999999999999999 B")", "too large"},
        BadValueCase{"1.5", "not a floating-point number"}, BadValueCase{"true", "not a boolean"},
        BadValueCase{"[1, 2]", "not an array"}, BadValueCase{"{ bytes = 5 }", "not a table"},
        BadValueCase{"2024-01-01", "not a date"}));

class BadThreshold : public BudgetConfigTable<BadValueCase> {};

TEST_P(BadThreshold, IsReportedAtItsLineAndTheDefaultStays) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const std::string toml = std::string("[memory]\n\n\nwarning_threshold = ") +
                             GetParam().toml_value + "\ntotal_budget = 1024\n";
    const auto errors = nd::load_budget_config_string(budget, toml, "t.toml");

    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].to_string().substr(0, 9), "t.toml:4:");
    EXPECT_THAT(errors[0].message, HasSubstr("memory.warning_threshold"));
    EXPECT_THAT(errors[0].message, HasSubstr(GetParam().message_part));
    EXPECT_FLOAT_EQ(budget.warning_threshold(), nd::kDefaultWarningThreshold);
    EXPECT_EQ(budget.total_budget(), 1024u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadThreshold,
    ::testing::Values(
        BadValueCase{"0", "outside [0.01, 1]"}, BadValueCase{"0.0", "outside [0.01, 1]"},
        BadValueCase{"-0.5", "outside [0.01, 1]"}, BadValueCase{"1.01", "outside [0.01, 1]"},
        BadValueCase{"85", "outside [0.01, 1]"}, BadValueCase{"1e-60", "outside [0.01, 1]"},
        BadValueCase{"1e-45", "1e-45 is outside [0.01, 1]"},
        BadValueCase{"1.2e-38", "outside [0.01, 1]"}, BadValueCase{"0.005", "outside [0.01, 1]"},
        BadValueCase{"0.0099", "outside [0.01, 1]"}, BadValueCase{"1e300", "outside [0.01, 1]"},
        BadValueCase{"-inf", "outside [0.01, 1]"}, BadValueCase{"nan", "outside [0.01, 1]"},
        BadValueCase{"inf", "outside [0.01, 1]"},
        BadValueCase{R"("0.85")", "expected a number in [0.01, 1], not a string"},
        BadValueCase{"false", "not a boolean"}));

TEST_F(BudgetConfig, ThresholdOfOnePercentIsValid) {
    nd::MemoryBudget budget;
    EXPECT_THAT(nd::load_budget_config_string(budget, "[memory]\nwarning_threshold = 0.01\n"),
                IsEmpty());
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.01f);
    EXPECT_EQ(budget.warning_threshold_bytes(1000), 10u);
    EXPECT_THAT(log_.errors(), IsEmpty()) << "the loader passed what the budget then refused";
}

TEST_F(BudgetConfig, DenormalThresholdIsLoggedWithFileAndLineAndTheDefaultStays) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors = nd::load_budget_config_string(budget,
                                                      "[memory]\n"
                                                      "total_budget = \"6 GiB\"\n"
                                                      "warning_threshold = 1e-45\n",
                                                      "memory.toml");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].to_string(),
              "memory.toml:3: memory.warning_threshold: 1e-45 is outside [0.01, 1]");
    ASSERT_THAT(log_.errors(), SizeIs(1));
    EXPECT_EQ(log_.errors()[0], "Memory budget config: " + errors[0].to_string());
    EXPECT_FLOAT_EQ(budget.warning_threshold(), nd::kDefaultWarningThreshold);
    EXPECT_EQ(budget.total_budget(), 6 * kGiB);
}

// ---------------------------------------------------------------------------------------------
// Unknown keys and misplaced tables

struct UnknownKeyCase {
    const char* toml;
    std::size_t line;
    const char* message_part;
};

void PrintTo(const UnknownKeyCase& c, std::ostream* out) {
    *out << ::testing::PrintToString(c.toml);
}

class UnknownKey : public BudgetConfigTable<UnknownKeyCase> {};

TEST_P(UnknownKey, IsReportedAtItsLineAndTheRestApplies) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors = nd::load_budget_config_string(
        budget, std::string(GetParam().toml) + "\n[memory.budgets]\nAudio = \"64 MiB\"\n");

    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].file, "<string>");
    EXPECT_EQ(errors[0].line, GetParam().line);
    EXPECT_THAT(errors[0].message, HasSubstr(GetParam().message_part));
    EXPECT_EQ(budget_of(budget, "Audio"), 64 * kMiB);
}

INSTANTIATE_TEST_SUITE_P(
    Table, UnknownKey,
    ::testing::Values(UnknownKeyCase{"budget = 5", 1, "unknown key 'budget'"},
                      UnknownKeyCase{"\n[graphics]\nvsync = true", 2, "unknown key 'graphics'"},
                      UnknownKeyCase{"[memory]\ntotal_budget = 5\ntotl_budget = 5", 3,
                                     "unknown key 'memory.totl_budget'"},
                      UnknownKeyCase{"[memory]\n\"\" = 5", 2, "unknown key 'memory.'"},
                      UnknownKeyCase{"[memory.limits]\nChunks = 5", 1,
                                     "unknown key 'memory.limits'"}));

TEST_F(BudgetConfig, EmptySubsystemNameIsRejected) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors =
        nd::load_budget_config_string(budget, "[memory.budgets]\nAudio = 1\n\"\" = 5\n");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].line, 3u);
    EXPECT_THAT(errors[0].message, HasSubstr("subsystem name"));
    EXPECT_FALSE(budget.subsystem("").has_value());
    EXPECT_EQ(budget_of(budget, "Audio"), 1u);
}

TEST_F(BudgetConfig, NestedTableInBudgetsIsNotASize) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors = nd::load_budget_config_string(budget, "[memory]\nbudgets.Chunks.max = 5\n");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].line, 2u);
    EXPECT_THAT(errors[0].message, HasSubstr("memory.budgets.Chunks: expected a byte count"));
    expect_defaults(budget);
}

TEST_F(BudgetConfig, MemoryAndBudgetsMustBeTables) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    auto errors = nd::load_budget_config_string(budget, "memory = 5\n");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].line, 1u);
    EXPECT_THAT(errors[0].message, HasSubstr("'memory' must be a table, not an integer"));

    errors = nd::load_budget_config_string(budget, "[memory]\nbudgets = \"1 GiB\"\n");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].line, 2u);
    EXPECT_THAT(errors[0].message, HasSubstr("'memory.budgets' must be a table, not a string"));
    expect_defaults(budget);
}

TEST_F(BudgetConfig, EveryProblemInAFileIsReportedWithItsOwnLine) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors = nd::load_budget_config_string(budget, R"([memory]
total_budget = "-4 GiB"
warning_threshold = 2.0
colour = "red"
[memory.budgets]
Chunks = "2 GiB"
Meshes = "many"
Audio = 1024
)");

    ASSERT_THAT(errors, SizeIs(4));
    std::vector<std::size_t> lines;
    for (const auto& error : errors) {
        lines.push_back(error.line);
    }
    EXPECT_THAT(lines, ::testing::ElementsAre(2u, 3u, 4u, 7u));
    EXPECT_THAT(log_.errors(), SizeIs(4));

    EXPECT_EQ(budget.total_budget(), 4 * kGiB);
    EXPECT_FLOAT_EQ(budget.warning_threshold(), 0.85f);
    EXPECT_EQ(budget_of(budget, "Chunks"), 2 * kGiB);
    EXPECT_EQ(budget_of(budget, "Meshes"), 512 * kMiB);
    EXPECT_EQ(budget_of(budget, "Audio"), 1024u);
}

// ---------------------------------------------------------------------------------------------
// Files that cannot be read or parsed change nothing

TEST_F(BudgetConfig, SyntaxErrorNamesTheLineAndChangesNothing) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const TempFile file("broken_budgets.toml",
                        "[memory]\n"
                        "total_budget = \"1 GiB\"\n"
                        "[memory.budgets]\n"
                        "Chunks = \"8 MiB\"\n"
                        "Meshes = = 5\n");
    const auto errors = nd::load_budget_config(budget, file.path());

    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].file, file.path());
    EXPECT_EQ(errors[0].line, 5u);
    EXPECT_FALSE(errors[0].message.empty());
    EXPECT_THAT(errors[0].to_string(), ::testing::StartsWith(file.path() + ":5: "));
    expect_defaults(budget);
    ASSERT_THAT(log_.errors(), SizeIs(1));
    EXPECT_THAT(log_.errors()[0], HasSubstr(file.path() + ":5:"));
}

TEST_F(BudgetConfig, DuplicateKeyIsASyntaxError) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors =
        nd::load_budget_config_string(budget, "[memory.budgets]\nChunks = 1\nChunks = 2\n");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].line, 3u);
    expect_defaults(budget);
}

TEST_F(BudgetConfig, MissingFileIsReportedWithoutALine) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const std::string path = ::testing::TempDir() + "no_such_budgets.toml";
    const auto errors = nd::load_budget_config(budget, path);

    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].file, path);
    EXPECT_EQ(errors[0].line, 0u);
    EXPECT_THAT(errors[0].message, HasSubstr("No such file"));
    EXPECT_EQ(errors[0].to_string(), path + ": " + errors[0].message);
    expect_defaults(budget);
    EXPECT_THAT(log_.errors(), SizeIs(1));
}

TEST_F(BudgetConfig, UnreadableFileIsReported) {
    nd::MemoryBudget budget;
    with_defaults(budget);
    const auto errors = nd::load_budget_config(budget, ::testing::TempDir());

    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_EQ(errors[0].line, 0u);
    EXPECT_THAT(errors[0].message, HasSubstr("cannot read"));
    expect_defaults(budget);
}

TEST_F(BudgetConfig, ErrorToStringIsPathLineMessage) {
    const nd::ConfigError with_line{"config/budgets.toml", 12, "unknown key 'x'"};
    EXPECT_EQ(with_line.to_string(), "config/budgets.toml:12: unknown key 'x'");
    const nd::ConfigError without_line{"config/budgets.toml", 0, "cannot read the file"};
    EXPECT_EQ(without_line.to_string(), "config/budgets.toml: cannot read the file");
}

TEST_F(BudgetConfig, GpuAndChurnBudgetsApply) {
    nd::MemoryBudget budget;
    const auto errors = nd::load_budget_config_string(budget,
                                                      "[memory.gpu_budgets]\n"
                                                      "Textures = \"512 MiB\"\n"
                                                      "Meshes = 1048576\n"
                                                      "[memory.churn_budgets]\n"
                                                      "Meshes = 200\n"
                                                      "Audio = 0\n");
    EXPECT_THAT(errors, IsEmpty());
    EXPECT_EQ(budget.subsystem("Textures")->gpu_budget_bytes, 512 * kMiB);
    EXPECT_EQ(budget.subsystem("Meshes")->gpu_budget_bytes, kMiB);
    EXPECT_EQ(budget.subsystem("Meshes")->churn_budget, 200u);
    EXPECT_EQ(budget.subsystem("Audio")->churn_budget, 0u);
    // Neither touches the memory budgets.
    EXPECT_EQ(budget.subsystem("Textures")->budget_bytes, 0u);
}

TEST_F(BudgetConfig, BadGpuAndChurnBudgetsAreReportedAtTheirLinesAndTheRestApplies) {
    nd::MemoryBudget budget;
    const auto errors = nd::load_budget_config_string(budget,
                                                      "[memory.gpu_budgets]\n"
                                                      "Textures = \"12 parsecs\"\n"
                                                      "Meshes = -1\n"
                                                      "Audio = true\n"
                                                      "Chunks = \"1 GiB\"\n"
                                                      "[memory.churn_budgets]\n"
                                                      "Meshes = \"200\"\n"
                                                      "Audio = -3\n"
                                                      "Physics = 2.5\n"
                                                      "\"\" = 4\n"
                                                      "Chunks = 50\n");
    ASSERT_THAT(errors, SizeIs(7));
    EXPECT_EQ(errors[0].line, 2u);
    EXPECT_THAT(errors[0].message, HasSubstr("memory.gpu_budgets.Textures"));
    EXPECT_EQ(errors[1].line, 3u);
    EXPECT_THAT(errors[1].message, HasSubstr("negative"));
    EXPECT_EQ(errors[2].line, 4u);
    EXPECT_EQ(errors[3].line, 7u);
    EXPECT_THAT(errors[3].message,
                HasSubstr("memory.churn_budgets.Meshes: expected a count of allocations per "
                          "frame (an integer), not a string"));
    EXPECT_EQ(errors[4].line, 8u);
    EXPECT_THAT(errors[4].message, HasSubstr("count -3 is negative"));
    EXPECT_EQ(errors[5].line, 9u);
    EXPECT_THAT(errors[5].message, HasSubstr("not a floating-point number"));
    EXPECT_EQ(errors[6].line, 10u);
    EXPECT_THAT(errors[6].message, HasSubstr("subsystem name in [memory.churn_budgets]"));
    EXPECT_EQ(budget.subsystem("Chunks")->gpu_budget_bytes, 1024 * kMiB);
    EXPECT_EQ(budget.subsystem("Chunks")->churn_budget, 50u);
    EXPECT_FALSE(budget.subsystem("Textures").has_value());
}

TEST_F(BudgetConfig, GpuAndChurnBudgetsMustBeTables) {
    nd::MemoryBudget budget;
    auto errors = nd::load_budget_config_string(budget, "[memory]\ngpu_budgets = 5\n");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_THAT(errors[0].message, HasSubstr("'memory.gpu_budgets' must be a table"));
    errors = nd::load_budget_config_string(budget, "[memory]\nchurn_budgets = [1, 2]\n");
    ASSERT_THAT(errors, SizeIs(1));
    EXPECT_THAT(errors[0].message, HasSubstr("'memory.churn_budgets' must be a table"));
}

}  // namespace
