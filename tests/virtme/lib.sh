# Helpers for VM scenarios. A scenario starts with:
#
#   . ../lib.sh
#
# and then reads top to bottom: build a topology, do something, assert
# what `ip`, sysfs or the packets show. Any failed assertion (or any
# command failing, under `set -e`) ends the scenario with a non-zero status,
# which the harness reports with the scenario's output.
#
# Assertions print "ok: ..." lines so that a failure's context is visible.

set -euo pipefail

REPO=${IPMP_REPO:-$(cd ../../.. && pwd)}
# The project's programs (ipmpadm, ...) as `cargo build` left them.
export PATH=$REPO/target/debug:$PATH

fail() {
    echo "FAIL: $*"
    exit 1
}

ok() {
    echo "ok: $*"
}

# expect_eq ACTUAL EXPECTED DESCRIPTION
expect_eq() {
    [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
    ok "$3 ($1)"
}

# expect_ne ACTUAL UNWANTED DESCRIPTION
expect_ne() {
    [ "$1" != "$2" ] || fail "$3: got '$1'"
    ok "$3 ($1)"
}

# expect_ge ACTUAL MIN DESCRIPTION (integers)
expect_ge() {
    [ "$1" -ge "$2" ] || fail "$3: got $1, expected at least $2"
    ok "$3 ($1 >= $2)"
}

# expect_fail_code CODE "ERROR TEXT" CMD...: as expect_fail, and CMD's
# exit status must be CODE.
expect_fail_code() {
    local code=$1 want=$2 out status=0
    shift 2
    out=$("$@" 2>&1) || status=$?
    [ "$status" != 0 ] || fail "'$*' succeeded, expected an error containing '$want'"
    [ "$status" = "$code" ] || fail "'$*' exited $status, expected $code ($out)"
    case $out in
        *"$want"*) ok "'$*' refused (exit $status): $out" ;;
        *) fail "'$*' failed with '$out', expected '$want'" ;;
    esac
}

# expect_error "ERROR TEXT" CMD...: CMD must fail and print exactly ERROR
# TEXT (all of its output, stdout and stderr).
expect_error() {
    local want=$1 out
    shift
    if out=$("$@" 2>&1); then
        fail "'$*' succeeded, expected the error '$want'"
    fi
    [ "$out" = "$want" ] || fail "'$*' failed with '$out', expected exactly '$want'"
    ok "'$*' refused: $out"
}

# expect_quiet DESCRIPTION CMD...: CMD succeeds and prints nothing (a
# check of empty output alone would pass for a command that failed
# without a word).
expect_quiet() {
    local what=$1 out status=0
    shift
    out=$("$@" 2>&1) || status=$?
    [ "$status" = 0 ] || fail "$what: '$*' failed ($status): $out"
    [ -z "$out" ] || fail "$what: '$*' printed: $out"
    ok "$what: '$*' succeeded silently"
}

# expect_fail "ERROR TEXT" CMD...: CMD must fail and print ERROR TEXT.
expect_fail() {
    local want=$1 out
    shift
    if out=$("$@" 2>&1); then
        fail "'$*' succeeded, expected an error containing '$want'"
    fi
    case $out in
        *"$want"*) ok "'$*' refused: $out" ;;
        *) fail "'$*' failed with '$out', expected '$want'" ;;
    esac
}

