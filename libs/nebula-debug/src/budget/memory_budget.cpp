// MemoryBudget: per-subsystem reports, budgets, threshold warnings and pressure callbacks.
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/leak_watch.hpp>
#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include "memory_log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace nebula::debug {

std::shared_ptr<spdlog::logger> memory_logger() {
    const std::string name(kMemoryLoggerName);
    if (auto logger = spdlog::get(name)) {
        return logger;
    }
    try {
        return spdlog::stderr_color_mt(name);
    } catch (const spdlog::spdlog_ex&) {
        // Another thread registered the name between the lookup and the creation.
        if (auto logger = spdlog::get(name)) {
            return logger;
        }
        return std::make_shared<spdlog::logger>(
            name, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    }
}

namespace {

__extension__ typedef unsigned __int128 uint128;

constexpr std::size_t kMiB = 1024 * 1024;

// A warning threshold as the shortest decimal that reads back as the same float (0.85f becomes
// 85 / 10^2). Multiplying by the float itself would be off by its binary error: 0.85f is
// 0.850000023..., which moves the threshold of a 1 TiB budget by 26 KB.
struct DecimalFraction {
    std::uint64_t numerator = 0;
    int decimal_places = 0;
};

DecimalFraction to_decimal_fraction(float fraction) {
    // Fixed notation of a float in (0, 1] needs at most 47 characters.
    char text[64];
    const char* end =
        std::to_chars(std::begin(text), std::end(text), fraction, std::chars_format::fixed).ptr;
    DecimalFraction decimal;
    bool after_point = false;
    for (const char* c = text; c != end; ++c) {
        if (*c == '.') {
            after_point = true;
            continue;
        }
        decimal.numerator = decimal.numerator * 10 + static_cast<std::uint64_t>(*c - '0');
        if (after_point) {
            ++decimal.decimal_places;
        }
    }
    return decimal;
}

std::size_t threshold_bytes(std::size_t budget, DecimalFraction threshold) {
    // A float has at most 9 significant digits, so budget x numerator < 2^64 x 10^9 < 10^29:
    // divided by 10^29 or more it floors to 0.
    if (threshold.decimal_places >= 29) {
        return 0;
    }
    uint128 divisor = 1;
    for (int place = 0; place < threshold.decimal_places; ++place) {
        divisor *= 10;
    }
    return static_cast<std::size_t>(uint128{budget} * threshold.numerator / divisor);
}

// Rounded to the nearest whole number, as the seed's example reads: 890 of 1024 MiB is "87%".
std::size_t rounded_ratio(std::size_t part, std::size_t whole, std::size_t scale) {
    const uint128 ratio = (uint128{part} * scale + whole / 2) / whole;
    return static_cast<std::size_t>(
        std::min<uint128>(ratio, std::numeric_limits<std::size_t>::max()));
}
std::size_t percent_of(std::size_t part, std::size_t whole) {
    return rounded_ratio(part, whole, 100);
}
std::size_t whole_mib(std::size_t bytes) {
    return rounded_ratio(bytes, kMiB, 1);
}

// Edit distance between two names, letter case ignored, an adjacent transposition counting one
// (optimal string alignment).
std::size_t name_distance(std::string_view a, std::string_view b) {
    const auto lower = [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    };
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1])) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

// Whether `name` reads as a typo of `row`: another case, or one slip in a name of up to six
// letters, two in a longer one. Names of three letters or fewer differ by case only, since
// "AI" and "UI" are two subsystems.
bool looks_like_typo(std::string_view name, std::string_view row) {
    if (name == row) {
        return false;
    }
    const std::size_t longest = std::max(name.size(), row.size());
    const std::size_t allowed = longest <= 3 ? 0 : longest <= 6 ? 1 : 2;
    return name_distance(name, row) <= allowed;
}

struct Subsystem {
    SubsystemMemory memory;
    bool over_threshold = false;  // already warned for the current crossing
    bool over_gpu_threshold = false;
    bool over_churn_threshold = false;
    // The tracker's tag of the row's name, looked up by end_frame() until it exists.
    bool has_tag = false;
    MemoryTag tag;
    // The tag's cumulative counts at the last end_frame(), which the next one subtracts.
    bool has_baseline = false;
    std::size_t baseline_allocations = 0;
    std::size_t baseline_allocated_bytes = 0;
};

