#include "budget_rows.hpp"

#include <algorithm>
#include <optional>

namespace nebula::debug::imgui::detail {

bool BudgetRowCache::refresh(const MemoryBudget& budget) {
    const bool changed = !cached_rows_account_for(budget) && rediscover(budget);
    for (BudgetRow& row : rows_) {
        row.over_budget = budget.is_over_budget(row.name);
    }
    return changed;
}

bool BudgetRowCache::cached_rows_account_for(const MemoryBudget& budget) {
    total_current_ = budget.total_current();
    if (rows_.empty()) {
        // Rows set up with a budget but no bytes yet (configure_default_budgets) must show from
        // the first frame; while the budget itself is empty, subsystems() returns an empty vector.
        return false;
    }
    std::size_t cached_sum = 0;
    for (BudgetRow& row : rows_) {
        const std::optional<SubsystemMemory> memory = budget.subsystem(row.name);
        if (!memory) {
            return false;
        }
        row.memory = *memory;
        cached_sum += memory->current_bytes;
    }
    return cached_sum == total_current_;
}

bool BudgetRowCache::rediscover(const MemoryBudget& budget) {
    std::vector<std::pair<std::string, SubsystemMemory>> subsystems = budget.subsystems();
    const bool same_names = std::equal(
        rows_.begin(), rows_.end(), subsystems.begin(), subsystems.end(),
        [](const BudgetRow& row, const auto& subsystem) { return row.name == subsystem.first; });
    rows_.resize(subsystems.size());
    total_current_ = 0;
    for (std::size_t i = 0; i < subsystems.size(); ++i) {
        rows_[i].name = std::move(subsystems[i].first);
        rows_[i].memory = subsystems[i].second;
        total_current_ += subsystems[i].second.current_bytes;
    }
    return !same_names;
}

}  // namespace nebula::debug::imgui::detail
