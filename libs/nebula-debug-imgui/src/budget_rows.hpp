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

// MemoryBudget::subsystems() allocates a vector (and long names), so the rows are cached by name
// and re-read one by one with MemoryBudget::subsystem(). The budget offers no way to learn that a
// subsystem was added, but a new subsystem with any bytes makes the cached rows' sum fall short
// of total_current(); only then is subsystems() called again. A subsystem added later that has
// never reported a byte shows up at the next such rediscovery.
class BudgetRowCache {
public:
    // Returns true when the set of rows changed (their names or order), so that whatever the
    // caller keeps per row must be rebuilt.
    bool refresh(const MemoryBudget& budget);

    const std::vector<BudgetRow>& rows() const noexcept { return rows_; }
    std::size_t total_current() const noexcept { return total_current_; }

private:
    bool cached_rows_account_for(const MemoryBudget& budget);
    bool rediscover(const MemoryBudget& budget);

    std::vector<BudgetRow> rows_;  // sorted by name, as subsystems() returns them
    std::size_t total_current_ = 0;
};

}  // namespace nebula::debug::imgui::detail
