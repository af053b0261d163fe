// A lock usable inside the allocator: constant-initialised, trivially destructible (so it still
// works during static destruction) and never allocates. Only cold paths take it.
#pragma once

#include <atomic>
#include <thread>

#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

class SpinLock {
public:
    void lock() noexcept {
        while (locked_.exchange(true, std::memory_order_acquire)) {
            while (locked_.load(std::memory_order_relaxed)) {
                std::this_thread::yield();
            }
        }
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> locked_{false};
};

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
