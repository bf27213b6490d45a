#!/usr/bin/env bash
# The control-plane churn benchmark played in the VM by `scripts/bench
# churn` (not a test): N cycles of adding and removing a member (one
# `ip -batch` run, so no process start-up per change) for bonding
# (active-backup), team and ipmp, each with one other member staying; and
# N changes of an ipmp member's flags over generic netlink, one request
# and its acknowledgement at a time, each moving the member in or out of
# the active set ("toggle"), or changing nothing ("same").
#
# Every measurement also traces how long the benchmark's own tasks held
# RTNL (rtnlhold.py: the function tracer on rtnl_lock/__rtnl_unlock).
#
# Prints @@bench lines like bench.sh. Under software emulation: compare
# the ratios within one run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../scenarios"
. ../lib.sh
set -e
N=${CHURN_CYCLES:-1000}
ip link set lo up

emit() {  # emit TEST SYSTEM VALUE UNIT
    printf '@@bench {"test":"%s","system":"%s","value":%s,"unit":"%s"}\n' "$1" "$2" "$3" "$4"
}

modprobe bonding max_bonds=0
modprobe team
modprobe team_mode_activebackup
load_ipmp
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
veth a0 sw-a0
veth a1 sw-a1

# cycles MASTER: seconds for N times "a0 joins MASTER, a0 leaves" (a0 set
# down first each time: bonding refuses to enslave an interface that is up,
# and leaves it down when it releases it).
cycles() {
    local i start end
    for ((i = 0; i < N; i++)); do
        echo "link set a0 down"
        echo "link set a0 master $1"
        echo "link set a0 nomaster"
    done > /tmp/churn.batch
    start=$(date +%s.%N)
    ip -batch /tmp/churn.batch
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

# traced SYSTEM TEST CHANGES CMD...: runs CMD (which prints seconds) with
# RTNL holds traced; emits the time and the RTNL hold per change.
traced() {
    local system=$1 test=$2 changes=$3 t hold
    shift 3
    python3 ../bench/rtnlhold.py start $BASHPID
    t=$("$@")
    read -r hold longest holds < <(python3 ../bench/rtnlhold.py stop "$changes")
    emit "$test" "$system" "$(per_change_us "$t" "$changes")" us
    emit "$test-rtnl" "$system" "$hold" us
    emit "$test-rtnl-longest" "$system" "$longest" us
    echo "$system $test: $holds RTNL holds traced"
}

per_change_us() {  # per_change_us SECONDS CHANGES
    echo "$1 * 1000000 / $2" | bc -l | xargs printf '%.1f'
}

# add_remove SYSTEM MASTER TYPE...: MASTER (ip link add MASTER type TYPE...)
# with a1 as its steady member, then the cycles of a0. (a1 is set down
# first: bonding refuses to enslave an interface that is up.)
add_remove() {
    local system=$1 master=$2 t
    shift 2
    ip link add "$master" type "$@"
    ip link set "$master" up
    ip link set a1 down
    ip link set a1 master "$master"
    traced "$system" churn-add-remove $((2 * N)) cycles "$master"
}

add_remove bond-ab bond0 bond mode active-backup miimon 100
ip link del bond0
add_remove team team0 team
ip link del team0
add_remove ipmp itops0 ipmp

ip link set a0 master itops0
ip link set a0 up
traced ipmp churn-flags-toggle "$N" python3 ../bench/genlflags.py a0 "$N" toggle
traced ipmp churn-flags-same "$N" python3 ../bench/genlflags.py a0 "$N" same
ip link del itops0
echo "churn: $N cycles each"
