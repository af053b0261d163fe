#!/usr/bin/env python3
"""Helper of scripts/check-third-party.sh (a developer's measurement tool, not run by CI).

  compare.py programs BUILD_DIR PROJECT [EXTRA_ARGS_JSON]
      Lists the tests ctest knows in BUILD_DIR as the script's program list: one line per test,
      tab-separated: project, program name, working directory and command, the paths relative to
      BUILD_DIR so that the same line runs in the plain and in the tracked build. EXTRA_ARGS_JSON
      maps a test name to arguments appended for the comparison runs.
  compare.py junit JUNIT_XML PROJECT BUILD_KIND
      Turns ctest's JUnit file into suite lines: project, program, build kind, pass|fail.
  compare.py table RESULTS_TSV SUITES_TSV [--count-tolerance PCT] [--peak-tolerance PCT]
      Prints the comparison table and exits 1 when a suite failed or a target was missed.

RESULTS_TSV lines: project, program, mt (0|1), who (ours|heaptrack|native), run, exit status,
allocation count, peak (bytes, or heaptrack_print's rounded text such as 29.33M; none for native,
the plain program's calls counted by count_calls.so at about its own speed).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET

UNITS = {"": 1, "B": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}  # heaptrack_print is decimal


def to_bytes(text):
    match = re.fullmatch(r"([0-9.]+)\s*([KMGT]?)B?", text.strip())
    if not match:
        raise ValueError(f"unreadable size {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def programs(build_dir, project, extra_json=None):
    extra = json.loads(extra_json) if extra_json else {}
    build_dir = os.path.realpath(build_dir)
    listing = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build_dir, check=True,
                             capture_output=True, text=True).stdout
    for test in json.loads(listing)["tests"]:
        command = test.get("command")
        if not command:
            continue
        workdir = build_dir
        for prop in test.get("properties", []):
            if prop["name"] == "WORKING_DIRECTORY":
                workdir = prop["value"]

        def rel(path):
            real = os.path.realpath(path)
            return os.path.relpath(real, build_dir) if real.startswith(build_dir + os.sep) or \
                real == build_dir else path

        args = [rel(command[0])] + command[1:] + extra.get(test["name"], [])
        print("\t".join([project, test["name"], rel(workdir)] + args))


def junit(path, project, kind):
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        failed = any(child.tag in ("failure", "error") for child in case)
        status = case.get("status", "")
        result = "fail" if failed or status in ("fail", "failed") else "pass"
        print("\t".join([project, case.get("name"), kind, result]))


def fmt_count(values):
    mid = statistics.median(values)
    if len(values) == 1 or min(values) == max(values):
        return f"{mid:,.0f}"
    return f"{mid:,.0f} [{min(values):,.0f}-{max(values):,.0f}]"


def fmt_bytes(value):
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:.0f}B"


def fmt_peaks(values):
    mid = statistics.median(values)
    if len(values) == 1 or min(values) == max(values):
        return fmt_bytes(mid)
    return f"{fmt_bytes(mid)} [{fmt_bytes(min(values))}-{fmt_bytes(max(values))}]"


def spread(values):
    mid = statistics.median(values)
    return 100.0 * (max(values) - min(values)) / mid if mid else 0.0


def overlap(a, b):
    return min(a) <= max(b) and min(b) <= max(a)


def table(results_path, suites_path, count_tol, peak_tol):
    rows = {}
    order = []
    with open(results_path) as results:
        for line in results:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 8:
                continue
            project, program, mt, who, _run, rc, count, peak = fields[:8]
            key = (project, program)
            if key not in rows:
                rows[key] = {"mt": mt == "1", "ours": [], "heaptrack": [], "native": [],
                             "rc": {"ours": [], "heaptrack": [], "native": []}}
                order.append(key)
            row = rows[key]
            row["rc"][who].append(int(rc))
            if who == "native":
                if count:
                    row["native"].append(int(count))
            elif count and peak:
                row[who].append((int(count), to_bytes(peak)))

    suites = {}
    if os.path.exists(suites_path):
        with open(suites_path) as lines:
            for line in lines:
                fields = line.rstrip("\n").split("\t")
                if len(fields) >= 4:
                    suites[(fields[0], fields[1], fields[2])] = fields[3]
    suite_projects = sorted({p for (p, _, _) in suites})

    failures = []
    remarks = []
    header = ["program", "suite", "runs", "ours: allocations", "heaptrack: calls", "diff",
              "ours: peak", "heaptrack: peak", "diff", "spread (count/peak)",
              "plain, native speed: calls", "verdict"]
    out = []
    for key in order:
        project, program = key
        row = rows[key]
        tracked = suites.get((project, program, "tracked"), "-")
        plain = suites.get((project, program, "plain"))
        suite = tracked if plain in (None, tracked) else f"{tracked} (plain {plain})"
        if not row["ours"] or not row["heaptrack"]:
            out.append([f"{project}/{program}", suite, "0", "-", "-", "-", "-", "-", "-", "-", "-",
                        "NO DATA"])
            failures.append(f"{project}/{program}: no measurement (exit statuses {row['rc']})")
            continue
        ours_counts = [c for c, _ in row["ours"]]
        ht_counts = [c for c, _ in row["heaptrack"]]
        ours_peaks = [p for _, p in row["ours"]]
        ht_peaks = [p for _, p in row["heaptrack"]]
        count_diff = 100.0 * (statistics.median(ours_counts) - statistics.median(ht_counts)) / \
            statistics.median(ht_counts)
        peak_diff = 100.0 * (statistics.median(ours_peaks) - statistics.median(ht_peaks)) / \
            statistics.median(ht_peaks)
        # A multi-threaded program's counts move from run to run (thread interleaving, work done
        # by background threads): a difference inside that spread is no difference.
        count_ok = abs(count_diff) <= count_tol or (row["mt"] and overlap(ours_counts, ht_counts))
        peak_ok = abs(peak_diff) <= peak_tol or (row["mt"] and overlap(ours_peaks, ht_peaks))
        verdict = []
        if not count_ok:
            verdict.append("COUNT")
        if not peak_ok:
            verdict.append("PEAK")
        if tracked not in ("pass", "pass-on-retry", "-"):
            verdict.append("SUITE")
        if any(rc != 0 for rc in row["rc"]["ours"]):
            verdict.append("EXIT")
        notes = []
        plain_failed = sum(rc != 0 for who in ("heaptrack", "native") for rc in row["rc"][who])
        if plain_failed:
            notes.append(f"plain build exited non-zero in {plain_failed} run(s)")
        native = row["native"]
        if native and not count_ok:
            native_diff = 100.0 * (statistics.median(ours_counts) - statistics.median(native)) / \
                statistics.median(native)
            notes.append(f"ours vs plain at native speed {native_diff:+.2f}%" +
                         (", ranges overlap" if overlap(ours_counts, native) else ""))
        spreads = "-"
        if row["mt"] and len(row["ours"]) + len(row["heaptrack"]) > 2:
            spreads = (f"{max(spread(ours_counts), spread(ht_counts)):.2f}%/"
                       f"{max(spread(ours_peaks), spread(ht_peaks)):.1f}%")
        out.append([f"{project}/{program}" + (" (mt)" if row["mt"] else ""), suite,
                    f"{len(row['ours'])}+{len(row['heaptrack'])}",
                    fmt_count(ours_counts), fmt_count(ht_counts), f"{count_diff:+.2f}%",
                    fmt_peaks(ours_peaks), fmt_peaks(ht_peaks), f"{peak_diff:+.1f}%", spreads,
                    fmt_count(native) if native else "-",
                    ("ok" if not verdict else "MISSED " + ",".join(verdict)) +
                    (" *" if notes else "")])
        if verdict:
            gap = statistics.median(ours_peaks) - statistics.median(ht_peaks)
            failures.append(f"{project}/{program}: {', '.join(verdict)} "
                            f"(count {count_diff:+.2f}%, peak {peak_diff:+.1f}% = {gap:+,.0f} bytes)"
                            + "".join(f"; {note}" for note in notes))
        elif notes:
            remarks.append(f"{project}/{program}: " + "; ".join(notes))

    # Suite entries with no comparison row (a test whose program was not measured).
    measured = set(order)
    for (project, program, kind), result in sorted(suites.items()):
        if kind == "tracked" and (project, program) not in measured:
            out.append([f"{project}/{program}", result, "-", "-", "-", "-", "-", "-", "-", "-", "-",
                        "ok" if result in ("pass", "pass-on-retry") else "MISSED SUITE"])
            if result not in ("pass", "pass-on-retry"):
                failures.append(f"{project}/{program}: suite {result}")

    widths = [max(len(str(r[i])) for r in [header] + out) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in out:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print()
    print(f"targets: allocation count within {count_tol:g}% of heaptrack's calls to allocation "
          f"functions (or, for a multi-threaded (mt) program, inside the run-to-run spread: the "
          f"two ranges overlap); peak within {peak_tol:g}% (same rule).")
    print("runs: ours+heaptrack; values are medians, [min-max] over the runs; "
          "spread = (max-min)/median, the larger of the two sides.")
    print("the tracker's peak may lag the true peak by up to kPeakSlackBytes (64 KiB) per thread "
          "and tag (tracking_allocator.hpp): bytes a thread has not published yet are not in it.")
    print("plain, native speed: the plain build's calls counted by count_calls.so (preloaded), "
          "for diagnosis only; it lacks the one libstdc++ emergency-pool allocation in a C program, "
          "which the tracker (C++) and heaptrack (its preload library is C++) both bring in.")
    if suite_projects:
        print("suites run: " + ", ".join(suite_projects))
    if remarks:
        print("\nnotes (*):")
        for remark in remarks:
            print("  " + remark)
    if failures:
        print("\nMISSED:")
        for failure in failures:
            print("  " + failure)
        return 1
    print("\nall suites pass with the tracker and every target is met")
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "programs":
        programs(argv[2], argv[3], argv[4] if len(argv) > 4 else None)
        return 0
    if len(argv) == 5 and argv[1] == "junit":
        junit(argv[2], argv[3], argv[4])
        return 0
    if len(argv) >= 4 and argv[1] == "table":
        count_tol, peak_tol = 3.0, 10.0
        rest = argv[4:]
        while rest:
            if rest[0] == "--count-tolerance":
                count_tol = float(rest[1])
            elif rest[0] == "--peak-tolerance":
                peak_tol = float(rest[1])
            else:
                break
            rest = rest[2:]
        return table(argv[2], argv[3], count_tol, peak_tol)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
