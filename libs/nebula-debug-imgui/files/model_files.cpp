// Models read from elsewhere: a snapshot document (memory_snapshot.hpp) and a capture
// (memory_capture.hpp). Thresholds the document does not carry are worked out by a MemoryBudget
// set to the document's threshold, so that they round exactly as the program's own did.
#include <nebula/debug/imgui/model_files.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace nebula::debug::imgui {
namespace {

using nlohmann::json;

std::string prefixed(std::string_view origin, const std::string& message) {
    return origin.empty() ? message : std::string(origin) + ": " + message;
}

// A field's value, or the default where an older document lacks it; a value of the wrong type
// throws json::type_error, reported as the document's error.
template <typename T>
T value_or(const json& object, const char* key, T fallback) {
    const auto found = object.find(key);
    return found == object.end() || found->is_null() ? fallback : found->get<T>();
}

AllocatorStats allocator_stats_from(const json& object) {
    AllocatorStats stats;
    stats.allocated_bytes = value_or<std::size_t>(object, "allocated_bytes", 0);
    stats.peak_allocated_bytes = value_or<std::size_t>(object, "peak_allocated_bytes", 0);
    stats.allocation_count = value_or<std::size_t>(object, "allocation_count", 0);
    stats.deallocation_count = value_or<std::size_t>(object, "deallocation_count", 0);
    return stats;
}

GpuStats gpu_stats_from(const json& object) {
    const AllocatorStats stats = allocator_stats_from(object);
    return {stats.allocated_bytes, stats.peak_allocated_bytes, stats.allocation_count,
            stats.deallocation_count};
}

AllocationSite site_from(const json& object) {
    AllocationSite site;
    site.tag = value_or<std::string>(object, "tag", "");
    site.frames = value_or<std::vector<std::string>>(object, "frames", {});
    site.lines = value_or<std::vector<std::string>>(object, "lines", {});
    site.system_frames = value_or<std::vector<bool>>(object, "system_frames", {});
    site.live_bytes = value_or<std::size_t>(object, "live_bytes", 0);
    site.live_allocations = value_or<std::size_t>(object, "live_allocations", 0);
    site.allocated_bytes = value_or<std::size_t>(object, "allocated_bytes", 0);
    site.live_samples = value_or<std::size_t>(object, "live_samples", 0);
    return site;
}

// The threshold of each of a row's budgets, as MemoryBudget::warning_threshold_bytes() gives it
// where the document does not say.
void thresholds_from(const json& row, const MemoryBudget& budget, MemoryPanelRow& out) {
    const SubsystemMemory& memory = out.memory;
    out.warning_threshold_bytes = value_or<std::size_t>(
        row, "warning_threshold_bytes", budget.warning_threshold_bytes(memory.budget_bytes));
    out.gpu_warning_threshold_bytes =
        value_or<std::size_t>(row, "gpu_warning_threshold_bytes",
                              budget.warning_threshold_bytes(memory.gpu_budget_bytes));
    out.churn_warning_threshold = value_or<std::size_t>(
        row, "churn_warning_threshold", budget.warning_threshold_bytes(memory.churn_budget));
    out.over_budget = memory.budget_bytes > 0 && memory.current_bytes > out.warning_threshold_bytes;
}

MemoryPanelRow row_from(const json& row, const MemoryBudget& budget) {
    MemoryPanelRow out;
    out.name = row.at("name").get<std::string>();
    SubsystemMemory& memory = out.memory;
    memory.current_bytes = row.at("current_bytes").get<std::size_t>();
    memory.peak_bytes = value_or<std::size_t>(row, "peak_bytes", 0);
    memory.budget_bytes = value_or<std::size_t>(row, "budget_bytes", 0);
    memory.allocation_count = value_or<std::size_t>(row, "allocation_count", 0);
    memory.gpu_bytes = value_or<std::size_t>(row, "gpu_bytes", 0);
    memory.gpu_budget_bytes = value_or<std::size_t>(row, "gpu_budget_bytes", 0);
    memory.frame_allocations = value_or<std::size_t>(row, "frame_allocations", 0);
    memory.frame_allocated_bytes = value_or<std::size_t>(row, "frame_allocated_bytes", 0);
    memory.churn_budget = value_or<std::size_t>(row, "churn_budget", 0);
    thresholds_from(row, budget, out);
    if (const auto allocator = row.find("allocator"); allocator != row.end()) {
        out.allocator = allocator_stats_from(*allocator);
    } else {
        out.allocator.allocated_bytes = value_or<std::size_t>(row, "allocator_bytes", 0);
    }
    if (const auto gpu = row.find("gpu"); gpu != row.end()) {
        out.gpu = gpu_stats_from(*gpu);
    } else {
        out.gpu.allocated_bytes = memory.gpu_bytes;
        out.gpu.peak_allocated_bytes = value_or<std::size_t>(row, "gpu_peak_bytes", 0);
    }
    // Older documents say nothing of the tag: one that holds anything exists.
    out.has_tag = value_or<bool>(
        row, "tagged", out.allocator.allocation_count > 0 || out.allocator.allocated_bytes > 0);
    return out;
}

void resident_from(const json& resident, MemoryPanelModel& model) {
    ResidentBreakdown& r = model.resident;
    r.resident_bytes = value_or<std::size_t>(resident, "resident_bytes", 0);
    r.heap_bytes = value_or<std::size_t>(resident, "heap_bytes", 0);
    r.code_bytes = value_or<std::size_t>(resident, "code_bytes", 0);
    r.file_bytes = value_or<std::size_t>(resident, "file_bytes", 0);
    r.stack_bytes = value_or<std::size_t>(resident, "stack_bytes", 0);
    r.gpu_bytes = value_or<std::size_t>(resident, "gpu_bytes", 0);
    r.other_anonymous_bytes = value_or<std::size_t>(resident, "other_anonymous_bytes", 0);
    r.other_bytes = value_or<std::size_t>(resident, "other_bytes", 0);
    r.heap_capped_bytes = value_or<std::size_t>(resident, "heap_capped_bytes", 0);
    model.heap_recognition = value_or<std::string>(resident, "heap_recognition", "");
    r.heap_recognition = "";  // the model's heap_recognition holds it: this is a literal's place
}

void gpu_from(const json& gpu, MemoryPanelModel& model) {
    model.gpu = gpu_stats_from(gpu);
    if (const auto untagged = gpu.find("untagged"); untagged != gpu.end()) {
        model.untagged_gpu = gpu_stats_from(*untagged);
    }
    if (const auto device = gpu.find("device"); device != gpu.end()) {
        GpuDeviceMemory& out = model.gpu_device;
        out.source = value_or<std::string>(*device, "source", "");
        out.device = value_or<std::string>(*device, "device", "");
        out.total_bytes = value_or<std::size_t>(*device, "total_bytes", 0);
        out.used_bytes = value_or<std::size_t>(*device, "used_bytes", 0);
        out.budget_bytes = value_or<std::size_t>(*device, "budget_bytes", 0);
        out.available_bytes = value_or<std::size_t>(*device, "available_bytes", 0);
    }
}

void allocator_from(const json& allocator, MemoryPanelModel& model) {
    model.tracking = value_or<bool>(allocator, "tracking_enabled", false);
    model.allocator = allocator_stats_from(allocator);
    model.tracking_overhead_bytes = value_or<std::size_t>(allocator, "tracking_overhead_bytes", 0);
    model.untagged.allocated_bytes = value_or<std::size_t>(allocator, "untagged_bytes", 0);
    for (const json& tag : value_or<json>(allocator, "tags", json::array())) {
        if (value_or<std::string>(tag, "name", "") == kUntaggedName) {
            model.untagged = allocator_stats_from(tag);
        }
    }
}

void sites_from(const json& document, MemoryPanelModel& model) {
    // Each tag's own list where the document has them; the global top list otherwise.
    const json tag_sites = value_or<json>(document, "tag_sites", json::array());
    if (!tag_sites.empty()) {
        for (const json& tag : tag_sites) {
            for (const json& site : value_or<json>(tag, "sites", json::array())) {
                model.sites.push_back(site_from(site));
            }
        }
        return;
    }
    for (const json& site : value_or<json>(document, "sites", json::array())) {
        model.sites.push_back(site_from(site));
    }
}

void sampling_from(const json& sampling, SamplingStats& stats) {
    stats.samples_recorded = value_or<std::size_t>(sampling, "samples_recorded", 0);
    stats.live_samples = value_or<std::size_t>(sampling, "live_samples", 0);
    stats.samples_dropped = value_or<std::size_t>(sampling, "samples_dropped", 0);
    stats.sites = value_or<std::size_t>(sampling, "sites", 0);
    stats.sites_evicted = value_or<std::size_t>(sampling, "sites_evicted", 0);
    stats.table_bytes = value_or<std::size_t>(sampling, "table_bytes", 0);
}

MemoryPanelModel model_from(const json& document) {
    if (!document.is_object() || !document.contains("subsystems") ||
        !document.at("subsystems").is_array()) {
        throw std::runtime_error("not a memory snapshot (no \"subsystems\" list)");
    }
    MemoryPanelModel model;
    model.warning_threshold = value_or<float>(document, "warning_threshold", 0.85f);
    MemoryBudget thresholds;
    thresholds.set_warning_threshold(model.warning_threshold);
    std::size_t total = 0;
    for (const json& row : document.at("subsystems")) {
        model.rows.push_back(row_from(row, thresholds));
        total += model.rows.back().memory.current_bytes;
    }
    std::sort(model.rows.begin(), model.rows.end(),
              [](const MemoryPanelRow& a, const MemoryPanelRow& b) { return a.name < b.name; });
    model.tracked_total_bytes = value_or<std::size_t>(document, "tracked_total_bytes", total);
    model.total_budget_bytes = value_or<std::size_t>(document, "total_budget_bytes", 0);
    if (const auto allocator = document.find("allocator"); allocator != document.end()) {
        allocator_from(*allocator, model);
    }
    if (const auto resident = document.find("resident"); resident != document.end()) {
        resident_from(*resident, model);
    }
    if (const auto gpu = document.find("gpu"); gpu != document.end()) {
        gpu_from(*gpu, model);
    }
    if (const auto sampling = document.find("sampling"); sampling != document.end()) {
        sampling_from(*sampling, model.sampling);
    }
    model.sampling_interval = value_or<std::size_t>(document, "sampling_interval", 0);
    sites_from(document, model);
    return model;
}

bool read_text(const std::string& path, std::string& text, std::string* error) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        if (error != nullptr) {
            *error = path + ": cannot open: " + std::generic_category().message(errno);
        }
        return false;
    }
    std::ostringstream contents;
    contents << file.rdbuf();
    text = contents.str();
    return true;
}