# campaign CI FULL: the count of a stress or fuzz campaign: CI (what the
# test command runs within CI's time) or, with IPMP_FULL=1 (vmtest
# --full, scripts/test.sh --full), FULL, the count docs/testing.md records.
campaign() {
    if [ "${IPMP_FULL:-0}" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# --- reading state ---------------------------------------------------------

# link_json DEV [NS]: `ip -j -d -s link show` of DEV as one JSON object.
link_json() {
    local ns=${2:+-n $2}
    # shellcheck disable=SC2086
    ip $ns -j -d -s link show dev "$1" | jq '.[0]'
}

# master_of DEV [NS]: name of DEV's master, or "none".
master_of() {
    link_json "$@" | jq -r '.master // "none"'
}

# members_of GROUP: the group's lower devices from sysfs, sorted, space-separated.
members_of() {
    local l out=()
    for l in /sys/class/net/"$1"/lower_*; do
        [ -e "$l" ] && out+=("${l##*/lower_}")
    done
    printf '%s\n' "${out[@]}" | sort | xargs
}

# carrier_of DEV: 1 or 0 (sysfs). The kernel does not tell the carrier of
# a device that is down: then "unknown (down)", which no check can take
# for a 0.
carrier_of() {
    cat "/sys/class/net/$1/carrier" 2>/dev/null || echo "unknown (down)"
}

mtu_of() { cat "/sys/class/net/$1/mtu"; }
mac_of() { cat "/sys/class/net/$1/address"; }

# stat_of DEV tx|rx packets|bytes|dropped [NS]
stat_of() {
    link_json "$1" "${4:-}" | jq -r ".stats64.$2.$3"
}

link_exists() { ip link show dev "$1" >/dev/null 2>&1; }

# --- building topologies ---------------------------------------------------

load_ipmp() {
    modprobe ipmp
    [ -d /sys/module/ipmp ] || fail "ipmp did not load"
}

# veth NAME PEER: a veth pair, both ends up.
veth() {
    ip link add "$1" type veth peer name "$2"
    ip link set "$1" up
    ip link set "$2" up
}

# group NAME MEMBER...: an ipmp device with the given members, all up.
group() {
    local name=$1 m
    shift
    ip link add "$name" type ipmp
    for m in "$@"; do
        ip link set "$m" master "$name"
    done
    ip link set "$name" up
}

# switch NAME PORT...: the LAN switch, a bridge NAME in its own network
# namespace "switch" (so that it is not a host of the test itself), with
# the given ports (veth ends created in the root namespace) moved into it,
# all up. Act on its ports with `sw link set PORT down` etc.
switch() {
    local name=$1 p
    shift
    ip netns add switch
    ip -n switch link set lo up
    ip -n switch link add "$name" type bridge
    ip -n switch link set "$name" up
    for p in "$@"; do
        ip link set "$p" netns switch
        ip -n switch link set "$p" master "$name"
        ip -n switch link set "$p" up
    done
}

# sw ARGS...: `ip ARGS...` in the switch's namespace.
sw() {
    ip -n switch "$@"
}

# host NS ADDR/PREFIX: a namespace with one interface "eth0" and address
# ADDR; the other end, "$NS-sw", stays in the root namespace for `switch`.
host() {
    local ns=$1 addr=$2
    ip netns add "$ns"
    ip link add "$ns-sw" type veth peer name eth0 netns "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" addr add "$addr" dev eth0
    ip link set "$ns-sw" up
}

# The hub's virtio-net NICs (hub_nic N): a real driver whose receive
# filter QEMU applies as hardware does, while the hub repeats every frame to
# every port. Carrier cannot be changed from the guest: link failures stay
# on veth.
. "$(dirname "${BASH_SOURCE[0]}")/nics.sh"

# driver_of IF: the kernel driver behind IF (virtio_net, veth has none).
driver_of() { basename "$(readlink "/sys/class/net/$1/device/driver")"; }

# maddr_of IF: IF's link-layer multicast list (what its filter lets
# through), one "ADDRESS [users N]" per line, sorted.
maddr_of() { ip maddr show dev "$1" | sed -n 's/^[[:space:]]*link[[:space:]]*//p' | sort; }

# three_members_lan: the LAN most scenarios use: members net0-net2 (veth,
# their switch ends sw-net0..2) and a host "peer" (eth0 192.0.2.2/24) on
# the switch sw0; no group yet.
three_members_lan() {
    local n
    for n in net0 net1 net2; do veth "$n" "sw-$n"; done
    host peer 192.0.2.2/24
    switch sw0 sw-net0 sw-net1 sw-net2 peer-sw
}

# --- the kernel's view, through ipmpadm --------------------------------------

# member_field IF FIELD: a field of the member's kernel state (ipmpadm -j).
member_field() { member_jq "$1" ".$2"; }
# member_jq IF FILTER: jq FILTER applied to the member's object.
member_jq() {
    ipmpadm -j show | jq -r --arg m "$1" '.[].members[] | select(.interface == $m) | '"$2"
}

# active_of IF: "yes" or "no".
active_of() {
    [ "$(member_field "$1" active)" = true ] && echo yes || echo no
}

# roles_of IF: nominee roles as ipmpstat flags (m b M), e.g. "mbM" or "-".
roles_of() {
    member_jq "$1" '[(.nominee | index("v4-multicast") // empty | "m"),
        (.nominee | index("v4-broadcast") // empty | "b"),
        (.nominee | index("v6-multicast") // empty | "M")] | join("") | if . == "" then "-" else . end'
}

# active_set GROUP: the active members, space-separated, in join order.
active_set() {
    ipmpadm -j show "$1" | jq -r '[.[0].members[] | select(.active) | .interface] | join(" ")'
}

# --- in.mpathd -----------------------------------------------------------------

MPATHD_SOCK=/run/ipmp/mpathd.sock
MPATHD_LOG=/tmp/mpathd.log

# mpathd_start [ARGS...]: in.mpathd -d -a ARGS in the background (its log
# in $MPATHD_LOG, shown if the scenario fails); waits for its socket.
mpathd_start() {
    rm -f "$MPATHD_SOCK"
    in.mpathd -d -a "$@" >>"$MPATHD_LOG" 2>&1 &
    MPATHD_PID=$!
    local _
    for _ in $(seq 100); do
        [ -S "$MPATHD_SOCK" ] && return 0
        sleep 0.1
    done
    fail "in.mpathd did not start: $(cat "$MPATHD_LOG")"
}

# On a failed scenario, the daemon's log says why.
mpathd_log_on_failure() {
    local status=$1
    if [ "$status" -ne 0 ] && [ -s "$MPATHD_LOG" ]; then
        echo "--- in.mpathd log ---"
        tail -n 80 "$MPATHD_LOG"
    fi
}

# ipmp_devices: the IPMP interfaces, by their kind (`ip link show type
# ipmp` lists every link when the module is not loaded).
ipmp_devices() {
    ip -j -d link show | jq -r '.[] | select(.linkinfo.info_kind == "ipmp") | .ifname'
}

# at_exit CMD: run CMD when the scenario ends (before the clean-up).
AT_EXIT=()
at_exit() { AT_EXIT+=("$1"); }

# scenario_cleanup: the scenario removes what it built before the harness
# looks (guest-run.sh fails a scenario that leaves anything): its
# processes (everything in its process group but this shell and the
# harness's `timeout`), its IPMP devices and its network namespaces
# (with the links in them).
scenario_cleanup() {
    local pgid dev ns pids signal
    pgid=$(ps -o pgid= $$ | tr -d ' ')
    for signal in TERM KILL; do
        pids=$(pgrep -g "$pgid" | grep -vx -e "$$" -e "$pgid" -e "$BASHPID" || true)
        [ -n "$pids" ] || break
        # shellcheck disable=SC2086
        kill -s "$signal" $pids 2>/dev/null || true
        sleep 0.3
    done
    for dev in $(ipmp_devices); do
        ip link del "$dev" || echo "clean-up: cannot delete $dev"
    done
    for ns in $(ip netns list | awk '{print $1}'); do
        ip netns delete "$ns" || echo "clean-up: cannot delete namespace $ns"
    done
}

scenario_exit() {
    local status=$? cmd
    set +e
    mpathd_log_on_failure "$status"
    for cmd in "${AT_EXIT[@]}"; do $cmd; done
    scenario_cleanup
    exit "$status"
}
trap scenario_exit EXIT

# mpathd_req JSON: one request on the control socket; prints the answer.
mpathd_req() {
    echo "$1" | socat -t 5 - "UNIX-CONNECT:$MPATHD_SOCK"
}

# mview IF FIELD: a field of the daemon's view of member IF.
mview() {
    mpathd_req '{"op":"snapshot"}' | jq -r --arg m "$1" '.snapshot.members[] | select(.name == $m) | .'"$2"
}

# gview FIELD: a field of the daemon's view of the (first) group.
gview() {
    mpathd_req '{"op":"snapshot"}' | jq -r '.snapshot.groups[0].'"$1"
}

# mview_is IF FIELD VALUE / gview_is FIELD VALUE: for wait_for.
mview_is() { [ "$(mview "$1" "$2")" = "$3" ]; }
gview_is() { [ "$(gview "$1")" = "$2" ]; }

# kflags IF: the member's kernel flags as letters, like the unit tests:
# i (inactive) s (standby) F (failed) O (offline), '-' where unset.
kflags() {
    member_jq "$1" '[if .inactive then "i" else "-" end, if .standby then "s" else "-" end,
        if .failed then "F" else "-" end, if .offline then "O" else "-" end] | join("")'
}

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every 0.1 s until it
# succeeds, for SECONDS of wall-clock time. CMD is run again at each try:
# give it a predicate (a function, `output_is`, `has_flag`...), never
# `test "$(cmd)" = x`, whose $(cmd) the shell expands once, before the
# first try (refused here).
wait_for() {
    local limit=$1 what=$2 deadline
    shift 2
    case $1 in
        test | "[" | "[[") fail "wait_for '$what': '$1' compares values expanded once; use a predicate (output_is EXPECTED CMD...)" ;;
    esac
    # Wall-clock: under emulation one try (a CLI, jq) can take 100-300 ms.
    deadline=$(( ${EPOCHREALTIME/./} + limit * 1000000 ))
    while :; do
        "$@" && { ok "$what"; return 0; }
        (( ${EPOCHREALTIME/./} < deadline )) || break
        sleep 0.1
    done
    fail "$what: not within $limit s"
}

# output_is EXPECTED CMD...: whether CMD prints EXPECTED (a predicate for
# wait_for: CMD runs at each try).
output_is() {
    local want=$1
    shift
    [ "$("$@")" = "$want" ]
}

socket_exists() { [ -S "$1" ]; }

# tcpdump_ready ERRFILE: waits until the tcpdump whose stderr goes to
# ERRFILE captures (it says "listening on"); slow to start on a debug kernel.
tcpdump_ready() {
    wait_for 30 "tcpdump capturing ($1)" grep -q "listening on" "$1"
}

# --- traffic -------------------------------------------------------------------

# stream_start NS HOST PORT N: an echo server on PORT in namespace NS, and
# N TCP connections from here to HOST:PORT kept busy with checked round
# trips (tcpflows.py stream) until stream_stop.
stream_start() {
    local ns=$1 host=$2 port=$3 n=$4 line
    ip netns exec "$ns" python3 ../tcpflows.py serve "$port" &
    wait_for 20 "echo server listening on $port" listening "$ns" "$port"
    coproc STREAM { python3 ../tcpflows.py stream "$host" "$port" "$n"; }
    read -r -t 60 line <&"${STREAM[0]}" || true
    [ "$line" = streaming ] || fail "the stream did not start: '$line'"
    ok "$n connections streaming to $host:$port"
}
listening() { [ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ]; }

# stream_stop: ends the stream; fails unless every connection survived.
# Leaves its summary ("N connections, R round trips, 0 broken") in
# STREAM_RESULT.
stream_stop() {
    local pid=$STREAM_PID
    echo stop >&"${STREAM[1]}"
    read -r -t 120 STREAM_RESULT <&"${STREAM[0]}" || STREAM_RESULT="no summary"
    wait "$pid" || fail "connections broke: $STREAM_RESULT"
    case $STREAM_RESULT in *", 0 broken") ok "stream: $STREAM_RESULT" ;;
        *) fail "stream: $STREAM_RESULT" ;; esac
}

