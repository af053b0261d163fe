// Sampled allocation sites: estimates against known truths, frees on any thread, exited threads,
// fork, static destruction, a full table, and the heap profile's bad paths. CTest runs this
// binary with NEBULA_SAMPLING_SEED and NEBULA_SAMPLING_INTERVAL set (tests/CMakeLists.txt): the
// draws are the same on every run, so the estimates cannot flake.
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "escape.hpp"
#include "sanitizers.hpp"

#if !defined(_WIN32)
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace nd = nebula::debug;
using nebula::debug::testing::escape;

namespace {

constexpr std::size_t kTestInterval = 64 * 1024;  // what CTest sets NEBULA_SAMPLING_INTERVAL to

using Blocks = std::vector<std::unique_ptr<char[]>>;

// Three sites with distinct names, each allocating `total` bytes in `block` byte pieces.
[[gnu::noinline]] void allocate_terrain_chunks(Blocks& out, std::size_t total, std::size_t block) {
    for (std::size_t done = 0; done < total; done += block) {
        out.push_back(std::make_unique<char[]>(block));
        escape(out.back().get());
    }
}
[[gnu::noinline]] void allocate_mesh_buffers(Blocks& out, std::size_t total, std::size_t block) {
    for (std::size_t done = 0; done < total; done += block) {
        out.push_back(std::make_unique<char[]>(block));
        escape(out.back().get());
    }
}
[[gnu::noinline]] void allocate_texture_pages(std::vector<void*>& out, std::size_t total,
                                              std::size_t block) {
    for (std::size_t done = 0; done < total; done += block) {
        out.push_back(std::malloc(block));  // through the C family where it is tracked
        escape(out.back());
    }
}

const nd::AllocationSite* find_site(const std::vector<nd::AllocationSite>& sites,
                                    std::string_view function) {
    for (const nd::AllocationSite& site : sites) {
        if (nd::site_function(site).find(function) != std::string_view::npos) {
            return &site;
        }
    }
    return nullptr;
}

// A site's estimate is a sum of independent samples: its relative standard error is about
// 1/sqrt(expected samples). Four of those is a bound a fixed seed passes with certainty and a
// broken estimator (a 58% over-count, a missing un-sampling) does not.
void expect_estimate(const nd::AllocationSite* site, std::size_t truth, const char* what) {
    ASSERT_NE(site, nullptr) << what << ": no site";
    const double expected_samples = static_cast<double>(truth) / kTestInterval;
    const double tolerance = 4.0 / std::sqrt(expected_samples);
    ASSERT_LE(tolerance, 0.25);
    EXPECT_NEAR(static_cast<double>(site->live_bytes), static_cast<double>(truth),
                tolerance * static_cast<double>(truth))
        << what << ": " << site->live_samples << " samples";
    EXPECT_GE(site->allocated_bytes, site->live_bytes) << what;
}

bool sampling_available() {
    return nd::tracking_allocator_enabled() && nd::sampling_interval() == kTestInterval;
}

// Tests that find a site by its function's name: on Windows frames read module+offset.
#if defined(_WIN32)
constexpr bool kFunctionNames = false;
#else
constexpr bool kFunctionNames = true;
#endif
constexpr const char* kNeedsNames =
    "needs tracking, NEBULA_SAMPLING_INTERVAL=65536 and function names (Windows frames read "
    "module+offset)";

}  // namespace

TEST(AllocationSites, TheEnvironmentSetsTheInterval) {
    if (!nd::tracking_allocator_enabled()) {
        EXPECT_EQ(nd::sampling_interval(), 0u);
        EXPECT_TRUE(nd::live_allocation_sites().empty());
        return;
    }
    EXPECT_EQ(nd::sampling_interval(), kTestInterval);
}

