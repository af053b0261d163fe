/* A near-zero-cost counter of calls to the C allocation functions, preloaded (LD_PRELOAD) into a
 * third-party test program built WITHOUT the tracker (scripts/check-third-party.sh). heaptrack
 * slows every allocation down by a backtrace and a write, so in a program whose work depends on
 * timing (a background compaction thread, a time-bound loop, the file descriptors heaptrack keeps
 * open) it sees different work, not just a different count; this counter sees the plain program
 * at about its own speed and tells those cases apart from a counting error of the tracker.
 *
 * Counts what heaptrack counts as calls to allocation functions, successful ones only: malloc,
 * calloc, realloc (not realloc(p, 0), which frees and returns null), posix_memalign,
 * aligned_alloc, valloc; and memalign, pvalloc and reallocarray, which heaptrack 1.4 does not hook.
 * operator new reaches malloc. At exit prints one line to stderr, and appends it to the file named
 * by NEBULA_THIRD_PARTY_REPORT when that is set:
 *   count-calls: pid=<pid> ppid=<parent's pid> allocation_calls=<n>
 * Built as: cc -O2 -shared -fPIC count_calls.c -o count_calls.so */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* block, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);
extern void* __libc_valloc(size_t size);
extern void* __libc_pvalloc(size_t size);

static atomic_ulong calls;

static void* counted(void* block) {
    if (block != NULL) {
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    }
    return block;
}

void* malloc(size_t size) {
    return counted(__libc_malloc(size));
}
void* calloc(size_t count, size_t size) {
    return counted(__libc_calloc(count, size));
}
void* realloc(void* block, size_t size) {
    return counted(__libc_realloc(block, size));
}
void* memalign(size_t alignment, size_t size) {
    return counted(__libc_memalign(alignment, size));
}
void* valloc(size_t size) {
    return counted(__libc_valloc(size));
}
void* pvalloc(size_t size) {
    return counted(__libc_pvalloc(size));
}

void* aligned_alloc(size_t alignment, size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    return counted(__libc_memalign(alignment, size));
}

int posix_memalign(void** out, size_t alignment, size_t size) {
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    const int saved = errno;
    void* block = counted(__libc_memalign(alignment, size));
    errno = saved;
    if (block == NULL) {
        return ENOMEM;
    }
    *out = block;
    return 0;
}

void* reallocarray(void* block, size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(block, bytes);
}

static void report(void) {
    char line[160];
    const int length = snprintf(
        line, sizeof line, "count-calls: pid=%ld ppid=%ld allocation_calls=%lu\n", (long)getpid(),
        (long)getppid(), atomic_load_explicit(&calls, memory_order_relaxed));
    if (length <= 0) {
        return;
    }
    (void)!write(STDERR_FILENO, line, (size_t)length);
    const char* path = getenv("NEBULA_THIRD_PARTY_REPORT");
    if (path != NULL && *path != '\0') {
        const int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            (void)!write(fd, line, (size_t)length);
            close(fd);
        }
    }
}

__attribute__((constructor(101))) static void register_report(void) {
    atexit(report);
}
