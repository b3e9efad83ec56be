#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Build or check docs/conformance.md from conformance_test runs.

conformance_test (selftests/conformance_test.c) prints, for every clause and
column, a line "# @conf <clause> <column> <outcome>" (and, when the outcome
is not the expected one, "# @conf-mismatch <clause> <column> <expected>").
This script reads those lines from the results.log of one guest boot per
kernel (read_run(): the sections between "@@ suite conformance_test begin"
and "@@ suite conformance_ipc_test begin" and their end markers), checks them against the clause list
(docs/clauses.tsv), and

  --write FILE   writes the table for the kernels given (any labels, in the
                 order given: stock, debug, trixie, sid, ...);
  --check FILE   compares the kernels given with FILE, cell by cell. An
                 AF_NEXUS cell that differs is a failure (the specification
                 is the same on every kernel); another family's cell that
                 differs (a kernel changed, or a kernel the table does not
                 have yet) is reported with the hint to run `make
                 conformance`, and is not a failure. The table's kernels not
                 given are counted as skipped. When every kernel of FILE ran
                 and no cell differs, the regenerated text must equal FILE
                 (notes, reasons, counts).

A missing run, a run without an end marker, a clause or column without an
outcome, an outcome for an unknown clause, an AF_NEXUS cell that differs
from its AF_UNIX/AF_INET counterpart without a note in the clause list, or
one that differs from most other families without a "reading" line is an
error (exit status 1).
"""
import argparse
import collections
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nexus_results  # noqa: E402  (the protocol reader)

# (record name, table heading, family, connection-oriented?); the order of
# the table's columns.
COLUMNS = [
    ("nexus-stream", "AF_NEXUS stream", "AF_NEXUS", True),
    ("nexus-seqpacket", "AF_NEXUS seqpacket", "AF_NEXUS", True),
    ("nexus-dgram", "AF_NEXUS dgram", "AF_NEXUS", False),
    ("unix-stream", "AF_UNIX stream", "AF_UNIX", True),
    ("unix-seqpacket", "AF_UNIX seqpacket", "AF_UNIX", True),
    ("unix-dgram", "AF_UNIX dgram", "AF_UNIX", False),
    ("inet-tcp", "AF_INET TCP", "AF_INET", True),
    ("inet-udp", "AF_INET UDP", "AF_INET", False),
    ("vsock-stream", "AF_VSOCK stream", "AF_VSOCK", True),
    ("vsock-seqpacket", "AF_VSOCK seqpacket", "AF_VSOCK", True),
    ("vsock-dgram", "AF_VSOCK dgram", "AF_VSOCK", False),
    ("tipc-stream", "AF_TIPC stream", "AF_TIPC", True),
    ("tipc-seqpacket", "AF_TIPC seqpacket", "AF_TIPC", True),
    ("tipc-dgram", "AF_TIPC dgram", "AF_TIPC", False),
    ("sctp-stream", "SCTP stream", "SCTP", True),
    ("sctp-seqpacket", "SCTP seqpacket", "SCTP", True),
    ("qrtr-dgram", "AF_QIPCRTR dgram", "AF_QIPCRTR", False),
]
COLNAMES = [c[0] for c in COLUMNS]
HEADS = {c[0]: c[1] for c in COLUMNS}
NEXUS_COLS = [c[0] for c in COLUMNS if c[2] == "AF_NEXUS"]

# The columns each AF_NEXUS column is compared with for the notes.
PARTNERS = {
    "nexus-stream": ["unix-stream", "inet-tcp"],
    "nexus-seqpacket": ["unix-seqpacket", "inet-tcp"],
    "nexus-dgram": ["unix-dgram", "inet-udp"],
}

SEEDS = {
    "000": "Linux connect(2), 2004",
    "001": "AIX connect subroutine",
    "002": "Linux man-pages 6.05 connect(2), 2023",
    "003": "FreeBSD 7.0 connect(2)",
    "004": "GNU C Library manual",
}

# The test binaries (one source, selftests/conformance_run.h) whose output
# makes the table.
SUITES = ("conformance_test", "conformance_ipc_test")
CLAUSE_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CONF_RE = re.compile(r"^# @conf(-mismatch)? (\S+) (\S+) (.*)$")
LABEL_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
FIELDS = ["id", "seeds", "description", "nexus_note", "seed_outcome", "reading"]


class Error(Exception):
    pass


def read_clauses(path):
    """docs/clauses.tsv: id, seeds, description, AF_NEXUS note, the outcome
    that meets the clause as the seeds state it (a regular expression on the
    cell, or "@..." on "column:cell"), and the "reading the table" line."""
    clauses = collections.OrderedDict()
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    header = lines[0].split("\t")
    if header != FIELDS:
        raise Error("%s: header must be %s" % (path, ", ".join(FIELDS)))
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) != len(FIELDS):
            raise Error("%s:%d: %d fields, want %d" % (path, n, len(f), len(FIELDS)))
        cid, seeds, desc, note, meets, reading = f
        if not CLAUSE_RE.match(cid):
            raise Error("%s:%d: bad clause id %r" % (path, n, cid))
        if cid in clauses:
            raise Error("%s:%d: duplicate clause id %s" % (path, n, cid))
        seedlist = seeds.split(",")
        if not seedlist or any(s not in SEEDS for s in seedlist):
            raise Error("%s:%d: seeds %r (want a comma list of %s)"
                        % (path, n, seeds, ", ".join(SEEDS)))
        if not desc.strip():
            raise Error("%s:%d: no description" % (path, n))
        try:
            rx = re.compile(meets[1:] if meets.startswith("@") else meets)
        except re.error as e:
            raise Error("%s:%d: seed_outcome %r: %s" % (path, n, meets, e))
        if not meets:
            raise Error("%s:%d: no seed_outcome" % (path, n))
        clauses[cid] = {"seeds": seedlist, "desc": desc.strip(),
                        "note": note.strip(), "meets": rx,
                        "meets_col": meets.startswith("@"),
                        "reading": reading.strip()}
    for s in SEEDS:
        if not any(s in c["seeds"] for c in clauses.values()):
            raise Error("%s: no clause cites seed %s" % (path, s))
    return clauses


def read_run(label, path):
    """Outcomes of one boot: (kernel release, {(clause, col): outcome},
    {(clause, col): expected}), from the sections of the SUITES."""
    run = nexus_results.read_run(path)
    if run is None:
        raise Error("%s: no %s (the %s kernel did not boot?)" % (label, path, label))
    out, mism = {}, {}
    for suite in SUITES:
        sec = run.section("suite", suite)
        if sec is None or not sec.ended:
            raise Error("%s: %s did not run to its end in %s" % (label, suite, path))
        for line in sec.lines:
            m = CONF_RE.match(line)
            if not m:
                continue
            key = (m.group(2), m.group(3))
            if m.group(1):
                mism[key] = m.group(4)
            elif key in out:
                raise Error("%s: two outcomes for %s %s" % (label, key[0], key[1]))
            else:
                out[key] = m.group(4)
    return run.kernel, out, mism


def collect(clauses, runs):
    """{(clause, col): {kernel: outcome}} over all runs, checked complete."""
    errors = []
    cells = {}
    for label, (_, out, _) in runs.items():
        for (cid, col) in out:
            if cid not in clauses:
                errors.append("%s: outcome for unknown clause %s (not in "
                              "docs/clauses.tsv)" % (label, cid))
            elif col not in COLNAMES:
                errors.append("%s: outcome for unknown column %s" % (label, col))
        for cid in clauses:
            for col in COLNAMES:
                v = out.get((cid, col))
                if v is None:
                    errors.append("%s: no outcome for %s in %s" % (label, cid, col))
                    continue
                cells.setdefault((cid, col), {})[label] = v
    if errors:
        raise Error("\n".join(errors))
    return cells


def md_escape(s):
    return s.replace("|", "\\|")


class Renderer:
    def __init__(self, kernels, reasons=None):
        self.kernels = kernels
        self.reasons = reasons if reasons is not None else collections.OrderedDict()

    def value(self, v, want=None):
        if v.startswith("n/a"):
            reason = v[3:].lstrip(": ").strip()
            if reason not in self.reasons:
                self.reasons[reason] = len(self.reasons) + 1
            s = "n/a [%d]" % self.reasons[reason]
        else:
            s = v.replace(" -> ", " → ")
        if want is not None:
            s += " ✗ (expected %s)" % want.replace(" -> ", " → ")
        return md_escape(s)

    def cell(self, per_kernel, mism):
        """per_kernel: {kernel: outcome}; mism: {kernel: expected or None}."""
        vals = [self.value(per_kernel[k], mism.get(k)) for k in self.kernels]
        if all(v == vals[0] for v in vals):
            return vals[0]
        return "<br>".join("%s: %s" % (k, v) for k, v in zip(self.kernels, vals))


def differences(clauses, cells, kernels):
    """{clause: [(nexus col, partner col)]} where AF_NEXUS differs."""
    diff = collections.OrderedDict()
    for cid in clauses:
        for ncol, partners in PARTNERS.items():
            for pcol in partners:
                for k in kernels:
                    a, b = cells[(cid, ncol)][k], cells[(cid, pcol)][k]
                    if a.startswith("n/a") or b.startswith("n/a") or a == b:
                        continue
                    diff.setdefault(cid, [])
                    if (ncol, pcol) not in diff[cid]:
                        diff[cid].append((ncol, pcol))
    return diff


def majority(clauses, cells, kernels):
    """{clause: [nexus col]} where an AF_NEXUS cell differs from most of the
    other families' cells of its kind (connection-oriented or datagram)
    that can express the clause, on some kernel."""
    kind = {c[0]: c[3] for c in COLUMNS}
    fams = {c[0]: c[2] for c in COLUMNS}
    found = collections.OrderedDict()
    for cid in clauses:
        for ncol in NEXUS_COLS:
            for k in kernels:
                v = cells[(cid, ncol)][k]
                if v.startswith("n/a"):
                    continue
                others = [cells[(cid, c)][k] for c in COLNAMES
                          if fams[c] != "AF_NEXUS" and kind[c] == kind[ncol]
                          and not cells[(cid, c)][k].startswith("n/a")]
                if others and 2 * sum(o != v for o in others) > len(others):
                    if ncol not in found.setdefault(cid, []):
                        found[cid].append(ncol)
    return found


def verdict(cl, col, value):
    """'meets', 'deviates' or 'n/a' for one outcome of one clause."""
    if value.startswith("n/a"):
        return "n/a"
    subject = "%s:%s" % (col, value) if cl["meets_col"] else value
    return "meets" if cl["meets"].fullmatch(subject) else "deviates"


def summary(clauses, cells, kernels):
    """{col: {kernel: (meets, deviates, n/a)}}."""
    res = collections.OrderedDict()
    for col in COLNAMES:
        res[col] = {}
        for k in kernels:
            n = collections.Counter(verdict(cl, col, cells[(cid, col)][k])
                                    for cid, cl in clauses.items())
            res[col][k] = (n["meets"], n["deviates"], n["n/a"])
    return res


def per_kernel(vals, kernels):
    """One value, or "k1: v1, k2: v2" where the kernels differ."""
    if all(vals[k] == vals[kernels[0]] for k in kernels):
        return str(vals[kernels[0]])
    return ", ".join("%s: %s" % (k, vals[k]) for k in kernels)


def render(clauses, cells, runs, kernels):
    r = Renderer(kernels)
    diff = differences(clauses, cells, kernels)
    missing = [cid for cid in diff if not clauses[cid]["note"]]
    if missing:
        raise Error("AF_NEXUS differs from AF_UNIX or AF_INET without a note in "
                    "docs/clauses.tsv (nexus_note): " + ", ".join(
                        "%s (%s)" % (cid, ", ".join("%s vs %s" % p for p in diff[cid]))
                        for cid in missing))
    most = majority(clauses, cells, kernels)
    missing = [cid for cid in most if not clauses[cid]["reading"]]
    if missing:
        raise Error("AF_NEXUS differs from most other families without a "
                    "reading line in docs/clauses.tsv (reading): " + ", ".join(
                        "%s (%s)" % (cid, ", ".join(most[cid])) for cid in missing))
    L = []
    L.append("# connect(): what each family does, clause by clause")
    L.append("")
    L.append("<!-- Generated by `make conformance` (qemu/conformance.sh and "
             "qemu/conformance.py) from selftests/conformance_run.h "
             "(conformance_test, conformance_ipc_test) on every tested kernel. Do not edit: `make check` fails when an AF_NEXUS "
             "cell is not what its own boots produce, and reports other "
             "families' cells that changed. -->")
    L.append("")
    L.append("Every clause of the five reference documents (`docs/clauses.tsv`; "
             "seeds: %s), run by `selftests/conformance_run.h` against each "
             "family and socket type in QEMU on these kernels:" %
             "; ".join("%s %s" % (k, v) for k, v in SEEDS.items()))
    L.append("")
    for k in kernels:
        L.append("- %s: `%s`" % (k, runs[k][0]))
    L.append("")
    if len(kernels) > 1:
        changed = sorted({cid for (cid, col), v in cells.items()
                          if len(set(v[k] for k in kernels)) > 1})
        if changed:
            L.append("Clauses with a cell that differs between these kernels: %s."
                     % ", ".join("`%s`" % c for c in changed))
        else:
            L.append("No cell differs between these kernels: every family "
                     "answered every clause the same way on all of them.")
        L.append("")
    L.append("## Reading the table")
    L.append("")
    L.append("A cell is what `connect()` (and the steps the clause names) "
             "returned: `0`, an errno name, or a sequence `A → B`. AF_NEXUS "
             "cells are asserted against the specification (`docs/stream.md`, "
             "`docs/dgram.md`) on every kernel; the other families' cells are "
             "compared with what Linux 6.1 did when this table was made, and "
             "a kernel that changes one is reported by `make check` (with the "
             "hint to run `make conformance`), not failed. `n/a [N]`: the "
             "family cannot express the clause, for reason N below. A cell "
             "that differs between kernels names each kernel; `✗` marks an "
             "outcome that was not the expected one. AF_UNIX uses abstract "
             "names except in the path-name clauses; AF_INET (TCP, UDP, SCTP) "
             "uses 127.0.0.1 (routes and namespaces as the clause says); "
             "AF_VSOCK uses CID 1 over the loopback transport; AF_TIPC runs "
             "on this node without a node identity or bearer, connects to "
             "port identities (as `getsockname()` gives them) and binds "
             "service names; its listeners have no backlog, so an attempt "
             "waits until `accept()` takes it (a listener nobody accepts on "
             "stands for a full one, and the tests accept where a connection "
             "must complete); SCTP `SOCK_STREAM` is the one-to-one style, "
             "`SOCK_SEQPACKET` the one-to-many style; AF_QIPCRTR uses the "
             "local node (1) without any endpoint or hardware.")
    L.append("")
    L.append("Where AF_NEXUS differs from most of the other families that "
             "can express a clause (of its kind: connection-oriented or "
             "datagram), and why:")
    L.append("")
    for cid, ncols in most.items():
        L.append("- `%s` (%s): %s" % (cid, ", ".join(HEADS[c] for c in ncols),
                                      clauses[cid]["reading"]))
    L.append("")
    L.append("## The table")
    L.append("")
    L.append("| clause | seeds | " + " | ".join(HEADS[c] for c in COLNAMES) + " |")
    L.append("|" + "---|" * (2 + len(COLNAMES)))
    for cid, cl in clauses.items():
        row = ["`%s`" % cid, " ".join(cl["seeds"])]
        for col in COLNAMES:
            mism = {k: runs[k][2].get((cid, col)) for k in kernels}
            row.append(r.cell(cells[(cid, col)], mism))
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append("## Reasons for n/a")
    L.append("")
    for reason, n in r.reasons.items():
        L.append("%d. %s" % (n, md_escape(reason)))
    L.append("")
    L.append("## Where AF_NEXUS differs from AF_UNIX or AF_INET, and why")
    L.append("")
    for cid, pairs in diff.items():
        L.append("- `%s` (differs from %s): %s" % (
            cid, ", ".join(sorted({HEADS[p] for _, p in pairs},
                                  key=[c[1] for c in COLUMNS].index)),
            clauses[cid]["note"]))
    L.append("")
    L.append("## The clauses")
    L.append("")
    for cid, cl in clauses.items():
        L.append("- `%s` (%s): %s" % (cid, ", ".join(cl["seeds"]), cl["desc"]))
    L.append("")
    L.append("## Summary")
    L.append("")
    L.append("Per family and type, of the %d clauses: how many it meets as the "
             "seeds state them (the `seed_outcome` of `docs/clauses.tsv`; a "
             "clause whose seeds leave the outcome open, such as the state "
             "after a failure, is met by any outcome), how many it deviates "
             "from, and how many it cannot express (n/a)." % len(clauses))
    L.append("")
    L.append("| family and type | meets | deviates | cannot express |")
    L.append("|---|---|---|---|")
    for col, byk in summary(clauses, cells, kernels).items():
        L.append("| %s | %s |" % (HEADS[col], " | ".join(
            per_kernel({k: byk[k][i] for k in kernels}, kernels)
            for i in range(3))))
    L.append("")
    return "\n".join(L)


def parse_table(text):
    """The committed table: ({clause: [cell per column]}, {n: reason},
    [kernel labels], header cells)."""
    rows, reasons, kernels, head = {}, {}, [], []
    section = None
    for line in text.split("\n"):
        if line.startswith("## "):
            section = line
        m = re.match(r"^- ([a-z0-9][a-z0-9._-]*): `(\S+)`$", line)
        if m and section is None:
            kernels.append(m.group(1))
        if line.startswith("| clause | seeds | "):
            head = [h.strip() for h in line.strip("| ").split(" | ")][2:]
        m = re.match(r"^\| `([a-z0-9-]+)` \| (.*) \|$", line)
        if m:
            cells = [c.strip().replace("\\|", "|")
                     for c in re.split(r"(?<!\\)\|", m.group(2))]
            rows[m.group(1)] = cells[1:]
        m = re.match(r"^(\d+)\. (.*)$", line)
        if m and section == "## Reasons for n/a":
            reasons[int(m.group(1))] = m.group(2).replace("\\|", "|")
    return rows, reasons, kernels, head


def strip_releases(text, kernels):
    """The table without the lines naming kernel releases."""
    return re.sub(r"(?m)^- (%s): `[^`]*`$" % "|".join(map(re.escape, kernels)),
                  "", text)


def committed_cell(cell, k, kernels):
    """Kernel k's value of a committed cell (None: the table lacks k and the
    cell differs between the table's kernels)."""
    if "<br>" not in cell:
        return cell
    parts = dict(p.split(": ", 1) for p in cell.split("<br>"))
    return parts.get(k)


