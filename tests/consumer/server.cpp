// nebula::debug_server from an installed package: starts on any free loopback port, refuses a
// public address without a token, stops. Exits non-zero on anything else.
#include <nebula/debug/memory_server.hpp>

#include <cstdio>
#include <string>

namespace nd = nebula::debug;

int main() {
    nd::MemoryBudget budget;
    nd::configure_default_budgets(budget);
    nd::MemoryServerOptions options;
    options.port = 0;
    std::string error;
    if (!nd::start_memory_server(budget, options, &error) || nd::memory_server_port() == 0) {
        std::fprintf(stderr, "consumer_server: FAILED to start: %s\n", error.c_str());
        return 1;
    }
    std::printf("memory server on port %u\n", static_cast<unsigned>(nd::memory_server_port()));
    nd::stop_memory_server();
    nd::MemoryServerOptions open = options;
    open.address = "0.0.0.0";
    if (nd::start_memory_server(budget, open, &error) || error.find("token") == std::string::npos) {
        std::fprintf(stderr, "consumer_server: FAILED: 0.0.0.0 without a token was not refused\n");
        return 1;
    }
    return nd::memory_server_port() == 0 ? 0 : 1;
}
