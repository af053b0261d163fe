// The lines below the table: the tracked total against the total budget, the GPU line, the
// resident line, the tracking overhead, and for this process's own panel "Mark" and
// "Reset peaks". Everything is formatted into the cache's buffers: no frame allocates here.
#include <nebula/debug/tracking_allocator.hpp>

#include <algorithm>
#include <cstdio>

#include "panel_context.hpp"

namespace nebula::debug::imgui::detail {
namespace {

void format_gpu_line(PanelCache& cache, const MemoryPanelModel& model) {
    const GpuDeviceMemory& device = model.gpu_device;
    char device_text[160];
    if (!model.gpu_device_read) {
        std::snprintf(device_text, sizeof device_text, "not read");
    } else if (device.source.empty()) {
        std::snprintf(device_text, sizeof device_text, "unknown (no driver source answers)");
    } else {
        const auto figure = [](std::size_t bytes) {
            return bytes > 0 ? format_memory(bytes) : std::string("?");
        };
        std::snprintf(device_text, sizeof device_text, "used %s / total %s, budget %s (%s)",
                      figure(device.used_bytes).c_str(), figure(device.total_bytes).c_str(),
                      figure(device.budget_bytes).c_str(), device.source.c_str());
    }
    std::snprintf(cache.gpu_line, sizeof cache.gpu_line, "GPU tracked: %s (peak %s)  |  Device: %s",
                  format_memory(model.gpu.allocated_bytes).c_str(),
                  format_memory(model.gpu.peak_allocated_bytes).c_str(), device_text);
}

void draw_resident_line(const PanelFrame& frame) {
    ImGui::TextWrapped("%s", frame.cache.resident_line);
    const ResidentBreakdown& r = frame.model.resident;
    if (!ImGui::IsItemHovered() || r.resident_bytes == 0) {
        return;
    }
    const bool tracking = frame.model.tracking;
    ImGui::SetTooltip(
        "The process's resident memory as the OS counts it, by what holds it:\n"
        "  %s %s\n"
        "    (the C allocator underneath: %s)\n"
        "  code: the program's and shared libraries' executable mappings\n"
        "  mapped files: libraries' data, mapped files, shared memory\n"
        "  stacks: every thread's stack\n"
        "  GPU: mappings of the graphics device\n"
        "  other: anonymous memory nothing above claims (%s: other allocators, JIT code)\n"
        "         and the rest (%s: the kernel's [vdso], other devices)\n"
        "Refreshed every %.2f s.",
        tracking ? "tracked + allocator overhead:" : "heap:",
        tracking ? "what the C allocator holds; tracked is what went through\n"
                   "    the tracker, the overhead its headers, free lists and free pages"
                 : "what the C allocator holds: live blocks, headers, free lists",
        frame.model.heap_recognition.c_str(), format_memory(r.other_anonymous_bytes).c_str(),
        format_memory(r.other_bytes).c_str(), kResidentRefreshSeconds);
}

void draw_overhead_line(const MemoryPanelModel& model) {
    ImGui::AlignTextToFramePadding();
    if (!model.tracking) {
        ImGui::TextUnformatted("");
        return;
    }
    ImGui::Text("Tracking overhead: %s", format_memory(model.tracking_overhead_bytes).c_str());
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "What the tracking itself holds: block headers of live allocations, per-thread\n"
            "counters and the sampled allocation sites' tables (Unreal's LLMOverhead).\n"
            "Sample tables: %s for %zu sites and %zu live samples.",
            format_memory(model.sampling.table_bytes).c_str(), model.sampling.sites,
            model.sampling.live_samples);
    }
}

void draw_reset_peaks_button(MemoryBudget& budget) {
    const char* label = "Reset peaks";
    const float button_width = ImGui::CalcTextSize(label).x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SameLine();
    const float available = ImGui::GetContentRegionAvail().x;
    if (available > button_width) {
        ImGui::SetCursorPosX(ImGui::GetCursorPosX() + available - button_width);
    }
    if (ImGui::Button(label)) {
        budget.reset_peaks();
        reset_allocator_peak();
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "Peak := current, for every subsystem and for the allocator (globally and per tag).\n"
            "Press it at a sector transition to see the new sector's own peak.");
    }
}

