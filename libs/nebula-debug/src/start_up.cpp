// The allocator core's start-up: every step it takes before main, in one sequence, as
// mimalloc's process init. One static initialiser runs it, so the order is this file's, not the
// linker's order of translation units. The steps:
//
//  1. install_fork_handlers (alloc/thread_registry.cpp): first, so that a fork() made by any
//     later step or static initialiser finds every allocator lock taken around it.
//  2. check_single_tracker (alloc/single_tracker.cpp): says on standard error when this copy is
//     not the process's tracker, or valgrind replaced it, before anything is counted.
//  3. configure_sampling (sites/sampler.cpp): reads the sampling options and loads the unwinder,
//     which allocates, so the counters and the fork handlers must be in place; then
//     restart_sampling_after_configuration (alloc/thread_registry.cpp), so that the threads that
//     allocated before it sample at the configured interval and seed from here on.
//  4. write_heap_profile_at_exit_if_asked (report/allocation_sites.cpp): registered last, so
//     that the profile is written before the exit handlers and destructors registered before it.
//
// Every step is safe to run before any other static initialiser: the counters, tables and
// options they touch are constant-initialised (constinit) or read on first use. The library
// above, nebula::debug, adds one step of its own, NEBULA_LEAK_REPORT's report at exit
// (budget/leak_watch.cpp): it logs through spdlog, which the allocator core does not link.
#include "alloc/single_tracker.hpp"
#include "alloc/thread_registry.hpp"
#include "report/heap_profile.hpp"
#include "sites/sampler.hpp"

namespace nebula::debug::detail {
namespace {

bool start_up() noexcept {
    install_fork_handlers();
    check_single_tracker();
    sites::configure_sampling();
    restart_sampling_after_configuration();
    write_heap_profile_at_exit_if_asked();
    return true;
}

[[maybe_unused]] const bool g_started = start_up();

}  // namespace
}  // namespace nebula::debug::detail
