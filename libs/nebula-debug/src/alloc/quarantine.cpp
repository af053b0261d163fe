// The quarantine's ring (quarantine.hpp): a freed block takes the oldest slot, whose block leaves
// for the allocator underneath; past kQuarantineBytes the oldest leave early.
#include "quarantine.hpp"

#include "aligned_table.hpp"
#include "platform/platform.hpp"
#include "thread_counters.hpp"
#include "underlying_allocator.hpp"

namespace nebula::debug::detail {
namespace {

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

// Empties one slot; returns the bytes it held.
std::int64_t leave(QuarantinedBlock& slot) noexcept {
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
    if (size >= kDiscardBlockBytes) {
        // The header (in front of `user`, or in the aligned table) stays; the rest need not.
        held -= static_cast<std::int64_t>(platform::discard_pages(user, size));
    }
    if (held > kQuarantineBytes) {
        release(memory, kind);  // where pages cannot be dropped (Windows), a big block is not held
        return;
    }
    Quarantine& quarantine = thread.quarantine;
    std::int64_t total = quarantine.held_bytes.load(std::memory_order_relaxed) + held;
    QuarantinedBlock& slot = quarantine.blocks[quarantine.oldest];
    if (slot.memory != nullptr) {
        total -= leave(slot);
    }
    slot = {memory, static_cast<std::uint32_t>(held), kind};
    quarantine.oldest = static_cast<std::uint32_t>((quarantine.oldest + 1) % kQuarantineBlocks);
    // Past the byte limit the oldest leave early; the newest always stays.
    std::uint32_t i = quarantine.oldest;
    for (std::size_t n = 1; n < kQuarantineBlocks && total > kQuarantineBytes; ++n) {
        if (quarantine.blocks[i].memory != nullptr) {
            total -= leave(quarantine.blocks[i]);
        }
        i = static_cast<std::uint32_t>((i + 1) % kQuarantineBlocks);
    }
    quarantine.held_bytes.store(total, std::memory_order_relaxed);
}

void empty_quarantine(Quarantine& quarantine) noexcept {
    for (QuarantinedBlock& slot : quarantine.blocks) {
        if (slot.memory != nullptr) {
            leave(slot);
        }
    }
    quarantine.held_bytes.store(0, std::memory_order_relaxed);
}

}  // namespace nebula::debug::detail
