// Entry points of the OpenGL context current on the calling thread, for the GL sources. Only a
// libGL the process already loaded is used (RTLD_NOLOAD): a program without GL gets no context,
// and loading one would only cost it memory.
#include "platform/gpu_sources.hpp"

#include <dlfcn.h>

#include <algorithm>

namespace nebula::debug::platform {
namespace {

using GetProcAddress = void* (*)(const unsigned char*);
using GetCurrentContext = void* (*)();
using GetString = const unsigned char* (*)(unsigned);
using GetStringi = const unsigned char* (*)(unsigned, unsigned);
using GetIntegerv = void (*)(unsigned, int*);

constexpr unsigned kGlExtensions = 0x1F03;
constexpr unsigned kGlNumExtensions = 0x821D;

void* loaded_gl() {
    return dlopen("libGL.so.1", RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
}

}  // namespace

void* current_gl_function(const char* name) {
    void* gl = loaded_gl();
    if (gl == nullptr) {
        return nullptr;
    }
    const auto get_proc = reinterpret_cast<GetProcAddress>(dlsym(gl, "glXGetProcAddressARB"));
    const auto get_context = reinterpret_cast<GetCurrentContext>(dlsym(gl, "glXGetCurrentContext"));
    void* function = nullptr;
    if (get_proc != nullptr && get_context != nullptr && get_context() != nullptr) {
        function = get_proc(reinterpret_cast<const unsigned char*>(name));
    }
    dlclose(gl);  // balances the RTLD_NOLOAD open; the process's own reference keeps it loaded
    return function;
}

bool current_gl_has_extension(std::string_view extension) {
    const auto get_integer = reinterpret_cast<GetIntegerv>(current_gl_function("glGetIntegerv"));
    const auto get_string_i = reinterpret_cast<GetStringi>(current_gl_function("glGetStringi"));
    if (get_integer != nullptr && get_string_i != nullptr) {
        int count = 0;
        get_integer(kGlNumExtensions, &count);
        for (int index = 0; index < count; ++index) {
            const auto* name = get_string_i(kGlExtensions, static_cast<unsigned>(index));
            if (name != nullptr && extension == reinterpret_cast<const char*>(name)) {
                return true;
            }
        }
        if (count > 0) {
            return false;
        }
    }
    // A compatibility context before 3.0 lists them in one string.
    const auto get_string = reinterpret_cast<GetString>(current_gl_function("glGetString"));
    const auto* all = get_string != nullptr ? get_string(kGlExtensions) : nullptr;
    if (all == nullptr) {
        return false;
    }
    for (std::string_view rest(reinterpret_cast<const char*>(all)); !rest.empty();) {
        const std::size_t end = std::min(rest.find(' '), rest.size());
        if (rest.substr(0, end) == extension) {
            return true;
        }
        rest.remove_prefix(std::min(end + 1, rest.size()));
    }
    return false;
}

}  // namespace nebula::debug::platform
