#include <nebula/debug/leak_watch.hpp>

#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>

#include "memory_log.hpp"
#include "options.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace nebula::debug {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

std::size_t rounded_mib(std::size_t bytes) {
    return (bytes + kMiB / 2) / kMiB;
}

}  // namespace

LeakWatch::LeakWatch(std::size_t gap_threshold_bytes) : gap_threshold_bytes_(gap_threshold_bytes) {}

void LeakWatch::set_gap_threshold(std::size_t bytes) {
    gap_threshold_bytes_ = bytes;
}

void LeakWatch::check(const MemoryBudget& budget) {
    if (!tracking_allocator_enabled()) {
        return;
    }
    const auto threshold = static_cast<std::int64_t>(gap_threshold_bytes_);
    bool any_crossed = false;
    // The visitor runs under the budget's lock: it only reads the allocator and this watch.
    budget.for_each_subsystem([&](std::string_view name, const SubsystemMemory& memory, bool) {
        auto entry = std::find_if(watched_.begin(), watched_.end(),
                                  [&](const Watched& watched) { return watched.name == name; });
        if (entry == watched_.end()) {
            entry = watched_.insert(watched_.end(), Watched{});
            entry->name = std::string(name);
        }
        Watched& watched = *entry;
        if (!watched.has_tag) {
            watched.has_tag = find_memory_tag(name, watched.tag);
        }
        watched.held_bytes = watched.has_tag ? allocator_stats(watched.tag).allocated_bytes +
                                                   gpu_stats(watched.tag).allocated_bytes
                                             : 0;
        watched.reported_bytes = memory.current_bytes;
        watched.gap = watched.has_tag ? static_cast<std::int64_t>(watched.held_bytes) -
                                            static_cast<std::int64_t>(watched.reported_bytes)
                                      : 0;
        const bool over = watched.gap > threshold;
        watched.crossed = over && !watched.over;
        watched.over = over;
        any_crossed |= watched.crossed;
    });
    if (!any_crossed) {
        return;
    }
    const auto logger = memory_logger();
    for (Watched& watched : watched_) {
        if (!watched.crossed) {
            continue;
        }
        watched.crossed = false;
        ++warnings_logged_;
        logger->warn(
            "Subsystem '{}' holds {} MB it does not report (allocator {} MB / reported {} MB): "
            "a leak?",
            watched.name, rounded_mib(static_cast<std::size_t>(watched.gap)),
            rounded_mib(watched.held_bytes), rounded_mib(watched.reported_bytes));
    }
}

const LeakWatch::Watched* LeakWatch::find(std::string_view subsystem) const noexcept {
    for (const Watched& watched : watched_) {
        if (watched.name == subsystem) {
            return &watched;
        }
    }
    return nullptr;
}

std::int64_t LeakWatch::gap(std::string_view subsystem) const noexcept {
    const Watched* watched = find(subsystem);
    return watched != nullptr ? watched->gap : 0;
}

bool LeakWatch::is_suspect(std::string_view subsystem) const noexcept {
    const Watched* watched = find(subsystem);
    return watched != nullptr && watched->over;
}

namespace {

void log_live_memory_now() {
    log_live_memory();
}

// NEBULA_LEAK_REPORT=1: the report at exit, registered before main: nebula::debug's one start-up
// step, which needs none of the allocator core's (src/start_up.cpp says why it is not one of
// them). This
// file is linked into every program that links nebula::debug, whatever the program calls:
// nebula::debug's link options name the function below as undefined (--undefined), which pulls
// this object out of the archive.
[[maybe_unused]] const bool g_live_memory_report_requested = [] {
    if (detail::options::value(detail::options::Option::leak_report) == 1) {
        log_live_memory_at_exit();
    }
    return true;
}();

}  // namespace

void log_live_memory(std::size_t sites_per_tag) {
    if (!tracking_allocator_enabled()) {
        return;
    }
    // The report's own memory is the tracker's, not what the program left allocated.
    const MemoryScope scope(kTrackerTagName);
    const auto logger = memory_logger();
    std::vector<std::pair<std::string, AllocatorStats>> tags = allocator_stats_by_tag();
    std::erase_if(tags, [](const auto& tag) {
        MemoryTag found;
        return tag.second.allocated_bytes == 0 ||
               (find_memory_tag(tag.first, found) && is_tracker_tag(found));
    });
    std::sort(tags.begin(), tags.end(), [](const auto& a, const auto& b) {
        return a.second.allocated_bytes > b.second.allocated_bytes;
    });
    if (tags.empty()) {
        logger->info("Live at exit: nothing, every allocation was freed");
        return;
    }
    for (const auto& [tag, stats] : tags) {
        logger->warn("Live at exit: {} {} in {} allocations", tag,
                     format_memory(stats.allocated_bytes), stats.live_allocations());
        if (sampling_interval() == 0) {
            continue;
        }
        for (const AllocationSite& site : live_allocation_sites(tag, sites_per_tag)) {
            logger->warn("  {} (+-{}%) in {} allocations: {}", format_memory(site.live_bytes),
                         std::lround(100 * estimate_error(site)), site.live_allocations,
                         site_summary(site));
        }
    }
}

void log_live_memory_at_exit() {
    static std::atomic<bool> registered{false};
    const bool turned_off = detail::options::is_set(detail::options::Option::leak_report) &&
                            detail::options::value(detail::options::Option::leak_report) == 0;
    if (turned_off || registered.exchange(true)) {
        return;
    }
    // The logger (and spdlog's registry under it) is made first, so that it is destroyed after
    // the report: exit handlers and static destructors run in the reverse order of their making.
    memory_logger();
    std::atexit(log_live_memory_now);
}

}  // namespace nebula::debug

// The symbol nebula::debug's link options ask for (see g_live_memory_report_requested).
extern "C" void nebula_debug_link_live_memory_report() {}
