#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Build or check docs/conformance.md from conformance_test runs.

conformance_test (selftests/conformance_test.c) prints, for every clause and
column, a line "# @conf <clause> <column> <outcome>" (and, when the outcome
is not the expected one, "# @conf-mismatch <clause> <column> <expected>").
This script reads those lines from the results.log of one guest boot per
kernel (the section between "@@ suite conformance_test begin" and its end
marker), checks them against the clause list (docs/clauses.tsv), and

  --write FILE   writes the table (needs every kernel of KERNELS);
  --check FILE   regenerates the table and compares it with FILE: byte for
                 byte when every kernel of KERNELS ran, otherwise outcome by
                 outcome for the kernels that ran (the others are counted as
                 skipped, never as passed).

A missing run, a run without an end marker, a clause or column without an
outcome, an outcome for an unknown clause, or an AF_NEXUS cell that differs
from its AF_UNIX/AF_INET counterpart without a note in the clause list is an
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

KERNELS = ["stock", "debug"]

# (record name, table heading); the order of the table's columns.
COLUMNS = [
    ("nexus-stream", "AF_NEXUS stream"),
    ("nexus-seqpacket", "AF_NEXUS seqpacket"),
    ("nexus-dgram", "AF_NEXUS dgram"),
    ("unix-stream", "AF_UNIX stream"),
    ("unix-seqpacket", "AF_UNIX seqpacket"),
    ("unix-dgram", "AF_UNIX dgram"),
    ("inet-tcp", "AF_INET TCP"),
    ("inet-udp", "AF_INET UDP"),
    ("vsock-stream", "AF_VSOCK stream"),
    ("vsock-seqpacket", "AF_VSOCK seqpacket"),
    ("vsock-dgram", "AF_VSOCK dgram"),
]
COLNAMES = [c for c, _ in COLUMNS]

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

SUITE = "conformance_test"
CLAUSE_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CONF_RE = re.compile(r"^# @conf(-mismatch)? (\S+) (\S+) (.*)$")


class Error(Exception):
    pass


def read_clauses(path):
    """docs/clauses.tsv: id, seeds, description, AF_NEXUS note."""
    clauses = collections.OrderedDict()
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    header = lines[0].split("\t")
    if header != ["id", "seeds", "description", "nexus_note"]:
        raise Error("%s: header must be id, seeds, description, nexus_note" % path)
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) != 4:
            raise Error("%s:%d: %d fields, want 4" % (path, n, len(f)))
        cid, seeds, desc, note = f
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
        clauses[cid] = {"seeds": seedlist, "desc": desc.strip(),
                        "note": note.strip()}
    for s in SEEDS:
        if not any(s in c["seeds"] for c in clauses.values()):
            raise Error("%s: no clause cites seed %s" % (path, s))
    return clauses


def read_run(label, path):
    """Outcomes of one boot: (kernel release, {(clause, col): outcome},
    {(clause, col): expected})."""
    run = nexus_results.read_run(path)
    if run is None:
        raise Error("%s: no %s (the %s kernel did not boot?)" % (label, path, label))
    sec = run.section("suite", SUITE)
    if sec is None or not sec.ended:
        raise Error("%s: %s did not run to its end in %s" % (label, SUITE, path))
    out, mism = {}, {}
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
    def __init__(self, clauses, kernels, reasons=None):
        self.clauses = clauses
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


def render(clauses, cells, runs, kernels):
    r = Renderer(clauses, kernels)
    heads = dict(COLUMNS)
    diff = differences(clauses, cells, kernels)
    missing = [cid for cid in diff if not clauses[cid]["note"]]
    if missing:
        raise Error("AF_NEXUS differs from AF_UNIX or AF_INET without a note in "
                    "docs/clauses.tsv (nexus_note): " + ", ".join(
                        "%s (%s)" % (cid, ", ".join("%s vs %s" % p for p in diff[cid]))
                        for cid in missing))
    L = []
    L.append("# connect(): what each family does, clause by clause")
    L.append("")
    L.append("<!-- Generated by `make conformance` (qemu/conformance.sh and "
             "qemu/conformance.py) from selftests/conformance_test.c on both "
             "kernels. Do not edit: `make check` fails when this file is not "
             "what its own boots produce. -->")
    L.append("")
    L.append("Every clause of the five reference documents (`docs/clauses.tsv`; "
             "seeds: %s), run by `selftests/conformance_test.c` against each "
             "family and socket type in QEMU on these kernels:" %
             "; ".join("%s %s" % (k, v) for k, v in SEEDS.items()))
    L.append("")
    for k in kernels:
        L.append("- %s: `%s`" % (k, runs[k][0]))
    L.append("")
    L.append("A cell is what `connect()` (and the steps the clause names) "
             "returned: `0`, an errno name, or a sequence `A → B`. AF_NEXUS "
             "cells are asserted against the specification (`docs/stream.md`, "
             "`docs/dgram.md`); the other families' cells are asserted "
             "against what Linux did when this table was made, so a kernel "
             "that changes fails `make check`. `n/a [N]`: the family cannot "
             "express the clause, for reason N below. A cell that differs "
             "between the kernels names each; `✗` marks an outcome that was "
             "not the expected one. AF_UNIX uses abstract names except in the "
             "path-name clauses; AF_INET uses 127.0.0.1 (routes and "
             "namespaces as the clause says); AF_VSOCK uses CID 1 over the "
             "loopback transport.")
    L.append("")
    L.append("| clause | seeds | " + " | ".join(heads[c] for c in COLNAMES) + " |")
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
            cid, ", ".join(sorted({heads[p] for _, p in pairs},
                                  key=lambda h: [x[1] for x in COLUMNS].index(h))),
            clauses[cid]["note"]))
    L.append("")
    L.append("## The clauses")
    L.append("")
    for cid, cl in clauses.items():
        L.append("- `%s` (%s): %s" % (cid, ", ".join(cl["seeds"]), cl["desc"]))
    L.append("")
    return "\n".join(L)


