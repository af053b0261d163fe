// libFuzzer target for the budgets config loader: any bytes go to load_budget_config_string,
// which must neither crash nor trip ASan/UBSan, and must leave the budget in a state its own
// rules allow. Built by the fuzz preset (NEBULA_BUILD_FUZZERS); scripts/fuzz.sh runs it.
#include <nebula/debug/memory_budget.hpp>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string_view>

namespace {

namespace nd = nebula::debug;

constexpr std::string_view kSourceName = "fuzz.toml";

// An invariant of the loader does not hold: abort, which libFuzzer reports as a crash and saves
// the input that caused it.
void check(bool holds, const char* what) {
    if (!holds) {
        std::fprintf(stderr, "config_fuzzer: invariant violated: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    // Every rejected input logs its errors: a logger whose sink drops them keeps the fuzzer fast
    // and its output readable, while the messages are still formatted (that code runs too).
    auto logger = std::make_shared<spdlog::logger>("nebula.memory",
                                                   std::make_shared<spdlog::sinks::null_sink_mt>());
    logger->set_level(spdlog::level::trace);
    spdlog::register_logger(logger);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view toml(reinterpret_cast<const char*>(data), size);

    nd::MemoryBudget budget;
    nd::configure_default_budgets(budget);
    const auto errors = nd::load_budget_config_string(budget, toml, kSourceName);

    for (const nd::ConfigError& error : errors) {
        check(error.file == kSourceName, "an error names another file than the source");
        check(!error.message.empty(), "an error has no message");
        check(!error.to_string().empty(), "an error prints as nothing");
    }

    // Whatever the file said, the threshold in force is one set_warning_threshold accepts.
    const float threshold = budget.warning_threshold();
    check(threshold >= nd::kMinWarningThreshold && threshold <= 1.0f,
          "the warning threshold is outside [kMinWarningThreshold, 1]");

    // Use what was loaded the way an engine does: thresholds, crossings (warnings and their
    // percentages), the saturating total and the shutdown summary with format_memory.
    for (const auto& [name, memory] : budget.subsystems()) {
        check(!name.empty(), "a subsystem with an empty name was created");
        const std::size_t at = budget.warning_threshold_bytes(memory.budget_bytes);
        check(at <= memory.budget_bytes, "the threshold in bytes is above the budget");
        budget.report(name, at, 1);
        check(!budget.is_over_budget(name), "exactly at the threshold is over");
        if (memory.budget_bytes > 0 && at < std::numeric_limits<std::size_t>::max()) {
            budget.report(name, at + 1, 1);
            check(budget.is_over_budget(name), "one byte past the threshold is not over");
        }
    }
    check(budget.total_peak() >= budget.total_current(), "the total peak is below the total");
    budget.log_peak_summary();
    return 0;
}
