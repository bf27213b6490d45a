#!/usr/bin/env bash
# Runs inside the VM (started by `vmtest`): runs each scenario named on the
# command line and frames it with the markers vmtest reads:
#
#   @@ipmp-test begin NAME
#   ...scenario output...
#   @@ipmp-test dmesg
#   ...kernel log written during the scenario and its teardown...
#   @@ipmp-test end NAME status=N teardown=ok|fail ms=DURATION
#
# After each scenario: it must have removed its IPMP devices, namespaces
# and processes itself (lib.sh's exit handler does for what the helpers
# built); anything left fails it. Then the harness's teardown deletes every
# namespace and link and unloads ipmp.ko (a failed unload fails the
# scenario: it means a leaked reference). The kernel log is read and
# cleared at each scenario's start and end, so a WARNING/BUG/lockdep/KASAN
# line is shown with the scenario during or after which it came.
set -u
cd "$(dirname "$0")" || exit 1
export PATH=/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin
export IPMP_REPO
IPMP_REPO=$(cd ../.. && pwd)

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
echo "@@ipmp-test guest $(uname -r) $(nproc) cpus"

# Each step is bounded: a hang (say, a device whose last reference never
# goes: "unregister_netdevice: waiting for ...") must fail this scenario
# with its kernel log, not stall the whole run.
. ./nics.sh
wait_nic() {  # wait_nic N: until hub NIC N is in this namespace (10 s)
    local _
    for _ in $(seq 100); do
        hub_nic "$1" >/dev/null && return 0
        sleep 0.1
    done
    return 1
}

teardown() {
    local ok=0 link
    # Daemons and helpers a scenario left running.
    # (The daemon runs as in.mpathd, a link to target/debug/mpathd.)
    pkill -x in.mpathd 2>/dev/null; pkill -x mpathd 2>/dev/null
    pkill -x iperf3 2>/dev/null; pkill -f "ipmpadm -j monitor" 2>/dev/null
    pkill -f tcpflows.py 2>/dev/null; pkill -f ctlhog.py 2>/dev/null
    sleep 0.2
    pkill -9 -x in.mpathd 2>/dev/null; pkill -9 -x mpathd 2>/dev/null
    rm -f /tmp/mpathd.log /tmp/events
    timeout 60 ip -all netns delete 2>/dev/null || { echo "teardown: netns deletion hung"; ok=1; }
    for link in $(ip -j link show | jq -r '.[] | select(.ifname != "lo") | .ifname'); do
        timeout 60 ip link del "$link" 2>/dev/null
        [ $? -ne 124 ] || { echo "teardown: deleting $link hung"; ok=1; }
    done
    # The hub's virtio-net NICs cannot be deleted: back to the root
    # namespace (a deleted namespace returns them asynchronously), released,
    # without addresses, down.
    for link in $(seq 0 3); do
        wait_nic "$link" || { echo "teardown: hub NIC $link (52:54:00:07:00:0$link) did not come back"; ok=1; continue; }
        link=$(hub_nic "$link")
        ip link set "$link" nomaster 2>/dev/null
        ip link set "$link" promisc off allmulticast off down 2>/dev/null
        ip addr flush dev "$link" 2>/dev/null
    done
    # Namespace-wide settings scenarios may change, back to their defaults.
    sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
        net.ipv6.conf.all.accept_dad=1 net.ipv6.conf.default.accept_dad=1 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
    if [ -d /sys/module/ipmp ]; then
        timeout 60 rmmod ipmp || { echo "teardown: rmmod ipmp failed"; ok=1; }
    fi
    return $ok
}

# kmemleak (debug kernel): leaks found after the scenario, in its log. A
# new object is reported only by a scan that finds it unreferenced after
# an earlier scan already had (its checksum must be stable) and once it is
# at least 5 s old: two scans, 6 s apart, so that a leak is blamed on the
# scenario that made it, the last scenario's included.
kmemleak_report() {
    [ -w /sys/kernel/debug/kmemleak ] || return 0
    echo scan > /sys/kernel/debug/kmemleak
    sleep 6
    echo scan > /sys/kernel/debug/kmemleak
    sed 's/^/kmemleak: /' /sys/kernel/debug/kmemleak
    echo clear > /sys/kernel/debug/kmemleak
}

ipmp_devices() {
    ip -j -d link show 2>/dev/null | jq -r '.[] | select(.linkinfo.info_kind == "ipmp") | .ifname'
}

# leftovers: what the scenario left that it should have removed itself
# (lib.sh's exit handler removes what the helpers built): IPMP devices,
# network namespaces, the test's processes. Printed; non-zero if any.
leftovers() {
    local found=0 what
    what=$(ipmp_devices | paste -sd' ')
    [ -z "$what" ] || { echo "leftover IPMP devices: $what"; found=1; }
    what=$(ip netns list 2>/dev/null | awk '{print $1}' | paste -sd' ')
    [ -z "$what" ] || { echo "leftover network namespaces: $what"; found=1; }
    what=$( { pgrep -a -x 'in.mpathd|mpathd|iperf3|tcpdump|socat|teamd' 2>/dev/null
              pgrep -a -f '(^|/)(tcpflows|ctlhog)\.py |ipmpadm -j monitor|(^|/)genl-fuzz ' 2>/dev/null; } |
            paste -sd';')
    [ -z "$what" ] || { echo "leftover processes: $what"; found=1; }
    return $found
}

for name in "$@"; do
    echo "@@ipmp-test begin $name"
    # Read and clear: kernel messages since the last dump (say, from the
    # previous scenario's unload) are shown with this one, never lost.
    dmesg -c > /tmp/dmesg.before 2>/dev/null
    started=$(date +%s%N)
    # A scenario may ask for more than the default 240 s with a
    # "# timeout: SECONDS" line; a debug kernel gets three times as long.
    limit=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "scenarios/$name.sh" | head -1)
    limit=${limit:-240}
    [ ! -e /sys/kernel/debug/kmemleak ] || limit=$((limit * 3))
    (cd scenarios && exec timeout "$limit" bash "./$name.sh") 2>&1
    status=$?
    # Before the harness touches anything: did the scenario clean up?
    if ! leftovers; then
        echo "FAIL: the scenario left the above behind"
        [ "$status" != 0 ] || status=99
    fi
    teardown_result=ok
    teardown 2>&1 || teardown_result=fail
    echo "@@ipmp-test dmesg"
    cat /tmp/dmesg.before
    dmesg -c
    kmemleak_report
    ms=$(( ($(date +%s%N) - started) / 1000000 ))
    echo "@@ipmp-test end $name status=$status teardown=$teardown_result ms=$ms"
done
