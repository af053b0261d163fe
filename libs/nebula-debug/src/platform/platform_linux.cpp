#include "platform.hpp"
#include "sanitizers.hpp"

#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define NEBULA_HAS_VALGRIND_HEADER 1
#else
#define NEBULA_HAS_VALGRIND_HEADER 0
#endif

namespace nebula::debug::platform {
namespace {

pthread_key_t g_thread_exit_key;
pthread_once_t g_thread_exit_key_once = PTHREAD_ONCE_INIT;

struct ThreadExitCall {
    void (*callback)(void*);
    void* argument;
};
thread_local ThreadExitCall t_thread_exit_call;

void run_thread_exit_call(void* call) {
    auto* exit_call = static_cast<ThreadExitCall*>(call);
    exit_call->callback(exit_call->argument);
}

void create_thread_exit_key() {
    if (pthread_key_create(&g_thread_exit_key, run_thread_exit_call) != 0) {
        std::abort();
    }
}

}  // namespace

void call_at_thread_exit(void (*callback)(void*), void* argument) noexcept {
    pthread_once(&g_thread_exit_key_once, create_thread_exit_key);
    t_thread_exit_call = {callback, argument};
    // pthread_setspecific may grow its table with calloc, never with operator new.
    pthread_setspecific(g_thread_exit_key, &t_thread_exit_call);
}

bool thread_locals_outlive_exit_callback() noexcept {
    return true;
}

void call_around_fork(void (*before)(), void (*in_parent)(), void (*in_child)()) noexcept {
    // pthread_atfork fails only without memory for its list; a tracker that then stays unsafe
    // across fork() is still better than one that aborts the program.
    pthread_atfork(before, in_parent, in_child);
}

void* aligned_allocate(std::size_t alignment, std::size_t size) noexcept {
    // posix_memalign, not aligned_alloc: C11 wants the size a multiple of the alignment (ASan
    // enforces it), and rounding it up would cost up to an alignment unit per block.
    void* block = nullptr;
    return posix_memalign(&block, alignment, size) == 0 ? block : nullptr;
}

void aligned_release(void* block) noexcept {
    std::free(block);
}

std::size_t page_size() noexcept {
    return static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void* allocate_pages(std::size_t bytes) noexcept {
    void* pages = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return pages == MAP_FAILED ? nullptr : pages;
}

void* find_next_symbol(const char* name) noexcept {
    return dlsym(RTLD_NEXT, name);
}

void* find_process_symbol(const char* name) noexcept {
    return dlsym(RTLD_DEFAULT, name);
}

void release_pages(void* pages, std::size_t bytes) noexcept {
    munmap(pages, bytes);
}

void write_error(const char* text, std::size_t length) noexcept {
    while (length > 0) {
        const ssize_t written = write(STDERR_FILENO, text, length);
        if (written <= 0) {
            return;
        }
        text += written;
        length -= static_cast<std::size_t>(written);
    }
}

std::size_t resident_memory_bytes() noexcept {
    // /proc/self/statm: "size resident shared ..." in pages. Read with raw syscalls so that
    // sampling it from the panel allocates nothing.
    const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    char text[128];
    const ssize_t length = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (length <= 0) {
        return 0;
    }
    text[length] = '\0';
    char* cursor = text;
    std::strtoull(cursor, &cursor, 10);
    const unsigned long long resident_pages = std::strtoull(cursor, nullptr, 10);
    return static_cast<std::size_t>(resident_pages) *
           static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

const void* process_operator_new() noexcept {
    // The Itanium C++ ABI's name of operator new(std::size_t) on 64-bit targets.
    return dlsym(RTLD_DEFAULT, "_Znwm");
}

const char* object_path(const void* address) noexcept {
    Dl_info info;
    if (address == nullptr || dladdr(address, &info) == 0) {
        return "an unknown object";
    }
    // The dynamic linker names the main program "".
    return info.dli_fname != nullptr && info.dli_fname[0] != '\0' ? info.dli_fname
                                                                  : "the executable";
}

const void* object_base(const void* address) noexcept {
    Dl_info info;
    return address != nullptr && dladdr(address, &info) != 0 ? info.dli_fbase : nullptr;
}

namespace {

// libunwind's unw_backtrace() (Debian libunwind8) walks the DWARF unwind tables 25 times faster
// than glibc's backtrace(), which re-reads them for every frame (docs/benchmarks.md: 0.2 us against
// 5 us for 32 frames). It is loaded with dlopen and RTLD_LOCAL, not linked: linked, its exported
// _Unwind_* and backtrace would take over the process's C++ exception unwinding from libgcc.
// Where it is not installed, backtrace() does the same work, slower.
// Under ThreadSanitizer backtrace() serves: libunwind's thread-exit destructor (freeing its
// per-thread cache) locks a mutex after ThreadSanitizer has let go of the thread, and crashes.

using StackWalker = int (*)(void**, int);
StackWalker load_stack_walker() noexcept {
    if (void* library =
            !NEBULA_THREAD_SANITIZER ? dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL) : nullptr;
        library != nullptr) {
        if (void* walker = dlsym(library, "unw_backtrace"); walker != nullptr) {
            return reinterpret_cast<StackWalker>(walker);
        }
    }
    return &backtrace;
}

constinit std::atomic<StackWalker> g_stack_walker{nullptr};
constinit std::atomic<bool> g_capturing{false};
constinit std::atomic<bool> g_stack_walker_loading{false};

}  // namespace

int capture_stack(void** frames, int max_frames) noexcept {
    StackWalker walk = g_stack_walker.load(std::memory_order_acquire);
    if (walk == nullptr) {
        // Loading allocates, and an allocation may be sampled: a capture that comes back in here
        // meanwhile (or on another thread) gets no frames rather than waiting on the loader.
        if (g_stack_walker_loading.exchange(true)) {
            return 0;
        }
        walk = load_stack_walker();
        // Its first walk may load more (backtrace() loads libgcc_s): still inside the window.
        void* first[2];
        walk(first, 2);
        g_stack_walker.store(walk, std::memory_order_release);
    }
    // One more than asked, for this function's own frame. Not inlined: that frame must exist.
    constexpr int kMaxFrames = 64;
    void* captured[kMaxFrames + 1];
    lock_stack_capture();
    const int count = walk(captured, std::min(max_frames, kMaxFrames) + 1);
    unlock_stack_capture();
    for (int i = 1; i < count; ++i) {
        frames[i - 1] = captured[i];
    }
    return count > 0 ? count - 1 : 0;
}

void lock_stack_capture() noexcept {
    while (g_capturing.exchange(true, std::memory_order_acquire)) {
        sched_yield();
    }
}

void unlock_stack_capture() noexcept {
    g_capturing.store(false, std::memory_order_release);
}

bool stack_capture_ready() noexcept {
    return g_stack_walker.load(std::memory_order_acquire) != nullptr;
}

std::size_t discard_pages(void* begin, std::size_t bytes) noexcept {
    const auto page = static_cast<std::uintptr_t>(page_size());
    const auto first = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) & ~(page - 1);
    const auto last = (reinterpret_cast<std::uintptr_t>(begin) + bytes) & ~(page - 1);
    if (last <= first ||
        madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) != 0) {
        return 0;
    }
    return last - first;
}

int disable_cancellation() noexcept {
    int previous = PTHREAD_CANCEL_ENABLE;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous);
    return previous;
}

void restore_cancellation(int previous) noexcept {
    pthread_setcancelstate(previous, nullptr);
}

bool running_under_valgrind() noexcept {
#if NEBULA_HAS_VALGRIND_HEADER
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

}  // namespace nebula::debug::platform
