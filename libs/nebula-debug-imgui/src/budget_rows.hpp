// Reads a MemoryBudget's rows every frame without allocating in the steady state.
#pragma once

#include <nebula/debug/memory_tracking.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace nebula::debug::imgui::detail {

struct BudgetRow {
    std::string name;
    SubsystemMemory memory;
    bool over_budget = false;
};

// The rows as MemoryBudget::for_each_subsystem last listed them. Refreshing allocates only when a
// subsystem appeared (its name is copied once).
class BudgetRowCache {
public:
    // Returns true when the set of rows changed (their names or order), so that whatever the
    // caller keeps per row must be rebuilt.
    bool refresh(const MemoryBudget& budget);

    const std::vector<BudgetRow>& rows() const noexcept { return rows_; }
    std::size_t total_current() const noexcept { return total_current_; }

private:
    std::vector<BudgetRow> rows_;  // sorted by name, as the budget lists them
    std::size_t total_current_ = 0;
};

}  // namespace nebula::debug::imgui::detail
