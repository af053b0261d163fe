#!/usr/bin/env bash
# Builds the consumers in tests/ against nebula-debug the supported ways and runs them:
#  - add_subdirectory, with the engine's own Dear ImGui target (NEBULA_IMGUI_TARGET) and
#    pkg-config pointing nowhere;
#  - find_package from one prefix holding a Debug and a Release install, built in Debug,
#    RelWithDebInfo, Release and Ninja Multi-Config: each configuration must track exactly when it
#    should (Release defines no operator new of its own: nm), the panel compiled against the
#    engine's ImGui and against Debian's, the HTTP endpoint (component server), a core-only
#    consumer with ImGui and pkg-config hidden;
#  - a C consumer (LANGUAGES C) in Debug and Release;
#  - a consumer whose configuration the prefix lacks: a clear message at configure time.
# The library is built twice (Debug, Release) and once more through add_subdirectory; the
# consumers are a file or two each.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
jobs="$(nproc)"
prefix="$work/prefix"
# No imgui.pc (nor any .pc) to fall back on unless a step asks for Debian's ImGui.
no_pkg_config="$work/no-pkg-config"

# Runs a step quietly, showing its output only when it fails.
quietly() {
    "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log" >&2; echo "check-consumer: failed: $*" >&2; exit 1; }
}
fail() { echo "check-consumer: $*" >&2; exit 1; }

# The number of replacement operator new definitions in a program (0 when tracking is compiled out).
operator_news() { nm --defined-only --demangle "$1" | grep -c ' T operator new' || true; }

# Runs a consumer program and checks that it tracks exactly when `expected` (on/off) says.
expect_tracking() {
    local program="$1" expected="$2"
    local output
    output="$("$program")" || fail "$program failed: $output"
    echo "  $output"
    case "$output" in *"tracking $expected"*) ;; *) fail "$program: expected tracking $expected";; esac
    local news
    news="$(operator_news "$program")"
    if [ "$expected" = on ] && [ "$news" -eq 0 ]; then
        fail "$program tracks but defines no operator new"
    fi
    if [ "$expected" = off ] && [ "$news" -ne 0 ]; then
        fail "$program defines $news replacement operator new in a configuration without tracking"
    fi
}

echo "check-consumer: add_subdirectory, the engine's own ImGui, no pkg-config"
quietly env PKG_CONFIG_LIBDIR="$no_pkg_config" cmake -S "$repo/tests/consumer" -B "$work/subdirectory" \
    -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNEBULA_DEBUG_SOURCE_DIR="$repo" -DCONSUMER_IMGUI=engine \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
quietly cmake --build "$work/subdirectory" --parallel "$jobs"
expect_tracking "$work/subdirectory/consumer" on
"$work/subdirectory/consumer_panel"
grep 'memory_panel.cpp' "$work/subdirectory/compile_commands.json" | grep -q 'engine_imconfig.h' ||
    fail "the panel was not compiled with the engine's ImGui configuration"

echo "check-consumer: install Debug and Release into one prefix"
for config in Debug Release; do
    imgui=ON
    [ "$config" = Release ] && imgui=OFF  # the panel is installed as sources, once is enough
    quietly cmake -S "$repo" -B "$work/library-$config" -G Ninja -DCMAKE_BUILD_TYPE="$config" \
        -DNEBULA_BUILD_TESTS=OFF -DNEBULA_BUILD_DEMO=OFF -DNEBULA_BUILD_BENCHMARKS=OFF \
        -DNEBULA_BUILD_IMGUI="$imgui" -DNEBULA_INSTALL=ON
    quietly cmake --build "$work/library-$config" --parallel "$jobs"
    quietly cmake --install "$work/library-$config" --prefix "$prefix"
done
[ -x "$prefix/bin/nebula-memreport" ] || fail "nebula-memreport is not installed into bin"
ls "$prefix/lib/cmake/nebula-debug/nebula-debug-targets-debug.cmake" \
   "$prefix/lib/cmake/nebula-debug/nebula-debug-targets-release.cmake" >/dev/null ||
    fail "the Release install removed the Debug targets"

echo "check-consumer: find_package, Debug with the engine's own ImGui, no pkg-config"
quietly env PKG_CONFIG_LIBDIR="$no_pkg_config" cmake -S "$repo/tests/consumer" -B "$work/debug" \
    -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_IMGUI=engine \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
quietly cmake --build "$work/debug" --parallel "$jobs"
expect_tracking "$work/debug/consumer" on
"$work/debug/consumer_panel"
grep 'memory_panel.cpp' "$work/debug/compile_commands.json" | grep -q 'engine_imconfig.h' ||
    fail "the installed panel was not compiled with the engine's ImGui configuration"

echo "check-consumer: find_package, RelWithDebInfo with Debian's ImGui and the server"
quietly cmake -S "$repo/tests/consumer" -B "$work/relwithdebinfo" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH="$prefix" -DCONSUMER_IMGUI=debian \
    -DCONSUMER_SERVER=ON
quietly cmake --build "$work/relwithdebinfo" --parallel "$jobs"
expect_tracking "$work/relwithdebinfo/consumer" on
"$work/relwithdebinfo/consumer_panel"
"$work/relwithdebinfo/consumer_server"

echo "check-consumer: find_package, Release, core only with ImGui and pkg-config hidden"
quietly env PKG_CONFIG_LIBDIR="$no_pkg_config" cmake -S "$repo/tests/consumer" -B "$work/release" \
    -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON
quietly cmake --build "$work/release" --parallel "$jobs"
expect_tracking "$work/release/consumer" off

echo "check-consumer: find_package, Ninja Multi-Config, core only"
quietly env PKG_CONFIG_LIBDIR="$no_pkg_config" cmake -S "$repo/tests/consumer" -B "$work/multi" \
    -G "Ninja Multi-Config" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON
for config in Debug RelWithDebInfo Release; do
    quietly cmake --build "$work/multi" --config "$config" --parallel "$jobs"
    expected=on
    [ "$config" = Release ] && expected=off
    expect_tracking "$work/multi/$config/consumer" "$expected"
done

echo "check-consumer: a C project (LANGUAGES C), Debug and Release"
for config in Debug Release; do
    quietly cmake -S "$repo/tests/consumer-c" -B "$work/c-$config" -G Ninja \
        -DCMAKE_BUILD_TYPE="$config" -DCMAKE_PREFIX_PATH="$prefix"
    quietly cmake --build "$work/c-$config" --parallel "$jobs"
    "$work/c-$config/consumer_c" "$work/c-$config/heap.pb.gz"
done

echo "check-consumer: a configuration the prefix lacks"
quietly cmake --install "$work/library-Debug" --prefix "$work/debug-only"
if cmake -S "$repo/tests/consumer" -B "$work/lacking" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$work/debug-only" >"$work/lacking.log" 2>&1; then
    fail "a Release consumer configured against a Debug-only prefix"
fi
grep -q "is installed for Debug only" "$work/lacking.log" ||
    { cat "$work/lacking.log" >&2; fail "no clear message for the lacking Release build"; }
echo "check-consumer: all consumers passed"
