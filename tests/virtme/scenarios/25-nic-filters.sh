#!/usr/bin/env bash
# On a real NIC driver: three virtio-net members and a peer NIC on one QEMU
# hub (the hub repeats every frame to every port; each NIC drops what the
# receive filter its driver programmed does not let through, as hardware
# does). The group's multicast memberships and its promiscuous and
# all-multicast state reach every member's filter: the peer reaches each
# IPv6 data address (neighbour solicitations go to solicited-node groups
# joined on itops0) and multicast joined on itops0 arrives, before and
# after a failover; a member that leaves has its own lists and counts
# back; a VLAN on the group works across a failover (its id in the
# members' VLAN filters); ethtool shows the group's speed as the sum of its
# active members'.
# The group's own announcements, which the hub floods back to the
# other members, never reach it: DAD succeeds on itops0 and the kernel log
# has no "advertised our address".
#
#   itops0 ─┬─ m0 (52:54:00:07:00:01) ─┐
#           ├─ m1 (52:54:00:07:00:02) ─┼─ QEMU hub ── peer NIC (52:54:00:07:00:00)
#           └─ m2 (52:54:00:07:00:03) ─┘              [netns peer] 192.0.2.2, 2001:db8::2
#   data addresses 192.0.2.10, 2001:db8::10-12 (DAD on)
. ../lib.sh
load_ipmp

p=$(hub_nic 0) && m0=$(hub_nic 1) && m1=$(hub_nic 2) && m2=$(hub_nic 3) ||
    fail "no QEMU hub NICs in this VM (vmtest adds four)"
for n in "$p" "$m0" "$m1" "$m2"; do
    expect_eq "$(driver_of "$n")" virtio_net "driver of $n"
done

ip netns add peer
at_exit "ip -n peer link set $p netns 1"
ip link set "$p" netns peer
ip -n peer link set lo up
ip -n peer link set "$p" up
ip -n peer addr add 192.0.2.2/24 dev "$p"
ip -n peer addr add 2001:db8::2/64 dev "$p" nodad

counts() { ip -j -d link show "$1" | jq -c '.[0] | [.promiscuity, .allmulti]'; }
link_local_ready() {  # link_local_ready IF: its fe80:: address is configured
    local out
    out=$(ip -6 addr show dev "$1" scope link)
    [[ $out == *"inet6 fe80"* && $out != *tentative* ]]
}
# Each member's own lists (all-nodes, its link-local's solicited-node
# group, 224.0.0.1) and counts, once its link-local address is configured.
declare -A own own_counts
for m in "$m0" "$m1" "$m2"; do ip link set "$m" up; done
for m in "$m0" "$m1" "$m2"; do
    wait_for 30 "$m has its IPv6 link-local address" link_local_ready "$m"
    own[$m]=$(maddr_of "$m")
    own_counts[$m]=$(counts "$m")
done

group itops0 "$m0" "$m1" "$m2"
ipmpadm set-group itops0 --announce-count 3 --announce-interval 200
ip addr add 192.0.2.10/24 dev itops0
for i in 10 11 12; do ip addr add "2001:db8::$i/64" dev itops0; done

# DAD on itops0: its solicitations, sent by one member, come back through
# the others; if they reached itops0 they would count as another host's.
tentative() { ip -6 addr show dev itops0 scope global | grep -q tentative; }
not() { ! "$@"; }
wait_for 30 "DAD done on itops0's IPv6 data addresses" not tentative
expect_eq "$(ip -6 addr show dev itops0 scope global | grep -c dadfailed)" 0 "data addresses failing DAD"

# The members' filters: the solicited-node groups of the data addresses
# (ff02::1:ff00:1x -> 33:33:ff:00:00:1x) are in every member's list.
for m in "$m0" "$m1" "$m2"; do
    for i in 10 11 12; do
        grep -q "^33:33:ff:00:00:$i\b" <<<"$(maddr_of "$m")" ||
            fail "$m's multicast list lacks itops0's solicited-node group 33:33:ff:00:00:$i: $(maddr_of "$m" | paste -sd,)"
    done
done
ok "every member's filter has itops0's solicited-node groups"

