// The sampled blocks still live and the call stacks they came from: a table of sites, one per
// distinct (stack, tag), with estimated totals, and a table of live sampled blocks pointing into
// it. Both come from pages straight from the OS, taken on first use, and have a fixed cap. A new
// site that finds the site table full takes the place of a site with no live sample left (whose
// allocated-since-start totals are then lost); a sample that finds no room at all is dropped and
// counted, never allocated for. Memory: 312 bytes
// per site (4096 at most, 1.25 MiB) plus a 32 KiB index, 24 bytes per live-table slot (1024 to
// 32768 slots: 24 KiB to 768 KiB).
#pragma once

#include <cstddef>
#include <cstdint>

#include "platform/spin_lock.hpp"
#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail::sites {

inline constexpr int kMaxFrames = 32;                  // per stack, the tracker's own included
inline constexpr std::size_t kMaxSites = 4096;         // distinct (stack, tag) pairs
inline constexpr std::size_t kMaxLiveSamples = 24576;  // 3/4 of the live table's slots

// One site as reports read it. The estimates are un-sampled: each sample of `size` bytes counts
// 1 / (1 - exp(-size / interval)) allocations.
struct SiteTotals {
    std::uint16_t tag = 0;
    std::uint16_t depth = 0;
    void* frames[kMaxFrames] = {};  // return addresses, innermost first
    double allocated_count = 0;
    double allocated_bytes = 0;
    double live_count = 0;
    double live_bytes = 0;
    std::uint64_t live_samples = 0;
};

// Records a sampled block with `weight` (estimated allocations it stands for); false, counted as
// dropped, when a table is full.
bool add_sample(const void* block, std::uint64_t size, double weight, std::uint16_t tag,
                void* const* frames, int depth) noexcept;
// Takes a freed block's share out of its site's live totals; false when it was not recorded.
bool remove_sample(const void* block) noexcept;
// A sampled block resized (realloc, perhaps to another address): its sample keeps its site and
// now stands for `size` bytes with `weight`; false when it was not recorded.
bool move_sample(const void* from, const void* to, std::uint64_t size, double weight) noexcept;
// The tables' lock, held across fork() by the thread registry's fork handlers.
SpinLock& table_lock() noexcept;
// Whether any sampled block is live (read without the lock).
bool any_live_samples() noexcept;
// Copies up to `capacity` sites into `out`; how many it copied.
std::size_t copy_sites(SiteTotals* out, std::size_t capacity) noexcept;

struct TableStats {
    std::size_t samples_recorded = 0;
    std::size_t live_samples = 0;
    std::size_t samples_dropped = 0;
    std::size_t sites = 0;
    std::size_t sites_evicted = 0;
    std::size_t bytes = 0;  // what the tables hold resident (0 before the first sample)
};
TableStats table_stats() noexcept;

}  // namespace nebula::debug::detail::sites

NEBULA_INTERNAL_END
