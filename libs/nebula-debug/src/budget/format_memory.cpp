// Byte counts for display, in the seed's format and its binary units.
#include <nebula/debug/memory_budget.hpp>

#include <fmt/format.h>

namespace nebula::debug {

std::string format_memory(std::size_t bytes) {
    constexpr std::size_t kKiB = 1024;
    constexpr std::size_t kMiB = 1024 * kKiB;
    constexpr std::size_t kGiB = 1024 * kMiB;
    const auto in = [bytes](std::size_t unit) {
        return static_cast<double>(bytes) / static_cast<double>(unit);
    };
    if (bytes >= kGiB) {
        return fmt::format("{:.2f} GB", in(kGiB));
    }
    if (bytes >= kMiB) {
        return fmt::format("{:.1f} MB", in(kMiB));
    }
    if (bytes >= kKiB) {
        return fmt::format("{:.1f} KB", in(kKiB));
    }
    return fmt::format("{} B", bytes);
}

}  // namespace nebula::debug
