#!/usr/bin/env bash
# in.mpathd, probe-based: the path through net0 is black-holed at the
# switch with the link up. Detected within FDT + 10 % (FDT 1 s, then 10 s
# after a SIGHUP), repaired within 2 x FDT + 10 %; the standby covers in
# between. The SIGHUP changes the FDT in place without touching a flag.
. ../lib.sh
probe_lan_with_mpathd
wait_for 10 "net2 probes answered" mview_is net2 probe ok
expect_eq "$(kflags net0) $(kflags net1) $(kflags net2)" "---- ---- is--" "kernel flags (Figure 1)"
expect_eq "$(mview net0 'instances[0].mode')" routes "IPv4 targets from the routing table"
expect_eq "$(mview net0 'instances[0].targets[0].address')" 192.168.10.1 "the router is net0's target"
expect_eq "$(mview net0 'instances[0].test_address')" 192.168.10.10 "net0's test address"
expect_eq "$(gview fdt_ms)" 1000 "FDT"
expect_eq "$(carrier_of net0)" 1 "net0's link is up"

# measure FDT_MS: black-hole net0, then open it again; checks both times.
measure() {
    local fdt=$1 t0 t1 ms
    sleep 1
    blackhole sw-net0 on
    t0=$BLACKHOLE_AT
    wait_for $(( fdt * 3 / 1000 + 2 )) "net0 failed by probes (FDT $fdt ms)" has_flag net0 F
    t1=$(flag_time net0 failed on "$t0")
    ms=$(ms_between "$t0" "$t1")
    echo "FDT $fdt ms: failure detected after $ms ms"
    [ "$ms" -le $(( fdt * 110 / 100 )) ] || fail "detection took $ms ms, more than FDT + 10 %"
    ok "detected within FDT + 10 %"
    expect_eq "$(carrier_of net0)" 1 "the link stayed up"
    expect_eq "$(kflags net2)" "-s--" "the standby net2 is active"
    expect_eq "$(mview net0 probe) $(mview net0 state)" "failed failed" "daemon's view of net0"

    blackhole sw-net0 off
    t0=$BLACKHOLE_AT
    wait_for $(( fdt * 4 / 1000 + 2 )) "net0 repaired (FDT $fdt ms)" lacks_flag net0 F
    t1=$(flag_time net0 failed off "$t0")
    ms=$(ms_between "$t0" "$t1")
    echo "FDT $fdt ms: repair detected after $ms ms"
    [ "$ms" -le $(( fdt * 220 / 100 )) ] || fail "repair took $ms ms, more than 2 x FDT + 10 %"
    ok "repaired within 2 x FDT + 10 %"
    wait_for 5 "net2 back to standby" has_flag net2 i
}

measure 1000
grep -q "IP interface failure detected on net0 of group itops0" "$MPATHD_LOG" || fail "no failure message"

# SIGHUP with a new FDT: in place, no flag written.
before=$(wc -l < /tmp/events)
flags_before="$(kflags net0) $(kflags net1) $(kflags net2)"
echo "FAILURE_DETECTION_TIME=10000" > /tmp/mpathd.conf
kill -HUP "$MPATHD_PID"
wait_for 5 "the new FDT is in force" gview_is fdt_ms 10000
sleep 2
expect_eq "$(kflags net0) $(kflags net1) $(kflags net2)" "$flags_before" "flags after SIGHUP"
expect_eq "$(wc -l < /tmp/events)" "$before" "kernel events after SIGHUP (none: nothing written)"
kill -0 "$MPATHD_PID" || fail "the daemon is gone after SIGHUP"
expect_eq "$(mview net0 probe)" ok "probe state kept across SIGHUP"

measure 10000
