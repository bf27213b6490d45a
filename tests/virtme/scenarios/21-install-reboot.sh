#!/usr/bin/env bash
# Installed like any network component, and surviving a reboot:
# scripts/install puts the programs, units, man pages, completions and
# /etc/default/mpathd in place and installs ipmp.ko through DKMS (built
# for this kernel by DKMS on the host, see scripts/dkms-prebuild.sh); the
# documentation's group is described in /etc/ipmp/itops0.conf; "boot" runs the
# installed units' commands as systemd would (ipmp-apply.service, then
# in.mpathd.service with its readiness notification). A second apply
# changes nothing; show-config round-trips; an edit converges without
# touching unchanged members; a "reboot" (everything torn down, the
# units run again) finds the same groups, addresses, roles and daemon;
# uninstall removes exactly what install added.
# timeout: 420
. ../lib.sh
kver=$(uname -r)
moddir=$(readlink -f "/lib/modules/$kver")
KDIR=${moddir%/.virtme_mods/*}
prebuilt=""
for d in "$REPO/build/dkms/$kver"-*; do
    if [ "$(cat "$d/kdir" 2>/dev/null)" = "$KDIR" ]; then prebuilt=$d; fi
done
[ -d "$prebuilt/tree" ] || fail "no DKMS build for $kver under $REPO/build/dkms (vmtest runs scripts/dkms-prebuild.sh)"

# A failure part way must not leave the installation and its files to the
# scenarios after this one (run before the module tree is put back).
leave_clean() {
    rm -f /etc/ipmp/itops0.conf /etc/ipmp/itops1.conf
    [ ! -f /var/lib/ipmp/installed ] || "$REPO/scripts/uninstall" >/dev/null 2>&1 || true
}
at_exit leave_clean
writable_module_tree
cp -a "$prebuilt/tree" /tmp/dkms
rm -f /etc/default/mpathd
# apply keeps systemd-networkd off what the files name (installed here).
NETWORKD_MEMBERS=/run/systemd/network/10-ipmp-members.network
[ -x /lib/systemd/systemd-networkd ] || fail "systemd-networkd is not installed"
rm -f "$NETWORKD_MEMBERS"

# --- install -------------------------------------------------------------------
"$REPO/scripts/install" --no-build --bin-dir "$REPO/target/debug" \
    --kernel "$kver" --kernel-build "$KDIR" --dkms-tree /tmp/dkms > /tmp/install.log 2>&1 ||
    { cat /tmp/install.log; fail "scripts/install failed"; }
ok "scripts/install"
for f in /usr/sbin/in.mpathd /usr/sbin/ipmpstat /usr/sbin/ipmpadm /usr/sbin/if_mpadm \
    /etc/default/mpathd /usr/lib/systemd/system/in.mpathd.service \
    /usr/lib/systemd/system/ipmp-apply.service /usr/share/man/man8/ipmpstat.8.gz \
    /usr/share/man/man5/ipmp.5.gz /usr/share/bash-completion/completions/ipmpadm \
    /usr/share/zsh/vendor-completions/_ipmpstat; do
    [ -e "$f" ] || fail "$f not installed"
done
ok "programs, units, man pages and completions in place"
expect_eq "$(modinfo -n ipmp)" "/lib/modules/$kver/updates/dkms/ipmp.ko" "the module modprobe finds is DKMS's"
expect_eq "$(grep -c '^FAILURE_DETECTION_TIME=10000$' /etc/default/mpathd)" 1 "/etc/default/mpathd has the original's default"
man -l /usr/share/man/man8/in.mpathd.8.gz 2>/dev/null | grep -q "IP multipathing daemon" || fail "in.mpathd(8) does not render"
ok "in.mpathd(8) renders"
for u in ipmp-apply in.mpathd; do
    [ -L "/etc/systemd/system/multi-user.target.wants/$u.service" ] || fail "$u.service not enabled"
done
ok "both units enabled"
# Use the installed programs from here on.
export PATH=/usr/sbin:$PATH

# --- the documentation's LAN and its configuration -------------------------------------------
probe_lan_file
cp /etc/ipmp/itops0.conf /tmp/written.conf
echo "FAILURE_DETECTION_TIME=1000" > /etc/default/mpathd
expect_eq "$(ipmpadm check-config)" "1 file checked, no error" "check-config"

boot() {
    run_unit ipmp-apply > /tmp/apply.log 2>&1 || { cat /tmp/apply.log; fail "ipmp-apply.service failed"; }
    run_unit in.mpathd
    wait_for 15 "net0 and net1 probe ok" probes_ok
    # The unit's WatchdogSec= reached the daemon, whose main loop pings;
    # systemctl status shows what it tracks.
    wait_for 10 "WATCHDOG=1 from in.mpathd" grep -q WATCHDOG=1 /tmp/notify.txt
    wait_for 10 "STATUS= from in.mpathd" grep -q "STATUS=tracking 1 group(s), 3 interface(s)" /tmp/notify.txt
    kill "$NOTIFY_PID" 2>/dev/null || true
}
probes_ok() { mview_is net0 probe ok && mview_is net1 probe ok; }
state() {  # (not FDT: the adaptive FDT follows the measured round trips)
    ipmpstat -g -o group,groupname,state,interfaces
    ipmpstat -i -o interface,active,group,flags,state
    ip -br addr show dev itops0 | awk '{print $1, $3}'
    for i in 0 1 2; do ip -br -4 addr show dev "net$i" | awk '{print $1, $3}'; done
}

# --- first boot -----------------------------------------------------------------------
boot
expect_eq "$(paste -sd';' /tmp/apply.log)" \
    "itops0: created;itops0: net0 added;net0: test address 192.168.10.10/24 added;itops0: net1 added;net1: test address 192.168.10.11/24 added;itops0: net2 added;net2: standby;net2: test address 192.168.10.12/24 added;itops0: up;itops0: address 192.168.10.5/24 added;$NETWORKD_MEMBERS: itops0 net0 net1 net2 unmanaged" \
    "what the first apply did"
expect_eq "$(sed -n 's/^Name=//p' "$NETWORKD_MEMBERS")" "itops0 net0 net1 net2" \
    "systemd-networkd kept off the group and its members"
# booted WHEN: the state the file describes, checked against the file's
# own values (Figure 1: net2 the inactive standby).
booted() {
    expect_eq "$(ipmpstat -P -o interface,active,state -i | sort | paste -sd' ')" \
        "net0:yes:ok net1:yes:ok net2:no:ok" "activity $1 (Figure 1)"
    [[ $(ipmpstat -P -o interface,flags -i | sed -n 's/^net2://p') == is* ]] ||
        fail "net2 is not an inactive standby $1"
    ok "net2 is the inactive standby $1"
    expect_eq "$(ipmpstat -P -o group,groupname,state,interfaces -g)" \
        "itops0:itops0:ok:net0 net1 (net2)" "ipmpstat -g $1"
    expect_eq "$(ipmpstat -P -o interface,mode,targets -t | sort | head -1)" "net0:explicit:192.168.10.1" \
        "the file's probe target in use $1"
    expect_eq "$(state | tail -n 4 | sed 's/@[^ ]*//' | paste -sd';')" \
        "itops0 192.168.10.5/24;net0 192.168.10.10/24;net1 192.168.10.11/24;net2 192.168.10.12/24" \
        "the file's data and test addresses $1"
}
booted "after boot"
before=$(state)

