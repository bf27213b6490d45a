#!/usr/bin/env bash
# in.mpathd on a multi-user host: a local user (nobody, uid 65534) in a
# user namespace of its own (`unshare -Ur`: root there, every capability
# there) is refused every change (offline, online, standby, reload) with
# nothing changing in the kernel, and may still read (snapshot, probe
# stream); root still works. A second daemon refuses to start and leaves
# the first one's socket alone. 200 hostile connections (half subscribed
# to the probe stream and never reading, half sending a byte a second,
# reopened as soon as they are closed) do not queue root's if_mpadm behind
# them (it answers within 1.5 s of its time without the load, less than
# the 2 s a request may take to arrive), nor keep probing from failing a
# black-holed member within FDT + 10 %; the daemon's memory stays bounded.
# timeout: 300
. ../lib.sh
probe_lan_with_mpathd
wait_for 10 "net2 probes answered" mview_is net2 probe ok

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
[ ! -e /proc/sys/kernel/unprivileged_userns_clone ] ||
    sysctl -qw kernel.unprivileged_userns_clone=1
# Control: the user namespace really makes nobody root with CAP_NET_ADMIN
# (bit 12) there; else the refusals below would prove nothing.
expect_eq "$(nobody unshare -Ur id -u)" 0 "nobody is uid 0 in its own user namespace"
capeff=$(nobody unshare -Ur sh -c 'sed -n "s/^CapEff:\t//p" /proc/self/status')
(( (0x$capeff >> 12) & 1 )) || fail "CapEff $capeff lacks CAP_NET_ADMIN in the user namespace"
ok "and holds CAP_NET_ADMIN there (CapEff $capeff)"

# --- refused changes ---------------------------------------------------------------
flags() { echo "$(kflags net0) $(kflags net1) $(kflags net2)"; }
before=$(flags)
events_before=$(wc -l < /tmp/events)
ask() { nobody unshare -Ur socat -t 5 - "UNIX-CONNECT:$MPATHD_SOCK" <<<"$1" | jq -r .message; }
denied="permission denied: only root may change IPMP state"
expect_eq "$(ask '{"op":"offline","interface":"net1"}')" "$denied" "offline from a user namespace"
expect_eq "$(ask '{"op":"online","interface":"net1"}')" "$denied" "online from a user namespace"
expect_eq "$(ask '{"op":"standby","interface":"net0","on":true}')" "$denied" "standby from a user namespace"
expect_eq "$(ask '{"op":"reload"}')" "$denied" "reload from a user namespace"
expect_fail "$denied" nobody unshare -Ur if_mpadm -d net1
expect_fail "$denied" nobody unshare -Ur ipmpadm offline net1
sleep 1
expect_eq "$(flags)" "$before" "kernel flags unchanged"
expect_eq "$(wc -l < /tmp/events)" "$events_before" "no kernel event from the refused requests"
expect_eq "$(grep -c 'SIGHUP: re-read' "$MPATHD_LOG" || true)" 0 "no reload happened"

# Reads still work from there.
expect_eq "$(nobody unshare -Ur ipmpstat -n -P -o group,state -g)" "itops0:ok" "ipmpstat -g from a user namespace"
probes=$(nobody unshare -Ur timeout 3 ipmpstat -n -P -o interface -p || true)
expect_ge "$(grep -c net <<<"$probes")" 1 "probe results streamed to a user namespace"

# Root still works, and the event monitor records (the control for the
# "no kernel event" check above). Timed: the unloaded reference for the
# same command under the hostile load below.
t0=$EPOCHREALTIME
if_mpadm -d net1
unloaded_ms=$(ms_between "$t0" "$EPOCHREALTIME")
echo "root's if_mpadm -d without load: $unloaded_ms ms"
wait_for 5 "net1 offline by root" has_flag net1 O
expect_ge "$(wc -l < /tmp/events)" $((events_before + 1)) "the kernel event of root's offline"
if_mpadm -r net1
wait_for 5 "net1 online again" lacks_flag net1 O
wait_for 5 "net2 back to standby" has_flag net2 i

