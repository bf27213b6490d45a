#!/usr/bin/env python3
"""Writes BENCHMARKS.md's rate section from a `scripts/bench rate` log.

usage: bench-rate-report.py RUN.log COMMIT
"""
import json, statistics, sys
log, commit = sys.argv[1], sys.argv[2]
rows = [json.loads(l.split("@@bench ", 1)[1]) for l in open(log) if "@@bench " in l]
def med(test, system):
    v = [r["value"] for r in rows if r["test"] == test and r["system"] == system]
    return (statistics.median(v), min(v), max(v), len(v)) if v else None
names = [("veth", "raw veth (one member)"), ("bond-xor", "bonding balance-xor layer3+4 (3)"),
         ("bond-tlb", "bonding balance-tlb (3)"), ("team-lb", "team loadbalance (3)"),
         ("ipmp1", "ipmp, 1 active"),
         ("ipmp2", "ipmp, 2 active"), ("ipmp3", "ipmp, 3 active")]
lines = ["| system | transmit (kpps) | vs raw veth | vs balance-xor | vs balance-tlb | receive (kpps) | vs raw veth | vs balance-xor | vs balance-tlb |",
         "|---|---|---|---|---|---|---|---|---|"]
for sys_, label in names:
    cells = [label]
    for test in ("udp-64B-rate-tx", "udp-64B-rate-rx"):
        m = med(test, sys_)
        if m is None:
            cells += ["—"] * 4
            continue
        cells.append(f"{m[0]:.1f} ({m[1]:.1f}–{m[2]:.1f})")
        for ref in ("veth", "bond-xor", "bond-tlb"):
            r = med(test, ref)
            cells.append(f"{m[0] / r[0]:.2f}" if r else "—")
    lines.append("| " + " | ".join(cells) + " |")
n = max((m[3] for m in (med(t, s) for t in ("udp-64B-rate-tx",) for s, _ in names) if m), default=0)
text = "\n".join(lines) + f"\n\nMedians (range) of {n} rounds over all systems in turn, one VM run (`scripts/bench rate`, commit {commit}).\n"
md = open("BENCHMARKS.md").read()
b, e = "<!-- rate begin -->", "<!-- rate end -->"
md = md[: md.index(b) + len(b)] + "\n" + text + md[md.index(e):]
open("BENCHMARKS.md", "w").write(md)
