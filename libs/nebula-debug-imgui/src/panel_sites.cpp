// The Sites pane: the selected row's tag's top live allocation sites, from the sampled call
// stacks (this process's, read every kSitesRefreshSeconds, or the model's), or since a mark the
// sites that grew, each with its estimate's error.
#include <nebula/debug/allocation_sites.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "panel_context.hpp"

namespace nebula::debug::imgui::detail {
namespace {

constexpr const char* kTrackingOffMessage =
    "Nothing is sampled: the tracking allocator is compiled out of this build.";
constexpr const char* kSamplingOffMessage =
    "Sampling is off: NEBULA_SAMPLING_INTERVAL=<bytes> at start, or\n"
    "nebula::debug::set_sampling_interval(<bytes>), turns it on.";
constexpr const char* kNoSamplesMessage =
    "None of its live blocks was sampled yet: the larger a site's share of the bytes\n"
    "allocated, the sooner it shows.";

constexpr const char* kNothingGrewMessage = "No sampled site of this tag grew since the mark.";

// A function's name without its return type and parameter list, which the stack in the tooltip
// still shows: "nebula::demo::build_chunk_mesh(nebula::demo::PaddedBlocks const&)" ->
// "...::build_chunk_mesh", and "decltype (...) std::construct_at<T>(T*)" -> "std::construct_at<T>".
std::string_view without_parameters(std::string_view name) {
    return function_base_name(name);
}

// The site's function and the line it allocates at: one function's sites at different lines
// would otherwise read the same.
SiteLine site_line(const AllocationSite& site) {
    SiteLine line;
    const std::string_view function = site_function(site);
    line.function = function.empty() ? "?" : std::string(without_parameters(function));
    for (std::size_t i = 0; i < site.frames.size() && i < site.lines.size(); ++i) {
        if (site.frames[i].data() == function.data() && !site.lines[i].empty()) {
            line.function += " at " + site.lines[i];
        }
    }
    std::snprintf(line.live, sizeof line.live, "%s", format_memory(site.live_bytes).c_str());
    std::snprintf(line.count, sizeof line.count, "%zu", site.live_allocations);
    std::snprintf(line.error, sizeof line.error, "\u00b1%.0f%%", 100.0 * estimate_error(site));

    char estimates[256];
    std::snprintf(estimates, sizeof estimates,
                  "%s live in %zu allocations (%s allocated since start), estimated from %zu\n"
                  "samples: off by about %s. Call stack, innermost first:",
                  line.live, site.live_allocations, format_memory(site.allocated_bytes).c_str(),
                  site.live_samples, line.error);
    line.details = estimates;
    for (std::size_t i = 0; i < site.frames.size(); ++i) {
        line.details += "\n  ";
        line.details += site.frames[i];
        if (i < site.lines.size() && !site.lines[i].empty()) {
            line.details += "  (" + site.lines[i] + ")";
        }
    }
    return line;
}

// A site that grew since the mark: its growth, the 95% interval's half-width, and its bytes now.
SiteLine growth_line(const SiteGrowth& grown) {
    SiteLine line = site_line(grown.site);
    std::snprintf(line.live, sizeof line.live, "+%s",
                  format_memory(static_cast<std::size_t>(grown.growth_bytes)).c_str());
    std::snprintf(line.count, sizeof line.count, "%s",
                  format_memory(grown.site.live_bytes).c_str());
    std::snprintf(line.error, sizeof line.error, "\u00b1%s",
                  format_memory(static_cast<std::size_t>(grown.interval_bytes)).c_str());
    return line;
}

// The model's sites of one tag, as live_allocation_sites(tag) lists them: largest first.
std::vector<AllocationSite> model_sites(const MemoryPanelModel& model, const std::string& tag) {
    std::vector<AllocationSite> sites;
    for (const AllocationSite& site : model.sites) {
        if (site.tag == tag && sites.size() < kMaxSitesShown) {
            sites.push_back(site);
        }
    }
    return sites;
}

constexpr int kSitesColumnCount = 4;

float sites_row_height() {
    return ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2.0f;
}

// The function's name cut to the cell with "...", rather than clipped mid-glyph.
void elided_text(const std::string& text) {
    const char* begin = text.data();
    const char* end = begin + text.size();
    const float available = ImGui::GetContentRegionAvail().x;
    if (ImGui::CalcTextSize(begin, end).x <= available) {
        ImGui::TextUnformatted(begin, end);
        return;
    }
    constexpr char kEllipsis[] = "...";
    const float room = std::max(available - ImGui::CalcTextSize(kEllipsis).x, 0.0f);
    const char* fits = begin;
    ImGui::GetFont()->CalcTextSizeA(ImGui::GetFontSize(), room, 0.0f, begin, end, &fits);
    char shown[256];
    const auto kept = std::min<std::size_t>(static_cast<std::size_t>(fits - begin),
                                            sizeof shown - sizeof kEllipsis);
    std::snprintf(shown, sizeof shown, "%.*s%s", static_cast<int>(kept), begin, kEllipsis);
    ImGui::TextUnformatted(shown);
}

void draw_sites_headers(bool since_mark) {
    static constexpr const char* kTooltips[kSitesColumnCount] = {
        "The first frame of the site's call stack that is the program's own code.\n"
        "Hover a row for the whole stack.",
        "Bytes still allocated from the site, estimated from its samples.",
        "Allocations from the site still live, estimated from its samples.",
        "How far off the estimates are likely to be: 1/sqrt(the site's live samples).",
    };
    static constexpr const char* kSinceMarkTooltips[kSitesColumnCount] = {
        kTooltips[0],
        "Growth of the site's live bytes since the mark, estimated from its samples.",
        "The site's live bytes now, estimated from its samples.",
        "The growth's 95% interval: growth +- this. Only the samples taken or freed since\n"
        "the mark make it uncertain (docs/architecture.md, \"Comparing runs\").",
    };
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (int column = 0; column < kSitesColumnCount; ++column) {
        if (!ImGui::TableSetColumnIndex(column)) {
            continue;
        }
        ImGui::TableHeader(ImGui::TableGetColumnName(column));
        if (ImGui::IsItemHovered()) {
            ImGui::SetTooltip("%s", (since_mark ? kSinceMarkTooltips : kTooltips)[column]);
        }
    }
}

void draw_sites_table(const SitesPane& pane) {
    constexpr ImGuiTableFlags kFlags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                       ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollY;
    if (!ImGui::BeginTable("sites", kSitesColumnCount, kFlags, ImVec2(0.0f, pane.table_height))) {
        return;
    }
    ImGui::TableSetupColumn("Function", ImGuiTableColumnFlags_WidthStretch);
    if (pane.since_mark) {
        ImGui::TableSetupColumn("Growth", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("+1023.9 MB").x);
        ImGui::TableSetupColumn("Live", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("1023.9 MB").x);
        ImGui::TableSetupColumn("\u00b1 95%", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("\u00b11023.9 MB").x);
    } else {
        ImGui::TableSetupColumn("Live", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("1023.9 MB").x);
        ImGui::TableSetupColumn("Count", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("99999999").x);
        ImGui::TableSetupColumn("\u00b1", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("\u00b1100%").x);
    }
    ImGui::TableSetupScrollFreeze(0, 1);
    draw_sites_headers(pane.since_mark);
    for (const SiteLine& line : pane.lines) {
        ImGui::TableNextRow();
        if (ImGui::TableSetColumnIndex(0)) {
            elided_text(line.function);
            if (ImGui::IsItemHovered()) {
                // Not SetTooltip: its buffer would cut a deep stack short.
                ImGui::BeginTooltip();
                ImGui::TextUnformatted(line.details.data(),
                                       line.details.data() + line.details.size());
                ImGui::EndTooltip();
            }
        }
        if (ImGui::TableSetColumnIndex(1)) {
            right_aligned_text(line.live);
        }
        if (ImGui::TableSetColumnIndex(2)) {
            right_aligned_text(line.count);
        }
        if (ImGui::TableSetColumnIndex(3)) {
            right_aligned_text(line.error);
        }
    }
    ImGui::EndTable();
}

}  // namespace

void refresh_sites(PanelFrame& frame) {
    SitesPane& pane = frame.cache.sites;
    const PanelMark& mark = frame.cache.mark;
    const std::string& selected = frame.state.selected_subsystem;
    const bool tracking = frame.model.tracking;
    if (selected.empty()) {
        pane.read_at = -1.0;  // a row selected again shows fresh sites, not the last copy
        return;
    }
    const double now = frame.now;
    if (selected == pane.tag && pane.read_at >= 0.0 && now - pane.read_at < kSitesRefreshSeconds) {
        return;
    }
    pane.tag = selected;
    pane.read_at = now;
    const std::size_t interval = frame.model.sampling_interval;
    pane.lines.clear();
    if (interval == 0) {
        std::snprintf(pane.title, sizeof pane.title, "Allocation sites: %s", pane.tag.c_str());
        pane.message = tracking ? kSamplingOffMessage : kTrackingOffMessage;
        return;
    }
    pane.since_mark = mark.is_set();
    if (pane.since_mark) {
        std::snprintf(pane.title, sizeof pane.title,
                      "Allocation sites: %s, grown since the mark (sampled every %s)",
                      pane.tag.c_str(), format_memory(interval).c_str());
        for (const SiteGrowth& grown : mark.grown_sites(pane.tag, kMaxSitesShown)) {
            pane.lines.push_back(growth_line(grown));
        }
        pane.message = pane.lines.empty() ? kNothingGrewMessage : nullptr;
        return;
    }
    std::snprintf(pane.title, sizeof pane.title, "Allocation sites: %s (sampled every %s)",
                  pane.tag.c_str(), format_memory(interval).c_str());
    // This process's sites are read now; a model brings its own.
    const std::vector<AllocationSite> sites = frame.budget != nullptr
                                                  ? live_allocation_sites(pane.tag, kMaxSitesShown)
                                                  : model_sites(frame.model, pane.tag);
    for (const AllocationSite& site : sites) {
        pane.lines.push_back(site_line(site));
    }
    pane.message = pane.lines.empty() ? kNoSamplesMessage : nullptr;
}

// The pane's height below the footer: the spacing after the footer and after the separator, the
// title, and either the message or the table. The table takes what its lines need up to under
// half the window, so that a short window keeps room for the subsystems; past that it scrolls.
float layout_sites_pane(SitesPane& pane) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const ImVec2 available = ImGui::GetContentRegionAvail();
    float body = 0.0f;
    if (pane.message != nullptr) {
        body = ImGui::CalcTextSize(pane.message, nullptr, false, available.x).y;
    } else {
        const float row = sites_row_height();
        const float needed = row * static_cast<float>(pane.lines.size() + 1);
        pane.table_height = std::min(needed, std::max(available.y * 0.45f, row * 3.0f));
        body = pane.table_height;
    }
    return style.ItemSpacing.y * 2.0f + ImGui::GetTextLineHeightWithSpacing() + body;
}

void draw_sites_pane(const SitesPane& pane) {
    ImGui::Separator();
    ImGui::TextUnformatted(pane.title);
    if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip(
            "The live allocations charged to \"%s\" by where they were allocated, from sampled\n"
            "call stacks: the largest %zu sites, read every %.1f s. Click the row again to close.",
            pane.tag.c_str(), kMaxSitesShown, kSitesRefreshSeconds);
    }
    if (pane.message == nullptr) {
        draw_sites_table(pane);
        return;
    }
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(pane.message);
    ImGui::PopTextWrapPos();
}

}  // namespace nebula::debug::imgui::detail