# has_flag IF LETTER: whether kflags IF shows LETTER.
has_flag() { [[ $(kflags "$1") == *"$2"* ]]; }
lacks_flag() { [[ $(kflags "$1") != *"$2"* ]]; }

# events_start: records the kernel's ipmp events, each line prefixed with
# its arrival time ($EPOCHREALTIME), in $EVENTS (/tmp/events).
EVENTS=${EVENTS:-/tmp/events}
events_start() {
    : > "$EVENTS"
    (ipmpadm -j monitor | while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done) \
        >> "$EVENTS" 2>/dev/null &
    sleep 0.5
}

# events_since T: how many kernel events /tmp/events recorded after T
# ($EPOCHREALTIME). A "none since" check is followed by a change made on
# purpose and events_recorded, which shows the recorder still records.
events_since() { awk -v t="$1" '$1 > t' "$EVENTS" | wc -l; }
events_recorded() {  # events_recorded SINCE WHAT: at least one event since
    wait_for 5 "the event recorder still records ($2)" events_after "$1"
}
events_after() { (( $(events_since "$1") > 0 )); }

# flag_time IF FLAG on|off SINCE: arrival time of the first event after
# SINCE showing IF with FLAG (standby, inactive, failed, offline) set (on)
# or clear (off); nothing if there is none.
flag_time() {
    local want=false ts json
    case $2 in
    active | standby | inactive | failed | offline) ;;
    *) echo "FAIL: flag_time: no member flag '$2'" >&2; exit 1 ;;
    esac
    [ "$3" = on ] && want=true
    while read -r ts json; do
        [ "$(echo "$ts > $4" | bc)" = 1 ] || continue
        if jq -e --arg m "$1" --arg f "$2" --argjson w "$want" \
            '.member.interface == $m and .member[$f] == $w' \
            <<<"$json" >/dev/null; then
            echo "$ts"
            return 0
        fi
    done < "$EVENTS"
}

