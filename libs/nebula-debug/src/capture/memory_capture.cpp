#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/memory_capture.hpp>
#include <nebula/debug/process_memory.hpp>

#include "budget/memory_log.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <system_error>

namespace nebula::debug {
namespace {

constexpr std::string_view kSubsystemFields[] = {"current_bytes", "allocator_bytes", "budget_bytes",
                                                 "gpu_bytes", "frame_allocations"};
constexpr std::string_view kTotalsHeader =
    "other_subsystems_bytes,tracked_total_bytes,total_budget_bytes,allocated_bytes,"
    "peak_allocated_bytes,allocation_count,deallocation_count,resident_bytes,heap_bytes,"
    "code_bytes,file_bytes,stack_bytes,gpu_bytes,other_anonymous_bytes,other_bytes";
// Cells after time_s besides the subsystems' (the header above).
constexpr std::size_t kTotalsCells = 15;
// The longest cell: a 64-bit count has 20 digits, and so has a time of 10^15 s with 3 decimals
// (a time that does not fit leaves its cell empty).
constexpr std::size_t kMaxCellChars = 24;

// RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled.
void append_csv_field(std::string& line, std::string_view field) {
    if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
        line += field;
        return;
    }
    line += '"';
    for (const char c : field) {
        if (c == '"') {
            line += '"';
        }
        line += c;
    }
    line += '"';
}

void append_number(std::string& line, std::size_t value) {
    char text[kMaxCellChars];
    const auto result = std::to_chars(std::begin(text), std::end(text), value);
    line += ',';
    line.append(text, result.ptr);
}

}  // namespace

MemoryCapture::~MemoryCapture() {
    close();
}

bool MemoryCapture::open(const std::string& path, std::string* error) {
    return open(path, MemoryCaptureOptions{}, error);
}

bool MemoryCapture::open(const std::string& path, const MemoryCaptureOptions& options,
                         std::string* error) {
    close();
    path_ = path;
    error_.clear();
    options_ = options;
    columns_.clear();
    started_ = false;
    warned_late_subsystem_ = false;
    rows_ = 0;
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) {
        error_ = "cannot write the memory capture '" + path +
                 "': " + std::generic_category().message(errno);
        if (error != nullptr) {
            *error = error_;
        }
        return false;
    }
    return true;
}

bool MemoryCapture::sample(const MemoryBudget& budget, double now_seconds) {
    if (file_ == nullptr) {
        return false;
    }
    if (started_ && !(now_seconds >= next_row_seconds_)) {
        return false;
    }
    const bool read_resident = !started_ || now_seconds >= next_resident_seconds_;
    if (!started_) {
        start_columns(budget);
        started_ = true;
        if (!write_header()) {
            return false;
        }
        next_row_seconds_ = now_seconds;
    }
    next_row_seconds_ += options_.interval_seconds;
    if (next_row_seconds_ <= now_seconds) {
        next_row_seconds_ = now_seconds + options_.interval_seconds;
    }
    if (read_resident) {
        next_resident_seconds_ = now_seconds + options_.resident_interval_seconds;
    }
    return write_row(budget, now_seconds, read_resident);
}

bool MemoryCapture::close() {
    if (file_ == nullptr) {
        return true;
    }
    std::FILE* file = file_;
    file_ = nullptr;
    const bool flushed = std::fflush(file) == 0;
    const int flush_error = errno;
    const bool closed = std::fclose(file) == 0;
    if (!flushed || !closed) {
        return fail(flushed ? errno : flush_error);
    }
    return true;
}

void MemoryCapture::start_columns(const MemoryBudget& budget) {
    budget.for_each_subsystem([&](std::string_view name, const SubsystemMemory&, bool) {
        columns_.push_back({std::string(name), kUntagged, false, {}});
    });
    // Reserved once so that no later row reallocates the line: every cell at its longest.
    line_.reserve((1 + columns_.size() * std::size(kSubsystemFields) + kTotalsCells) *
                  (kMaxCellChars + 1));
}