// RFC 4180 cells of one line (a name quoted for its comma, quote or line break is one cell).
// Returns false on a quote left open: the capture's names never hold a line break in practice,
// and a cell split over lines is reported as a malformed line rather than read wrong.
bool split_csv_line(std::string_view line, std::vector<std::string>& cells) {
    cells.clear();
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            cells.push_back(std::move(cell));
            cell.clear();
        } else {
            cell += c;
        }
    }
    cells.push_back(std::move(cell));
    return !quoted;
}

// An empty cell is a column the row did not read (the resident ones): nullopt.
std::optional<double> number(const std::string& cell, bool& ok) {
    if (cell.empty()) {
        return std::nullopt;
    }
    double value = 0.0;
    const auto [end, status] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    ok = status == std::errc() && end == cell.data() + cell.size() && value >= 0.0;
    return value;
}

// Where a subsystem's columns are: <name>/<field>, split at the last '/'.
struct CaptureColumns {
    std::vector<std::string> names;  // in the file's order, which is name order
    std::map<std::string, std::size_t, std::less<>> index;
};

struct CaptureError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

CaptureColumns capture_columns(const std::vector<std::string>& header) {
    CaptureColumns columns;
    for (std::size_t i = 0; i < header.size(); ++i) {
        columns.index[header[i]] = i;
        const std::size_t slash = header[i].rfind('/');
        if (slash != std::string::npos && header[i].substr(slash + 1) == "current_bytes") {
            columns.names.push_back(header[i].substr(0, slash));
        }
    }
    if (header.empty() || header[0] != "time_s") {
        throw CaptureError("line 1: not a memory capture (the first column is not time_s)");
    }
    return columns;
}

