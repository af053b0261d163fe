// resident_breakdown() on Windows: the working set, not yet split.
//
// resident_bytes is GetProcessMemoryInfo's WorkingSetSize (Windows' resident set), all of it in
// other_bytes, so the fields still add up. What a split would take: a VirtualQuery walk over the
// address space gives each region's type (MEM_IMAGE: code and image data, by the section's
// protection; MEM_MAPPED: mapped files and shared memory; MEM_PRIVATE: heaps, stacks and other
// private memory), but its sizes are committed bytes, not resident ones; QueryWorkingSetEx on
// the region's pages tells which are resident. Heaps would be told apart by HeapWalk over
// GetProcessHeaps() (or the CRT heap's regions), stacks by each thread's TEB (StackBase,
// DeallocationStack), GPU memory by the driver's mappings (D3DKMT, not in the working set as
// such). None of it allocates, but the walk costs milliseconds on a large process.
#include <nebula/debug/process_memory.hpp>

#include <windows.h>
// After windows.h, which psapi.h needs.
#include <psapi.h>

namespace nebula::debug {

ResidentBreakdown resident_breakdown() noexcept {
    PROCESS_MEMORY_COUNTERS counters{};
    counters.cb = sizeof(counters);
    if (!GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof(counters))) {
        return {};
    }
    ResidentBreakdown breakdown;
    breakdown.resident_bytes = counters.WorkingSetSize;
    breakdown.other_bytes = counters.WorkingSetSize;
    return breakdown;
}

}  // namespace nebula::debug
