// MemoryCapture: the CSV's columns and rows, the sample interval, the resident columns' interval,
// a subsystem that appears mid-run, no allocation per row, and files that cannot be written.
#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/memory_capture.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "log_capture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nd = nebula::debug;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::filesystem::path temporary_path(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           (name + "-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            ".csv");
}

std::vector<std::string> split_line(const std::string& line) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream stream(line);
    while (std::getline(stream, cell, ',')) {
        cells.push_back(cell);
    }
    if (!line.empty() && line.back() == ',') {
        cells.emplace_back();
    }
    return cells;
}

// The file's lines, the file removed.
std::vector<std::string> read_lines(const std::filesystem::path& path) {
    std::vector<std::string> lines;
    {
        std::ifstream file(path);  // closed before the remove: Windows keeps open files
        std::string line;
        while (std::getline(file, line)) {
            lines.push_back(line);
        }
    }
    std::filesystem::remove(path);
    return lines;
}

std::size_t column_of(const std::vector<std::string>& header, const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == name) {
            return i;
        }
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
}

TEST(MemoryCapture, HeaderNamesEveryColumnAndARowComesOncePerInterval) {
    nd::MemoryBudget budget;
    budget.set_total_budget(64 * kMiB);
    budget.set_budget("CapChunks", 16 * kMiB);
    budget.report("CapChunks", 3 * kMiB, 3);
    budget.report("CapAudio", kMiB, 1);

    const std::filesystem::path path = temporary_path("nebula-capture");
    nd::MemoryCapture capture;
    std::string error;
    ASSERT_TRUE(capture.open(path.string(), &error)) << error;
    EXPECT_TRUE(capture.is_open());
    EXPECT_TRUE(capture.sample(budget, 0.0));
    EXPECT_FALSE(capture.sample(budget, 0.5));
    budget.report("CapChunks", 5 * kMiB, 5);
    EXPECT_TRUE(capture.sample(budget, 1.0));
    EXPECT_FALSE(capture.sample(budget, 1.7));
    EXPECT_TRUE(capture.sample(budget, 2.25));
    // A clock that jumps gives one row, and the next is due an interval after it.
    EXPECT_TRUE(capture.sample(budget, 10.0));
    EXPECT_FALSE(capture.sample(budget, 10.5));
    EXPECT_TRUE(capture.sample(budget, 11.0));
    EXPECT_EQ(capture.rows_written(), 5u);
    EXPECT_TRUE(capture.close());
    EXPECT_FALSE(capture.is_open());
    EXPECT_FALSE(capture.sample(budget, 20.0));

    const std::vector<std::string> lines = read_lines(path);
    ASSERT_THAT(lines, SizeIs(6));
    const std::vector<std::string> header = split_line(lines[0]);
    EXPECT_THAT(header, ElementsAre("time_s", "CapAudio/current_bytes", "CapAudio/allocator_bytes",
                                    "CapAudio/budget_bytes", "CapAudio/gpu_bytes",
                                    "CapAudio/frame_allocations", "CapChunks/current_bytes",
                                    "CapChunks/allocator_bytes", "CapChunks/budget_bytes",
                                    "CapChunks/gpu_bytes", "CapChunks/frame_allocations",
                                    "other_subsystems_bytes", "tracked_total_bytes",
                                    "total_budget_bytes", "allocated_bytes", "peak_allocated_bytes",
                                    "allocation_count", "deallocation_count", "resident_bytes",
                                    "heap_bytes", "code_bytes", "file_bytes", "stack_bytes",
                                    "gpu_bytes", "other_anonymous_bytes", "other_bytes"));
    std::vector<std::string> times;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::vector<std::string> row = split_line(lines[i]);
        ASSERT_EQ(row.size(), header.size()) << lines[i];
        times.push_back(row[0]);
    }
    EXPECT_THAT(times, ElementsAre("0.000", "1.000", "2.250", "10.000", "11.000"));

    const std::vector<std::string> first = split_line(lines[1]);
    const std::vector<std::string> second = split_line(lines[2]);
    EXPECT_EQ(first[column_of(header, "CapChunks/current_bytes")], std::to_string(3 * kMiB));
    EXPECT_EQ(second[column_of(header, "CapChunks/current_bytes")], std::to_string(5 * kMiB));
    EXPECT_EQ(second[column_of(header, "CapChunks/budget_bytes")], std::to_string(16 * kMiB));
    EXPECT_EQ(second[column_of(header, "CapAudio/budget_bytes")], "0");
    EXPECT_EQ(second[column_of(header, "tracked_total_bytes")], std::to_string(6 * kMiB));
    EXPECT_EQ(second[column_of(header, "total_budget_bytes")], std::to_string(64 * kMiB));
    EXPECT_EQ(second[column_of(header, "other_subsystems_bytes")], "0");
    EXPECT_NE(first[column_of(header, "resident_bytes")], "0");
}