# carrier_time IF up|down SINCE: arrival time of the first event after
# SINCE showing IF's carrier up or down; nothing if there is none.
carrier_time() {
    local ts json
    while read -r ts json; do
        [ "$(echo "$ts > $3" | bc)" = 1 ] || continue
        if jq -e --arg m "$1" --arg w "$2" '.member.interface == $m and .member.link == $w' \
            <<<"$json" >/dev/null; then
            echo "$ts"
            return 0
        fi
    done < "$EVENTS"
}

# ms_between T0 T1: milliseconds from T0 to T1 ($EPOCHREALTIME values).
# Both must be times: an event that never came is a failure, not a
# negative duration.
ms_between() {
    if [ -z "$1" ] || [ -z "$2" ]; then
        echo "FAIL: ms_between: a time is missing ('$1', '$2')" >&2
        exit 1
    fi
    echo "($2 - $1) * 1000 / 1" | bc
}

# blackhole PORT on|off: drop everything through switch port PORT, both
# ways, with the link left up. BLACKHOLE_AT is when the path was cut
# (the first drop rule in place: no probe is answered from then on) or,
# with off, fully open again; timing from before the commands would count
# their start-up under emulation (100-300 ms) as detection time.
blackhole() {
    if [ "$2" = on ]; then
        ip netns exec switch tc qdisc add dev "$1" ingress
        ip netns exec switch tc qdisc add dev "$1" root netem loss 100%
        BLACKHOLE_AT=$EPOCHREALTIME
        ip netns exec switch tc filter add dev "$1" ingress matchall action drop
    else
        ip netns exec switch tc qdisc del dev "$1" root
        ip netns exec switch tc qdisc del dev "$1" ingress
        BLACKHOLE_AT=$EPOCHREALTIME
    fi
}