TEST(AllocationSites, KnownSitesAreEstimatedWithinTheirError) {
    if (!sampling_available() || !kFunctionNames) {
        GTEST_SKIP() << kNeedsNames;
    }
    const nd::MemoryTag tag = nd::memory_tag("test.sites");
    constexpr std::size_t kTerrain = 16u << 20;
    constexpr std::size_t kMeshes = 32u << 20;
    constexpr std::size_t kTextures = 64u << 20;
    Blocks terrain;
    Blocks meshes;
    std::vector<void*> textures;
    {
        nd::MemoryScope scope(tag);
        terrain.reserve(kTerrain / 4096);
        meshes.reserve(kMeshes / (256 * 1024));
        textures.reserve(kTextures / (1 << 20));
        allocate_terrain_chunks(terrain, kTerrain, 4096);      // small blocks: a few sampled
        allocate_mesh_buffers(meshes, kMeshes, 256 * 1024);    // larger than the interval
        allocate_texture_pages(textures, kTextures, 1 << 20);  // almost all sampled
    }
    std::vector<nd::AllocationSite> sites = nd::live_allocation_sites("test.sites");
    expect_estimate(find_site(sites, "allocate_terrain_chunks"), kTerrain, "terrain");
    expect_estimate(find_site(sites, "allocate_mesh_buffers"), kMeshes, "meshes");
    if (nd::malloc_family_tracked()) {
        expect_estimate(find_site(sites, "allocate_texture_pages"), kTextures, "textures");
        EXPECT_EQ(nd::site_function(sites.front()).find("allocate_texture_pages") !=
                      std::string_view::npos,
                  true)
            << "the largest site comes first";
    }
    for (const nd::AllocationSite& site : sites) {
        EXPECT_EQ(site.tag, "test.sites");
        ASSERT_FALSE(site.frames.empty());
        EXPECT_EQ(site.frames.front().find("operator new"), std::string::npos)
            << "the tracker's own frames are dropped: " << site.frames.front();
        EXPECT_EQ(site.frames.front().find("nebula::debug"), std::string::npos)
            << site.frames.front();
    }

    // Half of the meshes freed: half of the estimate goes.
    const std::size_t meshes_before = find_site(sites, "allocate_mesh_buffers")->live_bytes;
    meshes.resize(meshes.size() / 2);
    sites = nd::live_allocation_sites("test.sites");
    const nd::AllocationSite* meshes_after = find_site(sites, "allocate_mesh_buffers");
    ASSERT_NE(meshes_after, nullptr);
    EXPECT_LT(meshes_after->live_bytes, meshes_before * 3 / 4);
    EXPECT_GT(meshes_after->live_bytes, meshes_before / 4);

    terrain.clear();
    meshes.clear();
    for (void* block : textures) {
        std::free(block);
    }
    sites = nd::live_allocation_sites("test.sites");
    for (const char* function :
         {"allocate_terrain_chunks", "allocate_mesh_buffers", "allocate_texture_pages"}) {
        EXPECT_EQ(find_site(sites, function), nullptr)
            << function << ": every block was freed, so the site holds no live memory";
    }
}

TEST(AllocationSites, IntervalZeroRecordsNothing) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    nd::set_sampling_interval(0);
    EXPECT_EQ(nd::sampling_interval(), 0u);
    const std::size_t before = nd::sampling_stats().samples_recorded;
    Blocks blocks;
    allocate_terrain_chunks(blocks, 16u << 20, 64 * 1024);
    EXPECT_EQ(nd::sampling_stats().samples_recorded, before);
    nd::set_sampling_interval(kTestInterval);
    allocate_terrain_chunks(blocks, 16u << 20, 64 * 1024);
    EXPECT_GT(nd::sampling_stats().samples_recorded, before + 100)
        << "turned on again, every thread's countdown restarts";
}

TEST(AllocationSites, SampledBlocksFreedOnOtherThreadsAndAfterTheirThreadExited) {
    if (!sampling_available() || !kFunctionNames) {
        GTEST_SKIP() << kNeedsNames;
    }
    const nd::MemoryTag tag = nd::memory_tag("test.sites-threads");
    Blocks blocks;
    std::thread maker([&] {
        nd::MemoryScope scope(tag);
        blocks.reserve(256);
        allocate_mesh_buffers(blocks, 16u << 20, 64 * 1024);
    });
    maker.join();  // the thread that made them has exited: their samples stay
    const std::vector<nd::AllocationSite> sites = nd::live_allocation_sites("test.sites-threads");
    ASSERT_NE(find_site(sites, "allocate_mesh_buffers"), nullptr);
    const std::size_t live_before = nd::sampling_stats().live_samples;
    const std::size_t site_samples = find_site(sites, "allocate_mesh_buffers")->live_samples;
    std::thread freer([&] { blocks.clear(); });
    freer.join();
    EXPECT_EQ(find_site(nd::live_allocation_sites("test.sites-threads"), "allocate_mesh_buffers"),
              nullptr);
    EXPECT_EQ(nd::sampling_stats().live_samples, live_before - site_samples);
}

