// Allocation sites: where the live memory was allocated, from sampled call stacks.
//
// One allocation in every sampling_interval() bytes allocated, on average, is sampled: its call
// stack, size and tag are recorded until it is freed (on any thread). Sampling is by bytes with
// exponentially distributed gaps (a Poisson process, as in jemalloc, tcmalloc and Go), so every
// byte has the same chance and a site's totals are estimated without bias by un-sampling each
// sample of `size` bytes with weight 1 / (1 - exp(-size / interval)). A site's estimate is off by
// about 1 / sqrt(samples) (its relative standard error): a site with 100 samples, +-10%.
//
// On by default in tracking builds (512 KiB): an allocation that is not sampled pays one subtract
// and one branch, a free one test of a header bit. Environment: NEBULA_SAMPLING_INTERVAL=BYTES
// sets the interval at start (0 turns sampling off), NEBULA_SAMPLING_SEED=N fixes the random
// draws (reproducible runs), NEBULA_HEAP_PROFILE=PATH writes a heap profile at exit.
// With tracking compiled out, nothing is sampled and every list is empty.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace nebula::debug {

inline constexpr std::size_t kDefaultSamplingInterval = 512 * 1024;

// One allocation in every `mean_bytes` allocated (on average, Poisson by bytes) is sampled with
// its call stack. 0 turns sampling off. Default 512 KiB; NEBULA_SAMPLING_INTERVAL overrides it.
// Blocks sampled before a change keep their weight; each thread's next gap uses the new mean.
void set_sampling_interval(std::size_t mean_bytes) noexcept;
std::size_t sampling_interval() noexcept;

struct AllocationSite {
    std::vector<std::string> frames;  // function names, innermost first; the tracker's own
                                      // frames (operator new, malloc, ...) are not included
    std::string tag;                  // the tag its blocks were charged to
    std::size_t live_bytes = 0;       // estimated from the samples, still allocated
    std::size_t live_allocations = 0;
    std::size_t allocated_bytes = 0;  // estimated, allocated since start (freed or not)
    std::size_t live_samples = 0;     // samples behind live_bytes: its error is ~1/sqrt(this)
    std::vector<std::string> lines;   // per frame, the call's "file.cpp:71" ("" where the
                                      // module has no debug information)
    std::vector<bool> system_frames;  // per frame, true where it is in a system library (the C
                                      // and C++ runtimes: printf, strdup), not the program's code
    std::size_t allocated_allocations = 0;  // estimated, allocated since start (freed or not)
};

// The relative standard error of a site's live estimates: 1/sqrt(live_samples) (0.1: +-10%).
inline double estimate_error(const AllocationSite& site) noexcept {
    return site.live_samples == 0 ? 1.0 : 1.0 / std::sqrt(static_cast<double>(site.live_samples));
}

// The sites holding the most live memory (estimated), largest first, at most `max_sites`.
// Symbolises the stacks on the calling thread (the first call reads the program's symbol tables:
// milliseconds to a second); allocates. Call a few times a second at most, not per allocation.
std::vector<AllocationSite> live_allocation_sites(std::size_t max_sites = 20);
// The same, only sites whose blocks were charged to `tag`.
std::vector<AllocationSite> live_allocation_sites(std::string_view tag, std::size_t max_sites = 20);

// The first frame that is the program's own code rather than the standard library's
// (std::vector<...>::_M_realloc_insert, std::construct_at, ...) or the C library's
// (__libc_start_call_main, libc.so.6+0x9a1c, and any frame in system_frames): what a person
// reads as "which code".
// The innermost frame when no frame is the program's; "" for a site with no frames.
std::string_view site_function(const AllocationSite& site) noexcept;

// A demangled function name without its return type, parameter list, qualifiers and clone
// suffixes: the name it is known by, as a view into `name`.
//   "decltype (::new ((void*)(0)) T()) std::construct_at<T>(T*)" -> "std::construct_at<T>"
//   "main::{lambda(int)#1}::operator()(int) const"              ->
//   "main::{lambda(int)#1}::operator()"
//   "(anonymous namespace)::Loader::load(int) [clone .cold]"     -> "(anonymous
//   namespace)::Loader::load"
// A name that is not a function's signature ("libc.so.6+0x9a1c", "malloc") comes back whole.
std::string_view function_base_name(std::string_view name) noexcept;

// site_function() with its line and up to `callers` of its callers, outermost last, for one-line
// reports: "build_chunk_mesh(...) at mesher.cpp:71 <- MeshStore::build_pending(...) <- ...".
std::string site_summary(const AllocationSite& site, std::size_t callers = 2);

// A pprof heap profile (profile.proto, gzip, function names included: readable by
// `go tool pprof` with no binary): sample types alloc_objects, alloc_space, inuse_objects,
// inuse_space, estimated values, and samples (the live samples behind inuse_space, as counted,
// for confidence intervals: nebula-memreport diff-sites); the tag as label "tag".
// NEBULA_HEAP_PROFILE=path writes one at exit. Returns false, with a message naming the path and
// the reason in `*error` (when not null), if the file cannot be written; never throws.
bool write_heap_profile(const std::string& path, std::string* error = nullptr);
// The same profile as bytes (gzip), for serving it without a file (nebula::debug_server). Empty
// when tracking is compiled out. Throws std::bad_alloc when out of memory.
std::string heap_profile();

// What sampling costs and what it dropped, for the panel's overhead row and for tests.
struct SamplingStats {
    std::size_t samples_recorded = 0;  // since start
    std::size_t live_samples = 0;      // sampled blocks not yet freed
    std::size_t samples_dropped = 0;   // not recorded: the live-sample or stack table was full
    std::size_t sites = 0;             // distinct (stack, tag) pairs in the stack table
    std::size_t sites_evicted = 0;     // sites with nothing live, replaced by new ones
    std::size_t table_bytes = 0;       // memory the tables hold (in tracking_overhead_bytes)
};
SamplingStats sampling_stats() noexcept;

}  // namespace nebula::debug
