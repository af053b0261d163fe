#!/usr/bin/env bash
# check-third-party.sh: a DEVELOPER'S MEASUREMENT TOOL, not part of CI (.ci/run never calls it). It
# downloads Debian source packages, builds three third-party projects twice and runs their test
# suites several times, with nebula-debug and under heaptrack: 30-60 minutes on 2 cores.
#
# What it measures (issue 9): real third-party programs' own test suites, which nobody here wrote,
# linked with the tracker (nebula-debug-allocator, whole archive, Debug), must pass; and for each
# test program the tracker's allocation_count must be within 3% of heaptrack's "calls to allocation
# functions" for the same program built without the tracker and run plain under heaptrack, and
# its peak_allocated_bytes within 10% of heaptrack's "peak heap memory consumption". For a
# multi-threaded program the numbers move from run to run, so each side runs --runs times and a
# difference inside that spread (the two ranges overlap) counts as met. A third column, for
# diagnosis only, counts the plain program's calls at about its own speed (count_calls.so,
# preloaded): where heaptrack's slowdown changes the work a program does, that column agrees with
# ours and not with heaptrack's.
#
#   cjson    (Debian source package cjson): C, single-threaded, allocates through malloc only;
#            its ctest suite (Unity tests, cJSON_Utils included).
#   libzstd  (libzstd): C, multi-threaded (ZSTDMT worker pools), malloc/calloc; the programs of
#            tests/Makefile's `test` target that do not drive the zstd CLI or time a benchmark
#            (fuzzer, zstreamtest twice, decodecorpus, invalidDictionaries, legacy, poolTests), with
#            fixed iteration counts and seeds instead of the Makefile's time budgets (-T90s), so
#            that a slower run (heaptrack's) does the same work.
#   leveldb  (leveldb): C++, multi-threaded (background compaction thread, env thread pool),
#            operator new mostly; its ctest suite (gtest). For the comparison db_test skips
#            DBTest.MultiThreaded, which runs for a fixed 10 seconds per option set, so that its
#            allocation count depends on how fast the process runs (the suite run keeps it).
#
# Sources come through apt-get with a PRIVATE configuration (a deb-src sources file, list and cache
# directories under --work): the system's apt configuration is neither read for sources nor
# changed. Needs root or sudo only to install missing packages (scripts/setup.sh's list, then
# heaptrack, dpkg-dev, debian-archive-keyring and the chosen packages' build dependencies).
#
# Usage: scripts/check-third-party.sh [--work DIR] [--runs N] [--projects LIST] [--jobs N]
#   --work DIR       sources, builds, logs and results (default: build/third-party); no spaces
#   --runs N         runs of each multi-threaded program per side (default 3; single-threaded: 1)
#   --projects LIST  comma-separated subset of cjson,libzstd,leveldb (default: all three)
#   --jobs N         build parallelism (default: nproc)
# Prints the table at the end (also in WORK/results/table.txt); raw numbers in
# WORK/results/runs.tsv, suite results in WORK/results/suites.tsv, every run's output in
# WORK/logs. Exit status: 0 when every suite passes with the tracker and every target is met,
# 1 otherwise, 2 on a usage or setup error.
set -euo pipefail

script=check-third-party
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$repo/build/third-party"
runs=3
projects="cjson,libzstd,leveldb"
jobs="$(nproc)"
while [ $# -gt 0 ]; do
    case "$1" in
        --work) work="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --projects) projects="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "check-third-party: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
