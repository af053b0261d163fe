// A small program with known allocation sites, for measuring what `nebula-memreport diff-sites`
// detects (scripts/validate-diff-sites.sh) and for its CTest test: background sites of small,
// medium and large blocks that every run holds alike, churn that is freed again, and, with
// --leak BYTES, one more site that holds BYTES in blocks of --leak-block BYTES (default 4 KiB),
// under the tag --leak-tag NAME (default Cache, a tag of its own; World puts it beside a site that
// does not change).
// Run it with NEBULA_HEAP_PROFILE=PATH (the profile at exit) and NEBULA_SAMPLING_SEED=N (the
// draws); the allocations are the same in every run, only the samples differ.
#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using Blocks = std::vector<std::unique_ptr<char[]>>;

// Never destroyed: the profile is written at exit, after static destructors would have run.
Blocks& held() {
    static auto* blocks = new Blocks;
    return *blocks;
}

// Touching each block keeps the compiler from eliding an allocation nobody reads.
void hold(std::size_t bytes, std::size_t block) {
    for (std::size_t done = 0; done < bytes; done += block) {
        held().emplace_back(new char[block]);
        std::memset(held().back().get(), 1, 1);
    }
}

// Distinct functions, not inlined, so that each is a site of its own.
[[gnu::noinline]] void load_world_cells() {
    const nebula::debug::MemoryScope scope("World");
    hold(8u << 20, 4096);
}

[[gnu::noinline]] void load_assets() {
    const nebula::debug::MemoryScope scope("Assets");
    hold(16u << 20, 256u << 10);
}

[[gnu::noinline]] void intern_names() {
    const nebula::debug::MemoryScope scope("Names");
    hold(1u << 20, 64);
}

[[gnu::noinline]] void churn_frames() {
    const nebula::debug::MemoryScope scope("Frames");
    for (int frame = 0; frame < 256; ++frame) {
        Blocks scratch;
        for (std::size_t size = 64; size <= 64u << 10; size *= 4) {
            scratch.emplace_back(new char[size]);
            std::memset(scratch.back().get(), 1, 1);
        }
    }
}

[[gnu::noinline]] void leak_cache_entries(std::size_t bytes, std::size_t block,
                                          const std::string& tag) {
    const nebula::debug::MemoryScope scope(tag);
    hold(bytes, block);
}

bool parse_bytes(const char* text, std::size_t& value) {
    char* end = nullptr;
    const unsigned long long parsed = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0' || parsed == 0) {
        return false;
    }
    value = static_cast<std::size_t>(parsed);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t leak = 0;
    std::size_t leak_block = 4096;
    std::string leak_tag = "Cache";
    for (int i = 1; i < argc; ++i) {
        const std::string option = argv[i];
        if ((option == "--leak" || option == "--leak-block") && i + 1 < argc &&
            parse_bytes(argv[i + 1], option == "--leak" ? leak : leak_block)) {
            ++i;
            continue;
        }
        if (option == "--leak-tag" && i + 1 < argc && argv[i + 1][0] != '\0') {
            leak_tag = argv[++i];
            continue;
        }
        std::fprintf(stderr, "usage: %s [--leak BYTES] [--leak-block BYTES] [--leak-tag NAME]\n",
                     argv[0]);
        return 2;
    }
    load_world_cells();
    load_assets();
    intern_names();
    churn_frames();
    if (leak > 0) {
        leak_cache_entries(leak, leak_block, leak_tag);
    }
    return 0;
}
