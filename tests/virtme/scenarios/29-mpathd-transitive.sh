#!/usr/bin/env bash
# Transitive probing (TRANSITIVE_PROBING=yes): a group with no test
# addresses, IPv4 only (IPv6 disabled on the members, so no link-local
# test address either). net0 probes the router from the data address bound
# to it; net1 and net2 send link-layer probes to net0 (seen on the wire).
# Under 16 TCP connections: the active net1 black-holed at the switch is
# failed within FDT + 10 % and its data address moves; the standby net2
# black-holed is failed within FDT + 10 % while carrying nothing; the
# prober net0 black-holed is failed alone and probing moves to net1; each
# is repaired within 2 x FDT + 10 %. `ipmpstat -t`, `-i` and `-j` rows at
# each step; no connection breaks.
#
#   itops0 ─┬─ net0 ── sw-net0 ─┐
#           ├─ net1 ── sw-net1 ─┼─ sw0 ── router-sw ── [router] eth0 192.168.10.1
#           └─ net2 ── sw-net2 ─┘   (net2 standby)
#   data addresses 192.168.10.5, 192.168.10.6; no test addresses
. ../lib.sh
load_ipmp
FDT=1000
for i in 0 1 2; do
    veth "net$i" "sw-net$i"
    sysctl -qw "net.ipv6.conf.net$i.disable_ipv6=1"
done
host router 192.168.10.1/24
switch sw0 sw-net0 sw-net1 sw-net2 router-sw
group itops0 net0 net1 net2
ipmpadm set-member net2 --standby on
ip addr add 192.168.10.5/24 dev itops0
ip addr add 192.168.10.6/24 dev itops0
ip route add default via 192.168.10.1 dev itops0
for i in 0 1 2; do
    expect_eq "$(ip -j addr show dev "net$i" | jq '[.[].addr_info[]] | length')" 0 "no address on net$i"
done
printf 'FAILURE_DETECTION_TIME=%s\nTRANSITIVE_PROBING=yes\n' "$FDT" > /tmp/mpathd.conf
events_start
mpathd_start -f /tmp/mpathd.conf

# v4_on IF: the IPv4 data addresses bound to IF.
v4_on() {
    ipmpadm -j show | jq -r --arg m "$1" \
        '[.[].members[] | select(.interface == $m) | .addresses[] | select(test("\\."))] | join(" ")'
}
# t_rows: `ipmpstat -nt` without its header.
t_rows() { ipmpstat -nt | tail -n +2; }
# i_row IF: IF's `ipmpstat -i` ACTIVE, PROBE and STATE.
i_row() { ipmpstat -P -o interface,active,probe,state -i | grep "^$1:"; }
# prober_is IF: whether IF probes from a data address.
prober_is() { mview_is "$1" 'instances[0].data_address' true; }
all_probes_ok() {
    mview_is net0 probe ok && mview_is net1 probe ok && mview_is net2 probe ok
}

wait_for 20 "net0 probes from a data address" prober_is net0
wait_for 20 "every member's probes answered" all_probes_ok
src=$(v4_on net0)
expect_eq "$(wc -w <<<"$src")" 1 "one IPv4 data address bound to net0 ($src)"
expect_eq "$(t_rows)" "net0        routes    $src        192.168.10.1
net1        transitive <net0>             <net0>
net2        transitive <net0>             <net0>" "ipmpstat -t: net0 probes, net1 and net2 through it"
for n in net0 net1; do
    expect_eq "$(i_row $n)" "$n:yes:ok:ok" "ipmpstat -i $n"
done
expect_eq "$(i_row net2)" "net2:no:ok:ok" "ipmpstat -i net2"
expect_eq "$(ipmpstat -j -t | jq -c '.[] | select(.interface == "net2")')" \
    '{"interface":"net2","mode":"transitive","testaddr":"<net0>","targets":"<net0>"}' "ipmpstat -j -t net2"
expect_eq "$(ipmpstat -ng | awk 'NR == 2 {print $4}')" 1.00s "FDT shown for the group"
grep -q "transitive probing in group itops0: net0 probes from data address $src" "$MPATHD_LOG" ||
    fail "no log line for the prober"

# On the wire, at net0's switch port: ICMP echo requests from the data
# address with net0's MAC, and link-layer probes from net1 and net2 to
# net0's MAC, answered by it.
ip netns exec switch tcpdump -l -n -e -i sw-net0 'icmp[icmptype] = icmp-echo or ether proto 0x88b5' \
    > /tmp/tp.txt 2>/tmp/tp.err &
tcpdump_ready /tmp/tp.err
sleep 2
pkill -f "tcpdump -l -n -e -i sw-net0" || true
sleep 0.3
mac0=$(mac_of net0)
expect_ge "$(grep -c "^[0-9:.]* $mac0 > .*, ethertype IPv4 .* $src > 192.168.10.1: ICMP echo request" /tmp/tp.txt)" 5 \
    "echo requests from $src leave by net0 (2 s at FDT 1 s)"
for n in net1 net2; do
    expect_ge "$(grep -c "^[0-9:.]* $(mac_of $n) > $mac0, ethertype Unknown (0x88b5)" /tmp/tp.txt)" 5 \
        "transitive probes from $n to net0"
    expect_ge "$(grep -c "^[0-9:.]* $mac0 > $(mac_of $n), ethertype Unknown (0x88b5)" /tmp/tp.txt)" 5 \
        "net0's answers to $n"
done

stream_start router 192.168.10.1 7029 16

