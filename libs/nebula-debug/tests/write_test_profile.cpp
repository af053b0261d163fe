// Writes a heap profile of three known sites to argv[1], for check_pprof.cmake to read back with
// `go tool pprof`: a reader written by others, not by the encoder's author.
#include <cstdio>
#include <string>
#include <vector>

#include "sites/heap_profile.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s PROFILE\n", argv[0]);
        return 2;
    }
    using nebula::debug::detail::ProfileSite;
    constexpr double kMiB = 1024.0 * 1024.0;
    const std::vector<ProfileSite> sites = {
        {.frames = {"leak_meshes", "build_mesh", "main"},
         .tag = "Meshes",
         .live_allocations = 3,
         .live_bytes = 3 * kMiB,
         .allocated_allocations = 6,
         .allocated_bytes = 6 * kMiB,
         .live_samples = 5},
        {.frames = {"load_texture", "load_assets", "main"},
         .tag = "Textures",
         .live_allocations = 1,
         .live_bytes = 1 * kMiB,
         .allocated_allocations = 2,
         .allocated_bytes = 2 * kMiB,
         .live_samples = 2},
        {.frames = {"play_sound", "audio_thread"},
         .tag = "Audio",
         .live_allocations = 0,
         .live_bytes = 0,
         .allocated_allocations = 8,
         .allocated_bytes = 512 * 1024.0},
    };
    std::string error;
    if (!nebula::debug::detail::write_heap_profile_file(sites, 512 * 1024, argv[1], &error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    return 0;
}
