// Keeps the optimiser from removing a new/delete pair whose block is never read: the standard
// lets it elide such allocations, and then there is nothing left for the tracker to count.
#pragma once

namespace nebula::debug::testing {

template <class T>
void escape(T* block) {
    asm volatile("" : : "g"(block) : "memory");
}

// The same pointer, with its origin hidden from the compiler: for tests that free a pointer wrongly
// on purpose, which the compiler would otherwise warn about.
template <class T>
T* opaque(T* pointer) {
    asm volatile("" : "+r"(pointer));
    return pointer;
}

}  // namespace nebula::debug::testing
