// An open-addressing hash table (linear probing, backward-shift deletion, no tombstones) under one
// spin lock: over-aligned blocks are made and freed far less often than others, so one lock is
// enough. Its slots come straight from the OS, never from the allocator it serves. It doubles past
// a load of 3/4 and halves below 3/16, so it stays between 3/8 and 3/4 full: 24-byte slots cost
// at most 64 bytes per live block (beyond the first kInitialCapacity slots).
#include "aligned_table.hpp"

#include <atomic>
#include <mutex>

#include "platform/platform.hpp"
#include "platform/spin_lock.hpp"

namespace nebula::debug::detail::aligned_table {
namespace {

constinit SpinLock g_lock;
constinit AlignedEntry* g_slots = nullptr;
constinit std::size_t g_capacity = 0;  // a power of two
// Read without the lock by find and remove: most processes never hold an over-aligned block, and
// a page-aligned ordinary block (1 in 256) must not take a lock to learn that.
constinit std::atomic<std::size_t> g_count{0};

constexpr std::size_t kInitialCapacity = 1024;

std::size_t home_of(std::uintptr_t block, std::size_t capacity) noexcept {
    // The low bits of an over-aligned address are zero: hash the rest.
    return static_cast<std::size_t>((block * 0x9E3779B97F4A7C15u) >> 17) & (capacity - 1);
}

void place(AlignedEntry* slots, std::size_t capacity, const AlignedEntry& entry) noexcept {
    std::size_t slot = home_of(entry.block, capacity);
    while (slots[slot].block != 0) {
        slot = (slot + 1) & (capacity - 1);
    }
    slots[slot] = entry;
}

bool resize(std::size_t capacity) noexcept {
    auto* slots =
        static_cast<AlignedEntry*>(platform::allocate_pages(capacity * sizeof(AlignedEntry)));
    if (slots == nullptr) {
        return false;
    }
    for (std::size_t i = 0; i < g_capacity; ++i) {
        if (g_slots[i].block != 0) {
            place(slots, capacity, g_slots[i]);
        }
    }
    if (g_slots != nullptr) {
        platform::release_pages(g_slots, g_capacity * sizeof(AlignedEntry));
    }
    g_slots = slots;
    g_capacity = capacity;
    return true;
}

// The slot holding `block`, or g_capacity.
std::size_t slot_of(std::uintptr_t block) noexcept {
    if (g_capacity == 0) {
        return 0;
    }
    for (std::size_t slot = home_of(block, g_capacity);; slot = (slot + 1) & (g_capacity - 1)) {
        if (g_slots[slot].block == block) {
            return slot;
        }
        if (g_slots[slot].block == 0) {
            return g_capacity;
        }
    }
}

}  // namespace

bool insert(const AlignedEntry& entry) noexcept {
    std::lock_guard lock(g_lock);
    const std::size_t count = g_count.load(std::memory_order_relaxed);
    if ((count + 1) * 4 > g_capacity * 3 &&
        !resize(g_capacity == 0 ? kInitialCapacity : g_capacity * 2)) {
        return false;
    }
    place(g_slots, g_capacity, entry);
    g_count.store(count + 1, std::memory_order_relaxed);
    return true;
}

bool find(const void* block, AlignedEntry& entry) noexcept {
    if (g_count.load(std::memory_order_relaxed) == 0) {
        return false;
    }
    std::lock_guard lock(g_lock);
    const std::size_t slot = slot_of(reinterpret_cast<std::uintptr_t>(block));
    if (slot == g_capacity) {
        return false;
    }
    entry = g_slots[slot];
    return true;
}

Retired retire(const void* block, AlignedEntry& entry) noexcept {
    if (g_count.load(std::memory_order_relaxed) == 0) {
        return Retired::absent;
    }
    std::lock_guard lock(g_lock);
    const std::size_t slot = slot_of(reinterpret_cast<std::uintptr_t>(block));
    if (slot == g_capacity) {
        return Retired::absent;
    }
    entry = g_slots[slot];
    if (entry.freed) {
        return Retired::already_freed;
    }
    g_slots[slot].freed = true;
    return Retired::retired;
}

bool remove(const void* block, AlignedEntry& entry) noexcept {
    if (g_count.load(std::memory_order_relaxed) == 0) {
        return false;
    }
    std::lock_guard lock(g_lock);
    std::size_t hole = slot_of(reinterpret_cast<std::uintptr_t>(block));
    if (hole == g_capacity) {
        return false;
    }
    entry = g_slots[hole];
    const std::size_t count = g_count.load(std::memory_order_relaxed) - 1;
    g_count.store(count, std::memory_order_relaxed);
    // Backward-shift: pull later entries of the probe run into the hole when their home allows.
    for (std::size_t next = (hole + 1) & (g_capacity - 1); g_slots[next].block != 0;
         next = (next + 1) & (g_capacity - 1)) {
        const std::size_t home = home_of(g_slots[next].block, g_capacity);
        const bool home_after_hole =
            ((next - home) & (g_capacity - 1)) < ((next - hole) & (g_capacity - 1));
        if (!home_after_hole) {
            g_slots[hole] = g_slots[next];
            hole = next;
        }
    }
    g_slots[hole] = AlignedEntry{};
    if (g_capacity > kInitialCapacity && count * 16 < g_capacity * 3) {
        resize(g_capacity / 2);  // if the pages cannot be had, the table just stays larger
    }
    return true;
}

SpinLock& lock() noexcept {
    return g_lock;
}

std::size_t bytes() noexcept {
    std::lock_guard lock(g_lock);
    return g_capacity * sizeof(AlignedEntry);
}

}  // namespace nebula::debug::detail::aligned_table
