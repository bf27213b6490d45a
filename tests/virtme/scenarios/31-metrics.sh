#!/usr/bin/env bash
# ipmpstat --prometheus, parsed by the Prometheus client library's own
# text-format parser (python3-prometheus-client), agrees with ipmpstat -j
# (-g, -i, -a, -t) in the Oracle Solaris documentation's topology with in.mpathd probing: before
# and after net0's path is black-holed (its failure counted once); written
# atomically with --textfile; without in.mpathd only the kernel's view,
# with ipmp_daemon_up 0.
. ../lib.sh
probe_lan_with_mpathd
wait_for 10 "net2 probes answered" mview_is net2 probe ok

# check: parses /tmp/m.prom and compares it with ipmpstat -j of each mode
# (/tmp/g.json /tmp/i.json /tmp/a.json /tmp/t.json); prints what it checked.
check() {
    ipmpstat -j -g > /tmp/g.json
    ipmpstat -j -i > /tmp/i.json
    ipmpstat -n -j -a > /tmp/a.json
    ipmpstat -n -j -t > /tmp/t.json 2>/dev/null || echo '[]' > /tmp/t.json
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
from prometheus_client.parser import text_string_to_metric_families

daemon = sys.argv[1] == "daemon"
fams = {f.name: f for f in text_string_to_metric_families(open("/tmp/m.prom").read())}
def value(name, **labels):
    # (the parser strips _total from counter family names)
    fam = fams.get(name) or fams.get(name.removesuffix("_total"))
    found = [s.value for s in fam.samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, f"{name} {labels}: {found}"
    return found[0]
def fail(msg):
    print(f"FAIL: {msg}"); sys.exit(1)
checked = 0
def eq(got, want, what):
    global checked
    if got != want:
        fail(f"{what}: metrics say {got}, ipmpstat -j {want}")
    checked += 1
eq(value("ipmp_daemon_up"), 1.0 if daemon else 0.0, "daemon up")
for g in json.load(open("/tmp/g.json")):
    grp = g["group"]
    for st in ("ok", "degraded", "failed"):
        eq(value("ipmp_group_state", group=grp, state=st), float(g["state"] == st), f"{grp} state {st}")
    if daemon:
        eq(value("ipmp_group_fdt_seconds", group=grp), float(g["fdt"].rstrip("s")), f"{grp} FDT")
    elif "ipmp_group_fdt_seconds" in fams:
        fail("an FDT without the daemon")
ifaces = json.load(open("/tmp/i.json"))
addrs = json.load(open("/tmp/a.json"))
eq(value("ipmp_group_members", group="itops0"), float(len(ifaces)), "members")
eq(value("ipmp_group_active_members", group="itops0"), float(sum(i["active"] is True for i in ifaces)), "active members")
for i in ifaces:
    n = i["interface"]
    lab = dict(group=i["group"], interface=n)
    eq(value("ipmp_member_active", **lab), float(i["active"] is True), f"{n} active")
    eq(value("ipmp_member_link_up", **lab), float(i["link"] == "up"), f"{n} link")
    eq(value("ipmp_member_standby", **lab), float(i["flags"][1] == "s"), f"{n} standby")
    eq(value("ipmp_member_inactive", **lab), float(i["flags"][0] == "i"), f"{n} inactive")
    for st in ("ok", "failed", "offline"):
        eq(value("ipmp_member_state", state=st, **lab), float(i["state"] == st), f"{n} state {st}")
    if daemon:
        for st in ("ok", "failed", "unknown", "disabled"):
            eq(value("ipmp_member_probe_state", state=st, **lab), float(i["probe"] == st), f"{n} probe {st}")
    eq(value("ipmp_member_bound_addresses", **lab), float(sum(a["inbound"] == n for a in addrs)), f"{n} bound addresses")
for a in addrs:
    eq(value("ipmp_address_up", group=a["group"], address=a["address"], inbound=a["inbound"] or ""), float(a["state"] == "up"), f"{a['address']}")
for t in json.load(open("/tmp/t.json")):
    for target in (t["targets"] or "").split():
        fam = "ipv6" if ":" in target else "ipv4"
        rtt = value("ipmp_probe_target_rtt_seconds", interface=t["interface"], family=fam, target=target)
        if not 0 < rtt < 1:
            fail(f"{t['interface']} {target} RTT {rtt}")
        checked += 1
print(f"metrics agree with ipmpstat -j: {checked} values")
PY
}

ipmpstat --prometheus > /tmp/m.prom
out=$(check daemon) || fail "$out"
ok "$out"
expect_ge "$(awk '/^ipmp_probes_sent_total\{.*interface="net0",family="ipv4"/ {print $2}' /tmp/m.prom)" 5 \
    "net0's IPv4 probes counted"
expect_eq "$(awk '/^ipmp_member_failures_total\{.*interface="net0"/ {print $2}' /tmp/m.prom)" 0 "no failure of net0 yet"

net0_failed_by_probes
ipmpstat --prometheus > /tmp/m.prom
out=$(check daemon) || fail "$out"
ok "$out (net0 failed)"
expect_eq "$(grep -c '^ipmp_member_state{group="itops0",interface="net0",state="failed"} 1$' /tmp/m.prom)" 1 "net0 failed"
expect_eq "$(awk '/^ipmp_member_failures_total\{.*interface="net0"/ {print $2}' /tmp/m.prom)" 1 "net0's failure counted once"
expect_eq "$(grep -c '^ipmp_group_state{group="itops0",state="degraded"} 1$' /tmp/m.prom)" 1 "the group degraded"
blackhole sw-net0 off
wait_for 10 "net0 repaired" lacks_flag net0 F

# --textfile: replaced whole, nothing left beside it.
mkdir -p /tmp/textfile
echo stale > /tmp/textfile/ipmp.prom
ipmpstat --prometheus --textfile /tmp/textfile/ipmp.prom
expect_eq "$(ls -A /tmp/textfile)" ipmp.prom "only the file in the directory"
expect_eq "$(grep -c '^ipmp_member_repairs_total{group="itops0",interface="net0"} 1$' /tmp/textfile/ipmp.prom)" 1 \
    "the textfile holds the repair"
expect_error "ipmpstat: /nonexistent/ipmp.prom: No such file or directory (os error 2)" \
    ipmpstat --prometheus --textfile /nonexistent/ipmp.prom
expect_error "ipmpstat: --prometheus takes no output mode, -o, -P or -j" ipmpstat --prometheus -g

# Without the daemon: the kernel's view.
kill "$MPATHD_PID"
wait "$MPATHD_PID" 2>/dev/null || true
ipmpstat --prometheus > /tmp/m.prom
out=$(check nodaemon) || fail "$out"
ok "$out (no daemon)"
