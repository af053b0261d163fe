// Symbols through elfutils' libdw (Debian libdw-dev): it reads each module's own symbol table
// (.symtab) from its file, so functions of an executable linked without -rdynamic have names too,
// which dladdr() (the dynamic symbols only) cannot give; and it loads a module's table only when
// an address in it is first asked for. Names are demangled with the C++ runtime's demangler.
#include "symbols.hpp"

#include "platform.hpp"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace nebula::debug::platform {
namespace {

std::string demangled(const char* name) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> readable(
        abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
    return status == 0 && readable != nullptr ? std::string(readable.get()) : std::string(name);
}

std::string file_name(const char* path) {
    const char* slash = path != nullptr ? std::strrchr(path, '/') : nullptr;
    return slash != nullptr ? slash + 1 : (path != nullptr ? path : "?");
}

// Held across fork(), taken before the allocator's locks (call_around_fork's handlers run last
// registered first, and these are registered at the first lookup, after the allocator's): a
// thread that holds it allocates, and a child must not inherit it held by a thread it lacks.
constinit std::mutex g_symbols_mutex;

class Symbols {
public:
    Symbols() { report_modules(); }
    ~Symbols() {
        if (session_ != nullptr) {
            dwfl_end(session_);
        }
    }
    Symbols(const Symbols&) = delete;
    Symbols& operator=(const Symbols&) = delete;

    std::string name_of(std::uintptr_t return_address) {
        std::lock_guard lock(g_symbols_mutex);
        if (const auto known = names_.find(return_address); known != names_.end()) {
            return known->second;
        }
        const Dwarf_Addr address = return_address - 1;
        Dwfl_Module* module = module_of(address);
        std::string name;
        if (module != nullptr) {
            if (const char* symbol = dwfl_module_addrname(module, address); symbol != nullptr) {
                name = demangled(symbol);
            } else {
                Dwarf_Addr base = 0;
                const char* path = dwfl_module_info(module, nullptr, &base, nullptr, nullptr,
                                                    nullptr, nullptr, nullptr);
                char offset[32];
                std::snprintf(offset, sizeof(offset), "+0x%" PRIx64,
                              static_cast<std::uint64_t>(address - base));
                name = file_name(path) + offset;
            }
        }
        return names_.emplace(return_address, std::move(name)).first->second;
    }

    std::string line_of(std::uintptr_t return_address) {
        std::lock_guard lock(g_symbols_mutex);
        if (const auto known = lines_.find(return_address); known != lines_.end()) {
            return known->second;
        }
        const Dwarf_Addr address = return_address - 1;
        std::string line;
        if (Dwfl_Module* module = module_of(address);
            module != nullptr && !is_system_module(module)) {
            line = source_line_of(module, address);
        }
        return lines_.emplace(return_address, std::move(line)).first->second;
    }

    bool in_system_module(std::uintptr_t return_address) {
        std::lock_guard lock(g_symbols_mutex);
        Dwfl_Module* module = module_of(return_address - 1);
        return module != nullptr && is_system_module(module);
    }

private:
    // The system's libraries (libc, libstdc++) have their line tables only in debug packages
    // (libc6-dbg), whose DWARF is compressed: reading it decompresses all of it (10 MiB for libc),
    // for lines no site shows (a site reads as the program's code, and its line is there).
    static bool is_system_module(Dwfl_Module* module) {
        const char* name =
            dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
        const std::string_view path = name != nullptr ? name : "";
        return path.starts_with("/usr/") || path.starts_with("/lib") || path.starts_with("[");
    }

    // The compilation unit holding `address`. dwfl_module_addrdie finds it through
    // .debug_aranges, which clang does not emit by default (GCC does), and takes an address past
    // the last range it knows for the unit before it: so its answer is checked against the unit's
    // own ranges. Otherwise every unit's DIE says which addresses it covers (DW_AT_low_pc/high_pc
    // or DW_AT_ranges), and only those DIEs are read, not the units' contents.
    static Dwarf_Die* unit_of(Dwfl_Module* module, Dwarf_Addr address, Dwarf_Addr* bias,
                              Dwarf_Die* storage) {
        if (Dwarf_Die* unit = dwfl_module_addrdie(module, address, bias);
            unit != nullptr && dwarf_haspc(unit, address - *bias) > 0) {
            return unit;
        }
        Dwarf* dwarf = dwfl_module_getdwarf(module, bias);
        if (dwarf == nullptr) {
            return nullptr;
        }
        Dwarf_Off offset = 0;
        Dwarf_Off next = 0;
        std::size_t header_size = 0;
        while (dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
            if (dwarf_offdie(dwarf, offset + header_size, storage) != nullptr &&
                dwarf_haspc(storage, address - *bias) > 0) {
                return storage;
            }
            offset = next;
        }
        return nullptr;
    }

