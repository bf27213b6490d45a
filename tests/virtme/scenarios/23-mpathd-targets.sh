#!/usr/bin/env bash
# in.mpathd's probe targets on a real, messy host, event-driven:
#   - strict reverse-path filtering everywhere (rp_filter=1): probe replies
#     to test addresses are dropped until the daemon loosens the members'
#     setting (shown first with ping); then probing works and a black-hole
#     is detected within FDT + 10 %;
#   - no router and no host answering 224.0.0.1 (Linux ignores it): logged
#     once per member with what to do, shown as "--" by ipmpstat -t;
#   - a router route added later, in a policy-routing table: probing starts
#     on it at once (rtnetlink, not a periodic rescan; the reaction printed);
#   - IPv6: a link-local next hop of another interface is never a target,
#     the router on the group's link is.
# timeout: 300
. ../lib.sh
load_ipmp
# Hardened host: strict reverse-path filtering on every interface.
sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
probe_lan
ip route del default
expect_eq "$(sysctl -n net.ipv4.conf.net0.rp_filter)" 1 "net0 filters strictly"
# Control: with strict filtering, a reply to a test address is dropped.
if ping -c 2 -W 1 -I net0 192.168.10.1 >/dev/null 2>&1; then
    fail "ping from net0's test address answered although rp_filter=1"
fi
ok "rp_filter=1 drops the replies to net0's test address"

echo "FAILURE_DETECTION_TIME=1000" > /tmp/mpathd.conf
events_start
: > /tmp/probes
# The probe stream, each result stamped with its arrival time.
(mpathd_wait=0; while [ ! -S "$MPATHD_SOCK" ] && ((mpathd_wait++ < 100)); do sleep 0.1; done
 echo '{"op":"probes"}' | socat -t 600 - "UNIX-CONNECT:$MPATHD_SOCK" |
    while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done >> /tmp/probes) &
mpathd_start -f /tmp/mpathd.conf
wait_for 10 "the daemon loosened net0's rp_filter" grep -q \
    "net0: net.ipv4.conf.all.rp_filter=1 (strict) would drop probe replies to its test address; net.ipv4.conf.net0.rp_filter set to 2" \
    "$MPATHD_LOG"
for i in 0 1 2; do expect_eq "$(sysctl -n "net.ipv4.conf.net$i.rp_filter")" 2 "net$i loose"; done
expect_eq "$(sysctl -n net.ipv4.conf.itops0.rp_filter)" 1 "itops0 (data traffic) still strict"
ping -c 1 -W 2 -I net0 192.168.10.1 >/dev/null || fail "ping from net0's test address still unanswered"
ok "replies to test addresses arrive"

# --- nothing to probe --------------------------------------------------------------
# No route through a router; the router's host ignores 224.0.0.1 (Linux's
# default) and ff02::1 is answered by link-locals only (IPv6 off here for
# the members' sake: sysctl below).
for i in 0 1 2; do
    wait_for 10 "net$i: no IPv4 target logged" grep -q "No ipv4 probe target for net$i: no router on its subnet and no host answered 224.0.0.1" "$MPATHD_LOG"
done
sleep 3
expect_eq "$(grep -c 'No ipv4 probe target for net0' "$MPATHD_LOG")" 1 "said once for net0"
grep -q "Set PROBE_TARGETS in /etc/default/mpathd, a probe-target line in /etc/ipmp/itops0.conf" "$MPATHD_LOG" ||
    fail "the notice does not say what to do"
expect_eq "$(ipmpstat -n -o interface,mode,testaddr,targets -t | awk '$3 == "192.168.10.10" {print $1, $2, $3, $4}')" \
    "net0 multicast 192.168.10.10 --" "ipmpstat -t shows net0 without targets"
expect_eq "$(ipmpstat -n -j -o interface,testaddr,targets -t | jq -c '.[] | select(.testaddr == "192.168.10.10")')" \
    '{"interface":"net0","testaddr":"192.168.10.10","targets":null}' "ipmpstat -t -j likewise"

# --- a router appears: probing starts on it at once ----------------------------------
# In a policy-routing table, as `ip rule` would select it for the data
# address: the daemon reads every table.
ip rule add from 192.168.10.5 table 100
t0=$EPOCHREALTIME
ip route add default via 192.168.10.1 dev itops0 table 100
wait_for 5 "net0 probes 192.168.10.1" mview_is net0 'instances[0].targets[0].address' 192.168.10.1
first=$(awk -v t0="$t0" '$1 > t0 && /"interface":"net0"/ && /"target":"192.168.10.1"/ {print $1; exit}' /tmp/probes)
[ -n "$first" ] || fail "no probe result from net0 to 192.168.10.1 in the stream"
echo "a new router: first probe result after $(ms_between "$t0" "$first") ms (FDT 1000 ms: a probe every 143 ms)"
expect_eq "$(mview net0 'instances[0].mode')" routes "targets from the routing tables"
wait_for 10 "net0 probes answered" mview_is net0 probe ok
wait_for 10 "net1 probes answered" mview_is net1 probe ok

# Black-holed with strict filtering on the host: still detected in time.
sleep 1
detected_within_fdt sw-net0 net0 1000 "on a host with rp_filter=1"
blackhole sw-net0 off
wait_for 5 "net0 repaired" lacks_flag net0 F

# --- IPv6: only routers on the group's link ------------------------------------------
# Another LAN on eth9, with a router fe80::99 on it; and the router of the
# group's LAN, by its link-local address.
host other 10.9.9.2/24
ip link set other-sw name eth9
ip -n other addr add fe80::99/64 dev eth0
router_ll=$(ip -n router -j -6 addr show dev eth0 scope link | jq -r '.[0].addr_info[0].local')
[ -n "$router_ll" ] && [ "$router_ll" != null ] || fail "the router has no link-local address"
ip -6 route add 2001:db8:99::/64 via fe80::99 dev eth9
ip -6 route add default via "$router_ll" dev itops0
wait_for 10 "net0 probes $router_ll over IPv6" mview_is net0 'instances[1].targets[0].address' "$router_ll"
for i in 0 1 2; do
    targets=$(mview "net$i" 'instances[1].targets | map(.address) | join(" ")')
    expect_eq "$targets" "$router_ll" "net$i's IPv6 targets: the group's router only, not fe80::99 of eth9"
done
ip -6 route del 2001:db8:99::/64 via fe80::99 dev eth9
ip link del eth9
ip rule del from 192.168.10.5 table 100
