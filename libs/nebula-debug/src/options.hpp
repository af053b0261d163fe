// Every environment variable the tracker reads, in one table (options.cpp), read once through one
// getenv each, checked and reported the same way: a malformed or out-of-range value gets one line
// on standard error naming the variable, the value and the default kept. Readable from inside the
// allocator and before main: nothing here allocates or takes a lock that an allocation takes.
// Exported, unlike the other internals: the budget layer reads it from another shared library in
// a BUILD_SHARED_LIBS build, and every copy of the tracker reads the same environment anyway.
#pragma once

#include <cstdint>

namespace nebula::debug::detail::options {

enum class Option : std::uint8_t {
    sampling_interval,  // NEBULA_SAMPLING_INTERVAL: bytes, with an optional unit (B, KiB, MiB, GiB)
    sampling_seed,      // NEBULA_SAMPLING_SEED: a number; 0 draws from addresses and the clock
    heap_profile,       // NEBULA_HEAP_PROFILE: a path, written at exit
    leak_report,        // NEBULA_LEAK_REPORT: 1 or 0
    on_mismatch,        // NEBULA_ON_MISMATCH: report or abort
    http,               // NEBULA_HTTP: ADDRESS:PORT of a memory server at start-up (debug_server)
    http_token,         // NEBULA_HTTP_TOKEN: its bearer token
    count,
};

// The option's value: a byte count, a number, 0/1 for a flag, or the index of a choice. The
// default where the variable is unset or invalid.
std::uint64_t value(Option option) noexcept;

// Whether the variable holds a valid value (a flag's default differs from "unset" for some
// programs: nebula-demo reports at exit unless NEBULA_LEAK_REPORT=0).
bool is_set(Option option) noexcept;

// A text option's value (a path, an address, a token); null where unset or empty.
const char* text(Option option) noexcept;

// The variable's name, for messages.
const char* name(Option option) noexcept;

// The choices of NEBULA_ON_MISMATCH, in table order.
inline constexpr std::uint64_t kMismatchReport = 0;
inline constexpr std::uint64_t kMismatchAbort = 1;

}  // namespace nebula::debug::detail::options
