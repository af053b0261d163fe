// The tracking allocator under everything at once, bounded in time: worker threads allocate
// blocks of mixed sizes, alignments and tags and hand some to each other to free, short-lived
// threads start, allocate and exit (some with live blocks), a thread forks again and again while
// all that runs and checks that every child can still start threads, allocate and read its
// statistics, and reader threads call every statistics function throughout. At the end every
// count is exact.
//
// Nothing here may hang CI. The whole scenario runs in a child process that the test process
// supervises: a hang inside the allocator (a spin lock held for good, a loop in the registry)
// stops every thread that touches it, a watchdog thread in the same process included as soon as
// it allocates or reads a statistic, whereas a parent only calls waitpid() and can always kill.
// The scenario records its phase and each thread's progress in shared memory, so the parent can
// say what hung. Each fork round's child is supervised the same way by the forking thread.
#include <nebula/debug/tracking_allocator.hpp>

#include <gtest/gtest.h>

#include "escape.hpp"
#include "sanitizers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace nd = nebula::debug;
using nebula::debug::testing::escape;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// ---- Bounds -----------------------------------------------------------------------------------

// The scenario takes a few seconds (kRunFor plus winding down); past this the parent kills it and
// fails the test. Sanitizers slow every allocation and thread start several times over.
constexpr auto kScenarioDeadline =
    nd::testing::kAddressSanitizer || nd::testing::kThreadSanitizer ? 180s : 60s;
// A fork round's child needs milliseconds; one still running after this has hung.
constexpr auto kForkChildDeadline = 10s;
// How long the short-lived threads keep coming; workers and readers run until they stop.
constexpr auto kRunFor = 2s;

constexpr std::size_t kWorkers = 4;
constexpr std::size_t kReaders = 2;
constexpr int kForkRounds = 30;
constexpr int kMinChurnRounds = 20;
constexpr std::size_t kThreadsPerChurnRound = 2;
constexpr std::size_t kMaxChurnRounds = 10'000;
constexpr std::uint64_t kMinWorkerIterations = 20'000;
constexpr std::size_t kRingSize = 64;        // live blocks each worker keeps
constexpr std::size_t kInboxCapacity = 256;  // blocks waiting for another worker to free them
constexpr std::size_t kChurnBlocks = 24;     // allocations per short-lived thread
constexpr std::size_t kChurnHandedOver = 3;  // of those, freed by a worker after the thread exits
constexpr std::size_t kChurnOrphans = 2;     // of those, freed by the main thread at the end
constexpr std::size_t kForkChildThreads = 2;
constexpr int kForkChildAllocations = 400;  // per thread of a fork round's child
constexpr std::size_t kForkChildHeld = 6;   // per thread, freed by the child's main thread
// No tag of this test ever holds more than this: a larger read is garbage (a wrapped count).
constexpr std::size_t kSaneTagBytes = std::size_t{256} << 20;

// ---- Tags -------------------------------------------------------------------------------------

// Tags the test's own blocks are charged to, and nothing else: their counts are checked exactly.
constexpr std::array<const char*, 4> kBlockTagNames = {"stress.a", "stress.b", "stress.c",
                                                       "stress.churn"};
constexpr std::size_t kBlockTags = kBlockTagNames.size();
constexpr std::size_t kChurnSlot = 3;
constexpr const char* kReaderTagName = "stress.reader";         // readers' result vectors
constexpr const char* kBooksTagName = "stress.books";           // workers' outer scope
constexpr const char* kForkChildTagName = "stress.fork-child";  // used only in fork children

struct Tags {
    std::array<nd::MemoryTag, kBlockTags> blocks{};
    nd::MemoryTag reader;
    nd::MemoryTag books;
    nd::MemoryTag fork_child;
};

Tags register_tags() noexcept {  // memory_tag never allocates
    Tags tags;
    for (std::size_t i = 0; i < kBlockTags; ++i) {
        tags.blocks[i] = nd::memory_tag(kBlockTagNames[i]);
    }
    tags.reader = nd::memory_tag(kReaderTagName);
    tags.books = nd::memory_tag(kBooksTagName);
    tags.fork_child = nd::memory_tag(kForkChildTagName);
    return tags;
}

// ---- What the scenario tells its supervisor, in memory shared across fork() -------------------

// Append-only text that any thread of any process sharing the mapping may add a line to, without
// a lock (a lock held at a fork would stay held in the child) and without allocating.
template <std::size_t kCapacity>
struct SharedText {
    std::atomic<std::size_t> length{0};
    std::atomic<std::uint32_t> dropped{0};
    char text[kCapacity];

