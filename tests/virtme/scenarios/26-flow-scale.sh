#!/usr/bin/env bash
# Per-connection spreading at scale: thousands of concurrent UDP flows
# (one socket, distinct destination ports), three rounds each in a
# different order, captured where each member's frames enter the switch.
# No flow is ever seen on two members; the spread is within 5 % of even;
# when a member fails only its flows move (evenly); when it returns nobody
# moves to it, and it gets new flows.
# Counts: 2 000 then 20 000 flows (IPMP_FULL=1: 2 000 then 100 000, over
# four peer addresses).
#
#   itops0 192.0.2.1 ─┬─ net0 ── sw-net0 ─┐
#                     ├─ net1 ── sw-net1 ─┼─ sw0 ── peer-sw ── [peer] 192.0.2.2(-5)
#                     └─ net2 ── sw-net2 ─┘
. ../lib.sh
load_ipmp
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# Bursts of tens of thousands of datagrams: let the veth backlogs hold them.
sysctl -qw net.core.netdev_max_backlog=200000

three_members_lan
group itops0 net0 net1 net2
ip addr add 192.0.2.1/24 dev itops0

big=$(campaign 20000 100000)
dsts=(192.0.2.2)
if (( big > 40000 )); then
    # Destination ports run out at 64 Ki flows per address.
    for a in 3 4 5; do ip -n peer addr add "192.0.2.$a/24" dev eth0; done
    dsts=(192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5)
fi
for d in "${dsts[@]}"; do
    ping -q -c 1 -W 2 "$d" >/dev/null || fail "itops0 cannot reach $d"
done

# phase NAME N PORT0 SEED: N flows from PORT0, 3 rounds, captured on the
# switch ports of the members (/tmp/NAME.MEMBER.pcap). Phases follow each
# other within seconds, well within the flow table's idle time (60 s), and
# are analysed at the end (tally), so that a flow idle for that long
# cannot pass for one that moved.
phase() {
    local name=$1 n=$2 port0=$3 seed=$4 m pids=() dropped
    for m in net0 net1 net2; do
        # (ip netns exec execs tcpdump: $! is tcpdump's pid.)
        ip netns exec switch tcpdump -n -Q in -B 65536 -s 64 -i "sw-$m" \
            -w "/tmp/$name.$m.pcap" 'udp and dst portrange 10000-65535' \
            2>"/tmp/$name.$m.err" &
        pids+=($!)
    done
    for m in net0 net1 net2; do tcpdump_ready "/tmp/$name.$m.err"; done
    python3 ../udpflows.py send "$n" 3 "$seed" "$port0" "${dsts[@]}" ||
        fail "$name: sending failed"
    sleep 1
    kill -INT "${pids[@]}"
    wait "${pids[@]}" || true
    for m in net0 net1 net2; do
        dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "/tmp/$name.$m.err")
        [ "${dropped:-0}" = 0 ] || echo "note: $name: the capture on sw-$m dropped $dropped"
    done
}

# tally NAME: /tmp/NAME.json says who carried each flow of phase NAME.
tally() {
    local name=$1 m pairs=()
    for m in net0 net1 net2; do pairs+=("$m=/tmp/$name.$m.pcap"); done
    python3 ../udpflows.py tally "/tmp/$name.json" "${pairs[@]}"
    rm -f /tmp/"$name".*.pcap
}

# check_phase NAME N MEMBERS...: every one of the N flows seen, none on two
# members, each of MEMBERS within 5 % of an even share.
check_phase() {
    local name=$1 n=$2 seen both m c
    shift 2
    seen=$(jq '.flows | length' "/tmp/$name.json")
    both=$(jq '[.flows[] | select(length > 1)] | length' "/tmp/$name.json")
    echo "$name: packets per member $(jq -c .packets "/tmp/$name.json")"
    expect_eq "$seen" "$n" "$name: flows seen"
    expect_eq "$both" 0 "$name: flows seen on two members"
    for m in "$@"; do
        c=$(jq --arg m "$m" '[.flows[] | select(.[0] == $m)] | length' "/tmp/$name.json")
        echo "$name: $m carried $c of $n flows"
        (( c * 100 * $# >= n * 95 && c * 100 * $# <= n * 105 )) ||
            fail "$name: $m carried $c of $n flows, not within 5 % of $((n / $#))"
    done
    ok "$name: $n flows, each on one member, spread within 5 % over $*"
}

# moved A B: how many flows seen in both phases changed member.
moved() {
    jq -n --slurpfile a "/tmp/$1.json" --slurpfile b "/tmp/$2.json" \
        '[$a[0].flows | to_entries[] | select($b[0].flows[.key] != null
            and $b[0].flows[.key] != .value)] | length'
}

# --- the traffic: 2 000 flows, then 20 000 (the first 2 000 among them);
# net1 fails; net1 returns; new flows --------------------------------------
phase small 2000 10000 1
phase big "$big" 10000 2
ip link set net1 down
wait_for 10 "net1 inactive" output_is no active_of net1
phase failed "$big" 10000 3
ip link set net1 up
wait_for 10 "net1 active again" output_is yes active_of net1
phase repaired "$big" 10000 4
phase fresh 3000 $((10000 + big / ${#dsts[@]} + 1)) 5
for p in small big failed repaired fresh; do tally "$p"; done

# --- 2 000 flows, then 20 000: each on one member, evenly ----------------
check_phase small 2000 net0 net1 net2
check_phase big "$big" net0 net1 net2
expect_eq "$(moved small big)" 0 "flows of the first 2 000 that changed member under $big"

# --- net1 failed: only its flows moved, evenly over net0 and net2 --------
check_phase failed "$big" net0 net2
kept=$(jq -n --slurpfile a /tmp/big.json --slurpfile b /tmp/failed.json \
    '[$a[0].flows | to_entries[] | select(.value[0] != "net1"
        and $b[0].flows[.key] != .value)] | length')
expect_eq "$kept" 0 "flows of net0 and net2 that moved when net1 failed"
read -r to0 to2 < <(jq -rn --slurpfile a /tmp/big.json --slurpfile b /tmp/failed.json \
    '[$a[0].flows | to_entries[] | select(.value[0] == "net1") | $b[0].flows[.key][0]]
     | "\(map(select(. == "net0")) | length) \(map(select(. == "net2")) | length)"')
echo "net1's flows went to net0: $to0, net2: $to2"
(( to0 * 100 >= (to0 + to2) * 45 && to2 * 100 >= (to0 + to2) * 45 )) ||
    fail "net1's flows did not spread evenly: net0 $to0, net2 $to2"
ok "net1 failed: only its $((to0 + to2)) flows moved, $to0 to net0 and $to2 to net2"

# --- net1 returned: nobody moved to it; it got new flows -----------------
check_phase repaired "$big" net0 net2
expect_eq "$(moved failed repaired)" 0 "flows that moved when net1 returned"
fresh1=$(jq '[.flows[] | select(.[0] == "net1")] | length' /tmp/fresh.json)
expect_eq "$(jq '.flows | length' /tmp/fresh.json)" 3000 "new flows seen"
expect_ge "$fresh1" 1 "new flows given to the returned net1"
expect_eq "$(jq '[.flows[] | select(length > 1)] | length' /tmp/fresh.json)" 0 \
    "new flows seen on two members"
ok "net1 returned: no flow moved to it; it took $fresh1 of 3000 new flows"
