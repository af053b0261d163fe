#!/usr/bin/env bash
# Counts the instructions one allocation and one free execute, under valgrind's callgrind: plain
# malloc/free, ours (tracked_malloc/tracked_free) and ours under a MemoryScope, on each workload
# at 1 thread. Instruction counts do not depend on what else the machine is doing, so this is how
# to compare variants whose timings differ by less than the machine's noise (a tag, say).
# Allocation sites are not sampled in these runs (NEBULA_SAMPLING_INTERVAL=0).
# scripts/bench.sh instructions. Run after scripts/bench.sh has built
# build/relwithdebinfo/bench/nebula-bench
# (NEBULA_BENCH_PRESET=relwithdebinfo-shared: the shared-library build's).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench="$root/build/${NEBULA_BENCH_PRESET:-relwithdebinfo}/bench/nebula-bench"
[[ -x $bench ]] || { echo "build nebula-bench first: scripts/bench.sh" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# "<inclusive Ir> ... => <file>:<function> (<calls>x)" lines of callgrind_annotate's call tree.
calls_of() {  # OUTPUT_FILE FUNCTION_PATTERN -> "instructions calls" summed over matching callees
  callgrind_annotate --inclusive=yes --tree=calling "$1" 2>/dev/null |
    python3 -c '
import re, sys
pattern = re.compile(r"^\s*([\d,]+) .*=> .*:(" + sys.argv[1] + r") \((\d[\d,]*)x\)")
instructions = calls = 0
for line in sys.stdin:
    match = pattern.match(line)
    if match:
        instructions += int(match.group(1).replace(",", ""))
        calls += int(match.group(3).replace(",", ""))
print(instructions, calls)' "$2"
}

printf '| Workload | Variant | instructions per allocation | per free | per pair |\n'
printf '|---|---|---:|---:|---:|\n'
for workload in Pairs64 Batch1000 MixedSizes Pairs4K; do
  for variant in PlainMalloc Tracked TrackedInScope TrackedMalloc; do
    out="$work/$workload.$variant.out"
    # Sampling's countdown runs, its samples do not: at callgrind's short runs one first capture
    # (libunwind building a thread's cache) would outweigh thousands of calls. What sampling
    # costs at its default interval is timed by nebula-bench's SamplingCost.
    NEBULA_SAMPLING_INTERVAL=0 valgrind --tool=callgrind --callgrind-out-file="$out" "$bench" \
      --benchmark_filter="^$workload<$variant>/real_time/threads:1\$" \
      --benchmark_min_time=0.02 >/dev/null 2>&1
    if [[ $variant == PlainMalloc ]]; then
      read -r alloc_ir alloc_calls < <(calls_of "$out" '__libc_malloc|malloc')
      read -r free_ir free_calls < <(calls_of "$out" '__libc_free|free')
    elif [[ $variant == TrackedMalloc ]]; then
      read -r alloc_ir alloc_calls < <(calls_of "$out" 'malloc')
      read -r free_ir free_calls < <(calls_of "$out" 'free')
    else
      read -r alloc_ir alloc_calls < <(calls_of "$out" 'nebula::debug::tracked_malloc\(unsigned long\)')
      read -r free_ir free_calls < <(calls_of "$out" 'nebula::debug::tracked_free\(void\*\)')
    fi
    python3 -c "
a, ac, f, fc = $alloc_ir, $alloc_calls, $free_ir, $free_calls
print(f'| $workload | $variant | {a / ac:.1f} | {f / fc:.1f} | {a / ac + f / fc:.1f} |')"
  done
done