def parse_table(text):
    """The committed table: ({clause: [cell per column]}, {n: reason},
    {kernel: release})."""
    rows, reasons, releases = {}, {}, {}
    section = None
    for line in text.split("\n"):
        if line.startswith("## "):
            section = line
        m = re.match(r"^- (\w+): `(\S+)`$", line)
        if m and section is None:
            releases[m.group(1)] = m.group(2)
        m = re.match(r"^\| `([a-z0-9-]+)` \| (.*) \|$", line)
        if m and section is None:
            cells = [c.strip().replace("\\|", "|")
                     for c in re.split(r"(?<!\\)\|", m.group(2))]
            rows[m.group(1)] = cells[1:]
        m = re.match(r"^(\d+)\. (.*)$", line)
        if m and section == "## Reasons for n/a":
            reasons[int(m.group(1))] = m.group(2).replace("\\|", "|")
    return rows, reasons, releases


def strip_releases(text):
    """The table without the lines naming kernel releases."""
    return re.sub(r"(?m)^- (%s): `[^`]*`$" % "|".join(KERNELS), "", text)


def check_partial(clauses, runs, committed):
    """Compare the kernels that ran with their outcomes in the committed
    table. Returns a list of differences."""
    rows, reasons, releases = parse_table(committed)
    byreason = collections.OrderedDict((v, k) for k, v in sorted(reasons.items()))
    errs = []
    for k, (release, out, mism) in runs.items():
        r = Renderer(clauses, [k], collections.OrderedDict(byreason))
        for cid in clauses:
            if cid not in rows:
                errs.append("%s: not in the committed table" % cid)
                continue
            if len(rows[cid]) != len(COLNAMES):
                errs.append("%s: the committed row has %d cells" % (cid, len(rows[cid])))
                continue
            for i, col in enumerate(COLNAMES):
                cell = rows[cid][i]
                if "<br>" in cell:
                    parts = dict(p.split(": ", 1) for p in cell.split("<br>"))
                    cell = parts.get(k, "")
                now = r.cell({k: out[(cid, col)]}, {k: mism.get((cid, col))})
                now = now.replace("\\|", "|")
                if now != cell:
                    errs.append("%s %s on %s: table says %r, now %r"
                                % (cid, col, k, cell, now))
        if len(r.reasons) != len(byreason):
            errs.append("%s: n/a reasons not in the committed table" % k)
    extra = set(rows) - set(clauses)
    if extra:
        errs.append("the table has clauses not in docs/clauses.tsv: %s"
                    % ", ".join(sorted(extra)))
    return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clauses", required=True)
    ap.add_argument("--kernel", action="append", default=[],
                    help="LABEL=results.log (stock, debug)")
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
            if label not in KERNELS:
                raise Error("unknown kernel %s (want %s)" % (label, ", ".join(KERNELS)))
            given[label] = path
        if not given:
            raise Error("no --kernel given")
        runs = collections.OrderedDict()
        for k in KERNELS:
            if k in given:
                runs[k] = read_run(k, given[k])
        cells = collect(clauses, runs)
        complete = all(k in runs for k in KERNELS)

        if args.write:
            if not complete:
                raise Error("the table needs runs on %s" % " and ".join(KERNELS))
            text = render(clauses, cells, runs, KERNELS)
            with open(args.write, "w", encoding="utf-8") as f:
                f.write(text)
            bad = sum(len(r[2]) for r in runs.values())
            print("conformance: wrote %s (%d clauses x %d columns, %d kernels%s)"
                  % (args.write, len(clauses), len(COLNAMES), len(runs),
                     ", %d unexpected outcomes" % bad if bad else ""))
            return finish(1 if bad else 0)

        try:
            with open(args.check, encoding="utf-8") as f:
                committed = f.read()
        except FileNotFoundError:
            raise Error("no %s: run `make conformance`" % args.check)
        if complete:
            text = render(clauses, cells, runs, KERNELS)
            # Outcomes are what must not go stale; the kernel releases the
            # table names may move on (a Debian kernel update) without it.
            if strip_releases(text) != strip_releases(committed):
                import difflib
                sys.stdout.writelines(difflib.unified_diff(
                    committed.splitlines(True), text.splitlines(True),
                    args.check, "regenerated", n=0))
                raise Error("%s is stale: run `make conformance` and commit it"
                            % args.check)
            print("  up to date (%d clauses x %d columns, kernels %s)"
                  % (len(clauses), len(COLNAMES), ", ".join(runs)))
            counts[0] = 1
            return finish(0)
        errs = check_partial(clauses, runs, committed)
        for k in KERNELS:
            if k not in runs:
                print("  SKIP %s kernel not booted: its outcomes were not checked" % k)
                counts[2] += 1
        if errs:
            raise Error("%s is stale for %s:\n  %s\nrun `make conformance` and "
                        "commit it" % (args.check, ", ".join(runs), "\n  ".join(errs)))
        print("  %s outcomes match the table" % ", ".join(runs))
        counts[0] += 1
        return finish(0)
    except Error as e:
        print("  FAIL conformance: %s" % e)
        counts[1] += 1
        return finish(1)


if __name__ == "__main__":
    sys.exit(main())