# shellcheck source=scripts/debian-sources.sh
. "$repo/scripts/debian-sources.sh"
check_runs_and_work
wanted() { case ",$projects," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

results="$work/results"
mkdir -p "$results" "$work/build" "$work/tmp"
runs_tsv="$results/runs.tsv"
suites_tsv="$results/suites.tsv"
: >"$runs_tsv"
: >"$suites_tsv"
compare="$repo/tests/third_party/compare.py"

# --- 1. Packages, 2. sources (through a private apt configuration: scripts/debian-sources.sh) ----
bash "$repo/scripts/setup.sh"
install_missing heaptrack dpkg-dev debian-archive-keyring build-essential cmake ninja-build python3 \
    libgtest-dev libgmock-dev libsnappy-dev

# --- 3. The tracker ----------------------------------------------------------------------------
build_tracker Debug
# A directory named after the tracker's content: a new tracker changes the link command lines,
# so the third-party builds relink.
hash="$(cat "$archive" "$repo/tests/third_party/report_at_exit.cpp" \
    "$repo/tests/third_party/count_calls.c" | sha256sum | cut -c1-16)"
tracker="$work/tracker/$hash"
if [ ! -f "$tracker/report_at_exit.o" ] || [ ! -f "$tracker/count_calls.so" ]; then
    mkdir -p "$tracker"
    cp "$archive" "$tracker/"
    quietly "$logs/report_at_exit.log" g++ -std=c++20 -O1 -g -c \
        "$repo/tests/third_party/report_at_exit.cpp" \
        -I"$repo/libs/nebula-debug/include" -I"$(dirname "$(dirname "$(dirname "$config_hpp")")")" \
        -o "$tracker/report_at_exit.o"
    quietly "$logs/count_calls.log" gcc -O2 -shared -fPIC "$repo/tests/third_party/count_calls.c" \
        -o "$tracker/count_calls.so"
fi
track_ldflags="-Wl,--whole-archive $tracker/$(basename "$archive") -Wl,--no-whole-archive"
# libdw: the tracker reads source lines of sampled stacks through it (symbols_linux.cpp); zlib:
# it writes gzip-compressed heap profiles.
track_ldflags+=" $tracker/report_at_exit.o -ldw -lz -ldl -lstdc++ -lpthread"

# --- 4. Running and measuring ------------------------------------------------------------------
export TEST_TMPDIR="$work/tmp/leveldb"  # leveldb's test databases
mkdir -p "$TEST_TMPDIR"
run_timeout=3600

# measure PROJECT NAME MT RUN KIND ROOT WORKDIR CMD...: one run of one program; appends a line to
# runs.tsv. KIND tracked: the tracked build, counts from report_at_exit's line; KIND heaptrack: the
# plain build under heaptrack, counts from heaptrack_print; KIND native: the plain build with
# count_calls.so preloaded, a count of the plain program at about its own speed (no peak).
measure() {
    local project="$1" name="$2" mt="$3" run="$4" kind="$5" root="$6" dir="$7"
    shift 7
    local cmd=("$@")
    cmd[0]="$root/${cmd[0]}"
    local base="$logs/$project/$name.$kind.$run"
    mkdir -p "$logs/$project"
    local rc=0 count="" peak="" pid
    if [ "$kind" = tracked ] || [ "$kind" = native ]; then
        local report="$work/tmp/report.txt" preload=""
        rm -f "$report"
        [ "$kind" = native ] && preload="$tracker/count_calls.so"
        (cd "$root/$dir" && NEBULA_THIRD_PARTY_REPORT="$report" LD_PRELOAD="$preload" \
            exec timeout "$run_timeout" "${cmd[@]}") >"$base.log" 2>&1 &
        pid=$!
        wait "$pid" || rc=$?
        # The program is timeout's child: its line is the one whose ppid is timeout's pid (a
        # child process the program started reports too, with the program as its parent).
        local line
        line="$(grep " ppid=$pid " "$report" 2>/dev/null | tail -n 1 || true)"
        if [ "$kind" = tracked ]; then
            count="$(sed -n 's/.* allocation_count=\([0-9]*\).*/\1/p' <<<"$line")"
            peak="$(sed -n 's/.* peak_allocated_bytes=\([0-9]*\).*/\1/p' <<<"$line")"
            echo -e "$project\t$name\t$mt\tours\t$run\t$rc\t$count\t$peak" >>"$runs_tsv"
        else
            count="$(sed -n 's/.* allocation_calls=\([0-9]*\).*/\1/p' <<<"$line")"
            echo -e "$project\t$name\t$mt\tnative\t$run\t$rc\t$count\t" >>"$runs_tsv"
        fi
    else
        rm -f "$base".data.*
        (cd "$root/$dir" && exec timeout "$run_timeout" heaptrack -o "$base.data" "${cmd[@]}") \
            >"$base.log" 2>&1 || rc=$?
        local data
        data="$(find "$logs/$project" -maxdepth 1 -name "$name.$kind.$run.data.*" | head -n 1)"
        if [ -n "$data" ]; then
            heaptrack_print --print-peaks=0 --print-allocators=0 --print-temporary=0 \
                --print-leaks=0 -f "$data" >"$base.print.txt" 2>&1 || true
            rm -f "$data"
            count="$(sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p' "$base.print.txt")"
            peak="$(sed -n 's/^peak heap memory consumption: *\([^ ]*\).*/\1/p' "$base.print.txt")"
        fi
        echo -e "$project\t$name\t$mt\theaptrack\t$run\t$rc\t$count\t$peak" >>"$runs_tsv"
    fi
    say "  $project/$name run $run $kind: exit $rc, allocations ${count:-?}, peak ${peak:-?}"
    return 0
}

# compare_programs PROJECT MT_DEFAULT LIST_FILE PLAIN_ROOT TRACKED_ROOT [MT_EXCEPTIONS...]
# LIST_FILE lines (tab-separated): project, name, workdir, command (relative to the build roots).
# Single-threaded names (MT_EXCEPTIONS, 'name=0') run once per side.
compare_programs() {
    local project="$1" mt_default="$2" list="$3" plain="$4" tracked="$5"
    shift 5
    local exceptions=" $* "
    local line
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        local fields
        IFS=$'\t' read -r -a fields <<<"$line"
        local name="${fields[1]}" dir="${fields[2]}"
        local cmd=("${fields[@]:3}")
        local mt="$mt_default"
        case "$exceptions" in *" $name=0 "*) mt=0 ;; *" $name=1 "*) mt=1 ;; esac
        local n=1
        [ "$mt" = 1 ] && n="$runs"
        local r
        for r in $(seq "$n"); do
            measure "$project" "$name" "$mt" "$r" tracked "$tracked" "$dir" "${cmd[@]}"
            measure "$project" "$name" "$mt" "$r" heaptrack "$plain" "$dir" "${cmd[@]}"
            measure "$project" "$name" "$mt" "$r" native "$plain" "$dir" "${cmd[@]}"
        done
    done <"$list"
}

