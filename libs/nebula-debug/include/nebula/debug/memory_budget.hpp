// Per-subsystem memory budgets: what each engine subsystem reports, its peak, its budget,
// warnings on crossing the warning threshold and pressure callbacks to shed memory; the budgets
// config file; byte counts for display.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace nebula::debug {

struct SubsystemMemory {
    std::size_t current_bytes = 0, peak_bytes = 0, budget_bytes = 0, allocation_count = 0;
    // Read from the tracker (the tag of the subsystem's name) by MemoryBudget::end_frame():
    std::size_t gpu_bytes = 0;              // the tag's GPU bytes (gpu_memory.hpp)
    std::size_t gpu_budget_bytes = 0;       // 0 = no GPU budget
    std::size_t frame_allocations = 0;      // heap allocations under the tag in the last frame
    std::size_t frame_allocated_bytes = 0;  // and their bytes
    std::size_t churn_budget = 0;           // allocations per frame, 0 = no churn budget
};

// What a subsystem allocated on the heap in one frame (between two MemoryBudget::end_frame calls),
// on every thread, under the tag of its name.
struct FrameChurn {
    std::size_t allocations = 0;
    std::size_t allocated_bytes = 0;
};

inline constexpr float kDefaultWarningThreshold = 0.85f;
// The lowest warning threshold accepted (1% of a budget): anything lower, denormals included,
// would put every subsystem that holds a few bytes over budget.
inline constexpr float kMinWarningThreshold = 0.01f;

// Which budget a pressure callback's figures are about.
enum class MemoryKind : std::uint8_t { heap, gpu };

// Passed to a pressure callback when its subsystem crosses the warning threshold upwards: of its
// memory budget (kind heap: the figures are what it reports) or of its GPU budget (kind gpu: the
// figures are its tag's GPU bytes).
struct MemoryPressure {
    std::string_view subsystem;  // valid for the duration of the call only
    std::size_t current_bytes = 0;
    std::size_t budget_bytes = 0;
    std::size_t threshold_bytes = 0;  // budget x warning threshold
    std::size_t excess_bytes = 0;     // current - threshold: what to shed to fall back below
    MemoryKind kind = MemoryKind::heap;
};
using PressureCallback = std::function<void(const MemoryPressure&)>;
using PressureCallbackId = std::uint64_t;

// Thread-safe: every member may be called from several threads at once.
//
// Warnings go to the spdlog logger "nebula.memory" in the seed's words
// ("Subsystem 'Chunks' at 87% of memory budget (890 MB / 1024 MB)": percentage and sizes rounded
// to the nearest whole number, sizes in MiB). The band: a subsystem warns once when its current
// bytes go from at-or-below its threshold to above it (is_over_budget turning true) and stays
// silent while it remains above; it is re-armed when it falls back to or below the threshold. The
// tracked total warns likewise ("Tracked total at 103% of total memory budget (4220 MB / 4096 MB)")
// when total_current() passes a non-zero total_budget(), re-armed at or below it. Crossings are
// checked by report() and also by set_budget(), set_total_budget() and set_warning_threshold(), so
// lowering a budget under what is in use warns too.
//
// Pressure callbacks run on the thread whose call found the crossing, right after its warning and
// outside the budget's lock, so they may call any member of this budget, report() and set_budget()
// included. An exception a callback throws is logged and does not reach the reporting thread.
class MemoryBudget {
public:
    MemoryBudget();
    ~MemoryBudget();
    MemoryBudget(const MemoryBudget&) = delete;
    MemoryBudget& operator=(const MemoryBudget&) = delete;

    // Sets what `name` holds now; a name not seen before gets a row (unbudgeted until
    // set_budget). Raises the row's peak when `current_bytes` is above it. The rows' sum is kept
    // exactly; total_current() and total_peak() saturate at SIZE_MAX instead of wrapping when it
    // exceeds that (two rows of SIZE_MAX), and come back down exactly once it falls below again.
    void report(std::string_view name, std::size_t current_bytes, std::size_t count);
    // Creates the row if needed, so a budget may be set before the first report.
    void set_budget(std::string_view name, std::size_t budget_bytes);  // 0 = unbudgeted
    void set_total_budget(std::size_t bytes);                          // 0 = no total budget
    // Fractions outside [kMinWarningThreshold, 1], that is [0.01, 1] (0, negatives, denormals and
    // anything below 1%, above 1, NaN) are ignored and logged as an error; the threshold in force
    // stays.
    void set_warning_threshold(float fraction);  // default kDefaultWarningThreshold
    // budget > 0 && current > budget * threshold, in integer terms: the threshold in bytes is
    // floor(budget * threshold), where the threshold is taken as the shortest decimal that reads
    // back as the same float (0.85f is 0.85, not 0.850000023...). One byte past it is over,
    // exactly at it is not. False for unknown names.
    bool is_over_budget(std::string_view name) const;
    // Sum of every subsystem's current bytes, SIZE_MAX when the sum is larger (saturates, never
    // wraps).
    std::size_t total_current() const;
    // Highest total_current() seen since construction or the last reset_peaks(); saturates at
    // SIZE_MAX likewise.
    std::size_t total_peak() const;
    std::size_t total_budget() const;
    float warning_threshold() const;
    // floor(budget_bytes * warning_threshold()) as is_over_budget computes it, for displays that
    // show where a subsystem starts to warn.
    std::size_t warning_threshold_bytes(std::size_t budget_bytes) const;
    std::optional<SubsystemMemory> subsystem(std::string_view name) const;    // nullopt if unknown
    std::vector<std::pair<std::string, SubsystemMemory>> subsystems() const;  // sorted by name
    // Calls visit(name, memory, over_budget) for every subsystem in name order, without
    // allocating: for displays that read the budget every frame. Runs under the budget's lock, so
    // `visit` must not call back into this budget.
    template <class Visit>
    void for_each_subsystem(Visit&& visit) const {
        visit_subsystems(
            [](void* context, std::string_view name, const SubsystemMemory& memory,
               bool over_budget) {
                (*static_cast<std::remove_reference_t<Visit>*>(context))(name, memory, over_budget);
            },
            &visit);
    }

