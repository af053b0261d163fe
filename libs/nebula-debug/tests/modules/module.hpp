// A game module as an engine builds them: a shared library that links nebula::debug, allocates
// under its own tag, frees blocks other modules made, and reads the statistics itself. Each
// module is built from module.cpp with its own NEBULA_TEST_MODULE name, so every entry point is
// prefixed by the module's name and modules can be linked side by side.
#pragma once

#include <cstddef>

#define NEBULA_MODULE_ENTRY_POINTS(name)                                                    \
    extern "C" void* name##_allocate(std::size_t bytes);      /* under tag "module.name" */ \
    extern "C" void name##_free(void* block);                 /* delete[] */                \
    extern "C" std::size_t name##_tag_bytes(const char* tag); /* allocator_stats(tag) */    \
    extern "C" bool name##_tracker_is_process_wide()

NEBULA_MODULE_ENTRY_POINTS(module_a);
NEBULA_MODULE_ENTRY_POINTS(module_b);
NEBULA_MODULE_ENTRY_POINTS(module_c);

// The entry points' types, for modules reached through dlsym.
using ModuleAllocate = void* (*)(std::size_t);
using ModuleFree = void (*)(void*);
using ModuleTagBytes = std::size_t (*)(const char*);
