#!/usr/bin/env bash
# What the memory server costs the demo (docs/remote.md): the headless explore scenario in the
# RelWithDebInfo tracking build (build/bench-demo-on, the one `scripts/bench.sh demo` times), run
# without a server and with --serve and a client scraping /metrics once a second, interleaved so
# that load from elsewhere on the machine hits both alike. Prints the median wall time of each and
# their ratio, and the time the server takes per scrape (request sent to first byte back, on
# loopback, scheduling delays on a loaded machine included) over every scrape of the runs and over
# a burst of back-to-back scrapes, and the server thread's CPU time per scrape as the server
# reports it (nebula_metrics_cpu_seconds), median and 90th percentile.
#
#   scripts/bench.sh serve [RUNS] [FRAMES]   defaults: 7 runs of each, 1200 frames
#
# FRAMES must keep a run going past its first scrape, a second in: where no run lasted that long
# it prints what it measured, says how many frames to pass, and exits with status 1.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/demo_builds.sh"
bench_demo_builds on

python3 - build/bench-demo-on/apps/nebula-demo/nebula-demo "$runs" "$frames" <<'PY'
import math, os, re, statistics, subprocess, sys, threading, time, http.client

demo, runs, frames = sys.argv[1], int(sys.argv[2]), sys.argv[3]
env = dict(os.environ, NEBULA_LEAK_REPORT="0")

cpu = []

def scrape(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    started = time.perf_counter()
    connection.request("GET", "/metrics")
    response = connection.getresponse()  # returns once the status line is back
    first_byte = time.perf_counter()
    body = response.read().decode()
    connection.close()
    # The server thread's own CPU time on the previous scrape, as the server measures it.
    found = re.search(r"^nebula_metrics_cpu_seconds (\S+)$", body, re.M)
    if found and float(found.group(1)) > 0:
        cpu.append(float(found.group(1)) * 1000)
    return (first_byte - started) * 1000

def run(serve, scrapes):
    command = [demo, "--headless", "--scenario", "explore", "--frames", frames]
    if serve:
        command += ["--serve", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               text=True)
    stop = threading.Event()
    scraper = None
    if serve:
        line = process.stderr.readline()
        port = int(re.search(r":(\d+)/metrics", line).group(1))
        def loop():
            while not stop.wait(1.0):
                try:
                    scrapes.append(scrape(port))
                except OSError:
                    return
        scraper = threading.Thread(target=loop)
        scraper.start()
    output, _ = process.communicate()
    stop.set()
    if scraper:
        scraper.join()
    return float(re.search(r"^Summary: .* in ([0-9.]+) s ", output, re.M).group(1))

walls = {"plain": [], "serve": []}
scrapes = []
for i in range(runs):
    walls["plain"].append(run(False, scrapes))
    walls["serve"].append(run(True, scrapes))
    print(f"run {i + 1} of {runs} done", file=sys.stderr)

# A burst: back-to-back scrapes of a long run, in its steady state.
burst = []
process = subprocess.Popen([demo, "--headless", "--frames", "100000000", "--serve", "0"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
port = int(re.search(r":(\d+)/metrics", process.stderr.readline()).group(1))
time.sleep(3)
for _ in range(200):
    burst.append(scrape(port))
process.terminate()
process.wait()

def describe(values):
    if not values:
        return "none"
    values = sorted(values)
    return (f"median {statistics.median(values):.2f} ms, "
            f"p90 {values[int(0.9 * (len(values) - 1))]:.2f} ms, n={len(values)}")

print(f"headless explore, {frames} frames, {runs} interleaved runs of each, medians:")
for name in ("plain", "serve"):
    print(f"  {name:>5}: wall {statistics.median(walls[name]):.3f} s "
          f"(min {min(walls[name]):.3f}, max {max(walls[name]):.3f})")
ratio = statistics.median(walls["serve"]) / statistics.median(walls["plain"])
print(f"  wall time ratio served (1 s scrapes) / plain: {ratio:.3f}")
print(f"  scrape, during the runs: {describe(scrapes)}")
print(f"  scrape, 200 back to back: {describe(burst)}")
print(f"  scrape, the server thread's CPU time: {describe(cpu)}")
if not scrapes:
    # The first scrape comes a second after a served run starts: runs shorter than that measure
    # the server idle, not scraped, and the ratio above says nothing about scraping.
    longest = max(max(walls["serve"]), 0.01)
    suggested = math.ceil(int(frames) * 5 / longest)
    print(f"serve.sh: no scrape happened during the served runs: the client scrapes once a "
          f"second, and the longest run of {frames} frames took {longest:.2f} s. Pass more "
          f"frames, e.g. `scripts/bench.sh serve {runs} {suggested}` (about 5 s a run).",
          file=sys.stderr)
    sys.exit(1)
PY
