// The per-thread quarantine: the blocks a thread freed last that its block cache did not take
// wait here a while before going back to the allocator underneath. Until they leave, nothing can
// reuse their memory, so their headers keep the freed mark and a second free of one reads it: a
// double free is caught and named whatever the block's size, alignment or the allocator beneath
// (which would otherwise reuse the header's bytes at once, or unmap a large block so that the
// second free faults). A block of kDiscardBlockBytes or more keeps only its header: where glibc is
// the allocator underneath and the block lies in its heap, the block is cut down in place to the
// header's 32-byte chunk (underlying::shrink_in_place) and the rest is free for glibc's next
// request at once, as without the tracker (no page dropped, so none faults in again when a program
// frees and allocates big blocks in turn, as Lua's collector does); anywhere else (a chunk glibc
// mapped on its own, another allocator) it keeps its first page and the rest goes back to the OS
// (platform::discard_pages), so a 4 MiB block costs 4 KiB while it waits (where the platform
// cannot drop pages, Windows, a block bigger than kQuarantineBytes is not held at all). Smaller
// blocks wait whole: cutting them would leave their 32-byte headers scattered through the heap,
// where they stop glibc growing the next blocks in place. What the quarantine holds counts as
// tracking overhead.
//
// The window, precisely: a double free is named as one when the first free is among the last
// kQuarantineBlocks frees its thread made past the block cache (blocks over 1 KiB, over-aligned
// ones, every block where the cache is off) and those hold at most kQuarantineBytes; or when the
// block waits in a thread's block cache.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

inline constexpr std::size_t kQuarantineBlocks = 32;
inline constexpr std::int64_t kQuarantineBytes = 256 * 1024;
inline constexpr std::uint64_t kDiscardBlockBytes = 128 * 1024;

// How a waiting block goes back to the allocator underneath.
enum class QuarantineKind : std::uint8_t {
    plain = 0,    // underlying::release(memory)
    aligned = 1,  // underlying::release_aligned(memory): aligned with its header in front
    table = 2,    // its header in the aligned table: the entry goes, then release_aligned
};
// The address is kept as it is, not tagged: LeakSanitizer must recognise it as a reference to the
// block, which waits here until the thread exits.
struct QuarantinedBlock {
    void* memory = nullptr;  // null: an empty slot
    std::uint32_t held_bytes = 0;
    QuarantineKind kind = QuarantineKind::plain;
};

struct Quarantine {
    std::array<QuarantinedBlock, kQuarantineBlocks> blocks{};  // owning thread only
    std::uint32_t next = 0;                                    // the next slot to fill
    std::uint32_t waiting = 0;  // the slots right before `next` that hold a block, newest last
    // What the waiting blocks hold: written by the owner, read by tracking_overhead_bytes().
    std::atomic<std::int64_t> held_bytes{0};
};

struct ThreadCounters;

// Cold path, in quarantine.cpp: keeps a freed block's memory out of the allocator underneath for
// a while (the oldest waiting block leaves for it), or gives it back at once on a thread that
// keeps no quarantine (not registered, or exited). `user` and `size` are the block as handed out.
[[gnu::cold]] void quarantine_block(ThreadCounters& thread, void* memory, QuarantineKind kind,
                                    void* user, std::uint64_t size) noexcept;

// Gives every waiting block back to the allocator underneath (a thread's exit, on demand).
void empty_quarantine(Quarantine& quarantine) noexcept;

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
