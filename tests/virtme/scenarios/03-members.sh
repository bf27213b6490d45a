#!/usr/bin/env bash
# Adding and removing members with `ip link set ... master/nomaster`;
# members keep their own MAC addresses; deleting the group or a member
# releases it.
#
#   net0 ─┐
#   net1 ─┼─ itops0        (peers sw-netN stay in the root namespace)
#   net2 ─┘
. ../lib.sh
load_ipmp

veth net0 sw-net0
veth net1 sw-net1
veth net2 sw-net2
mac0=$(mac_of net0)
mac1=$(mac_of net1)

ip link add itops0 type ipmp
ip link set net0 master itops0
ip link set net1 master itops0
expect_eq "$(master_of net0)" itops0 "master of net0"
expect_eq "$(master_of net1)" itops0 "master of net1"
expect_eq "$(members_of itops0)" "net0 net1" "lower devices of itops0"
expect_eq "$(link_json net0 | jq -r '.flags | index("SLAVE") // "none"')" none "net0 is not flagged SLAVE (keeps its own IPv6 link-local)"
expect_eq "$(mac_of net0)" "$mac0" "net0 keeps its own MAC"
expect_eq "$(mac_of net1)" "$mac1" "net1 keeps its own MAC"
expect_ne "$(mac_of itops0)" "$mac0" "itops0 has its own MAC"

# Idempotent: setting the same master again changes nothing.
ip link set net0 master itops0
expect_eq "$(members_of itops0)" "net0 net1" "after re-adding net0"

ip link set net0 nomaster
expect_eq "$(master_of net0)" none "master of net0 after nomaster"
expect_eq "$(members_of itops0)" "net1" "members after nomaster"
expect_eq "$(mac_of net0)" "$mac0" "net0 MAC after leaving"

# A member that is unregistered leaves its group.
ip link set net2 master itops0
expect_eq "$(members_of itops0)" "net1 net2" "members after adding net2"
ip link del net2
expect_eq "$(members_of itops0)" "net1" "members after deleting net2"

# Deleting the group releases its members, which stay usable.
ip link set net0 master itops0
ip link del itops0
expect_eq "$(master_of net0)" none "net0 released by group deletion"
expect_eq "$(master_of net1)" none "net1 released by group deletion"
ip link set net0 up
expect_eq "$(carrier_of net0)" 1 "net0 still works"

# Moving a member to another master: rtnetlink's do_set_master() releases
# a device from its current master before offering it to the new one (for
# every master kind), so this is a move, never a double membership.
ip link add itops1 type ipmp
ip link add itops2 type ipmp
ip link set net0 master itops1
ip link set net0 master itops2
expect_eq "$(members_of itops1)" "" "itops1 after moving net0 to itops2"
expect_eq "$(members_of itops2)" "net0" "itops2 after moving net0"
ip link add br0 type bridge
ip link set net1 master br0
ip link set net1 master itops2
expect_eq "$(master_of net1)" itops2 "bridge port moved into itops2"
expect_eq "$(ls /sys/class/net/br0/brif | xargs)" "" "br0 has no port left"

# The group cannot leave its namespace (its members would stay behind).
ip netns add elsewhere
expect_fail "" ip link set itops2 netns elsewhere
link_exists itops2 || fail "itops2 left the namespace"
ok "itops2 stays in its namespace"
# A member moved to another namespace leaves the group.
ip link set net0 netns elsewhere
expect_eq "$(members_of itops2)" "net1" "itops2 after net0 moved to another namespace"
