#include <nebula/debug/allocation_sites.hpp>
#include <nebula/debug/gpu_memory.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/process_memory.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

namespace nebula::debug {
namespace {

nlohmann::ordered_json stats_json(const AllocatorStats& stats) {
    return {{"allocated_bytes", stats.allocated_bytes},
            {"peak_allocated_bytes", stats.peak_allocated_bytes},
            {"allocation_count", stats.allocation_count},
            {"deallocation_count", stats.deallocation_count}};
}

nlohmann::ordered_json gpu_stats_json(const GpuStats& stats) {
    return {{"allocated_bytes", stats.allocated_bytes},
            {"peak_allocated_bytes", stats.peak_allocated_bytes},
            {"allocation_count", stats.allocation_count},
            {"deallocation_count", stats.deallocation_count}};
}

nlohmann::ordered_json subsystems_json(const MemoryBudget& budget) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    const bool tracking = tracking_allocator_enabled();
    for (const auto& [name, memory] : budget.subsystems()) {
        AllocatorStats allocator;
        GpuStats gpu;
        MemoryTag tag;
        const bool tagged = tracking && find_memory_tag(name, tag);
        if (tagged) {
            allocator = allocator_stats(tag);
            gpu = gpu_stats(tag);
        }
        rows.push_back(
            {{"name", name},
             {"current_bytes", memory.current_bytes},
             {"peak_bytes", memory.peak_bytes},
             {"budget_bytes", memory.budget_bytes},
             {"allocator_bytes", allocator.allocated_bytes},
             {"allocation_count", memory.allocation_count},
             {"gpu_bytes", gpu.allocated_bytes},
             {"gpu_peak_bytes", gpu.peak_allocated_bytes},
             {"gpu_budget_bytes", memory.gpu_budget_bytes},
             {"frame_allocations", memory.frame_allocations},
             {"frame_allocated_bytes", memory.frame_allocated_bytes},
             {"churn_budget", memory.churn_budget},
             {"warning_threshold_bytes", budget.warning_threshold_bytes(memory.budget_bytes)},
             {"gpu_warning_threshold_bytes",
              budget.warning_threshold_bytes(memory.gpu_budget_bytes)},
             {"churn_warning_threshold", budget.warning_threshold_bytes(memory.churn_budget)},
             {"tagged", tagged},
             {"allocator", stats_json(allocator)},
             {"gpu", gpu_stats_json(gpu)}});
    }
    return rows;
}

nlohmann::ordered_json allocator_json() {
    nlohmann::ordered_json allocator = {{"tracking_enabled", tracking_allocator_enabled()}};
    allocator.update(stats_json(allocator_stats()));
    allocator["untagged_bytes"] = allocator_stats(kUntagged).allocated_bytes;
    allocator["tracking_overhead_bytes"] = tracking_overhead_bytes();
    nlohmann::ordered_json tags = nlohmann::ordered_json::array();
    std::uint16_t index = 0;
    for (const auto& [name, stats] : allocator_stats_by_tag()) {
        // The tracker's own tags are in tracking_overhead_bytes, not the program's tags.
        if (is_tracker_tag(MemoryTag{index++})) {
            continue;
        }
        nlohmann::ordered_json tag = {{"name", name}};
        tag.update(stats_json(stats));
        tags.push_back(std::move(tag));
    }
    allocator["tags"] = std::move(tags);
    return allocator;
}

nlohmann::ordered_json gpu_json() {
    const GpuStats tracked = gpu_stats();
    const GpuDeviceMemory device = gpu_device_memory();
    return {{"allocated_bytes", tracked.allocated_bytes},
            {"peak_allocated_bytes", tracked.peak_allocated_bytes},
            {"allocation_count", tracked.allocation_count},
            {"deallocation_count", tracked.deallocation_count},
            {"unknown_free_count", unknown_gpu_free_count()},
            {"untagged", gpu_stats_json(gpu_stats(kUntagged))},
            {"device",
             {{"source", device.source},
              {"device", device.device},
              {"total_bytes", device.total_bytes},
              {"used_bytes", device.used_bytes},
              {"budget_bytes", device.budget_bytes},
              {"available_bytes", device.available_bytes}}}};
}

nlohmann::ordered_json resident_json() {
    const ResidentBreakdown resident = resident_breakdown();
    return {{"resident_bytes", resident.resident_bytes},
            {"heap_bytes", resident.heap_bytes},
            {"code_bytes", resident.code_bytes},
            {"file_bytes", resident.file_bytes},
            {"stack_bytes", resident.stack_bytes},
            {"gpu_bytes", resident.gpu_bytes},
            {"other_anonymous_bytes", resident.other_anonymous_bytes},
            {"other_bytes", resident.other_bytes},
            {"heap_allocator", heap_allocator_name(resident.heap_allocator)},
            {"heap_recognition", resident.heap_recognition},
            {"heap_capped_bytes", resident.heap_capped_bytes}};
}

nlohmann::ordered_json sites_json(const std::vector<AllocationSite>& found) {
    nlohmann::ordered_json sites = nlohmann::ordered_json::array();
    for (const AllocationSite& site : found) {
        sites.push_back({{"tag", site.tag},
                         {"function", std::string(site_function(site))},
                         {"live_bytes", site.live_bytes},
                         {"live_allocations", site.live_allocations},
                         {"allocated_bytes", site.allocated_bytes},
                         {"live_samples", site.live_samples},
                         {"frames", site.frames},
                         {"lines", site.lines},
                         {"system_frames", site.system_frames}});
    }
    return sites;
}

// Each subsystem's own top sites (and Untagged's): the global list above may hold none of a
// small subsystem's, which a viewer's Sites pane shows for any row.
nlohmann::ordered_json tag_sites_json(const MemoryBudget& budget) {
    nlohmann::ordered_json tags = nlohmann::ordered_json::array();
    if (!tracking_allocator_enabled() || sampling_interval() == 0) {
        return tags;
    }
    std::vector<std::string> names{std::string(kUntaggedName)};
    for (const auto& [name, memory] : budget.subsystems()) {
        MemoryTag tag;
        if (find_memory_tag(name, tag)) {
            names.push_back(name);
        }
    }
    for (const std::string& name : names) {
        tags.push_back(
            {{"tag", name}, {"sites", sites_json(live_allocation_sites(name, kSnapshotSites))}});
    }
    return tags;
}

nlohmann::ordered_json sampling_json() {
    const SamplingStats stats = sampling_stats();
    return {{"samples_recorded", stats.samples_recorded}, {"live_samples", stats.live_samples},
            {"samples_dropped", stats.samples_dropped},   {"sites", stats.sites},
            {"sites_evicted", stats.sites_evicted},       {"table_bytes", stats.table_bytes}};
}

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

bool fail(std::string* error, const std::string& path, int error_number) {
    if (error != nullptr) {
        *error = "cannot write the memory snapshot '" + path + "': " + std::strerror(error_number);
    }
    return false;
}

}  // namespace

