#!/usr/bin/env bash
# scripts/bench.sh threads: a DEVELOPER'S MEASUREMENT TOOL, not part of CI (.ci/run never calls it).
# It times a MULTI-THREADED real program nobody here wrote, LevelDB's own db_bench with two client
# threads, plain and linked with the tracker, and prints the median ratios. It answers an issue's
# request: "On multi-threaded tests the figures were within noise, with sampling costing up to
# 1.36x in one loaded set: measure them quietly." (scripts/bench.sh real is the single-threaded
# counterpart; scripts/check-third-party.sh counts leveldb's allocations, it does not time them.)
#
# db_bench is many threads at once: two client threads that allocate through operator new (keys,
# values, iterators, block cache entries), LevelDB's background compaction thread, and with
# snappy every block compressed and uncompressed into fresh buffers, so the tracker's counters
# and its sampling countdowns are hit from several threads together. What runs, from Debian's
# source package leveldb (1.23, Debian's patches applied by apt-get source), fetched at run time
# through a private apt configuration (scripts/debian-sources.sh; the system's apt sources are
# not read):
#   libleveldb.a  built ONCE with CMake (Release at -O2, static, tests and benchmarks off: the
#                 benchmarks target wants gtest and google-benchmark targets the tarball lacks;
#                 tcmalloc off, so that LevelDB's allocations are malloc's, not tcmalloc's)
#   db_bench      benchmarks/db_bench.cc with util/histogram.cc and util/testutil.cc, what
#                 CMake's leveldb_benchmark() compiles, at -O2, linked twice: plain, and with the
#                 tracker (RelWithDebInfo, nebula-debug-allocator whole archive: malloc and
#                 operator new replaced). Both link the same libleveldb.a and snappy.
# Each run: a fresh database directory, then
#   db_bench --threads=2 --num=250000 --benchmarks=fillrandom,readrandom,readseq,seekrandom
# (about 3-4 s plain on a 2-core machine; no fillsync, whose fsyncs would time the disk). The
# variants run interleaved, their order rotating each round, so that load from elsewhere on the
# machine hits them all alike: plain; tracked (sampling at its default interval); tracked with
# NEBULA_SAMPLING_INTERVAL=0. Every run must exit 0 and print each benchmark's micros/op line.
#
# Usage: scripts/bench.sh threads [--work DIR] [--runs N] [--jobs N]
#   --work DIR  sources, builds and results (default: build/bench-threads); no spaces
#   --runs N    rounds (default 11)
#   --jobs N    build parallelism (default: nproc)
# Prints two tables: per variant the wall and CPU (user+sys) times and their ratios to plain; per
# db_bench benchmark the median micros/op of each variant. Raw numbers in WORK/runs.tsv and
# WORK/benchmarks.tsv. There is no target: exit status 0 when every run succeeds, 2 on a usage or
# setup error or a failing run.
set -euo pipefail

script=bench-threads
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$repo/build/bench-threads"
runs=11
jobs="$(nproc)"
while [ $# -gt 0 ]; do
    case "$1" in
        --work) work="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-threads: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
# shellcheck source=scripts/debian-sources.sh
. "$repo/scripts/debian-sources.sh"
check_runs_and_work

# --- 1. Packages, 2. sources (through a private apt configuration: scripts/debian-sources.sh) ----
"$repo/scripts/setup.sh" >/dev/null
# gtest and gmock: util/testutil.h includes their headers (db_bench uses none of their code);
# snappy: LevelDB compresses with it when it is there, as Debian's package does.
install_missing dpkg-dev debian-archive-keyring build-essential cmake ninja-build python3 \
    libgtest-dev libgmock-dev libsnappy-dev
fetch leveldb
leveldb_src="$(source_tree 'leveldb-*')"
[ -f "$leveldb_src/benchmarks/db_bench.cc" ] || die "no benchmarks/db_bench.cc in $leveldb_src"

# --- 3. The tracker, LevelDB and the two db_bench ----------------------------------------------
build_tracker RelWithDebInfo

say "building LevelDB (static, Release at -O2)"
leveldb_build="$work/leveldb-build"
# HAVE_TCMALLOC set beforehand skips CMake's probe: a libtcmalloc on the machine would otherwise
# be linked in and take malloc from both variants.
quietly "$logs/leveldb-configure.log" cmake -S "$leveldb_src" -B "$leveldb_build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE='-O2 -DNDEBUG' \
    -DCMAKE_C_FLAGS_RELEASE='-O2 -DNDEBUG' -DBUILD_SHARED_LIBS=OFF -DLEVELDB_BUILD_TESTS=OFF \
    -DLEVELDB_BUILD_BENCHMARKS=OFF -DLEVELDB_INSTALL=OFF -DHAVE_TCMALLOC=OFF
quietly "$logs/leveldb-build.log" cmake --build "$leveldb_build" --target leveldb --parallel "$jobs"

say "building db_bench twice (plain, tracked)"
bench_build="$work/db_bench-build"
mkdir -p "$bench_build"
bench_objects=()
for source in util/histogram.cc util/testutil.cc benchmarks/db_bench.cc; do
    object="$bench_build/$(basename "$source" .cc).o"
    # C++17, not LevelDB's C++11: gtest 1.12's headers need C++14.
    quietly "$logs/db_bench-$(basename "$source" .cc).log" g++ -std=c++17 -O2 -DNDEBUG \
        -DLEVELDB_PLATFORM_POSIX=1 -I"$leveldb_build/include" -I"$leveldb_src" \
        -I"$leveldb_src/include" -c "$leveldb_src/$source" -o "$object"
    bench_objects+=("$object")
