#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn nexus_bench output (results.log of bench-mode boots) into medians,
ratios to AF_UNIX, a console table, a Markdown table and a JSON file.

Usage: bench-report.py [--json OUT] [--md OUT] [--command CMD]
                       LABEL=RESULTS_LOG [LABEL=RESULTS_LOG...]
The first LABEL is the primary run (guest instructions under icount).
"""
import argparse
import json
import os
import statistics
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nexus_results  # noqa: E402  (the protocol reader)

FAMS = ["nexus", "unix", "inet", "vsock"]
FAM_TITLE = {"nexus": "AF_NEXUS", "unix": "AF_UNIX", "inet": "TCP/UDP",
             "vsock": "VSOCK"}
# (workload, types, title); order of the table.
ROWS = [
    ("conn_cycle", ["stream", "seqpacket"], "connect+accept+close"),
    ("conn_xcpu", ["stream", "seqpacket"], "connect+accept+close, 2 processes"),
    ("pingpong_1", ["stream", "seqpacket", "dgram"], "ping-pong 1 B"),
    ("pingpong_4k", ["stream", "seqpacket", "dgram"], "ping-pong 4 KiB"),
    ("stream_tput", ["stream"], "throughput, 64 KiB writes"),
    ("msg_tput", ["dgram", "seqpacket"], "throughput, 64 B messages"),
    ("storm", ["stream"], "storm: 1000 clients, backlog 128"),
    ("bind_connect_0", ["stream"], "bind+connect, 0 other bound"),
    ("bind_connect_full", ["stream"], "bind+connect, 100k other bound"),
    ("fill", ["stream"], "socket+bind while filling to 100k"),
    ("ns_listeners_0", ["stream"], "connect+accept+close, own netns"),
    ("ns_listeners_full", ["stream"], "same, 100k listeners in 1000 other netns"),
    ("mem", ["stream"], "kernel memory per connection (Slab)"),
    ("mem:slabobj", ["stream"], "kernel memory per connection (objects)"),
]


# Measured causes of the misses that remain, keyed by (workload, type,
# family compared with); docs/performance.md has the measurements. A miss
# without an entry is printed as "cause not measured".
CAUSES = {
    ("ns_listeners_0", "stream", "unix"):
        "not the namespace: AF_UNIX's cycle costs 22.7k or 23.9k instructions in a fresh namespace "
        "depending on what ran before it in the boot (socket() and accept() about 0.6k each, the "
        "same call graph); AF_NEXUS's 22.6-22.7k either way (docs/performance.md).",
}

DESCS = {
    "icount": "guest instructions per operation (-icount shift=0,sleep=off, -smp 1, TCG; 1 ns = 1 instruction)",
    "icount2": "guest instructions per operation on 2 vCPUs, summed over both (QEMU 10, -icount shift=0,sleep=off, -smp 2, single-threaded TCG; sample on CPU 0, its peer on CPU 1)",
    "icount2b": "icount2 repeated (a second boot, to check that the figures repeat)",
    "smp2": "wall-clock ns per operation (-smp 2, TCG, no icount; noisy)",
}

NETNS_FAMS = [("nexus", "one AF_NEXUS socket"), ("unix", "one AF_UNIX socket"),
              ("none", "no socket, nexus.ko loaded"),
              ("nomod", "no socket, nexus.ko not loaded")]


def netns_table(res):
    """Namespace scale: per namespace created and destroyed."""
    hdr = ["namespace holds", "create (ns)", "create busy", "destroy busy",
           "destroy (guest ns)", "MemFree drop B", "Slab B", "Percpu B",
           "not returned B", "netns left"]
    rows = []
    for fam, title in NETNS_FAMS:
        r = res.get(("netns", "stream", fam))
        if not r:
            continue
        if "na" in r:
            rows.append([title] + ["n/a"] * (len(hdr) - 1))
            continue
        ph, ex = r["phases"], r["extra"]
        done = ex.get("left", 0) <= 24
        nd = "not done (%.0f left)" % ex.get("left", 0)
        rows.append([title, "%.0f" % ph["create"], "%.0f" % ph["create_busy"],
                     "%.0f" % ph["destroy_busy"] if done else nd,
                     "%.0f" % ex["destroy_wall"] if done else nd,
                     "%.0f" % ex["mem"], "%.0f" % ex["slab"],
                     "%.0f" % ex["percpu"], "%.0f" % ex["leak"] if done else "-",
                     "%.0f" % ex["left"] if "left" in ex else "-"])
    return hdr, rows


def netns_derived(res):
    """The module's own cost per namespace, and nexus against AF_UNIX."""
    def get(fam):
        r = res.get(("netns", "stream", fam))
        return None if not r or "na" in r else r
    out = []
    none, nomod, nx, ux = get("none"), get("nomod"), get("nexus"), get("unix")
    if none and nomod:
        out.append("nexus.ko loaded adds per namespace: %+.0f busy instructions to create, "
                   "%+.0f B MemFree, %+.0f B Slab" % (
                       none["phases"]["create_busy"] - nomod["phases"]["create_busy"],
                       none["extra"]["mem"] - nomod["extra"]["mem"],
                       none["extra"]["slab"] - nomod["extra"]["slab"]))
    if nx and ux and none:
        for name, r in (("AF_NEXUS", nx), ("AF_UNIX", ux)):
            out.append("%s socket's share per namespace: %+.0f busy instructions to create, "
                       "%+.0f B Slab (over no socket)" % (
                           name, r["phases"]["create_busy"] - none["phases"]["create_busy"],
                           r["extra"]["slab"] - none["extra"]["slab"]))
        out.append("namespace with an AF_NEXUS socket / with an AF_UNIX socket: "
                   "create %.3fx (busy instructions), Slab %.3fx" % (
                       nx["phases"]["create_busy"] / ux["phases"]["create_busy"],
                       nx["extra"]["slab"] / ux["extra"]["slab"] if ux["extra"]["slab"] else 0))
    def destroyed(r):
        return r and r["extra"].get("left", 0) <= 24
    if destroyed(none) and destroyed(nomod):
        out.append("nexus.ko loaded adds per namespace: %+.0f busy instructions to destroy" % (
            none["phases"]["destroy_busy"] - nomod["phases"]["destroy_busy"]))
    if destroyed(nx) and destroyed(ux):
        out.append("namespace with an AF_NEXUS socket / with an AF_UNIX socket: "
                   "destroy %.3fx (busy instructions)" % (
                       nx["phases"]["destroy_busy"] / ux["phases"]["destroy_busy"]))
    if any(r and r["extra"].get("left", 0) > 24 for r in (none, nomod, nx, ux)):
        out.append("destruction not measured: the namespaces were not all gone when the "
                   "bounded wait ended (docs/performance.md)")
    return out


