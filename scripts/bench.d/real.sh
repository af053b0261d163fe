#!/usr/bin/env bash
# scripts/bench.sh real: a DEVELOPER'S MEASUREMENT TOOL, not part of CI (.ci/run never calls it).
# It times a real program nobody here wrote, Lua's own test suite, plain and linked with the tracker, and
# prints the median ratio (issue 24: at most 1.03x with sampling on).
#
# Lua allocates everything through one realloc-based hook (lauxlib's l_alloc: realloc, and free
# for a new size of 0), so its suite is a realloc-heavy program with a Lua heap's size mix. What
# runs, all from Debian's source packages, fetched at run time through a private apt
# configuration (scripts/debian-sources.sh, shared with scripts/check-third-party.sh; the
# system's apt sources are not read):
#   lua5.1                        the interpreter (Lua 5.1.5), built twice from its src/*.c with
#                                 -O2: plain, and with the tracker (RelWithDebInfo,
#                                 nebula-debug-allocator whole archive: malloc and realloc replaced)
#   golang-github-yuin-gopher-lua carries the official Lua 5.1 test scripts (_lua5.1-tests); Lua's
#                                 own source packages do not ship their suites. all.lua runs
#                                 without main.lua (it starts interpreters through the shell),
#                                 big.lua (it allocates 4 GiB to overflow a 32-bit length),
#                                 pm.lua and math.lua (edited by gopher-lua for its own dialect)
# The variants run interleaved, their order rotating each round, so that load from elsewhere on
# the machine hits them all alike: plain; tracked (sampling at its default interval); tracked with
# NEBULA_SAMPLING_INTERVAL=0. Every run must print the suite's "final OK".
#
# Usage: scripts/bench.sh real [--work DIR] [--runs N] [--jobs N] [--instructions]
#   --work DIR      sources, builds and results (default: build/bench-real); no spaces
#   --runs N        rounds (default 11)
#   --jobs N        build parallelism (default: nproc)
#   --instructions  also run each variant once under valgrind's callgrind and print the
#                   instructions each executed: reproducible on a loaded machine, unlike time
# Exit status: 0 when the median wall-time ratio tracked/plain is at most 1.03, 1 when not,
# 2 on a usage or setup error or a failing suite.
set -euo pipefail

script=bench-real
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$repo/build/bench-real"
runs=11
jobs="$(nproc)"
instructions=0
while [ $# -gt 0 ]; do
    case "$1" in
        --work) work="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --instructions) instructions=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-real: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
# shellcheck source=scripts/debian-sources.sh
. "$repo/scripts/debian-sources.sh"
check_runs_and_work

# --- 1. Packages, 2. sources (through a private apt configuration: scripts/debian-sources.sh) ----
"$repo/scripts/setup.sh" >/dev/null
install_missing dpkg-dev debian-archive-keyring build-essential cmake ninja-build python3 valgrind
fetch lua5.1 'lua5.1-5*'
# Only its upstream tarball: the test scripts are there, and the packaging's is missing from some
# mirrors.
fetch golang-github-yuin-gopher-lua 'golang-github-yuin-gopher-lua-upstream' --tar-only
lua_src="$(source_tree 'lua5.1-5*')/src"
suite_src="$(source_tree 'golang-github-yuin-gopher-lua-upstream')/_lua5.1-tests"
[ -f "$suite_src/all.lua" ] || die "no _lua5.1-tests/all.lua in the gopher-lua source package"

# --- 3. The tracker and the two interpreters ---------------------------------------------------
build_tracker RelWithDebInfo

say "building Lua 5.1 twice (plain, tracked)"
lua_build="$work/lua-build"
mkdir -p "$lua_build"
# What debian/rules generates for the packaged luaconf.h: where the system's C modules live.
echo "#define DEB_HOST_MULTIARCH \"$(gcc -print-multiarch)\"" >"$lua_build/lua5.1-deb-multiarch.h"
lua_objects=()
for name in lapi lcode ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate \
    lstring ltable ltm lundump lvm lzio lauxlib lbaselib ldblib liolib lmathlib loslib ltablib \
    lstrlib loadlib linit lua; do
    quietly "$logs/lua-$name.log" gcc -O2 -I"$lua_build" -c "$lua_src/$name.c" -o "$lua_build/$name.o"
    lua_objects+=("$lua_build/$name.o")
done
quietly "$logs/lua-plain.log" gcc -o "$lua_build/lua-plain" "${lua_objects[@]}" -lm
quietly "$logs/lua-tracked.log" g++ -o "$lua_build/lua-tracked" "${lua_objects[@]}" \
    -Wl,--whole-archive "$archive" -Wl,--no-whole-archive -ldw -lz -ldl -lpthread -lm

