"""Tests of tools/nebula-memreport, run as a user runs it (a subprocess: exit status, standard
output and error) on what nebula-demo wrote in this build (CTest's fixture), and on bad input.

CTest sets NEBULA_MEMREPORT_DEMO_DIR to a folder holding small.{csv,json} and large.{csv,json}
(two headless runs, view distance 2 and 4: the second's peaks are larger) and
NEBULA_MEMREPORT_CORPUS to the budgets config loader's fuzz corpus. Run by hand:
  NEBULA_MEMREPORT_DEMO_DIR=build/debug/tools/demo-output python3 -m unittest discover tools/tests
"""
import copy
import csv
import importlib.machinery
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from fractions import Fraction
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "nebula-memreport"
DEMO_DIR = os.environ.get("NEBULA_MEMREPORT_DEMO_DIR")
CORPUS = Path(os.environ.get(
    "NEBULA_MEMREPORT_CORPUS",
    Path(__file__).resolve().parents[2] / "libs/nebula-debug/fuzz/corpus"))
DEMO_SUBSYSTEMS = ("Audio", "Chunks", "Entities", "Meshes", "Physics", "Textures")


def load_tool():
    loader = importlib.machinery.SourceFileLoader("nebula_memreport", str(TOOL))
    spec = importlib.util.spec_from_loader("nebula_memreport", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


memreport = load_tool()


def run(*arguments):
    return subprocess.run([sys.executable, str(TOOL), *map(str, arguments)],
                          capture_output=True, text=True, timeout=120)


def table_row(output, name):
    """The cells of the table line that starts with `name` (--bytes: one number a cell)."""
    for line in output.splitlines():
        if line.startswith(name + " "):
            return line[len(name):].split()
    raise AssertionError(f"no row {name!r} in:\n{output}")


class Scratch(unittest.TestCase):
    def setUp(self):
        self._directory = tempfile.TemporaryDirectory()
        self.scratch = Path(self._directory.name)

    def tearDown(self):
        self._directory.cleanup()

    def write(self, name, content):
        path = self.scratch / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path


@unittest.skipUnless(DEMO_DIR, "needs NEBULA_MEMREPORT_DEMO_DIR (CTest's demo runs)")
class OnTheDemosFiles(Scratch):
    def setUp(self):
        super().setUp()
        directory = Path(DEMO_DIR)
        self.small_csv, self.large_csv = directory / "small.csv", directory / "large.csv"
        self.small, self.large = directory / "small.json", directory / "large.json"
        for path in (self.small_csv, self.large_csv, self.small, self.large):
            self.assertTrue(path.is_file(), f"{path}: the demo did not write it")
        self.snapshot = json.loads(self.small.read_text(encoding="utf-8"))

    def peak(self, name, document=None):
        rows = (document or self.snapshot)["subsystems"]
        return next(row["peak_bytes"] for row in rows if row["name"] == name)

    def test_the_capture_has_a_row_a_simulated_second_and_every_column(self):
        with open(self.small_csv, newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
        header, rows = rows[0], rows[1:]
        self.assertEqual(header[0], "time_s")
        for name in DEMO_SUBSYSTEMS:
            for field in ("current_bytes", "allocator_bytes", "budget_bytes"):
                self.assertIn(f"{name}/{field}", header)
        self.assertEqual(len(rows), 5)  # 300 frames at 60 a simulated second
        self.assertEqual([round(float(row[0])) for row in rows], [0, 1, 2, 3, 4])
        resident = header.index("resident_bytes")
        for row in rows:
            self.assertEqual(len(row), len(header))
            self.assertGreater(int(row[resident]), 0)  # the demo reads it on every row

    def test_plot_draws_the_capture(self):
        picture = self.scratch / "capture.png"
        result = run("plot", self.small_csv, "-o", picture)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"wrote .*capture\.png \(5 rows, 6 subsystems")
        data = picture.read_bytes()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", data[16:24])
        self.assertEqual((width, height), (1200, 1100))
        self.assertGreater(len(data), 20_000)  # lines and areas, not an empty frame

    def test_check_passes_the_demos_own_budgets(self):
        result = run("check", self.small)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        for name in DEMO_SUBSYSTEMS + ("Tracked total",):
            self.assertEqual(table_row(result.stdout, name)[-1], "ok")
        self.assertIn("check: all 6 subsystems within budget", result.stdout)

    def test_check_shows_gpu_bytes_and_allocations_per_frame(self):
        result = run("check", self.small, "--bytes")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        header = result.stdout.splitlines()[0].split()
        self.assertIn("GPU", header)
        self.assertIn("Allocs/frame", header)
        snapshot = json.loads(Path(self.small).read_text(encoding="utf-8"))
        textures = next(row for row in snapshot["subsystems"] if row["name"] == "Textures")
        if snapshot["allocator"]["tracking_enabled"]:  # GPU tracking is compiled out with it
            self.assertGreater(textures["gpu_bytes"], 0)  # the demo tracks its textures
        self.assertIn(str(textures["gpu_bytes"]), table_row(result.stdout, "Textures"))
        # A snapshot from before GPU tracking: the columns are left out, the check still runs.
        for row in snapshot["subsystems"]:
            del row["gpu_bytes"], row["frame_allocations"]
        older = self.write("older.json", json.dumps(snapshot))
        result = run("check", older)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertNotIn("GPU", result.stdout.splitlines()[0])

    def test_check_fails_a_subsystem_whose_peak_is_past_its_budget(self):
        budgets = self.write("tight.toml", '[memory.budgets]\nTextures = "1 MiB"\n')
        result = run("check", self.small, "--budgets", budgets)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("OVER BUDGET", " ".join(table_row(result.stdout, "Textures")))
        self.assertEqual(table_row(result.stdout, "Chunks")[-1], "ok")
        self.assertRegex(result.stdout, r"check: 1 problem: Textures peaked at")

    def test_check_names_budgets_for_subsystems_the_snapshot_lacks(self):
        budgets = self.write("typo.toml", '[memory.budgets]\nChunk = "1 MiB"\n')
        result = run("check", self.small, "--budgets", budgets)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("budgets subsystems this snapshot does not have: Chunk\n", result.stdout)

    def test_check_fails_the_tracked_total_past_the_total_budget(self):
        budgets = self.write("total.toml", "[memory]\ntotal_budget = 1024\n")
        result = run("check", self.small, "--budgets", budgets)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(table_row(result.stdout, "Tracked total")[-2:], ["OVER", "BUDGET"])

    def test_the_snapshot_states_each_rows_threshold_as_the_tool_reads_it(self):
        threshold = self.snapshot["warning_threshold"]
        for row in self.snapshot["subsystems"]:
            self.assertEqual(row["warning_threshold_bytes"],
                             memreport.threshold_bytes(row["budget_bytes"], threshold), row)
        self.assertEqual(self.snapshot["total_warning_threshold_bytes"],
                         self.snapshot["total_budget_bytes"])

    def test_the_threshold_in_bytes_is_the_librarys(self):
        # Textures: reported by the world itself, so it holds bytes with tracking compiled out
        # too (Physics is read from the allocator's tag).
        peak = self.peak("Textures")
        self.assertGreater(peak, 0)
        # With the threshold at 1 the budget itself is the line: at it is fine, one byte under
        # it is over.
        for budget, status in ((peak, 0), (peak - 1, 1)):
            budgets = self.write("exact.toml", "[memory]\nwarning_threshold = 1\n"
                                               f"[memory.budgets]\nTextures = {budget}\n")
            result = run("check", self.small, "--budgets", budgets, "--bytes")
            self.assertEqual(result.returncode, status, result.stdout + result.stderr)
        # At 0.85, floor(budget x 85 / 100): 0.85 as the decimal the float reads as, not as
        # 0.850000023841858 (what multiplying by the float would give).
        smallest = -(-peak * 100 // 85)  # the smallest budget whose threshold reaches the peak
        for budget, status in ((smallest, 0), (smallest - 1, 1)):
            budgets = self.write("at85.toml", f"[memory.budgets]\nTextures = {budget}\n")
            result = run("check", self.small, "--budgets", budgets, "--bytes")
            self.assertEqual(result.returncode, status, result.stdout + result.stderr)
            self.assertEqual(table_row(result.stdout, "Textures")[3], str(budget * 85 // 100))

    def test_check_against_a_baseline(self):
        grew = run("check", self.large, "--baseline", self.small)
        self.assertEqual(grew.returncode, 1, grew.stdout + grew.stderr)
        self.assertIn("PEAK GREW", " ".join(table_row(grew.stdout, "Chunks")))
        growth = Fraction(self.peak("Chunks", json.loads(self.large.read_text())),
                          self.peak("Chunks")) - 1
        self.assertIn(f"Chunks peak {100 * float(growth):+.1f}% over the baseline", grew.stdout)

        for arguments in ((self.small, "--baseline", self.small),
                          (self.small, "--baseline", self.large),
                          (self.large, "--baseline", self.small, "--tolerance", "100000")):
            result = run("check", *arguments)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_the_tolerance_is_a_percentage_of_the_baselines_peak(self):
        peak = self.peak("Chunks")
        grown = copy.deepcopy(self.snapshot)
        for row in grown["subsystems"]:
            if row["name"] == "Chunks":
                row["peak_bytes"] = peak + peak // 10 + 1  # past 10%, by a byte or so
        path = self.write("grown.json", json.dumps(grown))
        self.assertEqual(run("check", path, "--baseline", self.small).returncode, 1)
        self.assertEqual(
            run("check", path, "--baseline", self.small, "--tolerance", "10.5").returncode, 0)

    def test_diff_prints_each_rows_change(self):
        result = run("diff", self.small, self.large, "--bytes")
        self.assertEqual(result.returncode, 0, result.stderr)
        large = json.loads(self.large.read_text())
        for name in DEMO_SUBSYSTEMS:
            old = next(row for row in self.snapshot["subsystems"] if row["name"] == name)
            new = next(row for row in large["subsystems"] if row["name"] == name)
            cells = table_row(result.stdout, name)
            self.assertEqual(cells[:2], [str(old["current_bytes"]), str(new["current_bytes"])])
            delta = new["peak_bytes"] - old["peak_bytes"]
            self.assertIn(str(old["peak_bytes"]), cells)
            self.assertIn(f"{delta:+d}" if delta else "0", cells)
        for name in ("Tracked total", "Allocator", "Resident"):
            table_row(result.stdout, name)
        readable = run("diff", self.small, self.large)
        self.assertRegex(readable.stdout, r"\nChunks .* \+[0-9.]+ [KMG]?B \(\+[0-9.]+%\)")


class CheckWordingAndPlot(Scratch):
    """What check says between the warning threshold and the budget, and past the budget; plot
    without matplotlib, and a short capture's few resident readings."""

    MIB = 1 << 20

    def snapshot_with(self, peak, budget, threshold=0.8, **fields):
        """A snapshot of one row, Textures; `fields` are the row's (warning_threshold_bytes)
        or the document's (tracked_total_bytes, ...) beyond the oldest schema's."""
        row = {"name": "Textures", "current_bytes": 1000, "peak_bytes": peak,
               "budget_bytes": budget, "allocator_bytes": 1000, "allocation_count": 1}
        if "warning_threshold_bytes" in fields:
            row["warning_threshold_bytes"] = fields.pop("warning_threshold_bytes")
        document = {"subsystems": [row], "warning_threshold": threshold,
                    "allocator": {key: 0 for key in memreport.ALLOCATOR_KEYS},
                    "resident": {key: 0 for key in memreport.RESIDENT_KEYS}, **fields}
        return self.write("snapshot.json", json.dumps(document))

    def test_a_row_warns_where_the_snapshot_says(self):
        # The library's own threshold in bytes decides, not one worked out here from the
        # fraction (0.8 of 4 MiB would be 3355443).
        budget = 4 * self.MIB
        stated = self.snapshot_with(2000, budget, warning_threshold_bytes=1000)
        result = run("check", stated, "--bytes")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(table_row(result.stdout, "Textures")[3], "1000")
        self.assertIn("Textures peaked at 2000, past the warning threshold 1000 ",
                      result.stdout)
        at_budget = self.snapshot_with(int(budget * 0.9), budget, warning_threshold_bytes=budget)
        self.assertEqual(run("check", at_budget).returncode, 0)

    def test_a_snapshot_without_thresholds_in_bytes_has_them_worked_out(self):
        # Written before warning_threshold_bytes: floor(budget x 0.8), as the library would.
        budget = 4 * self.MIB
        for peak, status in ((budget * 4 // 5, 0), (budget * 4 // 5 + 1, 1)):
            result = run("check", self.snapshot_with(peak, budget), "--bytes")
            self.assertEqual(result.returncode, status, result.stdout + result.stderr)
            self.assertEqual(table_row(result.stdout, "Textures")[3], str(budget * 4 // 5))

    def test_a_budgets_config_overrides_the_snapshots_threshold(self):
        budget = 4 * self.MIB
        snapshot = self.snapshot_with(int(budget * 0.9), budget, warning_threshold_bytes=budget)
        threshold = self.write("threshold.toml", "[memory]\nwarning_threshold = 0.85\n")
        result = run("check", snapshot, "--budgets", threshold, "--bytes")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertEqual(table_row(result.stdout, "Textures")[3], str(budget * 85 // 100))
        smaller = self.write("budget.toml", "[memory.budgets]\nTextures = 1000\n")
        result = run("check", snapshot, "--budgets", smaller, "--bytes")
        self.assertEqual(table_row(result.stdout, "Textures")[3], "800")  # floor(1000 x 0.8)

    def test_the_tracked_total_warns_where_the_snapshot_says(self):
        totals = {"tracked_total_bytes": 900, "tracked_peak_bytes": 900,
                  "total_budget_bytes": 1000}
        stated = self.snapshot_with(0, 0, total_warning_threshold_bytes=800, **totals)
        result = run("check", stated, "--bytes")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("PAST WARNING THRESHOLD", " ".join(table_row(result.stdout,
                                                                   "Tracked total")))
        # Without the field the total warns past its budget itself, as the library does.
        self.assertEqual(run("check", self.snapshot_with(0, 0, **totals)).returncode, 0)

    def test_between_the_threshold_and_the_budget_is_not_over_budget(self):
        budget = 4 * self.MIB
        result = run("check", self.snapshot_with(int(budget * 0.808), budget))
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertNotIn("OVER BUDGET", result.stdout)
        self.assertIn("PAST WARNING THRESHOLD", " ".join(table_row(result.stdout, "Textures")))
        self.assertIn("check: 1 problem: Textures peaked at 3.2 MB, past the warning threshold "
                      "3.2 MB (80.8% of its budget of 4.0 MB)".replace("3.2 MB", "3.23 MB", 1)
                      .replace("3.2 MB", "3.20 MB", 1).replace("4.0 MB", "4.00 MB"),
                      result.stdout)

    def test_past_the_budget_is_over_budget(self):
        budget = 4 * self.MIB
        result = run("check", self.snapshot_with(budget + 1, budget))
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("OVER BUDGET", " ".join(table_row(result.stdout, "Textures")))
        self.assertNotIn("PAST WARNING THRESHOLD", result.stdout)
        self.assertIn("Textures peaked at 4194305 B, over its budget of 4194304 B", result.stdout)

    def test_under_the_threshold_is_ok(self):
        budget = 4 * self.MIB
        result = run("check", self.snapshot_with(int(budget * 0.79), budget))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(table_row(result.stdout, "Textures")[-1], "ok")

    def test_amounts_that_differ_read_differently(self):
        self.assertEqual(memreport.format_distinct(3 * self.MIB, 3 * self.MIB), ["3.0 MB"] * 2)
        self.assertEqual(memreport.format_distinct(3_372_220, 3_355_443), ["3.22 MB", "3.20 MB"])
        self.assertEqual(memreport.format_distinct(3_355_444, 3_355_443),
                         ["3355444 B", "3355443 B"])
        self.assertEqual(memreport.format_distinct(512, 2048), ["512 B", "2.0 KB"])

    def test_plot_without_matplotlib_says_how_to_get_it(self):
        hidden = self.scratch / "no-matplotlib" / "matplotlib"
        hidden.mkdir(parents=True)
        (hidden / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
        capture = self.write("capture.csv", BadInput.capture_text(self))
        result = subprocess.run(
            [sys.executable, str(TOOL), "plot", str(capture), "-o", str(self.scratch / "x.png")],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(hidden.parent)})
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        for hint in ("python3-matplotlib", "/usr/bin/python3", "pip install matplotlib",
                     sys.executable):
            self.assertIn(hint, result.stderr)

    @unittest.skipUnless(importlib.util.find_spec("matplotlib"), "needs matplotlib")
    def test_a_short_captures_few_resident_readings_are_drawn(self):
        capture = self.write("capture.csv", BadInput.capture_text(self))
        picture = self.scratch / "short.png"
        result = run("plot", capture, "-o", picture)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(picture.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")


class BadInput(Scratch):
    """Every way a file can be wrong: exit status 2 and one line naming it, no traceback."""

    def assert_rejected(self, *arguments, names, mentions=""):
        result = run(*arguments)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith(f"nebula-memreport: {names}: "), lines[0])
        self.assertIn(mentions, lines[0])
        return lines[0]

    def snapshot(self):
        """A snapshot of the shape the library writes (the demo's, when CTest made one)."""
        if DEMO_DIR:
            return json.loads((Path(DEMO_DIR) / "small.json").read_text(encoding="utf-8"))
        row = {"name": "Chunks", "current_bytes": 1, "peak_bytes": 2, "budget_bytes": 3,
               "allocator_bytes": 4, "allocation_count": 1}
        return {"subsystems": [row], "warning_threshold": 0.85,
                "allocator": {key: 0 for key in memreport.ALLOCATOR_KEYS},
                "resident": {key: 0 for key in memreport.RESIDENT_KEYS}}

    def capture_text(self):
        if DEMO_DIR:
            return (Path(DEMO_DIR) / "small.csv").read_text(encoding="utf-8")
        header = ["time_s", "Chunks/current_bytes", *memreport.TOTAL_COLUMNS,
                  *memreport.RESIDENT_KEYS]
        return ",".join(header) + "\n" + "\n".join(
            ",".join([f"{t}.000"] + ["1000"] * (len(header) - 1)) for t in range(3)) + "\n"

    def test_an_empty_or_missing_file(self):
        empty = self.write("empty", "")
        blank = self.write("blank", " \n\n")
        for path in (empty, blank):
            self.assert_rejected("check", path, names=path, mentions="empty file")
            self.assert_rejected("plot", path, "-o", self.scratch / "x.png", names=path,
                                 mentions="empty file")
            self.assert_rejected("diff", path, path, names=path, mentions="empty file")
        missing = self.scratch / "missing.json"
        self.assert_rejected("check", missing, names=missing,
                             mentions="cannot read the file: No such file or directory")
        self.assert_rejected("check", self.scratch, names=self.scratch,
                             mentions="cannot read the file")

    def test_a_truncated_capture(self):
        text = self.capture_text()
        cut = self.write("cut.csv", text[:len(text) - 7])  # in the last row's last cells
        self.assert_rejected("plot", cut, "-o", self.scratch / "x.png", names=cut,
                             mentions="truncated")
        short = self.write("short.csv", text[:-7] + "\n")  # a row short of cells
        self.assert_rejected("plot", short, "-o", self.scratch / "x.png", names=short,
                             mentions="cells, the header")
        header_cut = self.write("header.csv", text[:30])
        self.assert_rejected("plot", header_cut, "-o", self.scratch / "x.png", names=header_cut,
                             mentions="no column")
        header_only = self.write("header-only.csv", text.splitlines(keepends=True)[0])
        self.assert_rejected("plot", header_only, "-o", self.scratch / "x.png",
                             names=header_only, mentions="no rows")

    def test_a_capture_with_wrong_cells(self):
        lines = self.capture_text().splitlines(keepends=True)
        cells = lines[1].rstrip("\n").split(",")
        cells[1] = "lots"
        bad = self.write("bad.csv", lines[0] + ",".join(cells) + "\n")
        self.assert_rejected("plot", bad, "-o", self.scratch / "x.png", names=bad,
                             mentions="line 2, column ")
        cells[1] = "-5"
        negative = self.write("negative.csv", lines[0] + ",".join(cells) + "\n")
        self.assert_rejected("plot", negative, "-o", self.scratch / "x.png", names=negative,
                             mentions="negative")
        json_file = self.write("snapshot.json", json.dumps(self.snapshot()))
        self.assert_rejected("plot", json_file, "-o", self.scratch / "x.png", names=json_file,
                             mentions="not a memory capture")
        binary = self.write("binary.csv", b"\xff\xfe\x00\x01garbage")
        self.assert_rejected("plot", binary, "-o", self.scratch / "x.png", names=binary,
                             mentions="not UTF-8")

    def test_json_of_the_wrong_shape(self):
        for name, document, mentions in (
                ("array.json", [1, 2], "expected an object"),
                ("string.json", "snapshot", "expected an object"),
                ("rows.json", {**self.snapshot(), "subsystems": {"Chunks": 1}}, "an array"),
                ("row.json", {**self.snapshot(), "subsystems": [5]}, "'subsystems[0]'"),
                ("text.json", {**self.snapshot(), "subsystems": [
                    {**self.snapshot()["subsystems"][0], "peak_bytes": "12 MB"}]},
                 "'subsystems[0].peak_bytes' is \"12 MB\", expected a byte count"),
                ("negative.json", {**self.snapshot(), "subsystems": [
                    {**self.snapshot()["subsystems"][0], "current_bytes": -1}]},
                 "expected a byte count"),
                ("gpu.json", {**self.snapshot(), "subsystems": [
                    {**self.snapshot()["subsystems"][0], "gpu_bytes": -5}]},
                 "'subsystems[0].gpu_bytes' is -5, expected a count"),
                ("churn.json", {**self.snapshot(), "subsystems": [
                    {**self.snapshot()["subsystems"][0], "frame_allocations": "many"}]},
                 "'subsystems[0].frame_allocations'"),
                ("resident.json", {**self.snapshot(), "resident": []}, "'resident'"),
                ("threshold.json", {**self.snapshot(), "warning_threshold": 7},
                 "'warning_threshold'"),
                ("threshold_bytes.json", {**self.snapshot(), "subsystems": [
                    {**self.snapshot()["subsystems"][0], "warning_threshold_bytes": -1}]},
                 "'subsystems[0].warning_threshold_bytes' is -1, expected a count"),
                ("total_threshold.json", {**self.snapshot(),
                                          "total_warning_threshold_bytes": "4 GiB"},
                 "'total_warning_threshold_bytes'")):
            path = self.write(name, json.dumps(document))
            self.assert_rejected("check", path, names=path, mentions=mentions)
            self.assert_rejected("diff", path, path, names=path, mentions=mentions)

    def test_not_json(self):
        text = json.dumps(self.snapshot(), indent=2)
        truncated = self.write("truncated.json", text[:len(text) // 2])
        self.assert_rejected("check", truncated, names=truncated, mentions="not JSON")
        csv_file = self.write("capture.csv", self.capture_text())
        self.assert_rejected("check", csv_file, names=csv_file, mentions="not JSON")
        binary = self.write("binary.json", b"\xff\xfe{}")
        self.assert_rejected("check", binary, names=binary, mentions="not UTF-8")

    def test_a_snapshot_from_an_older_version(self):
        older = self.snapshot()
        del older["resident"]
        path = self.write("no-resident.json", json.dumps(older))
        self.assert_rejected("check", path, names=path, mentions="no 'resident'")
        older = self.snapshot()
        del older["subsystems"][0]["allocator_bytes"]
        path = self.write("no-allocator-bytes.json", json.dumps(older))
        line = self.assert_rejected("check", path, names=path,
                                    mentions="no 'subsystems[0].allocator_bytes'")
        self.assertIn("older nebula-debug", line)
        # The message names the file at fault, wherever it stands on the command line.
        good = self.write("good.json", json.dumps(self.snapshot()))
        self.assert_rejected("check", good, "--baseline", path, names=path,
                             mentions="allocator_bytes")
        self.assert_rejected("diff", good, path, names=path, mentions="allocator_bytes")
        # Fields newer than docs/design.md's schema are read where present, not required.
        newer_fields = self.snapshot()
        for key in ("tracked_total_bytes", "tracked_peak_bytes", "total_budget_bytes",
                    "total_warning_threshold_bytes", "warning_threshold"):
            newer_fields.pop(key, None)
        for row in newer_fields["subsystems"]:
            row.pop("warning_threshold_bytes", None)
        path = self.write("design-minimum.json", json.dumps(newer_fields))
        self.assertIn(run("check", path).returncode, (0, 1))

    def test_a_budgets_config_with_errors(self):
        snapshot = self.write("snapshot.json", json.dumps(self.snapshot()))
        for name, text, mentions in (
                ("syntax.toml", "[memory\nwarning_threshold = 0.5\n", "not valid TOML"),
                ("size.toml", '[memory.budgets]\nChunks = "lots"\n',
                 'memory.budgets.Chunks: "lots" is not a size'),
                ("unit.toml", '[memory.budgets]\nChunks = "1 gib"\n', "is not a size"),
                ("negative.toml", "[memory.budgets]\nChunks = -1\n", "is negative"),
                ("float.toml", "[memory.budgets]\nChunks = 1.5\n",
                 "not a floating-point number"),
                ("bool.toml", "[memory]\ntotal_budget = true\n", "not a boolean"),
                ("decimals.toml", '[memory.budgets]\nChunks = "0.0000000001 GiB"\n',
                 "more than 9 decimals"),
                ("large.toml", '[memory.budgets]\nChunks = "17179869184 GiB"\n', "too large"),
                ("high.toml", "[memory]\nwarning_threshold = 1.5\n", "outside [0.01, 1]"),
                ("low.toml", "[memory]\nwarning_threshold = 0.005\n", "outside [0.01, 1]"),
                ("key.toml", "[memory]\ncolour = 'red'\n", "unknown key 'memory.colour'"),
                ("table.toml", "[memory]\nbudgets = 5\n", "must be a table"),
                ("top.toml", "memory = 5\n", "'memory' must be a table"),
                ("empty-name.toml", '[memory.budgets]\n"" = 5\n', "name in [memory.budgets]"),
                ("several.toml", "[memory]\ncolour = 1\nshade = 2\n", "(and 1 more)"),
                ("binary.toml", b"\xff\xfe[memory]", "not UTF-8")):
            budgets = self.write(name, text)
            self.assert_rejected("check", snapshot, "--budgets", budgets, names=budgets,
                                 mentions=mentions)
        missing = self.scratch / "missing.toml"
        self.assert_rejected("check", snapshot, "--budgets", missing, names=missing,
                             mentions="cannot read")

    def test_an_unwritable_plot(self):
        capture = self.write("capture.csv", self.capture_text())
        output = self.scratch / "no-such-directory" / "plot.png"
        self.assert_rejected("plot", capture, "-o", output, names=output,
                             mentions="cannot write the plot")

    def test_a_command_line_it_does_not_understand(self):
        snapshot = self.write("snapshot.json", json.dumps(self.snapshot()))
        for arguments in ((), ("bogus",), ("check",), ("check", snapshot, "--tolerance", "-5"),
                          ("check", snapshot, "--tolerance", "lots"), ("plot", snapshot)):
            result = run(*arguments)
            self.assertEqual(result.returncode, 2, arguments)
            self.assertNotIn("Traceback", result.stderr)
            self.assertIn("usage: nebula-memreport", result.stderr)

    def test_help(self):
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        for command in ("plot", "check", "diff"):
            self.assertIn(command, result.stdout)
        for command in ("plot", "check", "diff"):
            self.assertEqual(run(command, "--help").returncode, 0)


class BudgetsConfigRules(unittest.TestCase):
    """The library's rules (budget_config.cpp), on its own fuzz corpus of documented cases."""

    def test_sizes_and_units(self):
        settings = memreport.load_budgets(CORPUS / "all_units.toml")
        gib = 1 << 30
        self.assertEqual(settings["budgets"], {
            "Bytes": 100, "Kibi": 2048, "Kilo": 2048, "Mebi": 512 << 20, "Mega": 512 << 20,
            "Gibi": 3 * gib // 2, "Giga": 4 * gib, "Tabbed": 3 << 20, "Padded": 7 << 20,
            "Fraction": 0, "Zero": 0})
        self.assertEqual(settings["total_budget"], 17179869183999999999 * gib // 10**9)
        self.assertEqual(settings["warning_threshold"], 1.0)

    def test_the_documented_examples_are_accepted(self):
        for name in ("configuration_md_example.toml", "design_md_example.toml",
                     "crlf_one_percent.toml", "all_units.toml"):
            with self.subTest(name):
                memreport.load_budgets(CORPUS / name)
        example = memreport.load_budgets(CORPUS / "configuration_md_example.toml")
        self.assertEqual(example["budgets"]["Voxel Lights"], 3 << 29)

    def test_the_documented_errors_are_rejected(self):
        for name in ("bad_sizes.toml", "bad_thresholds.toml", "budgets_not_a_table.toml",
                     "documented_errors.toml", "duplicate_key.toml", "memory_not_a_table.toml",
                     "syntax_error.toml", "unicode_and_invalid_utf8.toml",
                     "unterminated_string.toml", "unterminated_table.toml",
                     "wrong_shapes.toml"):
            with self.subTest(name):
                with self.assertRaises(memreport.BadInput):
                    memreport.load_budgets(CORPUS / name)

    def test_threshold_bytes_use_the_decimal_the_float_reads_as(self):
        self.assertEqual(memreport.threshold_bytes(1 << 40, 0.85), (1 << 40) * 85 // 100)
        self.assertEqual(memreport.threshold_bytes(100, 0.01), 1)
        self.assertEqual(memreport.threshold_bytes(1000, 1.0), 1000)


if __name__ == "__main__":
    unittest.main()
