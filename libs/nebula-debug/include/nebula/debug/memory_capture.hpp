// A capture: the budget's rows, the allocator's totals and the resident memory over a whole run,
// one CSV row per sample interval, for looking at a playtest afterwards
// (tools/nebula-memreport plot, a spreadsheet, pandas).
//
//   nebula::debug::MemoryCapture capture;
//   std::string error;
//   if (!capture.open("memory.csv", &error)) { log(error); }   // the run goes on without it
//   ... every frame:  capture.sample(budget, seconds_since_start);
//   ... at the end:   capture.close();
#pragma once

#include <nebula/debug/memory_budget.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace nebula::debug {

struct MemoryCaptureOptions {
    // A row is written when the caller's clock has moved at least this far since the last row.
    double interval_seconds = 1.0;
    // resident_breakdown() walks every mapping of the process (0.2-2 ms, docs/benchmarks.md),
    // hundreds of times what the rest of a row costs, so it is read at most this often: the
    // first row reads it, and so does every later row that comes at least this long after the
    // last reading. The other rows leave the resident columns empty (never repeat an old value).
    // Set it to interval_seconds to read it on every row; 0 behaves the same.
    double resident_interval_seconds = 5.0;
};

// Writes a CSV file (RFC 4180, '\n' line ends, UTF-8). The first line names every column:
//
//   time_s                      the `now_seconds` the row was sampled at (3 decimals)
//   <name>/current_bytes        for every subsystem of the budget at the first row, in name
//   <name>/allocator_bytes      order: what it reports, what the allocator holds under the tag
//   <name>/budget_bytes         of its name (0 without tracking or before the tag exists), its
//   <name>/gpu_bytes            budget (0 = unbudgeted), its tag's GPU bytes (gpu_memory.hpp) and
//   <name>/frame_allocations    its allocations in the last frame (MemoryBudget::end_frame)
//   other_subsystems_bytes      the current bytes of subsystems that first reported after the
//                               first row (their own columns would change the file's shape)
//   tracked_total_bytes         MemoryBudget::total_current()
//   total_budget_bytes          MemoryBudget::total_budget()
//   allocated_bytes, peak_allocated_bytes, allocation_count, deallocation_count
//                               allocator_stats(), the whole process (zeros without tracking)
//   resident_bytes, heap_bytes, code_bytes, file_bytes, stack_bytes, gpu_bytes,
//   other_anonymous_bytes, other_bytes
//                               resident_breakdown(), empty on rows that did not read it
//
// The columns are fixed by the first row, so every row has the same cells and any CSV reader
// takes the file; a subsystem that appears later is counted in other_subsystems_bytes (and in
// tracked_total_bytes), and the first such name is logged once to "nebula.memory". Names are
// quoted as RFC 4180 says when they hold a comma, a quote or a line break; a reader splits a
// subsystem's column name at its last '/', so a name may hold one too.
//
// Cost: open() and the first row allocate (the column list, the file's buffer); after that a
// row allocates nothing and costs about half a microsecond with six subsystems (measured in
// docs/benchmarks.md; each subsystem adds an allocator_stats(tag) read, which folds every
// thread's counters), plus resident_breakdown() on the rows that read it. A sample() call
// between rows only compares the clock. Rows go through the C library's buffered writer: the
// file is at most one buffer (a few KiB, some 20 rows) behind, and complete after close().
//
// A write that fails (disk full, a removed USB stick) is logged once to "nebula.memory" and
// ends the capture: the file is closed, later sample() calls do nothing, error() says why, and
// the program goes on.
//
// Not thread-safe: one thread samples (the budget it reads may be reported to from any thread).
class MemoryCapture {
public:
    MemoryCapture() = default;
    ~MemoryCapture();  // close()
    MemoryCapture(const MemoryCapture&) = delete;
    MemoryCapture& operator=(const MemoryCapture&) = delete;

    // Creates or replaces `path` (closing a capture already open). Returns false, with a message
    // naming the path and the reason in `*error` (when not null) and in error(), if the file
    // cannot be created; nothing is logged then, the caller decides.
    bool open(const std::string& path, std::string* error = nullptr);
    bool open(const std::string& path, const MemoryCaptureOptions& options,
              std::string* error = nullptr);
    // Writes a row when one is due: on the first call after open() (with the header before it),
    // then whenever `now_seconds` has reached the next due time, interval_seconds after the last
    // (a clock that jumps ahead gives one row, not a burst; an interval of 0 or less writes on
    // every call). Returns true when it wrote a row. Call it as often as convenient, every frame
    // included; the clock is the caller's (wall, game or simulated time).
    bool sample(const MemoryBudget& budget, double now_seconds);
    // Writes what the buffer holds and closes the file. Returns false, with error() set, if
    // that write failed (logged as a failed row is); true if it succeeded or nothing was open.
    bool close();

    bool is_open() const { return file_ != nullptr; }
    std::size_t rows_written() const { return rows_; }
    const std::string& path() const { return path_; }
    // Why open() or a write failed; empty while all is well.
    const std::string& error() const { return error_; }

private:
    struct Column {
        std::string name;
        MemoryTag tag;  // the tag of the subsystem's name, once it exists
        bool has_tag = false;
        SubsystemMemory memory;  // this row's values, copied under the budget's lock
    };

    void start_columns(const MemoryBudget& budget);
    bool write_header();
    bool write_row(const MemoryBudget& budget, double now_seconds, bool read_resident);
    bool fail(int error_number);

    std::FILE* file_ = nullptr;
    std::string path_;
    std::string error_;
    MemoryCaptureOptions options_;
    std::vector<Column> columns_;
    std::string line_;       // one row, its capacity reserved at the first
    std::string late_name_;  // the first subsystem without columns, for the one warning
    bool started_ = false;
    bool warned_late_subsystem_ = false;
    double next_row_seconds_ = 0.0;
    double next_resident_seconds_ = 0.0;
    std::size_t rows_ = 0;
};

}  // namespace nebula::debug