suite="$work/suite"
rm -rf "$suite"
cp -r "$suite_src" "$suite"
sed -E -e "/^(assert\()?dofile\('(main|pm|math)\.lua'\)/d" -e "/^do$/{N;/big\.lua/{N;N;N;d}}" \
    "$suite/all.lua" >"$suite/all-user.lua"

# --- 4. Running --------------------------------------------------------------------------------
variants=(plain tracked unsampled)
run_variant() {  # run_variant VARIANT: one run of the suite; prints "wall user+sys" in seconds
    local exe="$lua_build/lua-tracked" interval=() out="$work/run.out" timing
    case "$1" in
        plain) exe="$lua_build/lua-plain" ;;
        unsampled) interval=(NEBULA_SAMPLING_INTERVAL=0) ;;
    esac
    timing="$( (cd "$suite" && TIMEFORMAT='%R %U %S' &&
        time env "${interval[@]}" "$exe" all-user.lua >"$out" 2>&1) 2>&1)" ||
        { tail -n 20 "$out" >&2; die "the suite failed ($1)"; }
    grep -q 'final OK' "$out" || { tail -n 20 "$out" >&2; die "no 'final OK' ($1)"; }
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$timing"
}

results="$work/runs.tsv"
printf 'round\tvariant\twall_s\tcpu_s\n' >"$results"
say "$runs rounds of ${variants[*]}, order rotating; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 0; round < runs; round++)); do
    for ((i = 0; i < ${#variants[@]}; i++)); do
        variant="${variants[(round + i) % ${#variants[@]}]}"
        read -r wall cpu < <(run_variant "$variant")
        printf '%d\t%s\t%s\t%s\n' "$round" "$variant" "$wall" "$cpu" >>"$results"
    done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$instructions" -eq 1 ]; then
    say "one run of each under callgrind"
    for variant in "${variants[@]}"; do
        exe="$lua_build/lua-tracked"
        [ "$variant" = plain ] && exe="$lua_build/lua-plain"
        sampling=0
        [ "$variant" = tracked ] && sampling=524288
        (cd "$suite" && NEBULA_SAMPLING_INTERVAL=$sampling valgrind --tool=callgrind \
            --callgrind-out-file="$work/callgrind.$variant" "$exe" all-user.lua \
            >"$logs/callgrind-$variant.log" 2>&1) || die "the suite failed under callgrind"
    done
fi

python3 - "$results" "$work" "$instructions" "$load_after" <<'EOF'
import csv, os, re, statistics, sys

path, work, instructions, load_after = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
rows = list(csv.DictReader(open(path), delimiter="\t"))
TARGET = 1.03
def values(variant, field):
    return [float(row[field]) for row in rows if row["variant"] == variant]
print(f"Lua 5.1 test suite (user mode), {len(values('plain', 'wall_s'))} interleaved rounds, "
      f"load average at the end {load_after}")
print("| variant | wall median (range) | CPU user+sys median | wall / plain | CPU / plain |")
print("|---|---:|---:|---:|---:|")
plain_wall = statistics.median(values("plain", "wall_s"))
plain_cpu = statistics.median(values("plain", "cpu_s"))
for variant, label in (("plain", "plain"), ("tracked", "tracked, sampling at its default"),
                       ("unsampled", "tracked, NEBULA_SAMPLING_INTERVAL=0")):
    wall, cpu = values(variant, "wall_s"), values(variant, "cpu_s")
    print(f"| {label} | {statistics.median(wall):.3f} s ({min(wall):.3f}-{max(wall):.3f}) "
          f"| {statistics.median(cpu):.3f} s | {statistics.median(wall) / plain_wall:.3f}x "
          f"| {statistics.median(cpu) / plain_cpu:.3f}x |")
if instructions:
    total = {}
    for variant in ("plain", "tracked", "unsampled"):
        with open(os.path.join(work, f"callgrind.{variant}")) as out:
            total[variant] = int(re.search(r"^(?:summary|totals): (\d+)", out.read(), re.M).group(1))
    for variant in ("tracked", "unsampled"):
        print(f"instructions (callgrind), {variant}: {total[variant]:,} against plain's "
              f"{total['plain']:,}: {total[variant] / total['plain']:.3f}x")
ratio = statistics.median(values("tracked", "wall_s")) / plain_wall
verdict = "met" if ratio <= TARGET else "MISSED"
print(f"median wall time, tracked with sampling on / plain: {ratio:.3f}x (<= {TARGET}x)  {verdict}")
sys.exit(0 if ratio <= TARGET else 1)
EOF