bound_to() {  # bound_to ADDR: the member ADDR is bound to
    ipmpadm -j show | jq -r --arg a "$1" '.[].members[] | select(.addresses | index($a)) | .interface'
}
# reach_all WHEN: the peer resolves (neighbour discovery through the
# members' filters) and pings every data address, and sees each at the MAC
# of the member it is bound to.
reach_all() {
    local a m
    ip -n peer neigh flush dev "$p"
    for a in 192.0.2.10 2001:db8::10 2001:db8::11 2001:db8::12; do
        ip netns exec peer ping -q -c 1 -W 3 "$a" >/dev/null || fail "$1: $a unreachable from the peer"
        m=$(bound_to "$a")
        expect_eq "$(ip -n peer -j neigh show "$a" | jq -r '.[0].lladdr')" "$(mac_of "$m")" \
            "$1: the peer sees $a at the MAC of $m"
    done
}
# multicast_arrives WHEN GROUP: 5 datagrams sent by the peer to GROUP, joined
# on itops0, all received.
multicast_arrives() {
    local line
    coproc RECV { python3 ../mcast.py recv itops0 "$2" 5000 15; }
    read -r -t 30 line <&"${RECV[0]}"
    [ "$line" = joined ] || fail "$1: the receiver did not join $2: '$line'"
    ip netns exec peer python3 ../mcast.py send "$p" "$2" 5000 5
    sleep 1
    echo done >&"${RECV[1]}"
    read -r -t 30 line <&"${RECV[0]}"
    wait "$RECV_PID"
    expect_eq "$line" "received 5" "$1: datagrams to $2 received on itops0"
}

# ethtool: the group's driver, link, and the sum of its active members'
# speeds (each NIC reports 1000 Mb/s full duplex).
ethtool_field() { ethtool "$1" | sed -n "s/^[[:space:]]*$2: //p"; }
expect_eq "$(ethtool -i itops0 | sed -n 's/^driver: //p')" ipmp "ethtool -i itops0: driver"
expect_eq "$(ethtool_field itops0 'Link detected')" yes "ethtool itops0: link"
expect_eq "$(ethtool_field "$m0" Speed)" 1000Mb/s "ethtool $m0: speed (control)"
expect_eq "$(ethtool_field itops0 Speed)" 3000Mb/s "ethtool itops0: speed, three active members"
expect_eq "$(ethtool_field itops0 Duplex)" Full "ethtool itops0: duplex"

reach_all "all members active"
multicast_arrives "all members active" 239.1.2.3
multicast_arrives "all members active" ff0e::1:2:3

# While joined, the IPv4 and IPv6 groups are in every member's list too.
python3 ../mcast.py recv itops0 239.1.2.3 5001 60 </dev/null >/tmp/hold4 &
hold4=$!
python3 ../mcast.py recv itops0 ff0e::1:2:3 5001 60 </dev/null >/tmp/hold6 &
hold6=$!
wait_for 20 "both groups joined on itops0" grep -qs joined /tmp/hold4 /tmp/hold6
joined_everywhere() {
    local m mac
    for m in "$m0" "$m1" "$m2"; do
        for mac in 01:00:5e:01:02:03 33:33:00:02:00:03; do
            grep -q "^$mac\b" <<<"$(maddr_of "$m")" || return 1
        done
    done
}
joined_everywhere || fail "a member's multicast list lacks a group joined on itops0: $(for m in "$m0" "$m1" "$m2"; do echo "$m: $(maddr_of "$m" | paste -sd,)"; done)"
ok "the groups joined on itops0 are in every member's list"
kill "$hold4" "$hold6"
wait "$hold4" "$hold6" 2>/dev/null || true

# Failover: the member of 2001:db8::10 is taken offline; its addresses move
# and are announced from their new members. The hub floods those
# announcements back to the other members: captured on one, they are there
# to be dropped (this is what would reach itops0 otherwise).
victim=$(bound_to 2001:db8::10)
witness=$m0
[ "$witness" != "$victim" ] || witness=$m1
tcpdump -l -n -e -i "$witness" -Q in 'icmp6 and ip6[40] == 136' >/tmp/na.txt 2>/tmp/na.err &
capture=$!
tcpdump_ready /tmp/na.err
moved_off() { local m; m=$(bound_to 2001:db8::10); [ -n "$m" ] && [ "$m" != "$1" ]; }
if_mpadm -d "$victim"
wait_for 10 "2001:db8::10 moved off $victim" moved_off "$victim"
sleep 1.5   # the 3 announcements, 200 ms apart
kill "$capture"
wait "$capture" 2>/dev/null || true
own_macs="$(mac_of "$m0")|$(mac_of "$m1")|$(mac_of "$m2")"
reflected=$(grep -Eci "^[0-9:.]+ ($own_macs) >" /tmp/na.txt || true)
expect_ge "$reflected" 1 "the group's advertisements flooded back to $witness (captured there)"
reach_all "$victim offline"
expect_eq "$(ethtool_field itops0 Speed)" 2000Mb/s "ethtool itops0: speed, two active members"
multicast_arrives "$victim offline" 239.1.2.3
multicast_arrives "$victim offline" ff0e::1:2:3
if_mpadm -r "$victim"

expect_eq "$(dmesg | grep -c 'advertised our address')" 0 "kernel warnings 'advertised our address'"
expect_eq "$(dmesg | grep -ci 'duplicate address')" 0 "kernel DAD failures"

