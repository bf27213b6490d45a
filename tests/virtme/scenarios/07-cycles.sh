#!/usr/bin/env bash
# 100 cycles (30 in CI; campaign in lib.sh) of: create a group, add three members, remove one with
# nomaster, delete one member device, delete the group. Nothing may be
# left behind (the harness then unloads the module and checks the kernel
# log for leaks and warnings). `ip -batch` and shell built-ins keep each
# cycle to a few processes: process start-up is slow under emulation.
. ../lib.sh
load_ipmp

veth net0 sw-net0
veth net1 sw-net1
is_member() { [[ -e /sys/class/net/itops0/lower_$1 ]]; }
cycles=$(campaign 30 100)
for i in $(seq 1 "$cycles"); do
    ip -batch - <<-EOB
	link add tmp$i type veth peer name sw-tmp$i
	link add itops0 type ipmp
	link set net0 master itops0
	link set net1 master itops0
	link set tmp$i master itops0
	link set itops0 up
	EOB
    is_member net0 && is_member net1 && is_member "tmp$i" || fail "cycle $i: members missing"
    ip -batch - <<-EOB
	link set net1 nomaster
	link del tmp$i
	EOB
    is_member net0 && ! is_member net1 && ! is_member "tmp$i" || fail "cycle $i: wrong members after removal"
    ip link del itops0
    [[ ! -e /sys/class/net/net0/master ]] || fail "cycle $i: net0 still has a master"
done
ok "$cycles add/remove/delete cycles"
expect_eq "$(ip -j link show type ipmp | jq length)" 0 "ipmp devices left"
expect_eq "$(master_of net0)/$(master_of net1)" "none/none" "masters left"
