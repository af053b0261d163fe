// Which frame of a site a person reads as "the code that allocated": the first one outside the
// standard library, whose containers and allocators sit between most code and operator new.
#include <nebula/debug/allocation_sites.hpp>

#include <algorithm>
#include <iterator>

namespace nebula::debug {
namespace {

// The name the function is known by, without its return type (templates' demangled names start
// with one: "void std::vector<int>::_M_realloc_insert<int>(...)").
std::string_view qualified_name(std::string_view name) noexcept {
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '(' && depth == 0) {
            break;
        }
        if (c == '<' || c == '(') {
            ++depth;
        } else if (c == '>' || c == ')') {
            --depth;
        } else if (c == ' ' && depth == 0) {
            start = i + 1;
        }
    }
    return name.substr(start);
}

bool is_standard_library(std::string_view name) noexcept {
    const std::string_view qualified = qualified_name(name);
    return qualified.starts_with("std::") || qualified.starts_with("__gnu_cxx::") ||
           qualified.starts_with("__cxxabiv1::");
}

}  // namespace

std::string_view site_function(const AllocationSite& site) noexcept {
    for (const std::string& frame : site.frames) {
        if (!is_standard_library(frame)) {
            return frame;
        }
    }
    return site.frames.empty() ? std::string_view() : std::string_view(site.frames.front());
}

std::string site_summary(const AllocationSite& site, std::size_t callers) {
    const std::string_view function = site_function(site);
    std::string summary(function);
    const auto found = std::find_if(site.frames.begin(), site.frames.end(),
                                    [&](const std::string& frame) { return frame == function; });
    if (found == site.frames.end()) {
        return summary;
    }
    const auto index = static_cast<std::size_t>(found - site.frames.begin());
    if (index < site.lines.size() && !site.lines[index].empty()) {
        summary += " at ";
        summary += site.lines[index];
    }
    for (auto caller = std::next(found); caller != site.frames.end() && callers > 0;
         ++caller, --callers) {
        summary += " <- ";
        summary += *caller;
    }
    return summary;
}

}  // namespace nebula::debug