bool MemoryCapture::write_header() {
    line_ = "time_s";
    for (const Column& column : columns_) {
        for (const std::string_view field : kSubsystemFields) {
            line_ += ',';
            append_csv_field(line_, column.name + "/" + std::string(field));
        }
    }
    line_ += ',';
    line_ += kTotalsHeader;
    line_ += '\n';
    if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) {
        return fail(errno);
    }
    return true;
}

bool MemoryCapture::write_row(const MemoryBudget& budget, double now_seconds, bool read_resident) {
    // Copied under the budget's lock, read against the allocator after it: the allocator's
    // statistics fold every thread's counters, which should not hold up reporting threads.
    std::size_t other_subsystems_bytes = 0;
    bool late_subsystem = false;
    for (Column& column : columns_) {
        column.memory = {};
    }
    std::size_t next_column = 0;
    budget.for_each_subsystem([&](std::string_view name, const SubsystemMemory& memory, bool) {
        // Both lists are in name order and rows never leave a budget: a merge finds each one.
        while (next_column < columns_.size() && columns_[next_column].name < name) {
            ++next_column;
        }
        if (next_column < columns_.size() && columns_[next_column].name == name) {
            columns_[next_column++].memory = memory;
            return;
        }
        other_subsystems_bytes += memory.current_bytes;
        if (!warned_late_subsystem_ && !late_subsystem) {
            late_subsystem = true;
            late_name_ = name;
        }
    });
    if (late_subsystem) {
        warned_late_subsystem_ = true;
        memory_logger()->warn(
            "Memory capture '{}': subsystem '{}' first reported after the capture's first row; "
            "its bytes go to other_subsystems_bytes",
            path_, late_name_);
    }

    line_.clear();
    char text[kMaxCellChars];
    const auto time =
        std::to_chars(std::begin(text), std::end(text), now_seconds, std::chars_format::fixed, 3);
    if (time.ec == std::errc{}) {
        line_.append(text, time.ptr);
    }
    for (Column& column : columns_) {
        if (!column.has_tag) {
            column.has_tag = find_memory_tag(column.name, column.tag);
        }
        const std::size_t allocator_bytes =
            column.has_tag ? allocator_stats(column.tag).allocated_bytes : 0;
        append_number(line_, column.memory.current_bytes);
        append_number(line_, allocator_bytes);
        append_number(line_, column.memory.budget_bytes);
        append_number(line_, column.has_tag ? gpu_stats(column.tag).allocated_bytes : 0);
        append_number(line_, column.memory.frame_allocations);
    }
    append_number(line_, other_subsystems_bytes);
    append_number(line_, budget.total_current());
    append_number(line_, budget.total_budget());
    const AllocatorStats allocator = allocator_stats();
    append_number(line_, allocator.allocated_bytes);
    append_number(line_, allocator.peak_allocated_bytes);
    append_number(line_, allocator.allocation_count);
    append_number(line_, allocator.deallocation_count);
    if (read_resident) {
        const ResidentBreakdown resident = resident_breakdown();
        for (const std::size_t bytes :
             {resident.resident_bytes, resident.heap_bytes, resident.code_bytes,
              resident.file_bytes, resident.stack_bytes, resident.gpu_bytes,
              resident.other_anonymous_bytes, resident.other_bytes}) {
            append_number(line_, bytes);
        }
    } else {
        line_.append(8, ',');
    }
    line_ += '\n';
    if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) {
        return fail(errno);
    }
    ++rows_;
    return true;
}

bool MemoryCapture::fail(int error_number) {
    error_ = "cannot write the memory capture '" + path_ +
             "': " + std::generic_category().message(error_number);
    memory_logger()->error("{}; capture stopped", error_);
    if (file_ != nullptr) {
        std::fclose(file_);
        file_ = nullptr;
    }
    return false;
}

}  // namespace nebula::debug
