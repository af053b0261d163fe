// A block the sampler picked: its stack goes to the sampler's table, and a bit in its header tells
// its free (on whichever thread) to take it out again, so that unsampled frees ask nothing.
#include <cstring>

#include "tracked_block.hpp"

namespace nebula::debug::detail {

void sample_block(void* block) noexcept {
    auto* header_bytes = static_cast<char*>(block) - sizeof(BlockHeader);
    BlockHeader header;
    std::memcpy(&header, header_bytes, sizeof(header));
    // Read again: the thread may have registered while counting this very allocation.
    if (!sites::record_sample(t_counters->sampler, block, header.size, header.tag)) {
        return;
    }
    header.layout = static_cast<std::uint8_t>(header.layout | kSampledBlock);
    header.seal = block_seal(block, header.size, packed_fields(header));
    std::memcpy(header_bytes, &header, sizeof(header));
}

}  // namespace nebula::debug::detail
