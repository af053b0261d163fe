// What a free whose header does not check, or that the other allocation family made, says. glibc
// says "free(): double free detected in tcache 2"; a debug build with the tracker in must catch
// at least as much and say more: the address, the tag and the size the block was charged to. A
// mismatched free is another matter: undefined behaviour that glibc takes silently and drivers
// commit (Mesa frees memory through operator delete that new did not make), so by default it is
// reported once per call site and the block released as its header says.
#include <nebula/debug/tracking_allocator.hpp>

#include <atomic>
#include <cstdlib>

#include "options.hpp"
#include "platform/error_message.hpp"
#include "platform/platform.hpp"
#include "tag_registry.hpp"
#include "tracked_block.hpp"

namespace nebula::debug {
namespace detail {
namespace {

std::string_view tag_name_or_unknown(std::uint16_t tag) noexcept {
    const std::string_view name = memory_tag_name(MemoryTag{tag});
    return name.empty() ? std::string_view{"?"} : name;
}

[[noreturn]] void report_double_free(const void* block, std::uint64_t size, std::uint16_t tag,
                                     const char* where) noexcept {
    platform::ErrorMessage()
        .text("double free of ")
        .address(block)
        .text(": a block of ")
        .number(size)
        .text(" bytes charged to tag '")
        .text(tag_name_or_unknown(tag))
        .text("', already freed")
        .text(where)
        .write();
    std::abort();
}

// -1 until set_mismatch_policy() or the first mismatch reads NEBULA_ON_MISMATCH.
constinit std::atomic<int> g_mismatch_policy{-1};
constinit std::atomic<std::size_t> g_mismatched_frees{0};

// The call sites reported so far: a mismatch from the same place (a driver's every frame) says
// its line once. Open addressing over a fixed array; once full, mismatches are only counted.
constexpr std::size_t kReportedSites = 256;
constinit std::atomic<std::uintptr_t> g_reported_sites[kReportedSites]{};
constinit std::atomic<bool> g_said_sites_full{false};

enum class FirstReport { yes, no, table_full };
FirstReport first_report_from(const void* caller) noexcept {
    const auto site = reinterpret_cast<std::uintptr_t>(caller) | 1;  // never 0, the empty mark
    std::size_t slot = (site * 0x9E3779B97F4A7C15u) >> 56;
    for (std::size_t probe = 0; probe < kReportedSites; ++probe) {
        std::atomic<std::uintptr_t>& entry = g_reported_sites[(slot + probe) % kReportedSites];
        std::uintptr_t seen = entry.load(std::memory_order_relaxed);
        if (seen == 0 && entry.compare_exchange_strong(seen, site, std::memory_order_relaxed)) {
            return FirstReport::yes;
        }
        if (seen == site) {
            return FirstReport::no;
        }
    }
    return FirstReport::table_full;
}

// The stack below the report, from the program's call on: module and offset, what addr2line and
// eu-addr2line take. Only where the unwinder is loaded (sampling on): loading it allocates.
void write_stack(const void* caller) noexcept {
    if (!platform::stack_capture_ready()) {
        return;
    }
    void* frames[24];
    const int depth = platform::capture_stack(frames, 24);
    int first = 0;
    while (first < depth && frames[first] != caller) {
        ++first;
    }
    if (first == depth) {
        first = 0;
    }
    for (int i = first; i < depth && i < first + 12; ++i) {
        const auto* base = static_cast<const char*>(platform::object_base(frames[i]));
        platform::ErrorMessage line;
        line.text("    #").number(static_cast<std::uint64_t>(i - first)).text(" ");
        line.address(frames[i]).text(" in ").text(platform::object_path(frames[i]));
        if (base != nullptr) {
            line.text("+0x").hex(
                static_cast<std::uint64_t>(static_cast<const char*>(frames[i]) - base));
        }
        line.write();
    }
}

MismatchPolicy mismatch_policy() noexcept {
    int policy = g_mismatch_policy.load(std::memory_order_relaxed);
    if (policy < 0) {
        policy = options::value(options::Option::on_mismatch) == options::kMismatchAbort ? 1 : 0;
        int unset = -1;
        g_mismatch_policy.compare_exchange_strong(unset, policy, std::memory_order_relaxed);
        policy = g_mismatch_policy.load(std::memory_order_relaxed);
    }
    return policy == 1 ? MismatchPolicy::abort : MismatchPolicy::report;
}

}  // namespace

UnsealedBlock look_up_unsealed(const void* block) noexcept {
    UnsealedBlock found{UnsealedBlock::Kind::unknown, {}};
    if (aligned_table::find(block, found.entry)) {
        found.kind = found.entry.freed ? UnsealedBlock::Kind::freed : UnsealedBlock::Kind::table;
        return found;
    }
#if NEBULA_TRACK_MALLOC
    if (underlying::is_bootstrap_block(block)) {
        found.kind = UnsealedBlock::Kind::bootstrap;
        return found;
    }
#endif
    BlockHeader header;
    read_header(block, header);
    if (freed_block(header).freed) {
        found.kind = UnsealedBlock::Kind::freed;
    }
    return found;
}

void report_bad_free(const void* block, const char* operation) noexcept {
    AlignedEntry entry;
    if (aligned_table::find(block, entry) && entry.freed) {
        report_double_free(block, entry.size, entry.tag, " (it waits in a thread's quarantine)");
    }
    BlockHeader header;
    read_header(block, header);
    if (const FreedBlock freed = freed_block(header); freed.freed) {
        report_double_free(block, freed.size, header.tag,
                           freed.cached ? " (it waits in a thread's block cache)" : "");
    }
    platform::ErrorMessage()
        .text(operation)
        .text(" of ")
        .address(block)
        .text(
            ", which the tracker never handed out or whose header was overwritten (a buffer "
            "underflow, or a double free after the block went back to the C allocator)")
        .write();
    std::abort();
}

void report_mismatched_free(const void* block, Releaser releaser, std::uint64_t size,
                            std::uint16_t tag, const void* caller) noexcept {
    g_mismatched_frees.fetch_add(1, std::memory_order_relaxed);
    const bool stop = mismatch_policy() == MismatchPolicy::abort;
    const FirstReport first = first_report_from(caller);
    if (!stop && first != FirstReport::yes) {
        if (first == FirstReport::table_full && !g_said_sites_full.exchange(true)) {
            platform::ErrorMessage()
                .text(
                    "mismatched frees from more than 256 call sites; further ones are counted "
                    "(mismatched_free_count()), not reported")
                .write();
        }
        return;
    }
    const bool by_free = releaser == Releaser::c_free;
    platform::ErrorMessage message;
    message.text(by_free ? "free() of " : "operator delete of ")
        .address(block)
        .text(", a block of ")
        .number(size)
        .text(" bytes charged to tag '")
        .text(tag_name_or_unknown(tag))
        .text("' that ")
        .text(by_free ? "operator new" : "malloc()")
        .text(" made (mismatched allocation and deallocation)");
    if (stop) {
        message.text("; NEBULA_ON_MISMATCH=abort stops the program");
    } else {
        message.text(
            ": released as its header says, reported once per call site "
            "(NEBULA_ON_MISMATCH=abort stops the program instead)");
    }
    message.write();
    write_stack(caller);
    if (stop) {
        std::abort();
    }
}

bool release_aligned_entry(void* block, Releaser releaser, const void* caller) noexcept {
    AlignedEntry entry;
    switch (aligned_table::retire(block, entry)) {
        case aligned_table::Retired::absent:
            return false;
        case aligned_table::Retired::already_freed:
            report_double_free(block, entry.size, entry.tag,
                               " (it waits in a thread's quarantine)");
        case aligned_table::Retired::retired:
            break;
    }
    const bool c_family = entry.family == static_cast<std::uint8_t>(Family::c);
    if ((releaser == Releaser::c_free && !c_family) ||
        (releaser == Releaser::cpp_delete && c_family)) {
        report_mismatched_free(block, releaser, entry.size, entry.tag, caller);
    }
    sites::forget_sample_if_any(block);
    count_deallocation(*t_counters, entry.tag, entry.size);
    quarantine_block(*t_counters, block, QuarantineKind::table, block, entry.size);
    return true;
}

void release_unsealed_block(void* block, Releaser releaser, const void* caller) noexcept {
    if (release_aligned_entry(block, releaser, caller)) {
        return;
    }
#if NEBULA_TRACK_MALLOC
    if (underlying::is_bootstrap_block(block)) {
        return;  // the bootstrap arena is never freed
    }
#endif
    report_bad_free(block, "free");
}

}  // namespace detail

void set_mismatch_policy(MismatchPolicy policy) noexcept {
    detail::g_mismatch_policy.store(policy == MismatchPolicy::abort ? 1 : 0,
                                    std::memory_order_relaxed);
}

std::size_t mismatched_free_count() noexcept {
    return detail::g_mismatched_frees.load(std::memory_order_relaxed);
}

}  // namespace nebula::debug
