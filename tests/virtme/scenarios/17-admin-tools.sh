#!/usr/bin/env bash
# ipmpadm, if_mpadm and ipmpstat as users meet them: groups created and
# filled with ipmpadm, refusals with their messages and no change left
# behind, offline/online without a daemon (same rules, against the
# kernel), ipmpstat's errors and exit codes, -o/-P/-j, and -p streaming.
. ../lib.sh
load_ipmp
sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
for i in 0 1 2 3; do veth "net$i" "sw-net$i"; done
host router 192.168.10.1/24
switch sw0 sw-net0 sw-net1 sw-net2 sw-net3 router-sw

# --- ipmpadm: groups and members ---------------------------------------------
ipmpadm create-ipmp itops0 --group-name web
expect_eq "$(ipmpadm -j show itops0 | jq -r '.[0].groupname')" web "group name set at creation"
expect_eq "$(link_json itops0 | jq -r '.flags | index("UP") != null')" true "itops0 is up"
expect_fail_code 1 "File exists" ipmpadm create-ipmp itops0
ipmpadm add itops0 net1 net0
ipmpadm add itops0 net2 --standby
expect_eq "$(members_of itops0)" "net0 net1 net2" "members added"
expect_eq "$(kflags net2)" "-s--" "net2 added as a standby"
ipmpadm create-ipmp itops1
expect_fail_code 1 "net0 is a member of the IPMP group itops0; use --force to move it" ipmpadm add itops1 net3 net0
expect_eq "$(members_of itops1)" "" "a refused add changes nothing (net3 not added either)"
expect_fail_code 1 "net1 is already in itops0" ipmpadm add itops0 net1
expect_fail_code 1 "net3 is not an IPMP interface" ipmpadm add net3 net2
expect_fail_code 1 "net3 is not in itops0" ipmpadm remove itops0 net3
ipmpadm add itops1 net3
expect_fail_code 1 "itops1 still has 1 member(s); remove them first or use --force" ipmpadm delete-ipmp itops1
ipmpadm remove itops1 net3
expect_eq "$(members_of itops1) $(master_of net3)" " none" "a successful remove: net3 out of itops1"
ipmpadm add itops1 net3
ipmpadm add itops1 --force net2
expect_eq "$(members_of itops1)" "net2 net3" "--force moves a member between groups"
ipmpadm delete-ipmp --force itops1
link_exists itops1 && fail "itops1 still exists"
ipmpadm add itops0 net2 --standby
expect_eq "$(master_of net3)" none "members of a deleted group are released"
ipmpadm standby net2 on
ipmpadm standby net1 on
ipmpadm standby net1 off
expect_eq "$(kflags net1)" "----" "standby on then off"

# --- offline/online with no daemon: the same refusals, against the kernel ------
ip addr add 192.168.10.5/24 dev itops0
for i in 0 1 2; do ip addr add "192.168.10.1$i/24" dev "net$i" noprefixroute; done
if_mpadm -d net1
expect_eq "$(kflags net1)" "---O" "if_mpadm -d offlines net1 (no daemon)"
expect_fail_code 1 "net1 is already offline" if_mpadm -d net1
sw link set sw-net2 down
expect_fail_code 1 "cannot offline net0: no other functioning interfaces are in its IPMP group" if_mpadm -d net0
expect_fail_code 1 "net0 is not offline" ipmpadm online net0
sw link set sw-net2 up
if_mpadm -r net1
expect_eq "$(kflags net1)" "----" "if_mpadm -r brings it back"
expect_fail_code 1 "eth9: no such interface" if_mpadm -d eth9
expect_fail_code 1 "net3 is not in an IPMP group" if_mpadm -d net3

# --- ipmpstat without a daemon ---------------------------------------------------
expect_fail_code 1 "ipmpstat: cannot contact in.mpathd -- is IPMP in use?" ipmpstat -t
expect_fail_code 1 "ipmpstat: cannot contact in.mpathd -- is IPMP in use?" ipmpstat -p
out=$(ipmpstat -g 2>/tmp/err)
grep -q "warning: cannot contact in.mpathd -- is IPMP in use?; showing the kernel's view" /tmp/err \
    || fail "no warning without the daemon: $(cat /tmp/err)"
expect_eq "$(tail -1 <<<"$out" | tr -s ' ')" "itops0 web ok ? net1 net0 (net2)" \
    "ipmpstat -g from the kernel alone (FDT unknown)"
expect_eq "$(ipmpstat -P -o interface,probe -i 2>/dev/null | head -1)" "net0:?" \
    "PROBE unknown without the daemon"

# --- ipmpstat usage errors ---------------------------------------------------------
for args in "-g -i" "-g -g"; do
    # shellcheck disable=SC2086
    expect_fail_code 1 "ipmpstat: only one output format may be specified" ipmpstat $args
