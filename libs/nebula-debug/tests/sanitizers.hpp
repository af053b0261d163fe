// Which sanitizer the tests run under, for the few tests whose expectations differ there: the
// tracker's own answer (platform/sanitizers.hpp), as constants.
#pragma once

#include "platform/sanitizers.hpp"

namespace nebula::debug::testing {

inline constexpr bool kAddressSanitizer = NEBULA_ADDRESS_SANITIZER;
inline constexpr bool kThreadSanitizer = NEBULA_THREAD_SANITIZER;

// Why a test that forks while other threads allocate is skipped: ThreadSanitizer does not support
// fork() with other threads running, and GCC 12's AddressSanitizer allocator does not lock its
// regions around fork(), so a child can deadlock in ASan's own malloc on a lock a parent thread
// held.
inline constexpr const char* kForkWhileAllocatingUnsupported =
    kThreadSanitizer ? "ThreadSanitizer does not support fork() with other threads running"
                     : "AddressSanitizer's allocator (GCC 12) can deadlock in a child forked while "
                       "other threads allocate";

}  // namespace nebula::debug::testing