enum class CrossingKind : std::uint8_t { heap, gpu, churn };

struct RegisteredCallback {
    PressureCallbackId id = 0;
    std::string subsystem;
    // Shared so that a removal while the callback runs does not destroy the function object
    // under its own feet.
    std::shared_ptr<const PressureCallback> callback;
};

struct RunningCallback {
    PressureCallbackId id = 0;
    std::thread::id thread;
};

struct SubsystemCrossing {
    CrossingKind kind = CrossingKind::heap;
    std::string name;
    std::size_t current_bytes = 0;
    std::size_t budget_bytes = 0;
    std::size_t threshold_bytes = 0;
};

struct TotalCrossing {
    std::size_t current_bytes = 0;
    std::size_t budget_bytes = 0;
};

// What a call found while holding the lock; announced after releasing it, so that neither
// logging nor callbacks run under the lock.
struct Crossings {
    std::vector<SubsystemCrossing> subsystems;
    std::optional<TotalCrossing> total;
    std::vector<std::string> name_hints;  // "did you mean" lines
};

}  // namespace

struct MemoryBudget::Impl {
    mutable std::mutex mutex;
    std::map<std::string, Subsystem, std::less<>> subsystems;
    // The exact sum of every row's current bytes: 128 bits hold any sum of 2^64 rows or fewer.
    // total_current is that sum saturated at SIZE_MAX, so it comes back down exactly once
    // reports bring the sum below it again.
    uint128 exact_total = 0;
    std::size_t total_current = 0;
    std::size_t total_peak = 0;
    std::size_t total_budget = 0;
    bool total_over_budget = false;
    float warning_threshold = kDefaultWarningThreshold;
    DecimalFraction exact_threshold = to_decimal_fraction(kDefaultWarningThreshold);

    std::vector<RegisteredCallback> callbacks;
    PressureCallbackId next_callback_id = 1;
    std::vector<RunningCallback> running_callbacks;
    std::condition_variable callback_finished;

    // Budget rows and tags meet only by equal names, so a typo makes a second, unbudgeted row or
    // a tag no row shows: each such name is logged once, with the budget row it resembles.
    std::set<std::string, std::less<>> hinted_names;
    // Tags below this index were compared with the rows already; 0 (Untagged) never is.
    std::uint16_t tags_compared = 1;

    Subsystem& find_or_add(std::string_view name) {
        auto row = subsystems.find(name);
        if (row == subsystems.end()) {
            row = subsystems.emplace(std::string(name), Subsystem{}).first;
            // Every tag is compared again, with the new row among the others.
            tags_compared = 1;
        }
        return row->second;
    }

    // The budget row that `name` looks like a typo of, if `name` is no row itself.
    const std::string* similar_budget_row(std::string_view name) const {
        if (subsystems.find(name) != subsystems.end()) {
            return nullptr;
        }
        for (const auto& [row_name, row] : subsystems) {
            if (row.memory.budget_bytes > 0 && looks_like_typo(name, row_name)) {
                return &row_name;
            }
        }
        return nullptr;
    }

    void hint_once(std::string_view what, std::string_view name, const std::string& row,
                   Crossings& crossings) {
        if (hinted_names.insert(std::string(name)).second) {
            crossings.name_hints.push_back(std::string(what) + " '" + std::string(name) +
                                           "' matches no budget row: did you mean '" + row + "'?");
        }
    }

    // Called by report() on a row it just created, with the row already in place.
    void check_new_report_name(std::string_view name, Crossings& crossings) {
        for (const auto& [row_name, row] : subsystems) {
            if (row.memory.budget_bytes > 0 && looks_like_typo(name, row_name)) {
                hint_once("Subsystem", name, row_name, crossings);
                return;
            }
        }
    }

