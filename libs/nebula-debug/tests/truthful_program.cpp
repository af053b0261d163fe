// A small engine-like program that allocates through emplace_back and make_unique and leaks some
// of it, with no budgets: check_truthful.cmake runs it and checks that its top sites, its heap
// profile (NEBULA_HEAP_PROFILE, read by go tool pprof) and its exit report (NEBULA_LEAK_REPORT=1)
// name its own functions first, with the tracker's own memory kept out of them.
// It prints "site: <site_summary>" per top site, then the resident cost of naming them.
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstdio>
#include <memory>
#include <vector>

namespace nd = nebula::debug;

namespace game {

struct Mesh {
    explicit Mesh(std::size_t vertices) : positions(vertices * 3) {}
    std::vector<float> positions;
};

class BufferPool {
public:
    // Noinline: the frame must exist to be named, whatever the optimiser does.
    [[gnu::noinline]] void frame(int index) {
        const nd::MemoryScope scope("Buffers");
        buffers_.emplace_back(static_cast<std::size_t>(64 * 1024 + index));
    }
    std::size_t size() const { return buffers_.size(); }

private:
    std::vector<std::vector<float>> buffers_;
};

[[gnu::noinline]] std::unique_ptr<Mesh> load_mesh(std::size_t vertices) {
    const nd::MemoryScope scope("Meshes");
    return std::make_unique<Mesh>(vertices);
}

}  // namespace game

int main() {
    game::BufferPool pool;
    std::vector<std::unique_ptr<game::Mesh>> meshes;
    for (int i = 0; i < 64; ++i) {
        pool.frame(i);                                 // 64 x 256 KiB
        meshes.push_back(game::load_mesh(16 * 1024));  // 64 x 192 KiB
    }
    const std::size_t resident_before = nd::process_resident_bytes();
    const std::vector<nd::AllocationSite> sites = nd::live_allocation_sites(5);
    const std::size_t resident_after = nd::process_resident_bytes();
    for (const nd::AllocationSite& site : sites) {
        std::printf("site: [%s] %s\n", site.tag.c_str(), nd::site_summary(site).c_str());
    }
    const nd::AllocatorStats stats = nd::allocator_stats();
    std::printf("allocated: %zu peak: %zu overhead: %zu\n", stats.allocated_bytes,
                stats.peak_allocated_bytes, nd::tracking_overhead_bytes());
    std::printf("resident cost of the first live_allocation_sites(): %.1f MiB\n",
                (static_cast<double>(resident_after) - static_cast<double>(resident_before)) /
                    (1024.0 * 1024.0));
    std::fflush(stdout);
    // The leak the exit report and the heap profile written at exit must name.
    for (std::size_t i = 0; i < 8; ++i) {
        [[maybe_unused]] const game::Mesh* const leaked = meshes[i].release();
    }
    return pool.size() == 64 ? 0 : 1;
}