# ctest_suite PROJECT BUILD_DIR KIND: the project's own ctest suite; a failed test is run again
# (up to twice) and counts as pass-on-retry if it passes then.
ctest_suite() {
    local project="$1" build="$2" kind="$3"
    local junit="$results/$project-$kind-junit.xml"
    say "$project: ctest suite, $kind build"
    (cd "$build" && ctest --output-junit "$junit" --timeout "$run_timeout") \
        >"$logs/$project-$kind-ctest.log" 2>&1 || true
    [ -f "$junit" ] || die "$project: ctest wrote no $junit (log: $logs/$project-$kind-ctest.log)"
    while IFS=$'\t' read -r p test k result; do
        if [ "$result" = fail ]; then
            say "$project: $test failed ($kind build), running it again"
            if (cd "$build" && ctest -R "^${test}\$" --repeat until-pass:2 --timeout "$run_timeout") \
                >>"$logs/$project-$kind-ctest-retry.log" 2>&1; then
                result=pass-on-retry
            fi
        fi
        echo -e "$p\t$test\t$k\t$result" >>"$suites_tsv"
    done < <(python3 "$compare" junit "$junit" "$project" "$kind")
    grep -P "^$project\t" "$suites_tsv" | grep -P "\t$kind\t" | cut -f4 | sort | uniq -c |
        sed "s/^/check-third-party:   $project $kind: /" >&2
}

# cmake_pair PROJECT SOURCE EXTRA_CMAKE_ARGS...: configures and builds the plain and the tracked
# build of a CMake project.
cmake_pair() {
    local project="$1" source="$2"
    shift 2
    local kind flags
    for kind in plain tracked; do
        flags=""
        [ "$kind" = tracked ] && flags="$track_ldflags"
        say "$project: building ($kind)"
        quietly "$logs/$project-$kind-configure.log" cmake -S "$source" \
            -B "$work/build/$project-$kind" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            "-DCMAKE_EXE_LINKER_FLAGS=$flags" "$@"
        quietly "$logs/$project-$kind-build.log" cmake --build "$work/build/$project-$kind" \
            --parallel "$jobs"
    done
}

