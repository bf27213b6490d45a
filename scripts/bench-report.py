#!/usr/bin/env python3
"""Turns scripts/bench's measurements into BENCHMARKS.md and a plot.

usage: bench-report.py RESULTS.jsonl RUN.log BENCHMARKS.md PLOT.png
"""
import json
import statistics
import subprocess
import sys
from collections import defaultdict

results_path, log_path, md_path, png_path = sys.argv[1:5]
run_note = sys.argv[5] if len(sys.argv) > 5 else ""
rows = [json.loads(l) for l in open(results_path) if l.strip()]
by = defaultdict(list)
units = {}
for r in rows:
    by[(r["test"], r["system"])].append(float(r["value"]))
    units[r["test"]] = r["unit"]


def med(test, system):
    v = by.get((test, system))
    return statistics.median(v) if v else None


def spread(test, system):
    v = by.get((test, system))
    return (min(v), max(v)) if v else None


def fmt(x):
    return "—" if x is None else (f"{x:.0f}" if x >= 100 else f"{x:.2f}" if x < 10 else f"{x:.1f}")


kernel = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout.strip()
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
lines = []
w = lines.append
w("# Benchmarks")
w("")
w("Measured by `scripts/bench` in one boot of the project's kernel (6.12,")
w("release configuration) under **software emulation** (QEMU TCG, 2 vCPUs:")
w("KVM does not boot guests on these machines), on the same three veth members,")
w("the same bridge-as-switch and the same peer namespace for every system.")
w("Absolute numbers are far below real hardware and every system shares the")
w("same two emulated CPUs; compare the **ratios within the run**. Each figure is")
w("the median of the repetitions, with min–max.")
w("")
w(f"Reproduce: `scripts/bench` (commit {commit}; writes this file and")
w("`docs/bench-gaps.png`; raw results in `build/bench/`).")
w("")
if run_note:
    w(run_note)
    w("")
w("## Throughput and packet rate")
w("")
systems = ["veth", "bond-tlb", "bond-ab-miimon", "team-lb", "ipmp2", "ipmp3"]
names = {
    "veth": "raw veth (one member)",
    "bond-tlb": "bonding balance-tlb (3)",
    "bond-ab-miimon": "bonding active-backup, miimon 100",
    "team-lb": "team loadbalance (3)",
    "ipmp2": "ipmp, 2 active",
    "ipmp3": "ipmp, 3 active",
    "ipmp-link": "ipmp (kernel, carrier)",
    "bond-ab-arp": "bonding active-backup, ARP monitor 100 ms",
    "team-ab-ethtool": "teamd activebackup, ethtool watch",
    "team-ab-arp": "teamd activebackup, arp_ping 100 ms × 3",
    "ipmp-probe-1000": "ipmp + in.mpathd, FDT 1 s",
    "ipmp-probe-10000": "ipmp + in.mpathd, FDT 10 s",
}
w("| system | TCP 1 flow (Mbit/s) | TCP 8 flows (Mbit/s) | 64-byte UDP (kpps) | 8 flows vs balance-tlb | 64 B vs raw veth |")
w("|---|---|---|---|---|---|")
for s in systems:
    t1, t8, p = med("tcp-1-flow", s), med("tcp-8-flows", s), med("udp-64B-rate", s)
    tlb = med("tcp-8-flows", "bond-tlb")
    raw = med("udp-64B-rate", "veth")
    cell = lambda t, x: "—" if x is None else f"{fmt(x)} ({fmt(spread(t, s)[0])}–{fmt(spread(t, s)[1])})"
    r8 = f"{t8 / tlb:.2f}" if t8 and tlb else "—"
    rp = f"{p / raw:.2f}" if p and raw else "—"
    w(f"| {names[s]} | {cell('tcp-1-flow', t1)} | {cell('tcp-8-flows', t8)} | {cell('udp-64B-rate', p)} | {r8} | {rp} |")
w("")
w("## Traffic gap on failure")
w("")
w("A UDP stream of one sequence-numbered packet per millisecond to the peer;")
w("the switch port of the member carrying it fails; the gap is the longest")
w("silence the peer saw (ms). *Repair* is the longest silence after the port")
w("comes back (failback, if the system fails back).")
w("")
w("| failure | system | gap on failure (ms) | gap on repair (ms) |")
w("|---|---|---|---|")
gap_rows = [
    ("nothing (noise floor)", "none", ["veth", "ipmp-link"]),
    ("link down", "link", ["ipmp-link", "bond-ab-miimon", "bond-ab-arp", "team-ab-ethtool"]),
    ("black-holed, link up", "blackhole", ["ipmp-probe-1000", "ipmp-probe-10000", "bond-ab-arp", "team-ab-arp"]),
]
for label, kind, syss in gap_rows:
    for s in syss:
        f, b = med(f"gap-{kind}-failure", s), med(f"gap-{kind}-repair", s)
        if f is None:
            continue
        sf, sb = spread(f"gap-{kind}-failure", s), spread(f"gap-{kind}-repair", s)
        w(f"| {label} | {names[s]} | {fmt(f)} ({fmt(sf[0])}–{fmt(sf[1])}) | {fmt(b)} ({fmt(sb[0])}–{fmt(sb[1])}) |")
w("")
w("![failover gaps](docs/bench-gaps.png)")
w("")
w("## in.mpathd")
w("")
cpu, rss = med("mpathd-cpu-8-members", "in.mpathd"), med("mpathd-rss-8-members", "in.mpathd")
w(f"8 members, FDT 10 s, IPv4 probing: CPU {fmt(cpu) if cpu is not None else '—'} % of one (emulated) CPU over 60 s, resident memory {fmt(rss) if rss is not None else '—'} MiB.")
w("")
# What the numbers mean, written by hand after reading a run.
try:
    notes = open("docs/bench-notes.md").read()
except OSError:
    notes = ""
# Sections other scripts write (scripts/bench churn, scripts/bench-mpathd)
# follow KEEP in the old file: carried over as they are.
KEEP = "<!-- sections below are written by other scripts and kept by scripts/bench -->"
try:
    old = open(md_path).read()
    kept = old[old.index(KEEP):] if KEEP in old else ""
except OSError:
    kept = ""
open(md_path, "w").write("\n".join(lines) + "\n" + notes + ("\n" + kept if kept else ""))

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, axes = plt.subplots(3, 1, figsize=(9, 8))
for ax, (label, kind, syss) in zip(axes, gap_rows):
    data = [(names[s], by.get((f"gap-{kind}-failure", s), [])) for s in syss]
    data = [(n, v) for n, v in data if v]
    ax.boxplot([v for _, v in data], orientation="horizontal")
    ax.set_yticks(range(1, len(data) + 1), [n for n, _ in data], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(1, 20000)
    ax.set_xlabel("traffic gap (ms, log scale)")
    ax.set_title(f"failure: {label}")
fig.suptitle("Failover gaps, 1 kpps UDP stream (software emulation)")
fig.tight_layout()
fig.savefig(png_path, dpi=110)
