#!/usr/bin/env bash
# The benchmark played in the VM by scripts/bench (not a test): the same
# three veth members, the same switch (a bridge in netns "switch") and the
# same peer (netns "peer", 192.168.20.2) for every system:
#
#   raw veth | bonding balance-tlb | bonding active-backup | team
#   loadbalance | ipmp (2 and 3 active members)
#
# Prints one line per measurement: @@bench {"test":..., "system":...,
# "value":..., "unit":...}. Under software emulation: compare the ratios
# within one run, not the absolute numbers with real hardware.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../scenarios"
. ../lib.sh
set +e
REPS=${BENCH_REPS:-5}
SECS=${BENCH_SECONDS:-3}
PEER=192.168.20.2
UDPGAP=$(cd .. && pwd)/bench/udpgap.py

emit() {  # emit TEST SYSTEM VALUE UNIT
    printf '@@bench {"test":"%s","system":"%s","value":%s,"unit":"%s"}\n' "$1" "$2" "$3" "$4"
}

modprobe bonding max_bonds=0 2>/dev/null
modprobe team 2>/dev/null
modprobe team_mode_loadbalance 2>/dev/null
modprobe team_mode_activebackup 2>/dev/null
load_ipmp
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# The LAN, built once.
ip netns add switch
ip -n switch link set lo up
ip -n switch link add sw0 type bridge
ip -n switch link set sw0 up
ip netns add peer
ip -n peer link set lo up
ip link add peer-sw netns switch type veth peer name eth0 netns peer
ip -n switch link set peer-sw master sw0 up
ip -n peer link set eth0 up
ip -n peer addr add $PEER/24 dev eth0
ip netns exec peer iperf3 -s -D >/dev/null

members() {  # members N: m0..m(N-1), fresh, their switch ports up
    local i
    for i in $(seq 0 $(( $1 - 1 ))); do
        ip link add "m$i" type veth peer name "sw-m$i" netns switch
        ip -n switch link set "sw-m$i" master sw0 up
    done
}

teardown() {
    pkill -x in.mpathd 2>/dev/null; pkill -x teamd 2>/dev/null; sleep 0.3
    for l in itops0 bond0 team0 m0 m1 m2 m3 m4 m5 m6 m7; do ip link del "$l" 2>/dev/null; done
    sleep 0.3
}

# setup SYSTEM: the logical device "dev" with 192.168.20.1, ready.
setup() {
    teardown
    case $1 in
        veth)
            members 1; ip link set m0 up; ip addr add 192.168.20.1/24 dev m0; DEV=m0 ;;
        bond-xor)
            members 3
            ip link add bond0 type bond mode balance-xor xmit_hash_policy layer3+4 miimon 100
            for i in 0 1 2; do ip link set "m$i" master bond0; done
            ip link set bond0 up; ip addr add 192.168.20.1/24 dev bond0; DEV=bond0 ;;
        bond-tlb)
            members 3
            ip link add bond0 type bond mode balance-tlb miimon 100
            for i in 0 1 2; do ip link set "m$i" master bond0; done
            ip link set bond0 up; ip addr add 192.168.20.1/24 dev bond0; DEV=bond0 ;;
        bond-ab-miimon)
            members 3
            ip link add bond0 type bond mode active-backup miimon 100
            for i in 0 1 2; do ip link set "m$i" master bond0; done
            ip link set bond0 up; ip addr add 192.168.20.1/24 dev bond0; DEV=bond0 ;;
        bond-ab-arp)
            members 3
            ip link add bond0 type bond mode active-backup arp_interval 100 arp_ip_target $PEER arp_validate all
            for i in 0 1 2; do ip link set "m$i" master bond0; done
            ip link set bond0 up; ip addr add 192.168.20.1/24 dev bond0; DEV=bond0 ;;
        team-lb|team-ab-ethtool|team-ab-arp)
            members 3
            local runner=loadbalance watch='{"name":"ethtool"}'
            [ "$1" = team-lb ] || runner=activebackup
            [ "$1" = team-ab-arp ] && watch='{"name":"arp_ping","interval":100,"missed_max":3,"source_host":"192.168.20.1","target_host":"'$PEER'"}'
            teamd -d -t team0 -c '{"runner":{"name":"'$runner'","tx_hash":["eth","ipv4","ipv6","tcp","udp"]},"link_watch":'"$watch"',"ports":{"m0":{},"m1":{},"m2":{}}}' >/dev/null 2>&1
            sleep 1
            ip link set team0 up; ip addr add 192.168.20.1/24 dev team0; DEV=team0 ;;
        ipmp1|ipmp2|ipmp3|ipmp-link|ipmp-probe-*)
            local n=3
            [ "$1" = ipmp2 ] && n=2
            [ "$1" = ipmp1 ] && n=1
            members $n
            ip link add itops0 type ipmp
            for i in $(seq 0 $(( n - 1 ))); do ip link set "m$i" master itops0; ip link set "m$i" up; done
            ip link set itops0 up; ip addr add 192.168.20.1/24 dev itops0; DEV=itops0
            case $1 in ipmp-probe-*)
                for i in 0 1 2; do ip addr add "192.168.20.1$i/24" dev "m$i" noprefixroute; done
                printf 'FAILURE_DETECTION_TIME=%s\nPROBE_TARGETS=%s\n' "${1#ipmp-probe-}" $PEER > /tmp/mpathd.conf
                in.mpathd -a -f /tmp/mpathd.conf >/dev/null 2>&1 &
                sleep 3 ;;
            esac ;;
    esac
    # Resolve the peer first, so that no measurement waits for ARP.
    ping -q -c 2 -i 0.2 -W 2 $PEER >/dev/null || echo "warning: $1: peer unreachable"
}

