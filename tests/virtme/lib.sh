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

# carrier_of DEV: 1 or 0 (sysfs; 0 when the device is down).
carrier_of() {
    cat "/sys/class/net/$1/carrier" 2>/dev/null || echo 0
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

# --- the kernel's view, through ipmpadm --------------------------------------

# member_field IF FIELD: a field of the member's kernel state (ipmpadm -j).
member_field() {
    ipmpadm -j show | jq -r --arg m "$1" '.[].members[] | select(.ifname == $m) | .'"$2"
}

# active_of IF: "yes" or "no".
active_of() {
    [ "$(member_field "$1" active)" = true ] && echo yes || echo no
}

# roles_of IF: nominee roles as ipmpstat flags (m b M), e.g. "mbM" or "-".
roles_of() {
    local n out=""
    n=$(member_field "$1" nominee)
    (( n & 1 )) && out+=m
    (( n & 2 )) && out+=b
    (( n & 4 )) && out+=M
    echo "${out:--}"
}

# active_set GROUP: the active members, space-separated, in join order.
active_set() {
    ipmpadm -j show "$1" | jq -r '[.[0].members[] | select(.active) | .ifname] | join(" ")'
}