std::size_t cell_bytes(const CaptureColumns& columns, const std::vector<double>& values,
                       const std::string& column) {
    const auto found = columns.index.find(column);
    return found == columns.index.end() ? 0 : static_cast<std::size_t>(values[found->second]);
}

MemoryPanelModel capture_model(const CaptureColumns& columns, const std::vector<double>& values,
                               const MemoryPanelModel* previous) {
    MemoryPanelModel model;
    MemoryBudget thresholds;  // the capture does not record the threshold: the default's
    model.warning_threshold = thresholds.warning_threshold();
    for (const std::string& name : columns.names) {
        MemoryPanelRow row;
        row.name = name;
        row.memory.current_bytes = cell_bytes(columns, values, name + "/current_bytes");
        row.memory.budget_bytes = cell_bytes(columns, values, name + "/budget_bytes");
        row.memory.frame_allocations = cell_bytes(columns, values, name + "/frame_allocations");
        row.allocator.allocated_bytes = cell_bytes(columns, values, name + "/allocator_bytes");
        row.gpu.allocated_bytes = cell_bytes(columns, values, name + "/gpu_bytes");
        row.memory.gpu_bytes = row.gpu.allocated_bytes;
        row.has_tag = row.allocator.allocated_bytes > 0;
        // The capture has no peak column: the highest current bytes up to this row.
        row.memory.peak_bytes = row.memory.current_bytes;
        if (previous != nullptr) {
            for (const MemoryPanelRow& before : previous->rows) {
                if (before.name == name) {
                    row.memory.peak_bytes =
                        std::max(row.memory.peak_bytes, before.memory.peak_bytes);
                    row.has_tag = row.has_tag || before.has_tag;
                }
            }
        }
        row.warning_threshold_bytes = thresholds.warning_threshold_bytes(row.memory.budget_bytes);
        row.over_budget =
            row.memory.budget_bytes > 0 && row.memory.current_bytes > row.warning_threshold_bytes;
        model.rows.push_back(std::move(row));
    }
    model.tracked_total_bytes = cell_bytes(columns, values, "tracked_total_bytes");
    model.total_budget_bytes = cell_bytes(columns, values, "total_budget_bytes");
    model.allocator.allocated_bytes = cell_bytes(columns, values, "allocated_bytes");
    model.allocator.peak_allocated_bytes = cell_bytes(columns, values, "peak_allocated_bytes");
    model.allocator.allocation_count = cell_bytes(columns, values, "allocation_count");
    model.allocator.deallocation_count = cell_bytes(columns, values, "deallocation_count");
    model.tracking = model.allocator.allocation_count > 0;
    model.gpu_device_read = false;
    return model;
}

}  // namespace

