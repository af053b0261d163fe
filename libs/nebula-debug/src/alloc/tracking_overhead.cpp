// What the tracking itself holds, as one figure: the headers of live blocks, the registry's pool
// and the blocks threads hold back, the aligned table, the sampler's tables, and what the
// tracker allocated under its own tags.
#include <nebula/debug/tracking_allocator.hpp>

#include <string_view>

#include "aligned_table.hpp"
#include "sites/stack_table.hpp"
#include "thread_registry.hpp"

namespace nebula::debug {

std::size_t tracking_overhead_bytes() noexcept {
    const std::size_t held_bytes = detail::registry_overhead_bytes();
    std::size_t live_allocations = allocator_stats().live_allocations();
    std::size_t own_bytes = 0;
    for (const std::string_view name : {kTrackerTagName, kTrackerSymbolsTagName}) {
        MemoryTag tag;
        if (find_memory_tag(name, tag)) {
            const AllocatorStats own = allocator_stats(tag);
            own_bytes += own.allocated_bytes;
            live_allocations += own.live_allocations();
        }
    }
    return live_allocations * kBlockHeaderBytes + held_bytes + detail::aligned_table::bytes() +
           detail::sites::table_stats().bytes + own_bytes;
}

}  // namespace nebula::debug
