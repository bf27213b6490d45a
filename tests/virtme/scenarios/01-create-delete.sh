#!/usr/bin/env bash
# Creating, renaming and deleting IPMP devices; the module is loaded on
# demand by `ip link add ... type ipmp` (alias rtnl-link-ipmp).
. ../lib.sh

[ ! -d /sys/module/ipmp ] || fail "ipmp loaded before the scenario"
ip link add itops0 type ipmp
[ -d /sys/module/ipmp ] || fail "ipmp was not autoloaded"
ok "ip link add ... type ipmp autoloaded ipmp.ko"

expect_eq "$(link_json itops0 | jq -r .linkinfo.info_kind)" ipmp "link kind"
expect_eq "$(link_json itops0 | jq -r .link_type)" ether "link type"
# (Down, the device's carrier cannot be read: sysfs refuses.)
expect_eq "$(carrier_of itops0)" "unknown (down)" "carrier of a down group unreadable"
ip link set itops0 up
expect_eq "$(carrier_of itops0)" 0 "carrier of a group without members (up)"
expect_eq "$(members_of itops0)" "" "members of a new group"

ip link set itops0 name itops9
link_exists itops9 || fail "rename lost the device"
! link_exists itops0 || fail "old name still present"
ok "renamed itops0 to itops9"

# Any number of groups; the netlink dump spans several messages.
for i in $(seq 1 150); do echo "link add grp$i type ipmp"; done | ip -batch -
expect_eq "$(ip -j link show type ipmp | jq length)" 151 "ipmp devices after creating 150 more"
expect_eq "$(ipmpadm -j show | jq length)" 151 "groups in the generic netlink dump"
expect_eq "$(ipmpadm -j show | jq -r '[.[].group] | unique | length')" 151 "each group once in the dump"
for i in $(seq 1 150); do echo "link del grp$i"; done | ip -batch -
expect_eq "$(ip -j link show type ipmp | jq length)" 1 "ipmp devices after deleting them"

ip link del itops9
! link_exists itops9 || fail "itops9 still exists after delete"
ok "deleted itops9"

# A given MAC address is taken; a multicast one is refused.
ip link add itops1 address 02:00:00:00:01:01 type ipmp
expect_eq "$(mac_of itops1)" 02:00:00:00:01:01 "explicit MAC"
expect_fail "Error: an IPMP interface needs a unicast, non-zero MAC address" ip link add itops2 address 01:00:5e:00:00:01 type ipmp
expect_fail "Error: an IPMP interface needs a unicast, non-zero MAC address" ip link add itops2 address 00:00:00:00:00:00 type ipmp
! link_exists itops2 || fail "itops2 exists after a refused create"
