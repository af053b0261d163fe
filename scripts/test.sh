#!/usr/bin/env bash
# Sets up the machine, builds and runs the whole test suite.
#   scripts/test.sh            the debug preset (tracking on)
#   scripts/test.sh asan|tsan|release|relwithdebinfo
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-debug}"

if [ "$(id -u)" -eq 0 ]; then bash scripts/setup.sh; else sudo bash scripts/setup.sh; fi

jobs="$(nproc)"
cmake --preset "$preset"
cmake --build --preset "$preset" --parallel "$jobs"
ctest --preset "$preset" --parallel "$jobs"