std::string memory_snapshot_json(const MemoryBudget& budget) {
    nlohmann::ordered_json document;
    document["subsystems"] = subsystems_json(budget);
    document["tracked_total_bytes"] = budget.total_current();
    document["tracked_peak_bytes"] = budget.total_peak();
    document["total_budget_bytes"] = budget.total_budget();
    // The total warns past its budget itself, not past a fraction of it.
    document["total_warning_threshold_bytes"] = budget.total_budget();
    // A float: rounded so that 0.85 reads 0.85, not 0.8500000238418579.
    document["warning_threshold"] =
        std::round(static_cast<double>(budget.warning_threshold()) * 1e6) / 1e6;
    document["allocator"] = allocator_json();
    document["resident"] = resident_json();
    document["gpu"] = gpu_json();
    document["sampling_interval"] = sampling_interval();
    document["sites"] = sites_json(live_allocation_sites(kSnapshotSites));
    document["tag_sites"] = tag_sites_json(budget);
    document["sampling"] = sampling_json();
    return document.dump(2) + "\n";
}

bool write_memory_snapshot(const MemoryBudget& budget, const std::string& path,
                           std::string* error) {
    const std::string text = memory_snapshot_json(budget);
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
    if (!file) {
        return fail(error, path, errno);
    }
    if (std::fwrite(text.data(), 1, text.size(), file.get()) != text.size() ||
        std::fflush(file.get()) != 0) {
        return fail(error, path, errno);
    }
    if (std::fclose(file.release()) != 0) {
        return fail(error, path, errno);
    }
    return true;
}

}  // namespace nebula::debug