# Idempotent: a second apply changes nothing and says nothing.
events_start
t_quiet=$EPOCHREALTIME
expect_quiet "a second apply" ipmpadm apply
sleep 1
expect_eq "$(events_since "$t_quiet")" 0 "kernel events from the second apply"

# show-config round trip: show -> apply -> show is identical.
ipmpadm show-config itops0 > /tmp/shown.conf
cat /tmp/shown.conf
cp /tmp/shown.conf /etc/ipmp/itops0.conf
expect_quiet "applying what show-config printed" ipmpadm apply
expect_eq "$(ipmpadm show-config itops0)" "$(cat /tmp/shown.conf)" "show-config after apply"
expect_eq "$(grep -v '^#' /tmp/shown.conf | sort)" "$(grep -v '^#' /tmp/written.conf | sort)" \
    "show-config says what the file that built the group said"

# An edit converges without disturbing the unchanged members.
sed -i 's/^standby net2$/member net2/; /net1/d' /etc/ipmp/itops0.conf
echo "address 192.168.10.6/24" >> /etc/ipmp/itops0.conf
: > /tmp/events
expect_eq "$(ipmpadm apply 2>&1 | paste -sd';')" \
    "itops0: net1 removed;net2: no longer standby;itops0: address 192.168.10.6/24 added;$NETWORKD_MEMBERS: itops0 net0 net2 unmanaged" \
    "apply after an edit"
