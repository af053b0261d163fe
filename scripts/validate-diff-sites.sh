#!/usr/bin/env bash
# What `nebula-memreport diff-sites` detects, measured (docs/benchmarks.md, "Comparing runs"):
# PAIRS pairs of runs of tools/workload/diff_sites_workload.cpp, each run with its own sampling
# seed. In an injected pair the second run holds LEAK more bytes at one more site, in blocks of
# BLOCK bytes, under tag TAG (Cache: a tag of its own; World: beside an unchanged site): how often
# diff-sites flags that site is its power. In an identical pair both runs do the same: any flag is
# a false alarm. Run by hand, not in CI (minutes, and a measurement).
#
#   [RATES="1 5"] scripts/validate-diff-sites.sh [PAIRS] [INTERVAL LEAK BLOCK MIN_GROWTH TAG]...
#   default: 100 pairs of each of 524288 4194304 4096 1048576 Cache (the default interval, a new
#   4 MiB site of 4 KiB blocks under a new tag, --min-growth 1 MiB), the same under World, and
#   65536 1048576 4096 262144 World (64 KiB, a 1 MiB site).
#   RATES: the --false-alarm-rate values (percent) to judge each pair's profiles at; default 1,
#   diff-sites' own default. The same profiles serve every rate, so their figures are paired.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
pairs=${1:-100}
read -r -a rates <<<"${RATES:-1}"
shift || true
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  cases=(524288 4194304 4096 1048576 Cache 524288 4194304 4096 1048576 World
    65536 1048576 4096 262144 World)
fi
if [ $((${#cases[@]} % 5)) -ne 0 ]; then
  echo "usage: $0 [PAIRS] [INTERVAL LEAK BLOCK MIN_GROWTH TAG]..." >&2
  exit 2
fi

cmake --preset debug >/dev/null
cmake --build --preset debug --target nebula-diff-sites-workload >/dev/null
workload=build/debug/tools/nebula-diff-sites-workload
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Exit status of diff-sites (1: something flagged) and whether the leaking site was among them.
compare() {
  local min_growth=$1 rate=$2 status=0
  tools/nebula-memreport diff-sites "$work/before.pb.gz" "$work/after.pb.gz" \
    --min-growth "$min_growth" --false-alarm-rate "$rate" >"$work/out" || status=$?
  [ "$status" -le 1 ] || { cat "$work/out" >&2; exit 1; }
  echo "$status $(grep -c '^diff-sites: .*leak_cache_entries' "$work/out" || true)"
}

printf '%-9s %-8s %-8s %-10s %-6s %-6s %-5s  %-22s %s\n' interval leak block min-growth tag \
  rate% pairs "injected site flagged" "identical pairs with a flag"
for ((c = 0; c < ${#cases[@]}; c += 5)); do
  interval=${cases[c]} leak=${cases[c + 1]} block=${cases[c + 2]} min_growth=${cases[c + 3]}
  tag=${cases[c + 4]}
  declare -A detected=() false_alarms=() other_flags=()
  for rate in "${rates[@]}"; do
    detected[$rate]=0 false_alarms[$rate]=0 other_flags[$rate]=0
  done
  for ((pair = 0; pair < pairs; ++pair)); do
    seed=$((1000 * c + 2 * pair + 1))
    export NEBULA_SAMPLING_INTERVAL=$interval
    NEBULA_SAMPLING_SEED=$seed NEBULA_HEAP_PROFILE=$work/before.pb.gz "$workload"
    NEBULA_SAMPLING_SEED=$((seed + 1)) NEBULA_HEAP_PROFILE=$work/after.pb.gz "$workload" \
      --leak "$leak" --leak-block "$block" --leak-tag "$tag"
    for rate in "${rates[@]}"; do
      read -r status leaking < <(compare "$min_growth" "$rate")
      detected[$rate]=$((detected[$rate] + leaking))
      # A flag on any other site of an injected pair is a false alarm too.
      if [ "$status" -eq 1 ] && [ "$leaking" -eq 0 ]; then
        other_flags[$rate]=$((other_flags[$rate] + 1))
      fi
    done
    NEBULA_SAMPLING_SEED=$((seed + 500)) NEBULA_HEAP_PROFILE=$work/after.pb.gz "$workload"
    for rate in "${rates[@]}"; do
      read -r status leaking < <(compare "$min_growth" "$rate")
      false_alarms[$rate]=$((false_alarms[$rate] + status))
    done
  done
  for rate in "${rates[@]}"; do
    others="injected pairs flagging another site only: ${other_flags[$rate]}"
    printf '%-9s %-8s %-8s %-10s %-6s %-6s %-5s  %-22s %s\n' "$interval" "$leak" "$block" \
      "$min_growth" "$tag" "$rate" "$pairs" "${detected[$rate]}/$pairs" \
      "${false_alarms[$rate]}/$pairs ($others)"
  done
  unset detected false_alarms other_flags
done
