// The panel's mark: what every row and every sampled site held when "Mark" was pressed, so that
// the table shows each row's growth since then and the Sites pane the sites that grew, with a
// 95% interval for each site's sampled estimate.
#pragma once

#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "budget_rows.hpp"

namespace nebula::debug::imgui::detail {

// A site that grew since the mark: its growth estimate and the 95% interval around it.
struct SiteGrowth {
    AllocationSite site;  // as read now
    std::int64_t growth_bytes = 0;
    std::int64_t interval_bytes = 0;  // half the interval's width: growth +- this
};

// Within one run the samples still live at both times are the same blocks and cancel: only the
// samples taken or freed in between make the growth uncertain. Their number is at least the net
// change in live samples, taken as a Poisson count of blocks of the site's mean size (see
// docs/architecture.md, "Comparing runs"). Zero when the sample counts did not change.
std::int64_t growth_interval_bytes(const AllocationSite& now, std::size_t samples_at_mark,
                                   std::int64_t growth_bytes, std::size_t sampling_interval);

class PanelMark {
public:
    // Records every row's reported and allocator bytes and every tag's sampled sites (this
    // allocates and symbolises: once, on the button press).
    void set(const std::vector<BudgetRow>& rows, double now_seconds, bool tracking);
    void clear() noexcept;
    bool is_set() const noexcept { return set_; }
    double seconds() const noexcept { return seconds_; }

    // A row's growth since the mark: its tag's allocator bytes where `allocator` is given (what
    // a leak grows), its reported bytes otherwise. False for a row that appeared after it.
    bool growth(std::string_view row, std::size_t current_bytes, const AllocatorStats* allocator,
                std::int64_t& growth_bytes) const;

    // The sites of `tag` that grew since the mark, most growth first, at most `max_sites`.
    std::vector<SiteGrowth> grown_sites(const std::string& tag, std::size_t max_sites) const;

private:
    struct RowAtMark {
        std::size_t current_bytes = 0;
        std::size_t allocator_bytes = 0;
    };

    bool set_ = false;
    double seconds_ = 0.0;
    std::map<std::string, RowAtMark, std::less<>> rows_;
    std::vector<AllocationSite> sites_;
};

}  // namespace nebula::debug::imgui::detail
