// Reading the sites: the stack table copied out under its lock, then, off it, every return
// address named (platform/symbols.hpp), the tracker's own frames cut from the top of each stack,
// and stacks that read the same once named merged: a site is a (function names, lines, tag).
#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "heap_profile.hpp"
#include "options.hpp"
#include "platform/symbols.hpp"
#include "sites/stack_table.hpp"

namespace nebula::debug {
namespace {

namespace sites = detail::sites;
namespace options = detail::options;

// The entry points a sampled allocation came through: the stack starts below the outermost.
bool is_allocation_entry(std::string_view name) noexcept {
    constexpr std::string_view kEntries[] = {
        "malloc",        "calloc",   "realloc", "reallocarray", "posix_memalign",
        "aligned_alloc", "memalign", "valloc",  "pvalloc",      "operator new"};
    // The tracker itself, and the entry points it offers (tracked_malloc, ...); a function
    // template's name starts with its return type ("void* nebula::debug::detail::...").
    if (const std::size_t at = name.find("nebula::debug::");
        at == 0 || (at != std::string_view::npos && at < name.find('(') && name[at - 1] == ' ')) {
        return true;
    }
    for (std::string_view entry : kEntries) {
        if (name == entry || (name.starts_with(entry) && name.size() > entry.size() &&
                              (name[entry.size()] == '(' || name[entry.size()] == '['))) {
            return true;
        }
    }
    return false;
}

// How many frames from the top of a sampled stack are the tracker's: through the outermost entry
// point in the run of frames at the top that may be the tracker's (entry points and its own
// functions, all named nebula::debug::..., and frames without a name).
std::size_t tracker_frames(const std::vector<std::string>& names) noexcept {
    std::size_t count = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (is_allocation_entry(names[i])) {
            count = i + 1;
        } else if (!names[i].empty()) {
            break;
        }
    }
    return count;
}

// A name as a person reads it: without the symbol version a dynamic symbol may carry
// ("__libc_start_main@@GLIBC_2.34") or the suffix of a compiler's clone ("f(int) [clone .cold]"),
// so the hot and cold parts of one function are one site.
std::string readable_name(std::string name) {
    if (const std::size_t at = name.find('@'); at != std::string::npos && at > 0) {
        name.resize(at);
    }
    if (const std::size_t clone = name.find(" [clone "); clone != std::string::npos) {
        name.resize(clone);
    }
    return name;
}

// Every site in the stack table, named and merged; `tag_filter` null: all tags.
std::vector<AllocationSite> named_sites(const MemoryTag* tag_filter) {
    // Symbol and line tables are the tracker's memory, not the caller's (tracking_overhead_bytes).
    const MemoryScope scope(kTrackerSymbolsTagName);
    // Room taken before the lock: nothing may allocate while the sampler's table is held.
    const std::size_t capacity = sites::table_stats().sites + 64;
    std::unique_ptr<sites::SiteTotals[]> raw(new sites::SiteTotals[capacity]);
    const std::size_t count = sites::copy_sites(raw.get(), capacity);
    // Stacks that read the same, names and lines, are one site; its estimates are summed before
    // they are rounded.
    std::map<std::tuple<std::uint16_t, std::vector<std::string>, std::vector<std::string>>,
             std::pair<AllocationSite, sites::SiteTotals>>
        merged;
    for (std::size_t i = 0; i < count; ++i) {
        const sites::SiteTotals& site = raw[i];
        // The tracker's own allocations (libdw's, the unwinder's) are overhead, not sites,
        // unless their tag is asked for by name.
        if (tag_filter != nullptr ? site.tag != tag_filter->index
                                  : is_tracker_tag(MemoryTag{site.tag})) {
            continue;
        }
        std::vector<std::string> names;
        names.reserve(site.depth);
        for (int f = 0; f < site.depth; ++f) {
            names.push_back(readable_name(platform::function_name(site.frames[f])));
        }
        std::vector<std::string> frames;
        std::vector<std::string> lines;
        std::vector<bool> system_frames;
        frames.reserve(site.depth);
        lines.reserve(site.depth);
        system_frames.reserve(site.depth);
        for (std::size_t f = tracker_frames(names); f < names.size(); ++f) {
            frames.push_back(names[f].empty() ? "?" : std::move(names[f]));
            lines.push_back(platform::source_line(site.frames[f]));
            system_frames.push_back(platform::in_system_library(site.frames[f]));
        }
        auto& [named, sum] = merged[{site.tag, frames, lines}];
        if (named.tag.empty()) {
            named.frames = std::move(frames);
            named.lines = std::move(lines);
            named.system_frames = std::move(system_frames);
            named.tag = std::string(memory_tag_name(MemoryTag{site.tag}));
        }
        sum.live_count += site.live_count;
        sum.live_bytes += site.live_bytes;
        sum.allocated_count += site.allocated_count;
        sum.allocated_bytes += site.allocated_bytes;
        sum.live_samples += site.live_samples;
    }
    std::vector<AllocationSite> result;
    result.reserve(merged.size());
    for (auto& [key, merged_site] : merged) {
        auto& [site, sum] = merged_site;
        site.live_bytes = detail::rounded_estimate(sum.live_bytes);
        site.live_allocations = detail::rounded_estimate(sum.live_count);
        site.allocated_bytes = detail::rounded_estimate(sum.allocated_bytes);
        site.allocated_allocations = detail::rounded_estimate(sum.allocated_count);
        site.live_samples = sum.live_samples;
        result.push_back(std::move(site));
    }
    return result;
}

std::vector<AllocationSite> top_live_sites(const MemoryTag* tag_filter, std::size_t max_sites) {
    std::vector<AllocationSite> named = named_sites(tag_filter);
    std::erase_if(named, [](const AllocationSite& site) { return site.live_samples == 0; });
    std::sort(named.begin(), named.end(), [](const AllocationSite& a, const AllocationSite& b) {
        return a.live_bytes > b.live_bytes;
    });
    named.resize(std::min(named.size(), max_sites));
    return named;
}

void write_profile_at_exit() {
    const char* path = options::text(options::Option::heap_profile);
    std::string error;
    if (!write_heap_profile(path, &error)) {
        std::fprintf(stderr, "nebula-debug: NEBULA_HEAP_PROFILE: %s\n", error.c_str());
    }
}

}  // namespace

