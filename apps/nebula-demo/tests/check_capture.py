#!/usr/bin/env python3
"""Checks a nebula-demo --capture file with Python's own CSV reader (not the library's writer).

Usage: check_capture.py CAPTURE.csv ROWS [SUBSYSTEM...]
Exit status 0 when the file has a header naming time_s and the totals, exactly ROWS rows of the
header's width one simulated second apart, the resident breakdown on every row (the demo reads
it each second) adding up to resident_bytes, and the three columns of every SUBSYSTEM named;
1 otherwise, with the reason.
"""
import csv
import sys

RESIDENT_CATEGORIES = ("heap_bytes", "code_bytes", "file_bytes", "stack_bytes", "gpu_bytes",
                       "other_anonymous_bytes", "other_bytes")


def check(path, expected_rows, subsystems):
    with open(path, encoding="utf-8", newline="") as capture:
        records = list(csv.reader(capture))
    header, rows = records[0], records[1:]
    if header[0] != "time_s" or "tracked_total_bytes" not in header:
        return f"header {header[:3]}... is not a capture's"
    missing = [f"{name}/{field}" for name in subsystems
               for field in ("current_bytes", "allocator_bytes", "budget_bytes")
               if f"{name}/{field}" not in header]
    if missing:
        return f"no columns {missing}"
    if len(rows) != expected_rows:
        return f"{len(rows)} rows, expected {expected_rows}"
    column = {name: index for index, name in enumerate(header)}
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            return f"line {number} has {len(row)} cells, the header {len(header)}"
        parts = sum(int(row[column[name]]) for name in RESIDENT_CATEGORIES)
        if parts != int(row[column["resident_bytes"]]) or parts <= 0:
            return f"line {number}: resident categories add up to {parts}"
    times = [float(row[0]) for row in rows]
    if any(abs(later - earlier - 1.0) > 1e-6 for earlier, later in zip(times, times[1:])):
        return f"rows are not a simulated second apart: {times}"
    print(f"{path}: {len(rows)} rows of {len(header)} columns")
    return None


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        problem = check(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
    except (OSError, ValueError, KeyError, IndexError) as error:
        problem = f"{type(error).__name__}: {error}"
    if problem:
        print(f"{sys.argv[1]}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
