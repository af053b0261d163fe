#!/usr/bin/env bash
# Sets up the machine, builds and runs the whole test suite.
#   scripts/test.sh            the debug preset (tracking on)
#   scripts/test.sh asan|tsan|release|relwithdebinfo|clang
#   scripts/test.sh mingw      the core and its tests built for Windows with MinGW-w64, run under
#                              Wine (installs the cross toolchain and Wine first)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-debug}"

setup_extra=()
if [ "$preset" = mingw ]; then
  setup_extra=(mingw)
fi
if [ "$(id -u)" -eq 0 ]; then
  bash scripts/setup.sh "${setup_extra[@]}"
else
  sudo bash scripts/setup.sh "${setup_extra[@]}"
fi

jobs="$(nproc)"

if [ "$preset" = mingw ]; then
  bash scripts/build-gtest-mingw.sh
  # One Wine prefix for this build (the preset's) and one persistent wineserver for the whole
  # stage: without it every test program under ctest starts Wine's services anew, and they hold
  # ctest's output pipe until they idle out, seconds per test. Started before the build, which
  # runs each test program under Wine to list its tests.
  export WINEPREFIX="$PWD/build/mingw/wine" WINEDEBUG=-all
  mkdir -p "$WINEPREFIX"
  stop_wine() { wineserver -k 2>/dev/null || true; }
  trap stop_wine EXIT
  trap 'exit 124' TERM INT
  wineserver -p
  # Creates the prefix on the first run. Its output goes to a file, not a pipe: the services it
  # starts inherit the handles and keep them open for as long as the wineserver runs.
  timeout 300 wine cmd /c exit >build/mingw/wine-start.log 2>&1 </dev/null
  # Watchdogs: a hang under Wine fails the stage instead of hanging CI (each test also has the
  # preset's 300 s timeout).
  timeout 600 cmake --preset mingw
  timeout 1800 cmake --build --preset mingw --parallel "$jobs"
  timeout 1200 ctest --preset mingw --parallel "$jobs"
  # A program outside the repository, cross-compiled through add_subdirectory with the project's
  # toolchain file: threads, tags, an aligned block and a thread's exit must count exactly.
  timeout 600 cmake -S tests/consumer -B build/mingw-consumer -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/mingw-w64.cmake" -DNEBULA_DEBUG_SOURCE_DIR="$PWD"
  timeout 1200 cmake --build build/mingw-consumer --parallel "$jobs"
  timeout 300 wine build/mingw-consumer/consumer.exe </dev/null
  exit 0
fi

cmake --preset "$preset"
cmake --build --preset "$preset" --parallel "$jobs"
ctest --preset "$preset" --parallel "$jobs"