    void append(const char* line, std::size_t size) noexcept {
        const std::size_t at = length.fetch_add(size, std::memory_order_relaxed);
        if (at + size > kCapacity) {
            dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        std::memcpy(text + at, line, size);
    }
    bool empty() const noexcept { return length.load() == 0; }
    std::string str() const {
        std::string result(text, std::min(length.load(), kCapacity));
        if (dropped.load() != 0) {
            result += "... and " + std::to_string(dropped.load()) + " more\n";
        }
        return result;
    }
    void clear() noexcept {
        length.store(0);
        dropped.store(0);
    }
};

enum Phase : int {
    kPhaseNotStarted,
    kPhaseSetUp,
    kPhaseRunning,
    kPhaseJoiningWorkers,
    kPhaseFreeingLeftovers,
    kPhaseJoiningReaders,
    kPhaseCheckingCounts,
    kPhaseDone,
};
constexpr std::array<const char*, 8> kPhaseNames = {
    "not started (the scenario process never ran)",
    "setting up (registering tags, reading the starting statistics)",
    "running (workers, short-lived threads, forks and readers all at once)",
    "joining the worker threads",
    "freeing the blocks handed over but not yet freed",
    "joining the reader threads",
    "reading the final statistics",
    "done",
};

enum ForkChildStep : int {
    kChildNotForked,
    kChildForked,
    kChildReadingBefore,
    kChildStartingThreads,
    kChildReadingWhileThreadsRun,
    kChildJoiningThreads,
    kChildCheckingCounts,
    kChildExiting,
};
constexpr std::array<const char*, 8> kChildStepNames = {
    "not forked yet",
    "just forked (not yet in any statistics function)",
    "reading its statistics before starting any thread",
    "starting its threads",
    "calling the statistics functions while its own threads allocate and free",
    "joining its threads",
    "checking its counts",
    "exiting",
};

// Roles whose progress the supervisor reports: workers, readers, the churn thread, the forker.
constexpr std::size_t kChurnRole = kWorkers + kReaders;
constexpr std::size_t kForkerRole = kChurnRole + 1;
constexpr std::size_t kRoles = kForkerRole + 1;

std::string role_name(std::size_t role) {
    if (role < kWorkers) {
        return "worker " + std::to_string(role) + " (iterations)";
    }
    if (role < kChurnRole) {
        return "reader " + std::to_string(role - kWorkers) + " (passes over every statistic)";
    }
    return role == kChurnRole ? "short-lived thread starter (rounds)" : "forker (fork rounds)";
}

struct SharedReport {
    std::atomic<int> phase{kPhaseNotStarted};
    std::array<std::atomic<std::uint64_t>, kRoles> progress{};
    std::array<std::atomic<bool>, kRoles> role_done{};
    std::array<std::atomic<bool>, kRoles> role_used{};
    // The fork round in progress, its child's pid and the step that child reached.
    std::atomic<int> fork_round{0};
    std::atomic<int> fork_child_pid{0};
    std::atomic<int> fork_child_step{kChildNotForked};
    // What the scenario did, for the log line of a passing run.
    std::atomic<std::uint64_t> handed_over{0};
    std::atomic<std::uint64_t> short_lived_threads{0};
    SharedText<16384> failures;
    SharedText<2048> fork_child_failures;  // written by the current fork round's child
};

template <std::size_t kCapacity>
void add_failure_v(SharedText<kCapacity>& log, const char* format, va_list arguments) {
    char line[600];
    const int length = std::vsnprintf(line, sizeof(line) - 1, format, arguments);
    const std::size_t size =
        std::min(static_cast<std::size_t>(std::max(length, 0)), sizeof(line) - 2);
    line[size] = '\n';
    log.append(line, size + 1);
}

template <std::size_t kCapacity>
[[gnu::format(printf, 2, 3)]] void add_failure(SharedText<kCapacity>& log, const char* format,
                                               ...) {
    va_list arguments;
    va_start(arguments, format);
    add_failure_v(log, format, arguments);
    va_end(arguments);
}

// ---- Blocks -----------------------------------------------------------------------------------

// Every way the test allocates, each freed through its matching function.
enum class Kind : std::uint8_t {
    plain,          // operator new(size) / operator delete(p)
    sized,          // operator new(size) / operator delete(p, size)
    array,          // operator new[](size) / operator delete[](p, size)
    aligned,        // operator new(size, 64) / operator delete(p, 64)
    aligned_sized,  // operator new[](size, 64) / operator delete[](p, size, 64)
    nothrow,        // operator new(size, nothrow) / operator delete(p, nothrow)
    tracked,        // tracked_malloc / tracked_free
    tracked_tag,    // tracked_aligned_malloc(size, 256, tag) / tracked_free, tag passed explicitly
    count,
};

struct Block {
    void* data = nullptr;
    std::uint32_t size = 0;
    std::uint8_t slot = 0;  // index into Tags::blocks
    Kind kind = Kind::plain;
    std::uint64_t token = 0;
};

constexpr std::align_val_t kNewAlignment{64};
constexpr std::size_t kTrackedAlignment = 256;
// Small (cached), just over the cache's limit, large, and one past kPeakSlackBytes so that a
// single allocation publishes.
constexpr std::array<std::uint32_t, 14> kSizes = {1,    8,    24,   64,   100,  256,   500,
                                                  1000, 1024, 1025, 1500, 4096, 10000, 70000};
static_assert(kSizes.back() > nd::kPeakSlackBytes);

struct Rng {  // xorshift64*: deterministic per thread, no allocation
    std::uint64_t state;
    explicit Rng(std::uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ull + 1) {}
    std::uint64_t next() noexcept {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1Dull;
    }
};

std::uint32_t pick_size(Rng& rng) noexcept {
    const std::uint64_t roll = rng.next();
    // The 70000-byte block one time in 64, the others evenly.
    return (roll & 63) == 0 ? kSizes.back() : kSizes[(roll >> 8) % (kSizes.size() - 1)];
}

Kind pick_kind(Rng& rng) noexcept {
    return static_cast<Kind>(rng.next() % static_cast<std::uint64_t>(Kind::count));
}

// Writes the block's token at both ends (or fills a small block with it), so that a block handed
// out twice, or overlapping another, shows up when it is freed.
void stamp(const Block& block) noexcept {
    auto* bytes = static_cast<unsigned char*>(block.data);
    if (block.size >= 2 * sizeof(block.token)) {
        std::memcpy(bytes, &block.token, sizeof(block.token));
        std::memcpy(bytes + block.size - sizeof(block.token), &block.token, sizeof(block.token));
    } else {
        std::memset(bytes, static_cast<int>(block.token & 0xFF), block.size);
    }
}

bool intact(const Block& block) noexcept {
    const auto* bytes = static_cast<const unsigned char*>(block.data);
    if (block.size >= 2 * sizeof(block.token)) {
        return std::memcmp(bytes, &block.token, sizeof(block.token)) == 0 &&
               std::memcmp(bytes + block.size - sizeof(block.token), &block.token,
                           sizeof(block.token)) == 0;
    }
    for (std::uint32_t i = 0; i < block.size; ++i) {
        if (bytes[i] != static_cast<unsigned char>(block.token & 0xFF)) {
            return false;
        }
    }
    return true;
}

std::size_t alignment_of(Kind kind) noexcept {
    switch (kind) {
        case Kind::aligned:
        case Kind::aligned_sized:
            return static_cast<std::size_t>(kNewAlignment);
        case Kind::tracked_tag:
            return kTrackedAlignment;
        default:
            return __STDCPP_DEFAULT_NEW_ALIGNMENT__;
    }
}

// Allocates under `tag` (an inner scope nested in whatever scope the thread is in, or, for
// tracked_tag, the tag passed explicitly). Returns an empty block and reports if it failed.
template <class Log>
Block allocate_block(Kind kind, std::uint32_t size, std::uint8_t slot, nd::MemoryTag tag,
                     std::uint64_t token, Log& log) {
    Block block{nullptr, size, slot, kind, token};
    if (kind == Kind::tracked_tag) {
        block.data = nd::tracked_aligned_malloc(size, kTrackedAlignment, tag);
    } else {
        nd::MemoryScope scope(tag);
        switch (kind) {
            case Kind::plain:
            case Kind::sized:
                block.data = ::operator new(size);
                break;
            case Kind::array:
                block.data = ::operator new[](size);
                break;
            case Kind::aligned:
                block.data = ::operator new(size, kNewAlignment);
                break;
            case Kind::aligned_sized:
                block.data = ::operator new[](size, kNewAlignment);
                break;
            case Kind::nothrow:
                block.data = ::operator new(size, std::nothrow);
                break;
            default:
                block.data = nd::tracked_malloc(size);
                break;
        }
    }
    if (block.data == nullptr) {
        add_failure(log, "allocation of %u bytes (kind %d) returned null", size,
                    static_cast<int>(kind));
        return Block{};
    }
    if (reinterpret_cast<std::uintptr_t>(block.data) % alignment_of(kind) != 0) {
        add_failure(log, "block %p of kind %d is not aligned to %zu", block.data,
                    static_cast<int>(kind), alignment_of(kind));
    }
    stamp(block);
    escape(block.data);
    return block;
}

template <class Log>
void free_block(const Block& block, Log& log) {
    if (!intact(block)) {
        add_failure(log,
                    "block %p (%u bytes, kind %d) was overwritten while live: handed out twice?",
                    block.data, block.size, static_cast<int>(block.kind));
    }
    [[maybe_unused]] const std::size_t size = block.size;
    switch (block.kind) {
        case Kind::plain:
            ::operator delete(block.data);
            break;
// Clang before 19 declares the sized forms only with -fsized-deallocation.
#if defined(__cpp_sized_deallocation)
        case Kind::sized:
            ::operator delete(block.data, size);
            break;
        case Kind::array:
            ::operator delete[](block.data, size);
            break;
        case Kind::aligned_sized:
            ::operator delete[](block.data, size, kNewAlignment);
            break;
#else
        case Kind::sized:
            ::operator delete(block.data);
            break;
        case Kind::array:
            ::operator delete[](block.data);
            break;
        case Kind::aligned_sized:
            ::operator delete[](block.data, kNewAlignment);
            break;
#endif
        case Kind::aligned:
            ::operator delete(block.data, kNewAlignment);
            break;
        case Kind::nothrow:
            ::operator delete(block.data, std::nothrow);
            break;
        default:
            nd::tracked_free(block.data);
            break;
    }
}

// ---- Reading every statistic ------------------------------------------------------------------

// Calls every statistics function and checks what holds even while other threads allocate: counts
// never go down, no tag reads a garbage size, the per-tag list names every tag. A reader thread
// and each fork round's child run one each.
//
// Every read's peak must be at least its current bytes, even while another thread resets the peak:
// a reset_allocator_peak() storing an older, lower fold between a read's raise and its load of the
// peak once made a read return "peak 241389 below the current 309959 bytes".
template <class Log>
class StatsReader {
public:
    StatsReader(const nd::MemoryTag* tags, const char* const* names, std::size_t count, Log& log)
        : tags_(tags), names_(names), count_(count), log_(log) {}

