// The spdlog logger every budget warning and config error goes to.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string_view>

namespace nebula::debug {

inline constexpr std::string_view kMemoryLoggerName = "nebula.memory";

// The logger registered as "nebula.memory", looked up on every call so that an application or a
// test may register its own (file sink, test sink) at any time. When none is registered, a
// coloured stderr logger is created and registered under that name.
std::shared_ptr<spdlog::logger> memory_logger();

}  // namespace nebula::debug
