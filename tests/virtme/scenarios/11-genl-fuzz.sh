#!/usr/bin/env bash
# 10 000 random and mangled generic netlink messages as root, 2 000 as an
# unprivileged user: errors, no oops (the harness checks the kernel log),
# no state change by the unprivileged sender, and the family still works.
. ../lib.sh
load_ipmp

for n in net0 net1; do veth "$n" "sw-$n"; done
group itops0 net0 net1
ip addr add 192.0.2.1/24 dev itops0

before=$(ipmpadm -j show | jq -c '[.[].members[] | {ifname, flags}]')
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups python3 ../genl_fuzz.py 2000 7)
echo "unprivileged: $out"
expect_eq "$(ipmpadm -j show | jq -c '[.[].members[] | {ifname, flags}]')" "$before" \
    "an unprivileged sender changed nothing"

out=$(python3 ../genl_fuzz.py 10000 1)
echo "root: $out"
case $out in "sent 10000, errors "*) ok "10000 messages sent as root" ;; *) fail "fuzzer: $out" ;; esac

# Still working afterwards.
ipmpadm set-member net0 --failed off --inactive off --offline off --standby off
ipmpadm set-member net1 --failed off --inactive off --offline off --standby off
ipmpadm set-group itops0 --policy kernel
expect_eq "$(active_set itops0)" "net0 net1" "both members active again"
ip link del itops0
expect_eq "$(master_of net0)" none "group deleted cleanly"
