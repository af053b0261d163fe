// write_memory_snapshot(): the document's keys and values, and a path that cannot be written.
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace nd = nebula::debug;
using ::testing::HasSubstr;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::filesystem::path temporary_path(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           (name + "-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            ".json");
}

TEST(MemorySnapshot, HoldsSubsystemsAllocatorAndResidentMemory) {
    nd::MemoryBudget budget;
    budget.set_total_budget(512 * kMiB);
    budget.set_budget("SnapChunks", 64 * kMiB);
    budget.report("SnapChunks", 3 * kMiB, 7);
    budget.report("SnapChunks", 2 * kMiB, 5);
    budget.report("SnapAudio", kMiB, 1);
    std::vector<char> held;
    {
        nd::MemoryScope scope("SnapChunks");
        held.resize(kMiB);
    }

    const std::filesystem::path path = temporary_path("nebula-snapshot");
    std::string error;
    ASSERT_TRUE(nd::write_memory_snapshot(budget, path.string(), &error)) << error;
    const nlohmann::json document = [&] {
        std::ifstream file(path);  // closed before the remove: Windows keeps open files
        return nlohmann::json::parse(file);
    }();
    std::filesystem::remove(path);

    ASSERT_EQ(document["subsystems"].size(), 2u);
    const nlohmann::json& audio = document["subsystems"][0];
    const nlohmann::json& chunks = document["subsystems"][1];
    EXPECT_EQ(audio["name"], "SnapAudio");
    EXPECT_EQ(audio["budget_bytes"], 0u);
    EXPECT_EQ(chunks["name"], "SnapChunks");
    EXPECT_EQ(chunks["current_bytes"], 2 * kMiB);
    EXPECT_EQ(chunks["peak_bytes"], 3 * kMiB);
    EXPECT_EQ(chunks["budget_bytes"], 64 * kMiB);
    // Where each row starts to warn, as the budget computes it: report tools need not.
    EXPECT_EQ(chunks["warning_threshold_bytes"], budget.warning_threshold_bytes(64 * kMiB));
    EXPECT_EQ(chunks["warning_threshold_bytes"], 57042534u);  // floor(64 MiB x 0.85)
    EXPECT_EQ(audio["warning_threshold_bytes"], 0u);
    EXPECT_EQ(chunks["allocation_count"], 5u);
    if (nd::tracking_allocator_enabled()) {
        EXPECT_GE(chunks["allocator_bytes"].get<std::size_t>(), kMiB);
        EXPECT_GT(document["allocator"]["allocation_count"].get<std::size_t>(), 0u);
    } else {
        EXPECT_EQ(chunks["allocator_bytes"], 0u);
    }
    EXPECT_EQ(document["total_budget_bytes"], 512 * kMiB);
    EXPECT_EQ(document["total_warning_threshold_bytes"], 512 * kMiB);  // the budget itself
    EXPECT_EQ(document["warning_threshold"], 0.85);
    for (const char* key :
         {"allocated_bytes", "peak_allocated_bytes", "allocation_count", "deallocation_count"}) {
        EXPECT_TRUE(document["allocator"].contains(key)) << key;
    }

    const nlohmann::json& resident = document["resident"];
    std::size_t sum = 0;
    for (const char* key : {"heap_bytes", "code_bytes", "file_bytes", "stack_bytes", "gpu_bytes",
                            "other_anonymous_bytes", "other_bytes"}) {
        ASSERT_TRUE(resident.contains(key)) << key;
        sum += resident[key].get<std::size_t>();
    }
    EXPECT_GT(resident["resident_bytes"].get<std::size_t>(), 0u);
    EXPECT_EQ(sum, resident["resident_bytes"].get<std::size_t>());
    const nd::ResidentBreakdown breakdown = nd::resident_breakdown();
    EXPECT_EQ(resident["heap_allocator"], nd::heap_allocator_name(breakdown.heap_allocator));
    EXPECT_EQ(resident["heap_recognition"], breakdown.heap_recognition);
}

TEST(MemorySnapshot, HoldsEachSubsystemsGpuBytesChurnAndTheDriversView) {
    nd::MemoryBudget budget;
    budget.report("SnapTextures", 8 * kMiB, 3);
    budget.set_gpu_budget("SnapTextures", 64 * kMiB);
    budget.set_churn_budget("SnapTextures", 10);
    nd::track_gpu_allocation(0x5AA9, 8 * kMiB, nd::memory_tag("SnapTextures"));
    budget.end_frame();
    {
        nd::MemoryScope scope("SnapTextures");
        for (int i = 0; i < 4; ++i) {
            // Through the tracker's entry point: a new-expression's pair may be elided when
            // optimised.
            nd::tracked_free(nd::tracked_malloc(sizeof(int)));
        }
    }
    budget.end_frame();

    const nlohmann::json document = nlohmann::json::parse(nd::memory_snapshot_json(budget));
    nd::track_gpu_free(0x5AA9);
    const nlohmann::json& row = document["subsystems"][0];
    EXPECT_EQ(row["gpu_budget_bytes"], 64 * kMiB);
    EXPECT_EQ(row["churn_budget"], 10u);
    if (nd::tracking_allocator_enabled()) {
        EXPECT_EQ(row["gpu_bytes"], 8 * kMiB);
        EXPECT_EQ(row["gpu_peak_bytes"], 8 * kMiB);
        EXPECT_EQ(row["frame_allocations"], 4u);
        EXPECT_EQ(row["frame_allocated_bytes"], 4 * sizeof(int));
        EXPECT_GE(document["gpu"]["allocated_bytes"].get<std::size_t>(), 8 * kMiB);
    } else {
        EXPECT_EQ(row["gpu_bytes"], 0u);
    }
    const nlohmann::json& device = document["gpu"]["device"];
    for (const char* key :
         {"source", "device", "total_bytes", "used_bytes", "budget_bytes", "available_bytes"}) {
        EXPECT_TRUE(device.contains(key)) << key;
    }
    EXPECT_TRUE(document["gpu"].contains("unknown_free_count"));
}

TEST(MemorySnapshot, HoldsTheTrackedTotalsAndTheAllocatorsStatisticsPerTag) {
    nd::MemoryBudget budget;
    budget.report("SnapMeshes", 3 * kMiB, 1);
    budget.report("SnapMeshes", kMiB, 1);
    std::vector<char> held;
    {
        nd::MemoryScope scope("SnapMeshes");
        held.resize(kMiB);
    }
    const nlohmann::json document = nlohmann::json::parse(nd::memory_snapshot_json(budget));

    EXPECT_EQ(document["tracked_total_bytes"], kMiB);
    EXPECT_EQ(document["tracked_peak_bytes"], 3 * kMiB);
    const nlohmann::json& tags = document["allocator"]["tags"];
    ASSERT_TRUE(tags.is_array());
    if (!nd::tracking_allocator_enabled()) {
        EXPECT_TRUE(tags.empty());
        return;
    }
    ASSERT_FALSE(tags.empty());
    EXPECT_EQ(tags[0]["name"], nd::kUntaggedName);
    const auto meshes = std::find_if(tags.begin(), tags.end(), [](const nlohmann::json& tag) {
        return tag["name"] == "SnapMeshes";
    });
    ASSERT_NE(meshes, tags.end());
    EXPECT_GE((*meshes)["allocated_bytes"].get<std::size_t>(), kMiB);
    EXPECT_GE((*meshes)["peak_allocated_bytes"].get<std::size_t>(),
              (*meshes)["allocated_bytes"].get<std::size_t>());
    EXPECT_GE((*meshes)["allocation_count"].get<std::size_t>(), 1u);
    EXPECT_TRUE(meshes->contains("deallocation_count"));
}

namespace {
[[gnu::noinline]] void allocate_snapshot_textures(std::vector<std::unique_ptr<char[]>>& out) {
    for (int i = 0; i < 64; ++i) {
        out.push_back(std::make_unique<char[]>(256 * 1024));  // 16 MiB: about 32 samples
    }
}
}  // namespace

TEST(MemorySnapshot, HoldsTheTopLiveAllocationSites) {
    nd::MemoryBudget budget;
    std::vector<std::unique_ptr<char[]>> textures;
    textures.reserve(64);
    {
        nd::MemoryScope scope("SnapTextures");
        allocate_snapshot_textures(textures);
    }
    const nlohmann::json document = nlohmann::json::parse(nd::memory_snapshot_json(budget));
    EXPECT_EQ(document["sampling_interval"], nd::sampling_interval());
    const nlohmann::json& sites = document["sites"];
    ASSERT_TRUE(sites.is_array());
    if (!nd::tracking_allocator_enabled() || nd::sampling_interval() == 0) {
        EXPECT_TRUE(sites.empty());
        return;
    }
    EXPECT_LE(sites.size(), nd::kSnapshotSites);
#if defined(_WIN32)
    GTEST_SKIP() << "sites are found by function name; Windows frames read module+offset";
#endif
    const auto textures_site =
        std::find_if(sites.begin(), sites.end(), [](const nlohmann::json& site) {
            return site["tag"] == "SnapTextures" &&
                   site["function"].get<std::string>().find("allocate_snapshot_textures") !=
                       std::string::npos;
        });
    ASSERT_NE(textures_site, sites.end()) << sites.dump(2);
    EXPECT_GT((*textures_site)["live_bytes"].get<std::size_t>(), 4 * kMiB);
    EXPECT_EQ((*textures_site)["frames"].size(), (*textures_site)["lines"].size());
    for (std::size_t i = 1; i < sites.size(); ++i) {
        EXPECT_GE(sites[i - 1]["live_bytes"].get<std::size_t>(),
                  sites[i]["live_bytes"].get<std::size_t>());
    }
}

TEST(MemorySnapshot, UnwritablePathIsOneClearErrorAndNoFile) {
    nd::MemoryBudget budget;
    budget.report("SnapChunks", kMiB, 1);
    const std::filesystem::path path = temporary_path("nebula-no-such-directory") / "snapshot.json";

    std::string error;
    EXPECT_FALSE(nd::write_memory_snapshot(budget, path.string(), &error));
    EXPECT_THAT(error, HasSubstr("cannot write the memory snapshot '" + path.string() + "'"));
    EXPECT_THAT(error, HasSubstr("No such file or directory"));
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(nd::write_memory_snapshot(budget, path.string()));  // no error wanted: fine too
}

}  // namespace