# A VLAN on the group: its id reaches every member's VLAN filter (virtio-net
# filters VLANs), both families work over it across a failover, and the
# peer learns a member's MAC for it (never the group's own).
ethtool -k "$m0" | grep -q '^rx-vlan-filter: on' || fail "$m0 does not filter VLANs (the check below would prove nothing)"
ip link add link itops0 name itops0.100 type vlan id 100
ip link set itops0.100 up
ip addr add 198.51.100.10/24 dev itops0.100
ip addr add 2001:db8:100::10/64 dev itops0.100 nodad
ip -n peer link add link "$p" name vlan100 type vlan id 100
ip -n peer link set vlan100 up
ip -n peer addr add 198.51.100.2/24 dev vlan100
ip -n peer addr add 2001:db8:100::2/64 dev vlan100 nodad
member_macs=" $(mac_of "$m0") $(mac_of "$m1") $(mac_of "$m2") "
vlan_reach() {  # vlan_reach WHEN: both VLAN addresses answer at a member's MAC
    local a mac
    for a in 198.51.100.10 2001:db8:100::10; do
        ip netns exec peer ping -q -c 1 -W 3 "$a" >/dev/null || fail "$1: $a (VLAN 100) unreachable from the peer"
        mac=$(ip -n peer -j neigh show "$a" dev vlan100 | jq -r '.[0].lladdr')
        [[ $member_macs == *" $mac "* ]] || fail "$1: the peer sees $a at $mac, not a member's MAC ($member_macs)"
    done
    ok "$1: both families over VLAN 100, answered at members' MACs"
}
vlan_reach "VLAN 100, all members active"
# Tagged broadcast and multicast reach the group once, not once per member
# (every member's NIC takes them: the hub repeats them to all three).
tcpdump -l -n -i itops0.100 -Q in 'udp port 5002' >/tmp/vlan-rx.txt 2>/tmp/vlan-rx.err &
vlan_capture=$!
tcpdump_ready /tmp/vlan-rx.err
ip netns exec peer python3 ../mcast.py send vlan100 198.51.100.255 5002 5
ip netns exec peer python3 ../mcast.py send vlan100 224.0.0.1 5002 5
sleep 1
kill "$vlan_capture"
wait "$vlan_capture" 2>/dev/null || true
expect_eq "$(grep -c '198.51.100.255.5002' /tmp/vlan-rx.txt)" 5 "tagged broadcasts received on itops0.100 (once each)"
expect_eq "$(grep -c '224.0.0.1.5002' /tmp/vlan-rx.txt)" 5 "tagged multicasts received on itops0.100 (once each)"
# The member the peer uses for the VLAN's IPv4 address goes offline; the
# peer's entry is not flushed: the announcements must move it.
vlan_mac=$(ip -n peer -j neigh show 198.51.100.10 dev vlan100 | jq -r '.[0].lladdr')
for m in "$m0" "$m1" "$m2"; do [ "$(mac_of "$m")" != "$vlan_mac" ] || vlan_victim=$m; done
if_mpadm -d "$vlan_victim"
vlan_moved() { [ "$(ip -n peer -j neigh show 198.51.100.10 dev vlan100 | jq -r '.[0].lladdr')" != "$vlan_mac" ]; }
wait_for 10 "the peer's entry for 198.51.100.10 moved off $vlan_victim (announced)" vlan_moved
vlan_reach "VLAN 100, $vlan_victim offline"
if_mpadm -r "$vlan_victim"
ip link del itops0.100

# Promiscuous and all-multicast state (tcpdump -i itops0, or a bridge
# above): each member holds one count while the group is.
ip link set itops0 promisc on allmulticast on
for m in "$m0" "$m1" "$m2"; do expect_eq "$(counts "$m")" "[1,1]" "$m's promiscuity and allmulti with itops0 promiscuous"; done
# A member that joins now takes the state; one that leaves gives it back.
ip link set "$m2" nomaster
expect_eq "$(counts "$m2")" "[0,0]" "$m2's counts after leaving"
ip link set "$m2" master itops0
expect_eq "$(counts "$m2")" "[1,1]" "$m2's counts after joining a promiscuous group"
ip link set itops0 promisc off allmulticast off
for m in "$m0" "$m1" "$m2"; do expect_eq "$(counts "$m")" "[0,0]" "$m's counts with itops0 back to normal"; done

# A released member's lists and counts are its own again.
ip link set itops0 promisc on
ip link set "$m0" nomaster
expect_eq "$(maddr_of "$m0")" "${own[$m0]}" "$m0's multicast list after leaving"
expect_eq "$(counts "$m0")" "${own_counts[$m0]}" "$m0's promiscuity and allmulti after leaving"

# Deleting the group (promiscuous, with its addresses) gives every
# remaining member its own lists and counts back.
ip link del itops0
for m in "$m1" "$m2"; do
    expect_eq "$(maddr_of "$m")" "${own[$m]}" "$m's multicast list after the group was deleted"
    expect_eq "$(counts "$m")" "${own_counts[$m]}" "$m's counts after the group was deleted"
done
