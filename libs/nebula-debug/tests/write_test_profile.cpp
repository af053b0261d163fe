// Writes a heap profile of three known sites and two tags' totals to argv[1], for check_pprof.cmake
// to read back with `go tool pprof`: a reader written by others, not by the encoder's author.
#include <cstdio>
#include <string>
#include <vector>

#include "report/heap_profile.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s PROFILE\n", argv[0]);
        return 2;
    }
    using nebula::debug::AllocationSite;
    constexpr std::size_t kMiB = 1024 * 1024;
    const std::vector<AllocationSite> sites = {
        {.frames = {"leak_meshes", "build_mesh", "main"},
         .tag = "Meshes",
         .live_bytes = 3 * kMiB,
         .live_allocations = 3,
         .allocated_bytes = 6 * kMiB,
         .live_samples = 5,
         .lines = {},
         .system_frames = {},
         .allocated_allocations = 6},
        {.frames = {"load_texture", "load_assets", "main"},
         .tag = "Textures",
         .live_bytes = 1 * kMiB,
         .live_allocations = 1,
         .allocated_bytes = 2 * kMiB,
         .live_samples = 2,
         .lines = {},
         .system_frames = {},
         .allocated_allocations = 2},
        {.frames = {"play_sound", "audio_thread"},
         .tag = "Audio",
         .live_bytes = 0,
         .live_allocations = 0,
         .allocated_bytes = 512 * 1024,
         .live_samples = 0,
         .lines = {},
         .system_frames = {},
         .allocated_allocations = 8},
    };
    const std::vector<nebula::debug::detail::TagInUse> tags = {
        {.name = "Meshes", .bytes = 3 * kMiB + 4096, .blocks = 4},
        {.name = "Textures", .bytes = 1 * kMiB, .blocks = 1}};
    std::string error;
    if (!nebula::debug::detail::write_heap_profile_file(sites, 512 * 1024, argv[1], &error, tags)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    return 0;
}