json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

throughput() {  # throughput SYSTEM
    local r v
    for r in $(seq "$REPS"); do
        v=$(iperf3 -c $PEER -t "$SECS" -J 2>/dev/null | json_field 'd["end"]["sum_received"]["bits_per_second"]/1e6')
        [ -n "$v" ] && emit tcp-1-flow "$1" "$v" Mbit/s
        v=$(iperf3 -c $PEER -t "$SECS" -P 8 -J 2>/dev/null | json_field 'd["end"]["sum_received"]["bits_per_second"]/1e6')
        [ -n "$v" ] && emit tcp-8-flows "$1" "$v" Mbit/s
        v=$(iperf3 -c $PEER -t "$SECS" -u -l 64 -b 0 -J 2>/dev/null \
            | json_field '(d["end"]["sum"]["packets"]-d["end"]["sum"]["lost_packets"])/d["end"]["sum"]["seconds"]/1e3')
        [ -n "$v" ] && emit udp-64B-rate "$1" "$v" kpps
    done
}

busiest_member() {  # the member whose tx counter grows fastest now
    local a b best="" most=-1 i
    declare -A before
    for i in m0 m1 m2; do before[$i]=$(cat /sys/class/net/$i/statistics/tx_packets 2>/dev/null || echo 0); done
    sleep 0.3
    for i in m0 m1 m2; do
        a=$(cat /sys/class/net/$i/statistics/tx_packets 2>/dev/null || echo 0)
        b=$(( a - ${before[$i]} ))
        if [ "$b" -gt "$most" ]; then most=$b; best=$i; fi
    done
    echo "$best"
}

# gap SYSTEM KIND(link|blackhole) HOLD_SECONDS: one UDP stream at 1 kpps;
# the busiest member's switch port fails, is restored after HOLD_SECONDS.
gap() {
    local sys=$1 kind=$2 hold=$3 total victim t_fail t_back
    total=$(echo "$hold + 5" | bc)
    ip netns exec peer python3 "$UDPGAP" recv 9000 "$total" > /tmp/gap.json &
    local recv=$!
    sleep 0.3
    python3 "$UDPGAP" send $PEER 9000 "$(echo "$total - 0.5" | bc)" &
    local send=$!
    sleep 1.2
    victim=$(busiest_member)
    t_fail=$EPOCHREALTIME
    if [ "$kind" = none ]; then :
    elif [ "$kind" = link ]; then ip -n switch link set "sw-$victim" down; else
        # Both directions in one tc run: applied one command at a time,
        # the return path closed ~0.2 s before the stream's (each command
        # is slow under emulation), so detectors started early and the
        # measured gap came out shorter than the outage.
        printf '%s\n' "qdisc add dev sw-$victim ingress" \
            "filter add dev sw-$victim ingress matchall action drop" \
            "qdisc add dev sw-$victim root netem loss 100%" \
            | ip netns exec switch tc -batch -
    fi
    sleep "$hold"
    t_back=$EPOCHREALTIME
    if [ "$kind" = none ]; then :
    elif [ "$kind" = link ]; then ip -n switch link set "sw-$victim" up; else
        ip netns exec switch tc qdisc del dev "sw-$victim" root
        ip netns exec switch tc qdisc del dev "sw-$victim" ingress
    fi
    wait "$send"; wait "$recv"
    python3 - "$t_fail" "$t_back" /tmp/gap.json <<'PY'
import json, sys
d = json.load(open(sys.argv[3]))
t_fail, t_back = float(sys.argv[1]), float(sys.argv[2])
fail = max([g[1] for g in d["gaps"] if t_fail - 0.05 <= g[0] < t_back] or [0])
back = max([g[1] for g in d["gaps"] if g[0] >= t_back - 0.05] or [0])
print(fail, back)
PY
}

