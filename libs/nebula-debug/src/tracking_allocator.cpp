// The allocation hot path: every operator new and delete ends here. Per call it does one C
// allocator call, a 16-byte header write or read, and three stores to this thread's counters;
// the branches are all predictable (failure, first call on a thread, publishing).
#include <nebula/debug/tracking_allocator.hpp>

#include <cstdlib>
#include <cstring>

#include "thread_counters.hpp"

namespace nebula::debug {
namespace {

// Sits right before every block handed out; tracked_free reads everything it needs from it.
struct BlockHeader {
    std::uint64_t size;    // requested bytes
    std::uint32_t offset;  // from the C allocator's block to the user's block
    std::uint16_t tag;
    std::uint16_t unused;
};
static_assert(sizeof(BlockHeader) == kBlockHeaderBytes);
static_assert(alignof(std::max_align_t) <= sizeof(BlockHeader));

constexpr std::size_t kDefaultAlignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
static_assert(kDefaultAlignment <= sizeof(BlockHeader));

constinit thread_local detail::ThreadCounters t_counters;

// A MemoryTag built by hand from a bad index is charged to Untagged rather than indexing past
// the counters.
std::uint16_t checked_index(MemoryTag tag) noexcept {
    return tag.index < kMaxMemoryTags ? tag.index : kUntagged.index;
}

void count_allocation(std::uint16_t tag, std::uint64_t size) noexcept {
    detail::ThreadCounters& thread = t_counters;
    if (thread.phase != detail::ThreadPhase::active) [[unlikely]] {
        if (thread.phase == detail::ThreadPhase::retired) {
            detail::count_retired_allocation(tag, size);
            return;
        }
        detail::register_thread(thread);
    }
    detail::TagCounters& counters = thread.tags[tag];
    const std::int64_t unpublished = counters.unpublished_bytes.load(std::memory_order_relaxed) +
                                     static_cast<std::int64_t>(size);
    counters.unpublished_bytes.store(unpublished, std::memory_order_relaxed);
    detail::add_relaxed(counters.allocations, 1);
    if (static_cast<std::uint64_t>(unpublished) > kPeakSlackBytes) [[unlikely]] {
        detail::publish_bytes(counters, tag);
    }
}

void count_deallocation(std::uint16_t tag, std::uint64_t size) noexcept {
    detail::ThreadCounters& thread = t_counters;
    if (thread.phase != detail::ThreadPhase::active) [[unlikely]] {
        if (thread.phase == detail::ThreadPhase::retired) {
            detail::count_retired_deallocation(tag, size);
            return;
        }
        detail::register_thread(thread);
    }
    detail::TagCounters& counters = thread.tags[tag];
    const std::int64_t unpublished = counters.unpublished_bytes.load(std::memory_order_relaxed) -
                                     static_cast<std::int64_t>(size);
    counters.unpublished_bytes.store(unpublished, std::memory_order_relaxed);
    detail::add_relaxed(counters.deallocations, 1);
    // A negative count wraps to a huge unsigned one: one compare checks both ends of the range.
    if (static_cast<std::uint64_t>(unpublished) > kPeakSlackBytes) [[unlikely]] {
        detail::publish_bytes(counters, tag);
    }
}

void* finish_block(void* raw, std::size_t offset, std::size_t size, std::uint16_t tag) noexcept {
    auto* block = static_cast<char*>(raw) + offset;
    const BlockHeader header{size, static_cast<std::uint32_t>(offset), tag, 0};
    std::memcpy(block - sizeof(BlockHeader), &header, sizeof(header));
    count_allocation(tag, size);
    return block;
}

}  // namespace

void* tracked_malloc(std::size_t size) noexcept {
    if (size > SIZE_MAX - sizeof(BlockHeader)) [[unlikely]] {
        return nullptr;
    }
    void* raw = std::malloc(size + sizeof(BlockHeader));
    if (raw == nullptr) [[unlikely]] {
        return nullptr;
    }
    return finish_block(raw, sizeof(BlockHeader), size, t_counters.current_tag);
}

void* tracked_aligned_malloc(std::size_t size, std::size_t alignment, MemoryTag tag) noexcept {
    if (alignment <= kDefaultAlignment) {
        if (size > SIZE_MAX - sizeof(BlockHeader)) {
            return nullptr;
        }
        void* raw = std::malloc(size + sizeof(BlockHeader));
        return raw == nullptr ? nullptr
                              : finish_block(raw, sizeof(BlockHeader), size, checked_index(tag));
    }
    // The header takes a whole alignment unit in front of the block, so the block stays aligned.
    if ((alignment & (alignment - 1)) != 0 || alignment > UINT32_MAX ||
        size > SIZE_MAX - 2 * alignment) {
        return nullptr;
    }
    const std::size_t padded = (size + alignment + alignment - 1) & ~(alignment - 1);
    void* raw = std::aligned_alloc(alignment, padded);
    return raw == nullptr ? nullptr : finish_block(raw, alignment, size, checked_index(tag));
}

void tracked_free(void* block) noexcept {
    if (block == nullptr) {
        return;
    }
    auto* user = static_cast<char*>(block);
    BlockHeader header;
    std::memcpy(&header, user - sizeof(BlockHeader), sizeof(header));
    count_deallocation(header.tag, header.size);
    std::free(user - header.offset);
}

MemoryTag current_memory_tag() noexcept {
    return MemoryTag{t_counters.current_tag};
}

MemoryScope::MemoryScope(std::string_view tag) : MemoryScope(memory_tag(tag)) {}

MemoryScope::MemoryScope(MemoryTag tag) noexcept : previous_{t_counters.current_tag} {
    t_counters.current_tag = checked_index(tag);
}

MemoryScope::~MemoryScope() {
    t_counters.current_tag = previous_.index;
}

bool tracking_allocator_enabled() noexcept {
    return true;
}

}  // namespace nebula::debug
