// Which sanitizer the tests run under (GCC says so with __SANITIZE_*__, clang with __has_feature),
// for the few tests whose expectations differ there.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define NEBULA_TEST_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NEBULA_TEST_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef NEBULA_TEST_ADDRESS_SANITIZER
#define NEBULA_TEST_ADDRESS_SANITIZER 0
#endif

#if defined(__SANITIZE_THREAD__)
#define NEBULA_TEST_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NEBULA_TEST_THREAD_SANITIZER 1
#endif
#endif
#ifndef NEBULA_TEST_THREAD_SANITIZER
#define NEBULA_TEST_THREAD_SANITIZER 0
#endif

namespace nebula::debug::testing {

inline constexpr bool kAddressSanitizer = NEBULA_TEST_ADDRESS_SANITIZER;
inline constexpr bool kThreadSanitizer = NEBULA_TEST_THREAD_SANITIZER;

// Why a test that forks while other threads allocate is skipped: ThreadSanitizer does not support
// fork() with other threads running, and GCC 12's AddressSanitizer allocator does not lock its
// regions around fork(), so a child can deadlock in ASan's own malloc on a lock a parent thread
// held.
inline constexpr const char* kForkWhileAllocatingUnsupported =
    kThreadSanitizer ? "ThreadSanitizer does not support fork() with other threads running"
                     : "AddressSanitizer's allocator (GCC 12) can deadlock in a child forked while "
                       "other threads allocate";

}  // namespace nebula::debug::testing
