// GPU resources per tag (gpu_memory.hpp). The live ids sit in a hash table split into shards,
// each behind its own spin lock, so threads creating resources at once rarely meet on one lock;
// the per-tag and process totals are shared atomics, updated under the id's shard lock so that an
// id's allocation is always counted before its free.
//
// Its memory comes from pages straight from the OS, never from the allocator it sits beside:
// a resource created inside a MemoryScope must not charge the table's growth to that tag.
#include <nebula/debug/gpu_memory.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

#include "platform/platform.hpp"
#include "platform/spin_lock.hpp"
#include "tag_registry.hpp"

namespace nebula::debug {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

struct Slot {
    std::uint64_t id = 0;
    std::uint64_t bytes = 0;
    std::uint32_t tag_plus_one = 0;  // 0: the slot is empty
};

// A power of two; 64 shards keep 8 threads' odds of sharing a lock at any moment below 1 in 8.
constexpr std::size_t kShardBits = 6;
constexpr std::size_t kShards = std::size_t{1} << kShardBits;
constexpr std::size_t kFirstCapacity = 128;

struct alignas(64) Shard {
    detail::SpinLock lock;
    Slot* slots = nullptr;
    std::size_t capacity = 0;  // a power of two, or 0 before the first resource
    std::size_t size = 0;
};

struct alignas(64) Totals {
    std::atomic<std::int64_t> bytes{0};
    std::atomic<std::int64_t> peak_bytes{0};
    std::atomic<std::uint64_t> allocations{0};
    std::atomic<std::uint64_t> deallocations{0};
};

constinit std::array<Shard, kShards> g_shards{};
constinit std::array<Totals, kMaxMemoryTags> g_tag_totals{};
constinit Totals g_process_totals{};
constinit std::atomic<std::uint64_t> g_unknown_frees{0};

std::uint64_t hash(std::uint64_t id) noexcept {
    // Handles are often small consecutive integers: a multiply spreads them over every bit.
    return id * 0x9E3779B97F4A7C15ULL;
}

Shard& shard_of(std::uint64_t hashed) noexcept {
    return g_shards[hashed >> (64 - kShardBits)];
}

std::size_t home_of(std::uint64_t hashed, std::size_t capacity) noexcept {
    return static_cast<std::size_t>(hashed) & (capacity - 1);
}

void raise_peak(std::atomic<std::int64_t>& peak, std::int64_t candidate) noexcept {
    std::int64_t seen = peak.load(kRelaxed);
    while (candidate > seen && !peak.compare_exchange_weak(seen, candidate, kRelaxed)) {
    }
}

void add(Totals& totals, std::int64_t bytes, std::atomic<std::uint64_t> Totals::*count) noexcept {
    const std::int64_t now = totals.bytes.fetch_add(bytes, kRelaxed) + bytes;
    if (bytes > 0) {
        raise_peak(totals.peak_bytes, now);
    }
    (totals.*count).fetch_add(1, kRelaxed);
}

void count(std::uint32_t tag, std::int64_t bytes) noexcept {
    const auto which = bytes >= 0 ? &Totals::allocations : &Totals::deallocations;
    add(g_tag_totals[tag], bytes, which);
    // The process's counts are the tags' sum, read on demand; its bytes are kept for the peak.
    const std::int64_t now = g_process_totals.bytes.fetch_add(bytes, kRelaxed) + bytes;
    if (bytes > 0) {
        raise_peak(g_process_totals.peak_bytes, now);
    }
}

// Linear probing; the caller holds the shard's lock. Returns the id's slot or the empty slot
// that ends its probe sequence.
Slot& probe(Shard& shard, std::uint64_t id, std::uint64_t hashed) noexcept {
    for (std::size_t index = home_of(hashed, shard.capacity);;
         index = (index + 1) & (shard.capacity - 1)) {
        Slot& slot = shard.slots[index];
        if (slot.tag_plus_one == 0 || slot.id == id) {
            return slot;
        }
    }
}

bool grow(Shard& shard) noexcept {
    const std::size_t capacity = shard.capacity == 0 ? kFirstCapacity : shard.capacity * 2;
    auto* slots = static_cast<Slot*>(platform::allocate_pages(capacity * sizeof(Slot)));
    if (slots == nullptr) {
        return false;
    }
    Slot* const old_slots = shard.slots;
    const std::size_t old_capacity = shard.capacity;
    shard.slots = slots;
    shard.capacity = capacity;
    for (std::size_t index = 0; index < old_capacity; ++index) {
        if (old_slots[index].tag_plus_one != 0) {
            probe(shard, old_slots[index].id, hash(old_slots[index].id)) = old_slots[index];
        }
    }
    if (old_slots != nullptr) {
        platform::release_pages(old_slots, old_capacity * sizeof(Slot));
    }
    return true;
}

// Backward-shift deletion: the slots after `index` that probed past it move back, so no
// tombstones are needed and probe sequences stay short.
void erase(Shard& shard, std::size_t index) noexcept {
    const std::size_t mask = shard.capacity - 1;
    for (std::size_t next = (index + 1) & mask;; next = (next + 1) & mask) {
        Slot& candidate = shard.slots[next];
        if (candidate.tag_plus_one == 0) {
            break;
        }
        const std::size_t home = home_of(hash(candidate.id), shard.capacity);
        // Moves back unless its home lies cyclically in (index, next].
        if (((next - home) & mask) >= ((next - index) & mask)) {
            shard.slots[index] = candidate;
            index = next;
        }
    }
    shard.slots[index] = Slot{};
    --shard.size;
}

std::uint32_t checked_index(MemoryTag tag) noexcept {
    return tag.index < kMaxMemoryTags ? tag.index : kUntagged.index;
}

GpuStats to_stats(const Totals& totals) noexcept {
    GpuStats stats;
    const std::int64_t bytes = totals.bytes.load(kRelaxed);
    stats.allocated_bytes = bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
    stats.peak_allocated_bytes =
        static_cast<std::size_t>(std::max(totals.peak_bytes.load(kRelaxed), bytes));
    stats.allocation_count = static_cast<std::size_t>(totals.allocations.load(kRelaxed));
    stats.deallocation_count = static_cast<std::size_t>(totals.deallocations.load(kRelaxed));
    return stats;
}

}  // namespace

