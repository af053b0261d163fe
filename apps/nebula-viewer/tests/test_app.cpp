// The program the viewer's tests look at: a budget with a few rows (one over its threshold, one
// holding tagged heap memory), written as a snapshot or a capture, or served as a running
// program's endpoint would (GET /snapshot.json, optionally behind a token).
//   nebula_viewer_test_app --snapshot FILE.json
//   nebula_viewer_test_app --capture FILE.csv
//   nebula_viewer_test_app --serve PORT [--token TOKEN]
// Serving, it prints its URL on standard error (PORT 0: a port the system chooses, named there),
// and ends when its standard output is closed: started ahead of the viewer in a pipe, it stops
// with the viewer.
#include <nebula/debug/memory_capture.hpp>
#include <nebula/debug/memory_snapshot.hpp>
#include <nebula/debug/memory_tracking.hpp>
#include <nebula/debug/tracking_allocator.hpp>

#include <httplib.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace nd = nebula::debug;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

void fill(nd::MemoryBudget& budget, std::size_t step) {
    budget.set_total_budget(256 * kMiB);
    budget.set_budget("Chunks", 64 * kMiB);
    budget.set_budget("Meshes", 16 * kMiB);
    budget.report("Chunks", (40 + 4 * step) * kMiB, 120);
    budget.report("Meshes", 15 * kMiB, 30);  // past the 85% threshold: a red row
    budget.report("Audio", 3 * kMiB, 4);
    budget.end_frame();
}

int serve(nd::MemoryBudget& budget, int port, const std::string& token) {
    httplib::Server server;
    server.Get("/snapshot.json", [&](const httplib::Request& request, httplib::Response& response) {
        if (!token.empty() && request.get_header_value("Authorization") != "Bearer " + token) {
            response.status = 401;
            return;
        }
        response.set_content(nd::memory_snapshot_json(budget), "application/json");
    });
    const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1")
                                : (server.bind_to_port("127.0.0.1", port) ? port : -1);
    if (bound <= 0) {
        std::fprintf(stderr, "nebula_viewer_test_app: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    std::fprintf(stderr, "nebula_viewer_test_app: serving http://127.0.0.1:%d/snapshot.json\n",
                 bound);
    std::thread listener([&] { server.listen_after_bind(); });
    // A write to a closed pipe fails (SIGPIPE ignored): the reader, the viewer, is gone.
    std::signal(SIGPIPE, SIG_IGN);
    while (std::fputc('.', stdout) != EOF && std::fflush(stdout) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    server.stop();
    listener.join();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string_view> arguments(argv + 1, argv + argc);
    if (arguments.size() < 2) {
        std::fprintf(stderr,
                     "usage: nebula_viewer_test_app --snapshot FILE | --capture FILE | "
                     "--serve PORT [--token TOKEN]\n");
        return 2;
    }
    nd::MemoryBudget budget;
    std::vector<char> held;
    {
        nd::MemoryScope scope("Chunks");
        held.assign(2 * kMiB, 'c');
    }
    fill(budget, 0);
    const std::string value(arguments[1]);
    if (arguments[0] == "--snapshot") {
        std::string error;
        if (!nd::write_memory_snapshot(budget, value, &error)) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 1;
        }
        return 0;
    }
    if (arguments[0] == "--capture") {
        nd::MemoryCapture capture;
        std::string error;
        if (!capture.open(value, nd::MemoryCaptureOptions{1.0, 1.0}, &error)) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 1;
        }
        for (std::size_t second = 0; second < 8; ++second) {
            fill(budget, second);
            capture.sample(budget, static_cast<double>(second));
        }
        return capture.close() ? 0 : 1;
    }
    if (arguments[0] == "--serve") {
        const std::string token = arguments.size() >= 4 && arguments[2] == "--token"
                                      ? std::string(arguments[3])
                                      : std::string();
        return serve(budget, std::atoi(value.c_str()), token);
    }
    std::fprintf(stderr, "nebula_viewer_test_app: unknown mode %s\n", argv[1]);
    return 2;
}