    // The tags MemoryScope registered since the last call; one read of the tag count when none.
    void check_new_tags(Crossings& crossings) {
        const std::size_t count = memory_tag_count();
        for (; tags_compared < count; ++tags_compared) {
            const std::string_view tag = memory_tag_name(MemoryTag{tags_compared});
            if (hinted_names.find(tag) != hinted_names.end()) {
                continue;
            }
            if (const std::string* row = similar_budget_row(tag)) {
                hint_once("Memory tag", tag, *row, crossings);
            }
        }
    }

    // Reused by end_frame() so that it allocates nothing once the rows exist.
    std::vector<Subsystem*> frame_rows;
    std::vector<MemoryTag> frame_tags;
    std::vector<AllocatorStats> frame_stats;

    // The band every budget shares: over when above floor(budget x warning threshold).
    bool is_over(std::size_t value, std::size_t budget) const {
        return budget > 0 && value > threshold_bytes(budget, exact_threshold);
    }
    bool is_over(const SubsystemMemory& memory) const {
        return is_over(memory.current_bytes, memory.budget_bytes);
    }

    // Records a crossing of one band upwards; `over` is the row's flag for that band.
    void check_band(CrossingKind kind, std::string_view name, std::size_t value, std::size_t budget,
                    bool& over, Crossings& crossings) {
        const bool now_over = is_over(value, budget);
        if (now_over && !over) {
            crossings.subsystems.push_back(
                {kind, std::string(name), value, budget, threshold_bytes(budget, exact_threshold)});
        }
        over = now_over;
    }

    void check_subsystem(std::string_view name, Subsystem& row, Crossings& crossings) {
        check_band(CrossingKind::heap, name, row.memory.current_bytes, row.memory.budget_bytes,
                   row.over_threshold, crossings);
    }
    void check_gpu(std::string_view name, Subsystem& row, Crossings& crossings) {
        check_band(CrossingKind::gpu, name, row.memory.gpu_bytes, row.memory.gpu_budget_bytes,
                   row.over_gpu_threshold, crossings);
    }
    void check_churn(std::string_view name, Subsystem& row, Crossings& crossings) {
        check_band(CrossingKind::churn, name, row.memory.frame_allocations, row.memory.churn_budget,
                   row.over_churn_threshold, crossings);
    }

    void check_total(Crossings& crossings) {
        const bool over = total_budget > 0 && total_current > total_budget;
        if (over && !total_over_budget) {
            crossings.total = TotalCrossing{total_current, total_budget};
        }
        total_over_budget = over;
    }

    bool is_registered(PressureCallbackId id) const {
        return std::any_of(callbacks.begin(), callbacks.end(),
                           [id](const RegisteredCallback& entry) { return entry.id == id; });
    }

    bool is_running_on_another_thread(PressureCallbackId id) const {
        const auto this_thread = std::this_thread::get_id();
        return std::any_of(running_callbacks.begin(), running_callbacks.end(),
                           [&](const RunningCallback& running) {
                               return running.id == id && running.thread != this_thread;
                           });
    }

    // Changes one row (made if new) under the lock, then says what crossed, outside it.
    template <class Change>
    void change_row(std::string_view name, Change change) {
        Crossings crossings;
        {
            std::lock_guard lock(mutex);
            change(find_or_add(name), crossings);
        }
        announce(crossings);
    }

    void announce(const Crossings& crossings) {
        if (crossings.subsystems.empty() && !crossings.total && crossings.name_hints.empty()) {
            return;
        }
        const auto logger = memory_logger();
        for (const std::string& hint : crossings.name_hints) {
            logger->warn("{}", hint);
        }
        for (const SubsystemCrossing& crossing : crossings.subsystems) {
            if (crossing.kind == CrossingKind::churn) {
                logger->warn("Subsystem '{}' made {} allocations in a frame (churn budget {})",
                             crossing.name, crossing.current_bytes, crossing.budget_bytes);
                continue;
            }
            logger->warn("Subsystem '{}' at {}% of {}memory budget ({} MB / {} MB)", crossing.name,
                         percent_of(crossing.current_bytes, crossing.budget_bytes),
                         crossing.kind == CrossingKind::gpu ? "GPU " : "",
                         whole_mib(crossing.current_bytes), whole_mib(crossing.budget_bytes));
            run_pressure_callbacks(crossing, *logger);
        }
        if (crossings.total) {
            logger->warn("Tracked total at {}% of total memory budget ({} MB / {} MB)",
                         percent_of(crossings.total->current_bytes, crossings.total->budget_bytes),
                         whole_mib(crossings.total->current_bytes),
                         whole_mib(crossings.total->budget_bytes));
        }
    }

