#!/usr/bin/env bash
# Source address rotation (in.mpathd's connect4/connect6 programs): new
# connections through itops0 take its data addresses in turn, and the
# replies come back on the members those addresses are bound to. An
# application's own choice (bind, IP_PKTINFO/IPV6_PKTINFO), a destination
# routed through another interface and unconnected UDP keep the kernel's
# source; test addresses are never given; an address removed under a
# connection loop is not given after the daemon saw the change; with the
# feature off, or the daemon killed, the kernel chooses again, and a
# restarted daemon attaches its programs once.
#
#   itops0 ─┬─ net0 (test 192.0.2.51) ── sw-net0 ─┐
#           ├─ net1 (test 192.0.2.52) ── sw-net1 ─┼─ sw0 ── peer-sw ── [peer] 192.0.2.2, 2001:db8::2
#           └─ net2 (test 192.0.2.53) ── sw-net2 ─┘
#   data addresses 192.0.2.11-14, 2001:db8::11-12; other0 198.51.100.1 (dummy)
. ../lib.sh
load_ipmp
sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
CONNS=$(cd .. && pwd)/conns.py
CG=/sys/fs/cgroup
if ! grep -q " $CG cgroup2 " /proc/mounts; then
    mount -t cgroup2 none "$CG"
    at_exit "umount $CG"
fi

three_members_lan
ip -n peer addr add 2001:db8::2/64 dev eth0 nodad
group itops0 net0 net1 net2
for i in 11 12 13 14; do ip addr add "192.0.2.$i/24" dev itops0; done
for i in 11 12; do ip addr add "2001:db8::$i/64" dev itops0 nodad; done
for n in 0 1 2; do ip addr add "192.0.2.5$((n + 1))/24" dev "net$n" noprefixroute; done
ip link add other0 type dummy
ip link set other0 up
ip addr add 198.51.100.1/24 dev other0
ip route add 203.0.113.0/24 dev other0

ip netns exec peer python3 "$CONNS" serve 5001 65536 > /tmp/rot.accepted &
# (tcp[] reaches only IPv4 headers: IPv6 is captured whole.)
ip netns exec peer tcpdump -l -n -i eth0 'tcp dst port 5001 and (ip6 or tcp[tcpflags] & tcp-syn != 0)' \
    > /tmp/rot.syn 2>/tmp/rot.syn.err &
tcpdump_ready /tmp/rot.syn.err
printf 'FAILURE_DETECTION_TIME=2000\n' > /tmp/mpathd.conf
mpathd_start -f /tmp/mpathd.conf
wait_for 10 "rotation on" grep -q "source address rotation on" "$MPATHD_LOG"

# programs_attached: how many of in.mpathd's programs the root cgroup has.
programs_attached() {
    # (bpftool says on stderr that the kernel has no BTF: not needed here;
    # it prints nothing at all for a cgroup without programs)
    bpftool -j cgroup show "$CG" 2>/dev/null |
        jq -s 'add // [] | map(select(.name | startswith("ipmp_connect"))) | length'
}
expect_eq "$(programs_attached)" 2 "programs attached to $CG (connect4, connect6)"

# tally FILE: "COUNT ADDRESS" lines, by address.
tally() { sort "$1" | uniq -c | awk '{print $2, $1}'; }
rx_bytes() { cat "/sys/class/net/$1/statistics/rx_bytes"; }

# 64 connections over IPv4 and 64 over IPv6: 16 per IPv4 address, 32 per
# IPv6 address (exact round robin: +/- 1 allowed), 64 KiB from the peer
# each. The bytes come back on the member each address is bound to.
declare -A before
for n in net0 net1 net2; do before[$n]=$(rx_bytes $n); done
python3 "$CONNS" connect 192.0.2.2 5001 64 > /tmp/rot.v4
python3 "$CONNS" connect 2001:db8::2 5001 64 > /tmp/rot.v6
tally /tmp/rot.v4 > /tmp/rot.v4.tally
tally /tmp/rot.v6 > /tmp/rot.v6.tally
expect_eq "$(wc -l < /tmp/rot.v4.tally)" 4 "IPv4 sources used ($(tr '\n' ' ' < /tmp/rot.v4.tally))"
expect_eq "$(wc -l < /tmp/rot.v6.tally)" 2 "IPv6 sources used ($(tr '\n' ' ' < /tmp/rot.v6.tally))"
while read -r addr n; do
    [[ $addr == 192.0.2.1[1-4] ]] || fail "IPv4 connection from $addr"
    (( n >= 15 && n <= 17 )) || fail "$addr: $n of 64 IPv4 connections (16 +/- 1 expected)"
