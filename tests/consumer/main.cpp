// Uses the public API exactly as docs/design.md's contract spells it; exits non-zero on a wrong
// number.
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>
#include <thread>
#include <vector>

namespace nd = nebula::debug;

namespace {
int g_failures = 0;
// An optimised build may elide a new/delete pair whose block nothing reads: storing each block
// here keeps the allocations the checks count.
void* volatile g_sink = nullptr;
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
        g_sink = block.get();
        const nd::AllocatorStats during = nd::allocator_stats("consumer.Chunks");
        if (nd::tracking_allocator_enabled()) {
            check(during.allocated_bytes - before.allocated_bytes == 1024, "tag bytes");
            check(during.live_allocations() == 1, "live allocations");
        } else {
            check(during.allocated_bytes == 0, "compiled out reads zero");
        }
    }
    if (nd::tracking_allocator_enabled()) {
        // Threads under a tag; their blocks freed by the main thread after they exited.
        const nd::AllocatorStats threads_before = nd::allocator_stats("consumer.Threads");
        std::vector<std::vector<std::unique_ptr<char[]>>> held(4);
        std::vector<std::thread> threads;
        for (auto& blocks : held) {
            threads.emplace_back([&blocks] {
                nd::MemoryScope scope("consumer.Threads");
                for (int i = 0; i < 100; ++i) {
                    blocks.push_back(std::make_unique<char[]>(64));
                    g_sink = blocks.back().get();
                }
            });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }
        const nd::AllocatorStats threads_during = nd::allocator_stats("consumer.Threads");
        held.clear();
        const nd::AllocatorStats threads_after = nd::allocator_stats("consumer.Threads");
        check(threads_after.allocated_bytes == threads_before.allocated_bytes,
              "blocks freed on another thread after their threads exited");
        check(threads_during.allocated_bytes - threads_before.allocated_bytes >= 400 * 64,
              "threads' blocks counted");
        check(threads_after.live_allocations() == threads_before.live_allocations(),
              "threads' blocks all freed");

        // An over-aligned block (a page-aligned staging buffer).
        {
            nd::MemoryScope scope("consumer.Aligned");
            void* page = ::operator new (300, std::align_val_t{4096});
            check(reinterpret_cast<std::uintptr_t>(page) % 4096 == 0, "4096-aligned");
            check(nd::allocator_stats("consumer.Aligned").allocated_bytes == 300, "aligned bytes");
            ::operator delete (page, std::align_val_t{4096});
            check(nd::allocator_stats("consumer.Aligned").allocated_bytes == 0, "aligned freed");
        }

        // A thread_local destructor that allocates as its thread exits.
        struct AllocatesAtExit {
            ~AllocatesAtExit() {
                nd::MemoryScope scope("consumer.ThreadExit");
                auto block = std::make_unique<char[]>(777);
                g_sink = block.get();
                check(block != nullptr, "allocation in a thread_local destructor");
            }
        };
        std::thread([] {
            thread_local AllocatesAtExit at_exit;
            (void)&at_exit;
        }).join();
        const nd::AllocatorStats at_exit = nd::allocator_stats("consumer.ThreadExit");
        check(at_exit.allocation_count == 1 && at_exit.deallocation_count == 1 &&
                  at_exit.allocated_bytes == 0,
              "the thread_local destructor's block counted and freed");
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
