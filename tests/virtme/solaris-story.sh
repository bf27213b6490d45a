#!/usr/bin/env bash
# The story of the Oracle Solaris 11.4 IPMP documentation ("IPMP Support
# in Oracle Solaris"), on its names: itops0 over net0 and net1 (active) and net2 (standby), with
# test addresses and probe-based failure detection by in.mpathd. Failures
# are made in the network: the member's switch port is black-holed with
# tc, its link left up. After each step, `ipmpstat -g` and `ipmpstat -i`.
#
#   solaris-story.sh demo    print the story (the README's main command)
#   solaris-story.sh check   also assert each figure's rows, typed from
#                            the document (scenario 16), with a 1 s FDT
#                            after Figure 1
#
# The one deliberate difference from the document's tables: in Figures 3
# and 4 the offlined net1 no longer holds the IPv4 nominee roles (the
# document's `--mb-d-`); they moved to the active net0, as an offline
# member carries no traffic.
MODE=${1:-demo}
cd "$(dirname "${BASH_SOURCE[0]}")/scenarios"
. ../lib.sh

step() { printf '\n\033[1m# %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# figure NAME MODE ROWS [RULES]: prints `ipmpstat MODE`; in check mode, its
# rows (header dropped, blanks squeezed) must be ROWS: typed from the
# document, or, with RULES, following its rules where it shows no table.
figure() {
    local name=$1 mode=$2 want=$3 got from="the documentation's"
    [ -z "${4:-}" ] || from="by the documentation's rules (no such table in it)"
    got=$(ipmpstat "$mode")
    printf '$ ipmpstat %s\n%s\n' "$mode" "$got"
    if [ "$MODE" = check ]; then
        got=$(tail -n +2 <<<"$got" | tr -s ' ')
        want=$(sed 's/^ *//' <<<"$want" | tr -s ' ')
        [ "$got" = "$want" ] || fail "$name, ipmpstat $mode: got
$got
expected ($from)
$want"
        ok "$name: ipmpstat $mode rows, $from"
    fi
}

wait_failed() { wait_for "$2" "$1 failed" has_flag "$1" F; }
wait_repaired() { wait_for "$2" "$1 repaired" lacks_flag "$1" F; }

step "The LAN: a switch (bridge in netns 'switch'), the router 192.168.10.1, three NICs"
load_ipmp
probe_lan_solaris() {
    probe_lan
    # The documentation's group has no IPv6 data address: no M flag.
    sysctl -qw net.ipv6.conf.itops0.disable_ipv6=1
}
probe_lan_solaris
run ip -br addr show
run ipmpadm show itops0

step "in.mpathd with the default configuration (FDT 10 s, FAILBACK=yes)"
: > /tmp/mpathd.conf
mpathd_start -f /tmp/mpathd.conf
for n in net0 net1 net2; do
    wait_for 30 "$n probes answered" mview_is "$n" probe ok
done
run ipmpstat -n -t

step "Figure 1: two active interfaces and a standby"
figure "Figure 1" -g "itops0    itops0        ok        10.00s     net1 net0 (net2)"
figure "Figure 1" -i "net0        yes        itops0    -------    up          ok        ok
                      net1        yes        itops0    --mb---    up          ok        ok
                      net2        no         itops0    is-----    up          ok        ok"

if [ "$MODE" = check ]; then
    step "(check mode: FDT 1 s from here on, to keep the test short)"
    echo "FAILURE_DETECTION_TIME=1000" > /tmp/mpathd.conf
    kill -HUP "$MPATHD_PID"
    wait_for 5 "FDT 1 s in force" gview_is fdt_ms 1000
fi
limit=$(( $(gview fdt_ms) * 3 / 1000 + 5 ))
# The -g tables after Figure 1 are not in the document (it shows -g once):
# their rows follow its rules (active members, (inactive), [unusable], in
# join order) at the FDT in force.
FDT=$(printf '%.2fs' "$(echo "$(gview fdt_ms) / 1000" | bc -l)")

step "Figure 2: net0's path fails (black-holed at the switch, link up); the standby net2 takes over"
run blackhole sw-net0 on
wait_failed net0 "$limit"
figure "Figure 2" -i "net0        no         itops0    -------    up          failed    failed
                      net1        yes        itops0    --mb---    up          ok        ok
                      net2        yes        itops0    -s-----    up          ok        ok"
figure "Figure 2" -g "itops0    itops0        degraded  $FDT     net1 net2 [net0]" rules

step "net0 is repaired: it is active again and net2 returns to standby"
run blackhole sw-net0 off
wait_repaired net0 "$limit"
wait_for 5 "net2 back to standby" has_flag net2 i
figure "After the repair" -i "net0        yes        itops0    -------    up          ok        ok
                              net1        yes        itops0    --mb---    up          ok        ok
                              net2        no         itops0    is-----    up          ok        ok"
figure "After the repair" -g "itops0    itops0        ok        $FDT     net1 net0 (net2)" rules

step "Figure 3: the standby net2 fails, then the administrator offlines net1"
run blackhole sw-net2 on
wait_failed net2 "$limit"
run if_mpadm -d net1
figure "Figure 3" -i "net0        yes        itops0    --mb---     up          ok        ok
                      net1        no         itops0    -----d-     up          ok        offline
                      net2        no         itops0    is-----     up          failed    failed"
figure "Figure 3" -g "itops0    itops0        degraded  $FDT     net0 [net1 net2]" rules
printf '$ if_mpadm -d net0   # the last functioning member\n'
if if_mpadm -d net0; then fail "offlining the last functioning member was accepted"; fi

step "Figure 4: net2 is repaired and, with net1 offline, becomes active"
run blackhole sw-net2 off
wait_repaired net2 "$limit"
wait_for 5 "net2 active" lacks_flag net2 i
figure "Figure 4" -i "net0        yes        itops0    --mb---     up          ok        ok
                      net1        no         itops0    -----d-     up          ok        offline
                      net2        yes        itops0    -s-----     up          ok        ok"
figure "Figure 4" -g "itops0    itops0        degraded  $FDT     net0 net2 [net1]" rules

step "net1 back online; FAILBACK=no in /etc/default/mpathd, re-read with SIGHUP"
run if_mpadm -r net1
wait_for 5 "net2 back to standby" has_flag net2 i
if [ "$MODE" = check ]; then
    printf 'FAILURE_DETECTION_TIME=1000\nFAILBACK=no\n' > /tmp/mpathd.conf
else
    printf 'FAILBACK=no\n' > /tmp/mpathd.conf
fi
run kill -HUP "$MPATHD_PID"
sleep 1

step "FAILBACK=no: net0 fails and is repaired, but stays inactive; net2 keeps the count"
run blackhole sw-net0 on
wait_failed net0 "$limit"
run blackhole sw-net0 off
wait_repaired net0 "$limit"
figure "FAILBACK=no" -i "net0        no         itops0    i------    up          ok        ok
                         net1        yes        itops0    --mb---    up          ok        ok
                         net2        yes        itops0    -s-----    up          ok        ok"
figure "FAILBACK=no" -g "itops0    itops0        ok        $FDT     net1 net2 (net0)" rules
run ipmpstat -n -a

step "What in.mpathd logged"
grep -E "failure detected|repair detected|offlined|onlined|unusable|usable" "$MPATHD_LOG" || true
