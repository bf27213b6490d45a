#!/usr/bin/env python3
"""Writes BENCHMARKS.md's flows section from a `scripts/bench flows` log.

usage: bench-flows-report.py RUN.log COMMIT
"""
import json
import sys

log, commit = sys.argv[1], sys.argv[2]
rows = [json.loads(l.split("@@bench ", 1)[1]) for l in open(log) if "@@bench " in l]
v = {(r["test"], r["system"]): r["value"] for r in rows}
lines = [
    "| flows | system | flows seen on two members | largest member share off even | flows of staying members moved when m1 fails | flows moved when m1 returns |",
    "|---|---|---|---|---|---|",
]
for n in (64, 20000):
    for system, label in (("bond-xor", "bonding balance-xor layer3+4"), ("ipmp3", "ipmp")):
        get = lambda t: v.get((f"{t}-{n}", system))
        cells = [f"{n:,}".replace(",", " "), label]
        two = get("flows-on-two-members")
        cells.append("—" if two is None else f"{two:.0f}")
        for t in ("flows-spread-max-off-even", "flows-moved-of-staying-on-failure", "flows-moved-on-return"):
            x = get(t)
            cells.append("—" if x is None else f"{x:.1f} %")
        lines.append("| " + " | ".join(cells) + " |")
text = "\n".join(lines) + f"\n\nMeasured by `scripts/bench flows` (commit {commit}).\n"
md = open("BENCHMARKS.md").read()
b, e = "<!-- flows begin -->", "<!-- flows end -->"
md = md[: md.index(b) + len(b)] + "\n" + text + md[md.index(e):]
open("BENCHMARKS.md", "w").write(md)
