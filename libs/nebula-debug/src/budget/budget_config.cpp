// The budgets config: a TOML file (schema in docs/configuration.md) read with toml++, checked as
// a whole, then applied to a MemoryBudget.
#include <nebula/debug/memory_budget.hpp>

#include "memory_log.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <limits>
#include <system_error>

namespace nebula::debug {

std::string ConfigError::to_string() const {
    if (line == 0) {
        return fmt::format("{}: {}", file, message);
    }
    return fmt::format("{}:{}: {}", file, line, message);
}

namespace {

__extension__ typedef unsigned __int128 uint128;

constexpr std::string_view kSizeSyntax =
    "expected a byte count or a string such as \"512 MiB\" (units B, KiB, MiB, GiB, KB, MB, GB)";

struct SizeUnit {
    std::string_view name;
    std::size_t bytes;
};

// KB, MB and GB are binary too: that is how the seed's display (format_memory) uses them.
constexpr SizeUnit kSizeUnits[] = {
    {"B", 1},
    {"KiB", std::size_t{1} << 10},
    {"MiB", std::size_t{1} << 20},
    {"GiB", std::size_t{1} << 30},
    {"KB", std::size_t{1} << 10},
    {"MB", std::size_t{1} << 20},
    {"GB", std::size_t{1} << 30},
};

// A size string's value, or why it has none.
struct ParsedSize {
    std::size_t bytes = 0;
    std::string problem;
};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// "<number> <unit>": the number has optional decimals ("1.5 GiB"), the space is optional, and
// a fraction of a byte is dropped. Decimal arithmetic is exact (no binary float in between).
ParsedSize parse_size_string(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_blank(text.back())) {
        text.remove_suffix(1);
    }
    if (!text.empty() && text.front() == '-') {
        return {0, fmt::format("size \"{}\" is negative", text)};
    }

    // The number as mantissa / 10^decimal_places. Capping both keeps mantissa x unit below
    // 2^128; a mantissa past the cap means 10^19 bytes or more, which no budget is.
    constexpr int kMaxDecimalPlaces = 9;
    constexpr uint128 kMantissaLimit = uint128{10'000'000'000'000'000} * 100'000'000'000;
    uint128 mantissa = 0;
    int decimal_places = 0;
    std::size_t position = 0;
    bool has_digits = false;
    bool after_point = false;
    for (; position < text.size(); ++position) {
        const char c = text[position];
        if (c == '.' && !after_point && has_digits) {
            after_point = true;
            has_digits = false;
            continue;
        }
        if (!is_digit(c)) {
            break;
        }
        has_digits = true;
        if (after_point && ++decimal_places > kMaxDecimalPlaces) {
            return {0,
                    fmt::format("size \"{}\" has more than {} decimals", text, kMaxDecimalPlaces)};
        }
        if (mantissa > kMantissaLimit) {
            return {0, fmt::format("size \"{}\" is too large", text)};
        }
        mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
    }
    if (!has_digits) {
        return {0, fmt::format("\"{}\" is not a size: {}", text, kSizeSyntax)};
    }

    std::string_view unit_name = text.substr(position);
    while (!unit_name.empty() && is_blank(unit_name.front())) {
        unit_name.remove_prefix(1);
    }
    const SizeUnit* unit = nullptr;
    for (const SizeUnit& candidate : kSizeUnits) {
        if (candidate.name == unit_name) {
            unit = &candidate;
        }
    }
    if (unit == nullptr) {
        return {0, fmt::format("\"{}\" is not a size: {}", text, kSizeSyntax)};
    }

    uint128 divisor = 1;
    for (int place = 0; place < decimal_places; ++place) {
        divisor *= 10;
    }
    const uint128 bytes = mantissa * unit->bytes / divisor;
    if (bytes > std::numeric_limits<std::size_t>::max()) {
        return {0, fmt::format("size \"{}\" is too large", text)};
    }
    return {static_cast<std::size_t>(bytes), {}};
}

std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
        case toml::node_type::time:
        case toml::node_type::date_time:
            return "a date or time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

// What a config file asks for, every value already checked.
struct BudgetSettings {
    std::optional<float> warning_threshold;
    std::optional<std::size_t> total_budget;
    std::vector<std::pair<std::string, std::size_t>> budgets;
    std::vector<std::pair<std::string, std::size_t>> gpu_budgets;
    std::vector<std::pair<std::string, std::size_t>> churn_budgets;
};

class ConfigReader {
public:
    explicit ConfigReader(std::string_view file) : file_(file) {}

