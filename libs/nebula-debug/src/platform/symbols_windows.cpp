// Symbols on Windows: the module and offset of each address (what a debugger's symbol server
// or `addr2line -e MODULE` turns into a name). DbgHelp could name functions, but MinGW-w64 puts
// its symbols in DWARF sections that DbgHelp does not read.
#include "symbols.hpp"

#include <windows.h>

#include <cinttypes>
#include <cstdio>

namespace nebula::debug::platform {

std::string function_name(const void* return_address) {
    HMODULE module = nullptr;
    if (GetModuleHandleExA(
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
            static_cast<LPCSTR>(return_address), &module) == 0) {
        return {};
    }
    char path[MAX_PATH + 1];
    const DWORD length = GetModuleFileNameA(module, path, MAX_PATH);
    path[length] = '\0';
    const char* name = path;
    for (const char* c = path; *c != '\0'; ++c) {
        if (*c == '\\' || *c == '/') {
            name = c + 1;
        }
    }
    char offset[32];
    std::snprintf(offset, sizeof(offset), "+0x%" PRIxPTR,
                  reinterpret_cast<std::uintptr_t>(return_address) -
                      reinterpret_cast<std::uintptr_t>(module) - 1);
    return std::string(name) + offset;
}

bool in_system_library(const void*) {
    return false;  // frames read module+offset: the reader sees the module
}

std::string source_line(const void*) {
    return {};  // function_name's module+offset is what addr2line needs
}

}  // namespace nebula::debug::platform
