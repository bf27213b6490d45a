#!/usr/bin/env bash
# A group of 32 members, the most a group takes: the 33rd is refused with
# its message; 32 data addresses are bound one to each member and the peer
# reaches each at its member's MAC; one member holds each nominee role;
# 320 flows leave evenly, ten by each member, and no flow by two.
#
#   itops0 192.0.2.101-132 ─┬─ m0  ── sw-m0  ─┐
#                           ├─ ...            ├─ sw0 ── peer-sw ── [peer] 192.0.2.2
#                           └─ m31 ── sw-m31 ─┘
#   m32 ── sw-m32: the 33rd, refused
. ../lib.sh
load_ipmp
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

ports=()
for i in $(seq 0 32); do
    veth "m$i" "sw-m$i"
    ports+=("sw-m$i")
done
host peer 192.0.2.2/24
switch sw0 "${ports[@]}" peer-sw

members=()
for i in $(seq 0 31); do members+=("m$i"); done
group itops0 "${members[@]}"
expect_eq "$(ipmpadm -j show itops0 | jq '.[0].members | length')" 32 "members of itops0"
expect_fail "itops0 is full (32 members)" ip link set m32 master itops0
expect_eq "$(ip -j link show m32 | jq -r '.[0].master // "none"')" none "m32's master after the refusal"
# Unplugged: left on the LAN, m32 (a plain interface of this host) would
# answer ARP for itops0's addresses with its own MAC (Linux's weak host
# model, arp_ignore=0), racing the members' answers.
ip link del m32
expect_eq "$(active_set itops0 | wc -w)" 32 "active members"

# --- one nominee per role -------------------------------------------------
holders() {  # holders ROLE: members holding nominee ROLE
    ipmpadm -j show itops0 | jq --arg r "$1" '[.[0].members[] | select(.nominee | index($r))] | length'
}
expect_eq "$(holders v4-multicast)" 1 "members holding the IPv4 multicast nominee role"
expect_eq "$(holders v4-broadcast)" 1 "members holding the IPv4 broadcast nominee role"

# --- 32 data addresses, one bound to each member --------------------------
for i in $(seq 101 132); do ip addr add "192.0.2.$i/24" dev itops0; done
per_member() {
    ipmpadm -j show itops0 | jq -c '[.[0].members[] | (.addresses | map(select(test("\\."))) | length)] | unique'
}
wait_for 20 "32 addresses bound, one per member" output_is '[1]' per_member
for i in $(seq 101 132); do
    ip netns exec peer ping -q -c 1 -W 3 "192.0.2.$i" >/dev/null ||
        fail "the peer cannot reach 192.0.2.$i"
done
# The peer reaches each address at the MAC of the member it is bound to.
wrong=0
while read -r addr member; do
    seen=$(ip -n peer -j neigh show "$addr" | jq -r '.[0].lladdr')
    [ "$seen" = "$(mac_of "$member")" ] || {
        echo "$addr is bound to $member ($(mac_of "$member")) but the peer has $seen"
        wrong=$((wrong + 1))
    }
done < <(ipmpadm -j show itops0 | jq -r '.[0].members[] | .interface as $m | .addresses[] | select(test("\\.")) | "\(.) \($m)"')
expect_eq "$wrong" 0 "addresses the peer reaches at another MAC than their member's"

# --- 320 flows: ten by each member, none by two ---------------------------
ip netns exec peer tcpdump -l -e -n -i eth0 'udp and dst portrange 10000-10319' \
    2>/tmp/flows.err >/tmp/flows.txt &
cap=$!
tcpdump_ready /tmp/flows.err
python3 ../udpflows.py send 320 3 7 10000 192.0.2.2
sleep 1
kill -INT "$cap"
wait "$cap" || true
# "TIME SRCMAC > DSTMAC, ethertype IPv4 ..., 192.0.2.101.9000 > 192.0.2.2.10007: UDP, ..."
sed -nE 's/^[^ ]+ ([0-9a-f:]{17}) > .* > [0-9.]+\.([0-9]+): UDP.*/\1 \2/p' /tmp/flows.txt |
    sort -u > /tmp/flow-macs
expect_eq "$(cut -d' ' -f2 /tmp/flow-macs | sort -u | wc -l)" 320 "flows seen at the peer"
expect_eq "$(cut -d' ' -f2 /tmp/flow-macs | sort | uniq -d | wc -l)" 0 "flows seen from two members"
counts=$(cut -d' ' -f1 /tmp/flow-macs | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')
expect_eq "$(cut -d' ' -f1 /tmp/flow-macs | sort -u | wc -l)" 32 "members whose MAC carried flows"
expect_eq "$counts" "10 " "flows per member"
macs=" $(for m in "${members[@]}"; do mac_of "$m"; done | tr '\n' ' ')"
for mac in $(cut -d' ' -f1 /tmp/flow-macs | sort -u); do
    case $macs in *" $mac "*) ;; *) fail "a flow left with $mac, not a member's MAC" ;; esac
done
ok "32 members: 320 flows, ten by each, none by two"