    void run_pressure_callbacks(const SubsystemCrossing& crossing, spdlog::logger& logger) {
        std::vector<RegisteredCallback> matching;
        {
            std::lock_guard lock(mutex);
            std::copy_if(
                callbacks.begin(), callbacks.end(), std::back_inserter(matching),
                [&](const RegisteredCallback& entry) { return entry.subsystem == crossing.name; });
        }
        const MemoryPressure pressure{
            crossing.name,
            crossing.current_bytes,
            crossing.budget_bytes,
            crossing.threshold_bytes,
            crossing.current_bytes - crossing.threshold_bytes,
            crossing.kind == CrossingKind::gpu ? MemoryKind::gpu : MemoryKind::heap};
        for (const RegisteredCallback& entry : matching) {
            {
                std::lock_guard lock(mutex);
                // An earlier callback of this crossing, or another thread, may have removed it.
                if (!is_registered(entry.id)) {
                    continue;
                }
                running_callbacks.push_back({entry.id, std::this_thread::get_id()});
            }
            try {
                (*entry.callback)(pressure);
            } catch (const std::exception& exception) {
                logger.error("Memory pressure callback for '{}' threw: {}", crossing.name,
                             exception.what());
            } catch (...) {
                logger.error("Memory pressure callback for '{}' threw", crossing.name);
            }
            {
                std::lock_guard lock(mutex);
                const auto this_thread = std::this_thread::get_id();
                running_callbacks.erase(
                    std::find_if(running_callbacks.begin(), running_callbacks.end(),
                                 [&](const RunningCallback& running) {
                                     return running.id == entry.id && running.thread == this_thread;
                                 }));
            }
            callback_finished.notify_all();
        }
    }
};

MemoryBudget::MemoryBudget() : impl_(std::make_unique<Impl>()) {}
MemoryBudget::~MemoryBudget() = default;

void MemoryBudget::report(std::string_view name, std::size_t current_bytes, std::size_t count) {
    Crossings crossings;
    {
        std::lock_guard lock(impl_->mutex);
        const std::size_t rows_before = impl_->subsystems.size();
        Subsystem& row = impl_->find_or_add(name);
        if (impl_->subsystems.size() != rows_before) {
            impl_->check_new_report_name(name, crossings);
        }
        impl_->check_new_tags(crossings);
        impl_->exact_total = impl_->exact_total - row.memory.current_bytes + current_bytes;
        impl_->total_current = static_cast<std::size_t>(
            std::min<uint128>(impl_->exact_total, std::numeric_limits<std::size_t>::max()));
        impl_->total_peak = std::max(impl_->total_peak, impl_->total_current);
        row.memory.current_bytes = current_bytes;
        row.memory.allocation_count = count;
        row.memory.peak_bytes = std::max(row.memory.peak_bytes, current_bytes);
        impl_->check_subsystem(name, row, crossings);
        impl_->check_total(crossings);
    }
    impl_->announce(crossings);
}

void MemoryBudget::set_budget(std::string_view name, std::size_t budget_bytes) {
    impl_->change_row(name, [&](Subsystem& row, Crossings& crossings) {
        row.memory.budget_bytes = budget_bytes;
        impl_->check_subsystem(name, row, crossings);
    });
}

void MemoryBudget::set_total_budget(std::size_t bytes) {
    Crossings crossings;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->total_budget = bytes;
        impl_->check_total(crossings);
    }
    impl_->announce(crossings);
}

void MemoryBudget::set_warning_threshold(float fraction) {
    // Also false for NaN.
    if (!(fraction >= kMinWarningThreshold && fraction <= 1.0f)) {
        memory_logger()->error("Ignoring memory warning threshold {}: it must be in [{}, 1]",
                               fraction, kMinWarningThreshold);
        return;
    }
    Crossings crossings;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->warning_threshold = fraction;
        impl_->exact_threshold = to_decimal_fraction(fraction);
        for (auto& [name, row] : impl_->subsystems) {
            impl_->check_subsystem(name, row, crossings);
            impl_->check_gpu(name, row, crossings);
            impl_->check_churn(name, row, crossings);
        }
    }
    impl_->announce(crossings);
}

