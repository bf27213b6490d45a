#!/usr/bin/env bash
# Self-test of the scenario helpers, run on the host by scripts/test.sh:
# wait_for keeps wall-clock limits (a predicate that turns true too late
# fails it, also when each try is slow; one that turns true in time
# passes), re-runs its predicate at each try (output_is), and refuses the
# `test "$(cmd)" = x` form whose command runs only once; and the helpers
# that read the kernel's view (kflags, roles_of, active_set, ...) from a
# stand-in `ipmpadm -j show`.
cd "$(dirname "${BASH_SOURCE[0]}")/scenarios" || exit 1
. ../lib.sh
# On the host: none of the scenarios' exit handling (it removes devices).
trap - EXIT
set +e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
check() {  # check DESCRIPTION EXPECTED-STATUS MAX-SECONDS CMD...
    local what=$1 want=$2 max=$3 t0 status took
    shift 3
    t0=${EPOCHREALTIME/./}
    ( "$@" ) >"$dir/out" 2>&1
    status=$?
    took=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
    if [ "$status" != "$want" ] || [ "$took" -gt $((max * 1000)) ]; then
        echo "FAIL: $what: status $status (want $want) after $took ms (at most ${max}000): $(cat "$dir/out")"
        failures=$((failures + 1))
    else
        echo "ok: $what (status $status after $took ms)"
    fi
}
exists() { [ -e "$1" ]; }
slow_false() { sleep 0.4; return 1; }
count() { echo $(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 )) > "$dir/count"; cat "$dir/count"; }

(sleep 3; touch "$dir/late") &
check "a predicate true too late fails" 1 3 wait_for 1 "late" exists "$dir/late"
(sleep 0.5; touch "$dir/soon") &
check "a predicate true in time passes" 0 3 wait_for 3 "soon" exists "$dir/soon"
# 1 s of slow tries: the old helper (10 tries per second asked) took 4 s.
check "slow tries still end at the wall-clock limit" 1 2 wait_for 1 "slow" slow_false
check "the predicate runs at each try" 0 3 wait_for 3 "third try" output_is 3 count
check "test \"\$(cmd)\" = x is refused" 1 1 wait_for 1 "misuse" test "$(echo a)" = b
grep -q "compares values expanded once" "$dir/out" || {
    echo "FAIL: the refusal does not say why: $(cat "$dir/out")"
    failures=$((failures + 1))
}

# The kernel-view helpers read `ipmpadm -j show`: here a stand-in that
# prints a hand-written example of docs/json/ipmpadm-groups.schema.json.
mkdir "$dir/bin"
printf '#!/bin/sh\ncat %q\n' "$REPO/tests/json/examples/ipmpadm-groups/good-one.json" > "$dir/bin/ipmpadm"
chmod +x "$dir/bin/ipmpadm"
helper() {  # helper DESCRIPTION EXPECTED CMD...
    local what=$1 want=$2 got
    shift 2
    got=$(PATH=$dir/bin:$PATH "$@" 2>&1)
    if [ "$got" = "$want" ]; then
        echo "ok: $what ($got)"
    else
        echo "FAIL: $what: '$got', expected '$want'"
        failures=$((failures + 1))
    fi
}
helper "kflags of an inactive standby" "is--" kflags net2
helper "kflags of an active member" "----" kflags net0
helper "roles_of a nominee" "mb" roles_of net0
helper "roles_of a member holding no role" "-" roles_of net2
helper "active_set" "net0" active_set itops0
helper "active_of" "no" active_of net2
helper "member_field" "up" member_field net0 link

# The event helpers read $EVENTS: arrival time, then `ipmpadm -j monitor`'s
# line (the schema's examples).
ev=$REPO/tests/json/examples/ipmpadm-event
{
    printf '100.5 %s\n' "$(cat "$ev/good-removed.json")"
    printf '101.25 %s\n' "$(cat "$ev/good-changed.json")"
} > "$dir/events"
export EVENTS=$dir/events
helper "flag_time of a flag set" "100.5" flag_time net2 standby on 100
helper "flag_time of a flag clear" "101.25" flag_time net0 failed off 100
helper "flag_time of an event that never came" "" flag_time net0 failed on 100
helper "flag_time only looks after SINCE" "" flag_time net2 standby on 100.5
check "flag_time refuses a flag that does not exist" 1 1 flag_time net0 4 on 100
helper "ms_between" "750" ms_between 100.5 101.25
check "ms_between refuses a missing time" 1 1 ms_between 100.5 ""
exit $((failures > 0))
