#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <charconv>
#include <span>
#include <utility>
#include <vector>

#include "server_internals.hpp"

namespace nebula::debug::server {
namespace {

class Exposition {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        text_ += "# HELP ";
        text_ += name;
        text_ += ' ';
        text_ += help;
        text_ += "\n# TYPE ";
        text_ += name;
        text_ += ' ';
        text_ += type;
        text_ += '\n';
    }

    void sample(std::string_view name, std::string_view label, std::string_view label_value,
                std::uint64_t value) {
        text_ += name;
        if (!label.empty()) {
            text_ += '{';
            text_ += label;
            text_ += "=\"";
            text_ += escape_label_value(label_value);
            text_ += "\"}";
        }
        text_ += ' ';
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        text_.append(digits, end);
        text_ += '\n';
    }

    void sample(std::string_view name, std::uint64_t value) { sample(name, {}, {}, value); }

    void sample(std::string_view name, double value) {
        text_ += name;
        text_ += ' ';
        char digits[32];
        const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        text_.append(digits, end);
        text_ += '\n';
    }

    std::string take() { return std::move(text_); }

private:
    std::string text_;
};

struct Row {
    std::string name;
    SubsystemMemory memory;
    std::size_t warning_bytes = 0;
    std::size_t allocator_bytes = 0;
};

void subsystem_families(Exposition& out, const MemoryBudget& budget) {
    // One copy of the rows under the budget's lock; everything else runs outside it.
    std::vector<Row> rows;
    for (auto& [name, memory] : budget.subsystems()) {
        rows.push_back(
            {std::move(name), memory, budget.warning_threshold_bytes(memory.budget_bytes), 0});
    }
    // The tag of each row's name, folded once for all of them; a row without a tag reads 0.
    std::vector<MemoryTag> tags(rows.size());
    std::vector<AllocatorStats> stats(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!find_memory_tag(rows[i].name, tags[i])) {
            tags[i] = kUntagged;
        }
    }
    allocator_stats(std::span<const MemoryTag>(tags), std::span<AllocatorStats>(stats));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i].allocator_bytes = tags[i] == kUntagged ? 0 : stats[i].allocated_bytes;
    }

    const auto each_row = [&](std::string_view name, std::string_view type, std::string_view help,
                              auto value) {
        out.family(name, type, help);
        for (const Row& row : rows) {
            out.sample(name, "subsystem", row.name, value(row));
        }
    };
    each_row("nebula_subsystem_current_bytes", "gauge", "Bytes the subsystem reports it holds.",
             [](const Row& row) { return row.memory.current_bytes; });
    each_row("nebula_subsystem_peak_bytes", "gauge",
             "Highest bytes the subsystem reported since start or the last peak reset.",
             [](const Row& row) { return row.memory.peak_bytes; });
    each_row("nebula_subsystem_budget_bytes", "gauge", "The subsystem's memory budget (0: none).",
             [](const Row& row) { return row.memory.budget_bytes; });
    each_row("nebula_subsystem_warning_bytes", "gauge",
             "Bytes past which the subsystem is over its warning threshold (0: no budget).",
             [](const Row& row) { return row.warning_bytes; });
    each_row("nebula_subsystem_allocator_bytes", "gauge",
             "Bytes the allocator holds under the tag of the subsystem's name.",
             [](const Row& row) { return row.allocator_bytes; });
    each_row("nebula_subsystem_gpu_bytes", "gauge",
             "GPU bytes tracked under the tag of the subsystem's name.",
             [](const Row& row) { return row.memory.gpu_bytes; });
    each_row("nebula_subsystem_frame_allocations", "gauge",
             "Heap allocations under the subsystem's tag in the last frame.",
             [](const Row& row) { return row.memory.frame_allocations; });
}

void tag_families(Exposition& out) {
    std::vector<std::pair<std::string, AllocatorStats>> tags = allocator_stats_by_tag();
    // The tracker's own tags are overhead, reported on their own line, as everywhere else.
    std::erase_if(tags, [](const auto& tag) {
        MemoryTag found;
        return find_memory_tag(tag.first, found) && is_tracker_tag(found);
    });
    out.family("nebula_allocator_live_bytes", "gauge",
               "Bytes allocated and not yet freed, per tag (the tracker's own excepted).");
    for (const auto& [name, stats] : tags) {
        out.sample("nebula_allocator_live_bytes", "tag", name, stats.allocated_bytes);
    }
    out.family("nebula_allocations_total", "counter", "Allocations made since start, per tag.");
    for (const auto& [name, stats] : tags) {
        out.sample("nebula_allocations_total", "tag", name, stats.allocation_count);
    }
    out.family("nebula_tracking_overhead_bytes", "gauge",
               "Memory the tracking itself holds (headers, tables, this server).");
    out.sample("nebula_tracking_overhead_bytes", tracking_overhead_bytes());
}

void process_families(Exposition& out) {
    const ResidentBreakdown resident = resident_breakdown();
    out.family("nebula_resident_bytes", "gauge",
               "The process's resident memory by what holds it; the categories add up to it.");
    const std::pair<std::string_view, std::size_t> categories[] = {
        {"heap", resident.heap_bytes},   {"code", resident.code_bytes},
        {"file", resident.file_bytes},   {"stack", resident.stack_bytes},
        {"gpu", resident.gpu_bytes},     {"other_anonymous", resident.other_anonymous_bytes},
        {"other", resident.other_bytes},
    };
    for (const auto& [category, bytes] : categories) {
        out.sample("nebula_resident_bytes", "category", category, bytes);
    }
    const GpuStats gpu = gpu_stats();
    out.family("nebula_gpu_allocated_bytes", "gauge", "GPU bytes tracked, all tags.");
    out.sample("nebula_gpu_allocated_bytes", gpu.allocated_bytes);
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string escaped;
    escaped.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            escaped += "\\\\";
        } else if (c == '"') {
            escaped += "\\\"";
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

std::string prometheus_metrics(const MemoryBudget& budget, double previous_cpu_seconds) {
    Exposition out;
    subsystem_families(out, budget);
    tag_families(out);
    process_families(out);
    out.family("nebula_metrics_cpu_seconds", "gauge",
               "CPU time the server's thread spent on the previous scrape of /metrics.");
    out.sample("nebula_metrics_cpu_seconds", previous_cpu_seconds);
    return out.take();
}

}  // namespace nebula::debug::server
