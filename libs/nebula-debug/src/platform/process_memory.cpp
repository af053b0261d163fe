#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "platform.hpp"

namespace nebula::debug {

std::size_t process_resident_bytes() noexcept {
    return platform::resident_memory_bytes();
}

const char* heap_allocator_name(HeapAllocator allocator) noexcept {
    switch (allocator) {
        case HeapAllocator::glibc:
            return "glibc";
        case HeapAllocator::jemalloc:
            return "jemalloc";
        case HeapAllocator::mimalloc:
            return "mimalloc";
        case HeapAllocator::tcmalloc:
            return "tcmalloc";
        case HeapAllocator::unknown:
            break;
    }
    return "unknown";
}

}  // namespace nebula::debug
