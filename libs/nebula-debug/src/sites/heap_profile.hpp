// The pprof heap profile: sites with their estimated totals, encoded as profile.proto
// (github.com/google/pprof/blob/main/proto/profile.proto) and gzip-compressed, with function
// names in the file so that `go tool pprof` needs no binary to read it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

struct ProfileSite {
    std::vector<std::string> frames;  // function names, innermost first
    std::string tag;                  // the label "tag"
    // Estimated (un-sampled) values; rounded to integers in the profile.
    double live_allocations = 0;
    double live_bytes = 0;
    double allocated_allocations = 0;
    double allocated_bytes = 0;
    // Sampled blocks still live behind live_bytes, as counted, not scaled: what bounds the
    // estimate (nebula-memreport diff-sites).
    std::uint64_t live_samples = 0;
};

// The profile.proto message, uncompressed: sample types alloc_objects/count, alloc_space/bytes,
// inuse_objects/count, inuse_space/bytes, samples/count (default inuse_space), one sample per site
// with label "tag", one location per distinct function name, period_type space/bytes with
// period = `sampling_interval`.
std::string encode_heap_profile(std::span<const ProfileSite> sites,
                                std::uint64_t sampling_interval);

// The same, gzip-compressed: what a .pb.gz file holds. Throws std::bad_alloc when out of memory.
std::string gzip_heap_profile(std::span<const ProfileSite> sites, std::uint64_t sampling_interval);

// The same, gzip-compressed, written to `path` (replacing it). False with a message naming the
// path and the reason in `*error` (when not null) if it cannot be written; never throws.
bool write_heap_profile_file(std::span<const ProfileSite> sites, std::uint64_t sampling_interval,
                             const std::string& path, std::string* error) noexcept;

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
