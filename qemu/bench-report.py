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
    ("pingpong_1", ["stream", "seqpacket", "dgram"], "ping-pong 1 B"),
    ("pingpong_4k", ["stream", "seqpacket", "dgram"], "ping-pong 4 KiB"),
    ("stream_tput", ["stream"], "throughput, 64 KiB writes"),
    ("msg_tput", ["dgram", "seqpacket"], "throughput, 64 B messages"),
    ("storm", ["stream"], "storm: 1000 clients, backlog 128"),
    ("bind_connect_0", ["stream"], "bind+connect, 0 other bound"),
    ("bind_connect_full", ["stream"], "bind+connect, 100k other bound"),
    ("fill", ["stream"], "socket+bind while filling to 100k"),
    ("mem", ["stream"], "kernel memory per connection (Slab)"),
    ("mem:slabobj", ["stream"], "kernel memory per connection (objects)"),
]


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


def render_console(hdr, rows):
    widths = [max(len(str(r[i])) for r in [hdr] + rows) for i in range(len(hdr))]
    lines = []
    for r in [hdr] + rows:
        lines.append("  ".join(str(c).ljust(widths[i]) if i < 3 else
                               str(c).rjust(widths[i]) for i, c in enumerate(r)))
        if r is hdr:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_md(hdr, rows):
    lines = ["| " + " | ".join(hdr) + " |",
             "|" + "|".join([" --- "] * 3 + [" ---: "] * (len(hdr) - 3)) + "|"]
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
                out.append("%s (%s): %s" % (title, t, ", ".join(bad)))
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
    for i, spec in enumerate(a.runs):
        label, path = spec.split("=", 1)
        info, samples, na, status, errors = parse(path)
        res = summarize(samples, na)
        hdr, rows = table(res, label)
        desc = {"icount": "guest instructions per operation (-icount shift=0,sleep=off, -smp 1, TCG; 1 ns = 1 instruction)",
                "smp2": "wall-clock ns per operation (-smp 2, TCG, no icount; noisy)"}.get(label, label)
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
        doc["runs"][label] = {
            "description": desc, "info": info, "status": status,
            "results": [dict(w=k[0], type=k[1], fam=k[2], **v)
                        for k, v in sorted(res.items())],
            "misses": m,
        }
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1)
    if a.md:
        with open(a.md, "w") as f:
            f.write("\n".join(md))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
