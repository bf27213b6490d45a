#!/usr/bin/env bash
# 100 000 (30 000 in CI) random and mutated generic netlink messages from
# an unprivileged user (nothing changes) and as many as root (genl-fuzz: half random,
# half valid requests of every command, mutated): errors, no oops (the
# harness checks the kernel log), and the family still works afterwards.
# timeout: 360
. ../lib.sh
load_ipmp

for n in net0 net1; do veth "$n" "sw-$n"; done
group itops0 net0 net1
ip addr add 192.0.2.1/24 dev itops0

count=$(campaign 30000 100000)
before=$(ipmpadm -j show | jq -c '[.[] | {groupname, policy, members: [.members[] | {interface, standby, inactive, failed, offline}]}]')
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups genl-fuzz "$count" 7)
echo "unprivileged: $out"
case $out in "sent $count, errors "*", acks "*) ;; *) fail "fuzzer: $out" ;; esac
expect_eq "$(ipmpadm -j show | jq -c '[.[] | {groupname, policy, members: [.members[] | {interface, standby, inactive, failed, offline}]}]')" \
    "$before" "an unprivileged sender changed nothing"

out=$(genl-fuzz "$count" 1)
echo "root: $out"
case $out in "sent $count, errors "*) ok "$count messages sent as root" ;; *) fail "fuzzer: $out" ;; esac

# Still working afterwards.
ipmpadm set-member net0 --failed off --inactive off --offline off --standby off
ipmpadm set-member net1 --failed off --inactive off --offline off --standby off
ipmpadm set-group itops0 --policy kernel --name itops0
expect_eq "$(active_set itops0)" "net0 net1" "both members active again"
ip link del itops0
expect_eq "$(master_of net0)" none "group deleted cleanly"
