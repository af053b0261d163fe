// GL_ATI_meminfo (AMD's GL drivers): free memory per pool, in KiB; the total is not told.
#include "platform/gpu_sources.hpp"

namespace nebula::debug::platform {
namespace {

using GetIntegerv = void (*)(unsigned, int*);
constexpr unsigned kTextureFreeMemory = 0x87FC;  // {free, largest block, free auxiliary, largest}

}  // namespace

bool query_gl_ati_meminfo(GpuDeviceMemory& out) {
    if (!current_gl_has_extension("GL_ATI_meminfo")) {
        return false;
    }
    const auto get_integer = reinterpret_cast<GetIntegerv>(current_gl_function("glGetIntegerv"));
    int texture_pool[4] = {};
    get_integer(kTextureFreeMemory, texture_pool);
    if (texture_pool[0] <= 0) {
        return false;
    }
    out.available_bytes = static_cast<std::size_t>(texture_pool[0]) * 1024;
    out.source = "GL_ATI_meminfo";
    return true;
}

}  // namespace nebula::debug::platform
