// Both tables sit under one spin lock: at the default interval a busy thread samples a few
// thousand times a second, and each sample holds the lock for a hash lookup and a few adds.
// Sites are kept densely in arrival order (pages fill up front to back, so resident memory grows
// with the sites seen, not the capacity) and found through an index of twice their number. Live
// blocks use open addressing with linear probing and backward-shift deletion (no tombstones), in
// a table that doubles as it passes 3/4 full, up to kMaxLiveSamples.
#include "stack_table.hpp"

#include <atomic>
#include <cstring>
#include <mutex>

#include "platform/platform.hpp"
#include "platform/spin_lock.hpp"

namespace nebula::debug::detail::sites {
namespace {

struct Site {
    std::uint64_t hash;
    SiteTotals totals;
};

struct LiveSample {
    std::uintptr_t block;  // 0: an empty slot
    std::uint64_t size;
    std::uint32_t site;
    float weight;
};

constexpr std::size_t kSiteIndexSlots = 2 * kMaxSites;  // a power of two
constexpr std::size_t kMaxLiveSlots = kMaxLiveSamples * 4 / 3;
constexpr std::size_t kInitialLiveSlots = 1024;
static_assert((kMaxLiveSlots & (kMaxLiveSlots - 1)) == 0 &&
              (kSiteIndexSlots & (kSiteIndexSlots - 1)) == 0);
constexpr std::size_t kSiteTableBytes =
    kMaxSites * sizeof(Site) + kSiteIndexSlots * sizeof(std::uint32_t);

constinit SpinLock g_lock;
constinit Site* g_sites = nullptr;                // kMaxSites
constinit std::uint32_t* g_site_index = nullptr;  // site + 1, 0: empty
constinit LiveSample* g_live = nullptr;           // g_live_slots, a power of two
constinit std::size_t g_live_slots = 0;
constinit std::size_t g_site_count = 0;
constinit std::size_t g_samples_recorded = 0;
constinit std::size_t g_samples_dropped = 0;
constinit std::size_t g_sites_evicted = 0;
constinit std::size_t g_eviction_cursor = 0;
constinit std::atomic<std::size_t> g_live_count{0};
constinit bool g_tables_failed = false;

std::size_t home_of(std::uintptr_t block, std::size_t slots) noexcept {
    return static_cast<std::size_t>((block * 0x9E3779B97F4A7C15u) >> 20) & (slots - 1);
}

bool resize_live(std::size_t slots) noexcept {
    auto* live = static_cast<LiveSample*>(platform::allocate_pages(slots * sizeof(LiveSample)));
    if (live == nullptr) {
        return false;
    }
    for (std::size_t i = 0; i < g_live_slots; ++i) {
        if (g_live[i].block != 0) {
            std::size_t slot = home_of(g_live[i].block, slots);
            while (live[slot].block != 0) {
                slot = (slot + 1) & (slots - 1);
            }
            live[slot] = g_live[i];
        }
    }
    if (g_live != nullptr) {
        platform::release_pages(g_live, g_live_slots * sizeof(LiveSample));
    }
    g_live = live;
    g_live_slots = slots;
    return true;
}

// Room for one more live sample; false when the tables cannot have it.
bool make_room(std::size_t live) noexcept {
    if (g_sites == nullptr && !g_tables_failed) {
        // Reserved whole, but only the pages written to become resident: sites fill it in order.
        auto* pages = static_cast<char*>(platform::allocate_pages(kSiteTableBytes));
        g_tables_failed = pages == nullptr || !resize_live(kInitialLiveSlots);
        if (g_tables_failed) {
            return false;
        }
        g_sites = reinterpret_cast<Site*>(pages);
        g_site_index = reinterpret_cast<std::uint32_t*>(pages + kMaxSites * sizeof(Site));
    }
    if (g_sites == nullptr || live >= kMaxLiveSamples) {
        return false;
    }
    return (live + 1) * 4 <= g_live_slots * 3 || resize_live(g_live_slots * 2);
}

std::uint64_t hash_of(std::uint16_t tag, void* const* frames, int depth) noexcept {
    std::uint64_t hash = 0x9E3779B97F4A7C15u ^ tag;
    for (int i = 0; i < depth; ++i) {
        hash = (hash ^ reinterpret_cast<std::uintptr_t>(frames[i])) * 0xFF51AFD7ED558CCDu;
        hash ^= hash >> 32;
    }
    return hash;
}

constexpr std::size_t kIndexMask = kSiteIndexSlots - 1;

// Takes site `victim` out of the index (backward-shift deletion, as in the live table).
void unindex_site(std::size_t victim) noexcept {
    std::size_t hole = g_sites[victim].hash & kIndexMask;
    while (g_site_index[hole] != victim + 1) {
        hole = (hole + 1) & kIndexMask;
    }
    for (std::size_t next = (hole + 1) & kIndexMask; g_site_index[next] != 0;
         next = (next + 1) & kIndexMask) {
        const std::size_t home = g_sites[g_site_index[next] - 1].hash & kIndexMask;
        if (((next - home) & kIndexMask) >= ((next - hole) & kIndexMask)) {
            g_site_index[hole] = g_site_index[next];
            hole = next;
        }
    }
    g_site_index[hole] = 0;
}

// A site to reuse once the table is full: one with no live sample left (its allocated totals
// go with it), looked for round-robin; kMaxSites when every site still holds live samples.
std::size_t evictable_site() noexcept {
    for (std::size_t tried = 0; tried < kMaxSites; ++tried) {
        const std::size_t candidate = g_eviction_cursor;
        g_eviction_cursor = (g_eviction_cursor + 1) % kMaxSites;
        if (g_sites[candidate].totals.live_samples == 0) {
            return candidate;
        }
    }
    return kMaxSites;
}

// The site of (tag, stack), added if new; null when the table is full of sites with live samples.
Site* find_or_add_site(std::uint16_t tag, void* const* frames, int depth) noexcept {
    const std::uint64_t hash = hash_of(tag, frames, depth);
    for (std::size_t slot = hash & kIndexMask;; slot = (slot + 1) & kIndexMask) {
        const std::uint32_t entry = g_site_index[slot];
        if (entry == 0) {
            std::size_t index = g_site_count;
            if (g_site_count == kMaxSites) {
                index = evictable_site();
                if (index == kMaxSites) {
                    return nullptr;
                }
                unindex_site(index);
                ++g_sites_evicted;
                slot = hash & kIndexMask;  // the deletion may have moved the free slot
                while (g_site_index[slot] != 0) {
                    slot = (slot + 1) & kIndexMask;
                }
            } else {
                ++g_site_count;
            }
            Site& site = g_sites[index];
            site.hash = hash;
            site.totals = SiteTotals{};
            site.totals.tag = tag;
            site.totals.depth = static_cast<std::uint16_t>(depth);
            std::memcpy(site.totals.frames, frames,
                        static_cast<std::size_t>(depth) * sizeof(void*));
            g_site_index[slot] = static_cast<std::uint32_t>(index + 1);
            return &site;
        }
        Site& site = g_sites[entry - 1];
        if (site.hash == hash && site.totals.tag == tag && site.totals.depth == depth &&
            std::memcmp(site.totals.frames, frames,
                        static_cast<std::size_t>(depth) * sizeof(void*)) == 0) {
            return &site;
        }
    }
}

}  // namespace

SpinLock& table_lock() noexcept {
    return g_lock;
}

bool add_sample(const void* block, std::uint64_t size, double weight, std::uint16_t tag,
                void* const* frames, int depth) noexcept {
    // Added and taken away in the precision the live table keeps, so both match exactly.
    const double kept_weight = static_cast<float>(weight);
    std::lock_guard lock(g_lock);
    const std::size_t live = g_live_count.load(std::memory_order_relaxed);
    Site* site = make_room(live) ? find_or_add_site(tag, frames, depth) : nullptr;
    if (site == nullptr) {
        ++g_samples_dropped;
        return false;
    }
    const auto address = reinterpret_cast<std::uintptr_t>(block);
    std::size_t slot = home_of(address, g_live_slots);
    while (g_live[slot].block != 0) {
        slot = (slot + 1) & (g_live_slots - 1);
    }
    g_live[slot] = {address, size, static_cast<std::uint32_t>(site - g_sites),
                    static_cast<float>(kept_weight)};
    g_live_count.store(live + 1, std::memory_order_relaxed);
    ++g_samples_recorded;
    SiteTotals& totals = site->totals;
    totals.allocated_count += kept_weight;
    totals.allocated_bytes += kept_weight * static_cast<double>(size);
    totals.live_count += kept_weight;
    totals.live_bytes += kept_weight * static_cast<double>(size);
    ++totals.live_samples;
    return true;
}

namespace {

// The live table's slot holding `address`, or g_live_slots when none does. Under the lock.
std::size_t find_live_slot(std::uintptr_t address) noexcept {
    if (g_live == nullptr) {
        return g_live_slots;
    }
    std::size_t slot = home_of(address, g_live_slots);
    while (g_live[slot].block != address) {
        if (g_live[slot].block == 0) {
            return g_live_slots;
        }
        slot = (slot + 1) & (g_live_slots - 1);
    }
    return slot;
}

// Empties a live slot, moving later entries of its probe run back into the hole. Under the lock.
void erase_live_slot(std::size_t hole) noexcept {
    const std::size_t mask = g_live_slots - 1;
    for (std::size_t next = (hole + 1) & mask; g_live[next].block != 0; next = (next + 1) & mask) {
        const std::size_t home = home_of(g_live[next].block, g_live_slots);
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            g_live[hole] = g_live[next];
            hole = next;
        }
    }
    g_live[hole] = LiveSample{};
}

}  // namespace

