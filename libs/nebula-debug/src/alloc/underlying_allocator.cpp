// Finding the allocator under the tracker when the C allocation family is replaced: the next
// definition of each function after ours in the dynamic linker's search order (glibc's, or an
// allocator preloaded ahead of the C library). The first call anywhere resolves all of them; the
// lookup may itself allocate (dlsym's error state), so allocations made on the resolving thread
// meanwhile come from a static arena, and other threads wait for it.
#include "underlying_allocator.hpp"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

namespace nebula::debug::detail::underlying {
namespace {

alignas(64) constinit char g_bootstrap_arena[16 * 1024];
constinit std::atomic<std::size_t> g_bootstrap_used{0};
constinit std::atomic<int> g_resolution{0};  // 0: not started, 1: in progress, 2: done
constinit thread_local bool t_resolving = false;
constinit bool g_replaces_process_malloc = false;
constinit bool g_next_is_glibc = false;  // the realloc underneath is glibc's own

void* bootstrap_allocate(std::size_t size) noexcept {
    const std::size_t rounded = (size + 15) & ~std::size_t{15};
    const std::size_t offset = g_bootstrap_used.fetch_add(rounded, std::memory_order_relaxed);
    if (offset + rounded > sizeof(g_bootstrap_arena)) {
        return nullptr;
    }
    return g_bootstrap_arena + offset;
}

// Where the tracker's memory comes from: the definitions after ours, unless this copy's
// operator new is the process's but its malloc is not (an allocator loaded ahead of the shared
// libnebula-debug-allocator): then the process's own, so that every block, whoever frees it, goes
// back to the allocator that made it. (A second copy of the tracker in a module keeps to the
// definitions after it, which end at the C library.)
constinit bool g_use_process_malloc = false;
template <class Function>
Function next(const char* name) noexcept {
    return reinterpret_cast<Function>(g_use_process_malloc ? platform::find_process_symbol(name)
                                                           : platform::find_next_symbol(name));
}

bool in_this_copy(const void* address) noexcept {
    return address != nullptr &&
           platform::object_base(address) == platform::object_base(&g_bootstrap_arena);
}

// Returns false when this thread is the one resolving: the caller serves its call from the arena.
bool resolve() noexcept {
    if (g_resolution.load(std::memory_order_acquire) == 2) {
        return true;
    }
    if (t_resolving) {
        return false;
    }
    int expected = 0;
    if (g_resolution.compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
        t_resolving = true;
        g_replaces_process_malloc = in_this_copy(platform::find_process_symbol("malloc"));
        g_use_process_malloc =
            !g_replaces_process_malloc && in_this_copy(platform::process_operator_new());
        Functions found{next<decltype(Functions::malloc)>("malloc"),
                        next<decltype(Functions::free)>("free"),
                        next<decltype(Functions::calloc)>("calloc"),
                        next<decltype(Functions::realloc)>("realloc"),
                        next<decltype(Functions::aligned_alloc)>("aligned_alloc"),
                        next<decltype(Functions::usable_size)>("malloc_usable_size")};
        // glibc's own when it lies in the C library's object (mimalloc and tcmalloc, preloaded,
        // define even glibc's __libc_realloc).
#if defined(__GLIBC__)
        g_next_is_glibc = found.realloc != nullptr &&
                          platform::object_base(reinterpret_cast<void*>(found.realloc)) ==
                              platform::object_base(reinterpret_cast<void*>(&gnu_get_libc_version));
#endif
        t_resolving = false;
        if (!found.malloc || !found.free || !found.calloc || !found.realloc ||
            !found.aligned_alloc || !found.usable_size) {
            static constexpr char kMessage[] =
                "nebula-debug: cannot find the C allocator under the malloc replacement\n";
            platform::write_error(kMessage, sizeof(kMessage) - 1);
            std::abort();
        }
        g_next = found;
        g_resolution.store(2, std::memory_order_release);
        return true;
    }
    while (g_resolution.load(std::memory_order_acquire) != 2) {
        std::this_thread::yield();
    }
    return true;
}

void* malloc_first(std::size_t size) noexcept {
    return resolve() ? g_next.malloc(size) : bootstrap_allocate(size);
}
void free_first(void* block) noexcept {
    if (!is_bootstrap_block(block) && resolve()) {
        g_next.free(block);
    }
}
void* calloc_first(std::size_t count, std::size_t size) noexcept {
    if (resolve()) {
        return g_next.calloc(count, size);
    }
    // The arena is zeroed static storage and never reused.
    return size != 0 && count > SIZE_MAX / size ? nullptr : bootstrap_allocate(count * size);
}
void* realloc_first(void* block, std::size_t size) noexcept {
    return resolve() ? g_next.realloc(block, size) : nullptr;
}
void* aligned_alloc_first(std::size_t alignment, std::size_t size) noexcept {
    return resolve() ? g_next.aligned_alloc(alignment, size) : nullptr;
}
std::size_t usable_size_first(void* block) noexcept {
    return resolve() ? g_next.usable_size(block) : 0;
}

}  // namespace

constinit Functions g_next{malloc_first,  free_first,          calloc_first,
                           realloc_first, aligned_alloc_first, usable_size_first};

bool replaces_process_malloc() noexcept {
    resolve();
    return g_replaces_process_malloc;
}

void* shrink_in_place(void* block, std::size_t bytes) noexcept {
    if (!g_next_is_glibc) {
        return nullptr;
    }
    // glibc's chunk header: the chunk's size word right before the block, its bit 1 set for a
    // chunk mapped on its own (IS_MMAPPED). A chunk of its heap shrinks where it lies
    // (_int_realloc splits it and frees the remainder); a mapped one is left alone, so that its
    // free raises glibc's mmap threshold as it would without the tracker.
    std::size_t chunk_word;
    std::memcpy(&chunk_word, static_cast<const char*>(block) - sizeof(chunk_word),
                sizeof(chunk_word));
    if ((chunk_word & 2) != 0) {
        return nullptr;
    }
    return g_next.realloc(block, bytes);
}

bool is_bootstrap_block(const void* block) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(block);
    const auto start = reinterpret_cast<std::uintptr_t>(g_bootstrap_arena);
    return address - start < sizeof(g_bootstrap_arena);
}

std::size_t bootstrap_bytes_from(const void* block) noexcept {
    return sizeof(g_bootstrap_arena) -
           static_cast<std::size_t>(static_cast<const char*>(block) - g_bootstrap_arena);
}

}  // namespace nebula::debug::detail::underlying
