// The registry of live threads (thread_registry.cpp), as the cold side sees it: its fork
// handlers, its share of the overhead figure, and the sampling countdowns it holds.
#pragma once

#include <cstddef>

#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

// Holds every lock the allocator takes across fork() and retires, in the child, the threads
// fork() did not copy (thread_registry.cpp says why). A start-up step (start_up.cpp).
void install_fork_handlers() noexcept;

// The threads' counters' pool, and the blocks every live thread holds in its block cache and
// its quarantine: the registry's share of tracking_overhead_bytes().
std::size_t registry_overhead_bytes() noexcept;

// Restarts every live thread's sampling countdown from a draw of its own, after the interval
// changed: one that was off (counting down a long recheck gap) would otherwise sample again only
// after tens of MiB.
void restart_sampling_countdowns() noexcept;

// After configure_sampling: a thread that allocated before it (the main thread, in the static
// initialisers that ran first) drew its first gap at the default interval and seeded its
// generator without NEBULA_SAMPLING_SEED. At 64 KiB that first gap, 512 KiB on average, cost
// about 7 samples of the first 8 MiB, and the runs of one seed differed. The calling thread
// reseeds its generator; every live thread restarts its countdown (restart_sampling_countdowns).
void restart_sampling_after_configuration() noexcept;

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