done < /tmp/rot.v4.tally
while read -r addr n; do
    [[ $addr == 2001:db8::1[12] ]] || fail "IPv6 connection from $addr"
    (( n >= 31 && n <= 33 )) || fail "$addr: $n of 64 IPv6 connections (32 +/- 1 expected)"
done < /tmp/rot.v6.tally
ok "64 IPv4 connections 16 +/- 1 per address, 64 IPv6 connections 32 +/- 1 per address"

# Each member received its addresses' share of the 8 MiB the peer sent.
bound_to() {  # bound_to ADDR: the member ADDR is bound to
    ipmpadm -j show | jq -r --arg a "$1" '.[].members[] | select(.addresses | index($a)) | .interface'
}
declare -A expected
for n in net0 net1 net2; do expected[$n]=0; done
while read -r addr n; do
    m=$(bound_to "$addr")
    expected[$m]=$(( ${expected[$m]} + n * 65536 ))
done < <(cat /tmp/rot.v4.tally /tmp/rot.v6.tally)
for n in net0 net1 net2; do
    got=$(( $(rx_bytes $n) - ${before[$n]} ))
    want=${expected[$n]}
    (( got >= want * 95 / 100 && got <= want * 110 / 100 )) ||
        fail "$n received $got bytes, its addresses' share is $want"
    echo "$n: received $got bytes for $want of payload bound to it"
done
ok "each member received its addresses' share (within 10 %)"

# The application's choice wins: a bound socket, IP_PKTINFO and
# IPV6_PKTINFO on unconnected UDP; unconnected UDP is not rotated.
expect_eq "$(python3 "$CONNS" connect 192.0.2.2 5001 8 192.0.2.13 | sort -u)" 192.0.2.13 \
    "source of 8 connections bound to 192.0.2.13"
expect_eq "$(python3 "$CONNS" connect 2001:db8::2 5001 8 2001:db8::12 | sort -u)" 2001:db8::12 \
    "source of 8 connections bound to 2001:db8::12"
ip netns exec peer tcpdump -l -n -i eth0 'udp dst port 5002' > /tmp/rot.udp 2>/tmp/rot.udp.err &
udp_dump=$!
tcpdump_ready /tmp/rot.udp.err
python3 "$CONNS" udp 192.0.2.2 5002 192.0.2.12 >/dev/null
python3 "$CONNS" udp 2001:db8::2 5002 2001:db8::11 >/dev/null
wait_for 5 "both datagrams captured" grep -q "2001:db8::11" /tmp/rot.udp
kill $udp_dump; wait $udp_dump || true
grep -q "IP 192.0.2.12\.[0-9]* > 192.0.2.2.5002" /tmp/rot.udp || fail "IP_PKTINFO source not kept: $(cat /tmp/rot.udp)"
grep -q "IP6 2001:db8::11\.[0-9]* > 2001:db8::2.5002" /tmp/rot.udp || fail "IPV6_PKTINFO source not kept: $(cat /tmp/rot.udp)"
ok "IP_PKTINFO and IPV6_PKTINFO sources kept"

# A destination routed through another interface keeps that interface's
# source.
expect_eq "$(python3 "$CONNS" udp 203.0.113.9 9)" 198.51.100.1 "source towards other0's route"

# No data connection ever came from a test address.
syns=$(grep -c "^[0-9:.]* IP " /tmp/rot.syn)
expect_ge "$syns" 72 "IPv4 SYNs captured at the peer"
expect_ge "$(grep -c "^[0-9:.]* IP6 " /tmp/rot.syn)" 72 "IPv6 packets captured at the peer"
if grep -E "IP 192\.0\.2\.5[123]\." /tmp/rot.syn; then fail "a connection from a test address"; fi
ok "no connection from a test address among $syns IPv4 connections"

