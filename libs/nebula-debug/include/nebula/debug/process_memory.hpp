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
#include <cstdint>

namespace nebula::debug {

// The C allocator under the program (and under the tracker), as resident_breakdown() recognised
// it: the library that defines the malloc the process calls, asked through its own statistics
// interface found at run time (nothing is linked against it).
enum class HeapAllocator : std::uint8_t {
    unknown,   // not one of those below (a sanitizer's runtime, a static allocator): its memory
               // is other_anonymous_bytes, apart from [heap] and mappings it names itself
    glibc,     // the GNU C library's ptmalloc
    jemalloc,  // libjemalloc (Debian's libjemalloc2, or linked by the engine)
    mimalloc,  // libmimalloc (Debian's libmimalloc2.0)
    tcmalloc,  // gperftools' tcmalloc (Debian's libtcmalloc-minimal4 or libgoogle-perftools4)
};

// The allocator's name: "glibc", "jemalloc", "mimalloc", "tcmalloc" or "unknown".
const char* heap_allocator_name(HeapAllocator allocator) noexcept;

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
    // jemalloc, mimalloc, tcmalloc: [heap] and what the allocator's statistics say it holds
    // resident beyond it, moved out of the anonymous memory (an estimate, never more than the
    // anonymous memory there: heap_capped_bytes says by how much it was cut).
    std::size_t heap_bytes = 0;
    // Executable file mappings: the program and its shared libraries' code.
    std::size_t code_bytes = 0;
    // Every other file-backed mapping: libraries' data and read-only data, mapped files, shared
    // memory objects (memfd, POSIX and System V shared memory).
    std::size_t file_bytes = 0;
    // Thread stacks: the main thread's [stack], and each mapping known to hold a thread's stack
    // (where the thread was when it first allocated, or where it sleeps in the kernel now). An
    // arena fenced by PROT_NONE pages, shaped like a stack, is other_anonymous_bytes.
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

    // The rest is not a category: which allocator holds heap_bytes, and how heap_bytes was found.
    HeapAllocator heap_allocator = HeapAllocator::unknown;
    // How it was recognised, for people: "jemalloc, from its statistics", "mimalloc, from its
    // segment map", "tcmalloc, from its page map and statistics", "glibc, from its mappings'
    // shape and mallinfo2", "glibc, from its mapping names", "unknown allocator: its mappings are
    // other anonymous", "not split on this platform". A string literal.
    const char* heap_recognition = "not split on this platform";
    // What the allocator's statistics claimed beyond the unfenced anonymous memory left to hold
    // it: the amount heap_bytes was capped by (jemalloc's statistics count pages never written,
    // so there it is rarely 0). Said once on standard error, the first time.
    std::size_t heap_capped_bytes = 0;
};

// The OS's view, read on demand (not per allocation). All zeros where the platform cannot tell.
ResidentBreakdown resident_breakdown() noexcept;

}  // namespace nebula::debug
