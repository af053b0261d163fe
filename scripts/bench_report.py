#!/usr/bin/env python3
"""Turns nebula-bench's Google Benchmark JSON into the ratio table of docs/benchmarks.md.

Every number is a median over repetitions, and every ratio compares variants of the same run:
absolute throughput on a shared machine drifts, ratios measured side by side do not (much).
Usage: bench_report.py RESULTS.json
"""
import json
import re
import statistics
import sys

VARIANTS = ("PlainMalloc", "UntrackedNew", "SeedDesign", "Tracked", "TrackedInScope",
            "TrackedMalloc")
# Ours, every way a program reaches it: the functions operator new is built on, the same under a
# MemoryScope, and the replaced malloc/free (C libraries' way in; NEBULA_TRACK_MALLOC).
OURS = ("Tracked", "TrackedInScope", "TrackedMalloc")
WORKLOADS = ("Pairs64", "Batch1000", "MixedSizes", "Pairs4K", "Handoff", "ProducerConsumer")
# The workloads the targets are set for; Pairs4K (past the block cache's sizes), Handoff and
# ProducerConsumer (blocks freed on another thread) are shown for what they tell, with no target
# of their own.
TARGET_WORKLOADS = ("Pairs64", "Batch1000", "MixedSizes")
TAG_COST_NAME = re.compile(r"^TagCost<(\w+)>/real_time/threads:(\d+)$")
SAMPLING_COST_NAME = re.compile(r"^SamplingCost<(\w+)>/real_time$")
SAMPLING_TOLERANCE = 0.05  # sampling at the default interval: at most 5% more time
# Real programs' realloc patterns (issue 24): ours through the replaced realloc, with every feature
# at its default, against plain glibc and the seed (which had no realloc: Rust's default, a new
# block and a copy), at 1 and 2 threads. Target: at least plain's throughput.
REALLOC_WORKLOADS = ("ReallocGrowth", "LuaStyle", "StringBuilder")
REALLOC_TARGET = 1.0
THROUGHPUT_NAME = re.compile(r"^(\w+)<(\w+)>/real_time/threads:(\d+)$")
NANOSECONDS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# (threads, what ours is compared with, lowest ratio accepted): the targets of docs/design.md.
TARGETS = ((1, "PlainMalloc", 0.90), (2, "PlainMalloc", 0.85), (2, "SeedDesign", 3.0))
TAG_TOLERANCE = 0.05


def load_runs(path):
    with open(path, encoding="utf-8") as results:
        runs = json.load(results)["benchmarks"]
    return [run for run in runs if run.get("run_type", "iteration") == "iteration"]


def median_throughputs(runs):
    samples = {}
    for run in runs:
        match = THROUGHPUT_NAME.match(run["run_name"])
        if match and "items_per_second" in run:
            workload, variant, threads = match.group(1), match.group(2), int(match.group(3))
            samples.setdefault((workload, variant, threads), []).append(run["items_per_second"])
    return {key: statistics.median(values) for key, values in samples.items()}


def median_of(runs, name, field):
    values = [run[field] for run in runs if run["run_name"] == name]
    return statistics.median(values) if values else None


