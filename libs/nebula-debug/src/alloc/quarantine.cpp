// The quarantine's ring (quarantine.hpp): a freed block takes the next slot; when all are taken the
// oldest block leaves for the allocator underneath, and past kQuarantineBytes the oldest leave
// early.
#include "quarantine.hpp"

#include "aligned_table.hpp"
#include "platform/platform.hpp"
#include "thread_counters.hpp"
#include "underlying_allocator.hpp"

namespace nebula::debug::detail {
namespace {

inline constexpr std::int64_t kHeldChunkBytes = 32;

void release(void* memory, QuarantineKind kind) noexcept {
    switch (kind) {
        case QuarantineKind::plain:
            underlying::release(memory);
            return;
        case QuarantineKind::table: {
            AlignedEntry entry;
            aligned_table::remove(memory, entry);
            underlying::release_aligned(memory);
            return;
        }
        case QuarantineKind::aligned:
            underlying::release_aligned(memory);
            return;
    }
}

// Empties one slot; returns the bytes it held. (A child of fork() finds its slots emptied.)
std::int64_t leave(QuarantinedBlock& slot) noexcept {
    if (slot.memory == nullptr) {
        return 0;
    }
    const std::int64_t held = slot.held_bytes;
    release(slot.memory, slot.kind);
    slot = QuarantinedBlock{};
    return held;
}

}  // namespace

void quarantine_block(ThreadCounters& thread, void* memory, QuarantineKind kind, void* user,
                      std::uint64_t size) noexcept {
    if (thread.phase != ThreadPhase::active) {
        release(memory, kind);  // the stand-ins are read-only, and an exited thread keeps nothing
        return;
    }
    auto held = static_cast<std::int64_t>(size);
    void* shrunk = nullptr;
    if (kind == QuarantineKind::plain && size >= kDiscardBlockBytes) {
        shrunk = underlying::shrink_in_place(memory, kBlockHeaderBytes);
    }
    if (shrunk != nullptr) {
        // Only the header's chunk waits (glibc's smallest, 32 bytes); the rest of the block went
        // back to glibc, free for its next request, as without the tracker: no page is dropped
        // to fault in again. (Were it ever moved, the moved chunk waits, and is released.)
        memory = shrunk;
        held = kHeldChunkBytes;
    } else if (size >= kDiscardBlockBytes) {
        // The header (in front of `user`, or in the aligned table) stays; the rest need not.
        held -= static_cast<std::int64_t>(platform::discard_pages(user, size));
    }
    if (held > kQuarantineBytes) {
        release(memory, kind);  // where pages cannot be dropped (Windows), a big block is not held
        return;
    }
    Quarantine& quarantine = thread.quarantine;
    std::int64_t total = quarantine.held_bytes.load(std::memory_order_relaxed) + held;
    QuarantinedBlock& slot = quarantine.blocks[quarantine.next];
    if (quarantine.waiting == kQuarantineBlocks) {
        total -= leave(slot);  // the ring is full: its oldest block leaves
    } else {
        ++quarantine.waiting;
    }
    slot = {memory, static_cast<std::uint32_t>(held), kind};
    quarantine.next = (quarantine.next + 1) % kQuarantineBlocks;
    // Past the byte limit the oldest leave early; the newest always stays. The waiting blocks
    // are the `waiting` slots before `next`, so no empty slot is ever walked.
    while (total > kQuarantineBytes && quarantine.waiting > 1) {
        total -=
            leave(quarantine.blocks[(quarantine.next + kQuarantineBlocks - quarantine.waiting) %
                                    kQuarantineBlocks]);
        --quarantine.waiting;
    }
    quarantine.held_bytes.store(total, std::memory_order_relaxed);
}

void empty_quarantine(Quarantine& quarantine) noexcept {
    for (QuarantinedBlock& slot : quarantine.blocks) {
        if (slot.memory != nullptr) {
            leave(slot);
        }
    }
    quarantine.waiting = 0;
    quarantine.held_bytes.store(0, std::memory_order_relaxed);
}

}  // namespace nebula::debug::detail
