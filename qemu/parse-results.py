#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise one guest boot of the nexus test harness.

Reads OUTDIR/results.log (ttyS1, the protocol written by guest-init.sh) and
OUTDIR/console.log (ttyS0, the kernel console), prints a per-suite summary
and every kernel report found with context, writes "PASSED FAILED SKIPPED"
to --counts, and exits 1 if anything failed, else 0.

Counting rules:
  * selftests (kselftest_harness TAP): "ok N name" pass, "ok N name # SKIP"
    skip, "not ok N name" fail. A suite with no end marker, rc != 0 and no
    "not ok", or no test line at all is one extra failure named after it.
  * KUnit (KTAP from debugfs): test cases one level below the suite line
    (parameterised cases count once, at case level); a suite whose own line
    is "not ok" with no failing case is one extra failure; nexus_kunit.ko
    present (--expect-kunit) but no suite printed is a failure.
  * insmod/rmmod of nexus failing, no "@@ done", a host timeout, a non-empty
    kmemleak report, an unexpected taint and every kernel report on the
    console (BUG, WARNING, KASAN, KCSAN, lockdep, hung task, ...) are failures;
    a KCSAN report without a nexus frame (a race inside the kernel itself)
    is listed as a note.

The reading and the counting are qemu/nexus_results.py's; this is its
command line and its summary.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nexus_results  # noqa: E402  (the protocol reader)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", help="directory with results.log and console.log")
    ap.add_argument("--label", default="guest")
    ap.add_argument("--mode", choices=["check", "run"], default="check")
    ap.add_argument("--expect-kunit", action="store_true",
                    help="nexus_kunit.ko was in the initramfs")
    ap.add_argument("--counts", help="write 'PASSED FAILED SKIPPED' here")
    ap.add_argument("--quiet-reports", action="store_true",
                    help="list kernel reports without their context")
    args = ap.parse_args()

    results = nexus_results.read_lines(
        os.path.join(args.outdir, "results.log")) or []
    console = nexus_results.read_lines(
        os.path.join(args.outdir, "console.log")) or []
    run = nexus_results.parse(results)
    v = nexus_results.verdict(run, console, mode=args.mode,
                              expect_kunit=args.expect_kunit)
    groups, harness, reports = v.groups, v.harness, v.reports

    # ---- summary ----
    print("==== %s kernel %s ====" % (args.label, run.kernel))
    for g in groups:
        print("  %-6s %-32s %4d pass %4d fail %4d skip%s" % (
            g.kind, g.name, g.passed, g.failed, g.skipped,
            ("   " + "; ".join(g.notes)) if g.notes else ""))
        for f in g.failures:
            print("           FAIL %s" % f)
    if not groups:
        print("  (no test suite ran)")
    for f in harness.failures:
        print("  FAIL %s" % f)
    for n in harness.notes:
        print("  note: %s" % n)
    for e in run.errors:
        print("  note: results.log: %s" % e)
    for n in v.kcsan_outside:
        print("  note: not a failure, no nexus frame in it: %s" % n)
    if reports and not args.quiet_reports:
        for head, ctx in reports:
            print("---- kernel report (%s): %s ----" % (args.label, head))
            print(ctx)
            print("---- end of report ----")

    if not run.done and not reports and not args.quiet_reports:
        tail = [l for l in console if l.strip()][-40:]
        print("---- last console lines (%s): the guest did not finish ----" % args.label)
        print("\n".join(tail) if tail else "(console.log is empty)")
        print("---- end of console ----")

    passed, failed, skipped = v.totals()
    print("  %s totals: pass=%d fail=%d skip=%d" % (args.label, passed, failed, skipped))
    if args.counts:
        with open(args.counts, "w") as f:
            f.write("%d %d %d\n" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