bool remove_sample(const void* block) noexcept {
    std::lock_guard lock(g_lock);
    const std::size_t hole = find_live_slot(reinterpret_cast<std::uintptr_t>(block));
    if (hole == g_live_slots) {
        return false;
    }
    const LiveSample sample = g_live[hole];
    SiteTotals& totals = g_sites[sample.site].totals;
    // Exactly what add_sample added, so that a site whose blocks are all freed reads zero.
    totals.live_count -= static_cast<double>(sample.weight);
    totals.live_bytes -= static_cast<double>(sample.weight) * static_cast<double>(sample.size);
    if (--totals.live_samples == 0) {
        totals.live_count = 0;
        totals.live_bytes = 0;
    }
    erase_live_slot(hole);
    g_live_count.store(g_live_count.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return true;
}

bool move_sample(const void* from, const void* to, std::uint64_t size, double weight) noexcept {
    const double kept_weight = static_cast<float>(weight);
    std::lock_guard lock(g_lock);
    const std::size_t slot = find_live_slot(reinterpret_cast<std::uintptr_t>(from));
    if (slot == g_live_slots) {
        return false;
    }
    LiveSample sample = g_live[slot];
    SiteTotals& totals = g_sites[sample.site].totals;
    totals.live_count += kept_weight - static_cast<double>(sample.weight);
    totals.live_bytes += kept_weight * static_cast<double>(size) -
                         static_cast<double>(sample.weight) * static_cast<double>(sample.size);
    sample.size = size;
    sample.weight = static_cast<float>(kept_weight);
    if (from == to) {
        g_live[slot] = sample;
        return true;
    }
    erase_live_slot(slot);
    sample.block = reinterpret_cast<std::uintptr_t>(to);
    std::size_t free_slot = home_of(sample.block, g_live_slots);
    while (g_live[free_slot].block != 0) {
        free_slot = (free_slot + 1) & (g_live_slots - 1);
    }
    g_live[free_slot] = sample;
    return true;
}

bool any_live_samples() noexcept {
    return g_live_count.load(std::memory_order_relaxed) != 0;
}

std::size_t copy_sites(SiteTotals* out, std::size_t capacity) noexcept {
    std::lock_guard lock(g_lock);
    const std::size_t count = g_site_count < capacity ? g_site_count : capacity;
    for (std::size_t i = 0; i < count; ++i) {
        out[i] = g_sites[i].totals;
    }
    return count;
}

TableStats table_stats() noexcept {
    std::lock_guard lock(g_lock);
    // The site pages written so far, not the reservation: the rest is not resident.
    const std::size_t page = platform::page_size();
    const std::size_t site_bytes = g_sites != nullptr
                                       ? (g_site_count * sizeof(Site) + page - 1) / page * page +
                                             kSiteIndexSlots * sizeof(std::uint32_t)
                                       : 0;
    return {g_samples_recorded, g_live_count.load(std::memory_order_relaxed),
            g_samples_dropped,  g_site_count,
            g_sites_evicted,    site_bytes + g_live_slots * sizeof(LiveSample)};
}

}  // namespace nebula::debug::detail::sites