# detected_within_fdt PORT IF FDT_MS WHAT: black-holes switch port PORT
# and asserts that in.mpathd fails IF within FDT + 10 %, timed from the
# cut to the kernel's event; prints the time with WHAT. The port stays
# black-holed.
detected_within_fdt() {
    local port=$1 member=$2 fdt=$3 what=$4 t0 ms
    blackhole "$port" on
    t0=$BLACKHOLE_AT
    wait_for $(( fdt * 3 / 1000 + 2 )) "$member failed by probes ($what)" has_flag "$member" F
    ms=$(ms_between "$t0" "$(flag_time "$member" failed on "$t0")")
    echo "$what: failure detected after $ms ms (FDT $fdt ms)"
    [ "$ms" -le $(( fdt * 110 / 100 )) ] || fail "detection took $ms ms, more than FDT + 10 %"
    ok "detected within FDT + 10 %"
}

# probe_lan_wires: probe_lan's members, switch and router, no group.
probe_lan_wires() {
    local i
    sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    for i in 0 1 2; do veth "net$i" "sw-net$i"; done
    host router 192.168.10.1/24
    switch sw0 sw-net0 sw-net1 sw-net2 router-sw
}

# probe_lan_file: probe_lan's switch and router, with the group described
# in /etc/ipmp/itops0.conf (ipmp(5)) instead of built: for `ipmpadm apply`
# and the installed units.
probe_lan_file() {
    probe_lan_wires
    mkdir -p /etc/ipmp
    cat > /etc/ipmp/itops0.conf <<'EOC'
# The documentation's group: two active members and a standby.
member net0
member net1
standby net2
address 192.168.10.5/24
test-address net0 192.168.10.10/24
test-address net1 192.168.10.11/24
test-address net2 192.168.10.12/24
probe-target 192.168.10.1
EOC
}

# probe_lan: the Oracle Solaris documentation's topology for the daemon: itops0 over net0, net1
# (active) and net2 (standby), data address 192.168.10.5, test addresses
# 192.168.10.10-12 (noprefixroute: the members get no route of their own,
# so data traffic never leaves by them directly), default route via the
# router 192.168.10.1, which is also the probe target.
#
#   itops0 ─┬─ net0 ── sw-net0 ─┐
#           ├─ net1 ── sw-net1 ─┼─ sw0 ── router-sw ── [router] eth0 192.168.10.1
#           └─ net2 ── sw-net2 ─┘
probe_lan() {
    local i
    probe_lan_wires
    ip link add itops0 type ipmp
    for i in 1 0 2; do ip link set "net$i" master itops0; done
    ipmpadm set-member net2 --standby on
    ip link set itops0 up
    ip addr add 192.168.10.5/24 dev itops0
    for i in 0 1 2; do ip addr add "192.168.10.1$i/24" dev "net$i" noprefixroute; done
    ip route add default via 192.168.10.1 dev itops0
}