    void pass(std::uint64_t number) {
        check(nd::allocator_stats(), "the whole process", process_);
        for (std::size_t i = 0; i < count_; ++i) {
            check(nd::allocator_stats(tags_[i]), names_[i], last_[i]);
            check(nd::allocator_stats(std::string_view(names_[i])), names_[i], last_[i]);
            if (nd::memory_tag_name(tags_[i]) != names_[i]) {
                fail("memory_tag_name(%u) is not '%s'", tags_[i].index, names_[i]);
            }
            nd::MemoryTag found;
            if (!nd::find_memory_tag(names_[i], found) || found != tags_[i]) {
                fail("find_memory_tag('%s') lost the tag", names_[i]);
            }
        }
        const nd::AllocatorStats unknown = nd::allocator_stats("stress.never-registered");
        if (unknown.allocation_count != 0 || unknown.allocated_bytes != 0) {
            fail("an unknown tag reads %zu allocations", unknown.allocation_count);
        }
        {
            const std::vector<std::pair<std::string, nd::AllocatorStats>> by_tag =
                nd::allocator_stats_by_tag();
            for (std::size_t i = 0; i < count_; ++i) {
                if (by_tag.size() <= tags_[i].index) {
                    fail("allocator_stats_by_tag() has %zu tags, not '%s' (index %u)",
                         by_tag.size(), names_[i], tags_[i].index);
                    continue;
                }
                const auto& [name, stats] = by_tag[tags_[i].index];
                if (name != names_[i]) {
                    fail("allocator_stats_by_tag()[%u] is '%s', not '%s'", tags_[i].index,
                         name.c_str(), names_[i]);
                }
                check(stats, names_[i], last_[i]);
            }
        }
        if (nd::tracking_overhead_bytes() == 0) {
            fail("tracking_overhead_bytes() is 0 while threads are registered");
        }
        nd::reset_allocator_peak();
        if (number % 16 == 0) {
            nd::release_cached_blocks();
        }
    }

private:
    struct Seen {
        std::size_t allocations = 0;
        std::size_t deallocations = 0;
    };

