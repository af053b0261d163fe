// Blocks aligned past kMaxHeaderAlignment keep their header here, apart from the block. A header
// in front of such a block would take a whole alignment unit (4 KiB for a page-aligned texture
// staging buffer); an entry here costs about 48 bytes at the table's load. The 16 bytes before
// such a block belong to the allocator underneath (glibc: its chunk header), so they never pass
// the header check, and every release path looks here before it calls a pointer foreign.
#pragma once

#include <cstddef>
#include <cstdint>

#include "platform/spin_lock.hpp"
#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

// Alignments up to this keep their header in front of the block (at most this many bytes).
inline constexpr std::size_t kMaxHeaderAlignment = 64;

struct AlignedEntry {
    std::uintptr_t block = 0;  // 0: a free slot
    std::uint64_t size = 0;
    std::uint16_t tag = 0;
    std::uint8_t alignment_log2 = 0;
    std::uint8_t family = 0;  // Family's value
    bool freed = false;       // freed, its memory held in a thread's quarantine until removed
};

namespace aligned_table {

// Records a block; false when the table cannot grow (the caller then fails the allocation).
bool insert(const AlignedEntry& entry) noexcept;
// Copies out the block's entry; false when the table does not hold it.
bool find(const void* block, AlignedEntry& entry) noexcept;
// Removes the block's entry and copies it out; false when the table does not hold it.
bool remove(const void* block, AlignedEntry& entry) noexcept;
// Marks a live block's entry freed (it stays until its memory leaves the quarantine) and copies it
// out. absent: the table does not hold the block; already_freed: a double free.
enum class Retired : std::uint8_t { retired, absent, already_freed };
Retired retire(const void* block, AlignedEntry& entry) noexcept;
// The table's lock, held across fork() by the thread registry's fork handlers.
SpinLock& lock() noexcept;
// The table's memory, counted as tracking overhead.
std::size_t bytes() noexcept;

}  // namespace aligned_table

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
