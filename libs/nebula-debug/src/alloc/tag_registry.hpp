// Tag names, registered at run time. Append-only: a tag's index never changes, so readers scan
// without a lock and the hot path only ever sees small integers.
#pragma once

#include <nebula/debug/tracking_allocator.hpp>

#include <cstdint>
#include "platform/spin_lock.hpp"
#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

// Number of tags registered so far (Untagged included); tags below it are valid.
std::uint32_t registered_tag_count() noexcept;
// Held across fork() by the thread registry's fork handlers (thread_registry.cpp).
SpinLock& tag_registration_lock() noexcept;

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
