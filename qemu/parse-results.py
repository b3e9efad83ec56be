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
"""
import argparse
import os
import re
import sys

REPORT_PATTERNS = [
    r"Kernel panic",
    r"BUG:",                    # also KCSAN's "BUG: KCSAN: data-race in ..."
    r"WARNING:",
    r"\bOops\b",
    r"general protection fault",
    r"KASAN",
    r"UBSAN",
    r"possible circular locking",
    r"possible recursive locking",
    r"inconsistent lock state",
    r"suspicious RCU usage",
    r"INFO: task .* blocked",
    r"soft lockup",
    r"hard LOCKUP",
    r"unreferenced object",
    r"Attempted to kill init",
]
REPORT_RE = re.compile("|".join(REPORT_PATTERNS))
KCSAN_RE = re.compile(r"BUG: KCSAN:")
KCSAN_END_RE = re.compile(r"^={20,}\s*$")
# A stack frame or headline function of the module (or its KUnit suites).
NEXUS_FRAME_RE = re.compile(r"\bnexus_\w+|\[nexus(_kunit)?\]")
# Expected for an unsigned out-of-tree module; never a failure.
BENIGN_RE = re.compile(r"loading out-of-tree module taints kernel|"
                       r"module verification failed")
TS_RE = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# Taint bits that mean something went wrong (see Documentation/admin-guide/
# tainted-kernels.rst): R forced rmmod, M machine check, B bad page,
# D died, W warning, L soft lockup.
BAD_TAINT = {3: "R (forced rmmod)", 4: "M (machine check)",
             5: "B (bad page / KASAN)", 7: "D (oops)", 9: "W (warning)",
             14: "L (soft lockup)"}

TAP_RE = re.compile(r"^(\s*)(not ok|ok)\s+(\d+)\s*(?:-\s+)?(.*)$")
RUN_RE = re.compile(r"^#\s+RUN\s+(\S+)\s+\.\.\.")


def split_directive(rest):
    """'name # SKIP why' -> ('name', 'SKIP why')."""
    if "#" in rest:
        name, _, directive = rest.partition("#")
        return name.strip(), directive.strip()
    return rest.strip(), ""


class Group:
    def __init__(self, kind, name):
        self.kind = kind
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []   # names of failed tests
        self.notes = []

    def fail(self, what):
        self.failed += 1
        self.failures.append(what)


def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    text = data.decode("utf-8", "replace").replace("\r", "")
    return text.split("\n")


def parse_selftest(group, lines):
    last_run = None
    seen = 0
    for line in lines:
        m = RUN_RE.match(line)
        if m:
            last_run = m.group(1)
            continue
        m = TAP_RE.match(line)
        if not m or m.group(1):      # harness results are not indented
            continue
        seen += 1
        status, num, rest = m.group(2), m.group(3), m.group(4)
        name, directive = split_directive(rest)
        if not name:
            name = last_run or "test %s" % num
        if directive.upper().startswith("SKIP"):
            group.skipped += 1
        elif status == "ok":
            group.passed += 1
        else:
            group.fail(name)
    return seen


def parse_kunit(group, lines):
    entries = []
    for line in lines:
        m = TAP_RE.match(line.expandtabs(8))
        if m:
            entries.append((len(m.group(1)), m.group(2), m.group(3),
                            m.group(4)))
    if not entries:
        group.fail("%s (no KTAP result lines)" % group.name)
        return
    top = min(e[0] for e in entries)
    deeper = [e[0] for e in entries if e[0] > top]
    case_level = min(deeper) if deeper else None
    suite_ok = all(e[1] == "ok" for e in entries if e[0] == top)
    failed_cases = 0
    ncases = 0
    for indent, status, num, rest in entries:
        if indent != case_level:
            continue
        ncases += 1
        name, directive = split_directive(rest)
        if directive.upper().startswith("SKIP"):
            group.skipped += 1
        elif status == "ok":
            group.passed += 1
        else:
            failed_cases += 1
            group.fail(name or "case %s" % num)
    # Each case's debugfs log is only KUNIT_LOG_SIZE (512) bytes in 6.1: a
    # chatty case can lose its result line. Compare with the case plan.
    plan = None
    for line in lines:
        m = re.match(r"^(\s*)1\.\.(\d+)\s*$", line.expandtabs(8))
        if m and len(m.group(1)) == case_level:
            plan = int(m.group(2))
            break
    if plan is not None and plan > ncases:
        missing = plan - ncases
        if suite_ok:
            group.passed += missing
            ncases += missing
            group.notes.append("%d case result(s) truncated from the debugfs "
                               "log, counted as passed (suite ok)" % missing)
        else:
            group.notes.append("%d case result(s) truncated from the debugfs "
                               "log; see the console for them" % missing)
    if ncases == 0:
        group.fail("%s (no test cases)" % group.name)
    elif not suite_ok and failed_cases == 0:
        group.fail("%s (suite reported not ok)" % group.name)


def kcsan_block_end(clean, i):
    """The index just past the KCSAN report whose headline is clean[i]."""
    for j in range(i + 1, min(len(clean), i + 200)):
        if KCSAN_END_RE.match(clean[j]):
            return j + 1
    return min(len(clean), i + 40)


def scan_console(lines, kmemleak_lines, outside=None):
    """Return a list of (headline, context text) for every kernel report.

    A KCSAN report none of whose stacks passes through nexus (a race inside
    the kernel itself, such as the APIC calibration at boot) is not one of
    them: its headline goes to @outside, a list of notes, when given.
    """
    reports = []
    covered = -1
    clean = [TS_RE.sub("", l) for l in lines]
    for i, line in enumerate(clean):
        if i <= covered or BENIGN_RE.search(line) or not REPORT_RE.search(line):
            continue
        if KCSAN_RE.search(line):
            end = kcsan_block_end(clean, i)
            if not any(NEXUS_FRAME_RE.search(l) for l in clean[i:end]):
                if outside is not None:
                    outside.append(line.strip())
                covered = end - 1
                continue
        lo, hi = max(0, i - 5), min(len(lines), i + 40)
        if KCSAN_RE.search(line):
            hi = kcsan_block_end(clean, i)   # the next report is its own
        if reports and line.startswith("Kernel panic") and i - covered < 100:
            # The panic that panic_on_warn/oops=panic turns a report into:
            # show it with the report before, do not count it again.
            head, ctx = reports[-1]
            reports[-1] = (head, ctx + "\n" + "\n".join(lines[covered + 1:hi]))
        else:
            reports.append((line.strip(), "\n".join(lines[lo:hi])))
        covered = hi - 1
    if any(l.strip() for l in kmemleak_lines):
        body = [l for l in kmemleak_lines if l.strip()]
        head = next((l for l in body if "unreferenced object" in l), body[0])
        reports.append(("kmemleak: " + head.strip(), "\n".join(body[:80])))
    return reports


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

    results = read_lines(os.path.join(args.outdir, "results.log")) or []
    console = read_lines(os.path.join(args.outdir, "console.log")) or []

    harness = Group("harness", "harness")
    groups = []
    kernel = "?"
    done = False
    timeout = None
    tainted = None
    demo_rc = None
    kmemleak = []
    cur = None          # (group, kind, lines)
    in_kmemleak = False
    kunit_suites = 0

    for raw in results:
        line = raw.rstrip()
        m = re.match(r"^@@ (.*)$", line)
        if not m:
            if cur is not None:
                cur[2].append(raw)
            elif in_kmemleak:
                kmemleak.append(raw)
            continue
        words = m.group(1).split()
        if not words:
            continue
        key = words[0]
        if key == "kernel" and len(words) > 1:
            kernel = words[1]
        elif key == "insmod" and words[1:2] == ["nexus"]:
            rc = words[2].partition("=")[2] if len(words) > 2 else "?"
            if rc != "0":
                harness.fail("insmod nexus (rc=%s)" % rc)
        elif key == "rmmod" and words[1:2] == ["nexus"]:
            rc = words[2].partition("=")[2] if len(words) > 2 else "?"
            if rc != "0":
                harness.fail("rmmod nexus (rc=%s): module still in use?" % rc)
        elif key in ("kunit", "suite") and len(words) >= 3 and words[2] == "begin":
            if cur is not None:
                g = cur[0]
                g.fail("%s (no end marker: guest died or hung)" % g.name)
                finish_group(cur)
            g = Group(key, words[1])
            groups.append(g)
            cur = (g, key, [])
            if key == "kunit":
                kunit_suites += 1
        elif key in ("kunit", "suite") and len(words) >= 3 and words[2] == "end":
            if cur is not None and cur[0].name == words[1]:
                rc = None
                for w in words[3:]:
                    if w.startswith("rc="):
                        rc = w[3:]
                    elif w.startswith("timeout="):
                        cur[0].fail("%s (killed after the %ss per-binary timeout)"
                                    % (cur[0].name, w[8:]))
                finish_group(cur, rc, ended=True)
                cur = None
        elif key == "kmemleak" and words[1:2] == ["begin"]:
            in_kmemleak = True
        elif key == "kmemleak" and words[1:2] == ["end"]:
            in_kmemleak = False
        elif key == "tainted" and len(words) > 1:
            try:
                tainted = int(words[1])
            except ValueError:
                pass
        elif key == "demo":
            demo_rc = words[1].partition("=")[2] if len(words) > 1 else "?"
        elif key == "done":
            done = True
        elif key == "host-timeout":
            timeout = words[1] if len(words) > 1 else "?"
    if cur is not None:
        cur[0].fail("%s (no end marker: guest died or hung)" % cur[0].name)
        finish_group(cur)

    if not results or not any(l.strip() for l in results):
        harness.fail("guest wrote no results at all (did it boot? see console.log)")
    if timeout:
        harness.fail("guest timed out after %ss" % timeout)
    if not done:
        harness.fail("guest did not finish the run (no '@@ done')")
    if args.mode == "check" and args.expect_kunit and kunit_suites == 0:
        harness.fail("nexus_kunit.ko was present but no KUnit suite reported")
    if args.mode == "run":
        if demo_rc is None:
            harness.fail("the demo did not run")
        elif demo_rc != "0":
            harness.fail("nexus_demo exited with rc=%s" % demo_rc)
        else:
            harness.passed += 1
    if tainted is not None:
        bad = [desc for bit, desc in BAD_TAINT.items() if tainted & (1 << bit)]
        if bad:
            harness.notes.append("kernel tainted %d: %s" % (tainted, ", ".join(bad)))

    kcsan_outside = []
    reports = scan_console(console, kmemleak, kcsan_outside)
    if harness.notes and not reports:
        harness.fail("unexpected taint (%s) without a report on the console"
                     % "; ".join(harness.notes))
    for head, _ in reports:
        harness.fail("kernel report: " + head[:120])

    # ---- summary ----
    print("==== %s kernel %s ====" % (args.label, kernel))
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
    for n in kcsan_outside:
        print("  note: not a failure, no nexus frame in it: %s" % n)
    if reports and not args.quiet_reports:
        for head, ctx in reports:
            print("---- kernel report (%s): %s ----" % (args.label, head))
            print(ctx)
            print("---- end of report ----")

    if not done and not reports and not args.quiet_reports:
        tail = [l for l in console if l.strip()][-40:]
        print("---- last console lines (%s): the guest did not finish ----" % args.label)
        print("\n".join(tail) if tail else "(console.log is empty)")
        print("---- end of console ----")

    passed = sum(g.passed for g in groups) + harness.passed
    failed = sum(g.failed for g in groups) + harness.failed
    skipped = sum(g.skipped for g in groups)
    print("  %s totals: pass=%d fail=%d skip=%d" % (args.label, passed, failed, skipped))
    if args.counts:
        with open(args.counts, "w") as f:
            f.write("%d %d %d\n" % (passed, failed, skipped))
    return 1 if failed else 0


def finish_group(cur, rc=None, ended=False):
    g, kind, lines = cur
    if kind == "kunit":
        parse_kunit(g, lines)
        return
    seen = parse_selftest(g, lines)
    if not ended:
        return
    if rc is not None and rc != "0":
        g.notes.append("rc=%s" % rc)
        if not g.failures:
            g.fail("%s (exit status %s without a failing test)" % (g.name, rc))
    if seen == 0 and not g.failures:
        g.fail("%s (no test result lines)" % g.name)


if __name__ == "__main__":
    sys.exit(main())