TEST(AllocationSites, AFullTableDropsSamplesAndCountsThem) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    nd::set_sampling_interval(1);  // every allocation sampled
    const nd::SamplingStats before = nd::sampling_stats();
    std::vector<std::unique_ptr<int>> blocks;
    blocks.reserve(40'000);
    for (int i = 0; i < 40'000; ++i) {
        blocks.push_back(std::make_unique<int>(i));
    }
    const nd::SamplingStats full = nd::sampling_stats();
    nd::set_sampling_interval(kTestInterval);
    EXPECT_GT(full.samples_dropped, before.samples_dropped);
    EXPECT_LE(full.live_samples, 24576u);
    EXPECT_GT(full.table_bytes, 0u);
    blocks.clear();
    EXPECT_LT(nd::sampling_stats().live_samples, full.live_samples);
}

namespace {
// A distinct stack for every depth: `depth` nested calls, then one allocation.
[[gnu::noinline]] std::unique_ptr<int> allocate_at_depth(int depth) {
    if (depth == 0) {
        return std::make_unique<int>(depth);
    }
    auto block = allocate_at_depth(depth - 1);
    escape(block.get());  // not a tail call: every level keeps its frame
    return block;
}
[[gnu::noinline]] std::unique_ptr<int> allocate_at_depth_too(int depth) {
    auto block = allocate_at_depth(depth);
    escape(block.get());
    return block;
}
[[gnu::noinline]] std::unique_ptr<int> allocate_at_depth_again(int depth) {
    auto block = allocate_at_depth_too(depth);
    escape(block.get());
    return block;
}

// More distinct (stack, tag) sites than the table holds (7200 of 4096), every allocation sampled:
// 24 depths (past the captured frames deeper stacks would read the same), three callers, 100 tags
// (leaving the other tests of the process room among kMaxMemoryTags).
std::vector<std::unique_ptr<int>> allocate_from_many_sites() {
    std::vector<std::unique_ptr<int>> blocks;
    blocks.reserve(100 * 24 * 3);
    for (int tag = 0; tag < 100; ++tag) {
        const std::string name = "test.sites-table-" + std::to_string(tag);
        const nd::MemoryScope scope(name);
        for (int depth = 0; depth < 24; ++depth) {
            blocks.push_back(allocate_at_depth(depth));
            blocks.push_back(allocate_at_depth_too(depth));
            blocks.push_back(allocate_at_depth_again(depth));
        }
    }
    return blocks;
}
}  // namespace

TEST(AllocationSites, AFullSiteTableReplacesSitesWithNothingLiveAndDropsTheRest) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    nd::set_sampling_interval(1);  // every allocation sampled
    const nd::SamplingStats before = nd::sampling_stats();
    // All held at once: the table fills with sites holding live samples, the rest are dropped.
    allocate_from_many_sites();
    const nd::SamplingStats first = nd::sampling_stats();
    EXPECT_EQ(first.sites, 4096u) << "the table's cap";
    EXPECT_GT(first.samples_dropped, before.samples_dropped);
    // Now freed, those sites hold nothing live: the sites dropped the first time take their places.
    const std::vector<std::unique_ptr<int>> held = allocate_from_many_sites();
    const nd::SamplingStats second = nd::sampling_stats();
    nd::set_sampling_interval(kTestInterval);
    EXPECT_GT(second.sites_evicted, first.sites_evicted);
    EXPECT_EQ(second.sites, 4096u);
    EXPECT_FALSE(nd::live_allocation_sites(5).empty());
}