def repeat_check(a, b, stat="median"):
    """Largest relative difference between two runs (cells in both), of the
    medians or of the lowest sample of each cell."""
    worst, n, diffs = 0.0, 0, []
    for key, ra in a.items():
        rb = b.get(key)
        if not rb or "median" not in ra or "median" not in rb or key[0] == "netns":
            continue
        va, vb = ((ra["median"], rb["median"]) if stat == "median" else
                  (min(ra["samples"]), min(rb["samples"])))
        m = (va + vb) / 2
        if not m:
            continue
        d = abs(va - vb) / m
        diffs.append((d, key))
        n += 1
        worst = max(worst, d)
    diffs.sort(reverse=True)
    within = sum(1 for d, _ in diffs if d <= 0.01)
    return worst, n, within, diffs[:3]


def parse(path):
    """(info, samples, na, status) of one bench-mode results.log."""
    run = nexus_results.read_run(path)
    if run is None:
        raise FileNotFoundError(path)
    info, samples, na = {}, {}, {}
    for kind, d in run.bench:
        if kind == "info":
            info.update(d)
        elif kind == "slab":
            info["slab"] = d
        elif kind == "sample":
            samples.setdefault((d["w"], d["type"], d["fam"]), []).append(d)
        else:
            na[(d["w"], d["type"], d["fam"])] = d["reason"]
    return info, samples, na, run.status(), run.errors


