// The engine's part of its ImGui: ImGui's own allocations charged to a tag of their own.
#include <imgui.h>
#include <nebula/debug/tracking_allocator.hpp>

#include "engine_imgui.hpp"

namespace {

void* allocate(std::size_t size, void*) {
    return nebula::debug::tracked_aligned_malloc(size, alignof(std::max_align_t),
                                                 nebula::debug::memory_tag("ImGui"));
}

void release(void* block, void*) {
    nebula::debug::tracked_free(block);
}

}  // namespace

void engine_imgui_install_allocator() {
    ImGui::SetAllocatorFunctions(allocate, release);
}
