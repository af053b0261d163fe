// Which frame of a site a person reads as "the code that allocated": the first one that is the
// program's own, past the standard library's containers and allocators and the C library, which
// sit between most code and operator new. Deciding it means reading demangled names, whose shape
// the tests take from real GCC 12 and clang 14 output (tests/data/demangled_names.txt).
#include <nebula/debug/allocation_sites.hpp>

#include <algorithm>
#include <array>
#include <iterator>

namespace nebula::debug {
namespace {

constexpr bool is_identifier_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

// The compiler's clone suffixes, " [clone .cold]" and " [clone .isra.0] [clone .cold]": a clone
// is the function it was cloned from.
std::string_view without_clones(std::string_view name) noexcept {
    constexpr std::string_view kClone = " [clone ";
    while (name.ends_with(']')) {
        const std::size_t clone = name.rfind(kClone);
        if (clone == std::string_view::npos) {
            break;
        }
        name = name.substr(0, clone);
    }
    return name;
}

// How many characters of `name`, from `at` (just past the word "operator"), name the operator:
// "()" in "operator()(int)", "<<" in "operator<< <char>(...)", " new[]", " int" for a conversion.
std::size_t operator_length(std::string_view name, std::size_t at) noexcept {
    // Longest first, so that "<<=" is not read as "<<" followed by "=".
    constexpr std::array<std::string_view, 28> kSymbols = {
        "<=>", "<<=", ">>=", "->*", "()", "[]", "->", "<<", ">>", "<=", ">=", "==", "!=", "&&",
        "||",  "++",  "--",  "+=",  "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+",  "-",  "*"};
    constexpr std::string_view kSingle = "/%^&|~!=<>,";
    const std::string_view rest = name.substr(at);
    for (std::string_view symbol : kSymbols) {
        if (rest.starts_with(symbol)) {
            return symbol.size();
        }
    }
    if (!rest.empty() && kSingle.find(rest.front()) != std::string_view::npos) {
        return 1;
    }
    for (std::string_view word : {std::string_view(" new[]"), std::string_view(" delete[]"),
                                  std::string_view(" new"), std::string_view(" delete")}) {
        if (rest.starts_with(word)) {
            return word.size();
        }
    }
    if (rest.starts_with("\"\" ")) {  // a literal operator: operator"" _km
        std::size_t length = 3;
        while (length < rest.size() && is_identifier_char(rest[length])) {
            ++length;
        }
        return length;
    }
    // A conversion, "operator bool" or "operator std::vector<int, std::allocator<int> > const&":
    // the type runs to the parameter list.
    int depth = 0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == '<') {
            ++depth;
        } else if (rest[i] == '>') {
            --depth;
        } else if (rest[i] == '(' && depth == 0) {
            return i;
        }
    }
    return rest.size();
}

// Whether the word ending right before `at` is `word` ("decltype" before "(...)").
bool word_before(std::string_view name, std::size_t at, std::string_view word) noexcept {
    while (at > 0 && name[at - 1] == ' ') {
        --at;
    }
    return at >= word.size() && name.substr(at - word.size(), word.size()) == word &&
           (at == word.size() || !is_identifier_char(name[at - word.size() - 1]));
}

bool starts_with_any(std::string_view name,
                     std::initializer_list<std::string_view> prefixes) noexcept {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](std::string_view prefix) { return name.starts_with(prefix); });
}

// Code that is not the program's own: the C++ standard library's, the C library's (whose names
// are reserved identifiers: "__libc_start_call_main", "_IO_file_doallocate"), addresses in
// modules without symbols ("libc.so.6+0x9a1c") and frames no module holds ("?").
bool is_implementation(std::string_view name) noexcept {
    const std::string_view function = function_base_name(name);
    if (function.empty() || function == "?") {
        return true;  // a frame no module holds
    }
    if (starts_with_any(function, {"std::", "__gnu_cxx::", "__cxxabiv1::", "__"})) {
        return true;
    }
    if (function.size() > 1 && function[0] == '_' && function[1] >= 'A' && function[1] <= 'Z') {
        return true;
    }
    const std::size_t offset = function.find("+0x");
    return offset != std::string_view::npos &&
           function.substr(0, offset).find(".so") != std::string_view::npos;
}

}  // namespace

std::string_view function_base_name(std::string_view name) noexcept {
    name = without_clones(name);
    int depth = 0;
    std::size_t start = 0;
    std::size_t i = 0;
    while (i < name.size()) {
        const char c = name[i];
        if (depth == 0 && name.substr(i).starts_with("operator") &&
            (i == 0 || !is_identifier_char(name[i - 1])) &&
            (i + 8 == name.size() || !is_identifier_char(name[i + 8]))) {
            i += 8 + operator_length(name, i + 8);
            // "operator<< <char>": the template's arguments, after the space that keeps them
            // apart from the operator.
            if (i + 1 < name.size() && name[i] == ' ' && name[i + 1] == '<') {
                ++i;
            }
            continue;
        }
        if (c == '(' && depth == 0 && i != start && !word_before(name, i, "decltype") &&
            !name.substr(i).starts_with("(anonymous namespace)")) {
            break;  // the parameter list
        }
        if (c == '<' || c == '(' || c == '[' || c == '{') {
            ++depth;
        } else if (c == '>' || c == ')' || c == ']' || c == '}') {
            --depth;
        } else if (c == ' ' && depth == 0) {
            start = i + 1;  // what came before was the return type
        }
        ++i;
    }
    return name.substr(start, i - start);
}

std::string_view site_function(const AllocationSite& site) noexcept {
    for (std::size_t i = 0; i < site.frames.size(); ++i) {
        const bool system = i < site.system_frames.size() && site.system_frames[i];
        if (!system && !is_implementation(site.frames[i])) {
            return site.frames[i];
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