def summarize(samples, na):
    out = {}
    for key, lst in samples.items():
        vals = [s["value"] for s in lst]
        phases = {}
        for p in lst[0]["phases"]:
            phases[p] = statistics.median(s["phases"][p] for s in lst)
        extra = {}
        for e in lst[0]["extra"]:
            extra[e] = statistics.median(s["extra"][e] for s in lst)
        out[key] = {"median": statistics.median(vals), "unit": lst[0]["unit"],
                    "samples": vals, "phases": phases, "extra": extra}
    for key, reason in na.items():
        if key not in out:
            out[key] = {"na": reason}
    # Extra figures shown as rows of their own: "workload:extra".
    for (w, t, f), v in list(out.items()):
        if w == "mem" and "extra" in v and "slabobj" in v["extra"]:
            lst = samples[(w, t, f)]
            vals = [s["extra"]["slabobj"] for s in lst]
            out[("mem:slabobj", t, f)] = {
                "median": statistics.median(vals), "unit": "B/conn",
                "samples": vals, "phases": {}, "extra": {}}
    return out


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "B/conn":
        return "%.0f" % v
    if v >= 100000:
        return "%.0f" % v
    return "%.0f" % v if v >= 100 else "%.1f" % v


def cell(res, key):
    r = res.get(key)
    if r is None:
        return "-"
    if "na" in r:
        if key[2] == "nexus" and "operation not supported" in r["na"].lower():
            return "n/a (not implemented)"
        return "n/a"
    return fmt(r["median"], r["unit"])


def ratio(res, w, t, other):
    a, b = res.get((w, t, "nexus")), res.get((w, t, other))
    if not a or not b or "na" in a or "na" in b or not b["median"]:
        return None
    return a["median"] / b["median"]


def table(res, label):
    hdr = ["workload", "type", "unit"] + [FAM_TITLE[f] for f in FAMS] + \
          ["/UNIX", "/TCP", "/VSOCK"]
    rows = []
    for w, types, title in ROWS:
        for t in types:
            if not any((w, t, f) in res for f in FAMS):
                continue
            unit = next((res[(w, t, f)]["unit"] for f in FAMS
                         if (w, t, f) in res and "unit" in res[(w, t, f)]), "")
            row = [title, t, unit] + [cell(res, (w, t, f)) for f in FAMS]
            for o in ("unix", "inet", "vsock"):
                r = ratio(res, w, t, o)
                row.append("-" if r is None else "%.2f" % r)
            rows.append(row)
    return hdr, rows


