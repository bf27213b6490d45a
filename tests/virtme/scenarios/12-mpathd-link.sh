#!/usr/bin/env bash
# in.mpathd, link-based: a member whose link goes down at the switch is
# failed and its standby takes over at once; when the link returns the
# member (no test address: no probes to wait for) is repaired at once and
# the standby steps back. The daemon takes the group over (policy daemon)
# and logs the original's messages.
. ../lib.sh
load_ipmp

for i in 0 1 2; do veth "net$i" "sw-net$i"; done
switch sw0 sw-net0 sw-net1 sw-net2
# No test addresses and no IPv6 link-locals: nothing to probe from.
for i in 0 1 2; do sysctl -qw "net.ipv6.conf.net$i.disable_ipv6=1"; done
group itops0 net0 net1 net2
ipmpadm set-member net2 --standby on
expect_eq "$(active_set itops0)" "net0 net1" "without a daemon the kernel keeps the standby spare"

events_start
MPATHD_CONF=/tmp/mpathd.conf
echo "FAILURE_DETECTION_TIME=5000" > "$MPATHD_CONF"
mpathd_start -f "$MPATHD_CONF"
policy_is_daemon() { [ "$(ipmpadm -j show itops0 | jq -r '.[0].policy')" = daemon ]; }
wait_for 5 "the daemon takes the group over" policy_is_daemon
wait_for 5 "net2 is marked inactive" has_flag net2 i
expect_eq "$(kflags net0) $(kflags net1) $(kflags net2)" "---- ---- is--" "kernel flags (Figure 1)"
expect_eq "$(mview net0 probe)" disabled "no test address: probing disabled"
expect_eq "$(gview fdt_ms)" null "nothing probes: no FDT"

# at_once WHAT T0 T1: the daemon reacted between two kernel events within
# a tenth of the FDT (5 s): no probe or timer stood in between.
at_once() {
    local ms
    [ -n "$2" ] && [ -n "$3" ] || fail "$1: an event is missing"
    ms=$(ms_between "$2" "$3")
    echo "$1: $ms ms"
    [ "$ms" -le 500 ] || fail "$1 took $ms ms, more than 500 ms (FDT / 10)"
    ok "$1 at once"
}
t0=$EPOCHREALTIME
sw link set sw-net0 down
wait_for 5 "net0 failed" has_flag net0 F
wait_for 5 "the standby net2 took over" lacks_flag net2 i
down=$(carrier_time net0 down "$t0")
at_once "standby activated after net0's carrier loss" "$down" "$(flag_time net2 inactive off "$t0")"
expect_eq "$(active_set itops0)" "net1 net2" "active set after the failure"
expect_eq "$(mview net0 link) $(mview net0 state)" "down failed" "daemon's view of net0"
expect_eq "$(gview state)" degraded "group state"
grep -q "The link has gone down on net0" "$MPATHD_LOG" || fail "no link-down message"
grep -q "IP interface failure detected on net0 of group itops0" "$MPATHD_LOG" || fail "no failure message"
ok "the original's messages are logged"

t0=$EPOCHREALTIME
sw link set sw-net0 up
wait_for 5 "net0 repaired" lacks_flag net0 F
at_once "net0 repaired after its carrier returned (no test address: no probes)" \
    "$(carrier_time net0 up "$t0")" "$(flag_time net0 failed off "$t0")"
wait_for 5 "net2 back to standby" has_flag net2 i
expect_eq "$(active_set itops0)" "net0 net1" "active set after the repair"
expect_eq "$(gview state)" ok "group state"
grep -q "IP interface repair detected on net0 of group itops0" "$MPATHD_LOG" || fail "no repair message"

# Bad requests on the control socket get clear answers.
expect_eq "$(mpathd_req '{"op":"reboot"}' | jq -r .result)" error "unknown request refused"
expect_eq "$(mpathd_req '{"op":"offline","interface":"net7"}' | jq -r .message)" \
    "net7 is not in an IPMP group" "offline of a non-member"
expect_eq "$(setpriv --reuid=65534 --regid=65534 --clear-groups bash -c \
    "echo '{\"op\":\"offline\",\"interface\":\"net1\"}' | socat -t 5 - UNIX-CONNECT:$MPATHD_SOCK" | jq -r .message)" \
    "permission denied: only root may change IPMP state" "an unprivileged offline request"
expect_eq "$(setpriv --reuid=65534 --regid=65534 --clear-groups bash -c \
    "echo '{\"op\":\"snapshot\"}' | socat -t 5 - UNIX-CONNECT:$MPATHD_SOCK" | jq -r .result)" \
    ok "an unprivileged user may read the state"

# A malformed file on SIGHUP: each bad line reported with its number, the
# whole file refused, the running settings kept.
printf '%s\n' "# a live edit gone wrong" "FAILURE_DETECTION_TIME=1O000" "FAILBACK=maybe" > /tmp/bad.conf
cp /tmp/bad.conf "$MPATHD_CONF"
kill -HUP "$MPATHD_PID"
wait_for 5 "the malformed file refused on SIGHUP" \
    grep -q "is malformed (see the lines above); keeping the previous settings" "$MPATHD_LOG"
grep -q "line 2: Invalid failure detection time 1O000" "$MPATHD_LOG" || fail "line 2 not reported"
grep -q "line 3: Invalid value for FAILBACK maybe" "$MPATHD_LOG" || fail "line 3 not reported"
expect_eq "$(gview configured_fdt_ms)" 5000 "FDT kept after the malformed reload (the file's 5000 ms)"
kill -0 "$MPATHD_PID" || fail "the daemon is gone after a malformed reload"

# SIGTERM: the daemon exits and leaves the kernel as it is.
kill -TERM "$MPATHD_PID"
wait "$MPATHD_PID" || fail "in.mpathd exited with an error on SIGTERM"
expect_eq "$(kflags net2)" "is--" "kernel flags kept after SIGTERM"
[ ! -e "$MPATHD_SOCK" ] || fail "socket left behind"
ok "socket removed on exit"