// "Mark" records what every row and site holds now; "Clear mark" forgets it.
// Right-aligned with "Reset peaks", which follows it.
void draw_mark_button(PanelFrame& frame) {
    PanelCache& cache = frame.cache;
    bool& mark_requested = frame.state.mark_requested;
    const ImGuiStyle& style = ImGui::GetStyle();
    const char* label = cache.mark.is_set() ? "Clear mark" : "Mark";
    const float both = ImGui::CalcTextSize(label).x + ImGui::CalcTextSize("Reset peaks").x +
                       style.FramePadding.x * 4 + style.ItemSpacing.x;
    ImGui::SameLine();
    const float available = ImGui::GetContentRegionAvail().x;
    if (available > both) {
        ImGui::SetCursorPosX(ImGui::GetCursorPosX() + available - both);
    }
    if (ImGui::Button(label)) {
        if (cache.mark.is_set()) {
            cache.mark.clear();
        } else {
            mark_requested = true;
        }
        cache.sites.read_at = -1.0;  // the pane switches between its two views at once
    }
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(cache.mark.is_set()
                              ? "Marked %.0f s ago. Since mark: each row's growth since then;\n"
                                "a selected row's Sites pane lists the sites that grew."
                              : "Remember what every row and allocation site holds now, to see\n"
                                "what grows from here (Since mark, and the Sites pane).",
                          frame.now - cache.mark.seconds());
    }
    if (mark_requested) {
        mark_requested = false;
        cache.mark.set(cache.live.budget_rows(), frame.now, frame.model.tracking);
        cache.sites.read_at = -1.0;
    }
}

}  // namespace

void format_resident_line(PanelCache& cache, const MemoryPanelModel& model) {
    const ResidentBreakdown& r = model.resident;
    if (r.resident_bytes == 0) {
        std::snprintf(cache.resident_line, sizeof cache.resident_line, "Resident: N/A");
        return;
    }
    const std::size_t unattributed = r.other_anonymous_bytes + r.other_bytes;
    const double unattributed_percent =
        100.0 * static_cast<double>(unattributed) / static_cast<double>(r.resident_bytes);
    char heap_terms[96];
    if (model.tracking) {
        // What the tracker counts is requested bytes, some of which may not be resident (a large
        // block not yet written): the share of the heap it explains is at most the heap.
        const std::size_t tracked = std::min(model.allocator.allocated_bytes, r.heap_bytes);
        std::snprintf(heap_terms, sizeof heap_terms, "tracked %s + allocator overhead %s",
                      format_memory(tracked).c_str(),
                      format_memory(r.heap_bytes - tracked).c_str());
    } else {
        std::snprintf(heap_terms, sizeof heap_terms, "heap %s",
                      format_memory(r.heap_bytes).c_str());
    }
    std::snprintf(cache.resident_line, sizeof cache.resident_line,
                  "Resident %s = %s + code %s + mapped files %s + stacks %s + GPU %s + other %s "
                  "(%.1f%% unattributed)",
                  format_memory(r.resident_bytes).c_str(), heap_terms,
                  format_memory(r.code_bytes).c_str(), format_memory(r.file_bytes).c_str(),
                  format_memory(r.stack_bytes).c_str(), format_memory(r.gpu_bytes).c_str(),
                  format_memory(unattributed).c_str(), unattributed_percent);
}

// Keeps the totals, the resident line (wrapped to the window's width) and the button below the
// table visible however many rows there are: the spacing after the table and after the separator
// (which takes no height of its own), the three lines, and a pixel for rounding.
float footer_height(const PanelFrame& frame) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const float resident_height = ImGui::CalcTextSize(frame.cache.resident_line, nullptr, false,
                                                      ImGui::GetContentRegionAvail().x)
                                      .y;
    return 1.0f + style.ItemSpacing.y * 3.0f + ImGui::GetTextLineHeightWithSpacing() * 2.0f +
           resident_height + ImGui::GetFrameHeight();
}

void draw_footer(PanelFrame& frame) {
    const MemoryPanelModel& model = frame.model;
    ImGui::Separator();
    ImGui::Text(
        "Tracked Total: %s  /  Budget: %s", format_memory(model.tracked_total_bytes).c_str(),
        model.total_budget_bytes > 0 ? format_memory(model.total_budget_bytes).c_str() : "N/A");
    format_gpu_line(frame.cache, model);
    ImGui::TextUnformatted(frame.cache.gpu_line);
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "Tracked: what the engine reported with track_gpu_allocation, every tag.\n"
            "Device: the driver's own figures (gpu_device_memory()), refreshed every %.0f s;\n"
            "'?' where its source does not tell.",
            kGpuDeviceRefreshSeconds);
    }
    draw_resident_line(frame);
    draw_overhead_line(model);
    if (frame.budget != nullptr) {
        draw_mark_button(frame);
        draw_reset_peaks_button(*frame.budget);
    }
}

}  // namespace nebula::debug::imgui::detail
