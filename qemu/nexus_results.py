# SPDX-License-Identifier: GPL-2.0
"""The reader of the guest result protocol, for every tool in qemu/.

The guest's /init (qemu/guest-init.sh, which documents the writer side)
reports on ttyS1, captured by run-guest.sh as results.log, in lines that
start with "@@ ", everything else between them being the output of what
ran:

  @@ kernel <release>
  @@ insmod nexus rc=N
  @@ kunit <suite> begin / <KTAP results file> / @@ kunit <suite> end
  @@ suite <name> begin / <TAP output> / @@ suite <name> end rc=N [timeout=S]
  @@ rmmod nexus rc=N
  @@ kmemleak begin / <report> / @@ kmemleak end
  @@ demo rc=N                            (run mode)
  @@ bench info|sample|na|slab <JSON>     (bench mode, nexus_bench)
  @@ bench end                            (nexus_bench's last line)
  @@ trace <line>                         (nexus_bench -T)
  @@ bench rc=N                           (bench mode)
  @@ tainted N
  @@ done
  @@ host-timeout S                       (appended by run-guest.sh)
  @@ note ...                             (informational)

read_run() turns one log into a Run; parse_selftest(), parse_kunit() and
scan_console() count what a section or the console says; verdict() applies
the counting rules of `make check` (see parse-results.py) to a whole boot.
qemu/parse-results.py, qemu/conformance.py and qemu/bench-report.py use
this module and nothing else to read a results.log; qemu/test_nexus_results.py
tests it on recorded logs.
"""
import json
import re

# ---- the protocol ---------------------------------------------------------


class Section:
    """The output between "@@ <kind> <name> begin" and its end marker."""

    def __init__(self, kind, name):
        self.kind = kind        # "suite" (a selftest) or "kunit"
        self.name = name
        self.lines = []         # raw lines, without the markers
        self.ended = False      # the end marker was seen
        self.rc = None          # "rc=" of the end marker (string)
        self.timeout = None     # "timeout=" of the end marker (string)

    def __repr__(self):
        return "Section(%s %s, %d lines, ended=%s, rc=%s)" % (
            self.kind, self.name, len(self.lines), self.ended, self.rc)


class Run:
    """Everything one results.log says."""

    def __init__(self):
        self.kernel = "?"
        self.insmod_rc = None   # first "@@ insmod nexus rc="
        self.insmod_failures = []   # every rc != "0"
        self.rmmod_rc = None
        self.sections = []
        self.kmemleak = []      # lines of the kmemleak report
        self.tainted = None     # int
        self.demo_rc = None
        self.bench_rc = None
        self.bench = []         # (kind, dict) of "@@ bench KIND {json}"
        self.bench_ended = False    # "@@ bench end": nexus_bench finished
        self.trace = []         # "@@ trace" lines (nexus_bench -T)
        self.notes = []
        self.done = False
        self.host_timeout = None
        self.errors = []        # malformed protocol lines (truncated log)
        self.empty = True       # no non-blank line at all

    def section(self, kind, name):
        """The first section of that kind and name, or None."""
        for s in self.sections:
            if s.kind == kind and s.name == name:
                return s
        return None

    def status(self):
        """The run-level markers as {marker: value} (bench-report's JSON)."""
        st = {}
        if self.kernel != "?":
            st["kernel"] = self.kernel
        if self.bench_rc is not None:
            st["bench rc"] = self.bench_rc
        if self.tainted is not None:
            st["tainted"] = str(self.tainted)
        if self.done:
            st["done"] = ""
        if self.host_timeout is not None:
            st["host-timeout"] = self.host_timeout
        return st


MARKER_RE = re.compile(r"^@@ (.*)$")
BENCH_RE = re.compile(r"^bench (info|sample|na|slab) (\{.*\})$")


def _value(words, i, key):
    """The value of word i if it is "key=VALUE", else "?"."""
    if len(words) > i and words[i].startswith(key + "="):
        return words[i][len(key) + 1:]
    return "?"