TEST(MemoryCapture, AllocatorColumnsFollowTheSubsystemsTag) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking compiled out: the allocator's columns read zero";
    }
    nd::MemoryBudget budget;
    budget.report("CapTagged", kMiB, 1);
    std::vector<char> held;
    {
        nd::MemoryScope scope("CapTagged");
        held.resize(2 * kMiB);
    }
    const std::filesystem::path path = temporary_path("nebula-capture-allocator");
    nd::MemoryCapture capture;
    ASSERT_TRUE(capture.open(path.string()));
    ASSERT_TRUE(capture.sample(budget, 0.0));
    capture.close();

    const std::vector<std::string> lines = read_lines(path);
    ASSERT_THAT(lines, SizeIs(2));
    const std::vector<std::string> header = split_line(lines[0]);
    const std::vector<std::string> row = split_line(lines[1]);
    EXPECT_GE(std::stoull(row[column_of(header, "CapTagged/allocator_bytes")]), 2 * kMiB);
    EXPECT_GE(std::stoull(row[column_of(header, "allocated_bytes")]), 2 * kMiB);
    EXPECT_GT(std::stoull(row[column_of(header, "allocation_count")]), 0u);
}

TEST(MemoryCapture, ResidentColumnsAreReadAtMostOncePerResidentInterval) {
    nd::MemoryBudget budget;
    budget.report("CapChunks", kMiB, 1);
    const std::filesystem::path path = temporary_path("nebula-capture-resident");
    nd::MemoryCapture capture;
    nd::MemoryCaptureOptions options;
    options.interval_seconds = 1.0;
    options.resident_interval_seconds = 2.5;
    ASSERT_TRUE(capture.open(path.string(), options));
    for (int second = 0; second <= 6; ++second) {
        ASSERT_TRUE(capture.sample(budget, second));
    }
    capture.close();

    const std::vector<std::string> lines = read_lines(path);
    ASSERT_THAT(lines, SizeIs(8));
    const std::vector<std::string> header = split_line(lines[0]);
    const std::size_t resident = column_of(header, "resident_bytes");
    std::vector<bool> read;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::vector<std::string> row = split_line(lines[i]);
        ASSERT_EQ(row.size(), header.size()) << lines[i];
        read.push_back(!row[resident].empty());
        for (std::size_t cell = resident; cell < row.size(); ++cell) {
            EXPECT_EQ(row[cell].empty(), row[resident].empty()) << lines[i];
        }
    }
    EXPECT_THAT(read, ElementsAre(true, false, false, true, false, false, true));
}

TEST(MemoryCapture, ALateSubsystemCountsAsOtherAndIsLoggedOnce) {
    nd::testing::LogCapture log;
    nd::MemoryBudget budget;
    budget.report("CapChunks", kMiB, 1);
    const std::filesystem::path path = temporary_path("nebula-capture-late");
    nd::MemoryCapture capture;
    ASSERT_TRUE(capture.open(path.string()));
    ASSERT_TRUE(capture.sample(budget, 0.0));
    budget.report("CapAlpha", 2 * kMiB, 1);  // sorts before the first column
    budget.report("CapZulu", 3 * kMiB, 1);   // and after the last
    ASSERT_TRUE(capture.sample(budget, 1.0));
    ASSERT_TRUE(capture.sample(budget, 2.0));
    capture.close();

    const std::vector<std::string> lines = read_lines(path);
    ASSERT_THAT(lines, SizeIs(4));
    const std::vector<std::string> header = split_line(lines[0]);
    EXPECT_EQ(header.size(), 1 + 5 + 15u);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        ASSERT_EQ(split_line(lines[i]).size(), header.size()) << lines[i];
    }
    const std::vector<std::string> last = split_line(lines[3]);
    EXPECT_EQ(last[column_of(header, "CapChunks/current_bytes")], std::to_string(kMiB));
    EXPECT_EQ(last[column_of(header, "other_subsystems_bytes")], std::to_string(5 * kMiB));
    EXPECT_EQ(last[column_of(header, "tracked_total_bytes")], std::to_string(6 * kMiB));
    ASSERT_THAT(log.warnings(), SizeIs(1));
    EXPECT_THAT(log.warnings()[0], HasSubstr("subsystem 'CapAlpha' first reported after"));
}

TEST(MemoryCapture, NamesWithCommasAndQuotesAreQuoted) {
    nd::MemoryBudget budget;
    budget.report("Cap,\"Odd\"", kMiB, 1);
    const std::filesystem::path path = temporary_path("nebula-capture-quoted");
    nd::MemoryCapture capture;
    ASSERT_TRUE(capture.open(path.string()));
    ASSERT_TRUE(capture.sample(budget, 0.0));
    capture.close();

    const std::vector<std::string> lines = read_lines(path);
    ASSERT_THAT(lines, SizeIs(2));
    EXPECT_THAT(lines[0], HasSubstr(",\"Cap,\"\"Odd\"\"/current_bytes\","));
}