# repaired_within IF PORT: opens PORT and asserts IF's repair within
# 2 x FDT + 10 %, timed from the opening to the kernel's event.
repaired_within() {
    local t0 ms
    blackhole "$2" off
    t0=$BLACKHOLE_AT
    wait_for $(( FDT * 4 / 1000 + 2 )) "$1 repaired" lacks_flag "$1" F
    ms=$(ms_between "$t0" "$(flag_time "$1" failed off "$t0")")
    echo "$1: repair detected after $ms ms (FDT $FDT ms)"
    [ "$ms" -le $(( FDT * 220 / 100 )) ] || fail "repair took $ms ms, more than 2 x FDT + 10 %"
    ok "$1 repaired within 2 x FDT + 10 %"
}
# nobody_else_failed IF SINCE: no other member was flagged failed since.
nobody_else_failed() {
    local n
    for n in net0 net1 net2; do
        [ "$n" = "$1" ] && continue
        expect_eq "$(flag_time "$n" failed on "$2")" "" "$n never flagged failed while $1 was black-holed"
    done
}

# 1. The active net1.
held=$(v4_on net1)
t_all=$EPOCHREALTIME
detected_within_fdt sw-net1 net1 "$FDT" "active net1"
nobody_else_failed net1 "$t_all"
expect_eq "$(v4_on net1)" "" "net1 holds no data address"
expect_eq "$(v4_on net2)" "$held" "its address $held moved to the standby net2"
expect_eq "$(i_row net1)" "net1:no:failed:failed" "ipmpstat -i net1 failed"
expect_eq "$(i_row net2)" "net2:yes:ok:ok" "ipmpstat -i net2 covering"
expect_eq "$(t_rows | grep '^net1')" "net1        transitive <net0>             <net0>" "net1 still probed through net0"
repaired_within net1 sw-net1
wait_for 5 "net2 back to standby" has_flag net2 i

# 2. The standby net2, carrying nothing.
expect_eq "$(v4_on net2)" "" "the standby holds no data address"
t_all=$EPOCHREALTIME
detected_within_fdt sw-net2 net2 "$FDT" "standby net2"
nobody_else_failed net2 "$t_all"
expect_eq "$(kflags net2)" "isF-" "net2 failed and inactive"
expect_eq "$(i_row net2)" "net2:no:failed:failed" "ipmpstat -i net2 failed"
repaired_within net2 sw-net2

# 3. The prober net0: failed alone, probing moves to net1.
t_all=$EPOCHREALTIME
detected_within_fdt sw-net0 net0 "$FDT" "prober net0"
nobody_else_failed net0 "$t_all"
wait_for 10 "net1 probes from a data address" prober_is net1
src1=$(mview net1 'instances[0].test_address')
expect_eq "$(v4_on net1 | grep -cw "$src1")" 1 "net1's source $src1 is bound to it"
expect_eq "$(t_rows)" "net0        transitive <net1>             <net1>
net1        routes    $src1        192.168.10.1
net2        transitive <net1>             <net1>" "ipmpstat -t: probing moved to net1"
expect_eq "$(i_row net0)" "net0:no:failed:failed" "ipmpstat -i net0 failed"
grep -Eq "transitive probing in group itops0: net1 probes from data address [0-9.]+, the other members through it \(was: net0\)" \
    "$MPATHD_LOG" || fail "no log line for the move"
repaired_within net0 sw-net0
expect_eq "$(t_rows | grep '^net0')" "net0        transitive <net1>             <net1>" \
    "the repaired net0 stays probed through net1"
wait_for 5 "net2 back to standby" has_flag net2 i

stream_stop
for n in net0 net1; do expect_eq "$(i_row $n)" "$n:yes:ok:ok" "ipmpstat -i $n at the end"; done

# 4. IPv6 enabled on the members: each probes from its own link-local
# address too (the router and the switch's bridge answer ff02::1), beside
# transitive IPv4 (which stays: no member has an IPv4 test address); a
# member black-holed now fails when both families say so, still within
# FDT + 10 %.
for i in 0 1 2; do sysctl -qw "net.ipv6.conf.net$i.disable_ipv6=0"; done
router_ll=$(ip -n router -j addr show dev eth0 scope link | jq -r '.[].addr_info[] | select(.family == "inet6") | .local')
probes_router_v6() { mview "$1" 'instances[1].targets | map(.address)' | jq -e --arg r "$router_ll" 'index($r)' >/dev/null; }
for n in net0 net1 net2; do
    wait_for 60 "$n probes the router in IPv6 from its link-local address" probes_router_v6 "$n"
done
ll2=$(mview net2 'instances[1].test_address')
rows2=$(ipmpstat -n -j -t | jq -c '[.[] | select(.interface == "net2")]')
expect_eq "$(jq -c '.[0]' <<<"$rows2")" '{"interface":"net2","mode":"transitive","testaddr":"<net1>","targets":"<net1>"}' \
    "ipmpstat -t net2: transitive IPv4"
expect_eq "$(jq -r '.[1] | "\(.mode) \(.testaddr)"' <<<"$rows2")" "multicast $ll2" \
    "ipmpstat -t net2: IPv6 from its link-local address"
jq -e --arg r "$router_ll" '.[1].targets | split(" ") | index($r)' <<<"$rows2" >/dev/null ||
    fail "the router is not among net2's IPv6 targets: $rows2"
wait_for 20 "every member's probes answered (both families)" all_probes_ok
t_all=$EPOCHREALTIME
detected_within_fdt sw-net2 net2 "$FDT" "standby net2, both families"
nobody_else_failed net2 "$t_all"
repaired_within net2 sw-net2
