#!/usr/bin/env bash
# Builds tests/consumer against nebula-debug through add_subdirectory and through find_package
# after `cmake --install`, and runs it both ways.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
jobs="$(nproc)"

# Runs a step quietly, showing its output only when it fails.
quietly() {
    "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log" >&2; echo "check-consumer: failed: $*" >&2; exit 1; }
}

echo "check-consumer: add_subdirectory"
quietly cmake -S "$repo/tests/consumer" -B "$work/subdirectory" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DNEBULA_DEBUG_SOURCE_DIR="$repo"
quietly cmake --build "$work/subdirectory" --parallel "$jobs"
"$work/subdirectory/consumer"

echo "check-consumer: install, then find_package"
quietly cmake -S "$repo" -B "$work/library" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNEBULA_BUILD_TESTS=OFF \
      -DNEBULA_BUILD_DEMO=OFF -DNEBULA_BUILD_BENCHMARKS=OFF -DNEBULA_INSTALL=ON
quietly cmake --build "$work/library" --parallel "$jobs"
quietly cmake --install "$work/library" --prefix "$work/prefix"
quietly cmake -S "$repo/tests/consumer" -B "$work/package" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_PREFIX_PATH="$work/prefix"
quietly cmake --build "$work/package" --parallel "$jobs"
"$work/package/consumer"
