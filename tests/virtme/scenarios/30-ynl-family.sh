#!/usr/bin/env bash
# The generic netlink family through the kernel's own YNL CLI
# (tools/net/ynl/cli.py of the test kernel's source tree) and the spec
# docs/netlink/ipmp.yaml alone, no crate of this project: group-get (do
# and dump), member-get (do and dump by group), binding-get agree with
# ipmpadm; member-set changes a flag (and refuses an unknown one with the
# kernel's extack message); a subscriber to the "events" multicast group
# sees the change.
#
#   itops0 ─┬─ net0 ── sw-net0 ─┐
#           ├─ net1 ── sw-net1 ─┼─ sw0 ── peer-sw ── [peer] 192.0.2.2
#           └─ net2 ── sw-net2 ─┘   (net2 standby)
#   data addresses 192.0.2.11, 192.0.2.12
. ../lib.sh
load_ipmp
KSRC=/lib/modules/$(uname -r)/build/source
[ -f "$KSRC/tools/net/ynl/cli.py" ] || fail "no YNL CLI in the kernel source ($KSRC)"
SPEC=$(cd ../../.. && pwd)/docs/netlink/ipmp.yaml
ynl() {
    python3 "$KSRC/tools/net/ynl/cli.py" --spec "$SPEC" \
        --schema "$KSRC/Documentation/netlink/genetlink.yaml" --output-json "$@"
}
three_members_lan
group itops0 net0 net1 net2
ipmpadm set-member net2 --standby on
ip addr add 192.0.2.11/24 dev itops0
ip addr add 192.0.2.12/24 dev itops0
sleep 0.5
ifindex() { cat "/sys/class/net/$1/ifindex"; }
g=$(ifindex itops0)

groups=$(ynl --dump group-get)
echo "$groups"
expect_eq "$(jq -r 'length' <<<"$groups")" 1 "group-get dump: one group"
expect_eq "$(jq -r '.[0] | "\(.ifindex) \(.ifname) \(."group-name") \(."group-state") \(.policy) \(."announce-count") \(."announce-interval")"' <<<"$groups")" \
    "$g itops0 itops0 ok kernel 3 500" "group-get dump: the group's attributes, enums by name"
expect_eq "$(jq -c '.[0].members.ifindex' <<<"$groups")" \
    "[$(ifindex net0),$(ifindex net1),$(ifindex net2)]" "group-get: members in join order"
expect_eq "$(ynl --do group-get --json "{\"ifindex\": $g}" | jq -r .ifname)" itops0 "group-get do"

m2=$(ynl --do member-get --json "{\"ifindex\": $(ifindex net2)}")
echo "$m2"
expect_eq "$(jq -c '[.ifname, ."group-ifindex", .flags, .carrier, .active]' <<<"$m2")" \
    "[\"net2\",$g,[\"standby\"],1,0]" "member-get do net2: a standby, flags by name, not active"
members=$(ynl --dump member-get --json "{\"group-ifindex\": $g}")
expect_eq "$(jq -r 'map(.ifname) | join(" ")' <<<"$members")" "net0 net1 net2" "member-get dump by group"
# Bound addresses (IPv4 and IPv6), as hex bytes: each member's agree with ipmpadm.
hex() { python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).packed.hex())' "$1"; }
for n in net0 net1; do
    want=$(for a in $(member_field "$n" 'addresses[]'); do hex "$a"; done | xargs)
    expect_ne "$want" "" "$n holds an address"
    expect_eq "$(jq -r --arg n "$n" '.[] | select(.ifname == $n) | .addresses.address | join(" ")' <<<"$members")" \
        "$want" "member-get: $n's bound addresses"
done
bindings=$(ynl --dump binding-get --json "{\"group-ifindex\": $g}")
expect_eq "$(jq -r --arg a "$(hex 192.0.2.11)" '.[] | select(.address == $a) | .ifindex' <<<"$bindings")" \
    "$(member_field "$(ipmpadm -j show | jq -r '.[].members[] | select(.addresses | index("192.0.2.11")) | .interface')" ifindex)" \
    "binding-get: 192.0.2.11's member"

# A subscriber to "events" sees member-set's change.
ynl --subscribe events --sleep 4 > /tmp/ynl-events.json 2>&1 &
sub=$!
sleep 2
ynl --do member-set --json "{\"ifindex\": $(ifindex net1), \"flags\": 4, \"flags-mask\": 4}" >/dev/null
expect_eq "$(kflags net1)" "--F-" "member-set: net1 failed"
wait "$sub" || fail "the subscriber failed: $(cat /tmp/ynl-events.json)"
expect_ge "$(jq --argjson i "$(ifindex net1)" '[.[] | select(.name == "event" and .msg.ifindex == $i and .msg.event == "member-changed" and (.msg.flags | index("failed")))] | length' /tmp/ynl-events.json)" 1 \
    "the subscriber saw net1's member-changed event with the failed flag"
out=$(ynl --do member-set --json "{\"ifindex\": $(ifindex net1), \"flags\": 16, \"flags-mask\": 16}" 2>&1) &&
    fail "an unknown flag was accepted: $out"
case $out in
    *"unknown member flag bits 0x10"*) ok "an unknown flag refused with the kernel's message" ;;
    *) fail "unknown flag: $out" ;;
esac
ynl --do member-set --json "{\"ifindex\": $(ifindex net1), \"flags\": 0, \"flags-mask\": 4}" >/dev/null
expect_eq "$(kflags net1)" "----" "member-set: net1 back"