bool MemoryBudget::is_over_budget(std::string_view name) const {
    std::lock_guard lock(impl_->mutex);
    const auto row = impl_->subsystems.find(name);
    return row != impl_->subsystems.end() && impl_->is_over(row->second.memory);
}

std::size_t MemoryBudget::total_current() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->total_current;
}

std::size_t MemoryBudget::total_peak() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->total_peak;
}

std::size_t MemoryBudget::total_budget() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->total_budget;
}

float MemoryBudget::warning_threshold() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->warning_threshold;
}

std::size_t MemoryBudget::warning_threshold_bytes(std::size_t budget_bytes) const {
    std::lock_guard lock(impl_->mutex);
    return threshold_bytes(budget_bytes, impl_->exact_threshold);
}

std::optional<SubsystemMemory> MemoryBudget::subsystem(std::string_view name) const {
    std::lock_guard lock(impl_->mutex);
    const auto row = impl_->subsystems.find(name);
    if (row == impl_->subsystems.end()) {
        return std::nullopt;
    }
    return row->second.memory;
}

std::vector<std::pair<std::string, SubsystemMemory>> MemoryBudget::subsystems() const {
    std::lock_guard lock(impl_->mutex);
    std::vector<std::pair<std::string, SubsystemMemory>> rows;
    rows.reserve(impl_->subsystems.size());
    for (const auto& [name, row] : impl_->subsystems) {
        rows.emplace_back(name, row.memory);
    }
    return rows;
}

void MemoryBudget::visit_subsystems(SubsystemVisitor visitor, void* context) const {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [name, row] : impl_->subsystems) {
        visitor(context, name, row.memory, impl_->is_over(row.memory));
    }
}

void MemoryBudget::end_frame() {
    Crossings crossings;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->frame_rows.clear();
        impl_->frame_tags.clear();
        for (auto& [name, row] : impl_->subsystems) {
            if (!row.has_tag) {
                row.has_tag = find_memory_tag(name, row.tag);
            }
            if (row.has_tag) {
                impl_->frame_rows.push_back(&row);
                impl_->frame_tags.push_back(row.tag);
            }
        }
        impl_->frame_stats.resize(impl_->frame_tags.size());
        // One fold of every thread for all rows: a lock per row would cost a fold per row.
        allocator_stats(impl_->frame_tags, impl_->frame_stats);
        for (std::size_t i = 0; i < impl_->frame_rows.size(); ++i) {
            Subsystem& row = *impl_->frame_rows[i];
            const AllocatorStats& stats = impl_->frame_stats[i];
            if (row.has_baseline) {
                row.memory.frame_allocations = stats.allocation_count - row.baseline_allocations;
                row.memory.frame_allocated_bytes =
                    stats.cumulative_allocated_bytes - row.baseline_allocated_bytes;
            }
            row.has_baseline = true;
            row.baseline_allocations = stats.allocation_count;
            row.baseline_allocated_bytes = stats.cumulative_allocated_bytes;
            row.memory.gpu_bytes = gpu_stats(row.tag).allocated_bytes;
        }
        for (auto& [name, row] : impl_->subsystems) {
            impl_->check_gpu(name, row, crossings);
            impl_->check_churn(name, row, crossings);
        }
    }
    impl_->announce(crossings);
}

FrameChurn MemoryBudget::frame_churn(std::string_view name) const {
    std::lock_guard lock(impl_->mutex);
    const auto row = impl_->subsystems.find(name);
    if (row == impl_->subsystems.end()) {
        return {};
    }
    return {row->second.memory.frame_allocations, row->second.memory.frame_allocated_bytes};
}

void MemoryBudget::set_churn_budget(std::string_view name, std::size_t allocations_per_frame) {
    impl_->change_row(name, [&](Subsystem& row, Crossings& crossings) {
        row.memory.churn_budget = allocations_per_frame;
        impl_->check_churn(name, row, crossings);
    });
}

