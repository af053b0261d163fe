#include "module.hpp"

#include <nebula/debug/tracking_allocator.hpp>

#define NEBULA_CONCAT_(a, b) a##b
#define NEBULA_CONCAT(a, b) NEBULA_CONCAT_(a, b)
#define NEBULA_STRINGIFY_(a) #a
#define NEBULA_STRINGIFY(a) NEBULA_STRINGIFY_(a)

extern "C" void* NEBULA_CONCAT(NEBULA_TEST_MODULE, _allocate)(std::size_t bytes) {
    nebula::debug::MemoryScope scope("module." NEBULA_STRINGIFY(NEBULA_TEST_MODULE));
    return new char[bytes];
}

extern "C" void NEBULA_CONCAT(NEBULA_TEST_MODULE, _free)(void* block) {
    delete[] static_cast<char*>(block);
}

extern "C" std::size_t NEBULA_CONCAT(NEBULA_TEST_MODULE, _tag_bytes)(const char* tag) {
    return nebula::debug::allocator_stats(tag).allocated_bytes;
}
