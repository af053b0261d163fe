// Keeps the optimiser from removing a new/delete pair whose block is never read: the standard
// lets it elide such allocations, and then there is nothing left for the tracker to count.
#pragma once

namespace nebula::debug::testing {

template <class T>
void escape(T* block) {
    asm volatile("" : : "g"(block) : "memory");
}

}  // namespace nebula::debug::testing