def split_lines(data):
    """bytes or str -> lines (no CR, no newline)."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    return data.replace("\r", "").split("\n")


def read_lines(path):
    """The lines of a log file, or None when it does not exist."""
    try:
        with open(path, "rb") as f:
            return split_lines(f.read())
    except FileNotFoundError:
        return None


def parse(lines):
    """Parse the lines of a results.log into a Run."""
    run = Run()
    cur = None              # the open Section
    in_kmemleak = False
    for raw in lines:
        if raw.strip():
            run.empty = False
        line = raw.rstrip()
        m = MARKER_RE.match(line)
        if not m:
            if cur is not None:
                cur.lines.append(raw)
            elif in_kmemleak:
                run.kmemleak.append(raw)
            continue
        rest = m.group(1)
        words = rest.split()
        if not words:
            continue
        key = words[0]
        if key == "kernel" and len(words) > 1:
            run.kernel = words[1]
        elif key == "insmod" and words[1:2] == ["nexus"]:
            rc = _value(words, 2, "rc")
            if run.insmod_rc is None:
                run.insmod_rc = rc
            if rc != "0":
                run.insmod_failures.append(rc)
        elif key == "rmmod" and words[1:2] == ["nexus"]:
            run.rmmod_rc = _value(words, 2, "rc")
        elif key in ("kunit", "suite") and len(words) >= 3 and words[2] == "begin":
            # A begin while a section is open: the open one never ended.
            cur = Section(key, words[1])
            run.sections.append(cur)
        elif key in ("kunit", "suite") and len(words) >= 3 and words[2] == "end":
            if cur is not None and cur.kind == key and cur.name == words[1]:
                cur.ended = True
                for w in words[3:]:
                    if w.startswith("rc="):
                        cur.rc = w[3:]
                    elif w.startswith("timeout="):
                        cur.timeout = w[8:]
                cur = None
            else:
                run.errors.append("end marker without its begin: %s" % line)
        elif key == "kmemleak" and words[1:2] == ["begin"]:
            in_kmemleak = True
        elif key == "kmemleak" and words[1:2] == ["end"]:
            in_kmemleak = False
        elif key == "tainted" and len(words) > 1:
            try:
                run.tainted = int(words[1])
            except ValueError:
                run.errors.append("bad taint value: %s" % line)
        elif key == "demo":
            run.demo_rc = _value(words, 1, "rc")
        elif key == "bench" and len(words) > 1 and words[1].startswith("rc="):
            run.bench_rc = words[1][3:]
        elif key == "bench" and words[1:] == ["end"]:
            run.bench_ended = True
        elif key == "bench":
            bm = BENCH_RE.match(rest)
            try:
                if not bm:
                    raise ValueError("no JSON object")
                run.bench.append((bm.group(1), json.loads(bm.group(2))))
            except ValueError:
                run.errors.append("malformed bench line: %s" % line[:200])
        elif key == "done":
            run.done = True
        elif key == "host-timeout":
            run.host_timeout = words[1] if len(words) > 1 else "?"
        elif key == "note":
            run.notes.append(rest[5:].strip())
        elif key == "trace":
            run.trace.append(rest[6:])
    return run


def read_run(path):
    """The Run of a results.log, or None when the file does not exist."""
    lines = read_lines(path)
    return None if lines is None else parse(lines)


# ---- TAP and KTAP inside sections -----------------------------------------

TAP_RE = re.compile(r"^(\s*)(not ok|ok)\s+(\d+)\s*(?:-\s+)?(.*)$")
RUN_RE = re.compile(r"^#\s+RUN\s+(\S+)\s+\.\.\.")
PLAN_RE = re.compile(r"^(\s*)1\.\.(\d+)\s*$")


def split_directive(rest):
    """'name # SKIP why' -> ('name', 'SKIP why')."""
    if "#" in rest:
        name, _, directive = rest.partition("#")
        return name.strip(), directive.strip()
    return rest.strip(), ""


class Group:
    """The counts of one suite (or of the harness itself)."""

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


def parse_selftest(group, lines):
    """Count kselftest_harness TAP; returns the number of result lines."""
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
    """Count the cases of one KUnit suite's KTAP (debugfs results)."""
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
        m = PLAN_RE.match(line.expandtabs(8))
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


