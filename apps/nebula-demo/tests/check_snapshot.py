#!/usr/bin/env python3
"""Checks a nebula-demo --snapshot file with Python's own JSON reader (not the library's writer).

Usage: check_snapshot.py SNAPSHOT.json [--allocator NAME] [--max-unattributed PERCENT]
                         [SUBSYSTEM...]
Exit status 0 when the document has the schema of memory_snapshot.hpp, the resident categories add
up to resident_bytes exactly and every SUBSYSTEM named has a row (and, when asked, the resident
breakdown recognised allocator NAME and left at most PERCENT of resident memory unattributed); 1
otherwise, with the reason.
"""
import json
import sys

SUBSYSTEM_KEYS = ("name", "current_bytes", "peak_bytes", "budget_bytes", "allocator_bytes")
ALLOCATOR_KEYS = ("allocated_bytes", "peak_allocated_bytes", "allocation_count",
                  "deallocation_count")
RESIDENT_CATEGORIES = ("heap_bytes", "code_bytes", "file_bytes", "stack_bytes", "gpu_bytes",
                       "other_anonymous_bytes", "other_bytes")


def check(path, subsystems, allocator=None, max_unattributed=None):
    with open(path, encoding="utf-8") as snapshot:
        document = json.load(snapshot)
    for row in document["subsystems"]:
        missing = [key for key in SUBSYSTEM_KEYS if key not in row]
        if missing:
            return f"subsystem row {row} lacks {missing}"
        if not all(isinstance(row[key], int) and row[key] >= 0 for key in SUBSYSTEM_KEYS[1:]):
            return f"subsystem row {row} has a value that is not a byte count"
    names = [row["name"] for row in document["subsystems"]]
    absent = [name for name in subsystems if name not in names]
    if absent:
        return f"no row for {absent} among {names}"
    missing = [key for key in ALLOCATOR_KEYS if key not in document["allocator"]]
    if missing:
        return f"allocator lacks {missing}"
    resident = document["resident"]
    missing = [key for key in ("resident_bytes",) + RESIDENT_CATEGORIES if key not in resident]
    if missing:
        return f"resident lacks {missing}"
    total = sum(resident[key] for key in RESIDENT_CATEGORIES)
    if resident["resident_bytes"] <= 0 or total != resident["resident_bytes"]:
        return f"resident categories add up to {total}, not resident_bytes {resident['resident_bytes']}"
    unattributed = resident["other_anonymous_bytes"] + resident["other_bytes"]
    share = 100.0 * unattributed / resident["resident_bytes"]
    print(f"{path}: {len(names)} subsystems, resident {resident['resident_bytes']} bytes, "
          f"heap {resident['heap_bytes']} bytes ({resident.get('heap_recognition')}), "
          f"{share:.1f}% unattributed")
    if allocator is not None and resident.get("heap_allocator") != allocator:
        return f"the heap allocator is {resident.get('heap_allocator')!r}, not {allocator!r}"
    if max_unattributed is not None and share > max_unattributed:
        return f"{share:.1f}% of resident memory is unattributed, more than {max_unattributed}%"
    return None


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, rest, options = sys.argv[1], sys.argv[2:], {}
    while rest[:1] in (["--allocator"], ["--max-unattributed"]) and len(rest) >= 2:
        options[rest[0]] = rest[1]
        rest = rest[2:]
    try:
        limit = options.get("--max-unattributed")
        problem = check(path, rest, options.get("--allocator"),
                        float(limit) if limit is not None else None)
    except (OSError, ValueError, KeyError, TypeError) as error:
        problem = f"{type(error).__name__}: {error}"
    if problem:
        print(f"{sys.argv[1]}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
