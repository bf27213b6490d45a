#!/usr/bin/env bash
# Faults under traffic (10 of each, 4 in CI): member MTU and MAC changes
# while 16 TCP connections
# stream (a member's new MAC is announced for its bound address at once);
# a member moved to another network namespace and back. No connection
# breaks, nothing is left behind, and the kernel log stays clean.
#
#   itops0 ─┬─ net0 ── sw-net0 ─┐
#           ├─ net1 ── sw-net1 ─┼─ sw0 ── peer-sw ── [peer] eth0 192.0.2.2
#           └─ net2 ── sw-net2 ─┘
#   data address 192.0.2.1
# timeout: 360
. ../lib.sh
three_members_lan

build() {
    load_ipmp
    group itops0 net0 net1 net2
    ipmpadm set-group itops0 --announce-count 3 --announce-interval 200
    ip addr add 192.0.2.1/24 dev itops0
}
bound_to() {  # bound_to ADDR: the member ADDR is bound to
    ipmpadm -j show | jq -r --arg a "$1" '.[].members[] | select(.addresses | index($a)) | .interface'
}
peer_lladdr() { ip -n peer -j neigh show "$1" | jq -r '.[0].lladdr'; }

# --- MTU and MAC changes under traffic ------------------------------------------
cycles=$(campaign 4 10)
build
stream_start peer 192.0.2.2 7002 16
for i in $(seq "$cycles"); do
    ip link set net1 mtu 1400
    [ "$(mtu_of itops0)" = 1400 ] || fail "itops0 did not follow net1 down to 1400"
    ip link set net1 mtu 1500
    [ "$(mtu_of itops0)" = 1500 ] || fail "itops0 did not follow net1 back to 1500"
done
ok "$cycles member MTU changes followed by the group (1500 -> 1400 -> 1500)"
for i in $(seq "$cycles"); do
    ip link set net2 address "02:00:00:00:99:$(printf %02x "$i")"
done
expect_eq "$(mac_of net2)" "02:00:00:00:99:$(printf %02x "$cycles")" "net2's MAC after $cycles changes"

victim=$(bound_to 192.0.2.1)
[ -n "$victim" ] || fail "192.0.2.1 is bound to no member"
ip netns exec peer ping -q -c 1 -W 2 192.0.2.1 >/dev/null || fail "192.0.2.1 unreachable"
expect_eq "$(peer_lladdr 192.0.2.1)" "$(mac_of "$victim")" "the peer sees 192.0.2.1 at $victim's MAC"
ip link set "$victim" address 02:00:00:00:aa:01
wait_for 5 "the peer follows $victim's new MAC (announced, not asked)" \
    output_is 02:00:00:00:aa:01 peer_lladdr 192.0.2.1

# --- a member moved to another namespace and back --------------------------------
ip netns add other
ip link set net2 netns other
expect_eq "$(members_of itops0)" "net0 net1" "net2 left itops0 when moved away"
expect_eq "$(ip -n other -j link show net2 | jq -r '.[0].master // "none"')" none \
    "net2 has no master in its new namespace"
! ip link set itops0 netns other 2>/dev/null || fail "itops0 itself moved to another namespace"
ok "itops0 itself cannot change namespace"
ip -n other link set net2 netns 1
ip link set net2 up
ip link set net2 master itops0
expect_eq "$(members_of itops0)" "net0 net1 net2" "net2 back in itops0"
stream_stop
