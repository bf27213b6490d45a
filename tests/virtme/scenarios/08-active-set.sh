#!/usr/bin/env bash
# Member states in the kernel: the active set with no daemon (standby used
# only while no other member works), carrier loss acted on at once, flags
# set over generic netlink, nominees, daemon policy, events, permissions
# and refusals.
#
#   itops0 ─┬─ net0 ── sw-net0
#           ├─ net1 ── sw-net1
#           └─ net2 ── sw-net2   (standby)
. ../lib.sh
load_ipmp

for n in net0 net1 net2; do veth "$n" "sw-$n"; done
group itops0 net0 net1 net2
ipmpadm set-member net2 --standby on

ipmpadm monitor > /tmp/events.txt &
monitor=$!
sleep 0.5

expect_eq "$(active_set itops0)" "net0 net1" "no daemon: primaries active, standby waits"
expect_eq "$(kflags net2)" "-s--" "net2 flags (standby)"
expect_eq "$(roles_of net0)" mbM "net0, first member, holds every nominee role"
expect_eq "$(ipmpadm -j show | jq -r '.[0].state')" ok "group state ok"

# Carrier lost at the switch: out of the active set at once.
ip link set sw-net0 down
expect_eq "$(active_set itops0)" "net1" "net0 lost carrier"
expect_eq "$(member_field net0 link)" down "net0 link (carrier)"
expect_eq "$(roles_of net1)" mbM "nominee roles moved to net1"
expect_eq "$(ipmpadm -j show | jq -r '.[0].state')" degraded "group state degraded"
ip link set sw-net1 down
expect_eq "$(active_set itops0)" "net2" "both primaries lost: standby steps in"
ip link set sw-net0 up
expect_eq "$(active_set itops0)" "net0" "net0 back: standby steps back"
expect_eq "$(roles_of net0)" mbM "roles left the standby for net0"
ip link set sw-net1 up
expect_eq "$(active_set itops0)" "net0 net1" "all back"
expect_eq "$(roles_of net0)" mbM "the nominee keeps its roles while active"
expect_eq "$(roles_of net1)" - "net1 holds no role"

# Flags from userspace.
ipmpadm set-member net1 --failed on
expect_eq "$(active_set itops0)" "net0" "net1 marked failed"
expect_eq "$(roles_of net0)" mbM "roles move off a failed member"
ipmpadm set-member net1 --failed off --offline on
expect_eq "$(active_set itops0)" "net0" "net1 offline"
expect_eq "$(kflags net1)" "---O" "net1 flags (offline only)"
ipmpadm set-member net1 --offline off
ipmpadm set-member net0 --inactive on
expect_eq "$(active_set itops0)" "net1" "net0 inactive"
ipmpadm set-member net0 --inactive off
ipmpadm set-member net0 --failed on
ipmpadm set-member net1 --failed on
expect_eq "$(active_set itops0)" "net2" "both primaries failed: standby"
expect_eq "$(carrier_of itops0)" 1 "itops0 keeps carrier through the standby"
ipmpadm set-member net2 --failed on
expect_eq "$(active_set itops0)" "" "every member failed"
expect_eq "$(carrier_of itops0)" 0 "itops0 loses carrier with no active member"
expect_eq "$(ipmpadm -j show | jq -r '.[0].state')" failed "group state failed"
ipmpadm set-member net0 --failed off
ipmpadm set-member net1 --failed off
ipmpadm set-member net2 --failed off
expect_eq "$(carrier_of itops0)" 1 "itops0 carrier back"

# A daemon takes over the standby rule: the standby is just a label.
ipmpadm set-group itops0 --policy daemon
expect_eq "$(active_set itops0)" "net0 net1 net2" "daemon policy: standby active unless inactive"
ipmpadm set-member net2 --inactive on
expect_eq "$(active_set itops0)" "net0 net1" "daemon made net2 inactive"

# Group settings.
ipmpadm set-group itops0 --name production --announce-count 5 --announce-interval 250
expect_eq "$(ipmpadm -j show | jq -r '.[0] | "\(.groupname) \(.announce_count) \(.announce_interval_ms)"')" \
    "production 5 250" "group name and announcement settings"

# Refusals, with the kernel's message.
expect_fail "sw-net0 is not in an IPMP group" ipmpadm set-member sw-net0 --failed on
expect_fail "net0 is not an IPMP interface" ipmpadm set-group net0 --announce-count 2
expect_fail "ANNOUNCE_COUNT is at most 100" ipmpadm set-group itops0 --announce-count 101
expect_fail "ANNOUNCE_INTERVAL is 1 to 60000 ms" ipmpadm set-group itops0 --announce-interval 0
expect_fail "GROUP_NAME is 1 to 31 printable characters" ipmpadm set-group itops0 --name "a b"
# Unprivileged: reading works, changing is refused.
expect_eq "$(setpriv --reuid=65534 --regid=65534 --clear-groups ipmpadm -j show | jq length)" 1 \
    "an unprivileged user can read"
expect_fail "Operation not permitted" \
    setpriv --reuid=65534 --regid=65534 --clear-groups ipmpadm set-member net0 --failed on
expect_eq "$(kflags net0)" "----" "net0 flags unchanged by the refused request"
# Containers: root of a user namespace that owns its network namespace
# manages the groups there and sees no other; a user namespace alone (in
# the host's network namespace) grants nothing.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
[ ! -e /proc/sys/kernel/unprivileged_userns_clone ] ||
    sysctl -qw kernel.unprivileged_userns_clone=1
expect_fail "Operation not permitted" nobody unshare -Ur ipmpadm set-member net0 --failed on
expect_fail "Operation not permitted" nobody unshare -Ur ipmpadm set-group itops0 --announce-count 7
expect_eq "$(kflags net0)" "----" "net0 flags unchanged by a user namespace's root"
container=$(nobody unshare -Urn sh -c '
    ip link add c0 type veth peer name c1 &&
    ip link add itops9 type ipmp &&
    ip link set c0 master itops9 &&
    ipmpadm set-group itops9 --announce-count 7 &&
    ipmpadm set-member c0 --failed on &&
    ipmpadm -j show') || fail "root of a container could not manage its own group"
expect_eq "$(jq -r '[.[].group] | join(" ")' <<<"$container")" itops9 "the container sees its own group only"
expect_eq "$(jq -r '.[0].announce_count' <<<"$container")" 7 "the container's group setting"
expect_eq "$(jq -r '.[0].members[0] | "\(.failed) \(.state)"' <<<"$container")" "true failed" "the container's member marked failed"
expect_eq "$(ipmpadm -j show | jq -r '[.[].group] | join(" ")')" itops0 "the host sees its own group only"

# Events were sent for what changed, also for a member leaving.
ip link set net2 nomaster
sleep 0.5
kill "$monitor"
grep -q "^removed net2" /tmp/events.txt || fail "no event for net2 leaving"
grep -q "^changed net0 flags - carrier down active no" /tmp/events.txt || {
    cat /tmp/events.txt
    fail "no event for net0 losing carrier"
}
grep -q "^changed net2 flags standby carrier up active yes" /tmp/events.txt ||
    fail "no event for the standby stepping in"
ok "events seen: $(wc -l < /tmp/events.txt)"