TEST(AllocationSites, WriteHeapProfileToAnUnwritablePathFailsWithAMessage) {
    std::string error;
    EXPECT_FALSE(nd::write_heap_profile("/nonexistent-directory/heap.pb.gz", &error));
    EXPECT_NE(error.find("/nonexistent-directory/heap.pb.gz"), std::string::npos) << error;
    EXPECT_FALSE(nd::write_heap_profile("/nonexistent-directory/heap.pb.gz"));  // no error out
}

TEST(AllocationSites, SiteFunctionSkipsTheStandardLibrary) {
    nd::AllocationSite site;
    EXPECT_EQ(nd::site_function(site), "");
    site.frames = {"void std::vector<int, std::allocator<int> >::_M_realloc_insert<int>(int&&)",
                   "__gnu_cxx::new_allocator<int>::allocate(unsigned long, void const*)",
                   "World::build_mesh(int)", "main"};
    EXPECT_EQ(nd::site_function(site), "World::build_mesh(int)");
    site.frames = {"std::vector<int>::reserve(unsigned long)"};
    EXPECT_EQ(nd::site_function(site), "std::vector<int>::reserve(unsigned long)");
}

#if !defined(_WIN32)
TEST(AllocationSites, AForkedChildFreesSampledBlocksOfItsParent) {
    if (!sampling_available()) {
        GTEST_SKIP() << "needs tracking and NEBULA_SAMPLING_INTERVAL=" << kTestInterval;
    }
    // Under the sanitizers the fork happens with no other thread running (see sanitizers.hpp).
    const bool other_thread_sampling =
        !nd::testing::kAddressSanitizer && !nd::testing::kThreadSanitizer;
    const nd::MemoryTag tag = nd::memory_tag("test.sites-fork");
    Blocks blocks;
    {
        nd::MemoryScope scope(tag);
        blocks.reserve(256);
        allocate_mesh_buffers(blocks, 16u << 20, 64 * 1024);
    }
    std::thread busy;
    if (other_thread_sampling) {
        busy = std::thread([] {  // another thread sampling as the process forks
            Blocks churn;
            for (int i = 0; i < 50; ++i) {
                allocate_terrain_chunks(churn, 1u << 20, 64 * 1024);
                churn.clear();
            }
        });
    }
    const pid_t child = fork();
    if (child == 0) {
        const auto mesh_site = [] {
            return find_site(nd::live_allocation_sites("test.sites-fork"), "allocate_mesh_buffers");
        };
        const bool had_site = mesh_site() != nullptr;
        blocks.clear();
        const bool freed = mesh_site() == nullptr;
        Blocks fresh;
        allocate_mesh_buffers(fresh, 8u << 20, 64 * 1024);  // the child samples too
        std::_Exit(had_site && freed && nd::sampling_stats().live_samples > 0 ? 0 : 1);
    }
    if (busy.joinable()) {
        busy.join();
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    EXPECT_NE(find_site(nd::live_allocation_sites("test.sites-fork"), "allocate_mesh_buffers"),
              nullptr)
        << "the parent's stay";
}
#endif

namespace {
// Frees sampled blocks during static destruction and checks their samples went; exits 3 if not.
struct SampledAtStaticDestruction {
    Blocks blocks;
    ~SampledAtStaticDestruction() {
        const std::size_t before = nd::sampling_stats().live_samples;
        blocks.clear();
        if (nd::sampling_stats().live_samples >= before) {
            std::_Exit(3);
        }
        // Other blocks of the tag may still be live (the scope is still open as exit() runs).
        if (find_site(nd::live_allocation_sites("test.sites-static"), "allocate_mesh_buffers") !=
            nullptr) {
            std::_Exit(4);
        }
    }
};
}  // namespace

TEST(AllocationSitesDeathTest, SampledBlocksFreedDuringStaticDestruction) {
    if (!sampling_available() || !kFunctionNames) {
        GTEST_SKIP() << kNeedsNames;
    }
    EXPECT_EXIT(
        {
            static SampledAtStaticDestruction holder;
            nd::MemoryScope scope(nd::memory_tag("test.sites-static"));
            holder.blocks.reserve(256);
            allocate_mesh_buffers(holder.blocks, 16u << 20, 64 * 1024);
            if (nd::live_allocation_sites("test.sites-static").empty()) {
                std::_Exit(2);
            }
            std::exit(0);
        },
        testing::ExitedWithCode(0), "");
}
