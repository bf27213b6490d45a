#!/usr/bin/env bash
# The demo played in the VM by scripts/demo.sh: an IPMP group on the seed
# document's names (itops0 over net0, net1, net2), shown with ip.
set -euo pipefail
export PATH=$(cd "$(dirname "$0")/../.." && pwd)/target/debug:/usr/sbin:/sbin:/usr/bin:/bin

step() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "The switch (a bridge in namespace 'switch'), one port per NIC, and a peer host"
ip netns add peer
ip netns add switch
ip -n switch link add sw0 type bridge && ip -n switch link set sw0 up
for n in net0 net1 net2; do
    ip link add "$n" type veth peer name "sw-$n" netns switch
    ip -n switch link set "sw-$n" master sw0 up
done
ip link add peer-sw netns switch type veth peer name eth0 netns peer
ip -n switch link set peer-sw master sw0 up
ip -n peer link set eth0 up && ip -n peer addr add 192.0.2.2/24 dev eth0

step "Create the IPMP interface (ipmp.ko loads on demand)"
run ip link add itops0 type ipmp
run ip -d link show itops0

step "Add net0, net1 and net2 as members"
for n in net1 net0 net2; do
    run ip link set "$n" master itops0
done
run ipmpadm set-member net2 --standby on
run ip link set net0 up
run ip link set net1 up
run ip link set net2 up
run ip link set itops0 up
run ip addr add 192.0.2.10/24 dev itops0
run ip addr add 192.0.2.11/24 dev itops0
sleep 1
run ip -br link show master itops0
run ipmpadm show

step "Traffic both ways; the peer sees each data address at its member's MAC"
run ping -c 2 -i 0.2 192.0.2.2
run ip netns exec peer ping -c 1 192.0.2.10
run ip netns exec peer ping -c 1 192.0.2.11
run ip -n peer neigh show dev eth0
run ip -s link show itops0

step "net0 loses its link at the switch: its address moves, announced from the new member"
run ip -n switch link set sw-net0 down
sleep 2
run ipmpadm show
run ip -n peer neigh show dev eth0

step "net1 loses its link too: the standby net2 steps in"
run ip -n switch link set sw-net1 down
sleep 2
run ipmpadm show
run ip netns exec peer ping -c 1 192.0.2.10

step "All members lose their links: itops0 loses carrier"
run ip -n switch link set sw-net2 down
run ip -br link show itops0
run ipmpadm show

step "Remove net2, delete the group: members are released"
run ip link set net2 nomaster
run ip link del itops0
for n in net0 net1 net2; do run ip -br link show "$n"; done
echo
echo "demo finished"
