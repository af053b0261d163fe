// Per-subsystem memory budgets: what each engine subsystem reports, its peak, its budget,
// warnings on crossing the warning threshold and pressure callbacks to shed memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nebula::debug {

struct SubsystemMemory {
    std::size_t current_bytes = 0, peak_bytes = 0, budget_bytes = 0, allocation_count = 0;
};

// Passed to a pressure callback when its subsystem crosses the warning threshold upwards.
struct MemoryPressure {
    std::string_view subsystem;
    std::size_t current_bytes = 0;
    std::size_t budget_bytes = 0;
    std::size_t threshold_bytes = 0;  // budget x warning threshold
    std::size_t excess_bytes = 0;     // current - threshold: what to shed to fall back below
};
using PressureCallback = std::function<void(const MemoryPressure&)>;
using PressureCallbackId = std::uint64_t;

// Thread-safe: every member may be called from several threads at once.
//
// Warnings go to the spdlog logger "nebula.memory" in the seed's words
// ("Subsystem 'Chunks' at 87% of memory budget (890 MB / 1024 MB)"), once when a subsystem's
// current bytes cross its threshold upwards; a subsystem warns again only after it fell back to
// or below the threshold. The tracked total warns likewise when it passes the total budget.
// Pressure callbacks run on the reporting thread after the warning, outside the budget's lock,
// so they may report() and set_budget() themselves.
class MemoryBudget {
public:
    MemoryBudget();
    ~MemoryBudget();
    MemoryBudget(const MemoryBudget&) = delete;
    MemoryBudget& operator=(const MemoryBudget&) = delete;

    void report(std::string_view name, std::size_t current_bytes, std::size_t count);
    void set_budget(std::string_view name, std::size_t budget_bytes);   // 0 = unbudgeted
    void set_total_budget(std::size_t bytes);
    void set_warning_threshold(float fraction);                         // default 0.85
    // budget > 0 && current > budget * threshold, in integer terms: the threshold in bytes is
    // floor(budget * threshold); one byte past it is over, exactly at it is not.
    bool is_over_budget(std::string_view name) const;
    std::size_t total_current() const;
    std::size_t total_budget() const;
    float warning_threshold() const;
    std::optional<SubsystemMemory> subsystem(std::string_view name) const;
    std::vector<std::pair<std::string, SubsystemMemory>> subsystems() const;  // sorted by name

    // Registers a callback run when `subsystem` crosses its warning threshold upwards.
    PressureCallbackId add_pressure_callback(std::string_view subsystem, PressureCallback callback);
    void remove_pressure_callback(PressureCallbackId id);

    // peak := current for every subsystem (a sector transition is when a user asks for it).
    void reset_peaks();
    // Logs every subsystem's peak and the allocator's (info level); engines call it at shutdown.
    void log_peak_summary() const;

private:
    struct Impl;
    Impl* impl_;
};

void configure_default_budgets(MemoryBudget&);  // the seed's defaults: 4 GB total, Chunks 1 GB, ...
std::string format_memory(std::size_t bytes);    // "1.00 GB", "5.0 MB", "2.0 KB", "500 B"

// One problem found in a budgets config file: "path:line: message".
struct ConfigError {
    std::string file;
    std::size_t line = 0;  // 0 when the file could not be read at all
    std::string message;
    std::string to_string() const;
};

// Applies a TOML budgets config (schema in docs/configuration.md) to `budget`. Every key is
// optional. Each bad value is reported and skipped, leaving what was in force; a file that cannot
// be read or parsed changes nothing. Errors are also logged to "nebula.memory".
std::vector<ConfigError> load_budget_config(MemoryBudget& budget, const std::string& path);
std::vector<ConfigError> load_budget_config_string(MemoryBudget& budget, std::string_view toml,
                                                   std::string_view source_name = "<string>");

}  // namespace nebula::debug
