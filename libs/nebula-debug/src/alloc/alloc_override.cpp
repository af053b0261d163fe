// Replacements for every replaceable global allocation and deallocation function: a thin shell
// over tracked_malloc / tracked_aligned_malloc / tracked_free that adds only what the standard
// asks of operator new (the new-handler loop, std::bad_alloc, nullptr for the nothrow forms).
// The default-alignment forms inline the hot path (tracked_block.hpp) rather than calling
// tracked_malloc / tracked_free: one call layer less on every new and delete.
// Compiled only when NEBULA_MEMORY_TRACKING is on.
#include <nebula/debug/tracking_allocator.hpp>

#include <new>

#include "tracked_block.hpp"

// Named so that a sampled stack's frames in here read "nebula::debug::...": the sites' reader
// cuts the tracker's frames by that prefix (allocation_sites.cpp), cold clones included.
namespace nebula::debug::detail::new_shell {
namespace {

namespace nd = nebula::debug;

// The slow path after a failed allocation: [new.delete.single] asks to call the installed
// new-handler and retry, or to throw std::bad_alloc when there is none.
void* allocate_after_failure(std::size_t size, std::size_t alignment) {
    for (;;) {
        const std::new_handler handler = std::get_new_handler();
        if (handler == nullptr) {
            throw std::bad_alloc();
        }
        handler();
        if (void* block = nd::tracked_aligned_malloc(size, alignment, nd::current_memory_tag())) {
            return block;
        }
    }
}

void* allocate(std::size_t size) {
    if (void* block = nd::detail::allocate_block(size)) [[likely]] {
        return block;
    }
    return allocate_after_failure(size, __STDCPP_DEFAULT_NEW_ALIGNMENT__);
}

void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
    const auto bytes = static_cast<std::size_t>(alignment);
    if (void* block = nd::tracked_aligned_malloc(size, bytes, nd::current_memory_tag())) {
        return block;
    }
    return allocate_after_failure(size, bytes);
}

// Inlined into each operator delete even unoptimised, so that a mismatch's report names the
// program's call, not this function.
NEBULA_HOT_PATH void release(void* block) noexcept {
    nd::detail::release_block<nd::detail::Releaser::cpp_delete>(block);
}

template <class Allocate>
void* allocate_or_null(Allocate allocate_or_throw) noexcept {
    try {
        return allocate_or_throw();
    } catch (...) {
        return nullptr;
    }
}

}  // namespace
}  // namespace nebula::debug::detail::new_shell

namespace shell = nebula::debug::detail::new_shell;

void* operator new(std::size_t size) {
    return shell::allocate(size);
}
void* operator new[](std::size_t size) {
    return shell::allocate(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
    return shell::allocate_aligned(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
    return shell::allocate_aligned(size, alignment);
}

void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return shell::allocate_or_null([size] { return shell::allocate(size); });
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return shell::allocate_or_null([size] { return shell::allocate(size); });
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return shell::allocate_or_null([=] { return shell::allocate_aligned(size, alignment); });
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
    return shell::allocate_or_null([=] { return shell::allocate_aligned(size, alignment); });
}

// Every block carries its size and alignment in its header, so the sized and aligned forms need
// nothing their arguments say.
void operator delete(void* block) noexcept {
    shell::release(block);
}
void operator delete[](void* block) noexcept {
    shell::release(block);
}
void operator delete(void* block, std::size_t) noexcept {
    shell::release(block);
}
void operator delete[](void* block, std::size_t) noexcept {
    shell::release(block);
}
void operator delete(void* block, std::align_val_t) noexcept {
    shell::release(block);
}
void operator delete[](void* block, std::align_val_t) noexcept {
    shell::release(block);
}
void operator delete(void* block, std::size_t, std::align_val_t) noexcept {
    shell::release(block);
}
void operator delete[](void* block, std::size_t, std::align_val_t) noexcept {
    shell::release(block);
}
void operator delete(void* block, const std::nothrow_t&) noexcept {
    shell::release(block);
}
void operator delete[](void* block, const std::nothrow_t&) noexcept {
    shell::release(block);
}
void operator delete(void* block, std::align_val_t, const std::nothrow_t&) noexcept {
    shell::release(block);
}
void operator delete[](void* block, std::align_val_t, const std::nothrow_t&) noexcept {
    shell::release(block);
}
