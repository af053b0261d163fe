// The table of environment variables (options.hpp), as mimalloc keeps its options.c: each
// variable's kind, default and range in one row, parsed on first use by whichever thread asks
// first (an allocation during static initialisation, often), without allocating.
#include "options.hpp"

#include <nebula/debug/allocation_sites.hpp>

#include <atomic>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "platform/error_message.hpp"

namespace nebula::debug::detail::options {
namespace {

enum class Kind : std::uint8_t { bytes, number, flag, choice, text };

struct Row {
    const char* name;
    Kind kind;
    std::uint64_t default_value;
    std::uint64_t max_value;  // bytes and numbers
    const char* choices[2];   // choice: the accepted words, their index the value
    const char* expected;     // for messages: what a valid value looks like
};

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

// Past 1 TiB a mean interval samples nothing a program allocates in its life.
constexpr Row kRows[] = {
    {"NEBULA_SAMPLING_INTERVAL",
     Kind::bytes,
     kDefaultSamplingInterval,
     1024 * kGiB,
     {},
     "a byte count up to 1 TiB (units B, KiB, MiB, GiB; 0 turns sampling off)"},
    {"NEBULA_SAMPLING_SEED", Kind::number, 0, UINT64_MAX, {}, "a number below 2^64"},
    {"NEBULA_HEAP_PROFILE", Kind::text, 0, 0, {}, "a path"},
    {"NEBULA_LEAK_REPORT", Kind::flag, 0, 1, {}, "1 or 0"},
    {"NEBULA_ON_MISMATCH",
     Kind::choice,
     kMismatchReport,
     0,
     {"report", "abort"},
     "report or abort"},
    {"NEBULA_HTTP", Kind::text, 0, 0, {}, "ADDRESS:PORT"},
    {"NEBULA_HTTP_TOKEN", Kind::text, 0, 0, {}, "a token"},
};
static_assert(std::size(kRows) == static_cast<std::size_t>(Option::count));

struct Value {
    std::uint64_t number = 0;
    const char* text = nullptr;
    bool set = false;
};

constinit Value g_values[static_cast<std::size_t>(Option::count)]{};
constinit std::atomic<int> g_state{0};  // 0: unread, 1: being read, 2: read

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Digits, then for a byte count an optional unit; false on anything else or past `max`.
bool parse_number(std::string_view text, bool with_unit, std::uint64_t max,
                  std::uint64_t& out) noexcept {
    std::size_t i = 0;
    std::uint64_t number = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (__builtin_mul_overflow(number, 10u, &number) ||
            __builtin_add_overflow(number, static_cast<unsigned>(text[i] - '0'), &number)) {
            return false;
        }
    }
    if (i == 0) {
        return false;
    }
    while (i < text.size() && text[i] == ' ') {
        ++i;
    }
    const std::string_view unit = text.substr(i);
    std::uint64_t scale = 1;
    if (!unit.empty()) {
        if (!with_unit) {
            return false;
        }
        // The budgets config's units, case-sensitive as there (docs/configuration.md).
        if (unit == "B") {
            scale = 1;
        } else if (unit == "KiB" || unit == "KB") {
            scale = 1024;
        } else if (unit == "MiB" || unit == "MB") {
            scale = 1024 * 1024;
        } else if (unit == "GiB" || unit == "GB") {
            scale = kGiB;
        } else {
            return false;
        }
    }
    if (__builtin_mul_overflow(number, scale, &number) || number > max) {
        return false;
    }
    out = number;
    return true;
}

bool parse(const Row& row, const char* text, Value& value) noexcept {
    const std::string_view view(text);
    switch (row.kind) {
        case Kind::bytes:
        case Kind::number:
            return parse_number(view, row.kind == Kind::bytes, row.max_value, value.number);
        case Kind::flag:
            if (view == "0" || view == "1") {
                value.number = view == "1" ? 1 : 0;
                return true;
            }
            return false;
        case Kind::choice:
            for (std::uint64_t i = 0; i < std::size(row.choices); ++i) {
                if (row.choices[i] != nullptr && equals_ignoring_case(view, row.choices[i])) {
                    value.number = i;
                    return true;
                }
            }
            return false;
        case Kind::text:
            value.text = text;
            return true;
    }
    return false;
}

void read_all() noexcept {
    for (std::size_t i = 0; i < std::size(kRows); ++i) {
        const Row& row = kRows[i];
        Value& value = g_values[i];
        value.number = row.default_value;
        const char* text = std::getenv(row.name);
        if (text == nullptr || *text == '\0') {
            continue;
        }
        Value parsed = value;
        if (parse(row, text, parsed)) {
            parsed.set = true;
            value = parsed;
            continue;
        }
        platform::ErrorMessage message;
        message.text(row.name).text("=").text(std::string_view(text).substr(0, 64));
        message.text(": expected ").text(row.expected).text("; the default is kept");
        if (row.kind == Kind::choice) {
            message.text(" (").text(row.choices[row.default_value]).text(")");
        } else if (row.kind != Kind::text && row.kind != Kind::flag) {
            message.text(" (").number(row.default_value).text(")");
        }
        message.write();
    }
}

const Value& value_of(Option option) noexcept {
    int state = g_state.load(std::memory_order_acquire);
    if (state != 2) {
        state = 0;
        if (g_state.compare_exchange_strong(state, 1, std::memory_order_acquire)) {
            read_all();
            g_state.store(2, std::memory_order_release);
        } else {
            while (g_state.load(std::memory_order_acquire) != 2) {
                std::this_thread::yield();
            }
        }
    }
    return g_values[static_cast<std::size_t>(option)];
}

}  // namespace

std::uint64_t value(Option option) noexcept {
    return value_of(option).number;
}

bool is_set(Option option) noexcept {
    return value_of(option).set;
}

const char* text(Option option) noexcept {
    return value_of(option).text;
}

const char* name(Option option) noexcept {
    return kRows[static_cast<std::size_t>(option)].name;
}

}  // namespace nebula::debug::detail::options