failover() {  # failover SYSTEM KIND HOLD
    local r fail back
    for r in $(seq "$REPS"); do
        setup "$1"
        read -r fail back < <(gap "$1" "$2" "$3")
        emit "gap-$2-failure" "$1" "${fail:-0}" ms
        emit "gap-$2-repair" "$1" "${back:-0}" ms
    done
}

# rate SYSTEM: one 64-byte UDP rate measurement each way (transmit: this
# host to the peer; receive: the peer to this host).
rate() {
    local v
    v=$(iperf3 -c $PEER -t "$SECS" -u -l 64 -b 0 -J 2>/dev/null \
        | json_field '(d["end"]["sum"]["packets"]-d["end"]["sum"]["lost_packets"])/d["end"]["sum"]["seconds"]/1e3')
    [ -n "$v" ] && emit udp-64B-rate-tx "$1" "$v" kpps
    v=$(iperf3 -c $PEER -t "$SECS" -u -l 64 -b 0 -R -J 2>/dev/null \
        | json_field '(d["end"]["sum"]["packets"]-d["end"]["sum"]["lost_packets"])/d["end"]["sum"]["seconds"]/1e3')
    [ -n "$v" ] && emit udp-64B-rate-rx "$1" "$v" kpps
}

# flows_phase NAME: FLOWS UDP flows (fixed source port, distinct
# destination ports), 3 rounds, captured where each member's frames enter
# the switch; /tmp/flows.NAME.json says who carried each flow.
flows_phase() {
    local name=$1 i pids=() pairs=()
    for i in 0 1 2; do
        ip netns exec switch tcpdump -n -Q in -B 65536 -s 64 -i "sw-m$i" \
            -w "/tmp/flows.$name.m$i.pcap" 'udp and dst portrange 10000-65535' \
            2>"/tmp/flows.$name.m$i.err" &
        pids+=($!)
        pairs+=("m$i=/tmp/flows.$name.m$i.pcap")
    done
    for i in 0 1 2; do tcpdump_ready "/tmp/flows.$name.m$i.err" >/dev/null; done
    python3 ../udpflows.py send "$FLOWS" 3 7 10000 $PEER
    sleep 1
    kill -INT "${pids[@]}"
    wait "${pids[@]}" 2>/dev/null
    python3 ../udpflows.py tally "/tmp/flows.$name.json" "${pairs[@]}"
    rm -f /tmp/flows."$name".*.pcap
}

ONLY=${ONLY:-all}
if [ "$ONLY" = flows ]; then
    # Per-connection spreading against bonding's hash: the spread, flows
    # seen on two members, and how many flows of the members that stay
    # move when m1 fails and when it returns.
    sysctl -qw net.core.netdev_max_backlog=200000
    for FLOWS in 64 20000; do
    for sys in bond-xor ipmp3; do
        setup "$sys"
        flows_phase "$sys.before"
        ip link set m1 down
        sleep 2
        flows_phase "$sys.failed"
        ip link set m1 up
        sleep 3
        flows_phase "$sys.back"
        python3 - "$sys" "$FLOWS" <<'PY'
import json, sys
system, n = sys.argv[1], int(sys.argv[2])
# (The test names carry the flow count.)
load = lambda p: json.load(open(f"/tmp/flows.{system}.{p}.json"))["flows"]
before, failed, back = load("before"), load("failed"), load("back")
def emit(test, value, unit):
    print("@@bench " + json.dumps({"test": f"{test}-{n}", "system": system, "value": value, "unit": unit}))
