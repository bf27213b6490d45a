#!/usr/bin/env bash
# 1000 cycles (300 in CI) of member add/remove and as many of group
# create/delete, while 16 TCP connections stream through the group and in.mpathd follows every
# change: no connection breaks, the daemon survives, nothing is left
# behind (the harness then unloads the module and checks the kernel log,
# with a kmemleak scan on the debug kernel). Each half is one `ip -batch`
# (process start-up is slow under emulation).
# timeout: 420
. ../lib.sh
load_ipmp
probe_lan
# A fourth member that comes and goes, on the same LAN.
veth net3 sw-net3
ip link set sw-net3 netns switch
sw link set sw-net3 master sw0 up
# A second group's member, created and deleted with it.
veth tmp0 sw-tmp0
echo "FAILURE_DETECTION_TIME=10000" > /tmp/mpathd.conf
mpathd_start -f /tmp/mpathd.conf

stream_start router 192.168.10.1 7001 16

cycles=$(campaign 300 1000)
for i in $(seq "$cycles"); do
    echo "link set net3 master itops0"
    echo "link set net3 nomaster"
done > /tmp/members.batch
start=$SECONDS
ip -batch /tmp/members.batch
ok "$cycles member add/remove cycles in $((SECONDS - start)) s"
for i in $(seq "$cycles"); do
    echo "link add itops1 type ipmp"
    echo "link set tmp0 master itops1"
    echo "link set itops1 up"
    echo "link del itops1"
done > /tmp/groups.batch
start=$SECONDS
ip -batch /tmp/groups.batch
ok "$cycles group create/add/delete cycles in $((SECONDS - start)) s"

stream_stop
expect_eq "$(members_of itops0)" "net0 net1 net2" "itops0's members"
expect_eq "$(master_of net3)/$(master_of tmp0)" "none/none" "net3 and tmp0 released"
! link_exists itops1 || fail "itops1 left behind"
kill -0 "$MPATHD_PID" || fail "in.mpathd died: $(cat "$MPATHD_LOG")"
# The daemon's view converges on the three members that stayed.
listed() { ipmpstat -P -o interface -i | sort | paste -sd' '; }
wait_for 10 "ipmpstat -i lists net0 net1 net2 only" output_is "net0 net1 net2" listed
expect_eq "$(kflags net0) $(kflags net1) $(kflags net2)" "---- ---- is--" "flags after the churn"
