// Linked into a third-party test program together with the tracker (scripts/check-third-party.sh):
// when the process exits it prints the tracker's process-wide counts on one greppable line,
//   nebula-third-party: pid=<pid> ppid=<parent's pid> exe=<path> malloc_family_tracked=<0|1>
//     allocation_count=<n> deallocation_count=<n> peak_allocated_bytes=<n> allocated_bytes=<n>
// to stderr, and appends the same line to the file named by NEBULA_THIRD_PARTY_REPORT when that is
// set (test runners such as ctest keep a test's stderr to themselves).
//
// The handler is registered with atexit() from a constructor of the highest priority, so it is one
// of the first registered and therefore one of the last exit handlers to run: the program's own
// static destructors and atexit handlers (registered later) have already run and been counted.
// It formats into a stack buffer and writes with write(2), so that reporting allocates nothing.
#include <nebula/debug/tracking_allocator.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

void report() noexcept {
    const nebula::debug::AllocatorStats stats = nebula::debug::allocator_stats();
    char exe[512];
    const ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[length > 0 ? length : 0] = '\0';
    char line[1024];
    const int size = std::snprintf(
        line, sizeof line,
        "nebula-third-party: pid=%ld ppid=%ld exe=%s malloc_family_tracked=%d allocation_count=%zu "
        "deallocation_count=%zu peak_allocated_bytes=%zu allocated_bytes=%zu\n",
        static_cast<long>(getpid()), static_cast<long>(getppid()), exe,
        nebula::debug::malloc_family_tracked() ? 1 : 0, stats.allocation_count,
        stats.deallocation_count, stats.peak_allocated_bytes, stats.allocated_bytes);
    if (size <= 0) {
        return;
    }
    const auto bytes = static_cast<std::size_t>(size < int(sizeof line) ? size : sizeof line - 1);
    (void)!write(STDERR_FILENO, line, bytes);
    if (const char* path = std::getenv("NEBULA_THIRD_PARTY_REPORT"); path != nullptr && *path) {
        const int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            (void)!write(fd, line, bytes);  // one write of under PIPE_BUF bytes: lines never mix
            close(fd);
        }
    }
}

__attribute__((constructor(101))) void register_report() noexcept {
    std::atexit(report);
}

}  // namespace
