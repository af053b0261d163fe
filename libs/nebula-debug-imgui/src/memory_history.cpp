#include <nebula/debug/imgui/memory_panel.hpp>

#include "budget_rows.hpp"

#include <algorithm>
#include <limits>

namespace nebula::debug::imgui {
namespace {

constexpr std::size_t kNoHistoryRow = std::numeric_limits<std::size_t>::max();
constexpr float kBytesPerMib = 1024.0f * 1024.0f;

MemoryHistory::Config sanitized(MemoryHistory::Config config) {
    config.samples_per_window = std::clamp<std::size_t>(config.samples_per_window, 2, 1 << 16);
    config.max_subsystems = std::min<std::size_t>(config.max_subsystems, 1 << 12);
    if (!(config.window_seconds > 0.0)) {
        config.window_seconds = MemoryHistory::Config{}.window_seconds;
    }
    return config;
}

}  // namespace

MemoryHistory::MemoryHistory() : MemoryHistory(Config{}) {}

MemoryHistory::MemoryHistory(const Config& config)
    : config_(sanitized(config)),
      budget_rows_(std::make_unique<detail::BudgetRowCache>()),
      samples_mib_(config_.max_subsystems * config_.samples_per_window, 0.0f),
      churn_samples_(samples_mib_.size(), 0.0f) {
    rows_.reserve(config_.max_subsystems);
    row_of_budget_row_.reserve(config_.max_subsystems);
}

MemoryHistory::~MemoryHistory() = default;

bool MemoryHistory::due(double now_seconds) {
    const double interval =
        config_.window_seconds / static_cast<double>(config_.samples_per_window);
    if (last_sample_seconds_ && now_seconds - *last_sample_seconds_ < interval) {
        return false;
    }
    last_sample_seconds_ = now_seconds;
    return true;
}

std::optional<std::size_t> MemoryHistory::row_for(std::string_view name) {
    std::optional<std::size_t> row = find(name);
    if (!row && rows_.size() < config_.max_subsystems) {
        row = rows_.size();
        rows_.push_back(Row{std::string(name)});
    }
    return row;
}

void MemoryHistory::push(std::size_t row_index, std::size_t current_bytes,
                         std::size_t frame_allocations) {
    const auto capacity = static_cast<int>(config_.samples_per_window);
    Row& row = rows_[row_index];
    const std::size_t start = row_index * config_.samples_per_window;
    float* ring = &samples_mib_[start];
    float* churn = &churn_samples_[start];
    ring[row.next] = static_cast<float>(current_bytes) / kBytesPerMib;
    churn[row.next] = static_cast<float>(frame_allocations);
    row.next = (row.next + 1) % capacity;
    row.count = std::min(row.count + 1, capacity);
    row.max_mib = *std::max_element(ring, ring + row.count);
    row.max_allocations = *std::max_element(churn, churn + row.count);
}

void MemoryHistory::sample(const MemoryBudget& budget, double now_seconds) {
    if (!due(now_seconds)) {
        return;
    }
    if (budget_rows_->refresh(budget)) {
        row_of_budget_row_.clear();
        for (const detail::BudgetRow& budget_row : budget_rows_->rows()) {
            row_of_budget_row_.push_back(row_for(budget_row.name).value_or(kNoHistoryRow));
        }
    }
    const std::vector<detail::BudgetRow>& budget_rows = budget_rows_->rows();
    for (std::size_t i = 0; i < budget_rows.size() && i < row_of_budget_row_.size(); ++i) {
        if (row_of_budget_row_[i] != kNoHistoryRow) {
            push(row_of_budget_row_[i], budget_rows[i].memory.current_bytes,
                 budget_rows[i].memory.frame_allocations);
        }
    }
}

// A model's rows are looked up by name at each sample, a few times a second: models come from
// polls and files, whose rows may change between two samples.
void MemoryHistory::sample(const MemoryPanelModel& model, double now_seconds) {
    if (!due(now_seconds)) {
        return;
    }
    for (const MemoryPanelRow& model_row : model.rows) {
        if (const std::optional<std::size_t> row = row_for(model_row.name)) {
            push(*row, model_row.memory.current_bytes, model_row.memory.frame_allocations);
        }
    }
}

std::optional<std::size_t> MemoryHistory::find(std::string_view subsystem) const {
    const auto found = std::find_if(rows_.begin(), rows_.end(),
                                    [subsystem](const Row& row) { return row.name == subsystem; });
    if (found == rows_.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(found - rows_.begin());
}

HistorySeries MemoryHistory::series(std::size_t row) const {
    if (row >= rows_.size()) {
        return {};
    }
    const Row& history = rows_[row];
    const bool full = history.count == static_cast<int>(config_.samples_per_window);
    return HistorySeries{
        .values_mib = &samples_mib_[row * config_.samples_per_window],
        .count = history.count,
        .offset = full ? history.next : 0,
        .max_mib = history.max_mib,
    };
}

ChurnSeries MemoryHistory::churn_series(std::size_t row) const {
    if (row >= rows_.size()) {
        return {};
    }
    const Row& history = rows_[row];
    const bool full = history.count == static_cast<int>(config_.samples_per_window);
    return ChurnSeries{
        .allocations = &churn_samples_[row * config_.samples_per_window],
        .count = history.count,
        .offset = full ? history.next : 0,
        .max_allocations = history.max_allocations,
    };
}

std::optional<HistorySeries> MemoryHistory::series(std::string_view subsystem) const {
    const std::optional<std::size_t> row = find(subsystem);
    if (!row || rows_[*row].count == 0) {
        return std::nullopt;
    }
    return series(*row);
}

}  // namespace nebula::debug::imgui
