// A lock usable inside the allocator: constant-initialised, trivially destructible (so it still
// works during static destruction) and never allocates. Only cold paths take it.
#pragma once

#include <atomic>
#include <thread>

#include "platform/platform.hpp"
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

// fork() copies only the thread that calls it: a lock another thread held at that moment would
// stay held in the child for good. Taking kLock before every fork() and releasing it after, in
// both processes, rules that out. Call once, from a static initialiser.
template <SpinLock& kLock>
bool hold_across_fork() noexcept {
    platform::call_around_fork([] { kLock.lock(); }, [] { kLock.unlock(); },
                               [] { kLock.unlock(); });
    return true;
}

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