    BudgetSettings read(const toml::table& root) {
        for (const auto& [key, node] : root) {
            if (key.str() != "memory") {
                error(key.source(), fmt::format("unknown key '{}' (expected [memory])", key.str()));
            } else if (const toml::table* memory = node.as_table()) {
                read_memory(*memory);
            } else {
                error(node.source(),
                      fmt::format("'memory' must be a table, not {}", type_name(node)));
            }
        }
        return std::move(settings_);
    }

    // In file order: toml++ walks a table's keys alphabetically.
    std::vector<ConfigError> take_errors() {
        std::stable_sort(
            errors_.begin(), errors_.end(),
            [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
        return std::move(errors_);
    }

private:
    void read_memory(const toml::table& memory) {
        for (const auto& [key, node] : memory) {
            if (key.str() == "total_budget") {
                settings_.total_budget = read_size(node, "memory.total_budget");
            } else if (key.str() == "warning_threshold") {
                settings_.warning_threshold = read_threshold(node);
            } else if (key.str() == "budgets") {
                read_table(node, "budgets", &ConfigReader::read_size, settings_.budgets);
            } else if (key.str() == "gpu_budgets") {
                read_table(node, "gpu_budgets", &ConfigReader::read_size, settings_.gpu_budgets);
            } else if (key.str() == "churn_budgets") {
                read_table(node, "churn_budgets", &ConfigReader::read_count,
                           settings_.churn_budgets);
            } else {
                error(key.source(), fmt::format("unknown key 'memory.{}' (expected total_budget, "
                                                "warning_threshold, budgets, gpu_budgets or "
                                                "churn_budgets)",
                                                key.str()));
            }
        }
    }

    using ValueReader = std::optional<std::size_t> (ConfigReader::*)(const toml::node&,
                                                                     std::string_view);

    // [memory.<table>]: subsystem name = value, each value read by `read_value`.
    void read_table(const toml::node& node, std::string_view table, ValueReader read_value,
                    std::vector<std::pair<std::string, std::size_t>>& out) {
        const toml::table* entries = node.as_table();
        if (entries == nullptr) {
            error(node.source(),
                  fmt::format("'memory.{}' must be a table, not {}", table, type_name(node)));
            return;
        }
        for (const auto& [key, value] : *entries) {
            if (key.str().empty()) {
                error(key.source(), fmt::format("a subsystem name in [memory.{}] is empty", table));
                continue;
            }
            const std::string name(key.str());
            if (const auto read =
                    (this->*read_value)(value, fmt::format("memory.{}.{}", table, name))) {
                out.emplace_back(name, *read);
            }
        }
    }

    // An allocation count per frame: a non-negative integer (no units, no strings).
    std::optional<std::size_t> read_count(const toml::node& node, std::string_view key) {
        if (const auto* integer = node.as_integer()) {
            if (integer->get() < 0) {
                error(node.source(), fmt::format("{}: count {} is negative", key, integer->get()));
                return std::nullopt;
            }
            return static_cast<std::size_t>(integer->get());
        }
        error(node.source(), fmt::format("{}: expected a count of allocations per frame (an "
                                         "integer), not {}",
                                         key, type_name(node)));
        return std::nullopt;
    }

    std::optional<std::size_t> read_size(const toml::node& node, std::string_view key) {
        if (const auto* integer = node.as_integer()) {
            if (integer->get() < 0) {
                error(node.source(), fmt::format("{}: size {} is negative", key, integer->get()));
                return std::nullopt;
            }
            return static_cast<std::size_t>(integer->get());
        }
        if (const auto* text = node.as_string()) {
            const ParsedSize size = parse_size_string(text->get());
            if (!size.problem.empty()) {
                error(node.source(), fmt::format("{}: {}", key, size.problem));
                return std::nullopt;
            }
            return size.bytes;
        }
        error(node.source(), fmt::format("{}: {}, not {}", key, kSizeSyntax, type_name(node)));
        return std::nullopt;
    }

    // The range MemoryBudget::set_warning_threshold accepts, [kMinWarningThreshold, 1], checked
    // on the double as written before narrowing it (narrowing a double beyond the float range is
    // undefined). Rounding is monotonic and both bounds are floats, so every double that passes
    // narrows to a float the setter accepts. NaN fails both comparisons.
    std::optional<float> read_threshold(const toml::node& node) {
        if (!node.is_number()) {
            error(node.source(),
                  fmt::format("memory.warning_threshold: expected a number in [{}, 1], not {}",
                              kMinWarningThreshold, type_name(node)));
            return std::nullopt;
        }
        const double value = node.value<double>().value_or(0.0);
        if (!(value >= static_cast<double>(kMinWarningThreshold) && value <= 1.0)) {
            error(node.source(), fmt::format("memory.warning_threshold: {} is outside [{}, 1]",
                                             value, kMinWarningThreshold));
            return std::nullopt;
        }
        return static_cast<float>(value);
    }

    void error(const toml::source_region& where, std::string message) {
        errors_.push_back({file_, where.begin.line, std::move(message)});
    }

    std::string file_;
    BudgetSettings settings_;
    std::vector<ConfigError> errors_;
};

void apply(MemoryBudget& budget, const BudgetSettings& settings) {
    if (settings.warning_threshold) {
        budget.set_warning_threshold(*settings.warning_threshold);
    }
    if (settings.total_budget) {
        budget.set_total_budget(*settings.total_budget);
    }
    for (const auto& [name, bytes] : settings.budgets) {
        budget.set_budget(name, bytes);
    }
    for (const auto& [name, bytes] : settings.gpu_budgets) {
        budget.set_gpu_budget(name, bytes);
    }
    for (const auto& [name, allocations] : settings.churn_budgets) {
        budget.set_churn_budget(name, allocations);
    }
}

void log_errors(const std::vector<ConfigError>& errors) {
    if (errors.empty()) {
        return;
    }
    const auto logger = memory_logger();
    for (const ConfigError& error : errors) {
        logger->error("Memory budget config: {}", error.to_string());
    }
}

std::vector<ConfigError> load(MemoryBudget& budget, std::string_view toml,
                              std::string_view source_name) {
    std::vector<ConfigError> errors;
    // Problems of the config itself are collected by ConfigReader; the last handler only keeps
    // the promise not to throw when something else fails (out of memory).
    try {
        const toml::table root = toml::parse(toml, source_name);
        ConfigReader reader(source_name);
        const BudgetSettings settings = reader.read(root);
        errors = reader.take_errors();
        apply(budget, settings);
    } catch (const toml::parse_error& parse_error) {
        errors.push_back({std::string(source_name), parse_error.source().begin.line,
                          std::string(parse_error.description())});
    } catch (const std::exception& exception) {
        errors.push_back({std::string(source_name), 0, exception.what()});
    }
    log_errors(errors);
    return errors;
}

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

// The whole file, or nullopt with `problem` saying why it could not be read.
std::optional<std::string> read_file(const std::string& path, std::string& problem) {
    const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        problem = std::generic_category().message(errno);
        return std::nullopt;
    }
    std::string text;
    char buffer[4096];
    std::size_t read = 0;
    while ((read = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
        text.append(buffer, read);
    }
    if (std::ferror(file.get())) {
        problem = std::generic_category().message(errno);
        return std::nullopt;
    }
    return text;
}

}  // namespace

std::vector<ConfigError> load_budget_config(MemoryBudget& budget, const std::string& path) {
    std::string problem;
    const std::optional<std::string> text = read_file(path, problem);
    if (!text) {
        std::vector<ConfigError> errors{{path, 0, "cannot read the file: " + problem}};
        log_errors(errors);
        return errors;
    }
    return load(budget, *text, path);
}

std::vector<ConfigError> load_budget_config_string(MemoryBudget& budget, std::string_view toml,
                                                   std::string_view source_name) {
    return load(budget, toml, source_name);
}

}  // namespace nebula::debug
