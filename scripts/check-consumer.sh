#!/usr/bin/env bash
# Builds tests/consumer against nebula-debug through add_subdirectory and through find_package
# after `cmake --install`, and runs it both ways.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
jobs="$(nproc)"

echo "check-consumer: add_subdirectory"
cmake -S "$repo/tests/consumer" -B "$work/subdirectory" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DNEBULA_DEBUG_SOURCE_DIR="$repo" >/dev/null
cmake --build "$work/subdirectory" --parallel "$jobs" >/dev/null
"$work/subdirectory/consumer"

echo "check-consumer: install, then find_package"
cmake -S "$repo" -B "$work/library" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNEBULA_BUILD_TESTS=OFF \
      -DNEBULA_BUILD_DEMO=OFF -DNEBULA_BUILD_BENCHMARKS=OFF -DNEBULA_INSTALL=ON >/dev/null
cmake --build "$work/library" --parallel "$jobs" >/dev/null
cmake --install "$work/library" --prefix "$work/prefix" >/dev/null
cmake -S "$repo/tests/consumer" -B "$work/package" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/package" --parallel "$jobs" >/dev/null
"$work/package/consumer"
