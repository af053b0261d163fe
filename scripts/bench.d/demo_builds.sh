# Sourced by the demo's benchmarks (scripts/bench.d/demo.sh, serve.sh), which take the same
# arguments and time the same builds: sets root (the checkout, made the working directory), runs
# and frames ([RUNS] [FRAMES], defaults: 7 runs of each variant, 1200 frames), and defines
# bench_demo_builds.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
runs=${1:-7}
frames=${2:-1200}

# bench_demo_builds TRACKING...: installs what the build needs (scripts/setup.sh), then builds
# nebula-demo at one optimisation level (RelWithDebInfo) for each TRACKING given, `on` or `off`
# (NEBULA_MEMORY_TRACKING), in build/bench-demo-TRACKING. NEBULA_BENCH_JOBS (default 2) bounds
# the build.
bench_demo_builds() {
  scripts/setup.sh >/dev/null
  local tracking
  for tracking in "$@"; do
    cmake -S . -B "build/bench-demo-$tracking" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DNEBULA_MEMORY_TRACKING="${tracking^^}" -DNEBULA_BUILD_TESTS=OFF \
      -DNEBULA_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build "build/bench-demo-$tracking" --target nebula-demo -j "${NEBULA_BENCH_JOBS:-2}" \
      >/dev/null
  done
}
