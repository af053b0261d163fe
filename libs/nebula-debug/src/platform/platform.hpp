// The platform seam: everything the tracker needs from the operating system, in one place.
// Nothing here may allocate through operator new: it is called from inside the allocator.
#pragma once

#include <cstddef>
#include "visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::platform {

// Calls callback(argument) on the calling thread as it exits, after its thread_local destructors.
// Not called for the main thread, whose counters live until the process ends. A thread may ask
// more than once (where emulated TLS is reset before the destructors run, one that allocates
// registers the thread again): every request made runs.
void call_at_thread_exit(void (*callback)(void*), void* argument) noexcept;

// Whether a thread_local may still be written from that callback. True with native TLS (Linux):
// what the thread frees after the callback (other keys' destructors) must find the tracker's
// "retired" marker. False with emulated TLS (MinGW): it is gone for good by then, and writing one
// would make it allocate the thread's storage anew, never to be freed; nothing of the program
// runs on the thread after the callback there.
bool thread_locals_outlive_exit_callback() noexcept;

// Calls before() in the forking thread right before every fork(), then in_parent() in the parent
// and in_child() in the child right after it.
void call_around_fork(void (*before)(), void (*in_parent)(), void (*in_child)()) noexcept;

// A block of `size` bytes at `alignment` (a power of two above the default) from the C runtime,
// and its release: posix_memalign and free where the C runtime has them, _aligned_malloc and
// _aligned_free on Windows, whose free() cannot take an aligned block. Null on failure.
void* aligned_allocate(std::size_t alignment, std::size_t size) noexcept;
void aligned_release(void* block) noexcept;

// The size of a memory page.
std::size_t page_size() noexcept;

// Zeroed pages straight from the operating system, and their return: for the tracker's own
// bookkeeping, which must not come from the allocator it tracks. Null on failure.
void* allocate_pages(std::size_t bytes) noexcept;
void release_pages(void* pages, std::size_t bytes) noexcept;

// The next definition of the C function `name` after the calling library in the dynamic linker's
// search order (dlsym(RTLD_NEXT)): what a replaced function forwards to. Null where none.
void* find_next_symbol(const char* name) noexcept;
// The definition of the C function `name` the whole process uses (dlsym(RTLD_DEFAULT)).
void* find_process_symbol(const char* name) noexcept;

// Writes a message to standard error with no buffering and no allocation: for reports made from
// inside the allocator, whose heap may be corrupt.
void write_error(const char* text, std::size_t length) noexcept;

// The process's resident set size in bytes, or 0 where the platform cannot tell.
std::size_t resident_memory_bytes() noexcept;

// The address the dynamic linker resolves the process's `operator new(std::size_t)` to (the one
// every module's `new` calls), or null where the platform cannot tell.
const void* process_operator_new() noexcept;

// The file of the executable or shared library that holds `address`, and that object's base
// address (null when unknown): two addresses lie in the same object when their bases match.
const char* object_path(const void* address) noexcept;
const void* object_base(const void* address) noexcept;

// Up to `max_frames` return addresses of the calling thread's stack, innermost first (this
// function's own frame excluded); returns how many. Reads the unwind tables (right through code
// built without frame pointers); allocates nothing after the first call, which loads the
// unwinder: make that one early. Calls made while the unwinder loads get no frames.
int capture_stack(void** frames, int max_frames) noexcept;
// The lock capture_stack holds while it walks: held across fork() by the allocator's fork handlers,
// since a child cannot take the unwinder's own locks (libunwind's cache) that a thread it lacks
// held at the fork.
void lock_stack_capture() noexcept;
void unlock_stack_capture() noexcept;

// Whether capture_stack's unwinder is loaded: only then may a path inside the allocator that must
// not allocate (a report made from free) ask for a stack.
bool stack_capture_ready() noexcept;

// Gives the pages that lie wholly inside [begin, begin + bytes) back to the operating system while
// keeping them mapped (their contents are lost): a freed block held a while costs its header's
// page, not its size. Returns the bytes given back: 0 where the platform cannot.
std::size_t discard_pages(void* begin, std::size_t bytes) noexcept;

// Turns thread cancellation off for the calling thread and returns the previous state, which
// restore_cancellation() puts back: a cancellation point reached inside an allocation function
// (libunwind reads a pipe, an error report writes) must not unwind out of a noexcept function.
int disable_cancellation() noexcept;
void restore_cancellation(int previous) noexcept;

class CancellationOff {
public:
    CancellationOff() noexcept : previous_(disable_cancellation()) {}
    ~CancellationOff() { restore_cancellation(previous_); }
    CancellationOff(const CancellationOff&) = delete;
    CancellationOff& operator=(const CancellationOff&) = delete;

private:
    int previous_;
};

// Whether the process runs under valgrind, whose tools replace the program's own malloc and
// operator new unless told not to.
bool running_under_valgrind() noexcept;

}  // namespace nebula::debug::platform

NEBULA_INTERNAL_END
