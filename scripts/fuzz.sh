#!/usr/bin/env bash
# Fuzzes the budgets config loader (load_budget_config_string) with libFuzzer, ASan and UBSan for
# a bounded time: sets up the machine, configures and builds the fuzz preset (clang), then runs
# the fuzzer over a copy of the seed corpus under build/fuzz/. Fails when the fuzzer finds a
# crash, a sanitizer report, a leak, a timeout or an out-of-memory; the input that caused it is
# saved under build/fuzz/fuzz-run/artifacts/. The seed corpus in the source tree is never written.
#   scripts/fuzz.sh [SECONDS]   fuzzing time, default 60 (the build comes on top)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS]   (a whole number of seconds, at least 1)" >&2
    exit 2
fi

if [ "$(id -u)" -eq 0 ]; then bash scripts/setup.sh; else sudo bash scripts/setup.sh; fi

cmake --preset fuzz
cmake --build --preset fuzz --parallel "$(nproc)"

fuzzer=build/fuzz/libs/nebula-debug/fuzz/nebula_config_fuzzer
run_dir=build/fuzz/fuzz-run
corpus="$run_dir/corpus"
artifacts="$run_dir/artifacts"
# The working corpus keeps what earlier runs found; the seeds are copied in afresh each time.
mkdir -p "$corpus" "$artifacts"
cp libs/nebula-debug/fuzz/corpus/* "$corpus/"
rm -f "$artifacts"/*

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
echo "fuzz: $fuzzer for ${seconds} s over $corpus"
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" || status=$?

if [ "$status" -ne 0 ]; then
    echo "fuzz: the fuzzer failed (exit status $status); inputs saved:" >&2
    ls -1 "$artifacts" >&2 || true
    echo "fuzz: replay one with: $fuzzer $artifacts/<file>" >&2
    exit 1
fi
echo "fuzz: no crash in ${seconds} s"