def print_throughput_table(throughput):
    print("| Workload | Threads | plain malloc (M items/s) | seed / plain | ours / plain "
          "| ours + MemoryScope / plain | ours via malloc() / plain | ours / seed "
          "| ours / untracked new |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workload in WORKLOADS:
        for threads in sorted({key[2] for key in throughput if key[0] == workload}):
            rate = {variant: throughput.get((workload, variant, threads)) for variant in VARIANTS}
            if None in rate.values():
                continue
            plain = rate["PlainMalloc"]
            print(f"| {workload} | {threads} | {plain / 1e6:.1f} "
                  f"| {rate['SeedDesign'] / plain:.2f}x | {rate['Tracked'] / plain:.2f}x "
                  f"| {rate['TrackedInScope'] / plain:.2f}x "
                  f"| {rate['TrackedMalloc'] / plain:.2f}x "
                  f"| {rate['Tracked'] / rate['SeedDesign']:.2f}x "
                  f"| {rate['Tracked'] / rate['UntrackedNew']:.2f}x |")


def print_realloc_table(throughput):
    rows = [(workload, threads) for workload in REALLOC_WORKLOADS
            for threads in sorted({key[2] for key in throughput if key[0] == workload})]
    if not rows:
        return
    print()
    print("| Realloc workload | Threads | plain (M items/s) | seed / plain | ours / plain "
          "| ours / seed | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for workload, threads in rows:
        rate = {variant: throughput.get((workload, variant, threads))
                for variant in ("PlainMalloc", "SeedDesign", "TrackedMalloc")}
        if None in rate.values():
            continue
        plain = rate["PlainMalloc"]
        ours = rate["TrackedMalloc"] / plain
        verdict = "met" if ours >= REALLOC_TARGET else "MISSED"
        print(f"| {workload} | {threads} | {plain / 1e6:.2f} | {rate['SeedDesign'] / plain:.2f}x "
              f"| {ours:.2f}x | {rate['TrackedMalloc'] / rate['SeedDesign']:.2f}x "
              f"| >= {REALLOC_TARGET:.2f}x plain: {verdict} |")


def median_tag_time_ratios(runs):
    """TagCost's paired measurement: median of tagged/untagged time per (workload, threads)."""
    samples = {}
    for run in runs:
        match = TAG_COST_NAME.match(run["run_name"])
        if match and "tagged_time_over_untagged" in run:
            key = (match.group(1), int(match.group(2)))
            samples.setdefault(key, []).append(run["tagged_time_over_untagged"])
    return {key: statistics.median(values) for key, values in samples.items()}


def print_target_checks(throughput, tag_time_ratios):
    print()
    print("Targets (ours, ours + MemoryScope and ours via malloc(), every workload with a target):")
    for workload in TARGET_WORKLOADS:
        for threads, baseline, lowest in TARGETS:
            base = throughput.get((workload, baseline, threads))
            rates = [throughput.get((workload, variant, threads)) for variant in OURS]
            if base is None or None in rates:
                continue
            ratios = [rate / base for rate in rates]
            verdict = "met" if min(ratios) >= lowest else "MISSED"
            print(f"  {workload:<10} {threads} thread(s) >= {lowest:.2f}x {baseline:<11}: "
                  f"{ratios[0]:.2f}x, in scope {ratios[1]:.2f}x, via malloc {ratios[2]:.2f}x"
                  f"  {verdict}")
        for threads in (1, 2):
            plain = throughput.get((workload, "PlainMalloc", threads))
            ours = throughput.get((workload, "Tracked", threads))
            scoped = throughput.get((workload, "TrackedInScope", threads))
            time_ratio = tag_time_ratios.get((workload, threads))
            if None in (plain, ours, scoped, time_ratio):
                continue
            # Paired: a tag that makes the workload take time_ratio times as long turns the
            # ratio ours/plain into (ours/plain) / time_ratio.
            shift = abs(ours / plain * (1 / time_ratio - 1))
            unpaired = abs(scoped - ours) / plain
            verdict = "met" if shift <= TAG_TOLERANCE else "MISSED"
            print(f"  {workload:<10} {threads} thread(s) tag shifts the ratio by "
                  f"{shift:.3f} (<= {TAG_TOLERANCE:.2f}; tagged/untagged time {time_ratio:.4f}, "
                  f"paired; separate runs differ by {unpaired:.2f})  {verdict}")


def print_reader_costs(runs):
    print()
    print("| Reader, 64 threads alive | ns per call |")
    print("|---|---:|")
    for name, label in (("AllocatorStatsProcess", "allocator_stats()"),
                        ("AllocatorStatsOneTag", "allocator_stats(MemoryTag)"),
                        ("AllocatorStatsTagByName", "allocator_stats(\"name\")")):
        time = median_of(runs, name, "real_time")
        unit = next((run["time_unit"] for run in runs if run["run_name"] == name), "ns")
        if time is not None:
            print(f"| {label} | {time * NANOSECONDS_PER_UNIT[unit]:.0f} |")


def print_memory_overhead(runs):
    heap = {}
    for variant in VARIANTS:
        name = f"HeapInUseMixed<{variant}>/iterations:3/repeats:1"
        heap[variant] = (median_of(runs, name, "heap_bytes_per_block"),
                         median_of(runs, name, "requested_bytes_per_block"))
    plain, requested = heap["PlainMalloc"]
    if plain is None:
        return
    print()
    print(f"Heap per block, mixed 16-271 byte live set (requested {requested:.1f} bytes on average, "
          f"glibc chunks as mallinfo2 counts them):")
    print(f"  plain malloc {plain:.1f} bytes")
    for variant in OURS:
        bytes_per_block = heap[variant][0]
        if bytes_per_block is not None:
            print(f"  {variant:<14} {bytes_per_block:.1f} bytes: tracking adds "
                  f"{bytes_per_block - plain:.1f} bytes per allocation")
    aligned = {variant: median_of(runs, f"HeapInUseAligned<{variant}>/iterations:3/repeats:1",
                                  "bytes_per_block") for variant in ("PlainMalloc", "Tracked")}
    if None not in aligned.values():
        added = aligned["Tracked"] - aligned["PlainMalloc"]
        verdict = "met" if added <= 64 else "MISSED"
        print(f"4096-aligned blocks of 256 B-8 KiB: plain memalign {aligned['PlainMalloc']:.1f} "
              f"bytes per block, ours {aligned['Tracked']:.1f}: tracking adds {added:.1f} bytes "
              f"(<= 64)  {verdict}")


def print_sampling_costs(runs):
    """SamplingCost's paired measurement: sampled/unsampled time at the default interval."""
    samples = {}
    for run in runs:
        match = SAMPLING_COST_NAME.match(run["run_name"])
        if match and "sampled_time_over_unsampled" in run:
            samples.setdefault(match.group(1), []).append(run["sampled_time_over_unsampled"])
    for workload, values in samples.items():
        ratio = statistics.median(values)
        verdict = "met" if ratio - 1 <= SAMPLING_TOLERANCE else "MISSED"
        print(f"  {workload:<10} 1 thread(s) sampling at 512 KiB costs {100 * (ratio - 1):+.1f}% "
              f"(<= {100 * SAMPLING_TOLERANCE:.0f}%; sampled/unsampled time {ratio:.4f}, paired, "
              f"range {min(values):.3f}-{max(values):.3f})  {verdict}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs = load_runs(sys.argv[1])
    throughput = median_throughputs(runs)
    print_throughput_table(throughput)
    print_realloc_table(throughput)
    print_target_checks(throughput, median_tag_time_ratios(runs))
    print_sampling_costs(runs)
    print_reader_costs(runs)
    print_memory_overhead(runs)


if __name__ == "__main__":
    main()
