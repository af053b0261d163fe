#!/usr/bin/env bash
# The demo's cost of tracking: the headless explore scenario, the same frames, in two builds at the
# same optimisation level (RelWithDebInfo) that differ only in NEBULA_MEMORY_TRACKING (ON in
# build/bench-demo-on, OFF in build/bench-demo-off), and the tracking build once more with
# allocation sites not sampled (NEBULA_SAMPLING_INTERVAL=0): what sampling at its default costs.
# Runs of the three are interleaved so that load from elsewhere on the machine hits them alike;
# prints the median wall time of each, the ratios, and the median time per frame of the memory
# reporting itself (every subsystem's report, the budget's warnings and callbacks, the leak
# watch), which the demo measures.
#
#   scripts/bench.sh demo [RUNS] [FRAMES]   defaults: 7 runs of each, 1200 frames (20 s simulated)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/demo_builds.sh"
bench_demo_builds on off

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for run in $(seq 1 "$runs"); do
  for variant in on unsampled off; do
    build=$([ "$variant" = off ] && echo off || echo on)
    interval=$([ "$variant" = unsampled ] && echo 0 || echo 524288)
    NEBULA_SAMPLING_INTERVAL=$interval NEBULA_LEAK_REPORT=0 \
      "build/bench-demo-$build/apps/nebula-demo/nebula-demo" --headless --scenario explore \
      --frames "$frames" 2>/dev/null |
      sed -n -e "s/^Summary: .* in \([0-9.]*\) s .*/$variant wall \1/p" \
        -e "s/^  Memory reporting: \([0-9.]*\) us\/frame.*/$variant reporting \1/p" >>"$results"
  done
  echo "run $run of $runs done" >&2
done

python3 - "$results" "$runs" "$frames" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    tracking, what, number = line.split()
    values.setdefault((tracking, what), []).append(float(number))
median = {key: statistics.median(v) for key, v in values.items()}
runs, frames = sys.argv[2], sys.argv[3]
print(f"headless explore, {frames} frames, {runs} interleaved runs of each, medians:")
names = {"on": "tracking on", "unsampled": "tracking on, sampling off", "off": "tracking off"}
for variant in ("on", "unsampled", "off"):
    wall = values[(variant, "wall")]
    print(f"  {names[variant]:>25}: wall {median[(variant, 'wall')]:.3f} s "
          f"(min {min(wall):.3f}, max {max(wall):.3f}), "
          f"memory reporting {median[(variant, 'reporting')]:.1f} us/frame")
ratio = median[("on", "wall")] / median[("off", "wall")]
print(f"  wall time ratio on/off: {ratio:.3f} (target <= 1.05)")
sampling = median[("on", "wall")] / median[("unsampled", "wall")]
print(f"  wall time ratio sampling on/off: {sampling:.3f} (target <= 1.01)")
PY