    [[gnu::format(printf, 2, 3)]] void fail(const char* format, ...) {
        if (failures_++ < 5) {  // a broken invariant would otherwise repeat every pass
            va_list arguments;
            va_start(arguments, format);
            add_failure_v(log_, format, arguments);
            va_end(arguments);
        }
    }

    void check(const nd::AllocatorStats& stats, const char* what, Seen& seen) {
        if (stats.allocation_count < seen.allocations ||
            stats.deallocation_count < seen.deallocations) {
            fail(
                "%s: counts went down between two reads (allocations %zu -> %zu, "
                "deallocations %zu -> %zu)",
                what, seen.allocations, stats.allocation_count, seen.deallocations,
                stats.deallocation_count);
        }
        if (stats.peak_allocated_bytes < stats.allocated_bytes) {
            fail("%s: peak %zu below the current %zu bytes", what, stats.peak_allocated_bytes,
                 stats.allocated_bytes);
        }
        if (&seen != &process_ && stats.allocated_bytes > kSaneTagBytes) {
            fail("%s: %zu bytes allocated is garbage", what, stats.allocated_bytes);
        }
        seen = {stats.allocation_count, stats.deallocation_count};
    }

    const nd::MemoryTag* tags_;
    const char* const* names_;
    std::size_t count_;
    Log& log_;
    Seen process_;
    std::array<Seen, kBlockTags> last_{};  // count <= kBlockTags
    int failures_ = 0;
};

template <class Log>
void expect_change(Log& log, const char* tag, const char* what, std::size_t before,
                   std::size_t after, std::uint64_t expected) {
    if (after - before != expected) {
        add_failure(log, "'%s': %s went from %zu to %zu (%+lld), expected %+lld", tag, what, before,
                    after, static_cast<long long>(after - before),
                    static_cast<long long>(expected));
    }
}

// ---- A fork round's child ---------------------------------------------------------------------

struct ForkChildThread {
    std::array<Block, kForkChildHeld> held{};
    std::uint64_t allocations = 0;
    std::uint64_t frees = 0;
    std::uint64_t held_bytes = 0;
};

void fork_child_thread(ForkChildThread& state, nd::MemoryTag tag, std::uint64_t seed,
                       SharedText<2048>& log, std::atomic<std::size_t>& finished) {
    Rng rng(seed);
    std::array<Block, 16> ring{};
    for (int i = 0; i < kForkChildAllocations; ++i) {
        Block& slot = ring[static_cast<std::size_t>(i) % ring.size()];
        if (slot.data != nullptr) {
            free_block(slot, log);
            ++state.frees;
        }
        slot = allocate_block(pick_kind(rng), pick_size(rng), 0, tag, (seed << 32) | i, log);
        state.allocations += slot.data != nullptr ? 1 : 0;
    }
    for (std::size_t i = 0; i < ring.size(); ++i) {
        if (i < state.held.size()) {
            state.held[i] = ring[i];
            state.held_bytes += ring[i].size;
        } else if (ring[i].data != nullptr) {
            free_block(ring[i], log);
            ++state.frees;
        }
    }
    finished.fetch_add(1);
}

// Runs in the child of a fork taken while every other thread of the scenario allocates, reads or
// holds the tracker's locks. Only this thread exists here, yet the tracker's registry was copied
// with all the others in it. The child starts threads of its own, reads every statistic while
// they run, and checks that its own allocations (under a tag nothing else uses) count exactly.
// Everything but Untagged: the test's own blocks are all tagged, while the C library's own
// bookkeeping, counted now that malloc is (a new thread's storage that glibc keeps cached after it
// exits, what a forked child's C library releases), lands in Untagged on threads with no scope.
nd::AllocatorStats tagged_stats() {
    const nd::AllocatorStats all = nd::allocator_stats();
    const nd::AllocatorStats untagged = nd::allocator_stats(nd::kUntagged);
    nd::AllocatorStats tagged;
    tagged.allocated_bytes = all.allocated_bytes - untagged.allocated_bytes;
    tagged.allocation_count = all.allocation_count - untagged.allocation_count;
    tagged.deallocation_count = all.deallocation_count - untagged.deallocation_count;
    return tagged;
}

[[noreturn]] void fork_child_main(SharedReport& report, const Tags& tags, int round) {
#if defined(__linux__)
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the forker, even once it is killed
#endif
    alarm(static_cast<unsigned>(kForkChildDeadline / 1s) + 5);  // last resort
    auto& log = report.fork_child_failures;
    const auto step = [&](ForkChildStep reached) { report.fork_child_step.store(reached); };
    step(kChildReadingBefore);
    const nd::AllocatorStats before = nd::allocator_stats(tags.fork_child);
    const nd::AllocatorStats process_before = tagged_stats();

    step(kChildStartingThreads);
    std::array<ForkChildThread, kForkChildThreads> states{};
    std::atomic<std::size_t> finished{0};
    std::array<std::thread, kForkChildThreads> threads;
    for (std::size_t t = 0; t < threads.size(); ++t) {
        threads[t] = std::thread(fork_child_thread, std::ref(states[t]), tags.fork_child,
                                 static_cast<std::uint64_t>(round) * 16 + t + 1, std::ref(log),
                                 std::ref(finished));
    }

    step(kChildReadingWhileThreadsRun);
    const std::array<const char*, 1> names = {kForkChildTagName};
    StatsReader reader(&tags.fork_child, names.data(), 1, log);
    std::uint64_t passes = 0;
    do {
        reader.pass(passes);
    } while (finished.load() < threads.size() || ++passes < 3);

    step(kChildJoiningThreads);
    for (std::thread& thread : threads) {
        thread.join();
    }

    step(kChildCheckingCounts);
    std::uint64_t allocations = 0;
    std::uint64_t frees = 0;
    std::uint64_t held_bytes = 0;
    for (const ForkChildThread& state : states) {
        allocations += state.allocations;
        frees += state.frees;
        held_bytes += state.held_bytes;
    }
    const nd::AllocatorStats held = nd::allocator_stats(tags.fork_child);
    expect_change(log, kForkChildTagName, "allocated_bytes (its threads joined, blocks held)",
                  before.allocated_bytes, held.allocated_bytes, held_bytes);
    expect_change(log, kForkChildTagName, "allocation_count", before.allocation_count,
                  held.allocation_count, allocations);
    expect_change(log, kForkChildTagName, "deallocation_count", before.deallocation_count,
                  held.deallocation_count, frees);
    for (const ForkChildThread& state : states) {  // frees on another thread than the allocator
        for (const Block& block : state.held) {
            if (block.data != nullptr) {
                free_block(block, log);
            }
        }
    }
    const nd::AllocatorStats after = nd::allocator_stats(tags.fork_child);
    expect_change(log, kForkChildTagName, "allocated_bytes (every block freed)",
                  before.allocated_bytes, after.allocated_bytes, 0);
    expect_change(log, kForkChildTagName, "deallocation_count (every block freed)",
                  before.deallocation_count, after.deallocation_count, allocations);
    const nd::AllocatorStats process_after = tagged_stats();
    expect_change(log, "every tag but Untagged", "allocated_bytes", process_before.allocated_bytes,
                  process_after.allocated_bytes, 0);
    step(kChildExiting);
    _exit(log.empty() ? 0 : 1);
}

// ---- Process helpers --------------------------------------------------------------------------

// Waits for `pid` until `deadline`; false if it is still running then.
bool wait_until(pid_t pid, Clock::time_point deadline, int& status) {
    for (;;) {
        const pid_t waited = waitpid(pid, &status, WNOHANG);
        if (waited == pid) {
            return true;
        }
        if (waited < 0 && errno != EINTR) {
            status = -1;
            return true;
        }
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
}

void kill_and_reap(pid_t pid) {
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

// CPU seconds a process has used (all its threads), or -1 where /proc cannot tell. A hung
// process that used about as much CPU as wall time is spinning; one that used none is blocked.
double cpu_seconds(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    char text[1024];
    const ssize_t length = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (length <= 0) {
        return -1;
    }
    text[length] = '\0';
    const char* cursor = std::strrchr(text, ')');  // the command name may hold spaces
    unsigned long long user = 0;
    unsigned long long system = 0;
    // After ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    if (cursor == nullptr ||
        std::sscanf(cursor + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &user,
                    &system) != 2) {
        return -1;
    }
    return static_cast<double>(user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string describe_status(int status) {
    if (status == -1) {
        return "could not be waited for";
    }
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    }
    return "ended with wait status " + std::to_string(status);
}

// ---- The scenario -----------------------------------------------------------------------------

struct Tally {  // per Tags::blocks slot
    std::array<std::uint64_t, kBlockTags> allocations{};
    std::array<std::uint64_t, kBlockTags> frees{};
};

struct Inbox {  // blocks another thread allocated, for this worker to free
    std::mutex mutex;
    std::array<Block, kInboxCapacity> blocks{};
    std::size_t count = 0;
};

struct Scenario {
    Scenario(SharedReport& shared_report, const Tags& scenario_tags)
        : report(shared_report), tags(scenario_tags) {}

    SharedReport& report;
    Tags tags;
    Clock::time_point start = Clock::now();
    std::array<Inbox, kWorkers> inboxes{};
    // Blocks short-lived threads still held when they exited; the main thread frees them.
    std::array<Block, kMaxChurnRounds * kThreadsPerChurnRound * kChurnOrphans> orphans{};
    std::atomic<bool> producers_done{false};  // the churn and fork threads have finished
    std::atomic<bool> readers_stop{false};
    std::atomic<bool> abort{false};  // a fork child hung: wind down now
    std::mutex tally_mutex;
    Tally total;

    SharedText<16384>& log() { return report.failures; }

    void merge(const Tally& tally) {
        std::lock_guard lock(tally_mutex);
        for (std::size_t i = 0; i < kBlockTags; ++i) {
            total.allocations[i] += tally.allocations[i];
            total.frees[i] += tally.frees[i];
        }
    }

    void free_counted(const Block& block, Tally& tally) {
        free_block(block, log());
        ++tally.frees[block.slot];
    }

    // Gives `block` to worker `to` to free; frees it here if that worker's inbox is full.
    void hand_over(std::size_t to, const Block& block, Tally& tally) {
        {
            Inbox& inbox = inboxes[to];
            std::lock_guard lock(inbox.mutex);
            if (inbox.count < inbox.blocks.size()) {
                inbox.blocks[inbox.count++] = block;
                report.handed_over.fetch_add(1, std::memory_order_relaxed);
                return;
            }
        }
        free_counted(block, tally);
    }

    void drain(std::size_t worker, Tally& tally) {
        std::array<Block, kInboxCapacity> taken;
        std::size_t count = 0;
        {
            Inbox& inbox = inboxes[worker];
            std::lock_guard lock(inbox.mutex);
            count = inbox.count;
            std::copy_n(inbox.blocks.begin(), count, taken.begin());
            inbox.count = 0;
        }
        for (std::size_t i = 0; i < count; ++i) {
            free_counted(taken[i], tally);
        }
    }

    void worker(std::size_t w) {
        report.role_used[w].store(true);
        // Allocations outside the blocks' own scopes (there should be none) go to the books tag.
        nd::MemoryScope outer(tags.books);
        Rng rng(w + 100);
        Tally tally;
        std::array<Block, kRingSize> ring{};
        std::uint64_t i = 0;
        while (!abort.load(std::memory_order_relaxed) &&
               (i < kMinWorkerIterations || !producers_done.load(std::memory_order_relaxed))) {
            if (i % 8 == 0) {
                drain(w, tally);
            }
            Block& slot = ring[rng.next() % ring.size()];
            if (slot.data != nullptr) {
                if (rng.next() % 4 == 0) {
                    hand_over((w + 1 + rng.next() % (kWorkers - 1)) % kWorkers, slot, tally);
                } else {
                    free_counted(slot, tally);
                }
            }
            const auto tag_slot = static_cast<std::uint8_t>((w + i / 32) % (kBlockTags - 1));
            slot = allocate_block(pick_kind(rng), pick_size(rng), tag_slot, tags.blocks[tag_slot],
                                  (std::uint64_t{w} << 48) | i, log());
            tally.allocations[tag_slot] += slot.data != nullptr ? 1 : 0;
            report.progress[w].store(++i, std::memory_order_relaxed);
            if (i % 64 == 0) {
                std::this_thread::yield();  // leave the 2 cores to the thread starter and forker
            }
        }
        // Half of what is left goes to other workers (or the main thread, once they are gone).
        for (std::size_t k = 0; k < ring.size(); ++k) {
            if (ring[k].data != nullptr) {
                if (k % 2 == 0) {
                    hand_over((w + 1) % kWorkers, ring[k], tally);
                } else {
                    free_counted(ring[k], tally);
                }
            }
        }
        merge(tally);
        report.role_done[w].store(true);
    }

    // One short-lived thread: allocates under the churn tag, frees most, hands some to workers
    // (freed after it exited) and leaves some live for the main thread to free at the end.
    void short_lived(std::size_t round, std::size_t t) {
        Rng rng(round * 16 + t + 7);
        Tally tally;
        std::array<Block, kChurnBlocks> blocks{};
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            blocks[i] =
                allocate_block(pick_kind(rng), pick_size(rng), kChurnSlot, tags.blocks[kChurnSlot],
                               (std::uint64_t{0xC0 + t} << 48) | (round << 8) | i, log());
            tally.allocations[kChurnSlot] += blocks[i].data != nullptr ? 1 : 0;
        }
        const std::size_t orphan_base = (round * kThreadsPerChurnRound + t) * kChurnOrphans;
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            if (blocks[i].data == nullptr) {
                continue;
            }
            if (i < kChurnOrphans) {
                orphans[orphan_base + i] = blocks[i];
            } else if (i < kChurnOrphans + kChurnHandedOver) {
                hand_over((round + i) % kWorkers, blocks[i], tally);
            } else {
                free_counted(blocks[i], tally);
            }
        }
        merge(tally);
    }

    void churn() {
        report.role_used[kChurnRole].store(true);
        std::size_t round = 0;
        while (!abort.load() && round < kMaxChurnRounds &&
               (round < kMinChurnRounds || Clock::now() - start < kRunFor)) {
            std::array<std::thread, kThreadsPerChurnRound> threads;
            for (std::size_t t = 0; t < threads.size(); ++t) {
                threads[t] = std::thread(&Scenario::short_lived, this, round, t);
            }
            for (std::thread& thread : threads) {
                thread.join();
            }
            report.short_lived_threads.fetch_add(threads.size());
            report.progress[kChurnRole].store(++round);
        }
        report.role_done[kChurnRole].store(true);
    }

    void forker() {
        report.role_used[kForkerRole].store(true);
        const auto spacing = std::chrono::milliseconds(kRunFor) / kForkRounds;
        for (int round = 1; round <= kForkRounds && !abort.load(); ++round) {
            std::this_thread::sleep_for(spacing);
            report.fork_child_failures.clear();
            report.fork_child_step.store(kChildForked);
            report.fork_round.store(round);
            const pid_t child = fork();
            if (child < 0) {
                add_failure(log(), "fork round %d: fork() failed: %s", round, strerror(errno));
                break;
            }
            if (child == 0) {
                fork_child_main(report, tags, round);
            }
            report.fork_child_pid.store(child);
            int status = 0;
            if (!wait_until(child, Clock::now() + kForkChildDeadline, status)) {
                const auto reached = static_cast<std::size_t>(report.fork_child_step.load());
                const double cpu = cpu_seconds(child);
                const double deadline = std::chrono::duration<double>(kForkChildDeadline).count();
                kill_and_reap(child);
                // A child spinning on the 2 busy cores still gets seconds of CPU; a blocked one
                // gets none.
                const char* verdict = cpu < 0      ? "CPU use unknown"
                                      : cpu >= 1.0 ? "it kept running: a spin or an endless loop"
                                                   : "it barely ran: blocked on a lock or a futex";
                add_failure(log(),
                            "HUNG CHILD in fork round %d of %d: the child (pid %d), forked while "
                            "%zu workers, %zu readers and short-lived threads ran, did not exit "
                            "within %.0f s and was killed. It was stuck %s; it had used %.1f s of "
                            "CPU (%s).",
                            round, kForkRounds, static_cast<int>(child), kWorkers, kReaders,
                            deadline, kChildStepNames[reached], cpu, verdict);
                abort.store(true);  // every further round would wait as long: fail now
                break;
            }
            if (status != 0 || !report.fork_child_failures.empty()) {
                const std::string details = report.fork_child_failures.str();
                add_failure(
                    log(), "fork round %d: the child (pid %d) %s; its last step: %s%s%s", round,
                    static_cast<int>(child), describe_status(status).c_str(),
                    kChildStepNames[static_cast<std::size_t>(report.fork_child_step.load())],
                    details.empty() ? "" : ":\n", details.c_str());
            }
            report.progress[kForkerRole].store(static_cast<std::uint64_t>(round));
        }
        report.role_done[kForkerRole].store(true);
    }

    void reader(std::size_t r) {
        const std::size_t role = kWorkers + r;
        report.role_used[role].store(true);
        nd::MemoryScope scope(tags.reader);  // the result vectors of allocator_stats_by_tag
        StatsReader stats(tags.blocks.data(), kBlockTagNames.data(), kBlockTags, log());
        std::uint64_t passes = 0;
        while (!readers_stop.load(std::memory_order_relaxed)) {
            stats.pass(passes);
            report.progress[role].store(++passes, std::memory_order_relaxed);
        }
        report.role_done[role].store(true);
    }
};

// The scenario process's main: 0 when everything ran and every count came out exact.
int run_scenario(SharedReport& report, bool with_forks) {
    report.phase.store(kPhaseSetUp);
    auto scenario = std::make_unique<Scenario>(report, register_tags());
    const Tags& tags = scenario->tags;
    std::array<nd::AllocatorStats, kBlockTags> block_before;
    for (std::size_t i = 0; i < kBlockTags; ++i) {
        block_before[i] = nd::allocator_stats(tags.blocks[i]);
    }
    const nd::AllocatorStats reader_before = nd::allocator_stats(tags.reader);
    const nd::AllocatorStats books_before = nd::allocator_stats(tags.books);
    const nd::AllocatorStats fork_child_before = nd::allocator_stats(tags.fork_child);
    const nd::AllocatorStats process_before = tagged_stats();

    report.phase.store(kPhaseRunning);
    std::array<std::thread, kReaders> readers;
    for (std::size_t r = 0; r < kReaders; ++r) {
        readers[r] = std::thread(&Scenario::reader, scenario.get(), r);
    }
    std::array<std::thread, kWorkers> workers;
    for (std::size_t w = 0; w < kWorkers; ++w) {
        workers[w] = std::thread(&Scenario::worker, scenario.get(), w);
    }
    std::thread churn(&Scenario::churn, scenario.get());
    std::thread forker;
    if (with_forks) {
        forker = std::thread(&Scenario::forker, scenario.get());
    }
    churn.join();
    if (forker.joinable()) {
        forker.join();
    }
    scenario->producers_done.store(true);

    report.phase.store(kPhaseJoiningWorkers);
    for (std::thread& worker : workers) {
        worker.join();
    }

    report.phase.store(kPhaseFreeingLeftovers);
    Tally leftovers;
    for (std::size_t w = 0; w < kWorkers; ++w) {
        scenario->drain(w, leftovers);
    }
    for (const Block& block : scenario->orphans) {
        if (block.data != nullptr) {
            scenario->free_counted(block, leftovers);
        }
    }
    scenario->merge(leftovers);

    report.phase.store(kPhaseJoiningReaders);
    scenario->readers_stop.store(true);
    for (std::thread& reader : readers) {
        reader.join();
    }

    report.phase.store(kPhaseCheckingCounts);
    auto& log = report.failures;
    const Tally& total = scenario->total;
    std::uint64_t allocations = 0;
    for (std::size_t i = 0; i < kBlockTags; ++i) {
        const nd::AllocatorStats after = nd::allocator_stats(tags.blocks[i]);
        const char* name = kBlockTagNames[i];
        if (total.frees[i] != total.allocations[i]) {
            add_failure(log, "'%s': the test freed %llu of its %llu blocks", name,
                        static_cast<unsigned long long>(total.frees[i]),
                        static_cast<unsigned long long>(total.allocations[i]));
        }
        expect_change(log, name, "allocated_bytes", block_before[i].allocated_bytes,
                      after.allocated_bytes, 0);
        expect_change(log, name, "allocation_count", block_before[i].allocation_count,
                      after.allocation_count, total.allocations[i]);
        expect_change(log, name, "deallocation_count", block_before[i].deallocation_count,
                      after.deallocation_count, total.frees[i]);
        allocations += total.allocations[i];
    }
    const nd::AllocatorStats reader_after = nd::allocator_stats(tags.reader);
    expect_change(log, kReaderTagName, "allocated_bytes", reader_before.allocated_bytes,
                  reader_after.allocated_bytes, 0);
    expect_change(log, kReaderTagName, "live allocations", reader_before.live_allocations(),
                  reader_after.live_allocations(), 0);
    if (reader_after.allocation_count == reader_before.allocation_count) {
        add_failure(log, "'%s': the readers' result vectors were not counted", kReaderTagName);
    }
    const nd::AllocatorStats books_after = nd::allocator_stats(tags.books);
    expect_change(log, kBooksTagName, "allocated_bytes", books_before.allocated_bytes,
                  books_after.allocated_bytes, 0);
    expect_change(log, kBooksTagName, "live allocations", books_before.live_allocations(),
                  books_after.live_allocations(), 0);
    // The fork children's allocations happened in other processes: none may show here.
    const nd::AllocatorStats fork_child_after = nd::allocator_stats(tags.fork_child);
    expect_change(log, kForkChildTagName, "allocation_count", fork_child_before.allocation_count,
                  fork_child_after.allocation_count, 0);
    const nd::AllocatorStats process_after = tagged_stats();
    expect_change(log, "every tag but Untagged", "allocated_bytes", process_before.allocated_bytes,
                  process_after.allocated_bytes, 0);
    expect_change(log, "every tag but Untagged", "live allocations",
                  process_before.live_allocations(), process_after.live_allocations(), 0);
    if (process_after.allocation_count - process_before.allocation_count < allocations) {
        add_failure(log,
                    "every tag but Untagged: %zu allocations counted, fewer than the test's %llu",
                    process_after.allocation_count - process_before.allocation_count,
                    static_cast<unsigned long long>(allocations));
    }

    report.phase.store(kPhaseDone);
    return report.failures.empty() ? 0 : 1;
}

// ---- The supervisor (the test process) --------------------------------------------------------

class SharedReportMapping {
public:
    SharedReportMapping() {
        void* memory = mmap(nullptr, sizeof(SharedReport), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        report_ = memory == MAP_FAILED ? nullptr : new (memory) SharedReport;
    }
    ~SharedReportMapping() {
        if (report_ != nullptr) {
            report_->~SharedReport();
            munmap(report_, sizeof(SharedReport));
        }
    }
    SharedReportMapping(const SharedReportMapping&) = delete;
    SharedReportMapping& operator=(const SharedReportMapping&) = delete;
    SharedReport* get() const { return report_; }

private:
    SharedReport* report_ = nullptr;
};

std::string describe_progress(const SharedReport& report, bool with_forks) {
    std::array<std::uint64_t, kRoles> first{};
    for (std::size_t role = 0; role < kRoles; ++role) {
        first[role] = report.progress[role].load();
    }
    std::this_thread::sleep_for(500ms);
    std::string text;
    for (std::size_t role = 0; role < kRoles; ++role) {
        if (!report.role_used[role].load()) {
            continue;
        }
        const std::uint64_t now = report.progress[role].load();
        text += "  " + role_name(role) + ": " + std::to_string(now) + ", ";
        text += report.role_done[role].load() ? "finished"
                : now == first[role]          ? "STALLED (no progress in 0.5 s)"
                                              : "still advancing";
        text += "\n";
    }
    if (with_forks && report.fork_round.load() != 0) {
        text += "  fork round " + std::to_string(report.fork_round.load()) + "'s child (pid " +
                std::to_string(report.fork_child_pid.load()) + ") was last " +
                kChildStepNames[static_cast<std::size_t>(report.fork_child_step.load())] + "\n";
    }
    return text;
}

std::string tenths(double seconds) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f", seconds);
    return text;
}

std::string summary(const SharedReport& report, double seconds) {
    std::uint64_t iterations = 0;
    for (std::size_t w = 0; w < kWorkers; ++w) {
        iterations += report.progress[w].load();
    }
    char text[300];
    std::snprintf(text, sizeof(text),
                  "%.2f s: %llu worker iterations, %llu blocks handed to another thread to free, "
                  "%llu short-lived threads, %llu fork rounds completed, %llu + %llu reader passes",
                  seconds, static_cast<unsigned long long>(iterations),
                  static_cast<unsigned long long>(report.handed_over.load()),
                  static_cast<unsigned long long>(report.short_lived_threads.load()),
                  static_cast<unsigned long long>(report.progress[kForkerRole].load()),
                  static_cast<unsigned long long>(report.progress[kWorkers].load()),
                  static_cast<unsigned long long>(report.progress[kWorkers + 1].load()));
    return text;
}

void run_supervised(bool with_forks) {
    SharedReportMapping mapping;
    ASSERT_NE(mapping.get(), nullptr) << "mmap: " << strerror(errno);
    SharedReport& report = *mapping.get();
    std::fflush(nullptr);  // the child must not flush the parent's buffered output again
    const auto started = Clock::now();
    const pid_t scenario = fork();
    ASSERT_GE(scenario, 0) << "fork: " << strerror(errno);
    if (scenario == 0) {
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        alarm(static_cast<unsigned>(kScenarioDeadline / 1s) + 30);  // last resort
        _exit(run_scenario(report, with_forks));
    }
    int status = 0;
    if (!wait_until(scenario, started + kScenarioDeadline, status)) {
        const int phase = report.phase.load();
        const std::string progress = describe_progress(report, with_forks);
        const double cpu = cpu_seconds(scenario);
        kill_and_reap(scenario);
        ADD_FAILURE() << "WATCHDOG: the stress scenario (pid " << scenario
                      << ") did not finish within " << kScenarioDeadline / 1s
                      << " s and was killed. It hung while "
                      << kPhaseNames[static_cast<std::size_t>(phase)] << "; it had used "
                      << tenths(cpu) << " s of CPU. Progress:\n"
                      << progress << "Failures recorded before that:\n"
                      << (report.failures.empty() ? std::string("  none\n")
                                                  : report.failures.str());
        return;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (status != 0 || !report.failures.empty()) {
        ADD_FAILURE() << "the stress scenario " << describe_status(status) << " after "
                      << tenths(seconds) << " s, in phase '"
                      << kPhaseNames[static_cast<std::size_t>(report.phase.load())] << "':\n"
                      << report.failures.str() << "What ran: " << summary(report, seconds);
        return;
    }
    std::printf("[ stress   ] %s\n", summary(report, seconds).c_str());
}

}  // namespace

// Threads allocating, freeing each other's blocks, starting and exiting, while readers call every
// statistics function; every count exact at the end. Runs under ThreadSanitizer too.
TEST(TrackingAllocatorStress, ThreadsAllocateFreeAcrossThreadsAndExitWhileReadersRead) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    run_supervised(false);
}

// The same with a thread forking 30 times meanwhile; each child starts threads, allocates and
// reads every statistic, and must exit within kForkChildDeadline.
TEST(TrackingAllocatorStress, EverythingAtOnceWhileAThreadForks) {
    if (!nd::tracking_allocator_enabled()) {
        GTEST_SKIP() << "tracking is compiled out";
    }
    if (nd::testing::kAddressSanitizer || nd::testing::kThreadSanitizer) {
        GTEST_SKIP() << nd::testing::kForkWhileAllocatingUnsupported;
    }
    run_supervised(true);
}
