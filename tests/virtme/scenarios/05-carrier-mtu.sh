#!/usr/bin/env bash
# itops0 has carrier while at least one member is up with carrier; its MTU
# follows the smallest member MTU, and an administrator's smaller MTU is
# kept across member events (capped by the smallest member MTU); its TSO
# limits are the smallest of its members'.
. ../lib.sh
load_ipmp

veth net0 sw-net0
veth net1 sw-net1
ip link add itops0 type ipmp
ip link set itops0 up
expect_eq "$(carrier_of itops0)" 0 "no members: no carrier"

ip link set sw-net0 down
ip link set net0 master itops0
expect_eq "$(carrier_of itops0)" 0 "only member without carrier: no carrier"
ip link set sw-net0 up
expect_eq "$(carrier_of itops0)" 1 "member carrier up: itops0 carrier up"

ip link set net1 master itops0
ip link set sw-net0 down
expect_eq "$(carrier_of itops0)" 1 "one of two members down: carrier stays"
ip link set sw-net1 down
expect_eq "$(carrier_of itops0)" 0 "both members without carrier: no carrier"
ip link set sw-net1 up
expect_eq "$(carrier_of itops0)" 1 "net1 back: carrier"
ip link set net1 down
expect_eq "$(carrier_of itops0)" 0 "net1 administratively down, net0 no carrier: no carrier"
ip link set net1 up
ip link set sw-net0 up
expect_eq "$(carrier_of itops0)" 1 "both back"
ip link set net1 nomaster
ip link set net0 nomaster
expect_eq "$(carrier_of itops0)" 0 "all members removed: no carrier"

# MTU follows the smallest member.
ip link set net0 mtu 1400
ip link set net1 mtu 9000
ip link set sw-net1 mtu 9000
ip link set net0 master itops0
expect_eq "$(mtu_of itops0)" 1400 "MTU with net0 (1400)"
ip link set net1 master itops0
expect_eq "$(mtu_of itops0)" 1400 "MTU with net0 (1400) and net1 (9000)"
ip link set sw-net0 mtu 9000
ip link set net0 mtu 9000
expect_eq "$(mtu_of itops0)" 9000 "MTU after net0 goes to 9000"
ip link set net1 mtu 1280
expect_eq "$(mtu_of itops0)" 1280 "MTU after net1 goes to 1280"
expect_fail "Error: mtu greater than device maximum" ip link set itops0 mtu 1500
ip link set itops0 mtu 1200
expect_eq "$(mtu_of itops0)" 1200 "a smaller MTU may be set by hand"
# The administrator's MTU is kept across member events, capped only by the
# smallest member MTU.
ip link set net1 nomaster
expect_eq "$(mtu_of itops0)" 1200 "the administrator's MTU kept when net1 (1280) leaves"
ip link set net0 down
ip link set net0 up
expect_eq "$(mtu_of itops0)" 1200 "the administrator's MTU kept across net0 down/up"
ip link set net0 mtu 1100
expect_eq "$(mtu_of itops0)" 1100 "capped by a member going below it (net0: 1100)"
ip link set net0 mtu 9000
expect_eq "$(mtu_of itops0)" 1200 "back to the administrator's MTU above it"
# Setting the ceiling (the smallest member MTU) means: follow the members.
ip link set itops0 mtu 9000
ip link set net0 mtu 1500
expect_eq "$(mtu_of itops0)" 1500 "following net0 again (1500)"
ip link set net0 mtu 9000
expect_eq "$(mtu_of itops0)" 9000 "following net0 again (9000)"

# TSO limits follow the members: the smallest tso_max_size among them (a
# veth takes 524280-byte super-frames, a dummy device the legacy 65536).
tso_max() { ip -d -j link show "$1" | jq -r '.[0].tso_max_size'; }
expect_eq "$(tso_max itops0)" "$(tso_max net0)" "itops0's tso_max_size with net0 alone"
ip link add dummy0 type dummy
expect_ne "$(tso_max dummy0)" "$(tso_max net0)" "a dummy's tso_max_size differs from a veth's (control)"
ip link set dummy0 master itops0
expect_eq "$(tso_max itops0)" "$(tso_max dummy0)" "itops0's tso_max_size with dummy0 added"
ip link set dummy0 nomaster
expect_eq "$(tso_max itops0)" "$(tso_max net0)" "itops0's tso_max_size after dummy0 left"
ip link del dummy0
