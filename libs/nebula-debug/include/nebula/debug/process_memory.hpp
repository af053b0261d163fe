// The whole process's resident memory, split by what holds it.
//
// allocator_stats() counts what went through the tracker; the OS charges the process for more:
// the C allocator's own pages, the program's code, mapped files, thread stacks, GPU mappings.
// resident_breakdown() reads the OS's view (on Linux /proc/self/smaps, on Windows the working
// set) and sorts every resident byte into one category, so that what nothing explains
// (other_anonymous_bytes + other_bytes) is visible as a share of the whole.
//
// A call walks every mapping of the process: tens to hundreds of microseconds (measured in
// docs/benchmarks.md). Read it a few times a second at most, never per allocation. It allocates
// nothing (no operator new, no malloc), so a panel may call it from its frame.
#pragma once

#include <cstddef>

namespace nebula::debug {

// Every field is resident bytes (pages in memory now, not address space reserved). The fields
// after resident_bytes add up to it exactly: every mapping's resident bytes land in exactly one.
// How each category is recognised, and which are exact and which estimated, is in
// docs/architecture.md ("The whole process: resident memory explained").
struct ResidentBreakdown {
    // Everything the process has in memory: the sum of the categories below. On Linux the sum
    // of Rss over /proc/self/smaps, which can differ from VmRSS (/proc/self/status, and
    // process_resident_bytes()) by the kernel's per-CPU counter batching, a few hundred KiB.
    std::size_t resident_bytes = 0;
    // Held by the C allocator: live blocks (the tracker's among them), their headers, free lists
    // and free chunks not yet returned. glibc: the [heap] (brk) mapping and the arenas' 64 MiB
    // heaps, exact; the blocks glibc mmapped one by one, estimated (see the architecture doc).
    std::size_t heap_bytes = 0;
    // Executable file mappings: the program and its shared libraries' code.
    std::size_t code_bytes = 0;
    // Every other file-backed mapping: libraries' data and read-only data, mapped files, shared
    // memory objects (memfd, POSIX and System V shared memory).
    std::size_t file_bytes = 0;
    // Thread stacks: the main thread's [stack] and the stacks of the threads the C library made.
    std::size_t stack_bytes = 0;
    // GPU device mappings: buffers the graphics driver mapped into the process (/dev/dri/*,
    // /dev/nvidia*, DRM and dma-buf objects). A driver's CPU-side copies in malloc are heap.
    std::size_t gpu_bytes = 0;
    // Anonymous memory the categories above do not claim: other allocators' mmaps (the tracker's
    // own pages among them), JIT code, mappings a library made directly.
    std::size_t other_anonymous_bytes = 0;
    // Whatever is left: the kernel's pages mapped into the process ([vdso], [vvar]), devices
    // other than the GPU, mappings of unknown kind. On Windows, everything (see resident_bytes).
    std::size_t other_bytes = 0;
};

// The OS's view, read on demand (not per allocation). All zeros where the platform cannot tell.
ResidentBreakdown resident_breakdown() noexcept;

}  // namespace nebula::debug
