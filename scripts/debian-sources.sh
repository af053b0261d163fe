# shellcheck shell=bash
# shellcheck disable=SC2154  # script, runs and work: set by the caller
# debian-sources.sh: sourced (not run) by the developer's measurement scripts that build programs
# from Debian's source packages (scripts/check-third-party.sh, scripts/bench.sh real and threads).
# It installs missing packages and fetches source packages through a PRIVATE apt configuration (a
# deb-src sources file, list and cache directories under the caller's work directory): the
# system's apt configuration is neither read for sources nor changed.
#
# The caller sets `script` (its name in messages), `runs` and `work` (sources go to $work/src, apt's
# state to $work/apt) and sources this file. Then:
#   check_runs_and_work                  --runs a positive number, --work made absolute (exit 2);
#                                        sets `logs` ($work/logs) and makes it and $work/src
#   say TEXT / die TEXT                  a timed line on standard error / the same, then exit 2
#   quietly LOG COMMAND...               runs a step into a log, its tail shown on failure
#   install_missing PACKAGE...           apt-get install (through sudo unless root) what is missing
#   fetch PACKAGE [TREE-GLOB] [--tar-only]
#                                        apt-get source PACKAGE into $work/src unless a tree
#                                        matching TREE-GLOB (default PACKAGE-*) is there already;
#                                        --tar-only unpacks only the upstream tarball, into
#                                        $work/src/PACKAGE-upstream
#   source_tree TREE-GLOB                the newest unpacked tree matching the glob
#   build_tracker BUILD-TYPE             builds nebula-debug's allocator core (CMake build type
#                                        BUILD-TYPE, in $work/nebula-build, $jobs jobs; the caller
#                                        sets `repo` and `jobs`), checks that it replaces the C
#                                        allocation family, and sets `nebula_build`, `config_hpp`
#                                        and `archive` (the static library to link whole)

say() { echo "$script: [$(date +%H:%M:%S)] $*" >&2; }
die() { echo "$script: $*" >&2; exit 2; }
quietly() {
    local log="$1"; shift
    "$@" >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "failed: $* (log: $log)"; }
}

check_runs_and_work() {
    case "$runs" in '' | *[!0-9]* | 0) die "--runs needs a positive number" ;; esac
    mkdir -p "$work"
    work="$(cd "$work" && pwd)"
    case "$work" in *[[:space:]]*) die "--work must not contain spaces: $work" ;; esac
    logs="$work/logs"
    mkdir -p "$logs" "$work/src"
}

install_missing() {
    local package missing=() sudo_cmd=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$package")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q \
        --no-install-recommends "${missing[@]}"
}

# shellcheck disable=SC2317  # called through quietly
apt_private() {
    local apt_dir="$work/apt"
    if [ ! -f "$apt_dir/sources.sources" ]; then
        mkdir -p "$apt_dir/lists/partial"
        cat >"$apt_dir/sources.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    apt-get -o Dir::Etc::SourceList="$apt_dir/sources.sources" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
        "$@"
}

source_tree() {
    find "$work/src" -mindepth 1 -maxdepth 1 -type d -name "$1" | sort -V | tail -n 1
}

debian_sources_lists_fetched=0
fetch() {
    local package="$1" tree="${2:-$1-*}" tar_only="${3:-}"
    mkdir -p "$work/src"
    if [ -z "$(source_tree "$tree")" ]; then
        if [ "$debian_sources_lists_fetched" -eq 0 ]; then
            say "apt-get update (private lists in $work/apt)"
            quietly "$logs/apt-update.log" apt_private update
            debian_sources_lists_fetched=1
        fi
        say "apt-get source $package"
        if [ "$tar_only" = --tar-only ]; then
            (cd "$work/src" &&
                quietly "$logs/apt-source-$package.log" apt_private source --tar-only "$package" &&
                mkdir "$work/src/$package-upstream" &&
                tar -xf "$package"_*.orig.tar.* -C "$work/src/$package-upstream" --strip-components=1)
        else
            (cd "$work/src" && quietly "$logs/apt-source-$package.log" apt_private source "$package")
        fi
    fi
    [ -n "$(source_tree "$tree")" ] || die "no source tree for $package in $work/src"
}

build_tracker() {
    say "building nebula-debug's allocator core ($1)"
    nebula_build="$work/nebula-build"
    quietly "$logs/nebula-configure.log" cmake -S "$repo" -B "$nebula_build" -G Ninja \
        -DCMAKE_BUILD_TYPE="$1" -DNEBULA_BUILD_DEMO=OFF -DNEBULA_BUILD_BENCHMARKS=OFF \
        -DNEBULA_BUILD_IMGUI=OFF -DNEBULA_BUILD_TESTS=OFF
    quietly "$logs/nebula-build.log" cmake --build "$nebula_build" \
        --target nebula_debug_allocator --parallel "$jobs"
    config_hpp="$nebula_build/libs/nebula-debug/include/nebula/debug/config.hpp"
    grep -q '^#define NEBULA_TRACK_MALLOC 1' "$config_hpp" ||
        die "NEBULA_TRACK_MALLOC is not 1 in $config_hpp: the C allocation family would not go through the tracker"
    # Named libnebula-debug-allocator.a, or with the configuration's suffix (-relwithdebinfo).
    archive="$(find "$nebula_build/libs/nebula-debug" -maxdepth 1 \
        -name 'libnebula-debug-allocator*.a' | sort | head -n 1)"
    [ -n "$archive" ] || die "no libnebula-debug-allocator*.a in $nebula_build/libs/nebula-debug"
}
