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
constinit detail::SpinLock g_registration_lock;
[[maybe_unused]] const bool g_registration_lock_survives_fork =
    detail::hold_across_fork<g_registration_lock>();

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
    g_tag_count.store(count + 1, std::memory_order_release);
    return MemoryTag{static_cast<std::uint16_t>(count)};
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
