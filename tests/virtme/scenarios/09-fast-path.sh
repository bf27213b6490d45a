#!/usr/bin/env bash
# The fast path with traffic: data delivered to itops0 both ways, 64 TCP
# connections spread evenly and sticky, a member lost mid-transfer moves
# only its own connections, broadcast and multicast received once, and a
# test address reachable through an inactive member.
#
#                        [root]           [switch]
#   itops0 192.0.2.1 ─┬─ net0 ── sw-net0 ─┐
#                     ├─ net1 ── sw-net1 ─┼─ sw0 ── peer-sw ── [peer] eth0 192.0.2.2
#                     └─ net2 ── sw-net2 ─┘
#                        net2 also has the test address 192.0.2.22
. ../lib.sh
load_ipmp
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

three_members_lan
group itops0 net0 net1 net2
ip addr add 192.0.2.1/24 dev itops0
ip addr add 192.0.2.22/32 dev net2

# --- data both ways -------------------------------------------------------
ping -q -c 3 -i 0.2 -W 2 192.0.2.2 >/dev/null || fail "itops0 cannot reach the peer"
ok "ping itops0 -> peer"
ip netns exec peer ping -q -c 3 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "peer cannot reach itops0"
ok "ping peer -> itops0"
expect_ge "$(stat_of itops0 rx packets)" 6 "itops0 rx packets"
peer_arp=$(ip -n peer -j neigh show 192.0.2.1 | jq -r '.[0].lladdr')
case " $(mac_of net0) $(mac_of net1) $(mac_of net2) " in
    *" $peer_arp "*) ok "the peer sees 192.0.2.1 at a member's MAC ($peer_arp)" ;;
    *) fail "the peer sees 192.0.2.1 at $peer_arp, not a member's MAC" ;;
esac

# --- 64 connections: spread and sticky; then net1 is lost ----------------
ip netns exec peer python3 ../tcpflows.py serve 5001 &
wait_for 10 "the peer's server listening on 5001" listening peer 5001
capture() {  # capture PHASE: SYN-or-data packets to the server, per member port
    local n
    for n in net0 net1 net2; do
        ip netns exec switch tcpdump -l -n -i "sw-$n" 'tcp dst port 5001' 2>"/tmp/$1.$n.err" |
            awk '{split($3, a, "."); if (a[5] ~ /^[0-9]+$/) print a[5]}' > "/tmp/$1.$n" &
    done
    for n in net0 net1 net2; do tcpdump_ready "/tmp/$1.$n.err"; done
}
capture phase1
coproc CLIENT { python3 ../tcpflows.py connect 192.0.2.2 5001 64; }
read -r -t 60 ports <&"${CLIENT[0]}" || fail "the 64 connections did not open"
sleep 1
pkill -f "tcpdump -l -n -i sw-net" || true
sleep 0.5

declare -A first
counts=()
for n in net0 net1 net2; do
    count=$(sort -u "/tmp/phase1.$n" | wc -l)
    counts+=("$count")
    echo "$n carried $count of 64 connections"
    for p in $(sort -u "/tmp/phase1.$n"); do
        [ -z "${first[$p]:-}" ] || fail "connection from port $p left by ${first[$p]} and $n"
        first[$p]=$n
    done
done
expect_eq "${#first[@]}" 64 "connections seen, each on exactly one member"
# Each new flow takes the next member in turn: 64 = 21 + 21 + 22 exactly.
expect_eq "$(printf '%s\n' "${counts[@]}" | sort -n | paste -sd/)" 21/21/22 "connections per member"
of_net1=$(sort -u /tmp/phase1.net1 | wc -l)

capture phase2
sw link set sw-net1 down
echo go >&"${CLIENT[1]}"
read -r -t 60 result <&"${CLIENT[0]}" || true
expect_eq "$result" done "every connection survived the loss of net1"
sleep 1
pkill -f "tcpdump -l -n -i sw-net" || true
sleep 0.5
moved=0
for n in net0 net2; do
    for p in $(sort -u "/tmp/phase2.$n"); do
        case ${first[$p]:-} in
            "$n") ;;
            net1) moved=$((moved + 1)) ;;
            *) fail "connection $p moved from ${first[$p]:-nowhere} to $n although its member stayed" ;;
        esac
    done
done
# Every connection net1 carried was seen again on another member.
expect_eq "$moved" "$of_net1" "net1's connections moved to the others, all of them"
sw link set sw-net1 up

# --- broadcast and multicast arrive once ----------------------------------
python3 - <<'PY' &
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9999))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton("239.1.1.1"), socket.inet_aton("192.0.2.1")))
s.settimeout(3)
n = 0
try:
    while True:
        s.recv(100)
        n += 1
except socket.timeout:
    pass
open("/tmp/udp.count", "w").write(str(n))
PY
listener=$!
sleep 1
ip netns exec peer python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.2"))
for i in range(5):
    s.sendto(b"b", ("192.0.2.255", 9999))
    s.sendto(b"m", ("239.1.1.1", 9999))
PY
wait "$listener"
expect_eq "$(cat /tmp/udp.count)" 10 "5 broadcasts and 5 multicasts received once each (3 members)"

# --- a test address answers through its member, even inactive -------------
ip netns exec peer ping -q -c 2 -i 0.2 -W 2 192.0.2.22 >/dev/null || fail "test address unreachable"
ok "peer reaches the test address on net2"
expect_eq "$(ip -n peer -j neigh show 192.0.2.22 | jq -r '.[0].lladdr')" "$(mac_of net2)" \
    "the test address is at net2's own MAC (itops0 does not claim it)"
ipmpadm set-member net2 --inactive on
expect_eq "$(active_set itops0)" "net0 net1" "net2 inactive"
ping -q -c 2 -i 0.2 -W 2 -I net2 192.0.2.2 >/dev/null || fail "probe through inactive net2 failed"
ok "probe from the test address through inactive net2 gets replies"
ip netns exec peer ping -q -c 2 -i 0.2 -W 2 192.0.2.22 >/dev/null || fail "test address unreachable while inactive"
ok "the test address answers while net2 is inactive"
