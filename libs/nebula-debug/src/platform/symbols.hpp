// Function names for code addresses: the other half of platform::capture_stack, for reports made
// off the allocation path (sites read by the panel, a heap profile, the leak report at exit).
// Unlike the rest of the seam, this allocates: never call it from inside the allocator.
#pragma once

#include <string>

#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::platform {

// The demangled name of the function that `return_address` (from capture_stack) returns into,
// such as "nebula::demo::World::build_mesh(int)"; "module+0xOFFSET" when the module has no symbol
// for it, "" when no module holds it. Thread-safe; names are cached, so each address is looked up
// once.
std::string function_name(const void* return_address);

// Whether the module holding `return_address` is one of the system's libraries (the C and C++
// runtimes, anything under /usr or /lib): code the program calls, not the program's own.
bool in_system_library(const void* return_address);

// The source line of the call that `return_address` returns from, as "file.cpp:71" (the file's
// name without its directories); "" when the module has no line table (no debug information).
std::string source_line(const void* return_address);

}  // namespace nebula::debug::platform

NEBULA_INTERNAL_END
