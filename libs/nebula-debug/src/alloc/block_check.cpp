// What a free whose header does not check says before the process stops. glibc says
// "free(): double free detected in tcache 2"; a debug build with the tracker in must catch at least
// as much and say more: the address, the tag and the size the block was charged to.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "platform/platform.hpp"
#include "tag_registry.hpp"
#include "tracked_block.hpp"

namespace nebula::debug::detail {
namespace {

std::string_view tag_name_or_unknown(std::uint16_t tag) noexcept {
    const std::string_view name = memory_tag_name(MemoryTag{tag});
    return name.empty() ? std::string_view{"?"} : name;
}

// Addresses print the same everywhere (MinGW's %p has no 0x).
std::uintptr_t address(const void* block) noexcept {
    return reinterpret_cast<std::uintptr_t>(block);
}

}  // namespace

void report_bad_free(const void* block) noexcept {
    BlockHeader header;
    std::memcpy(&header, static_cast<const char*>(block) - sizeof(BlockHeader), sizeof(header));
    const FreedBlock freed = freed_block(header);
    // Formatted into a stack buffer and written with one system call: the heap may be corrupt.
    char message[320];
    int length;
    if (freed.freed) {
        const std::string_view tag = tag_name_or_unknown(header.tag);
        length = std::snprintf(message, sizeof(message),
                               "nebula-debug: double free of 0x%" PRIxPTR
                               ": a block of %llu bytes charged to "
                               "tag '%.*s', already freed%s\n",
                               address(block), static_cast<unsigned long long>(freed.size),
                               static_cast<int>(tag.size()), tag.data(),
                               freed.cached ? " (it waits in a thread's block cache)" : "");
    } else {
        length = std::snprintf(message, sizeof(message),
                               "nebula-debug: free of 0x%" PRIxPTR
                               ", which the tracker never handed out or "
                               "whose header was overwritten (a buffer underflow, or a double free "
                               "after the C allocator reused the block)\n",
                               address(block));
    }
    if (length > 0) {
        platform::write_error(message,
                              std::min(static_cast<std::size_t>(length), sizeof(message) - 1));
    }
    std::abort();
}

void report_mismatched_free(const void* block, Releaser releaser, std::uint64_t size,
                            std::uint16_t tag_index) noexcept {
    const bool by_free = releaser == Releaser::c_free;
    const std::string_view tag = tag_name_or_unknown(tag_index);
    char message[320];
    const int length =
        std::snprintf(message, sizeof(message),
                      "nebula-debug: %s of 0x%" PRIxPTR
                      ", a block of %llu bytes charged to tag '%.*s' that %s made "
                      "(mismatched allocation and deallocation)\n",
                      by_free ? "free()" : "operator delete", address(block),
                      static_cast<unsigned long long>(size), static_cast<int>(tag.size()),
                      tag.data(), by_free ? "operator new" : "malloc()");
    if (length > 0) {
        platform::write_error(message,
                              std::min(static_cast<std::size_t>(length), sizeof(message) - 1));
    }
    std::abort();
}

bool release_aligned_entry(void* block, Releaser releaser) noexcept {
    AlignedEntry entry;
    if (!aligned_table::remove(block, entry)) {
        return false;
    }
    const bool c_family = entry.family == static_cast<std::uint8_t>(Family::c);
    if ((releaser == Releaser::c_free && !c_family) ||
        (releaser == Releaser::cpp_delete && c_family)) {
        report_mismatched_free(block, releaser, entry.size, entry.tag);
    }
    sites::forget_sample_if_any(block);
    count_deallocation(*t_counters, entry.tag, entry.size);
    underlying::release_aligned(block);
    return true;
}

void release_unsealed_block(void* block, Releaser releaser) noexcept {
    if (release_aligned_entry(block, releaser)) {
        return;
    }
    BlockHeader header;
    std::memcpy(&header, static_cast<const char*>(block) - sizeof(BlockHeader), sizeof(header));
    if (releaser != Releaser::c_free || freed_block(header).freed) {
        report_bad_free(block);
    }
#if NEBULA_TRACK_MALLOC
    if (!underlying::is_bootstrap_block(block)) {
        underlying::release(block);
    }
#endif
}

}  // namespace nebula::debug::detail
