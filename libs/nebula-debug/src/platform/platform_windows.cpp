// The platform seam on Windows, for MinGW-w64 with POSIX threads (tested under Wine). The Win32 and
// C runtime calls are MSVC's too; the thread-exit callback's placement (a GCC section attribute)
// and its ordering are MinGW's. Nothing here allocates through operator new.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// After windows.h, which psapi.h needs.
#include <psapi.h>

#include <malloc.h>

#include <atomic>
#include <climits>

#include "platform.hpp"

namespace nebula::debug::platform {
namespace {

// ---- call_at_thread_exit ----------------------------------------------------------------------
// Thread-exit order under MinGW-w64 (GCC's winpthreads and emulated TLS), as measured under Wine:
//
//   a std::thread (winpthreads' pthread_create) returns from its function, then
//     1. winpthreads runs the pthread key destructors, in the order the keys were created: first
//        emulated TLS's own key (made at the process's first TLS access, in practice the
//        tracker's first allocation), which FREES every thread_local of the thread; then
//        libstdc++'s key, which runs the thread_local destructors (its __cxa_thread_atexit);
//   then the thread leaves through ExitThread, where Windows runs
//     2. the fiber-local storage (FLS) callbacks,
//     3. the TLS callbacks of the executable with DLL_THREAD_DETACH, in the order of their
//        sections .CRT$XLA … .CRT$XLZ: mingw-w64's (XLB, XLC, XLD), winpthreads' (XLF, which runs
//        step 1 for a thread that did not start through pthread_create), then this file's (XLY).
//   a thread from CreateThread or _beginthreadex goes through 2 and 3 only, step 1 inside 3.
//
// An FLS callback is therefore not enough: on a thread from CreateThread it runs before the
// thread_local destructors. A TLS callback in .CRT$XLY runs after winpthreads' (XLF) and mingw's
// own thread_local destructor lists (XLB), so it comes after every thread_local destructor of the
// thread, however the thread was started: this is the ordering platform.hpp promises. (The main
// thread gets no DLL_THREAD_DETACH: its exit is the process's, DLL_PROCESS_DETACH.)
//
// Emulated TLS is gone by then (step 1 frees it, and an access afterwards finds a fresh copy
// holding the initial values), so the calls to make hang off a native TLS slot (TlsAlloc), which
// Windows keeps until the thread is gone. And a thread may ask more than once: a thread_local
// destructor that allocates after step 1 finds the tracker's TLS reset and registers the thread a
// second time. Each request is a node of the thread's own list, from the process heap (never
// operator new), and every one runs, the latest first. A callback should not touch a thread_local
// itself: that makes emulated TLS allocate the thread's storage anew, after winpthreads freed it
// for the last time, and it is never freed (measured: 296 bytes per std::thread, 800 per thread
// from CreateThread, which also gets a new winpthreads record).
//
// The callback lives in the executable's TLS directory, so this file must be linked into the
// executable (the static nebula::debug is; in a DLL it would run in that DLL's turn of
// DLL_THREAD_DETACH, ordered against the C++ runtime's by the loader, not by section names).

struct ThreadExitCall {
    void (*callback)(void*);
    void* argument;
    ThreadExitCall* next;
};

std::atomic<DWORD> g_calls_slot{TLS_OUT_OF_INDEXES};
INIT_ONCE g_calls_slot_once = INIT_ONCE_STATIC_INIT;

BOOL CALLBACK allocate_calls_slot(PINIT_ONCE, PVOID, PVOID*) {
    // A slot of the TEB; past the first 64 Windows grows them with HeapAlloc, not operator new.
    g_calls_slot.store(TlsAlloc(), std::memory_order_release);
    return TRUE;
}

void NTAPI run_thread_exit_calls(PVOID, DWORD reason, PVOID) {
    const DWORD slot = g_calls_slot.load(std::memory_order_acquire);
    if (reason != DLL_THREAD_DETACH || slot == TLS_OUT_OF_INDEXES) {
        return;
    }
    // Calls requested by these callbacks run too; the bound only stops a callback that asks for
    // itself again from looping for ever.
    for (int round = 0; round < 64; ++round) {
        auto* call = static_cast<ThreadExitCall*>(TlsGetValue(slot));
        if (call == nullptr) {
            return;
        }
        TlsSetValue(slot, call->next);
        call->callback(call->argument);
        HeapFree(GetProcessHeap(), 0, call);
    }
}

}  // namespace

// In the executable's TLS callback array, after every other callback the toolchain puts there
// (.CRT$XLZ is the array's null end). `used` keeps it through --gc-sections.
extern "C" [[gnu::section(".CRT$XLY"),
             gnu::used]] const PIMAGE_TLS_CALLBACK nebula_debug_thread_exit_callback =
    run_thread_exit_calls;

void call_at_thread_exit(void (*callback)(void*), void* argument) noexcept {
    InitOnceExecuteOnce(&g_calls_slot_once, allocate_calls_slot, nullptr, nullptr);
    const DWORD slot = g_calls_slot.load(std::memory_order_acquire);
    if (slot == TLS_OUT_OF_INDEXES) {
        return;  // out of TLS slots: the thread stays registered, as on Linux without a key
    }
    auto* call =
        static_cast<ThreadExitCall*>(HeapAlloc(GetProcessHeap(), 0, sizeof(ThreadExitCall)));
    if (call == nullptr) {
        return;
    }
    *call = {callback, argument, static_cast<ThreadExitCall*>(TlsGetValue(slot))};
    TlsSetValue(slot, call);
}

// ---- fork, memory, output ---------------------------------------------------------------------

bool thread_locals_outlive_exit_callback() noexcept {
    return false;  // emulated TLS: see call_at_thread_exit above
}

void call_around_fork(void (*)(), void (*)(), void (*)()) noexcept {
    // Windows has no fork(): a process starts from its executable with none of its parent's
    // threads, locks or heap, so there is nothing to hold across it.
}

void* aligned_allocate(std::size_t alignment, std::size_t size) noexcept {
    return _aligned_malloc(size, alignment);
}

void aligned_release(void* block) noexcept {
    _aligned_free(block);
}

std::size_t page_size() noexcept {
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return info.dwPageSize;
}

void* allocate_pages(std::size_t bytes) noexcept {
    // Committed pages are zeroed by the system.
    return VirtualAlloc(nullptr, bytes, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
}

void release_pages(void* pages, std::size_t) noexcept {
    // MEM_RELEASE frees the whole reservation allocate_pages made, whose size Windows knows.
    VirtualFree(pages, 0, MEM_RELEASE);
}

void* find_next_symbol(const char*) noexcept {
    // Windows has no search order to continue (no RTLD_NEXT): each module's imports are bound to
    // one named DLL. Defining malloc in the executable does not replace the C runtime's for other
    // modules, so the malloc family is not replaced on Windows (NEBULA_TRACK_MALLOC is off there)
    // and nothing needs the next definition.
    return nullptr;
}

void* find_process_symbol(const char*) noexcept {
    return nullptr;  // likewise: no process-wide symbol scope (see find_next_symbol)
}

void write_error(const char* text, std::size_t length) noexcept {
    const HANDLE error = GetStdHandle(STD_ERROR_HANDLE);
    if (error == nullptr || error == INVALID_HANDLE_VALUE) {
        return;
    }
    while (length > 0) {
        const DWORD chunk = length > ULONG_MAX ? ULONG_MAX : static_cast<DWORD>(length);
        DWORD written = 0;
        if (!WriteFile(error, text, chunk, &written, nullptr) || written == 0) {
            return;
        }
        text += written;
        length -= written;
    }
}

std::size_t resident_memory_bytes() noexcept {
    // The working set is Windows' resident set.
    PROCESS_MEMORY_COUNTERS counters{};
    counters.cb = sizeof(counters);
    if (!GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof(counters))) {
        return 0;
    }
    return counters.WorkingSetSize;
}

// ---- which object holds what -------------------------------------------------------------------

const void* process_operator_new() noexcept {
    // Windows has no process-wide symbol interposition: each module (the executable and every
    // DLL) binds its own operator new when it is linked, and the loader never rebinds it, so
    // there is no single "process's operator new" to name. Null: the start-up check stays quiet.
    return nullptr;
}

namespace {

HMODULE module_of(const void* address) noexcept {
    HMODULE module = nullptr;
    if (address == nullptr || !GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                                      GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                                  static_cast<LPCWSTR>(address), &module)) {
        return nullptr;
    }
    return module;
}

}  // namespace