    // Once per frame, after the frame's reports: reads each subsystem's tag from the tracker
    // (the tag named as the subsystem; none reads zeros) into the row: the heap allocations and
    // bytes made under it since the previous end_frame() (a row's first call sets where it
    // counts from and reads 0) and its GPU bytes. Then checks churn and GPU budgets, with the
    // band of memory budgets (over above floor(budget x warning threshold), warned once per
    // crossing, re-armed at or below): "Subsystem 'Meshes' made 150 allocations in a frame
    // (churn budget 100)"; "Subsystem 'Textures' at 92% of GPU memory budget (470 MB / 512 MB)",
    // and a GPU crossing runs the subsystem's pressure callbacks with kind gpu. Folds every
    // thread's counters once for all rows, allocating nothing after the first call
    // (docs/benchmarks.md: EndFrame).
    void end_frame();
    // The last frame's churn as end_frame() saw it; zeros for unknown names.
    FrameChurn frame_churn(std::string_view name) const;
    // Creates the row if needed. 0 = no budget. Checked by end_frame() and at once here.
    void set_churn_budget(std::string_view name, std::size_t allocations_per_frame);
    void set_gpu_budget(std::string_view name, std::size_t bytes);
    bool is_over_churn_budget(std::string_view name) const;  // false for unknown names
    bool is_over_gpu_budget(std::string_view name) const;

    // Registers a callback run when `subsystem` crosses its warning threshold upwards (once per
    // crossing, like the warning), of its memory budget or of its GPU budget (MemoryPressure's
    // kind says which). The subsystem need not have reported yet. Ids start at 1.
    PressureCallbackId add_pressure_callback(std::string_view subsystem, PressureCallback callback);
    // Once this returns, the callback will not be called again and is not running on any other
    // thread, so its owner may destroy what the callback uses. Safe from inside any callback,
    // its own included (that call then finishes normally). Two callbacks running at once on two
    // threads must not remove each other: each removal would wait for the other. Unknown ids
    // are ignored.
    void remove_pressure_callback(PressureCallbackId id);

    // peak := current for every subsystem and for the tracked total (for example after a sector
    // transition, to measure the next one).
    void reset_peaks();
    // Logs, at info level, one line per subsystem with its current, peak and budget, the tracked
    // total, and the tracking allocator's process peak when it is compiled in. Engines call it
    // at shutdown.
    void log_peak_summary() const;

private:
    using SubsystemVisitor = void (*)(void* context, std::string_view name,
                                      const SubsystemMemory& memory, bool over_budget);
    void visit_subsystems(SubsystemVisitor visitor, void* context) const;

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The seed's defaults: 4 GiB total, Chunks 1 GiB, Meshes 512 MiB, Textures 512 MiB,
// Entities 256 MiB, Audio 128 MiB, Physics 256 MiB, warning threshold 0.85.
void configure_default_budgets(MemoryBudget&);
// As the seed's display: "1.00 GB" from 1 GiB up, "5.0 MB", "2.0 KB", "500 B" (binary units).
std::string format_memory(std::size_t bytes);

// One problem found in a budgets config file.
struct ConfigError {
    std::string file;
    std::size_t line = 0;  // 1-based; 0 when the file could not be read at all
    std::string message;
    std::string to_string() const;  // "path:line: message", or "path: message" for line 0
};

// Applies a TOML budgets config (schema in docs/configuration.md) to `budget`. Every key is
// optional. Each bad value (unknown key, wrong type, negative or unparseable size, threshold
// outside [kMinWarningThreshold, 1] = [0.01, 1], as set_warning_threshold) is reported and skipped,
// leaving what was in force; a file that cannot be read or parsed changes nothing. Errors are also
// logged to "nebula.memory". Never throws.
std::vector<ConfigError> load_budget_config(MemoryBudget& budget, const std::string& path);
std::vector<ConfigError> load_budget_config_string(MemoryBudget& budget, std::string_view toml,
                                                   std::string_view source_name = "<string>");

}  // namespace nebula::debug