done
expect_fail_code 1 "ipmpstat: output fields must be specified in parsable mode" ipmpstat -P -g
expect_fail_code 1 "ipmpstat: output field \`all' invalid in parsable mode" ipmpstat -P -o all -g
expect_fail_code 1 "ipmpstat: no valid output fields" ipmpstat -o foo,bar -g
expect_fail_code 1 "ipmpstat: unknown output field: \`foo'" ipmpstat -P -o group,foo -g
expect_fail_code 1 "ipmpstat: illegal option -- x" ipmpstat -x
expect_fail_code 1 "usage: ipmpstat [-n] [-o <field> [-P]] [-j] -a|-g|-i|-p|-t" ipmpstat
set +e
ipmpstat -g -i >/dev/null 2>&1; code=$?
set -e
expect_eq "$code" 1 "exit status of a usage error"
ipmpstat -o group,foo -g 2>/tmp/err >/dev/null
grep -q "ipmpstat: warning: ignoring unknown output field: \`foo'" /tmp/err || fail "no warning for foo"
ok "unknown field in human mode: warning, output continues"

# --- with the daemon --------------------------------------------------------------
ip route add default via 192.168.10.1 dev itops0
echo "FAILURE_DETECTION_TIME=1000" > /tmp/mpathd.conf
mpathd_start -f /tmp/mpathd.conf
wait_for 10 "net0 probes answered" mview_is net0 probe ok
expect_eq "$(ipmpstat -P -o group,groupname,fdt -g)" "itops0:web:1.00s" "ipmpstat -P -g"
expect_eq "$(ipmpstat -n -P -o interface,mode,testaddr,targets -t | grep '^net0:routes')" \
    "net0:routes:192.168.10.10:192.168.10.1" "ipmpstat -t: the router is net0's target"
expect_eq "$(ipmpstat -n -P -o interface,testaddr -t | grep -c 'fe80\\:\\:')" 3 \
    "IPv6 test addresses escaped in parseable output"
# -n: numeric; without it, names (here from a hosts file bound over
# /etc/hosts in a private mount namespace).
printf '192.168.10.1 gw\n192.168.10.10 net0-test\n' > /tmp/hosts
: > /tmp/resolv.conf  # no DNS: lookups of other addresses fail at once
in_hosts_ns() {  # in_hosts_ns CMD...: CMD with /tmp/hosts and no DNS
    timeout 60 unshare -m sh -c 'mount --bind /tmp/hosts /etc/hosts &&
        mount --bind /tmp/resolv.conf /etc/resolv.conf && exec "$@"' sh "$@" 2>&1 || true
}
named=$(in_hosts_ns ipmpstat -P -o testaddr,targets -t)
expect_eq "$(grep -m1 '^net0-test' <<<"$named" || echo "(none in: $named)")" "net0-test:gw" \
    "ipmpstat -t without -n shows host names"
numeric=$(in_hosts_ns ipmpstat -n -P -o testaddr,targets -t)
expect_eq "$(grep -m1 '^192.168.10.10' <<<"$numeric" || echo "(none in: $numeric)")" \
    "192.168.10.10:192.168.10.1" "ipmpstat -n -t shows addresses"
ipmpstat -j -i | jq -e 'length == 3 and (.[0] | keys == ["active","flags","group","interface","link","probe","state"])' >/dev/null \
    || fail "ipmpstat -j -i schema: $(ipmpstat -j -i)"
ok "ipmpstat -j -i: one object per member with the field names as keys"
expect_eq "$(ipmpstat -j -o interface,active -i | jq -c '.[0]')" '{"interface":"net0","active":true}' \
    "ipmpstat -j with -o"
timeout 3 ipmpstat -n -p > /tmp/probes.txt || true
expect_eq "$(head -1 /tmp/probes.txt | tr -s ' ')" "TIME INTERFACE PROBE NETRTT RTT RTTAVG TARGET" "ipmpstat -p header"
expect_ge "$(grep -cE '^[0-9.-]+s +net[0-2] +[0-9]+ +[0-9.]+ms +[0-9.]+ms' /tmp/probes.txt)" 10 \
    "acknowledged probes streamed in 3 s"
timeout 2 ipmpstat -j -p > /tmp/probes.json || true
jq -e 'select(.interface == "net1") | .target' /tmp/probes.json >/dev/null || fail "ipmpstat -j -p"
ok "ipmpstat -j -p streams one object per line"
if_mpadm -d net0
expect_eq "$(ipmpstat -P -o interface,flags,state -i | grep '^net0')" "net0:-----d-:offline" "offline through the daemon"
expect_fail_code 1 "if_mpadm: net0 is already offline" if_mpadm -d net0
if_mpadm -r net0
wait_for 5 "net0 back" output_is "----" kflags net0

# Nothing probes (no test addresses, no IPv6): ipmpstat -p says so.
kill "$MPATHD_PID"; wait "$MPATHD_PID" || true
for i in 0 1 2; do
    ip addr flush dev "net$i"
    sysctl -qw "net.ipv6.conf.net$i.disable_ipv6=1"
done
mpathd_start -f /tmp/mpathd.conf
sleep 2
expect_fail_code 1 "ipmpstat: probe-based failure detection is disabled" ipmpstat -p
expect_eq "$(ipmpstat -P -o fdt,interfaces -g)" ":net1 net0 (net2)" "FDT empty when nothing probes"
