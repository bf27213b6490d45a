#!/usr/bin/env bash
# in.mpathd's own costs, played in the VM by scripts/bench-mpathd (not a
# test), for each daemon binary given (label=path ...):
#   - CPU and resident memory with 8 members at FDT 10 s, probing a peer
#     given by PROBE_TARGETS, over 60 s;
#   - reaction to a new router: with no route and no target, the time from
#     `ip route add default via PEER` to the first probe result naming the
#     peer (probe stream), FDT 1 s, 5 times.
# Prints @@bench {"test":..., "system":LABEL, "value":..., "unit":...}.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../scenarios"
. ../lib.sh
set +e
PEER=192.168.20.2
emit() { printf '@@bench {"test":"%s","system":"%s","value":%s,"unit":"%s"}\n' "$1" "$2" "$3" "$4"; }

load_ipmp
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns add switch
ip -n switch link add sw0 type bridge
ip -n switch link set sw0 up
ip netns add peer
ip link add peer-sw netns switch type veth peer name eth0 netns peer
ip -n switch link set peer-sw master sw0 up
ip -n peer link set eth0 up
ip -n peer addr add $PEER/24 dev eth0
ip link add itops0 type ipmp
for i in $(seq 0 7); do
    ip link add "m$i" type veth peer name "sw-m$i" netns switch
    ip -n switch link set "sw-m$i" master sw0 up
    ip link set "m$i" master itops0
    ip link set "m$i" up
    ip addr add "192.168.20.$((10 + i))/24" dev "m$i" noprefixroute
done
ip link set itops0 up
ip addr add 192.168.20.1/24 dev itops0

for spec in "$@"; do
    label=${spec%%=*} bin=${spec#*=}
    echo "== $label: $bin"
    printf 'PROBE_TARGETS=%s\n' $PEER > /tmp/mpathd.conf
    rm -f "$MPATHD_SOCK"
    "$bin" -a -f /tmp/mpathd.conf >/dev/null 2>&1 &
    pid=$!
    sleep 10
    t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    sleep 60
    t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    emit mpathd-cpu-8-members "$label" "$(echo "scale=3; ($t1 - $t0) * 100 / $(getconf CLK_TCK) / 60" | bc)" "%"
    emit mpathd-rss-8-members "$label" "$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$pid/status")" MiB
    kill "$pid"; wait "$pid" 2>/dev/null

    echo "FAILURE_DETECTION_TIME=1000" > /tmp/mpathd.conf
    rm -f "$MPATHD_SOCK"
    "$bin" -a -f /tmp/mpathd.conf >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do [ -S "$MPATHD_SOCK" ] && break; sleep 0.1; done
    sleep 3
    for rep in 1 2 3 4 5; do
        : > /tmp/probes
        (echo '{"op":"probes"}' | socat -t 30 - "UNIX-CONNECT:$MPATHD_SOCK" |
            while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done >> /tmp/probes) &
        reader=$!
        sleep 1
        t0=$EPOCHREALTIME
        ip route add default via $PEER dev itops0
        first=""
        for _ in $(seq 100); do
            first=$(awk -v t0="$t0" '$1 > t0 && /"target":"192.168.20.2"/ {print $1; exit}' /tmp/probes)
            [ -n "$first" ] && break
            sleep 0.1
        done
        [ -n "$first" ] && emit mpathd-new-router-ms "$label" "$(ms_between "$t0" "$first")" ms
        ip route del default via $PEER dev itops0
        pkill -P "$reader" 2>/dev/null; kill "$reader" 2>/dev/null
        sleep 3
    done
    kill "$pid"; wait "$pid" 2>/dev/null
done
ip link del itops0
for i in $(seq 0 7); do ip link del "m$i" 2>/dev/null; done
echo "== done"
