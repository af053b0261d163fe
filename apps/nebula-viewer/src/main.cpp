// nebula-viewer: the Memory Usage panel of a running program (from its endpoint) or of a saved
// snapshot or capture, in a window of its own.
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "options.hpp"
#include "sources.hpp"
#include "window.hpp"

int main(int argc, char** argv) {
    namespace nv = nebula::viewer;
    const std::span<const char* const> arguments(argv + 1, static_cast<std::size_t>(argc - 1));
    const nv::ParsedOptions parsed = nv::parse_options(arguments, std::getenv("NEBULA_HTTP_TOKEN"));
    if (parsed.options.show_help) {
        std::printf("%s", nv::usage_text("nebula-viewer").c_str());
        return 0;
    }
    if (!parsed.error.empty()) {
        std::fprintf(stderr, "nebula-viewer: %s\n%s", parsed.error.c_str(),
                     nv::usage_text("nebula-viewer").c_str());
        return nv::kExitUsage;
    }
    std::string error;
    const auto source = nv::ViewerSource::open(parsed.options, error);
    if (!source) {
        std::fprintf(stderr, "nebula-viewer: %s\n", error.c_str());
        return nv::kExitUsage;
    }
    return nv::run_window(parsed.options, *source);
}
