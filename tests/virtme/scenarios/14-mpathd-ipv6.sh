#!/usr/bin/env bash
# in.mpathd, IPv6 only: no IPv4 test address anywhere; each member probes
# from its link-local address, finding its target with an all-hosts
# (ff02::1) echo. A black-holed member fails by its IPv6 probes alone and
# is repaired by them.
. ../lib.sh
load_ipmp
sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
for i in 0 1 2; do veth "net$i" "sw-net$i"; done
ip netns add router
ip link add router-sw type veth peer name eth0 netns router
ip -n router link set lo up
ip -n router link set eth0 up
ip -n router addr add 2001:db8::1/64 dev eth0
ip link set router-sw up
switch sw0 sw-net0 sw-net1 sw-net2 router-sw
group itops0 net0 net1 net2
ipmpadm set-member net2 --standby on
ip addr add 2001:db8::5/64 dev itops0
echo "FAILURE_DETECTION_TIME=1000" > /tmp/mpathd.conf

events_start
mpathd_start -f /tmp/mpathd.conf
for i in 0 1 2; do
    wait_for 15 "net$i probes answered over IPv6" mview_is "net$i" probe ok
done
expect_eq "$(mview net0 'instances[0].mode')" disabled "no IPv4 probing"
expect_eq "$(mview net0 'instances[1].mode')" multicast "IPv6 targets found by multicast"
expect_eq "$(mview net0 'instances[1].test_address')" \
    "$(ip -j addr show dev net0 scope link | jq -r '.[0].addr_info[] | select(.family == "inet6") | .local')" \
    "net0 probes from its link-local address"
router_ll=$(ip -n router -j addr show dev eth0 | jq -r '.[0].addr_info[] | select(.family == "inet6" and .scope == "link") | .local')
targets=$(mview net0 'instances[1].targets | map(.address) | join(" ")')
[[ " $targets " == *" $router_ll "* ]] || fail "the router $router_ll is not among net0's targets: $targets"
ok "the router $router_ll is among net0's targets ($targets; the other is the switch's bridge)"
for t in $targets; do
    ip -j addr show | jq -e --arg a "$t" '[.[].addr_info[].local] | index($a)' >/dev/null \
        && fail "$t, an address of this host, is a target"
done
ok "no address of this host is a target"

sleep 2
detected_within_fdt sw-net1 net1 1000 "IPv6"
expect_eq "$(kflags net2)" "-s--" "the standby net2 is active"
blackhole sw-net1 off
wait_for 5 "net1 repaired by IPv6 probes" lacks_flag net1 F
wait_for 5 "net2 back to standby" has_flag net2 i
