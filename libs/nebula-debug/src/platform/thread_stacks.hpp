// Where the threads' stacks are, for resident_breakdown(): one address inside the stack of each
// live thread the tracker has seen, recorded as the thread registers (on its first allocation)
// and dropped as it exits. A mapping holding one of them is a stack; a mapping merely shaped
// like one (read-write above a PROT_NONE guard: an engine's fenced arena) is not.
#pragma once

#include <cstddef>
#include <cstdint>

#include "visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::platform {

// Records `address_in_stack` (an address in the calling thread's stack: a local's, or the frame
// address) for `owner` (what identifies the thread until it is forgotten). Lock-free and
// allocation-free: it runs inside malloc, in a thread's first allocation. A thread past the
// table's capacity (kMaxRecordedThreadStacks live threads) is not recorded.
void note_thread_stack(const void* owner, const void* address_in_stack) noexcept;
// Drops `owner`'s record (its thread exits, or a forked child lost it).
void forget_thread_stack(const void* owner) noexcept;
// Copies up to `capacity` recorded addresses to `out`; returns how many. A thread registering or
// exiting meanwhile may be missed or still included.
std::size_t recorded_thread_stacks(std::uintptr_t* out, std::size_t capacity) noexcept;

inline constexpr std::size_t kMaxRecordedThreadStacks = 1024;

}  // namespace nebula::debug::platform

NEBULA_INTERNAL_END
