// The seed's name for the budgets header: code written against it keeps compiling. New code
// includes memory_budget.hpp.
#pragma once

#include <nebula/debug/memory_budget.hpp>  // IWYU pragma: export