void MemoryBudget::set_gpu_budget(std::string_view name, std::size_t bytes) {
    impl_->change_row(name, [&](Subsystem& row, Crossings& crossings) {
        row.memory.gpu_budget_bytes = bytes;
        impl_->check_gpu(name, row, crossings);
    });
}

bool MemoryBudget::is_over_churn_budget(std::string_view name) const {
    std::lock_guard lock(impl_->mutex);
    const auto row = impl_->subsystems.find(name);
    return row != impl_->subsystems.end() &&
           impl_->is_over(row->second.memory.frame_allocations, row->second.memory.churn_budget);
}

bool MemoryBudget::is_over_gpu_budget(std::string_view name) const {
    std::lock_guard lock(impl_->mutex);
    const auto row = impl_->subsystems.find(name);
    return row != impl_->subsystems.end() &&
           impl_->is_over(row->second.memory.gpu_bytes, row->second.memory.gpu_budget_bytes);
}

PressureCallbackId MemoryBudget::add_pressure_callback(std::string_view subsystem,
                                                       PressureCallback callback) {
    std::lock_guard lock(impl_->mutex);
    const PressureCallbackId id = impl_->next_callback_id++;
    impl_->callbacks.push_back({id, std::string(subsystem),
                                std::make_shared<const PressureCallback>(std::move(callback))});
    return id;
}

void MemoryBudget::remove_pressure_callback(PressureCallbackId id) {
    std::unique_lock lock(impl_->mutex);
    std::erase_if(impl_->callbacks,
                  [id](const RegisteredCallback& entry) { return entry.id == id; });
    impl_->callback_finished.wait(lock, [&] { return !impl_->is_running_on_another_thread(id); });
}

void MemoryBudget::reset_peaks() {
    std::lock_guard lock(impl_->mutex);
    for (auto& [name, row] : impl_->subsystems) {
        row.memory.peak_bytes = row.memory.current_bytes;
    }
    impl_->total_peak = impl_->total_current;
}

void MemoryBudget::log_peak_summary() const {
    std::vector<std::pair<std::string, SubsystemMemory>> rows;
    SubsystemMemory total;
    {
        std::lock_guard lock(impl_->mutex);
        for (const auto& [name, row] : impl_->subsystems) {
            rows.emplace_back(name, row.memory);
        }
        total.current_bytes = impl_->total_current;
        total.peak_bytes = impl_->total_peak;
        total.budget_bytes = impl_->total_budget;
    }
    const auto budget_text = [](std::size_t bytes) {
        return bytes > 0 ? format_memory(bytes) : std::string("none");
    };
    const auto logger = memory_logger();
    for (const auto& [name, memory] : rows) {
        logger->info("Subsystem '{}' peak {} (current {}, budget {})", name,
                     format_memory(memory.peak_bytes), format_memory(memory.current_bytes),
                     budget_text(memory.budget_bytes));
    }
    logger->info("Tracked total peak {} (current {}, budget {})", format_memory(total.peak_bytes),
                 format_memory(total.current_bytes), budget_text(total.budget_bytes));
    if (tracking_allocator_enabled()) {
        const AllocatorStats stats = allocator_stats();
        // The tracker's own memory is not in the program's peak: it is the overhead, the same
        // number as the panel's and the snapshot's.
        logger->info("Allocator peak {} (current {}, {} live allocations); tracking overhead {}",
                     format_memory(stats.peak_allocated_bytes),
                     format_memory(stats.allocated_bytes), stats.live_allocations(),
                     format_memory(tracking_overhead_bytes()));
    }
}

void configure_default_budgets(MemoryBudget& budget) {
    budget.set_warning_threshold(kDefaultWarningThreshold);
    budget.set_total_budget(4096 * kMiB);
    budget.set_budget("Chunks", 1024 * kMiB);
    budget.set_budget("Meshes", 512 * kMiB);
    budget.set_budget("Textures", 512 * kMiB);
    budget.set_budget("Entities", 256 * kMiB);
    budget.set_budget("Audio", 128 * kMiB);
    budget.set_budget("Physics", 256 * kMiB);
}

}  // namespace nebula::debug
