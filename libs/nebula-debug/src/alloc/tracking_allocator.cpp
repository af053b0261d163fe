// The tracker's entry points for custom allocators and hooks. The hot path itself lives in
// tracked_block.hpp, inlined here and into the operator new / delete replacements alike.
#include <nebula/debug/tracking_allocator.hpp>

#include <cstdlib>

#include "tracked_block.hpp"
#include "underlying_allocator.hpp"

namespace nebula::debug {

constinit const detail::ThreadCounters detail::kUnregisteredThread{};
constinit const detail::ThreadCounters detail::kRetiredThread{
    {}, detail::ThreadPhase::retired, nullptr, nullptr, {}, {}, {}};
// The stand-in is never written through this pointer: every path that writes checks the phase.
NEBULA_TLS_MODEL constinit thread_local detail::ThreadCounters* detail::t_counters =
    const_cast<detail::ThreadCounters*>(&detail::kUnregisteredThread);
NEBULA_TLS_MODEL constinit thread_local std::uint16_t detail::t_current_tag = 0;

namespace {

using detail::kDefaultAlignment;
using detail::t_current_tag;

// A MemoryTag built by hand from a bad index is charged to Untagged rather than indexing past
// the counters.
std::uint16_t checked_index(MemoryTag tag) noexcept {
    return tag.index < kMaxMemoryTags ? tag.index : kUntagged.index;
}

}  // namespace

void* tracked_malloc(std::size_t size) noexcept {
    return detail::allocate_block(size);
}

void* tracked_aligned_malloc(std::size_t size, std::size_t alignment, MemoryTag tag) noexcept {
    if (alignment <= kDefaultAlignment) {
        return detail::allocate_block(size, checked_index(tag));
    }
    if ((alignment & (alignment - 1)) != 0) {
        return nullptr;
    }
    return detail::allocate_aligned_block<detail::Family::cpp>(size, alignment, checked_index(tag));
}

void tracked_free(void* block) noexcept {
    detail::release_block<detail::Releaser::any>(block);
}

MemoryTag current_memory_tag() noexcept {
    return MemoryTag{t_current_tag};
}

MemoryTag exchange_memory_tag(MemoryTag tag) noexcept {
    const MemoryTag previous{t_current_tag};
    t_current_tag = checked_index(tag);
    return previous;
}

MemoryScope::MemoryScope(std::string_view tag) : MemoryScope(memory_tag(tag)) {}

MemoryScope::MemoryScope(MemoryTag tag) noexcept : previous_{t_current_tag} {
    t_current_tag = checked_index(tag);
}

MemoryScope::~MemoryScope() {
    t_current_tag = previous_.index;
}

bool tracking_allocator_enabled() noexcept {
    return true;
}

bool malloc_family_tracked() noexcept {
#if NEBULA_TRACK_MALLOC
    return detail::underlying::replaces_process_malloc();
#else
    return false;
#endif
}

}  // namespace nebula::debug
