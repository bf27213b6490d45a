#!/usr/bin/env bash
# in.mpathd killed with SIGKILL during a transfer, with net0 failed by
# probes and the standby covering: the kernel keeps every flag, no
# connection breaks, and a new daemon adopts the state without writing a
# flag, then goes on to repair net0.
. ../lib.sh
probe_lan_with_mpathd
net0_failed_by_probes

ip netns exec router iperf3 -s -D -1 >/dev/null
sleep 0.5
iperf3 -c 192.168.10.1 -t 9 -P 4 > /tmp/iperf.txt 2>&1 &
iperf=$!
sleep 2

t_kill=$EPOCHREALTIME
kill -KILL "$MPATHD_PID"
wait "$MPATHD_PID" 2>/dev/null || true
sleep 2
expect_eq "$(kflags net0) $(kflags net1) $(kflags net2)" "--F- ---- -s--" "flags kept with no daemon"
mpathd_start -f /tmp/mpathd.conf
sleep 3
expect_eq "$(kflags net0) $(kflags net1) $(kflags net2)" "--F- ---- -s--" "flags after the restart"
expect_eq "$(events_since "$t_kill")" 0 "kernel events since the kill (none: nothing written)"
expect_eq "$(mview net0 state) $(mview net2 active)" "failed true" "the new daemon's view"
grep -q "adopted on net0 of group itops0 (failed)" "$MPATHD_LOG" || fail "net0 not adopted as failed"

wait "$iperf" || { cat /tmp/iperf.txt; fail "the transfer broke"; }
ok "the transfer ran through the kill and restart: $(grep -E 'SUM.*receiver' /tmp/iperf.txt | head -1)"

blackhole sw-net0 off
wait_for 5 "the new daemon repairs net0" lacks_flag net0 F
events_recorded "$t_kill" "net0's repair"
wait_for 5 "net2 back to standby" has_flag net2 i
