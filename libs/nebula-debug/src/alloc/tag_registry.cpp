#include "tag_registry.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>

#include "platform/spin_lock.hpp"

namespace nebula::debug {
namespace {

struct TagName {
    std::array<char, kMaxTagNameLength + 1> text{};
    std::size_t length = 0;

    std::string_view view() const noexcept { return {text.data(), length}; }
};

constexpr TagName make_untagged_name() {
    TagName name;
    std::copy(kUntaggedName.begin(), kUntaggedName.end(), name.text.begin());
    name.length = kUntaggedName.size();
    return name;
}

constinit std::array<TagName, kMaxMemoryTags> g_tag_names{make_untagged_name()};
constinit std::atomic<std::uint32_t> g_tag_count{1};
// Which tags are the tracker's own (kTrackerTagName, kTrackerSymbolsTagName), one bit per index:
// publishing a tag's bytes asks, so the answer is a load, not a comparison of names.
constinit std::array<std::atomic<std::uint64_t>, (kMaxMemoryTags + 63) / 64> g_tracker_tags{};
constinit detail::SpinLock g_registration_lock;

std::string_view truncated(std::string_view name) noexcept {
    return name.substr(0, std::min(name.size(), kMaxTagNameLength));
}

bool find_registered(std::string_view name, std::uint32_t count, MemoryTag& tag) noexcept {
    for (std::uint32_t index = 0; index < count; ++index) {
        if (g_tag_names[index].view() == name) {
            tag.index = static_cast<std::uint16_t>(index);
            return true;
        }
    }
    return false;
}

}  // namespace

namespace detail {
SpinLock& tag_registration_lock() noexcept {
    return g_registration_lock;
}

std::uint32_t registered_tag_count() noexcept {
    return g_tag_count.load(std::memory_order_acquire);
}
}  // namespace detail

bool find_memory_tag(std::string_view name, MemoryTag& tag) noexcept {
    return find_registered(truncated(name), detail::registered_tag_count(), tag);
}

MemoryTag memory_tag(std::string_view name) noexcept {
    name = truncated(name);
    MemoryTag tag;
    if (find_registered(name, detail::registered_tag_count(), tag)) {
        return tag;
    }
    std::lock_guard lock(g_registration_lock);
    const std::uint32_t count = g_tag_count.load(std::memory_order_relaxed);
    if (find_registered(name, count, tag) || count == kMaxMemoryTags) {
        return tag;
    }
    TagName& slot = g_tag_names[count];
    std::copy(name.begin(), name.end(), slot.text.begin());
    slot.length = name.size();
    if (name == kTrackerTagName || name == kTrackerSymbolsTagName) {
        g_tracker_tags[count / 64].fetch_or(std::uint64_t{1} << (count % 64),
                                            std::memory_order_relaxed);
    }
    g_tag_count.store(count + 1, std::memory_order_release);
    return MemoryTag{static_cast<std::uint16_t>(count)};
}

bool is_tracker_tag(MemoryTag tag) noexcept {
    return tag.index < kMaxMemoryTags &&
           ((g_tracker_tags[tag.index / 64].load(std::memory_order_relaxed) >> (tag.index % 64)) &
            1) != 0;
}

std::size_t memory_tag_count() noexcept {
    return detail::registered_tag_count();
}

std::string_view memory_tag_name(MemoryTag tag) noexcept {
    if (tag.index >= detail::registered_tag_count()) {
        return {};
    }
    return g_tag_names[tag.index].view();
}

}  // namespace nebula::debug