void track_gpu_allocation(std::uint64_t id, std::size_t bytes, MemoryTag tag) noexcept {
    const std::uint64_t hashed = hash(id);
    Shard& shard = shard_of(hashed);
    std::lock_guard lock(shard.lock);
    if ((shard.size + 1) * 4 > shard.capacity * 3 && !grow(shard)) {
        return;  // no page for the table: the resource goes untracked rather than miscounted
    }
    Slot& slot = probe(shard, id, hashed);
    if (slot.tag_plus_one != 0) {
        count(slot.tag_plus_one - 1, -static_cast<std::int64_t>(slot.bytes));
    } else {
        ++shard.size;
    }
    const std::uint32_t index = checked_index(tag);
    slot = Slot{id, bytes, index + 1};
    count(index, static_cast<std::int64_t>(bytes));
}

void track_gpu_allocation(std::uint64_t id, std::size_t bytes) noexcept {
    track_gpu_allocation(id, bytes, current_memory_tag());
}

void track_gpu_free(std::uint64_t id) noexcept {
    const std::uint64_t hashed = hash(id);
    Shard& shard = shard_of(hashed);
    std::lock_guard lock(shard.lock);
    if (shard.capacity != 0) {
        Slot& slot = probe(shard, id, hashed);
        if (slot.tag_plus_one != 0) {
            count(slot.tag_plus_one - 1, -static_cast<std::int64_t>(slot.bytes));
            erase(shard, static_cast<std::size_t>(&slot - shard.slots));
            return;
        }
    }
    g_unknown_frees.fetch_add(1, kRelaxed);
}

GpuStats gpu_stats() noexcept {
    GpuStats stats = to_stats(g_process_totals);
    const std::uint32_t tags = detail::registered_tag_count();
    for (std::uint32_t tag = 0; tag < tags; ++tag) {
        stats.allocation_count += g_tag_totals[tag].allocations.load(kRelaxed);
        stats.deallocation_count += g_tag_totals[tag].deallocations.load(kRelaxed);
    }
    return stats;
}

GpuStats gpu_stats(MemoryTag tag) noexcept {
    return tag.index < kMaxMemoryTags ? to_stats(g_tag_totals[tag.index]) : GpuStats{};
}

GpuStats gpu_stats(std::string_view tag) noexcept {
    MemoryTag found;
    return find_memory_tag(tag, found) ? gpu_stats(found) : GpuStats{};
}

std::size_t unknown_gpu_free_count() noexcept {
    return static_cast<std::size_t>(g_unknown_frees.load(kRelaxed));
}

void reset_gpu_peak() noexcept {
    for (Totals& totals : g_tag_totals) {
        totals.peak_bytes.store(std::max<std::int64_t>(totals.bytes.load(kRelaxed), 0), kRelaxed);
    }
    g_process_totals.peak_bytes.store(
        std::max<std::int64_t>(g_process_totals.bytes.load(kRelaxed), 0), kRelaxed);
}

}  // namespace nebula::debug
