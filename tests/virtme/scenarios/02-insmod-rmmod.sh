#!/usr/bin/env bash
# Plain insmod of the built module, and rmmod with groups, members and
# traffic present: every group disappears, every member is released and
# keeps working, and the module can be loaded again.
. ../lib.sh

insmod "$REPO/kmod/ipmp.ko"
[ -d /sys/module/ipmp ] || fail "insmod did not load ipmp"
ok "insmod kmod/ipmp.ko"

veth net0 sw-net0
veth net1 sw-net1
veth net2 sw-net2
group itops0 net0 net1
group itops1 net2
ip addr add 192.0.2.1/24 dev itops0
ip neigh replace 192.0.2.2 lladdr 02:00:00:00:00:02 dev itops0 nud permanent

# Keep transmitting through the group while the module goes away.
ping -q -i 0.01 -W 1 192.0.2.2 >/dev/null 2>&1 &
pinger=$!
sleep 1
expect_ge "$(stat_of itops0 tx packets)" 10 "packets sent through itops0 before rmmod"

rmmod ipmp
[ ! -d /sys/module/ipmp ] || fail "ipmp still loaded"
ok "rmmod ipmp with two groups and traffic"
kill "$pinger" 2>/dev/null || true
wait "$pinger" 2>/dev/null || true

! link_exists itops0 || fail "itops0 survived rmmod"
! link_exists itops1 || fail "itops1 survived rmmod"
for m in net0 net1 net2; do
    expect_eq "$(master_of $m)" none "master of $m after rmmod"
done
# Released members are usable by others again.
ip link add br0 type bridge
ip link set net0 master br0
expect_eq "$(master_of net0)" br0 "net0 can join a bridge after release"
ip link set net0 nomaster

insmod "$REPO/kmod/ipmp.ko"
group itops0 net0 net1
expect_eq "$(members_of itops0)" "net0 net1" "members after reloading"
