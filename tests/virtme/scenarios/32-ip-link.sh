#!/usr/bin/env bash
# `ip` drives and shows IPMP: the iproute2 plugin (tools/iproute2, loaded
# through IP_LIB_DIR) over the module's rtnl_link_ops. A group created
# with options, changed, shown in text and JSON (defaults too); a member's
# standby flag set with `type ipmp_slave`; bad settings refused with the
# kernel's message and nothing left behind; `ip monitor link` sees a
# failover (the member's and the group's RTM_NEWLINK) within 100 ms of
# the kernel's own event.
#
#   itops0 ─┬─ net0 ── sw-net0 ─┐
#           ├─ net1 ── sw-net1 ─┼─ sw0 ── peer-sw ── [peer] 192.0.2.2
#           └─ net2 ── sw-net2 ─┘
. ../lib.sh
load_ipmp
IP_LIB_DIR=$(cd ../../../tools/iproute2 && pwd)
export IP_LIB_DIR
[ -f "$IP_LIB_DIR/link_ipmp.so" ] || fail "no iproute2 plugin in $IP_LIB_DIR"

# Defaults, as `ip -d link show` reports them.
ip link add itops9 type ipmp
out=$(ip -d link show itops9)
case $out in
    *"ipmp group_name itops9 policy kernel announce_count 3 announce_interval 500 state failed members 0 active_members 0"*)
        ok "a new group's defaults in ip -d link show" ;;
    *) fail "ip -d link show itops9: $out" ;;
esac
ip link del itops9

three_members_lan
ip link add itops0 type ipmp group_name web announce_count 5 announce_interval 250
for m in net0 net1 net2; do ip link set "$m" master itops0; done
ip link set itops0 up
ip addr add 192.0.2.11/24 dev itops0
ip addr add 192.0.2.12/24 dev itops0
sleep 0.5

expect_eq "$(ipmpadm -j show itops0 | jq -r '.[0] | "\(.groupname) \(.announce_count) \(.announce_interval_ms) \(.policy)"')" \
    "web 5 250 kernel" "ip link add ... type ipmp with options: the kernel's settings (ipmpadm)"
out=$(ip -d link show itops0)
case $out in
    *"ipmp group_name web policy kernel announce_count 5 announce_interval 250 state ok members 3 active_members 3"*)
        ok "ip -d link show itops0: the settings and the group's state" ;;
    *) fail "ip -d link show itops0: $out" ;;
esac
expect_eq "$(ip -j -d link show itops0 | jq -c '.[0].linkinfo | [.info_kind, .info_data]')" \
    '["ipmp",{"group_name":"web","policy":"kernel","announce_count":5,"announce_interval":250,"state":"ok","members":3,"active_members":3}]' \
    "ip -j -d link show itops0"

# Each member's slave data agrees with the kernel's view through ipmpadm.
for m in net0 net1 net2; do
    d=$(ip -j -d link show "$m" | jq -c '.[0].linkinfo')
    expect_eq "$(jq -r .info_slave_kind <<<"$d")" ipmp "$m: slave kind"
    expect_eq "$(jq -r '.info_slave_data | "\(.active) \(.standby) \(.failed) \(.link) \(.bound_addresses)"' <<<"$d")" \
        "$(member_field "$m" active) false false up $(member_field "$m" 'addresses | length')" \
        "$m: ip -j -d link show agrees with ipmpadm (active, standby, failed, link, bound addresses)"
done
out=$(ip -d link show net0)
case $out in
    *"ipmp_slave standby off active on inactive off failed off offline off link up nominee "*" bound_addresses "*)
        ok "ip -d link show net0: the member's state in iproute2's text style" ;;
    *) fail "ip -d link show net0: $out" ;;
esac

# changelink: settings change, and the kernel says so.
ip link set itops0 type ipmp policy daemon announce_count 2
expect_eq "$(ipmpadm -j show itops0 | jq -r '.[0] | "\(.policy) \(.announce_count) \(.announce_interval_ms)"')" \
    "daemon 2 250" "ip link set ... type ipmp: policy and count changed, interval kept"
ip link set itops0 type ipmp policy kernel