# probe_lan_with_mpathd: load ipmp, probe_lan, record the kernel's events,
# and start in.mpathd at FDT 1 s (/tmp/mpathd.conf); returns once net0's
# probes are answered.
probe_lan_with_mpathd() {
    load_ipmp
    probe_lan
    echo "FAILURE_DETECTION_TIME=1000" > /tmp/mpathd.conf
    events_start
    mpathd_start -f /tmp/mpathd.conf
    wait_for 10 "net0 probes answered" mview_is net0 probe ok
}

# net0_failed_by_probes: black-holes net0's switch port until in.mpathd
# fails it; the flags are then Figure 2's.
net0_failed_by_probes() {
    blackhole sw-net0 on
    wait_for 5 "net0 failed" has_flag net0 F
    expect_eq "$(kflags net0) $(kflags net1) $(kflags net2)" "--F- ---- -s--" "flags with net0 failed (Figure 2)"
}

# writable_module_tree: the guest's module tree is the host's, read-only:
# makes /lib/modules/$(uname -r) a writable copy without the harness's own
# ipmp.ko (so that only one installed by DKMS can load), with build and
# source pointing at the kernel's build tree ($KDIR is set to it). The
# harness's tree is put back on the way out, whatever happens.
writable_module_tree() {
    local kver f
    kver=$(uname -r)
    WMT_MODDIR=$(readlink -f "/lib/modules/$kver")
    KDIR=${WMT_MODDIR%/.virtme_mods/*}
    at_exit restore_module_tree
    rm "/lib/modules/$kver"
    mkdir "/lib/modules/$kver"
    for f in "$WMT_MODDIR"/*; do
        case ${f##*/} in
            build|source) ln -s "$KDIR" "/lib/modules/$kver/${f##*/}" ;;  # not the whole tree
            *) cp -rL "$f" "/lib/modules/$kver/" ;;
        esac
    done
    rm -f "/lib/modules/$kver/extra/ipmp.ko"
    depmod -a "$kver"
}
restore_module_tree() {
    rm -rf "/lib/modules/$(uname -r)"
    ln -s "$WMT_MODDIR" "/lib/modules/$(uname -r)"
}

# run_unit NAME: runs the unit's ExecStartPre and ExecStart lines as
# systemd would ('-' prefix: failure ignored; '+': full privileges, as
# root runs everything here); Type=notify: in the background with
# NOTIFY_SOCKET (and WATCHDOG_USEC from WatchdogSec=), waiting for READY=1.
run_unit() {
    local unit=/usr/lib/systemd/system/$1.service line cmd prefix
    local type watchdog
    type=$(sed -n 's/^Type=//p' "$unit")
    watchdog=$(sed -n 's/^WatchdogSec=\([0-9]*\)$/\1/p' "$unit")
    while IFS= read -r line; do
        cmd=${line#*=}
        prefix=${cmd%%[!-+@:!]*}
        cmd=${cmd#"$prefix"}
        if [[ $prefix == *-* ]]; then
            $cmd || true
        else
            $cmd || fail "$1: '$cmd' failed"
        fi
    done < <(grep '^ExecStartPre=' "$unit")
    cmd=$(sed -n 's/^ExecStart=//p' "$unit")
    if [ "$type" = notify ]; then
        rm -f /run/notify.sock /tmp/notify.txt
        socat -u UNIX-RECV:/run/notify.sock OPEN:/tmp/notify.txt,creat &
        NOTIFY_PID=$!
        wait_for 5 "notify socket" socket_exists /run/notify.sock
        # As systemd does: the watchdog is the service's main process's
        # (WATCHDOG_PID), which exec keeps.
        (
            export NOTIFY_SOCKET=/run/notify.sock
            [ -z "$watchdog" ] || export WATCHDOG_USEC=$((watchdog * 1000000)) WATCHDOG_PID=$BASHPID
            exec $cmd
        ) >> "$MPATHD_LOG" 2>&1 &
        MPATHD_PID=$!
        wait_for 20 "$1: READY=1" grep -q READY=1 /tmp/notify.txt
    else
        $cmd || fail "$1: '$cmd' failed"
    fi
}
