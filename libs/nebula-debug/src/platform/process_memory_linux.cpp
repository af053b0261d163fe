// resident_breakdown() on Linux: one pass over /proc/self/smaps.
//
// Every mapping's Rss goes to exactly one category, and resident_bytes is their sum, so the
// fields add up exactly. The file is read with open/read into a fixed buffer on the stack and
// parsed line by line as it arrives: no operator new, no malloc, no stdio.
//
// What each category takes (docs/architecture.md has the same with the reasons):
//   heap   [heap] (the main arena's brk memory), glibc's arena heaps (recognised by their
//          shape, below), mappings glibc named itself ("[anon: glibc: malloc...]", glibc 2.40
//          with glibc.mem.decorate_maps), and glibc's one-by-one mmapped blocks, estimated from
//          mallinfo2().hblkhd (below).
//   code   file-backed executable mappings.
//   file   other file-backed mappings, shared memory objects included.
//   stack  [stack], and the anonymous read-write mapping right above a PROT_NONE guard: the
//          shape of every thread stack glibc's pthread_create makes (or "[anon: glibc: pthread
//          stack...]" where glibc names them).
//   gpu    /dev/dri/*, /dev/nvidia*, and the DRM, GEM and dma-buf anon inodes.
//   other_anonymous  anonymous memory no rule above claims.
//   other  the rest: [vdso], [vvar], [vsyscall], other devices, other anon inodes.
#include <nebula/debug/process_memory.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace nebula::debug {
namespace {

using std::string_view_literals::operator""sv;

// glibc's HEAP_MAX_SIZE: every arena heap (the memory of a non-main arena) is one mapping of
// this many bytes at an address aligned to it, read-write up to where the heap has grown and
// PROT_NONE (MAP_NORESERVE) above.
constexpr std::uintptr_t kGlibcHeapMaxSize = 2 * 4 * 1024 * 1024 * sizeof(long);

// What a mapping's pathname column says it is.
enum class Origin : std::uint8_t {
    kAnonymous,  // no path, [anon:NAME], [anon_shmem:NAME], /dev/zero (shared anonymous)
    kHeap,       // [heap], or glibc's own name for malloc's mappings
    kStack,      // [stack], or glibc's own name for a thread stack
    kFile,       // a file, a shared memory object
    kGpu,        // a GPU device or a DRM / dma-buf object
    kOther,      // [vdso], [vvar], other devices and anon inodes
};

struct Mapping {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    bool readable = false;
    bool writable = false;
    bool executable = false;
    bool shared = false;
    Origin origin = Origin::kOther;
    bool no_reserve = false;      // VmFlags "nr": MAP_NORESERVE, which glibc's arena heaps carry
    bool named_by_glibc = false;  // "[anon: glibc: malloc...]"
    std::size_t rss = 0;
    bool valid = false;

    bool private_anonymous() const { return origin == Origin::kAnonymous && !shared; }
    bool guard() const { return private_anonymous() && !readable && !writable && !executable; }
    bool read_write_anonymous() const { return private_anonymous() && readable && writable; }
};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

Origin origin_of(std::string_view path, bool has_inode) {
    if (path.empty() || starts_with(path, "[anon:"sv) || starts_with(path, "[anon_shmem:"sv) ||
        starts_with(path, "/dev/zero"sv)) {
        // glibc 2.40 names its mappings when glibc.mem.decorate_maps is set: exact, then.
        if (starts_with(path, "[anon: glibc: malloc"sv)) {
            return Origin::kHeap;
        }
        if (starts_with(path, "[anon: glibc: pthread stack"sv) ||
            starts_with(path, "[anon: glibc: pthread user stack"sv)) {
            return Origin::kStack;
        }
        return Origin::kAnonymous;
    }
    if (path == "[heap]"sv) {
        return Origin::kHeap;
    }
    if (starts_with(path, "[stack"sv)) {  // [stack], and [stack:TID] before Linux 4.5
        return Origin::kStack;
    }
    if (starts_with(path, "/dev/dri/"sv) || starts_with(path, "/dev/nvidia"sv) ||
        starts_with(path, "/dev/kgsl"sv) || starts_with(path, "/dev/mali"sv)) {
        return Origin::kGpu;
    }
    if (starts_with(path, "anon_inode:"sv)) {
        const std::string_view kind = path.substr("anon_inode:"sv.size());
        return contains(kind, "drm"sv) || contains(kind, "gem"sv) || contains(kind, "dmabuf"sv) ||
                       contains(kind, "i915"sv) || contains(kind, "amdgpu"sv)
                   ? Origin::kGpu
                   : Origin::kOther;
    }
    if (starts_with(path, "/dev/"sv) && !starts_with(path, "/dev/shm/"sv)) {
        return Origin::kOther;  // sound cards, cameras, ...
    }
    if (path.front() == '[') {
        return Origin::kOther;  // [vdso], [vvar], [vsyscall], [uprobes]
    }
    // A file, a memfd ("/memfd:NAME (deleted)"), SysV shared memory ("/SYSV00000000 (deleted)").
    return has_inode || path.front() == '/' ? Origin::kFile : Origin::kOther;
}

std::uintptr_t parse_hex(std::string_view& text) {
    std::uintptr_t value = 0;
    std::size_t i = 0;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        unsigned digit = 0;
        if (c >= '0' && c <= '9') {
            digit = static_cast<unsigned>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = static_cast<unsigned>(c - 'a' + 10);
        } else {
            break;
        }
        value = value * 16 + digit;
    }
    text.remove_prefix(i);
    return value;
}

