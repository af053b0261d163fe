#!/usr/bin/env bash
# The one entry point of the benchmarks:
#   scripts/bench.sh [allocator|demo|serve|instructions|real|threads] [ARGS]
#
#   allocator     (the default) builds nebula-bench optimised with debug info (preset
#                 relwithdebinfo), runs it and prints the overhead of tracking as throughput
#                 ratios against plain malloc and the seed's design. ARGS go to the benchmark
#                 binary (e.g. --benchmark_filter=Pairs64). NEBULA_BENCH_REPETITIONS (default 15)
#                 and NEBULA_BENCH_MIN_TIME (seconds, default 0.2) trade run time for steadier
#                 medians; NEBULA_BENCH_JOBS (default 2) bounds the build;
#                 NEBULA_BENCH_PRESET=relwithdebinfo-shared measures the shared-library build.
#   instructions  instructions per allocation and free under callgrind (scripts/bench.d/instructions.sh;
#                 run `allocator` first, it builds the binary)
#   demo [RUNS] [FRAMES]
#                 the demo with tracking compiled in and out (scripts/bench.d/demo.sh)
#   serve [RUNS] [FRAMES]
#                 the demo with and without the memory server scraped once a second, and the
#                 cost of a scrape (scripts/bench.d/serve.sh, docs/remote.md)
#   real [--runs N] [--instructions] ...
#                 Lua's test suite plain and tracked (scripts/bench.d/real.sh --help): a
#                 developer's measurement, not CI
#   threads [--runs N] ...
#                 LevelDB's db_bench with two threads, plain and tracked
#                 (scripts/bench.d/threads.sh --help): a developer's measurement, not CI
# Arguments that start with '-' and no mode mean `allocator` with those arguments.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

mode=allocator
if [[ $# -gt 0 && ($1 != -* || $1 == -h || $1 == --help) ]]; then
  mode=$1
  shift
fi
case "$mode" in
  allocator) ;;
  demo | serve | instructions | real | threads) exec bash "$root/scripts/bench.d/$mode.sh" "$@" ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "bench.sh: unknown mode '$mode' (allocator, demo, serve, instructions, real or threads)" >&2; exit 2 ;;
esac

preset="${NEBULA_BENCH_PRESET:-relwithdebinfo}"
scripts/setup.sh
cmake --preset "$preset"
cmake --build --preset "$preset" --target nebula-bench -j "${NEBULA_BENCH_JOBS:-2}"

results=build/$preset/bench-results.json
# Random interleaving spreads every variant's repetitions over the whole run, so a burst of load
# from elsewhere on the machine hits them all alike.
"build/$preset/bench/nebula-bench" \
  --benchmark_repetitions="${NEBULA_BENCH_REPETITIONS:-15}" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_min_time="${NEBULA_BENCH_MIN_TIME:-0.2}" \
  --benchmark_out="$results" --benchmark_out_format=json \
  "$@" >/dev/null

echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores," \
  "$(ldd --version | head -n 1), $(c++ --version | head -n 1)"
python3 scripts/bench_report.py "$results"
