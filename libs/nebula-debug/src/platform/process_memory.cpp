#include <nebula/debug/tracking_allocator.hpp>

#include "platform.hpp"

namespace nebula::debug {

std::size_t process_resident_bytes() noexcept {
    return platform::resident_memory_bytes();
}

}  // namespace nebula::debug
