"""Tests of `nebula-memreport check --sites-baseline OLD.pb.gz --sites NEW.pb.gz`: the site gate
judges two heap profiles as diff-sites does, beside the snapshot's budgets. On hand-encoded
profiles (test_diff_sites' writer), on the diff-sites workload's profiles at fixed seeds
(NEBULA_DIFF_SITES_WORKLOAD, set by CTest in tracking builds), and on bad input.
"""
import gzip
import json
import unittest
from pathlib import Path

# The module, not its classes: a test class imported here would run here too.
import test_diff_sites
from test_diff_sites import MIB, encode_profile, site
from test_memreport import DEMO_DIR, Scratch, memreport, run


def snapshot():
    """The demo's snapshot when CTest made one, else one of the same shape within budget."""
    if DEMO_DIR:
        return json.loads((Path(DEMO_DIR) / "small.json").read_text(encoding="utf-8"))
    row = {"name": "Chunks", "current_bytes": 1, "peak_bytes": 2, "budget_bytes": 1 << 20,
           "allocator_bytes": 4}
    return {"subsystems": [row], "warning_threshold": 0.85,
            "allocator": {key: 0 for key in memreport.ALLOCATOR_KEYS},
            "resident": {key: 0 for key in memreport.RESIDENT_KEYS}}


STABLE = [site("World", ["load_world", "main"], 0, 4096, 16),
          site("Assets", ["load_assets", "main"], 0, 256 << 10, 25)]
LEAK = site("Cache", ["leak_cache", "main"], 0, 4096, 40)


class CheckSites(Scratch):
    def setUp(self):
        super().setUp()
        self.snapshot = self.write("snapshot.json", json.dumps(snapshot()))
        self.before = self.profile("before.pb.gz", STABLE)
        self.same = self.profile("same.pb.gz", STABLE)
        self.grown = self.profile("grown.pb.gz", STABLE + [LEAK])

    def profile(self, name, sites):
        return self.write(name, gzip.compress(encode_profile(sites)))

    def check(self, *arguments):
        result = run("check", self.snapshot, *arguments)
        self.assertNotIn("Traceback", result.stderr)
        return result

    def test_the_snapshot_alone_passes_and_the_gate_adds_nothing_when_no_site_grew(self):
        plain = self.check()
        self.assertEqual(plain.returncode, 0, plain.stdout + plain.stderr)
        gated = self.check("--sites-baseline", self.before, "--sites", self.same)
        self.assertEqual(gated.returncode, 0, gated.stdout + gated.stderr)
        self.assertIn(f"sites of {self.same} against {self.before}: a site is flagged when its "
                      "growth is above 1.0 MB and significant, with a 1% chance",
                      gated.stdout)
        self.assertEqual(gated.stdout.splitlines()[-1], plain.stdout.splitlines()[-1])

    def test_a_site_that_grew_is_a_problem_named_with_its_interval(self):
        result = self.check("--sites-baseline", self.before, "--sites", self.grown)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        verdict = result.stdout.splitlines()[-1]
        self.assertTrue(verdict.startswith("check: 1 problem: "), verdict)
        self.assertIn("site leak_cache <- main [Cache] grew 20.1 MB over the baseline profile",
                      verdict)
        # The flagged site's row, as diff-sites prints it.
        self.assertTrue(any(line.startswith("leak_cache <- main [Cache] ") and "0/40" in line
                            for line in result.stdout.splitlines()), result.stdout)
        # The same statistics as diff-sites: what one flags, the other does.
        for options in ((), ("--min-growth", "30 MiB"), ("--false-alarm-rate", "0.001")):
            diff = run("diff-sites", self.before, self.grown, *options)
            gate = self.check("--sites-baseline", self.before, "--sites", self.grown, *options)
            self.assertEqual(gate.returncode, diff.returncode, (options, gate.stdout))

    def test_site_problems_add_to_budget_problems(self):
        document = snapshot()
        row = document["subsystems"][0]
        row["peak_bytes"] = row["budget_bytes"] + 1
        self.snapshot = self.write("over.json", json.dumps(document))
        result = self.check("--sites-baseline", self.before, "--sites", self.grown)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        verdict = result.stdout.splitlines()[-1]
        self.assertTrue(verdict.startswith("check: 2 problems: "), verdict)
        self.assertIn("over its budget", verdict)
        self.assertIn("leak_cache", verdict)

    def test_bad_input_exits_2_with_one_line(self):
        not_a_profile = self.write("text.pb.gz", "not a profile\n")
        cases = (
            (("--sites-baseline", self.before), "--sites-baseline: needs --sites NEW.pb.gz"),
            (("--sites", self.grown), "--sites: needs --sites-baseline OLD.pb.gz"),
            (("--sites-baseline", not_a_profile, "--sites", self.grown),
             f"{not_a_profile}: not a pprof heap profile"),
            (("--sites-baseline", self.before, "--sites", self.scratch / "missing.pb.gz"),
             "missing.pb.gz: cannot read the file"),
        )
        for arguments, reason in cases:
            result = self.check(*arguments)
            self.assertEqual(result.returncode, 2, (arguments, result.stdout, result.stderr))
            lines = result.stderr.splitlines()
            self.assertEqual(len(lines), 1, result.stderr)
            self.assertIn(reason, lines[0])
            # Rejected before any table is printed.
            self.assertEqual(result.stdout, "")
        for option, value in (("--min-growth", "-1"), ("--min-growth", "lots"),
                              ("--false-alarm-rate", "0"), ("--false-alarm-rate", "100"),
                              ("--false-alarm-rate", "often")):
            result = self.check("--sites-baseline", self.before, "--sites", self.grown, option,
                                value)
            self.assertEqual(result.returncode, 2, (option, value))
            self.assertIn("usage: nebula-memreport", result.stderr)


@unittest.skipUnless(test_diff_sites.WORKLOAD,
                     "needs NEBULA_DIFF_SITES_WORKLOAD (CTest, tracking builds)")
class OnTheWorkloadsProfilesCheck(test_diff_sites.OnTheWorkloadsProfiles):
    def test_an_injected_site_is_flagged_and_identical_runs_are_not(self):
        # Fixed seeds at a 64 KiB interval and a 0.1% chance of a false alarm, as in
        # test_diff_sites: the 4 MiB site has about 64 samples, flagged whatever the draws.
        interval = 64 << 10
        snapshot_path = self.scratch / "snapshot.json"
        snapshot_path.write_text(json.dumps(snapshot()), encoding="utf-8")
        before = self.profile("before.pb.gz", 21, interval=interval)
        same = self.profile("same.pb.gz", 22, interval=interval)
        leaked = self.profile("leaked.pb.gz", 23, "--leak", str(4 * MIB), interval=interval)
        result = run("check", snapshot_path, "--sites-baseline", before, "--sites", leaked,
                     "--false-alarm-rate", "0.1")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("leak_cache_entries", result.stdout.splitlines()[-1])
        result = run("check", snapshot_path, "--sites-baseline", before, "--sites", same,
                     "--false-alarm-rate", "0.1")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
