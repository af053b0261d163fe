// --headless: no window; the memory table in the terminal once a simulated second.
#pragma once

#include "options.hpp"
#include "session.hpp"

namespace nebula::demo {

// Returns the process exit status.
int run_headless(const DemoOptions& options, DemoSession& session);

}  // namespace nebula::demo