bool read_snapshot_json(std::string_view text, MemoryPanelModel& model, std::string* error,
                        std::string_view origin) {
    try {
        model = model_from(json::parse(text));
        return true;
    } catch (const std::exception& failure) {
        if (error != nullptr) {
            *error = prefixed(origin, failure.what());
        }
        return false;
    }
}

bool read_snapshot_file(const std::string& path, MemoryPanelModel& model, std::string* error) {
    std::string text;
    return read_text(path, text, error) && read_snapshot_json(text, model, error, path);
}

bool read_capture_file(const std::string& path, CaptureFrames& frames, std::string* error) {
    std::string text;
    if (!read_text(path, text, error)) {
        return false;
    }
    CaptureFrames read;
    try {
        std::istringstream lines(text);
        std::string line;
        std::vector<std::string> cells;
        if (!std::getline(lines, line) || !split_csv_line(line, cells)) {
            throw CaptureError("line 1: not a memory capture (no header line)");
        }
        const CaptureColumns columns = capture_columns(cells);
        const std::size_t width = cells.size();
        std::vector<double> values(width);
        for (std::size_t line_number = 2; std::getline(lines, line); ++line_number) {
            if (line.empty()) {
                continue;
            }
            const std::string where = "line " + std::to_string(line_number) + ": ";
            if (!split_csv_line(line, cells) || cells.size() != width) {
                throw CaptureError(where + std::to_string(cells.size()) +
                                   " cells, the header has " + std::to_string(width));
            }
            for (std::size_t i = 0; i < width; ++i) {
                bool ok = true;
                values[i] = number(cells[i], ok).value_or(0.0);
                if (!ok) {
                    throw CaptureError(where + "'" + cells[i] + "' is not a number");
                }
            }
            read.seconds.push_back(values[0]);
            read.models.push_back(capture_model(
                columns, values, read.models.empty() ? nullptr : &read.models.back()));
        }
        if (read.models.empty()) {
            throw CaptureError("no rows: the capture holds its header only");
        }
    } catch (const CaptureError& failure) {
        if (error != nullptr) {
            *error = path + ": " + failure.what();
        }
        return false;
    }
    frames = std::move(read);
    return true;
}

}  // namespace nebula::debug::imgui