# --- one daemon at a time --------------------------------------------------------------
sock_inode=$(stat -c %i "$MPATHD_SOCK")
events_before=$(wc -l < /tmp/events)
for args in "-f /tmp/mpathd.conf" "-f /tmp/mpathd.conf --socket /run/ipmp/other.sock"; do
    # shellcheck disable=SC2086
    if out=$(in.mpathd -d -a $args 2>&1); then fail "a second in.mpathd ($args) started"; fi
    expect_eq "$out" "in.mpathd: another in.mpathd (pid $MPATHD_PID) is running in this network namespace (it holds $(ls /run/ipmp/in.mpathd.net-*.lock)); exiting" \
        "second daemon ($args) refused"
done
[ ! -e /run/ipmp/other.sock ] || fail "the refused daemon made a socket"
# In another network namespace it has a lock of its own, but not the
# first one's socket.
if out=$(ip netns exec router in.mpathd -d -a 2>&1); then fail "a daemon started on a live socket"; fi
expect_eq "$out" "in.mpathd: another in.mpathd is listening on $MPATHD_SOCK (see --socket); exiting" \
    "a daemon in another network namespace refuses the live socket"
expect_eq "$(stat -c %i "$MPATHD_SOCK")" "$sock_inode" "the first daemon's socket untouched"
expect_eq "$(mpathd_req '{"op":"snapshot"}' | jq -r .result)" ok "the first daemon still answers"
sleep 1
expect_eq "$(wc -l < /tmp/events)" "$events_before" "no flag written by the refused daemons"

# --- 200 hostile connections ------------------------------------------------------------
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$MPATHD_PID/status"; }
threads() { sed -n 's/^Threads:[[:space:]]*//p' "/proc/$MPATHD_PID/status"; }
rss_before=$(rss)
coproc HOG { nobody python3 ../ctlhog.py "$MPATHD_SOCK" 200 25; }
read -r -t 30 line <&"${HOG[0]}" || true
[ "$line" = ready ] || fail "the hostile client did not start: '$line'"
ok "200 hostile connections open"
sleep 3
t0=$EPOCHREALTIME
if_mpadm -d net1
t1=$EPOCHREALTIME
ms=$(ms_between "$t0" "$t1")
echo "root's if_mpadm -d under the hostile load: $ms ms (without: $unloaded_ms ms)"
# A request waits at most 2 s (the daemon's REQUEST_TIME) to arrive: root
# served only after one hostile connection timed out would be 2 s late.
[ "$ms" -le $((unloaded_ms + 1500)) ] ||
    fail "if_mpadm -d took $ms ms, more than 1.5 s over its $unloaded_ms ms without load"
ok "root was not queued behind the hostile connections"
has_flag net1 O || fail "net1 not offline"
if_mpadm -r net1
wait_for 5 "net1 online again" lacks_flag net1 O
wait_for 5 "net2 back to standby" has_flag net2 i
# Probing goes on: a black-holed member is still failed within FDT + 10 %.
sleep 1
detected_within_fdt sw-net0 net0 1000 "under the hostile load"
echo "in.mpathd under the hostile load: RSS $(rss) kB (before: $rss_before kB), $(threads) threads"
[ "$(rss)" -le 32768 ] || fail "RSS $(rss) kB, more than 32 MiB"
ok "RSS bounded"
[ "$(threads)" -le 40 ] || fail "$(threads) threads"
ok "threads bounded (8 connections of nobody at most, plus the daemon's own)"
read -r -t 60 counts <&"${HOG[0]}" || counts=""
echo "hostile client: $counts"
refused=$(awk '{print $4}' <<<"$counts")
expect_ge "${refused:-0}" 192 "connections beyond nobody's 8 refused with a message"
blackhole sw-net0 off
wait_for 5 "net0 repaired" lacks_flag net0 F
