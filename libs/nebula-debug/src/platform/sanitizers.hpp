// Which sanitizer the tracker is built under, as 0 or 1: GCC says so with __SANITIZE_ADDRESS__ and
// __SANITIZE_THREAD__, clang with __has_feature.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define NEBULA_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NEBULA_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef NEBULA_ADDRESS_SANITIZER
#define NEBULA_ADDRESS_SANITIZER 0
#endif

#if defined(__SANITIZE_THREAD__)
#define NEBULA_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NEBULA_THREAD_SANITIZER 1
#endif
#endif
#ifndef NEBULA_THREAD_SANITIZER
#define NEBULA_THREAD_SANITIZER 0
#endif