# Refusals: the kernel's extack message; nothing changed, nothing left.
expect_fail "group_name is 1 to 31 printable characters" ip link set itops0 type ipmp group_name "a b"
expect_eq "$(ipmpadm -j show itops0 | jq -r '.[0].groupname')" web "the refused name changed nothing"
expect_fail "group_name is 1 to 31 printable characters" ip link add itops8 type ipmp group_name "x y"
link_exists itops8 && fail "a refused ip link add left itops8 behind"
ok "a refused ip link add left no device"
expect_fail 'argument "101" is wrong' ip link set itops0 type ipmp announce_count 101
expect_fail 'unknown option "bogus"' ip link set itops0 type ipmp bogus 1
expect_fail 'standby is "on" or "off"' ip link set net2 type ipmp_slave standby maybe
ip link add lone0 type dummy
expect_fail "Operation not supported" ip link set lone0 type ipmp_slave standby on
ip link del lone0

# The administrator's standby flag through ip.
ip link set net2 type ipmp_slave standby on
expect_eq "$(kflags net2)" "-s--" "ip link set net2 type ipmp_slave standby on: the kernel's flag"
expect_eq "$(active_of net2)" no "the standby is kept inactive (kernel policy)"
expect_eq "$(ip -j -d link show net2 | jq -c '.[0].linkinfo.info_slave_data | [.standby, .active]')" \
    "[true,false]" "ip -j -d link show net2: standby, not active"

# ip monitor link sees a failover, within 100 ms of the kernel's event.
events_start
(ip -d -o monitor link | while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done) \
    > /tmp/monitor 2>&1 &
sleep 1
t0=$EPOCHREALTIME
ipmpadm set-member net0 --failed on
wait_for 10 "ip monitor shows net0 failed" grep -q 'net0.*ipmp_slave.*failed on' /tmp/monitor
wait_for 10 "ip monitor shows the group degraded" grep -q 'itops0.*ipmp group_name web.*state degraded.*active_members 1' /tmp/monitor
kt=$(flag_time net0 failed on "$t0")
[ -n "$kt" ] || fail "no kernel event for net0's failure"
mt=$(awk '/net0.*ipmp_slave.*failed on/ { print $1; exit }' /tmp/monitor)
gt=$(awk '/itops0.*ipmp group_name web.*state degraded/ { print $1; exit }' /tmp/monitor)
# Both messages leave the kernel in the same call as the family's event;
# what is measured is when each listener read its copy. On the debug
# kernel (lockdep, KASAN: about 10x slower under emulation) the listeners
# are slower alike, and the bound is 10x too.
limit=100
[ -e /proc/lockdep ] && limit=1000
for pair in "member:$mt" "group:$gt"; do
    d=$(ms_between "$kt" "${pair#*:}")
    d=${d#-}
    (( d <= limit )) || fail "ip monitor saw the ${pair%%:*} ${d} ms from the kernel's event (more than $limit)"
    ok "ip monitor link: the ${pair%%:*}'s RTM_NEWLINK ${d} ms from the kernel's event"
done
grep 'net0.*ipmp_slave.*failed on' /tmp/monitor | head -1
ipmpadm set-member net0 --failed off
repaired_after_failure() {
    awk '/net0.*ipmp_slave.*failed on/ { f = 1 } f && /net0.*ipmp_slave.*active on.*failed off/ { r = 1 } END { exit !r }' /tmp/monitor
}
wait_for 10 "ip monitor shows net0 repaired after its failure" repaired_after_failure

# in.mpathd reads the kernel again on link notifications and pushes member
# state: a quiet group under it must stay quiet (no feedback loop).
mpathd_start
wait_for 10 "in.mpathd manages itops0" output_is daemon bash -c "ipmpadm -j show itops0 | jq -r '.[0].policy'"
sleep 2
ip -o monitor link > /tmp/monitor-quiet 2>&1 &
quiet=$!
sleep 3
kill "$quiet"
expect_eq "$(wc -l < /tmp/monitor-quiet)" 0 "a quiet group under in.mpathd: no RTM_NEWLINK in 3 s"