def check_cells(clauses, runs, committed):
    """Compare each kernel that ran with the committed table. Returns
    (errors, changed): AF_NEXUS differences and structural problems are
    errors; other families' differences are changes to report."""
    rows, reasons, tkernels, head = parse_table(committed)
    byreason = collections.OrderedDict((v, k) for k, v in sorted(reasons.items()))
    errs, changed = [], []
    if head != [HEADS[c] for c in COLNAMES]:
        errs.append("the committed table's columns are not the test's "
                    "(%d of %d)" % (len(head), len(COLNAMES)))
        return errs, changed
    extra = set(rows) - set(clauses)
    if extra:
        errs.append("the table has clauses not in docs/clauses.tsv: %s"
                    % ", ".join(sorted(extra)))
    for k, (release, out, mism) in runs.items():
        r = Renderer([k], collections.OrderedDict(byreason))
        if k not in tkernels:
            changed.append("kernel %s (%s) is not in the table yet" % (k, release))
        for cid in clauses:
            if cid not in rows:
                errs.append("%s: not in the committed table" % cid)
                continue
            for i, col in enumerate(COLNAMES):
                cell = committed_cell(rows[cid][i], k, tkernels)
                now = r.cell({k: out[(cid, col)]}, {k: mism.get((cid, col))})
                now = now.replace("\\|", "|")
                if now == cell:
                    continue
                msg = "%s %s on %s: table says %r, now %r" % (cid, col, k, cell, now)
                if col in NEXUS_COLS:
                    errs.append(msg)
                else:
                    changed.append(msg)
        if len(r.reasons) != len(byreason):
            changed.append("%s: n/a reasons not in the committed table: %s" % (
                k, "; ".join(list(r.reasons)[len(byreason):])))
    return errs, changed


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clauses", required=True)
    ap.add_argument("--kernel", action="append", default=[],
                    help="LABEL=results.log, once per kernel, in table order")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write")
    g.add_argument("--check")
    ap.add_argument("--counts", help="write 'PASSED FAILED SKIPPED' here")
    args = ap.parse_args()

    counts = [0, 0, 0]

    def finish(rc):
        if args.counts:
            with open(args.counts, "w") as f:
                f.write("%d %d %d\n" % tuple(counts))
        return rc

    try:
        clauses = read_clauses(args.clauses)
        given = collections.OrderedDict()
        for kv in args.kernel:
            label, _, path = kv.partition("=")
            if not LABEL_RE.match(label) or not path:
                raise Error("bad --kernel %r (want LABEL=results.log)" % kv)
            if label in given:
                raise Error("kernel %s given twice" % label)
            given[label] = path
        if not given:
            raise Error("no --kernel given")
        runs = collections.OrderedDict()
        for k, path in given.items():
            runs[k] = read_run(k, path)
        kernels = list(runs)
        cells = collect(clauses, runs)

        if args.write:
            text = render(clauses, cells, runs, kernels)
            with open(args.write, "w", encoding="utf-8") as f:
                f.write(text)
            bad = [(k, cid, col) for k, r in runs.items() for (cid, col) in r[2]]
            for k, cid, col in bad:
                print("conformance: %s %s on %s is not the expected cell "
                      "(update selftests/conformance_test.c if Linux changed)"
                      % (cid, col, k))
            print("conformance: wrote %s (%d clauses x %d columns, kernels %s%s)"
                  % (args.write, len(clauses), len(COLNAMES), ", ".join(kernels),
                     ", %d unexpected outcomes" % len(bad) if bad else ""))
            return finish(1 if any(col in NEXUS_COLS for _, _, col in bad) else 0)

        try:
            with open(args.check, encoding="utf-8") as f:
                committed = f.read()
        except FileNotFoundError:
            raise Error("no %s: run `make conformance`" % args.check)
        errs, changed = check_cells(clauses, runs, committed)
        tkernels = parse_table(committed)[2]
        for k in tkernels:
            if k not in runs:
                print("  SKIP %s kernel not booted: its outcomes were not checked" % k)
                counts[2] += 1
        if errs:
            raise Error("%s is stale for %s:\n  %s\nrun `make conformance` and "
                        "commit it" % (args.check, ", ".join(runs), "\n  ".join(errs)))
        if changed:
            print("  NOTE other families' cells differ from %s (not a failure; "
                  "run `make conformance` to record them):" % args.check)
            for c in changed:
                print("    " + c)
        elif set(tkernels) == set(runs):
            text = render(clauses, cells, runs, tkernels)
            if strip_releases(text, tkernels) != strip_releases(committed, tkernels):
                import difflib
                sys.stdout.writelines(difflib.unified_diff(
                    committed.splitlines(True), text.splitlines(True),
                    args.check, "regenerated", n=0))
                raise Error("%s is stale (notes, reasons or counts): run `make "
                            "conformance` and commit it" % args.check)
        print("  AF_NEXUS cells match the table on %s" % ", ".join(runs))
        counts[0] += 1
        return finish(0)
    except Error as e:
        print("  FAIL conformance: %s" % e)
        counts[1] += 1
        return finish(1)


if __name__ == "__main__":
    sys.exit(main())
