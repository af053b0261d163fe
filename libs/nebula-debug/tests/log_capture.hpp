// Captures what nebula-debug logs to "nebula.memory" while a LogCapture lives.
#pragma once

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

namespace nebula::debug::testing {

// Registers a "nebula.memory" logger writing into a ring buffer; the logger registered before
// (if any) is put back on destruction, so tests do not leak into each other.
class LogCapture {
public:
    LogCapture()
        : previous_(spdlog::get(kLoggerName)),
          sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(kCapacity)) {
        spdlog::drop(kLoggerName);
        auto logger = std::make_shared<spdlog::logger>(kLoggerName, sink_);
        logger->set_level(spdlog::level::trace);
        spdlog::register_logger(logger);
    }
    ~LogCapture() {
        spdlog::drop(kLoggerName);
        if (previous_) {
            spdlog::register_logger(previous_);
        }
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    // The messages (without pattern decoration) logged at `level`, oldest first.
    std::vector<std::string> messages(spdlog::level::level_enum level) const {
        std::vector<std::string> result;
        for (const auto& message : sink_->last_raw()) {
            if (message.level == level) {
                result.emplace_back(message.payload.data(), message.payload.size());
            }
        }
        return result;
    }
    std::vector<std::string> warnings() const { return messages(spdlog::level::warn); }
    std::vector<std::string> errors() const { return messages(spdlog::level::err); }

private:
    static constexpr const char* kLoggerName = "nebula.memory";
    static constexpr std::size_t kCapacity = 4096;

    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace nebula::debug::testing
