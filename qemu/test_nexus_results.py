#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of the result protocol reader (qemu/nexus_results.py) and of the
three tools that use it, on logs in qemu/testdata/. The selftest output and
the console lines are recorded from a stock-kernel boot (cut where a case
needs it); the KUnit sections (6.1's debugfs format), the WARNING, the bench
and the conformance lines are written in the formats their writers use.

  pass/         a complete boot: KUnit suites (one with a truncated debugfs
                log), two selftests, rmmod, taint, done
  truncated/    the log stops in the middle of a line inside a suite
  no-done/      every suite ended, but no "@@ done"
  report/       a WARNING turned into a panic in the middle of the console;
                the guest died inside a suite
  timeout/      a suite killed by its per-binary timeout, then the host's
                timeout ("@@ host-timeout")
  bench/        bench mode, the last sample cut off
  conformance/  a conformance_test section (CRLF line ends, as on ttyS1)

Run: python3 qemu/test_nexus_results.py (make check runs it).
"""
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nexus_results as nr  # noqa: E402

DATA = os.path.join(HERE, "testdata")


def load(case):
    """(Run, console lines) of a recorded boot."""
    run = nr.read_run(os.path.join(DATA, case, "results.log"))
    console = nr.read_lines(os.path.join(DATA, case, "console.log")) or []
    return run, console


def tool(name):
    """Import a qemu/ script whose file name has a dash."""
    spec = importlib.util.spec_from_file_location(
        name.replace("-", "_").replace(".py", ""), os.path.join(HERE, name))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def groups_by_name(v):
    return {g.name: g for g in v.groups}


class Reader(unittest.TestCase):
    def test_complete_boot(self):
        run, console = load("pass")
        self.assertEqual(run.kernel, "6.1.0-57-amd64")
        self.assertEqual(run.insmod_rc, "0")
        self.assertEqual(run.rmmod_rc, "0")
        self.assertEqual(run.tainted, 12288)
        self.assertTrue(run.done)
        self.assertIsNone(run.host_timeout)
        self.assertEqual(run.errors, [])
        self.assertEqual([(s.kind, s.name) for s in run.sections],
                         [("kunit", "nexus_addr"), ("kunit", "nexus_stream"),
                          ("suite", "addr_test"), ("suite", "proc_test")])
        self.assertTrue(all(s.ended for s in run.sections))
        self.assertEqual(run.section("suite", "proc_test").rc, "0")
        self.assertIsNone(run.section("suite", "nexus_addr"))
        self.assertIn("rmmod nexus_kunit rc=0", run.notes)

        v = nr.verdict(run, console, expect_kunit=True)
        g = groups_by_name(v)
        self.assertEqual((g["nexus_addr"].passed, g["nexus_addr"].skipped,
                          g["nexus_addr"].failed), (2, 1, 0))
        # Plan 1..3, two case lines, suite ok: the lost one counts as passed.
        self.assertEqual((g["nexus_stream"].passed, g["nexus_stream"].failed),
                         (3, 0))
        self.assertEqual(len(g["nexus_stream"].notes), 1)
        self.assertEqual((g["addr_test"].passed, g["addr_test"].failed), (4, 0))
        self.assertEqual((g["proc_test"].passed, g["proc_test"].failed), (8, 0))
        # The out-of-tree taint lines on the console are not reports.
        self.assertEqual(v.reports, [])
        self.assertEqual(v.harness.failures, [])
        self.assertEqual(v.totals(), (17, 0, 1))

    def test_truncated_log(self):
        run, console = load("truncated")
        self.assertFalse(run.done)
        sec = run.section("suite", "proc_test")
        self.assertFalse(sec.ended)
        self.assertTrue(run.section("suite", "addr_test").ended)
        v = nr.verdict(run, console)
        g = groups_by_name(v)
        self.assertEqual(g["addr_test"].failed, 0)
        self.assertEqual(g["proc_test"].failed, 1)
        self.assertIn("no end marker", g["proc_test"].failures[0])
        self.assertEqual(g["proc_test"].passed, 3)
        self.assertTrue(any("no '@@ done'" in f for f in v.harness.failures))
        self.assertEqual(v.totals(), (7, 2, 0))

    def test_missing_done(self):
        run, console = load("no-done")
        self.assertFalse(run.done)
        self.assertTrue(all(s.ended for s in run.sections))
        v = nr.verdict(run, console)
        self.assertEqual(v.harness.failures,
                         ["guest did not finish the run (no '@@ done')"])
        self.assertEqual(v.totals(), (4, 1, 0))

    def test_kernel_report_in_the_middle(self):
        run, console = load("report")
        v = nr.verdict(run, console)
        # The WARNING and the panic it became are one report, with the
        # panic in its context.
        self.assertEqual(len(v.reports), 1)
        head, ctx = v.reports[0]
        self.assertTrue(head.startswith("WARNING: CPU: 0 PID: 97"))
        self.assertIn("Kernel panic - not syncing", ctx)
        self.assertIn("__sock_release", ctx)
        fails = v.harness.failures
        self.assertTrue(any(f.startswith("kernel report: WARNING") for f in fails))
        self.assertTrue(any("no '@@ done'" in f for f in fails))
        g = groups_by_name(v)
        self.assertIn("no end marker", g["proc_test"].failures[0])
        self.assertEqual(v.totals()[1], 3)

    def test_kcsan_reports(self):
        # Written by hand in the format of 6.1's KCSAN reports: one race of
        # the kernel's own (a note) and one through nexus (a failure).
        console = [
            "[    0.720000] ==================================================================",
            "[    0.720001] BUG: KCSAN: data-race in lapic_cal_handler / setup_boot_APIC_clock",
            "[    0.720002] write to 0xffffffff82a0 of 8 bytes by interrupt on cpu 0:",
            "[    0.720003]  lapic_cal_handler+0x30/0x120",
            "[    0.720004] ==================================================================",
            "[   12.000000] ==================================================================",
            "[   12.000001] BUG: KCSAN: data-race in nexus_stream_sendmsg [nexus] / nexus_stream_recvmsg [nexus]",
            "[   12.000002] read to 0xffff8880 of 4 bytes by task 201 on cpu 1:",
            "[   12.000003]  nexus_stream_sendmsg+0x2a/0x400 [nexus]",
            "[   12.000004] ==================================================================",
            "[   13.000000] nexus: unrelated line",
        ]
        outside = []
        reports = nr.scan_console(console, (), outside)
        self.assertEqual(len(reports), 1)
        self.assertIn("nexus_stream_sendmsg", reports[0][0])
        self.assertNotIn("unrelated", reports[0][1])
        self.assertEqual(len(outside), 1)
        self.assertIn("lapic_cal_handler", outside[0])

    def test_timeouts(self):
        run, console = load("timeout")
        self.assertEqual(run.host_timeout, "1200")
        sec = run.section("suite", "proc_test")
        self.assertEqual((sec.ended, sec.rc, sec.timeout), (True, "143", "300"))
        v = nr.verdict(run, console)
        g = groups_by_name(v)
        self.assertEqual(g["proc_test"].failures,
                         ["proc_test (killed after the 300s per-binary timeout)"])
        self.assertEqual(g["sysctl_test"].failures,
                         ["sysctl_test (no end marker: guest died or hung)"])
        self.assertIn("guest timed out after 1200s", v.harness.failures)
        self.assertIn("guest did not finish the run (no '@@ done')",
                      v.harness.failures)

    def test_empty_and_missing(self):
        self.assertIsNone(nr.read_run(os.path.join(DATA, "no-such-file")))
        v = nr.verdict(nr.parse([""]), [])
        self.assertTrue(any("no results at all" in f for f in v.harness.failures))

    def test_protocol_edge_cases(self):
        lines = [
            "@@ kernel 6.1.0-x",
            "@@ insmod nexus rc=0",
            "@@ suite a_test begin",
            "ok 1 global.one",
            "@@ suite b_test end rc=0",      # not a's end: stays in a
            "@@ suite a_test end rc=1",      # rc 1 without a failing test
            "@@ suite c_test begin",
            "not ok 1 global.two",
            "@@ suite c_test end rc=1",
            "@@ suite d_test begin",
            "# no result line at all",
            "@@ suite d_test end rc=0",
            "@@ insmod nexus",               # no rc: a failure
            "@@ rmmod nexus rc=1",
            "@@ kmemleak begin",
            "unreferenced object 0xffff888003c8a000 (size 64):",
            "  comm \"insmod\", pid 1, jiffies 4294",
            "@@ kmemleak end",
            "@@ tainted 512",                # W without a report
            "@@ done",
        ]
        run = nr.parse(lines)
        self.assertEqual(len(run.errors), 1)
        self.assertEqual(run.insmod_failures, ["?"])
        v = nr.verdict(run, [])
        g = groups_by_name(v)
        self.assertEqual(g["a_test"].failures,
                         ["a_test (exit status 1 without a failing test)"])
        self.assertEqual(g["c_test"].failures, ["global.two"])
        self.assertEqual(g["d_test"].failures, ["d_test (no test result lines)"])
        self.assertIn("insmod nexus (rc=?)", v.harness.failures)
        self.assertTrue(any(f.startswith("rmmod nexus (rc=1)")
                            for f in v.harness.failures))
        # The kmemleak report is a report, so the W taint is explained.
        self.assertEqual(len(v.reports), 1)
        self.assertTrue(v.reports[0][0].startswith("kmemleak: unreferenced"))
        run = nr.parse(["@@ tainted 512", "@@ done"])
        v = nr.verdict(run, [])
        self.assertTrue(any(f.startswith("unexpected taint")
                            for f in v.harness.failures))

    def test_kunit_failures(self):
        g = nr.Group("kunit", "s")
        nr.parse_kunit(g, ["KTAP version 1", "1..1", "    1..2",
                           "    ok 1 a", "    not ok 2 b", "not ok 1 s"])
        self.assertEqual((g.passed, g.failed, g.failures), (1, 1, ["b"]))
        g = nr.Group("kunit", "s")
        nr.parse_kunit(g, ["    1..2", "    ok 1 a", "not ok 1 s"])
        # Truncated and not ok: the lost case is not counted as passed,
        # and the suite's own "not ok" is a failure.
        self.assertEqual((g.passed, g.failed), (1, 1))
        g = nr.Group("kunit", "s")
        nr.parse_kunit(g, ["KTAP version 1"])
        self.assertEqual(g.failures, ["s (no KTAP result lines)"])
        run = nr.parse(["@@ insmod nexus rc=0", "@@ done"])
        v = nr.verdict(run, [], expect_kunit=True)
        self.assertIn("nexus_kunit.ko was present but no KUnit suite reported",
                      v.harness.failures)

    def test_run_mode(self):
        run = nr.parse(["@@ insmod nexus rc=0", "@@ demo rc=3", "@@ done"])
        v = nr.verdict(run, [], mode="run")
        self.assertIn("nexus_demo exited with rc=3", v.harness.failures)
        run = nr.parse(["@@ insmod nexus rc=0", "@@ demo rc=0", "@@ done"])
        self.assertEqual(nr.verdict(run, [], mode="run").totals(), (1, 0, 0))


class Tools(unittest.TestCase):
    def test_parse_results_cli(self):
        with tempfile.TemporaryDirectory() as tmp:
            counts = os.path.join(tmp, "counts")
            # truncated: its KUnit suites are missing too (one more failure)
            for case, rc, want in (("pass", 0, "17 0 1"),
                                   ("truncated", 1, "7 3 0")):
                p = subprocess.run(
                    [sys.executable, os.path.join(HERE, "parse-results.py"),
                     os.path.join(DATA, case), "--label", case,
                     "--counts", counts, "--expect-kunit"],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    universal_newlines=True)
                self.assertEqual(p.returncode, rc, p.stdout)
                with open(counts) as f:
                    self.assertEqual(f.read().strip(), want)
                self.assertIn("==== %s kernel 6.1.0-57-amd64 ====" % case,
                              p.stdout)

    def test_bench_report(self):
        br = tool("bench-report.py")
        path = os.path.join(DATA, "bench", "results.log")
        info, samples, na, status, errors = br.parse(path)
        self.assertEqual(info["rounds"], 3)
        self.assertEqual(info["slab"]["NEXUS"]["objsize"], 1216)
        self.assertEqual(len(samples[("pingpong_1", "stream", "nexus")]), 2)
        self.assertIn(("pingpong_1", "stream", "vsock"), na)
        self.assertEqual(status, {"kernel": "6.1.0-57-amd64"})
        self.assertEqual(len(errors), 1)     # the cut-off sample
        res = br.summarize(samples, na)
        self.assertEqual(res[("pingpong_1", "stream", "nexus")]["median"], 11.0)
        # The report warns and fails: no "@@ done" and a malformed line.
        with redirect_stdout(io.StringIO()) as out:
            sys.argv = ["bench-report.py", "icount=" + path]
            self.assertEqual(br.main(), 1)
        self.assertIn("did not finish", out.getvalue())
        self.assertIn("malformed bench line", out.getvalue())

    def test_conformance_reader(self):
        conf = tool("conformance.py")
        path = os.path.join(DATA, "conformance", "results.log")
        release, out, mism = conf.read_run("stock", path)
        self.assertEqual(release, "6.1.0-57-amd64")
        # Only the sections of the two conformance binaries count; CR is
        # gone.
        self.assertEqual(out, {
            ("connect-ok", "nexus-stream"): "0",
            ("connect-refused", "nexus-stream"): "ECONNREFUSED",
            ("connect-refused", "unix-stream"): "ECONNREFUSED",
            ("connect-ok", "unix-stream"): "EINVAL",
            ("connect-refused", "tipc-stream"): "ECONNREFUSED"})
        self.assertEqual(mism, {("connect-ok", "unix-stream"): "0"})
        with self.assertRaises(conf.Error):
            conf.read_run("stock", os.path.join(DATA, "truncated", "results.log"))
        with self.assertRaises(conf.Error):
            conf.read_run("stock", os.path.join(DATA, "no-such-file"))


if __name__ == "__main__":
    unittest.main()
