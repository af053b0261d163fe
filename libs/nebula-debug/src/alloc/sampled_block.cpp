// A block the sampler picked: its stack goes to the sampler's table, and a bit in its header tells
// its free (on whichever thread) to take it out again, so that unsampled frees ask nothing.
#include <cstring>

#include "platform/platform.hpp"
#include "tracked_block.hpp"

namespace nebula::debug::detail {

bool record_sample(void* block, std::uint64_t size, std::uint16_t tag) noexcept {
    // The unwinder may reach a cancellation point (libunwind reads a pipe to validate addresses):
    // a cancellation must not unwind out of the noexcept allocation function that sampled.
    const platform::CancellationOff no_cancellation;
    // What the unwinder allocates for itself (libunwind's per-thread caches) is the tracker's
    // doing, not the code under the current tag's: tracking overhead, not the program's memory.
    static const MemoryTag tracker_tag = memory_tag(kTrackerTagName);
    const std::uint16_t current_tag = t_current_tag;
    t_current_tag = tracker_tag.index;
    // Read again: the thread may have registered while counting this very allocation.
    const bool recorded = sites::record_sample(t_counters->sampler, block, size, tag);
    t_current_tag = current_tag;
    return recorded;
}

void sample_block(void* block) noexcept {
    auto* header_bytes = static_cast<char*>(block) - sizeof(BlockHeader);
    BlockHeader header;
    std::memcpy(&header, header_bytes, sizeof(header));
    if (!record_sample(block, header.size, header.tag)) {
        return;
    }
    header.layout = static_cast<std::uint8_t>(header.layout | kSampledBlock);
    header.seal = block_seal(block, header.size, packed_fields(header));
    std::memcpy(header_bytes, &header, sizeof(header));
}

}  // namespace nebula::debug::detail