std::size_t parse_decimal(std::string_view text) {
    std::size_t i = text.find_first_not_of(' ');
    std::size_t value = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        value = value * 10 + static_cast<std::size_t>(text[i] - '0');
    }
    return value;
}

// Skips one space-separated field and the spaces after it.
void skip_field(std::string_view& text) {
    const std::size_t space = text.find(' ');
    text.remove_prefix(space == std::string_view::npos ? text.size() : space);
    const std::size_t next = text.find_first_not_of(' ');
    text.remove_prefix(next == std::string_view::npos ? text.size() : next);
}

// "start-end perms offset dev inode   path": the line that opens a mapping's entry.
Mapping parse_header(std::string_view line) {
    Mapping mapping;
    mapping.start = parse_hex(line);
    if (line.empty() || line.front() != '-') {
        return mapping;
    }
    line.remove_prefix(1);
    mapping.end = parse_hex(line);
    if (line.size() < 5 || line.front() != ' ') {
        return mapping;
    }
    mapping.readable = line[1] == 'r';
    mapping.writable = line[2] == 'w';
    mapping.executable = line[3] == 'x';
    mapping.shared = line[4] == 's';
    line.remove_prefix(1);
    skip_field(line);  // perms
    skip_field(line);  // offset
    skip_field(line);  // device
    const bool has_inode = !line.empty() && line.front() != '0';
    skip_field(line);  // inode; the path (possibly empty, possibly with spaces) is what is left
    mapping.origin = origin_of(line, has_inode);
    mapping.named_by_glibc = starts_with(line, "[anon: glibc: malloc"sv);
    mapping.valid = true;
    return mapping;
}

// Totals as the walk goes; classify() is called once per mapping, when its successor's header
// is known (an arena heap is recognised by the PROT_NONE mapping right after it).
struct Walk {
    ResidentBreakdown totals;
    Mapping previous;                     // classified already
    bool previous_is_arena_heap = false;  // the arena heap whose PROT_NONE tail may follow
    bool previous_is_heap_tail = false;
    // Private read-write anonymous memory left in other_anonymous: where glibc's mmapped
    // blocks must be, if they are resident.
    std::size_t unclaimed_private_anonymous = 0;
    bool glibc_named_its_mappings = false;

    bool is_arena_heap(const Mapping& mapping, const Mapping& next) const {
        if (!mapping.read_write_anonymous() || mapping.start % kGlibcHeapMaxSize != 0 ||
            mapping.end - mapping.start > kGlibcHeapMaxSize) {
            return false;
        }
        if (next.valid && next.guard() && next.start == mapping.end &&
            (next.end == mapping.start + kGlibcHeapMaxSize ||
             (mapping.no_reserve && next.end > mapping.start + kGlibcHeapMaxSize))) {
            // The grown part, then the reserved rest up to 64 MiB (which the kernel may have
            // merged with a PROT_NONE MAP_NORESERVE neighbour above).
            return true;
        }
        return mapping.end - mapping.start == kGlibcHeapMaxSize && mapping.no_reserve;  // full
    }

    // glibc's thread stacks: one mmap, PROT_NONE, then everything but the guard at the bottom
    // made read-write. The kernel keeps the two apart (different protections).
    bool is_thread_stack(const Mapping& mapping) const {
        return mapping.read_write_anonymous() && previous.valid && previous.guard() &&
               previous.end == mapping.start && !previous_is_heap_tail;
    }

