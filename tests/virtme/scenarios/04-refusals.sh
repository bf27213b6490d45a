#!/usr/bin/env bash
# Devices that cannot be members, and devices that cannot be stacked on a
# group, are refused with a netlink error message that `ip` prints (each
# checked word for word), and nothing changes.
. ../lib.sh
load_ipmp

veth net0 sw-net0
veth net1 sw-net1
ip link add itops0 type ipmp
ip link add itops1 type ipmp
ip link set net0 master itops0
before=$(members_of itops0)

unchanged() {
    expect_eq "$(members_of itops0)" "$before" "members of itops0 unchanged"
    expect_eq "$(members_of itops1)" "" "members of itops1 unchanged"
}

# Loopback.
expect_error "Error: lo is a loopback device: IPMP members must be Ethernet." ip link set lo master itops0
expect_eq "$(master_of lo)" none "lo has no master"
unchanged

# Not Ethernet: a layer-3 tun device.
ip tuntap add tun0 mode tun
expect_error "Error: tun0 is not Ethernet (link type 65534): IPMP members must be Ethernet." \
    ip link set tun0 master itops0
expect_eq "$(master_of tun0)" none "tun0 has no master"
unchanged

# The group itself.
expect_error "Error: itops0 cannot be a member of itself." ip link set itops0 master itops0
unchanged

# Another IPMP device.
expect_error "Error: itops1 is an IPMP interface: IPMP groups cannot be nested." ip link set itops1 master itops0
expect_eq "$(master_of itops1)" none "itops1 has no master"
unchanged

# A device already claimed by another rx handler without a master: the
# lower device of a macvlan.
ip link add link net1 name mv0 type macvlan
expect_error "Error: net1 is in use by another rx handler (e.g. macvlan)." ip link set net1 master itops0
expect_eq "$(master_of net1)" none "net1 has no master"
unchanged
ip link del mv0

# ...and a member cannot be claimed by such a device either.
expect_error "RTNETLINK answers: Device or resource busy" ip link add link net0 name mv1 type macvlan
! link_exists mv1 || fail "macvlan over a member was created"
ok "macvlan over a member is refused"

# Devices that cannot work on top of a group (its frames leave with its
# members' MAC addresses) are refused, saying why; a VLAN is accepted.
ip link add br0 type bridge
expect_error "Error: a bridge cannot be stacked on an IPMP group: the frames it forwards for other hosts would leave with a member's MAC address as their source." \
    ip link set itops0 master br0
expect_eq "$(master_of itops0)" none "itops0 not in br0"
expect_eq "$(ip -j -d link show itops0 | jq -r '.[0].promiscuity')" 0 "itops0 not left promiscuous by the refused bridge"
expect_eq "$(ip -j -d link show net0 | jq -r '.[0].promiscuity')" 0 "net0 not left promiscuous by the refused bridge"
ip link del br0
expect_error "Error: a macvlan cannot be stacked on an IPMP group: peers would never see its MAC address, as the group's frames leave with its members' MAC addresses." \
    ip link add link itops0 name mv2 type macvlan
! link_exists mv2 || fail "macvlan over itops0 was created"
expect_error "Error: an ipvlan cannot be stacked on an IPMP group: peers reach the group at its members' MAC addresses, never at the group's own, which an ipvlan shares." \
    ip link add link itops0 name ipv0 type ipvlan
! link_exists ipv0 || fail "ipvlan over itops0 was created"
ip link add link itops0 name itops0.100 type vlan id 100
expect_eq "$(ip -j -d link show itops0.100 | jq -r '.[0].linkinfo.info_kind')" vlan "a VLAN on itops0"
ip link del itops0.100

# The group MTU cannot exceed the smallest member MTU.
expect_error "Error: mtu greater than device maximum." ip link set itops0 mtu 9000
expect_eq "$(mtu_of itops0)" 1500 "itops0 MTU unchanged"

# After all refusals the refused devices are still free to be used.
ip link set net1 master itops0
expect_eq "$(members_of itops0)" "net0 net1" "net1 joins after the refusals"
