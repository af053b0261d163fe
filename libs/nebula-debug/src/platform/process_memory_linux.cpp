// resident_breakdown() on Linux: one pass over /proc/self/smaps.
//
// Every mapping's Rss goes to exactly one category, and resident_bytes is their sum, so the
// fields add up exactly. The file is read with open/read into a fixed buffer on the stack and
// parsed line by line as it arrives: no operator new, no malloc, no stdio.
//
// What each category takes (docs/architecture.md has the same with the reasons):
//   heap   [heap] (brk memory), mappings the allocator named itself ("[anon: glibc: malloc...]",
//          glibc 2.40 with glibc.mem.decorate_maps; "[anon:jemalloc...]" and the like, set with
//          PR_SET_VMA_ANON_NAME), and by allocator (recognised once, heap_allocators.hpp):
//          glibc's arena heaps (recognised by their shape, below) and its one-by-one mmapped
//          blocks (mallinfo2); for jemalloc, mimalloc and tcmalloc what their statistics say they
//          hold beyond the above. The estimated parts move out of the private read-write
//          anonymous memory left unclaimed, never more than there is.
//   code   file-backed executable mappings.
//   file   other file-backed mappings, shared memory objects included.
//   stack  [stack], a private anonymous mapping holding a known thread stack address (recorded
//          as each thread registers, thread_stacks.hpp; a blocked thread's stack pointer from
//          /proc/self/task/TID/syscall; the caller's own frame), and "[anon: glibc: pthread
//          stack...]" where glibc names them.
//   gpu    /dev/dri/*, /dev/nvidia*, and the DRM, GEM and dma-buf anon inodes.
//   other_anonymous  anonymous memory no rule above claims.
//   other  the rest: [vdso], [vvar], [vsyscall], other devices, other anon inodes.
#include <nebula/debug/process_memory.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "heap_allocators.hpp"
#include "platform.hpp"
#include "thread_stacks.hpp"

