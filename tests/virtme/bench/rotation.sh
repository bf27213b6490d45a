#!/usr/bin/env bash
# Source address rotation, measured by `scripts/bench rotation` (not a
# test): how inbound bytes spread over three members when this host opens
# connections to one peer or to four, for bonding balance-alb (receive
# load balancing by ARP, per peer) and ipmp with 1, 3 and 6 data addresses
# (in.mpathd rotating sources); and what the connect4 program costs a
# connect(), with rotation on and off in the same boot.
#
# Prints @@bench lines like bench.sh.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../scenarios"
. ../lib.sh
set -e
CONNS=$(cd .. && pwd)/conns.py
N=${ROT_CONNECTIONS:-48}
LATENCY=${ROT_LATENCY:-400}
BYTES=131072
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none "$CG"

emit() {  # emit TEST SYSTEM VALUE UNIT
    printf '@@bench {"test":"%s","system":"%s","value":%s,"unit":"%s"}\n' "$1" "$2" "$3" "$4"
}

modprobe bonding max_bonds=0
load_ipmp
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# The LAN: switch sw0, peers p1-p4 (192.0.2.101-104), each serving BYTES
# per connection on port 5001.
ip netns add switch
ip -n switch link set lo up
ip -n switch link add sw0 type bridge
ip -n switch link set sw0 up
for p in 1 2 3 4; do
    ip netns add "p$p"
    ip -n "p$p" link set lo up
    ip link add "p$p-sw" netns switch type veth peer name eth0 netns "p$p"
    ip -n switch link set "p$p-sw" master sw0 up
    ip -n "p$p" link set eth0 up
    ip -n "p$p" addr add "192.0.2.10$p/24" dev eth0
    ip netns exec "p$p" python3 "$CONNS" serve 5001 "$BYTES" >/dev/null &
done

members() {
    local i
    for i in 0 1 2; do
        ip link add "m$i" type veth peer name "sw-m$i" netns switch
        ip -n switch link set "sw-m$i" master sw0 up
    done
}

teardown() {
    pkill -x in.mpathd 2>/dev/null || true
    sleep 0.3
    for l in itops0 bond0 m0 m1 m2; do ip link del "$l" 2>/dev/null || true; done
    sleep 0.3
}

# setup SYSTEM: bond-alb, or ipmpK (K data addresses 192.0.2.11...).
setup() {
    teardown
    members
    case $1 in
        bond-alb)
            ip link add bond0 type bond mode balance-alb miimon 100
            for i in 0 1 2; do ip link set "m$i" master bond0; done
            ip link set bond0 up
            ip addr add 192.0.2.11/24 dev bond0 ;;
        ipmp*)
            ip link add itops0 type ipmp
            for i in 0 1 2; do ip link set "m$i" master itops0; ip link set "m$i" up; done
            ip link set itops0 up
            for a in $(seq 1 "${1#ipmp}"); do ip addr add "192.0.2.$((10 + a))/24" dev itops0; done
            printf 'FAILURE_DETECTION_TIME=10000\n' > /tmp/rot-bench.conf
            in.mpathd -a -f /tmp/rot-bench.conf >/tmp/rot-bench.log 2>&1 &
            wait_for 10 "rotation on" grep -q "source address rotation on" /tmp/rot-bench.log ;;
    esac
    for p in 1 2 3 4; do ping -q -c 1 -W 2 "192.0.2.10$p" >/dev/null || echo "warning: p$p unreachable"; done
    sleep 1
}

rx() { cat "/sys/class/net/$1/statistics/rx_bytes"; }

# spread SYSTEM PEERS: N connections spread over the first PEERS peers;
# emits the largest member's share of the inbound bytes (100/3 = even).
spread() {
    local system=$1 peers=$2 p dsts="" a0 a1 a2 t
    for p in $(seq "$peers"); do dsts+="${dsts:+,}192.0.2.10$p"; done
    a0=$(rx m0) a1=$(rx m1) a2=$(rx m2)
    python3 "$CONNS" connect "$dsts" 5001 "$N" >/dev/null
    a0=$(( $(rx m0) - a0 )) a1=$(( $(rx m1) - a1 )) a2=$(( $(rx m2) - a2 ))
    t=$(( a0 + a1 + a2 ))
    echo "$system, $peers peer(s): m0 $a0 m1 $a1 m2 $a2 bytes"
    emit "inbound-largest-share-$peers" "$system" "$(echo "100 * $(printf '%s\n' $a0 $a1 $a2 | sort -n | tail -1) / $t" | bc -l | xargs printf '%.1f')" "%"
}

for sys in bond-alb ipmp1 ipmp3 ipmp6; do
    setup "$sys"
    spread "$sys" 1
    spread "$sys" 4
done

# connect() latency: the median time connect() takes (LATENCY
# connections to one peer), rotation on, then off (the daemon gone), twice.
ip netns exec p1 python3 "$CONNS" serve 5002 0 >/dev/null &
latency() {  # latency LABEL
    emit connect-latency "$1" "$(python3 "$CONNS" time 192.0.2.101 5002 "$LATENCY")" us
}
setup ipmp3
latency rotation-on
pkill -x in.mpathd
sleep 1
latency rotation-off
in.mpathd -a -f /tmp/rot-bench.conf >/tmp/rot-bench.log 2>&1 &
sleep 2
latency rotation-on
pkill -x in.mpathd
sleep 1
latency rotation-off
teardown
for p in 1 2 3 4; do ip netns del "p$p"; done
ip netns del switch
echo "rotation: $N connections per spread, $LATENCY per latency run"
