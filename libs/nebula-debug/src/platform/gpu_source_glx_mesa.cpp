// GLX_MESA_query_renderer (every Mesa driver, llvmpipe included): the X display's renderer and
// its memory, in MiB, with or without a current context. Needs $DISPLAY; libX11 and libGL are
// loaded on first use and stay loaded (Mesa does not support being unloaded).
#include "platform/gpu_sources.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

namespace nebula::debug::platform {
namespace {

using OpenDisplay = void* (*)(const char*);
using CloseDisplay = int (*)(void*);
using GetProcAddress = void* (*)(const unsigned char*);
using QueryExtensionsString = const char* (*)(void*, int);
using QueryRendererInteger = int (*)(void*, int, int, int, unsigned*);
using QueryRendererString = const char* (*)(void*, int, int, int);

constexpr int kRendererDevice = 0x8184;  // GLX_RENDERER_DEVICE_ID_MESA as a string: the name
constexpr int kRendererVideoMemoryMiB = 0x8187;

struct Entry {
    OpenDisplay open = nullptr;
    CloseDisplay close = nullptr;
    QueryExtensionsString extensions = nullptr;
    QueryRendererInteger integer = nullptr;
    QueryRendererString string = nullptr;
};

Entry resolve() {
    Entry entry;
    void* x11 = dlopen("libX11.so.6", RTLD_LAZY | RTLD_LOCAL);
    void* gl = dlopen("libGL.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (x11 == nullptr || gl == nullptr) {
        return entry;
    }
    const auto get_proc = reinterpret_cast<GetProcAddress>(dlsym(gl, "glXGetProcAddressARB"));
    if (get_proc == nullptr) {
        return entry;
    }
    entry.open = reinterpret_cast<OpenDisplay>(dlsym(x11, "XOpenDisplay"));
    entry.close = reinterpret_cast<CloseDisplay>(dlsym(x11, "XCloseDisplay"));
    entry.extensions =
        reinterpret_cast<QueryExtensionsString>(dlsym(gl, "glXQueryExtensionsString"));
    entry.integer = reinterpret_cast<QueryRendererInteger>(
        get_proc(reinterpret_cast<const unsigned char*>("glXQueryRendererIntegerMESA")));
    entry.string = reinterpret_cast<QueryRendererString>(
        get_proc(reinterpret_cast<const unsigned char*>("glXQueryRendererStringMESA")));
    return entry;
}

}  // namespace

bool query_glx_mesa_renderer(GpuDeviceMemory& out) {
    const char* display_name = std::getenv("DISPLAY");
    if (display_name == nullptr || *display_name == '\0') {
        return false;
    }
    static const Entry entry = resolve();
    if (entry.open == nullptr || entry.close == nullptr || entry.extensions == nullptr ||
        entry.integer == nullptr) {
        return false;
    }
    void* display = entry.open(nullptr);
    if (display == nullptr) {
        return false;
    }
    bool found = false;
    // Asking for the extension string also sets GLX up on the connection; the renderer queries
    // fail before that.
    const char* extensions = entry.extensions(display, 0);
    unsigned video_memory_mib = 0;
    if (extensions != nullptr && std::strstr(extensions, "GLX_MESA_query_renderer") != nullptr &&
        entry.integer(display, 0, 0, kRendererVideoMemoryMiB, &video_memory_mib) != 0 &&
        video_memory_mib > 0) {
        out.total_bytes = static_cast<std::size_t>(video_memory_mib) * 1024 * 1024;
        out.source = "GLX_MESA_query_renderer";
        const char* device =
            entry.string != nullptr ? entry.string(display, 0, 0, kRendererDevice) : nullptr;
        if (device != nullptr) {
            out.device = device;
        }
        found = true;
    }
    entry.close(display);
    return found;
}

}  // namespace nebula::debug::platform
