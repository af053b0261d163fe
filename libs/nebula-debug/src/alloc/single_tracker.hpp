// Whether this copy of the tracker is the process's, and whether valgrind took its place
// (single_tracker.cpp).
#pragma once

#include "platform/visibility.hpp"

NEBULA_INTERNAL_BEGIN

namespace nebula::debug::detail {

// Says on standard error when this copy is not the process's tracker, naming both, and when
// valgrind replaced operator new and malloc. A start-up step (start_up.cpp).
void check_single_tracker() noexcept;

}  // namespace nebula::debug::detail

NEBULA_INTERNAL_END