# ipmpstat -a shows what each address was given.
ipmpstat -a -o ADDRESS,CONNS
for a in 192.0.2.11 2001:db8::11; do
    n=$(ipmpstat -j -a | jq -r --arg a "$a" '.[] | select(.address == $a) | .conns')
    expect_ge "$n" 15 "connections given to $a (ipmpstat -j -a)"
done

# A data address removed under a connection loop: no connection started
# 100 ms after the removal uses it, and none fails. The loop lasts 15 s: a
# connection in flight from 192.0.2.14 at the removal waits out its 5 s
# timeout, and at least 30 must still be made after it.
python3 "$CONNS" loop 192.0.2.2 5001 15 > /tmp/rot.loop &
loop=$!
wait_for 10 "the loop uses 192.0.2.14" grep -q " 192.0.2.14 ok" /tmp/rot.loop
ip addr del 192.0.2.14/24 dev itops0
removed_at=$(date +%s.%N)
wait $loop
awk -v t="$removed_at" '$1 > t + 0.1 && $2 == "192.0.2.14"' /tmp/rot.loop > /tmp/rot.late
expect_ge "$(awk -v t="$removed_at" '$1 > t + 0.1' /tmp/rot.loop | wc -l)" 30 \
    "connections started 100 ms after the removal"
expect_eq "$(wc -l < /tmp/rot.late)" 0 "connections from 192.0.2.14 started 100 ms after its removal"
# A connection given 192.0.2.14 just before the removal may fail (its
# replies are no longer for this host), as with the kernel's own choice;
# none other may.
awk -v t="$removed_at" '$3 == "error" && ($1 > t + 0.1 || $2 != "192.0.2.14")' /tmp/rot.loop > /tmp/rot.failed
expect_eq "$(wc -l < /tmp/rot.failed)" 0 \
    "failed connections in the loop but for 192.0.2.14's in flight ($(wc -l < /tmp/rot.loop) made, $(grep -c error /tmp/rot.loop) failed)"
ip addr add 192.0.2.14/24 dev itops0

# Off by configuration (SIGHUP): the kernel chooses (one source for all).
printf 'FAILURE_DETECTION_TIME=2000\nSOURCE_ADDRESS_ROTATION=no\n' > /tmp/mpathd.conf
kill -HUP "$MPATHD_PID"
wait_for 10 "programs detached by SOURCE_ADDRESS_ROTATION=no" output_is 0 programs_attached
expect_eq "$(python3 "$CONNS" connect 192.0.2.2 5001 8 | sort -u | wc -l)" 1 "sources with rotation off"
printf 'FAILURE_DETECTION_TIME=2000\n' > /tmp/mpathd.conf
kill -HUP "$MPATHD_PID"
wait_for 10 "programs attached again" output_is 2 programs_attached
expect_eq "$(python3 "$CONNS" connect 192.0.2.2 5001 8 | sort -u | wc -l)" 4 "sources with rotation on again"

# The daemon killed: its programs go with it, connections still work.
kill -9 "$MPATHD_PID"
wait "$MPATHD_PID" || true
wait_for 10 "programs gone with the killed daemon" output_is 0 programs_attached
expect_eq "$(python3 "$CONNS" connect 192.0.2.2 5001 8 | sort -u | wc -l)" 1 "sources with the daemon killed"
mpathd_start -f /tmp/mpathd.conf
wait_for 10 "programs of the restarted daemon" output_is 2 programs_attached
expect_eq "$(python3 "$CONNS" connect 192.0.2.2 5001 8 | sort -u | wc -l)" 4 "sources after a restart"
expect_eq "$(programs_attached)" 2 "programs attached after the restart"

# 20 IPv4 data addresses: the 4 beyond the first 16 are said to be left
# out, and no connection is given one of them.
for i in $(seq 101 116); do ip addr add "192.0.2.$i/24" dev itops0; done
wait_for 10 "4 addresses said to be left out" \
    grep -q "itops0 has 4 usable address(es) beyond the first 16" "$MPATHD_LOG"
python3 "$CONNS" connect 192.0.2.2 5001 32 | sort -u > /tmp/rot.many
expect_eq "$(wc -l < /tmp/rot.many)" 16 "sources of 32 connections over 20 addresses"
if grep -E "192\.0\.2\.11[3-6]$" /tmp/rot.many; then fail "a connection from an address beyond the first 16"; fi
scenario_exit
