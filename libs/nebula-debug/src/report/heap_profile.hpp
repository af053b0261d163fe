// The pprof heap profile: sites with their estimated totals, encoded as profile.proto
// (github.com/google/pprof/blob/main/proto/profile.proto) and gzip-compressed, with function
// names in the file so that `go tool pprof` needs no binary to read it.
#pragma once

#include <nebula/debug/allocation_sites.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

// An estimate (a scaled-up sample count) as a whole number: the nearest, 0 for a NaN or a
// negative estimate, the largest std::int64_t for one beyond it. The profile's values and
// AllocationSite's counts are read through it.
std::size_t rounded_estimate(double estimate) noexcept;

// NEBULA_HEAP_PROFILE=path: has write_heap_profile(path) run as the process exits. A start-up
// step (start_up.cpp); defined beside write_heap_profile (allocation_sites.cpp).
void write_heap_profile_at_exit_if_asked() noexcept;

// A tag's exact in-use totals (allocator_stats), which the sampled sites under it estimate.
struct TagInUse {
    std::string name;
    std::size_t bytes = 0;
    std::size_t blocks = 0;
};

// The comment a profile holds for each tag in `tags`, name last so that it may hold anything:
// "nebula-debug tag in use: 4194304 bytes in 1024 blocks: Cache". Readers comparing two runs
// (nebula-memreport diff-sites) bound a site by its tag's exact bytes; a tag missing from a
// profile that has such comments held nothing.
std::string tag_in_use_comment(const TagInUse& tag);

// The profile.proto message, uncompressed, of `sites` as they are (their frames start where the
// profile's stacks start): sample types alloc_objects/count, alloc_space/bytes,
// inuse_objects/count, inuse_space/bytes, samples/count (default inuse_space), one sample per site
// with label "tag", one location per distinct function name, period_type space/bytes with
// period = `sampling_interval`, and a comment per tag of `tags` (tag_in_use_comment).
std::string encode_heap_profile(std::span<const AllocationSite> sites,
                                std::uint64_t sampling_interval,
                                std::span<const TagInUse> tags = {});

// The same, gzip-compressed: what a .pb.gz file holds. Throws std::bad_alloc when out of memory.
std::string gzip_heap_profile(std::span<const AllocationSite> sites,
                              std::uint64_t sampling_interval, std::span<const TagInUse> tags = {});

// The same, gzip-compressed, written to `path` (replacing it). False with a message naming the
// path and the reason in `*error` (when not null) if it cannot be written; never throws.
bool write_heap_profile_file(std::span<const AllocationSite> sites, std::uint64_t sampling_interval,
                             const std::string& path, std::string* error,
                             std::span<const TagInUse> tags = {}) noexcept;

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