namespace nebula::debug {
namespace {

namespace heap = platform::heap;
using platform::find_next_symbol;
using platform::find_process_symbol;
using platform::kMaxRecordedThreadStacks;
using platform::object_base;
using platform::recorded_thread_stacks;
using platform::write_error;
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

// Names allocators give their mappings with PR_SET_VMA_ANON_NAME: "[anon:NAME]".
bool named_by_an_allocator(std::string_view path) {
    for (const std::string_view name : {"[anon:jemalloc"sv, "[anon:mimalloc"sv, "[anon:tcmalloc"sv,
                                        "[anon:scudo:"sv, "[anon:libc_malloc"sv}) {
        if (starts_with(path, name)) {
            return true;
        }
    }
    return false;
}

Origin origin_of(std::string_view path, bool has_inode) {
    if (path.empty() || starts_with(path, "[anon:"sv) || starts_with(path, "[anon_shmem:"sv) ||
        starts_with(path, "/dev/zero"sv)) {
        // glibc 2.40 names its mappings when glibc.mem.decorate_maps is set: exact, then.
        if (starts_with(path, "[anon: glibc: malloc"sv) || named_by_an_allocator(path)) {
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
    // glibc's arena heaps are recognised by their shape only where glibc's malloc is the one in
    // use: another allocator's mapping may have the same shape by chance.
    bool glibc_shapes = false;
    const heap::AllocatorReader* allocator = nullptr;
    // Addresses known to lie in a thread's stack, sorted.
    const std::uintptr_t* stack_addresses = nullptr;
    std::size_t stack_address_count = 0;

    ResidentBreakdown totals;
    Mapping previous;                     // classified already
    bool previous_is_arena_heap = false;  // the arena heap whose PROT_NONE tail may follow
    // Private read-write anonymous memory left in other_anonymous, but for fenced mappings:
    // where the allocator's memory that no mapping can be named for must be, if it is resident.
    std::size_t unclaimed_private_anonymous = 0;
    bool glibc_named_its_mappings = false;

    bool is_arena_heap(const Mapping& mapping, const Mapping& next) const {
        if (!glibc_shapes || !mapping.read_write_anonymous() ||
            mapping.start % kGlibcHeapMaxSize != 0 ||
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

    // A stack is a mapping a thread's stack address lies in: its shape (read-write above a
    // PROT_NONE guard, as glibc makes them) is also an engine's fenced arena's.
    bool is_thread_stack(const Mapping& mapping) const {
        const std::uintptr_t* end = stack_addresses + stack_address_count;
        const std::uintptr_t* first = std::lower_bound(stack_addresses, end, mapping.start);
        return mapping.private_anonymous() && first != end && *first < mapping.end;
    }

    bool owned_by_allocator(const Mapping& mapping) const {
        return allocator != nullptr && allocator->owns != nullptr && mapping.rss > 0 &&
               mapping.read_write_anonymous() && allocator->owns(mapping.start, mapping.end);
    }

    // Between two PROT_NONE guards: how an engine reserves an arena with guard pages, never how
    // a C allocator maps its memory (a thread stack has its guard below only).
    bool fenced(const Mapping& mapping, const Mapping& next) const {
        return previous.valid && previous.guard() && previous.end == mapping.start && next.valid &&
               next.guard() && next.start == mapping.end;
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
                } else if (owned_by_allocator(mapping)) {
                    // First: a thread stack the program placed in a heap block is heap's.
                    category = &totals.heap_bytes;
                } else if (is_thread_stack(mapping)) {
                    category = &totals.stack_bytes;
                } else {
                    category = &totals.other_anonymous_bytes;
                    if (mapping.read_write_anonymous() && !fenced(mapping, next)) {
                        unclaimed_private_anonymous += mapping.rss;
                    }
                }
                break;
        }
        *category += mapping.rss;
        totals.resident_bytes += mapping.rss;
        previous_is_arena_heap =
            category == &totals.heap_bytes && !heap_tail && mapping.origin == Origin::kAnonymous;
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

// The allocator under the program, recognised once: the object that defines the malloc the
// process calls, or where that is the tracker's own replacement, the next one after it.
const heap::AllocatorReader* recognise_allocator() noexcept {
    void* malloc_function = find_process_symbol("malloc");
    const void* tracker = object_base(reinterpret_cast<const void*>(&resident_breakdown));
    if (malloc_function != nullptr && object_base(malloc_function) == tracker) {
        malloc_function = find_next_symbol("malloc");
    }
    const void* malloc_object = object_base(malloc_function);
    if (malloc_object == nullptr) {
        return nullptr;
    }
    for (const heap::AllocatorReader* reader :
         {&heap::kJemalloc, &heap::kMimalloc, &heap::kTcmalloc, &heap::kGlibc}) {
        if (reader->recognise(malloc_object)) {
            return reader;
        }
    }
    return nullptr;
}

const heap::AllocatorReader* allocator_reader() noexcept {
    // A function-local static: initialised once, under the C++ runtime's guard (no allocation).
    static const heap::AllocatorReader* const reader = recognise_allocator();
    return reader;
}

// Appends the stack pointer of every thread blocked in the kernel (or stopped) now, from
// /proc/self/task/TID/syscall ("NR ARGS... SP PC", "-1 SP PC"; "running" for a thread on a CPU):
// threads that never allocated are not in the registry's record. A process may read its own
// threads' files whatever the ptrace policy.
std::size_t blocked_thread_stack_pointers(std::uintptr_t* out, std::size_t capacity) noexcept {
    const int directory = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) {
        return 0;
    }
    std::size_t count = 0;
    alignas(dirent64) char entries[2048];
    ssize_t got;
    while (count < capacity && (got = getdents64(directory, entries, sizeof entries)) > 0) {
        for (ssize_t offset = 0; offset < got && count < capacity;) {
            const auto* entry = reinterpret_cast<const dirent64*>(entries + offset);
            offset += entry->d_reclen;
            const std::string_view tid(entry->d_name);
            if (tid.empty() || tid.front() < '0' || tid.front() > '9' || tid.size() > 20) {
                continue;
            }
            char path[64] = "/proc/self/task/";
            char* end = path + std::strlen(path);
            end = std::copy(tid.begin(), tid.end(), end);
            std::memcpy(end, "/syscall", sizeof "/syscall");
            const int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                continue;  // the thread exited meanwhile
            }
            char text[256];
            const ssize_t length = read(fd, text, sizeof text - 1);
            close(fd);
            if (length <= 0) {
                continue;
            }
            std::string_view line(text, static_cast<std::size_t>(length));
            while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) {
                line.remove_suffix(1);
            }
            // The last field is the program counter; the one before it the stack pointer.
            const std::size_t last = line.rfind(' ');
            if (last == std::string_view::npos) {
                continue;  // "running"
            }
            const std::size_t before = line.rfind(' ', last - 1);
            std::string_view sp =
                line.substr(before == std::string_view::npos ? 0 : before + 1,
                            last - (before == std::string_view::npos ? 0 : before + 1));
            if (!starts_with(sp, "0x"sv)) {
                continue;
            }
            sp.remove_prefix(2);
            const std::uintptr_t address = parse_hex(sp);
            if (address != 0) {
                out[count++] = address;
            }
        }
    }
    close(directory);
    return count;
}

// Writes "nebula-debug: ..." once, with the sizes in KiB, without allocating.
void log_cap_once(const char* allocator, std::size_t claimed, std::size_t capped) noexcept {
    static constinit std::atomic<bool> logged{false};
    if (logged.exchange(true, std::memory_order_relaxed)) {
        return;
    }
    char message[320];
    std::size_t length = 0;
    const auto append = [&](std::string_view text) {
        const std::size_t n = std::min(text.size(), sizeof message - length);
        std::memcpy(message + length, text.data(), n);
        length += n;
    };
    const auto append_kib = [&](std::size_t bytes) {
        char digits[24];
        char* first = digits + sizeof digits;
        std::size_t kib = bytes / 1024;
        do {
            *--first = static_cast<char>('0' + kib % 10);
            kib /= 10;
        } while (kib != 0);
        append(std::string_view(first, static_cast<std::size_t>(digits + sizeof digits - first)));
        append(" KiB"sv);
    };
    append("nebula-debug: "sv);
    append(allocator);
    append(" reports "sv);
    append_kib(claimed);
    append(" resident beyond the heap found mapping by mapping, more than the "sv);
    append_kib(claimed - capped);
    append(
        " of unfenced anonymous memory left to hold it: heap_bytes is capped there "
        "(said once)\n"sv);
    write_error(message, length);
}

}  // namespace

ResidentBreakdown resident_breakdown() noexcept {
    const heap::AllocatorReader* reader = allocator_reader();

    constexpr std::size_t kMaxStackAddresses = kMaxRecordedThreadStacks + 512 + 1;
    std::uintptr_t stack_addresses[kMaxStackAddresses];
    std::size_t stack_address_count =
        recorded_thread_stacks(stack_addresses, kMaxRecordedThreadStacks);
    stack_address_count += blocked_thread_stack_pointers(
        stack_addresses + stack_address_count, kMaxStackAddresses - 1 - stack_address_count);
    stack_addresses[stack_address_count++] =
        reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    std::sort(stack_addresses, stack_addresses + stack_address_count);

    const int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    Walk walk;
    walk.glibc_shapes = reader == &heap::kGlibc;
    walk.allocator = reader;
    walk.stack_addresses = stack_addresses;
    walk.stack_address_count = stack_address_count;
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
    if (reader == nullptr) {
        totals.heap_recognition = "unknown allocator: its mappings are other anonymous";
        return totals;
    }
    totals.heap_allocator = reader->allocator;
    if (reader == &heap::kGlibc && walk.glibc_named_its_mappings) {
        totals.heap_recognition = "glibc, from its mapping names";
        return totals;
    }
    totals.heap_recognition = reader->recognition;
    // What the allocator holds beyond the heap the walk found is in anonymous mappings no name
    // or shape tells apart: it moves from other_anonymous to heap, at most what is left there.
    std::size_t beyond = 0;
    if (reader->resident_beyond != nullptr && reader->resident_beyond(totals.heap_bytes, beyond)) {
        const std::size_t moved = std::min(beyond, walk.unclaimed_private_anonymous);
        totals.heap_bytes += moved;
        totals.other_anonymous_bytes -= moved;
        totals.heap_capped_bytes = beyond - moved;
        if (totals.heap_capped_bytes > 0) {
            log_cap_once(heap_allocator_name(reader->allocator), beyond, totals.heap_capped_bytes);
        }
    }
    return totals;
}

}  // namespace nebula::debug