emit("flows-on-two-members", sum(len(v) > 1 for v in before.values()), "flows")
counts = [sum(v == [m] for v in before.values()) for m in ("m0", "m1", "m2")]
emit("flows-spread-max-off-even", max(abs(c - n / 3) for c in counts) / (n / 3) * 100, "%")
stay = [k for k, v in before.items() if v in (["m0"], ["m2"])]
emit("flows-moved-of-staying-on-failure", sum(failed.get(k) != before[k] for k in stay) / len(stay) * 100, "%")
emit("flows-moved-on-return", sum(back.get(k) != failed.get(k) for k in before) / len(before) * 100, "%")
PY
    done
    done
    teardown
    echo "== done"
    exit 0
fi
if [ "$ONLY" = profile ]; then
    # Where the CPU goes while 64-byte UDP leaves by each system: perf
    # (the host's, the guest shares its file system) sampling every CPU.
    for dir in transmit receive; do
    for sys in veth bond-xor ipmp3; do
        setup "$sys"
        rev=()
        [ "$dir" = receive ] && rev=(-R)
        iperf3 -c $PEER -t 12 -u -l 64 -b 0 "${rev[@]}" >/dev/null 2>&1 &
        sleep 2
        perf record -q -a -g -e cpu-clock -F 499 -o "/tmp/perf.$dir.$sys.data" -- sleep 6 >/dev/null 2>&1
        wait
        echo "== profile: $sys, 64-byte UDP $dir, top symbols (self)"
        perf report -q --stdio --no-children --sort sym -g none -i "/tmp/perf.$dir.$sys.data" 2>/dev/null |
            grep -v '^$' > "/tmp/perf.$dir.$sys.txt"
        head -25 "/tmp/perf.$dir.$sys.txt" | sed "s/^/@@profile $dir $sys /"
        # The device's own code: the module's symbols (Rust names carry
        # the crate, ipmp_dev) and its C helpers, or bonding's.
        echo "== profile: $sys, $dir, the device's own symbols"
        grep -E 'ipmp|bond_|bond[0-9]' "/tmp/perf.$dir.$sys.txt" | sed "s/^/@@own $dir $sys /"
        awk '/ipmp|bond_/ { sub(/%/, "", $1); t += $1 } END { printf "@@own-total %s %s %.2f%%\n", "'"$dir"'", "'"$sys"'", t }' "/tmp/perf.$dir.$sys.txt"
    done
    done
    teardown
    echo "== done"
    exit 0
fi
if [ "$ONLY" = rate ]; then
    echo "== 64-byte UDP rate each way ($REPS rounds over every system, $SECS s each)"
    for r in $(seq "$REPS"); do
        for sys in veth bond-xor bond-tlb team-lb ipmp1 ipmp2 ipmp3; do
            setup "$sys"
            rate "$sys"
        done
    done
    teardown
    echo "== done"
    exit 0
fi
if [ "$ONLY" = all ]; then
echo "== throughput and packet rate ($REPS x $SECS s each)"
for sys in veth bond-tlb bond-ab-miimon team-lb ipmp2 ipmp3; do
    setup "$sys"
    throughput "$sys"
done

echo "== the noise floor: the same stream with nothing failing"
failover veth none 3
failover ipmp-link none 3

echo "== failover gap, link down at the switch"
for sys in ipmp-link bond-ab-miimon bond-ab-arp team-ab-ethtool; do
    failover "$sys" link 3
done

fi

echo "== failover gap, path black-holed with the link up"
failover ipmp-probe-1000 blackhole 4
failover bond-ab-arp blackhole 4
failover team-ab-arp blackhole 4
REPS=${BENCH_REPS_SLOW:-3} failover ipmp-probe-10000 blackhole 14

[ "$ONLY" = all ] || { teardown; echo "== done"; exit 0; }

echo "== in.mpathd with 8 members at FDT 10 s"
teardown
members 8
ip link add itops0 type ipmp
for i in $(seq 0 7); do
    ip link set "m$i" master itops0; ip link set "m$i" up
    ip addr add "192.168.20.$((10 + i))/24" dev "m$i" noprefixroute
done
ip link set itops0 up; ip addr add 192.168.20.1/24 dev itops0
printf 'PROBE_TARGETS=%s\n' $PEER > /tmp/mpathd.conf
in.mpathd -a -f /tmp/mpathd.conf >/dev/null 2>&1 &
pid=$!
sleep 5
t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
sleep 60
t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
emit mpathd-cpu-8-members in.mpathd "$(echo "scale=3; ($t1 - $t0) * 100 / $(getconf CLK_TCK) / 60" | bc)" "%"
emit mpathd-rss-8-members in.mpathd "$(awk '/VmRSS/ {print $2 / 1024}' /proc/$pid/status)" MiB
teardown
echo "== done"