    void classify(const Mapping& mapping, const Mapping& next) {
        std::size_t* category = &totals.other_bytes;
        bool heap_tail = false;
        switch (mapping.origin) {
            case Origin::kHeap:
                category = &totals.heap_bytes;
                glibc_named_its_mappings |= mapping.named_by_glibc;
                break;
            case Origin::kStack:
                category = &totals.stack_bytes;
                break;
            case Origin::kFile:
                category = mapping.executable ? &totals.code_bytes : &totals.file_bytes;
                break;
            case Origin::kGpu:
                category = &totals.gpu_bytes;
                break;
            case Origin::kOther:
                category = &totals.other_bytes;
                break;
            case Origin::kAnonymous:
                if (is_arena_heap(mapping, next)) {
                    category = &totals.heap_bytes;
                } else if (previous_is_arena_heap && mapping.guard() &&
                           previous.end == mapping.start) {
                    category = &totals.heap_bytes;  // the arena heap's reserved tail (no Rss)
                    heap_tail = true;
                } else if (is_thread_stack(mapping)) {
                    category = &totals.stack_bytes;
                } else {
                    category = &totals.other_anonymous_bytes;
                    if (mapping.read_write_anonymous()) {
                        unclaimed_private_anonymous += mapping.rss;
                    }
                }
                break;
        }
        *category += mapping.rss;
        totals.resident_bytes += mapping.rss;
        previous_is_arena_heap =
            category == &totals.heap_bytes && !heap_tail && mapping.origin == Origin::kAnonymous;
        previous_is_heap_tail = heap_tail;
        previous = mapping;
    }
};

// Reads /proc/self/smaps a buffer at a time and hands every complete line to `line`. A line
// longer than the buffer (a path near PATH_MAX) is handed over cut at the buffer's size, and
// the rest of it skipped: every field the walk needs is at the start of its line.
template <class LineHandler>
bool for_each_line(int fd, LineHandler&& line) {
    char buffer[8192];
    std::size_t filled = 0;
    bool skipping_rest_of_line = false;
    for (;;) {
        const ssize_t got = read(fd, buffer + filled, sizeof buffer - filled);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return false;
        }
        if (got == 0) {
            if (filled > 0 && !skipping_rest_of_line) {
                line(std::string_view(buffer, filled));
            }
            return true;
        }
        filled += static_cast<std::size_t>(got);
        std::size_t begin = 0;
        for (;;) {
            const void* newline = std::memchr(buffer + begin, '\n', filled - begin);
            if (newline == nullptr) {
                break;
            }
            const std::size_t end =
                static_cast<std::size_t>(static_cast<const char*>(newline) - buffer);
            if (!skipping_rest_of_line) {
                line(std::string_view(buffer + begin, end - begin));
            }
            skipping_rest_of_line = false;
            begin = end + 1;
        }
        if (begin == 0 && filled == sizeof buffer) {
            // One line fills the whole buffer: take its start, drop the rest.
            if (!skipping_rest_of_line) {
                line(std::string_view(buffer, filled));
            }
            skipping_rest_of_line = true;
            filled = 0;
            continue;
        }
        std::memmove(buffer, buffer + begin, filled - begin);
        filled -= begin;
    }
}

}  // namespace

ResidentBreakdown resident_breakdown() noexcept {
    const int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    Walk walk;
    Mapping current;
    const bool read_all = for_each_line(fd, [&](std::string_view line) {
        if (line.empty()) {
            return;
        }
        const char first = line.front();
        if ((first >= '0' && first <= '9') || (first >= 'a' && first <= 'f')) {
            const Mapping next = parse_header(line);
            if (current.valid) {
                walk.classify(current, next);
            }
            current = next;
        } else if (starts_with(line, "Rss:"sv)) {
            current.rss = parse_decimal(line.substr(4)) * 1024;  // always in kB
        } else if (starts_with(line, "VmFlags:"sv)) {
            current.no_reserve = contains(line, " nr"sv);
        }
    });
    close(fd);
    if (current.valid) {
        walk.classify(current, Mapping{});
    }
    if (!read_all) {
        return {};
    }

    ResidentBreakdown totals = walk.totals;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    // The blocks glibc mmapped one by one (requests over M_MMAP_THRESHOLD, 128 KiB to 32 MiB):
    // plain anonymous mappings, which the kernel may merge with any neighbour of the same kind,
    // so no mapping says it is one. glibc tells their total size (hblkhd: address space, not
    // resident bytes); it moves from other_anonymous to heap, capped by the private read-write
    // anonymous memory left there. Exact when those blocks are wholly touched (a program writes
    // what it mallocs), an over-estimate by their untouched pages otherwise. mallinfo2 takes
    // each arena's lock and allocates nothing.
    if (!walk.glibc_named_its_mappings) {
        const struct mallinfo2 info = mallinfo2();
        const std::size_t mmapped = info.hblkhd < walk.unclaimed_private_anonymous
                                        ? info.hblkhd
                                        : walk.unclaimed_private_anonymous;
        totals.heap_bytes += mmapped;
        totals.other_anonymous_bytes -= mmapped;
    }
#endif
    return totals;
}

}  // namespace nebula::debug
