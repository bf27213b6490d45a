#!/usr/bin/env bash
# ipmp.ko unloaded while traffic flows through a group both ways (ping
# floods out and in), 10 times (4 in CI): each rmmod deletes the group and
# releases every member, the next load starts clean, and the kernel log
# stays clean (on the debug kernel: KASAN, lockdep, kmemleak).
#
#   itops0 ─┬─ net0 ── sw-net0 ─┐
#           ├─ net1 ── sw-net1 ─┼─ sw0 ── peer-sw ── [peer] eth0 192.0.2.2
#           └─ net2 ── sw-net2 ─┘
#   data address 192.0.2.1
# timeout: 240
. ../lib.sh
three_members_lan
build() {
    load_ipmp
    group itops0 net0 net1 net2
    ip addr add 192.0.2.1/24 dev itops0
}
both_ways() { (( $(stat_of itops0 tx packets) >= 50 && $(stat_of itops0 rx packets) >= 50 )); }

cycles=$(campaign 4 10)
for c in $(seq "$cycles"); do
    build
    ping -f -q -w 60 192.0.2.2 >/dev/null 2>&1 &
    out=$!
    ip netns exec peer ping -f -q -w 60 192.0.2.1 >/dev/null 2>&1 &
    in=$!
    wait_for 20 "cycle $c: flood both ways through itops0" both_ways
    rmmod ipmp
    kill "$out" "$in" 2>/dev/null || true
    wait "$out" "$in" 2>/dev/null || true
    ! link_exists itops0 || fail "cycle $c: itops0 survived rmmod"
    expect_eq "$(master_of net0)/$(master_of net1)/$(master_of net2)" none/none/none \
        "cycle $c: members released"
done
ok "$cycles rmmod/insmod cycles under traffic"