done
quietly "$logs/db_bench-plain.log" g++ -o "$bench_build/db_bench-plain" "${bench_objects[@]}" \
    "$leveldb_build/libleveldb.a" -lsnappy -lpthread
quietly "$logs/db_bench-tracked.log" g++ -o "$bench_build/db_bench-tracked" "${bench_objects[@]}" \
    "$leveldb_build/libleveldb.a" -Wl,--whole-archive "$archive" -Wl,--no-whole-archive \
    -lsnappy -ldw -lz -ldl -lpthread

# --- 4. Running --------------------------------------------------------------------------------
benchmarks=fillrandom,readrandom,readseq,seekrandom
bench_args=(--threads=2 --num=250000 "--benchmarks=$benchmarks")
variants=(plain tracked unsampled)
results="$work/runs.tsv"
per_benchmark="$work/benchmarks.tsv"
printf 'round\tvariant\twall_s\tcpu_s\n' >"$results"
printf 'round\tvariant\tbenchmark\tmicros_per_op\n' >"$per_benchmark"

# run_variant ROUND VARIANT: one run of db_bench in a fresh database; appends to both tables.
run_variant() {
    local round="$1" variant="$2" exe="$bench_build/db_bench-tracked" interval=()
    local out="$work/run.out" err="$work/run.err" db timing wall cpu name micros
    case "$variant" in
        plain) exe="$bench_build/db_bench-plain" ;;
        unsampled) interval=(NEBULA_SAMPLING_INTERVAL=0) ;;
    esac
    db="$(mktemp -d "$work/db.XXXXXX")"
    timing="$( (TIMEFORMAT='%R %U %S' &&
        time env "${interval[@]}" "$exe" "--db=$db" "${bench_args[@]}" >"$out" 2>"$err") 2>&1)" ||
        { tail -n 20 "$out" >&2; tail -c 2000 "$err" >&2; rm -rf "$db"
          die "db_bench failed ($variant)"; }
    rm -rf "$db"
    read -r wall cpu < <(awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$timing")
    printf '%d\t%s\t%s\t%s\n' "$round" "$variant" "$wall" "$cpu" >>"$results"
    for name in ${benchmarks//,/ }; do
        micros="$(sed -n "s/^$name *: *\([0-9.]*\) micros\/op.*/\1/p" "$out")"
        [ -n "$micros" ] || { cat "$out" >&2; die "no micros/op line for $name ($variant)"; }
        printf '%d\t%s\t%s\t%s\n' "$round" "$variant" "$name" "$micros" >>"$per_benchmark"
    done
}

say "$runs rounds of ${variants[*]}, order rotating; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 0; round < runs; round++)); do
    for ((i = 0; i < ${#variants[@]}; i++)); do
        run_variant "$round" "${variants[(round + i) % ${#variants[@]}]}"
    done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" "$per_benchmark" "$load_after" "db_bench ${bench_args[*]}" <<'EOF'
import csv, statistics, sys

runs_path, bench_path, load_after, command = sys.argv[1:5]
rows = list(csv.DictReader(open(runs_path), delimiter="\t"))
bench_rows = list(csv.DictReader(open(bench_path), delimiter="\t"))
VARIANTS = (("plain", "plain"), ("tracked", "tracked, sampling at its default"),
            ("unsampled", "tracked, NEBULA_SAMPLING_INTERVAL=0"))
def values(variant, field):
    return [float(row[field]) for row in rows if row["variant"] == variant]
print(f"LevelDB 1.23 (Debian) `{command}`, {len(values('plain', 'wall_s'))} interleaved "
      f"rounds, load average at the end {load_after}")
print()
print("| variant | wall median (range) | CPU user+sys median | wall / plain | CPU / plain |")
print("|---|---:|---:|---:|---:|")
plain_wall = statistics.median(values("plain", "wall_s"))
plain_cpu = statistics.median(values("plain", "cpu_s"))
for variant, label in VARIANTS:
    wall, cpu = values(variant, "wall_s"), values(variant, "cpu_s")
    print(f"| {label} | {statistics.median(wall):.3f} s ({min(wall):.3f}-{max(wall):.3f}) "
          f"| {statistics.median(cpu):.3f} s | {statistics.median(wall) / plain_wall:.3f}x "
          f"| {statistics.median(cpu) / plain_cpu:.3f}x |")
print()
print("| db_bench benchmark | plain micros/op | tracked | unsampled | tracked / plain "
      "| unsampled / plain |")
print("|---|---:|---:|---:|---:|---:|")
names = list(dict.fromkeys(row["benchmark"] for row in bench_rows))
for name in names:
    median = {variant: statistics.median(float(row["micros_per_op"]) for row in bench_rows
                                         if row["benchmark"] == name and row["variant"] == variant)
              for variant, _ in VARIANTS}
    print(f"| {name} | {median['plain']:.3f} | {median['tracked']:.3f} "
          f"| {median['unsampled']:.3f} | {median['tracked'] / median['plain']:.3f}x "
          f"| {median['unsampled'] / median['plain']:.3f}x |")
print()
ratio = statistics.median(values("tracked", "wall_s")) / plain_wall
print(f"median wall time, tracked with sampling on / plain: {ratio:.3f}x")
EOF