TEST(MemoryCapture, NoAllocationPerRowOnceStarted) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking compiled out: nothing counts allocations";
    }
    nd::MemoryBudget budget;
    for (const char* name : {"Chunks", "Meshes", "Textures", "Entities", "Audio", "Physics"}) {
        budget.set_budget(name, 1024 * kMiB);  // far from a warning, which would allocate
        budget.report(name, kMiB, 1);
    }
    const std::filesystem::path path = temporary_path("nebula-capture-no-allocation");
    nd::MemoryCapture capture;
    nd::MemoryCaptureOptions options;
    options.resident_interval_seconds = 0.0;  // the resident breakdown on every row too
    ASSERT_TRUE(capture.open(path.string(), options));
    for (int second = 0; second < 3; ++second) {
        ASSERT_TRUE(capture.sample(budget, second));
    }

    const std::size_t before = nd::allocator_stats().allocation_count;
    for (int second = 3; second < 200; ++second) {
        budget.report("Chunks", static_cast<std::size_t>(second) * kMiB, 1);
        ASSERT_TRUE(capture.sample(budget, second));
        ASSERT_FALSE(capture.sample(budget, second + 0.5));
    }
    const std::size_t after = nd::allocator_stats().allocation_count;
    EXPECT_EQ(after - before, 0u);
    EXPECT_EQ(capture.rows_written(), 200u);
    capture.close();
    std::filesystem::remove(path);
}

TEST(MemoryCapture, UnwritablePathIsOneClearErrorAndSamplingDoesNothing) {
    nd::testing::LogCapture log;
    nd::MemoryBudget budget;
    budget.report("CapChunks", kMiB, 1);
    const std::filesystem::path path = temporary_path("nebula-no-such-directory") / "capture.csv";

    nd::MemoryCapture capture;
    std::string error;
    EXPECT_FALSE(capture.open(path.string(), &error));
    EXPECT_THAT(error, HasSubstr("cannot write the memory capture '" + path.string() + "'"));
    EXPECT_THAT(error, HasSubstr("No such file or directory"));
    EXPECT_EQ(capture.error(), error);
    EXPECT_FALSE(capture.is_open());
    EXPECT_FALSE(capture.sample(budget, 0.0));
    EXPECT_TRUE(capture.close());
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_THAT(log.errors(), SizeIs(0));  // the caller reports it, once
}

TEST(MemoryCapture, AWriteErrorMidRunIsLoggedOnceAndEndsTheCapture) {
    if (!std::filesystem::exists("/dev/full")) {
        GTEST_SKIP() << "no /dev/full to fail the writes";
    }
    nd::testing::LogCapture log;
    nd::MemoryBudget budget;
    budget.report("CapChunks", kMiB, 1);
    nd::MemoryCapture capture;
    ASSERT_TRUE(capture.open("/dev/full"));
    // The C library's buffer takes the first rows; a write fails once it fills.
    int rows = 0;
    while (capture.sample(budget, rows) && rows < 100'000) {
        ++rows;
    }
    EXPECT_LT(rows, 100'000);
    EXPECT_FALSE(capture.is_open());
    EXPECT_THAT(capture.error(), HasSubstr("cannot write the memory capture '/dev/full'"));
    EXPECT_THAT(capture.error(), HasSubstr("No space left on device"));
    for (int more = 0; more < 10; ++more) {
        EXPECT_FALSE(capture.sample(budget, rows + more));
    }
    EXPECT_TRUE(capture.close());
    ASSERT_THAT(log.errors(), SizeIs(1));
    EXPECT_THAT(log.errors()[0], HasSubstr("No space left on device; capture stopped"));
}

TEST(MemoryCapture, AWriteErrorAtCloseIsReported) {
    if (!std::filesystem::exists("/dev/full")) {
        GTEST_SKIP() << "no /dev/full to fail the writes";
    }
    nd::testing::LogCapture log;
    nd::MemoryBudget budget;
    budget.report("CapChunks", kMiB, 1);
    nd::MemoryCapture capture;
    ASSERT_TRUE(capture.open("/dev/full"));
    ASSERT_TRUE(capture.sample(budget, 0.0));  // one row: still in the buffer
    EXPECT_FALSE(capture.close());
    EXPECT_THAT(capture.error(), HasSubstr("No space left on device"));
    EXPECT_THAT(log.errors(), SizeIs(1));
}

TEST(MemoryCapture, ReopeningStartsAFreshFile) {
    nd::MemoryBudget budget;
    budget.report("CapChunks", kMiB, 1);
    const std::filesystem::path first = temporary_path("nebula-capture-first");
    const std::filesystem::path second = temporary_path("nebula-capture-second");
    nd::MemoryCapture capture;
    ASSERT_TRUE(capture.open(first.string()));
    ASSERT_TRUE(capture.sample(budget, 0.0));
    ASSERT_TRUE(capture.sample(budget, 1.0));
    budget.report("CapMeshes", kMiB, 1);
    ASSERT_TRUE(capture.open(second.string()));  // closes the first
    EXPECT_EQ(capture.rows_written(), 0u);
    ASSERT_TRUE(capture.sample(budget, 5.0));
    capture.close();

    EXPECT_THAT(read_lines(first), SizeIs(3));
    const std::vector<std::string> lines = read_lines(second);
    ASSERT_THAT(lines, SizeIs(2));
    EXPECT_THAT(lines[0], HasSubstr("CapMeshes/current_bytes"));
    EXPECT_EQ(split_line(lines[1])[0], "5.000");
}

}  // namespace
