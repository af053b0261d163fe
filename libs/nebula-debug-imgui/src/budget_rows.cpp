#include "budget_rows.hpp"

namespace nebula::debug::imgui::detail {

bool BudgetRowCache::refresh(const MemoryBudget& budget) {
    bool changed = false;
    std::size_t index = 0;
    total_current_ = 0;
    budget.for_each_subsystem(
        [&](std::string_view name, const SubsystemMemory& memory, bool over_budget) {
            if (index == rows_.size() || rows_[index].name != name) {
                rows_.insert(rows_.begin() + static_cast<std::ptrdiff_t>(index),
                             BudgetRow{std::string(name), {}, false});
                changed = true;
            }
            rows_[index].memory = memory;
            rows_[index].over_budget = over_budget;
            total_current_ += memory.current_bytes;
            ++index;
        });
    // Rows are never removed from a budget; this only trims rows read from another budget.
    if (index != rows_.size()) {
        rows_.resize(index);
        changed = true;
    }
    return changed;
}

}  // namespace nebula::debug::imgui::detail