    // In optimised code the instruction's own line is often inside something inlined into the
    // function (std::vector's allocate in new_allocator.h): the line a person wants is in their own
    // code. So the candidates are the call sites of the functions inlined at the address,
    // outermost first, then the line table's line; the first outside the system's headers
    // (/usr/...) wins, else the first. "" when the module has no line information.
    static std::string source_line_of(Dwfl_Module* module, Dwarf_Addr address) {
        std::vector<std::pair<std::string, int>> candidates;
        Dwarf_Addr bias = 0;
        Dwarf_Die unit_storage;
        Dwarf_Die* unit = unit_of(module, address, &bias, &unit_storage);
        Dwarf_Die* scopes = nullptr;
        const int count = unit != nullptr ? dwarf_getscopes(unit, address - bias, &scopes) : 0;
        // dwarf_getscopes stops at the innermost inlined instance; the chain of inlined calls
        // around it (as eu-addr2line -i prints it) comes from that instance's own scopes.
        int innermost = 0;
        while (innermost < count && dwarf_tag(&scopes[innermost]) != DW_TAG_inlined_subroutine) {
            ++innermost;
        }
        Dwarf_Die* chain = nullptr;
        const int chain_count =
            innermost < count ? dwarf_getscopes_die(&scopes[innermost], &chain) : 0;
        Dwarf_Files* files = nullptr;
        std::size_t file_count = 0;
        if (chain_count > 0 && dwarf_getsrcfiles(unit, &files, &file_count) == 0) {
            for (int i = chain_count - 1; i >= 0; --i) {  // outermost first
                Dwarf_Attribute attribute;
                Dwarf_Word file_index = 0;
                Dwarf_Word number = 0;
                if (dwarf_tag(&chain[i]) == DW_TAG_inlined_subroutine &&
                    dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_file, &attribute),
                                    &file_index) == 0 &&
                    dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_line, &attribute), &number) ==
                        0 &&
                    file_index < file_count) {
                    if (const char* file = dwarf_filesrc(files, file_index, nullptr, nullptr)) {
                        candidates.emplace_back(file, static_cast<int>(number));
                    }
                }
            }
        }
        std::free(chain);
        std::free(scopes);
        int number = 0;
        Dwarf_Line* entry = unit != nullptr ? dwarf_getsrc_die(unit, address - bias) : nullptr;
        if (const char* file = entry != nullptr ? dwarf_linesrc(entry, nullptr, nullptr) : nullptr;
            file != nullptr && dwarf_lineno(entry, &number) == 0) {
            candidates.emplace_back(file, number);
        }
        if (candidates.empty()) {
            return {};
        }
        const auto own = std::find_if(candidates.begin(), candidates.end(), [](const auto& line) {
            return !line.first.starts_with("/usr/");
        });
        const auto& [file, line] = own != candidates.end() ? *own : candidates.front();
        return file_name(file.c_str()) + ":" + std::to_string(line);
    }

    // The call instruction ends at the return address; the byte before it (`address`) is in the
    // caller even when the call is the last instruction of a function that does not return.
    Dwfl_Module* module_of(Dwarf_Addr address) {
        Dwfl_Module* module = session_ != nullptr ? dwfl_addrmodule(session_, address) : nullptr;
        if (module == nullptr) {
            report_modules();  // a library loaded since the modules were last read
            module = session_ != nullptr ? dwfl_addrmodule(session_, address) : nullptr;
        }
        return module;
    }

    void report_modules() {
        if (session_ == nullptr) {
            session_ = dwfl_begin(&kCallbacks);
            if (session_ == nullptr) {
                return;
            }
        }
        dwfl_report_begin(session_);
        dwfl_linux_proc_report(session_, getpid());
        dwfl_report_end(session_, nullptr, nullptr);
    }

    // A module's separate debug information (a system library's symbol table in its debug
    // package) is looked for on this machine only, by build ID: libdw's standard search would
    // otherwise load its debuginfod client (libcurl, GnuTLS, libcrypto: 5 MiB resident) for every
    // module without one, to ask servers that DEBUGINFOD_URLS names. When it names some, that
    // search is the user's choice.
    static int find_debuginfo(Dwfl_Module* module, void** user_data, const char* module_name,
                              Dwarf_Addr base, const char* file_name, const char* debuglink_file,
                              GElf_Word debuglink_crc, char** debuginfo_file_name) {
        const char* servers = std::getenv("DEBUGINFOD_URLS");
        if (servers != nullptr && *servers != '\0') {
            return dwfl_standard_find_debuginfo(module, user_data, module_name, base, file_name,
                                                debuglink_file, debuglink_crc, debuginfo_file_name);
        }
        return dwfl_build_id_find_debuginfo(module, user_data, module_name, base, file_name,
                                            debuglink_file, debuglink_crc, debuginfo_file_name);
    }

    static constexpr Dwfl_Callbacks kCallbacks = {
        .find_elf = dwfl_linux_proc_find_elf,
        .find_debuginfo = find_debuginfo,
        .section_address = nullptr,
        .debuginfo_path = nullptr,
    };

    Dwfl* session_ = nullptr;
    std::unordered_map<std::uintptr_t, std::string> names_;
    std::unordered_map<std::uintptr_t, std::string> lines_;
};

}  // namespace

namespace {
Symbols& symbols() {
    // Never destroyed: reports made at exit (the leak report, NEBULA_HEAP_PROFILE) may come after
    // static destruction began.
    alignas(Symbols) static unsigned char storage[sizeof(Symbols)];
    static Symbols* const instance =
        (call_around_fork([] { g_symbols_mutex.lock(); }, [] { g_symbols_mutex.unlock(); },
                          [] { g_symbols_mutex.unlock(); }),
         new (storage) Symbols);
    return *instance;
}
}  // namespace

// Cancellation is off while libdw reads a module (open() and read() are cancellation points): a
// thread cancelled halfway would leave the shared tables half built.
std::string function_name(const void* return_address) {
    const CancellationOff no_cancellation;
    return symbols().name_of(reinterpret_cast<std::uintptr_t>(return_address));
}

bool in_system_library(const void* return_address) {
    return symbols().in_system_module(reinterpret_cast<std::uintptr_t>(return_address));
}

std::string source_line(const void* return_address) {
    const CancellationOff no_cancellation;
    return symbols().line_of(reinterpret_cast<std::uintptr_t>(return_address));
}

}  // namespace nebula::debug::platform
