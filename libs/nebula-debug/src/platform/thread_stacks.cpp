// A fixed table of slots claimed with a compare-and-swap: no lock, so a fork() in the middle of
// a registration leaves nothing held in the child, and no allocation, since it runs inside malloc.
#include "thread_stacks.hpp"

#include <atomic>

namespace nebula::debug::platform {
namespace {

struct Slot {
    std::atomic<const void*> owner{nullptr};
    std::atomic<std::uintptr_t> address{0};
};

constinit Slot g_slots[kMaxRecordedThreadStacks];
// One past the highest slot ever claimed: readers and forgetters look no further.
constinit std::atomic<std::size_t> g_slots_used{0};

}  // namespace

void note_thread_stack(const void* owner, const void* address_in_stack) noexcept {
    for (std::size_t i = 0; i < kMaxRecordedThreadStacks; ++i) {
        const void* expected = nullptr;
        if (g_slots[i].owner.load(std::memory_order_relaxed) != nullptr ||
            !g_slots[i].owner.compare_exchange_strong(expected, owner, std::memory_order_acq_rel)) {
            continue;
        }
        g_slots[i].address.store(reinterpret_cast<std::uintptr_t>(address_in_stack),
                                 std::memory_order_release);
        std::size_t used = g_slots_used.load(std::memory_order_relaxed);
        while (used < i + 1 &&
               !g_slots_used.compare_exchange_weak(used, i + 1, std::memory_order_release)) {
        }
        return;
    }
}

void forget_thread_stack(const void* owner) noexcept {
    const std::size_t used = g_slots_used.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < used; ++i) {
        if (g_slots[i].owner.load(std::memory_order_relaxed) == owner) {
            g_slots[i].address.store(0, std::memory_order_relaxed);
            g_slots[i].owner.store(nullptr, std::memory_order_release);
            return;
        }
    }
}

std::size_t recorded_thread_stacks(std::uintptr_t* out, std::size_t capacity) noexcept {
    const std::size_t used = g_slots_used.load(std::memory_order_acquire);
    std::size_t count = 0;
    for (std::size_t i = 0; i < used && count < capacity; ++i) {
        const std::uintptr_t address = g_slots[i].address.load(std::memory_order_acquire);
        if (address != 0) {
            out[count++] = address;
        }
    }
    return count;
}

}  // namespace nebula::debug::platform
