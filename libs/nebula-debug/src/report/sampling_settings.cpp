// The sampler's public settings and figures (allocation_sites.hpp): the interval, which the
// recorder keeps and every live thread's countdown follows, and the tables' statistics.
#include <nebula/debug/allocation_sites.hpp>

#include "alloc/thread_registry.hpp"
#include "sites/sampler.hpp"
#include "sites/stack_table.hpp"

namespace nebula::debug {

void set_sampling_interval(std::size_t mean_bytes) noexcept {
    detail::sites::set_interval(mean_bytes);
    detail::restart_sampling_countdowns();
}

std::size_t sampling_interval() noexcept {
    return detail::sites::interval();
}

SamplingStats sampling_stats() noexcept {
    const detail::sites::TableStats table = detail::sites::table_stats();
    return {table.samples_recorded, table.live_samples, table.samples_dropped, table.sites,
            table.sites_evicted,    table.bytes};
}

}  // namespace nebula::debug
