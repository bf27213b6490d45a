#!/usr/bin/env bash
# Packets sent through itops0 leave by a member with the member's own
# source MAC, reach the peer, and are counted: `ip -s link` of itops0 and
# of its members agree. With no usable member they are dropped and counted.
#
#   itops0 ─┬─ net0 ── sw-net0 ─┐ [switch]
#           └─ net1 ── sw-net1 ─┴─ sw0 ── peer-sw ── [peer] eth0 192.0.2.2
. ../lib.sh
load_ipmp

# No IPv6 chatter (router solicitations, MLD): counts must be exact.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

veth net0 sw-net0
veth net1 sw-net1
host peer 192.0.2.2/24
switch sw0 sw-net0 sw-net1 peer-sw
group itops0 net0 net1
# No announcements of the new address either: counts must be exact.
ipmpadm set-group itops0 --announce-count 0
ip addr add 192.0.2.1/24 dev itops0
peer_mac=$(ip -n peer -j link show eth0 | jq -r '.[0].address')
ip neigh replace 192.0.2.2 lladdr "$peer_mac" dev itops0 nud permanent
# ...and none the other way: the peer knows where 192.0.2.1 is, so no
# member answers an ARP request on its own.
ip -n peer neigh replace 192.0.2.1 lladdr "$(mac_of net0)" dev eth0 nud permanent

tx0=$(stat_of itops0 tx packets)
m0=$(( $(stat_of net0 tx packets) + $(stat_of net1 tx packets) ))
ip netns exec peer tcpdump -l -c 20 -e -n -i eth0 'icmp[icmptype] == icmp-echo' > /tmp/peer.cap 2>/tmp/peer.err &
capture=$!
tcpdump_ready /tmp/peer.err
ping -q -c 20 -i 0.05 -W 1 192.0.2.2 >/dev/null || true
timeout 30 tail --pid=$capture -f /dev/null || fail "the peer did not see 20 echo requests"

expect_eq "$(( $(stat_of itops0 tx packets) - tx0 ))" 20 "itops0 tx packets"
expect_eq "$(( $(stat_of net0 tx packets) + $(stat_of net1 tx packets) - m0 ))" 20 "member tx packets"
expect_eq "$(stat_of itops0 tx dropped)" 0 "itops0 tx dropped"

srcs=$(awk '{print $2}' /tmp/peer.cap | sort -u | xargs)
case " $(mac_of net0) $(mac_of net1) " in
    *" $srcs "*) ok "peer saw source MAC $srcs, a member's own" ;;
    *) fail "peer saw source MAC(s) '$srcs', expected one member's MAC" ;;
esac
[ "$srcs" != "$(mac_of itops0)" ] || fail "itops0's MAC leaked onto the wire"

# No usable member: packets are dropped and counted as tx drops.
sw link set sw-net0 down
sw link set sw-net1 down
expect_eq "$(carrier_of itops0)" 0 "itops0 carrier with both members down"
ping -q -c 5 -i 0.05 -W 1 192.0.2.2 >/dev/null 2>&1 || true
expect_eq "$(stat_of itops0 tx dropped)" 5 "itops0 tx dropped with no usable member"
expect_eq "$(( $(stat_of itops0 tx packets) - tx0 ))" 20 "itops0 tx packets unchanged by drops"