# --- 5. The projects ---------------------------------------------------------------------------
if wanted cjson; then
    fetch cjson
    cmake_pair cjson "$(source_tree "cjson-*")" -DENABLE_CJSON_TEST=ON -DENABLE_CJSON_UTILS=ON
    ctest_suite cjson "$work/build/cjson-tracked" tracked
    ctest_suite cjson "$work/build/cjson-plain" plain
    python3 "$compare" programs "$work/build/cjson-plain" cjson >"$results/cjson-programs.tsv"
    say "cjson: measuring (single-threaded: one run per side)"
    compare_programs cjson 0 "$results/cjson-programs.tsv" "$work/build/cjson-plain" \
        "$work/build/cjson-tracked"
fi

if wanted libzstd; then
    fetch libzstd
    zstd_targets=(fuzzer zstreamtest poolTests invalidDictionaries decodecorpus legacy)
    for kind in plain tracked; do
        tree="$work/build/libzstd-$kind"
        if [ ! -d "$tree" ]; then
            cp -a "$(source_tree "libzstd-*")" "$tree"
        fi
        flags=""
        if [ "$kind" = tracked ]; then
            flags="$track_ldflags"
            # make cannot see that the tracker changed: relink every time (objects are kept).
            (cd "$tree/tests" && rm -f "${zstd_targets[@]}")
        fi
        say "libzstd: building tests ($kind)"
        # LDFLAGS through the environment, so that the Makefile's own += (-pthread) still apply.
        LDFLAGS="$flags" quietly "$logs/libzstd-$kind-build.log" \
            make -C "$tree/tests" -j"$jobs" "${zstd_targets[@]}"
    done
    # tests/Makefile's `test` target without the CLI and benchmark parts, iteration counts and
    # seeds in place of its time budgets (-T200s, -T90s, -T30).
    {
        printf 'libzstd\tfuzzer\ttests\ttests/fuzzer\t-i300\t-s4242\n'
        printf 'libzstd\tzstreamtest\ttests\ttests/zstreamtest\t-i300\t-s4242\n'
        printf 'libzstd\tzstreamtest-newapi\ttests\ttests/zstreamtest\t--newapi\t-t1\t-i300\t-s4242\n'
        printf 'libzstd\tdecodecorpus\ttests\ttests/decodecorpus\t-t\t-n300\t-s4242\n'
        printf 'libzstd\tinvalidDictionaries\ttests\ttests/invalidDictionaries\n'
        printf 'libzstd\tlegacy\ttests\ttests/legacy\n'
        printf 'libzstd\tpoolTests\ttests\ttests/poolTests\n'
    } >"$results/libzstd-programs.tsv"
    say "libzstd: suite and measurements (the first tracked run of each program is its suite run)"
    compare_programs libzstd 1 "$results/libzstd-programs.tsv" "$work/build/libzstd-plain" \
        "$work/build/libzstd-tracked" decodecorpus=0 invalidDictionaries=0 legacy=0
    # Suite results: each program's first run, tracked and plain (under heaptrack).
    awk -F'\t' '$1 == "libzstd" && $5 == 1 && ($4 == "ours" || $4 == "heaptrack") {
        kind = ($4 == "ours") ? "tracked" : "plain";
        print $1 "\t" $2 "\t" kind "\t" ($6 == 0 ? "pass" : "fail") }' "$runs_tsv" >>"$suites_tsv"
fi

if wanted leveldb; then
    fetch leveldb
    cmake_pair leveldb "$(source_tree "leveldb-*")" -DLEVELDB_BUILD_TESTS=ON \
        -DLEVELDB_BUILD_BENCHMARKS=OFF
    ctest_suite leveldb "$work/build/leveldb-tracked" tracked
    ctest_suite leveldb "$work/build/leveldb-plain" plain
    python3 "$compare" programs "$work/build/leveldb-plain" leveldb \
        '{"db_test": ["--gtest_filter=-DBTest.MultiThreaded"]}' >"$results/leveldb-programs.tsv"
    say "leveldb: measuring ($runs runs per side: a background compaction thread in most tests)"
    compare_programs leveldb 1 "$results/leveldb-programs.tsv" "$work/build/leveldb-plain" \
        "$work/build/leveldb-tracked"
fi

# --- 6. The table ------------------------------------------------------------------------------
status=0
python3 "$compare" table "$runs_tsv" "$suites_tsv" | tee "$results/table.txt" || status=$?
exit "$status"
