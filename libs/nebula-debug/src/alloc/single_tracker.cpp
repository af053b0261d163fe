// One tracker per process. Every module's `new` goes to the one operator new the dynamic linker
// picked, but a module that links its own copy of the tracker (a shared library built against the
// static nebula::debug, a module loaded with RTLD_DEEPBIND, the shared nebula-debug loaded only
// by dlopen) keeps its own tags and counters: its MemoryScope charges nothing, its
// allocator_stats() reads another tracker's blocks or none. That cannot be repaired from inside,
// so each copy checks at start-up whether it is the process's tracker and says loudly when not.
#include "single_tracker.hpp"

#include <algorithm>
#include <cstdio>

#include "platform/error_message.hpp"
#include "platform/platform.hpp"

namespace nebula::debug {
namespace {

// Locates the object this copy was linked into. Internal, so never interposed: the copy's exported
// functions may resolve to another copy's.
constinit const char g_copy_marker = 0;
const void* this_copy() noexcept {
    return &g_copy_marker;
}

void warn_unless_process_wide() noexcept {
    const void* process_new = platform::process_operator_new();
    const void* own_base = platform::object_base(this_copy());
    if (process_new == nullptr || own_base == nullptr ||
        platform::object_base(process_new) == own_base) {
        return;
    }
    char message[1024];
    const int length = std::snprintf(
        message, sizeof(message),
        "nebula-debug: WARNING: this copy of the memory tracker is not the process's.\n"
        "  this copy:     %s\n"
        "  operator new:  %s\n"
        "  Allocations are counted (if at all) where operator new goes; MemoryScope and "
        "allocator_stats() called from %s see none of them. Link nebula::debug into the "
        "executable, and only there, or build it with -DBUILD_SHARED_LIBS=ON and link the "
        "executable to it, so that every module shares one libnebula-debug-allocator "
        "(docs/architecture.md).\n",
        platform::object_path(this_copy()), platform::object_path(process_new),
        platform::object_path(this_copy()));
    if (length > 0) {
        platform::write_error(message,
                              std::min(static_cast<std::size_t>(length), sizeof(message) - 1));
    }
}

// Valgrind's tools replace the program's own operator new and malloc with theirs by default, so
// this tracker sees no allocation while tracking_allocator_enabled() says true: say so once, and
// what to pass to keep it.
void warn_under_valgrind() noexcept {
    if (platform::running_under_valgrind()) {
        platform::ErrorMessage()
            .text(
                "running under valgrind, which replaces this program's operator new and malloc "
                "with its own: the tracker counts nothing. Pass valgrind "
                "--soname-synonyms=somalloc=nouserintercepts to keep it (valgrind then checks "
                "the C library's malloc beneath the tracker)")
            .write();
    }
}

}  // namespace

void detail::check_single_tracker() noexcept {
    warn_unless_process_wide();
    warn_under_valgrind();
}

}  // namespace nebula::debug