def render_console(hdr, rows, ntext=3):
    widths = [max(len(str(r[i])) for r in [hdr] + rows) for i in range(len(hdr))]
    lines = []
    for r in [hdr] + rows:
        lines.append("  ".join(str(c).ljust(widths[i]) if i < ntext else
                               str(c).rjust(widths[i]) for i, c in enumerate(r)))
        if r is hdr:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_md(hdr, rows, ntext=3):
    lines = ["| " + " | ".join(hdr) + " |",
             "|" + "|".join([" --- "] * ntext + [" ---: "] * (len(hdr) - ntext)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


def misses(res):
    out = []
    for w, types, title in ROWS:
        if w == "fill":
            continue
        for t in types:
            ru, rt, rv = (ratio(res, w, t, o) for o in ("unix", "inet", "vsock"))
            bad = []
            # Targets on the ratios as printed (two decimals): at or
            # below AF_UNIX, below TCP/UDP and VSOCK.
            if ru is not None and round(ru, 2) > 1.0:
                bad.append("%.2fx AF_UNIX" % ru)
            if not w.startswith("mem"):
                if rt is not None and round(rt, 2) >= 1.0:
                    bad.append("%.2fx TCP/UDP" % rt)
                if rv is not None and round(rv, 2) >= 1.0:
                    bad.append("%.2fx VSOCK" % rv)
            if bad:
                causes = [CAUSES.get((w, t, o)) for o in ("unix", "inet", "vsock")]
                causes = [c for c in causes if c]
                out.append("%s (%s): %s; cause: %s" % (
                    title, t, ", ".join(bad),
                    " ".join(causes) if causes else "not measured"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--command", default="make bench")
    a = ap.parse_args()

    doc = {"command": a.command, "runs": {}}
    md = []
    ok = True
    summaries = {}
    for i, spec in enumerate(a.runs):
        label, path = spec.split("=", 1)
        info, samples, na, status, errors = parse(path)
        res = summarize(samples, na)
        hdr, rows = table(res, label)
        summaries[label] = res
        desc = DESCS.get(label, label)
        print()
        print("== %s: %s" % (label, desc))
        print("   kernel %s, %s rounds, medians; ratios are AF_NEXUS / other (lower is better)" %
              (info.get("kernel", "?"), info.get("rounds", "?")))
        if "done" not in status:
            print("   WARNING: the guest did not finish (no '@@ done'); the table is partial")
            ok = False
        for e in errors:
            print("   WARNING: %s: %s" % (path, e))
            ok = False
        if status.get("bench rc", "0") not in ("0", ""):
            print("   WARNING: nexus_bench exited with rc=%s" % status["bench rc"])
            ok = False
        print(render_console(hdr, rows))
        slab = info.get("slab", {})
        if slab:
            print("   slab objects: " + ", ".join(
                "%s %d B (%d in slab)" % (k, v["objsize"], v["slabsize"])
                for k, v in slab.items()))
        m = misses(res)
        if m:
            print("   misses (AF_NEXUS above a target):")
            for x in m:
                print("     - " + x)
        md.append("### %s\n\n%s; kernel `%s`, %s rounds, medians.\n\n%s\n" %
                  (label, desc, info.get("kernel", "?"), info.get("rounds", "?"),
                   render_md(hdr, rows)))
        nhdr, nrows = netns_table(res)
        derived = netns_derived(res)
        if nrows:
            n = next((r["extra"].get("n") for k, r in res.items()
                      if k[0] == "netns" and "extra" in r), "?")
            print("   namespace scale: per namespace, %s namespaces created, then destroyed "
                  "(busy: instructions of every CPU, idle excluded)" % n)
            print(render_console(nhdr, nrows, 1))
            for x in derived:
                print("   " + x)
            md.append("#### %s: namespace scale\n\nper namespace, %s namespaces created "
                      "then destroyed; busy = instructions run on every CPU (idle "
                      "excluded); medians.\n\n%s\n\n%s\n" % (
                          label, n, render_md(nhdr, nrows, 1),
                          "\n".join("- " + x for x in derived)))
        doc["runs"][label] = {
            "description": desc, "info": info, "status": status,
            "results": [dict(w=k[0], type=k[1], fam=k[2], **v)
                        for k, v in sorted(res.items())],
            "misses": m,
        }
    if "icount2" in summaries and "icount2b" in summaries:
        doc["repeat"] = {}
        for stat in ("median", "min"):
            worst, n, within, top = repeat_check(summaries["icount2"], summaries["icount2b"], stat)
            line = ("icount2 repeated (%s of each cell): %d of %d cells within 1%%, largest "
                    "difference between the two boots %.2f%% (%s)" % (
                        stat, within, n, worst * 100,
                        "; ".join("%s %s %s %.2f%%" % (k[0], k[1], k[2], d * 100)
                                  for d, k in top)))
            print()
            print(line)
            md.append(line + "\n")
            doc["repeat"][stat] = {"cells": n, "within_1pct": within, "worst": worst}
        ra, rb = summaries["icount2"], summaries["icount2b"]
        rd = []
        for w, types, title in ROWS:
            for t in types:
                for o in ("unix", "inet", "vsock"):
                    x, y = ratio(ra, w, t, o), ratio(rb, w, t, o)
                    if x is not None and y is not None:
                        rd.append((abs(x - y), w, t, o, x, y))
        if rd:
            rd.sort(reverse=True)
            line = ("icount2 repeated, ratios: %d ratios, largest change %.3f (%s %s /%s: %.3f vs %.3f)"
                    % (len(rd), rd[0][0], rd[0][1], rd[0][2], rd[0][3], rd[0][4], rd[0][5]))
            print(line)
            md.append(line + "\n")
            doc["repeat"]["ratio_worst"] = rd[0][0]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
    if a.md:
        with open(a.md, "w") as f:
            f.write("\n".join(md))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