std::vector<AllocationSite> live_allocation_sites(std::size_t max_sites) {
    return top_live_sites(nullptr, max_sites);
}

std::vector<AllocationSite> live_allocation_sites(std::string_view tag, std::size_t max_sites) {
    MemoryTag found;
    if (!find_memory_tag(tag, found)) {
        return {};
    }
    return top_live_sites(&found, max_sites);
}

namespace {

// Every live site, as the profile holds it. Allocates under the caller's tag.
std::vector<AllocationSite> live_profile_sites() {
    std::vector<AllocationSite> profile = named_sites(nullptr);
    for (AllocationSite& site : profile) {
        // Each stack starts at the program's own code (site_function), so that pprof's flat
        // column, which goes to a stack's first frame, names the program's functions rather
        // than the standard library's allocate and construct_at.
        const std::string_view own = site_function(site);
        const auto first =
            std::find_if(site.frames.begin(), site.frames.end(),
                         [&](const std::string& frame) { return frame.data() == own.data(); });
        const auto cut = first != site.frames.end() ? first - site.frames.begin() : 0;
        site.frames.erase(site.frames.begin(), site.frames.begin() + cut);
        site.lines.erase(site.lines.begin(), site.lines.begin() + cut);
        site.system_frames.erase(site.system_frames.begin(), site.system_frames.begin() + cut);
    }
    return profile;
}

// Every program tag's exact totals, read right after the sites they bound; the tracker's own
// tags left out, as the snapshot leaves them out (its tags are listed in registration order).
std::vector<detail::TagInUse> tags_in_use() {
    std::vector<detail::TagInUse> in_use;
    std::uint16_t index = 0;
    for (auto& [name, stats] : allocator_stats_by_tag()) {
        if (!is_tracker_tag(MemoryTag{index++})) {
            in_use.push_back({.name = std::move(name),
                              .bytes = stats.allocated_bytes,
                              .blocks = stats.live_allocations()});
        }
    }
    return in_use;
}

}  // namespace

void detail::write_heap_profile_at_exit_if_asked() noexcept {
    if (options::text(options::Option::heap_profile) != nullptr) {
        std::atexit(write_profile_at_exit);
    }
}

bool write_heap_profile(const std::string& path, std::string* error) {
    // The profile's own buffers are the tracker's memory too.
    const MemoryScope scope(kTrackerSymbolsTagName);
    try {
        const std::vector<AllocationSite> sites = live_profile_sites();
        return detail::write_heap_profile_file(sites, sampling_interval(), path, error,
                                               tags_in_use());
    } catch (const std::exception& failure) {
        if (error != nullptr) {
            *error = path + ": " + failure.what();
        }
        return false;
    }
}

std::string heap_profile() {
    const MemoryScope scope(kTrackerSymbolsTagName);
    const std::vector<AllocationSite> sites = live_profile_sites();
    return detail::gzip_heap_profile(sites, sampling_interval(), tags_in_use());
}

}  // namespace nebula::debug
