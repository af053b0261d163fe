// Leak watch: the gap between what the tracker holds under a subsystem's tag (the allocator's
// bytes plus its GPU bytes, gpu_memory.hpp) and what the subsystem reports to MemoryBudget. A
// subsystem's reporter walks its live set, so a buffer it lost track of is invisible to it; the
// allocator still holds it. Container slack keeps a small, steady gap; a gap past a threshold is
// warned about as a probable leak.
#pragma once

#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nebula::debug {

inline constexpr std::size_t kDefaultLeakGapThresholdBytes = 4 * 1024 * 1024;

// Warnings go to the spdlog logger "nebula.memory", like the budget's, once per crossing:
// "Subsystem 'Meshes' holds 5 MB it does not report (allocator 9 MB / reported 4 MB): a leak?"
// A subsystem warns when its gap goes from at-or-below the threshold to above it, and is re-armed
// when the gap falls back to or below it. With tracking compiled out every gap reads zero.
//
// Not thread-safe: one thread (the one that draws the frame) calls check() and the queries.
class LeakWatch {
public:
    explicit LeakWatch(std::size_t gap_threshold_bytes = kDefaultLeakGapThresholdBytes);

    void set_gap_threshold(std::size_t bytes);
    std::size_t gap_threshold() const noexcept { return gap_threshold_bytes_; }

    // Compares every subsystem of `budget` with its allocator tag and warns on new crossings.
    // Allocates only the first time it sees a subsystem's name.
    void check(const MemoryBudget& budget);

    // Allocator bytes minus reported bytes at the last check (0 for names never checked or
    // without a tag).
    std::int64_t gap(std::string_view subsystem) const noexcept;
    // Whether the subsystem's gap was above the threshold at the last check.
    bool is_suspect(std::string_view subsystem) const noexcept;
    // Upward crossings warned about since construction, all subsystems together.
    std::size_t warnings_logged() const noexcept { return warnings_logged_; }

private:
    struct Watched {
        std::string name;
        MemoryTag tag;
        bool has_tag = false;
        std::int64_t gap = 0;
        std::size_t held_bytes = 0;
        std::size_t reported_bytes = 0;
        bool over = false;
        bool crossed = false;  // went over during the current check
    };
    const Watched* find(std::string_view subsystem) const noexcept;

    std::size_t gap_threshold_bytes_;
    std::vector<Watched> watched_;
    std::size_t warnings_logged_ = 0;
};

// The report at exit: what the allocator still holds, tag by tag (largest first), each with its
// top `sites_per_tag` live allocation sites (allocation_sites.hpp), logged on "nebula.memory":
//
//   Live at exit: Meshes 8.1 MB in 1,204 allocations
//     7.9 MB (+-6%) in 1,180 allocations: build_chunk_mesh(...) <- MeshStore::build_pending(...)
//
// Whatever is still allocated once the program's static objects are gone is what leaked.
void log_live_memory(std::size_t sites_per_tag = 5);

// Logs log_live_memory() as the process exits: after main returns and after the static objects
// constructed after this call are destroyed. Once per process, however often it is called.
// NEBULA_LEAK_REPORT=1 in the environment does it at start-up, before main, in every program that
// links nebula::debug (budgets or not); NEBULA_LEAK_REPORT=0 makes this call do nothing (a program
// that turns it on by default is turned off that way). The tracker's own memory (symbol tables)
// is not in the report: it is tracking overhead.
void log_live_memory_at_exit();

}  // namespace nebula::debug
