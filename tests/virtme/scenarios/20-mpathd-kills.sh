#!/usr/bin/env bash
# in.mpathd SIGKILLed and restarted 20 times (8 in CI) while 16 TCP connections
# stream through the group, with net0 failed by probes and the standby
# covering: no connection breaks, no restart writes a flag (no kernel
# event), every new daemon adopts the failure, and the last one repairs
# net0 when the path comes back.
# timeout: 360
. ../lib.sh
probe_lan_with_mpathd
net0_failed_by_probes
adopted_at_least() {
    (( $(grep -c "adopted on net0 of group itops0 (failed)" "$MPATHD_LOG") >= $1 ))
}
stream_start router 192.168.10.1 7003 16

sleep 1
t_first=$EPOCHREALTIME
kills=$(campaign 8 20)
for k in $(seq "$kills"); do
    kill -KILL "$MPATHD_PID"
    wait "$MPATHD_PID" 2>/dev/null || true
    mpathd_start -f /tmp/mpathd.conf
    # Each daemon adopts the failure before it is killed in turn.
    wait_for 10 "daemon $k adopted net0 as failed" adopted_at_least "$k"
    sleep 0.3
done
ok "$kills SIGKILLs and restarts"
wait_for 10 "the last daemon adopted net0 as failed" mview_is net0 state failed
expect_eq "$(kflags net0) $(kflags net1) $(kflags net2)" "--F- ---- -s--" "flags after the kills"
expect_eq "$(events_since "$t_first")" 0 "kernel events during the kills (none: nothing written)"
expect_eq "$(grep -c "adopted on net0 of group itops0 (failed)" "$MPATHD_LOG")" "$kills" "restarts that adopted net0 as failed"
stream_stop

blackhole sw-net0 off
wait_for 5 "the last daemon repairs net0" lacks_flag net0 F
events_recorded "$t_first" "net0's repair"
wait_for 5 "net2 back to standby" has_flag net2 i