const char* object_path(const void* address) noexcept {
    // Static buffers, so that nothing is allocated; a few in turn, so that one message can name
    // several objects (the start-up check names two in one snprintf).
    constexpr unsigned kBuffers = 4;
    static char paths[kBuffers][MAX_PATH + 1];
    static std::atomic<unsigned> next{0};
    const HMODULE module = module_of(address);
    if (module == nullptr) {
        return "an unknown object";
    }
    char* path = paths[next.fetch_add(1, std::memory_order_relaxed) % kBuffers];
    const DWORD length = GetModuleFileNameA(module, path, MAX_PATH + 1);
    if (length == 0 || length > MAX_PATH) {
        return "an unknown object";  // or a path too long for the buffer
    }
    path[length] = '\0';
    return path;
}

const void* object_base(const void* address) noexcept {
    // An HMODULE is the address the module is loaded at.
    return module_of(address);
}

int capture_stack(void** frames, int max_frames) noexcept {
    // Skips this function's own frame. The stack walk reads the modules' unwind data (x64 code
    // always has it), like backtrace() on Linux.
    return RtlCaptureStackBackTrace(1, static_cast<DWORD>(max_frames), frames, nullptr);
}

void lock_stack_capture() noexcept {}  // no fork() on Windows
void unlock_stack_capture() noexcept {}

bool stack_capture_ready() noexcept {
    return true;  // RtlCaptureStackBackTrace needs nothing loaded and allocates nothing
}

std::size_t discard_pages(void*, std::size_t) noexcept {
    // The C runtime's heap owns these pages; Windows has no way to drop a heap block's pages
    // while the heap keeps them.
    return 0;
}

int disable_cancellation() noexcept {
    return 0;  // Windows threads are not cancelled at cancellation points
}

void restore_cancellation(int) noexcept {}

bool running_under_valgrind() noexcept {
    return false;
}

}  // namespace nebula::debug::platform