sleep 1
expect_eq "$(grep '"interface":"net0"' /tmp/events | grep -c '"event":"\(added\|removed\)"')" 0 \
    "net0 neither left nor rejoined (unchanged)"
# The control for both "no event" checks: the recorder saw net1 leave.
expect_ge "$(grep '"interface":"net1"' /tmp/events | grep -c '"event":"removed"')" 1 \
    "the event recorder saw net1 removed"
expect_eq "$(ipmpadm show-config itops0 | grep -c '^member')" 2 "members after the edit"
ip link set net1 up
cp /tmp/shown.conf /etc/ipmp/itops0.conf
ipmpadm apply > /dev/null
# (net1 rejoined last: the same lines, in join order.)
shown_sorted() { ipmpadm show-config itops0 | sort; }
wait_for 10 "back to the saved setup" output_is "$(sort /tmp/shown.conf)" shown_sorted
wait_for 15 "probes ok again" probes_ok

# Configuration rules: a second group with data addresses in the same
# subnet is warned about.
veth net5 sw-net5
printf 'member net5\naddress 192.168.10.7/24\n' > /etc/ipmp/itops1.conf
out=$(ipmpadm check-config 2>&1)
case $out in
    *"192.168.10.7/24 (itops1) and 192.168.10.5/24 (itops0) are in the same subnet"*) ok "same-subnet groups warned about" ;;
    *) fail "no same-subnet warning: $out" ;;
esac
rm /etc/ipmp/itops1.conf
# Errors name their line, and nothing is changed.
mkdir -p /tmp/bad
printf 'member net0\nmembr net1\naddress 192.168.10.300/24\n' > /tmp/bad/itops9.conf
expect_fail "/tmp/bad/itops9.conf:2: unknown keyword \"membr\"" ipmpadm apply -d /tmp/bad
expect_fail "/tmp/bad/itops9.conf:3: 192.168.10.300: not an IPv4 or IPv6 address" ipmpadm apply -d /tmp/bad
! link_exists itops9 || fail "itops9 created from a file with errors"

# --- reboot -----------------------------------------------------------------------------
kill -TERM "$MPATHD_PID"
wait "$MPATHD_PID" || true
ip link del itops0
for i in 0 1 2; do ip addr flush dev "net$i"; ip link set "net$i" down; done
rmmod ipmp
ok "torn down: no daemon, no group, no addresses, no module"
boot
booted "after the reboot"
after=$(state)
expect_eq "$after" "$before" "groups, addresses and roles after the reboot, line for line"
kill -0 "$MPATHD_PID" || fail "in.mpathd is not running after the reboot"
ok "in.mpathd running"

# --- uninstall ------------------------------------------------------------------------------
kill -TERM "$MPATHD_PID"
wait "$MPATHD_PID" || true
ip link del itops0
rmmod ipmp
rm /etc/ipmp/itops0.conf
cp /var/lib/ipmp/installed /tmp/installed
"$REPO/scripts/uninstall" > /tmp/uninstall.log 2>&1 || { cat /tmp/uninstall.log; fail "uninstall failed"; }
while read -r kind path; do
    case $kind in file|dir) [ ! -e "$path" ] || fail "$path left by uninstall" ;; esac
done < /tmp/installed
[ ! -e "/lib/modules/$kver/updates/dkms/ipmp.ko" ] || fail "the DKMS module was left"
[ ! -e /etc/systemd/system/multi-user.target.wants/in.mpathd.service ] || fail "in.mpathd.service still enabled"
ok "uninstall removed everything install added ($(grep -c . /tmp/installed) entries)"