def count_section(sec):
    """The Group of one section, with the end-marker rules applied."""
    g = Group(sec.kind, sec.name)
    if not sec.ended:
        g.fail("%s (no end marker: guest died or hung)" % sec.name)
    elif sec.timeout is not None:
        g.fail("%s (killed after the %ss per-binary timeout)"
               % (sec.name, sec.timeout))
    if sec.kind == "kunit":
        parse_kunit(g, sec.lines)
        return g
    seen = parse_selftest(g, sec.lines)
    if not sec.ended:
        return g
    if sec.rc is not None and sec.rc != "0":
        g.notes.append("rc=%s" % sec.rc)
        if not g.failures:
            g.fail("%s (exit status %s without a failing test)"
                   % (sec.name, sec.rc))
    if seen == 0 and not g.failures:
        g.fail("%s (no test result lines)" % sec.name)
    return g


# ---- the kernel console ---------------------------------------------------

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


def kcsan_block_end(clean, i):
    """The index just past the KCSAN report whose headline is clean[i]."""
    for j in range(i + 1, min(len(clean), i + 200)):
        if KCSAN_END_RE.match(clean[j]):
            return j + 1
    return min(len(clean), i + 40)


def scan_console(lines, kmemleak_lines=(), outside=None):
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


# ---- the verdict on one boot ----------------------------------------------


class Verdict:
    """groups: a Group per section; harness: the run-level failures;
    reports: the kernel reports (headline, context); kcsan_outside: the
    headlines of KCSAN reports with no nexus frame (notes, not failures)."""

    def __init__(self, run, groups, harness, reports, kcsan_outside=()):
        self.run = run
        self.groups = groups
        self.harness = harness
        self.reports = reports
        self.kcsan_outside = list(kcsan_outside)

    def totals(self):
        """(passed, failed, skipped) over the whole boot."""
        passed = sum(g.passed for g in self.groups) + self.harness.passed
        failed = sum(g.failed for g in self.groups) + self.harness.failed
        skipped = sum(g.skipped for g in self.groups)
        return passed, failed, skipped


def verdict(run, console, mode="check", expect_kunit=False):
    """Apply the counting rules of `make check` to a Run and its console
    lines (mode "check" or "run")."""
    harness = Group("harness", "harness")
    groups = [count_section(s) for s in run.sections]
    for rc in run.insmod_failures:
        harness.fail("insmod nexus (rc=%s)" % rc)
    if run.rmmod_rc is not None and run.rmmod_rc != "0":
        harness.fail("rmmod nexus (rc=%s): module still in use?" % run.rmmod_rc)
    if run.empty:
        harness.fail("guest wrote no results at all (did it boot? see console.log)")
    if run.host_timeout:
        harness.fail("guest timed out after %ss" % run.host_timeout)
    if not run.done:
        harness.fail("guest did not finish the run (no '@@ done')")
    kunit_suites = sum(1 for s in run.sections if s.kind == "kunit")
    if mode == "check" and expect_kunit and kunit_suites == 0:
        harness.fail("nexus_kunit.ko was present but no KUnit suite reported")
    if mode == "run":
        if run.demo_rc is None:
            harness.fail("the demo did not run")
        elif run.demo_rc != "0":
            harness.fail("nexus_demo exited with rc=%s" % run.demo_rc)
        else:
            harness.passed += 1
    if run.tainted is not None:
        bad = [desc for bit, desc in BAD_TAINT.items()
               if run.tainted & (1 << bit)]
        if bad:
            harness.notes.append("kernel tainted %d: %s"
                                 % (run.tainted, ", ".join(bad)))
    kcsan_outside = []
    reports = scan_console(console, run.kmemleak, kcsan_outside)
    if harness.notes and not reports:
        harness.fail("unexpected taint (%s) without a report on the console"
                     % "; ".join(harness.notes))
    for head, _ in reports:
        harness.fail("kernel report: " + head[:120])
    return Verdict(run, groups, harness, reports, kcsan_outside)
