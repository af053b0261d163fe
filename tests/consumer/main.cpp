// Uses the public API exactly as design.md's contract spells it; exits non-zero on a wrong number.
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstdio>
#include <memory>

namespace nd = nebula::debug;

namespace {
int g_failures = 0;
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "consumer: FAILED %s\n", what);
        ++g_failures;
    }
}
}  // namespace

int main() {
    nd::MemoryBudget budget;
    nd::configure_default_budgets(budget);
    budget.set_warning_threshold(0.85f);
    budget.set_total_budget(8ull << 30);
    budget.report("Chunks", 900ull << 20, 12);
    check(budget.is_over_budget("Chunks"), "Chunks at 900 MiB of 1 GiB is over 85%");
    check(budget.total_current() == 900ull << 20, "total_current");
    check(budget.total_budget() == 8ull << 30, "total_budget");
    check(budget.warning_threshold() == 0.85f, "warning_threshold");
    check(budget.subsystems().size() == 6, "six default subsystems");
    check(nd::format_memory(5'242'880) == "5.0 MB", "format_memory");

    const nd::AllocatorStats before = nd::allocator_stats("consumer.Chunks");
    {
        nd::MemoryScope scope("consumer.Chunks");
        auto block = std::make_unique<char[]>(1024);
        const nd::AllocatorStats during = nd::allocator_stats("consumer.Chunks");
        if (nd::tracking_allocator_enabled()) {
            check(during.allocated_bytes - before.allocated_bytes == 1024, "tag bytes");
            check(during.live_allocations() == 1, "live allocations");
        } else {
            check(during.allocated_bytes == 0, "compiled out reads zero");
        }
    }
    nd::reset_allocator_peak();
    const nd::AllocatorStats process = nd::allocator_stats();
    check(process.peak_allocated_bytes == process.allocated_bytes ||
              !nd::tracking_allocator_enabled(),
          "peak reset to current");
    std::printf("consumer: tracking %s, %zu live allocations, %d failures\n",
                nd::tracking_allocator_enabled() ? "on" : "off", process.live_allocations(),
                g_failures);
    return g_failures == 0 ? 0 : 1;
}
