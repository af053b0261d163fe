#include "panel_mark.hpp"

#include <algorithm>
#include <cmath>

namespace nebula::debug::imgui::detail {
namespace {

// Every site the stack table holds: a mark compares all of them, not only the largest few.
constexpr std::size_t kAllSites = 1 << 16;
// The standard normal's 97.5th percentile: a two-sided 95% interval.
constexpr double kZ95 = 1.959963984540054;

bool same_site(const AllocationSite& a, const AllocationSite& b) {
    return a.tag == b.tag && a.frames == b.frames && a.lines == b.lines;
}

}  // namespace

std::int64_t growth_interval_bytes(const AllocationSite& now, std::size_t samples_at_mark,
                                   std::int64_t growth_bytes, std::size_t sampling_interval) {
    const double changed =
        std::abs(static_cast<double>(now.live_samples) - static_cast<double>(samples_at_mark));
    if (changed == 0.0 || sampling_interval == 0) {
        return 0;
    }
    // Each changed sample stands for growth / changed bytes, in blocks of the site's mean size,
    // of which a fraction exp(-size / interval) goes unsampled (the Poisson model's 1 - p).
    const double per_sample = std::abs(static_cast<double>(growth_bytes)) / changed;
    const double mean_size =
        now.live_allocations > 0
            ? static_cast<double>(now.live_bytes) / static_cast<double>(now.live_allocations)
            : per_sample;
    const double unsampled = std::exp(-mean_size / static_cast<double>(sampling_interval));
    return std::llround(kZ95 * per_sample * std::sqrt(changed * unsampled));
}

void PanelMark::set(const std::vector<BudgetRow>& rows, double now_seconds, bool tracking) {
    set_ = true;
    seconds_ = now_seconds;
    rows_.clear();
    for (const BudgetRow& row : rows) {
        MemoryTag tag;
        const bool has_tag = tracking && find_memory_tag(row.name, tag);
        rows_[row.name] = {row.memory.current_bytes,
                           has_tag ? allocator_stats(tag).allocated_bytes : 0};
    }
    sites_ = tracking && sampling_interval() > 0 ? live_allocation_sites(kAllSites)
                                                 : std::vector<AllocationSite>{};
}

void PanelMark::clear() noexcept {
    set_ = false;
    rows_.clear();
    sites_.clear();
}

bool PanelMark::growth(std::string_view row, std::size_t current_bytes,
                       const AllocatorStats* allocator, std::int64_t& growth_bytes) const {
    const auto found = rows_.find(row);
    if (!set_ || found == rows_.end()) {
        return false;
    }
    const std::size_t then =
        allocator != nullptr ? found->second.allocator_bytes : found->second.current_bytes;
    const std::size_t now = allocator != nullptr ? allocator->allocated_bytes : current_bytes;
    growth_bytes = static_cast<std::int64_t>(now) - static_cast<std::int64_t>(then);
    return true;
}

std::vector<SiteGrowth> PanelMark::grown_sites(const std::string& tag,
                                               std::size_t max_sites) const {
    std::vector<SiteGrowth> grown;
    if (!set_) {
        return grown;
    }
    const std::size_t interval = sampling_interval();
    for (AllocationSite& site : live_allocation_sites(tag, kAllSites)) {
        const auto then =
            std::find_if(sites_.begin(), sites_.end(),
                         [&](const AllocationSite& old) { return same_site(old, site); });
        const std::size_t bytes_then = then != sites_.end() ? then->live_bytes : 0;
        const std::size_t samples_then = then != sites_.end() ? then->live_samples : 0;
        if (site.live_bytes <= bytes_then) {
            continue;
        }
        const auto growth =
            static_cast<std::int64_t>(site.live_bytes) - static_cast<std::int64_t>(bytes_then);
        const std::int64_t half_width = growth_interval_bytes(site, samples_then, growth, interval);
        grown.push_back({std::move(site), growth, half_width});
    }
    std::sort(grown.begin(), grown.end(), [](const SiteGrowth& a, const SiteGrowth& b) {
        return a.growth_bytes > b.growth_bytes;
    });
    grown.resize(std::min(grown.size(), max_sites));
    return grown;
}

}  // namespace nebula::debug::imgui::detail
