// The panel drawn from a model read elsewhere (a snapshot document, a capture): the same table as
// from this process, and a clear error naming the file for input that is not one.
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/imgui/memory_panel.hpp>
#include <nebula/debug/imgui/model_files.hpp>
#include <nebula/debug/memory_capture.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "headless_imgui.hpp"
#include "logged_table.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

namespace nd = nebula::debug;
namespace ndi = nebula::debug::imgui;
using ndi::testing::HeadlessImGui;
using ndi::testing::LoggedTable;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::string temp_path(const std::string& name) {
    return ::testing::TempDir() + "nebula-panel-model-" + name;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

class PanelModel : public ::testing::Test {
protected:
    PanelModel() { panel_.default_size = ImVec2(1500.0f, 600.0f); }

    std::string draw_live(int frames = 3) {
        std::string text;
        for (int i = 0; i < frames; ++i) {
            text = ui_.frame([&] { ndi::draw_memory_panel(budget_, panel_); });
        }
        return text;
    }

    std::string draw_model(const ndi::MemoryPanelModel& model, int frames = 3,
                           const ndi::MemoryHistory* history = nullptr) {
        std::string text;
        for (int i = 0; i < frames; ++i) {
            text = ui_.frame([&] { ndi::draw_memory_panel(model, model_panel_, history); });
        }
        return text;
    }

    HeadlessImGui ui_{ImVec2(1600.0f, 720.0f)};
    nd::MemoryBudget budget_;
    ndi::MemoryPanelState panel_;
    ndi::MemoryPanelState model_panel_;
};

TEST_F(PanelModel, SnapshotDocumentDrawsTheSameTableAsTheLiveProcess) {
    // A threshold whose float product with the budget is not a whole byte count, a row over it,
    // a row without budget, GPU and churn budgets, and a tag holding heap and GPU memory.
    budget_.set_warning_threshold(0.8f);
    budget_.set_total_budget(64 * kMiB);
    budget_.set_budget("PanelModelChunks", 10 * kMiB + 7);
    budget_.report("PanelModelChunks", 9 * kMiB, 12);
    budget_.report("PanelModelAudio", 3 * kMiB, 4);
    budget_.set_budget("PanelModelMeshes", 8 * kMiB);
    budget_.set_gpu_budget("PanelModelMeshes", 2 * kMiB);
    budget_.set_churn_budget("PanelModelMeshes", 10);
    budget_.report("PanelModelMeshes", 1 * kMiB, 2);
    std::vector<char> held;
    {
        nd::MemoryScope scope("PanelModelChunks");
        held.assign(3 * kMiB, 'c');
    }
    const std::uint64_t texture = 0x5eed'0001;
    nd::track_gpu_allocation(texture, 4 * kMiB, nd::memory_tag("PanelModelMeshes"));
    budget_.end_frame();

    const LoggedTable live(draw_live());
    ndi::MemoryPanelModel model;
    std::string error;
    ASSERT_TRUE(ndi::read_snapshot_json(nd::memory_snapshot_json(budget_), model, &error)) << error;
    const LoggedTable from_snapshot(draw_model(model));
    nd::track_gpu_free(texture);

    ASSERT_EQ(from_snapshot.headers(), live.headers());
    for (const char* name : {"PanelModelAudio", "PanelModelChunks", "PanelModelMeshes"}) {
        for (const std::string& header : live.headers()) {
            EXPECT_EQ(from_snapshot.cell(name, header), live.cell(name, header))
                << name << " / " << header;
        }
    }
    EXPECT_EQ(live.cell("PanelModelChunks", "Current"), "9.0 MB");
    if (nd::tracking_allocator_enabled()) {
        EXPECT_EQ(live.cell("PanelModelChunks", "Allocator"), "3.0 MB");
        EXPECT_EQ(from_snapshot.cell("PanelModelMeshes", "GPU"), "4.0 MB");
    }
    const ndi::MemoryPanelRow& chunks = model.rows[1];
    ASSERT_EQ(chunks.name, "PanelModelChunks");
    EXPECT_TRUE(chunks.over_budget);
    EXPECT_EQ(chunks.warning_threshold_bytes, budget_.warning_threshold_bytes(10 * kMiB + 7));
}

TEST_F(PanelModel, FooterFiguresComeFromTheModel) {
    ndi::MemoryPanelModel model;
    model.tracked_total_bytes = 5 * kMiB;
    model.total_budget_bytes = 4096 * kMiB;
    model.gpu.allocated_bytes = 2 * kMiB;
    model.resident.resident_bytes = 100 * kMiB;
    model.resident.heap_bytes = 60 * kMiB;
    model.resident.code_bytes = 40 * kMiB;
    model.gpu_device_read = false;
    const std::string text = draw_model(model);
    EXPECT_THAT(text, HasSubstr("Tracked Total: 5.0 MB  /  Budget: 4.00 GB"));
    EXPECT_THAT(text, HasSubstr("GPU tracked: 2.0 MB"));
    EXPECT_THAT(text, HasSubstr("Resident 100.0 MB = heap 60.0 MB + code 40.0 MB"));
    // A model is not this process: nothing to reset or mark.
    EXPECT_THAT(text, Not(HasSubstr("Reset peaks")));
}

TEST_F(PanelModel, StatusIsShownAboveTheTable) {
    ndi::MemoryPanelModel model;
    model.rows.resize(1);
    model.rows[0].name = "Chunks";
    model.rows[0].memory.current_bytes = 2 * kMiB;
    EXPECT_THAT(draw_model(model), Not(HasSubstr("reconnecting")));
    model.status = "Connection lost - reconnecting";
    const std::string text = draw_model(model);
    EXPECT_THAT(text, HasSubstr("Connection lost - reconnecting"));
    // The last data is still drawn below it.
    EXPECT_THAT(text, HasSubstr("| Chunks | 2.0 MB |"));
}

TEST_F(PanelModel, SitesPaneListsTheModelsSitesOfTheSelectedTag) {
    ndi::MemoryPanelModel model;
    model.rows.resize(1);
    model.rows[0].name = "Meshes";
    model.sampling_interval = 512 * 1024;
    nd::AllocationSite mesher;
    mesher.tag = "Meshes";
    mesher.frames = {"build_chunk_mesh(int)", "main"};
    mesher.lines = {"mesher.cpp:71", ""};
    mesher.live_bytes = 6 * kMiB;
    mesher.live_allocations = 30;
    mesher.live_samples = 25;
    nd::AllocationSite other = mesher;
    other.tag = "Chunks";
    other.frames = {"generate_chunk(int)", "main"};
    model.sites = {mesher, other};
    model_panel_.selected_subsystem = "Meshes";
    const std::string text = draw_model(model);
    EXPECT_THAT(text, HasSubstr("Allocation sites: Meshes (sampled every 512.0 KB)"));
    const LoggedTable sites(text, "Function", "\u00b1");
    EXPECT_EQ(sites.names(), std::vector<std::string>{"build_chunk_mesh at mesher.cpp:71"});
    EXPECT_EQ(sites.cell("build_chunk_mesh at mesher.cpp:71", "\u00b1"), "\u00b120%");
}

TEST_F(PanelModel, HistoryIsFedFromSuccessiveModels) {
    ndi::MemoryHistory history(ndi::MemoryHistory::Config{10.0, 10, 8});
    ndi::MemoryPanelModel model;
    model.rows.resize(1);
    model.rows[0].name = "Chunks";
    for (int second = 0; second < 4; ++second) {
        model.rows[0].memory.current_bytes = static_cast<std::size_t>(second + 1) * kMiB;
        history.sample(model, static_cast<double>(second));
    }
    const std::optional<ndi::HistorySeries> series = history.series("Chunks");
    ASSERT_TRUE(series.has_value());
    ASSERT_EQ(series->count, 4);
    EXPECT_FLOAT_EQ(series->values_mib[3], 4.0f);
    EXPECT_FLOAT_EQ(series->max_mib, 4.0f);
}

TEST(SnapshotFile, MalformedJsonIsAnErrorNamingTheFile) {
    const std::string path = temp_path("malformed.json");
    write_file(path, "{\"subsystems\": [ {\"name\": \"Chunks\", ");
    ndi::MemoryPanelModel model;
    model.status = "unchanged";
    std::string error;
    EXPECT_FALSE(ndi::read_snapshot_file(path, model, &error));
    EXPECT_THAT(error, HasSubstr(path));
    EXPECT_THAT(error, HasSubstr("parse error"));
    EXPECT_EQ(model.status, "unchanged");
}

TEST(SnapshotFile, JsonThatIsNoSnapshotIsAnErrorNamingTheFile) {
    const std::string path = temp_path("not-a-snapshot.json");
    ndi::MemoryPanelModel model;
    std::string error;
    write_file(path, "[1, 2, 3]");
    EXPECT_FALSE(ndi::read_snapshot_file(path, model, &error));
    EXPECT_THAT(error, HasSubstr(path + ": not a memory snapshot"));
    write_file(path, R"({"subsystems": [{"name": "Chunks", "current_bytes": "lots"}]})");
    EXPECT_FALSE(ndi::read_snapshot_file(path, model, &error));
    EXPECT_THAT(error, HasSubstr(path));
    EXPECT_THAT(error, HasSubstr("type must be number"));
}

TEST(SnapshotFile, MissingFileIsAnErrorNamingIt) {
    ndi::MemoryPanelModel model;
    std::string error;
    EXPECT_FALSE(ndi::read_snapshot_file(temp_path("no-such.json"), model, &error));
    EXPECT_THAT(error, HasSubstr(temp_path("no-such.json") + ": cannot open"));
}

TEST(CaptureFile, EveryRowBecomesAModelWithItsTimeAndPeak) {
    const std::string path = temp_path("capture.csv");
    nd::MemoryBudget budget;
    budget.set_budget("Chunks", 4 * kMiB);
    nd::MemoryCapture capture;
    std::string error;
    ASSERT_TRUE(capture.open(path, nd::MemoryCaptureOptions{1.0, 1.0}, &error)) << error;
    const std::size_t reported_mib[] = {1, 3, 2};
    for (std::size_t second = 0; second < 3; ++second) {
        budget.report("Chunks", reported_mib[second] * kMiB, 1);
        ASSERT_TRUE(capture.sample(budget, static_cast<double>(second)));
    }
    ASSERT_TRUE(capture.close());

    ndi::CaptureFrames frames;
    ASSERT_TRUE(ndi::read_capture_file(path, frames, &error)) << error;
    ASSERT_EQ(frames.models.size(), 3u);
    EXPECT_EQ(frames.seconds, (std::vector<double>{0.0, 1.0, 2.0}));
    const ndi::MemoryPanelRow& last = frames.models.back().rows.at(0);
    EXPECT_EQ(last.name, "Chunks");
    EXPECT_EQ(last.memory.current_bytes, 2 * kMiB);
    EXPECT_EQ(last.memory.peak_bytes, 3 * kMiB);
    EXPECT_EQ(last.memory.budget_bytes, 4 * kMiB);
    EXPECT_EQ(frames.models.back().tracked_total_bytes, 2 * kMiB);
}

TEST(CaptureFile, MalformedRowsAreErrorsNamingTheFileAndLine) {
    const std::string path = temp_path("bad-capture.csv");
    ndi::CaptureFrames frames;
    std::string error;
    write_file(path, "time_s,Chunks/current_bytes\n0.000,100\n1.000\n");
    EXPECT_FALSE(ndi::read_capture_file(path, frames, &error));
    EXPECT_THAT(error, HasSubstr(path + ": line 3: 1 cells, the header has 2"));
    write_file(path, "time_s,Chunks/current_bytes\n0.000,many\n");
    EXPECT_FALSE(ndi::read_capture_file(path, frames, &error));
    EXPECT_THAT(error, HasSubstr(path + ": line 2: 'many' is not a number"));
    write_file(path, "name,value\nChunks,1\n");
    EXPECT_FALSE(ndi::read_capture_file(path, frames, &error));
    EXPECT_THAT(error, HasSubstr(path + ": line 1: not a memory capture"));
    write_file(path, "time_s,Chunks/current_bytes\n");
    EXPECT_FALSE(ndi::read_capture_file(path, frames, &error));
    EXPECT_THAT(error, HasSubstr(path + ": no rows"));
    EXPECT_TRUE(frames.models.empty());
}

}  // namespace
