#!/usr/bin/env bash
# The Debian packages (scripts/build-deb) on the release kernel: `dpkg -i
# ipmp-dkms ipmp` gives a working system: ipmp.ko installed by DKMS for
# this kernel through the package's postinst (which loads a DKMS tarball
# of the host's build of the package's source, scripts/dkms-upgrade.sh:
# a Rust module build under software emulation would take many minutes),
# programs, units enabled, conffiles, man pages, completions, iproute2's
# plugin; the documentation's group built from /etc/ipmp by the units'
# commands, in.mpathd probing. `apt-get purge` then removes everything the
# packages added: files, the DKMS module, the units' links, the conffiles.
# timeout: 420
. ../lib.sh
kver=$(uname -r)
pkgs=$REPO/build/dkms-upgrade/current
debs=("$REPO"/build/deb/ipmp-dkms_*_all.deb "$REPO"/build/deb/ipmp_*_amd64.deb)
[ -f "${debs[0]}" ] && [ -f "${debs[1]}" ] || fail "no packages in build/deb (vmtest runs scripts/build-deb)"
version=$(dpkg-deb -f "${debs[0]}" Version)
tarball=$pkgs/ipmp-$version.dkms.tar.gz
[ -f "$tarball" ] || fail "no DKMS tarball $tarball (vmtest runs scripts/dkms-upgrade.sh)"

# A failure part way must not leave the packages to the scenarios after
# this one (run before the module tree is put back).
leave_clean() {
    rm -f /etc/ipmp/itops0.conf
    if dpkg-query -W -f='${Status}' ipmp ipmp-dkms 2>/dev/null | grep -q installed; then
        dpkg --purge ipmp ipmp-dkms >/dev/null 2>&1 || true
    fi
}
at_exit leave_clean
writable_module_tree
# The packages ship /etc/ipmp; an empty one that other scenarios' groups
# left would be dpkg's to remove at the purge, so it is not kept here.
rmdir /etc/ipmp 2>/dev/null || true

# What the packages may touch, listed before and after: every directory
# holding one of their paths, DKMS's tree, this kernel's modules, the
# units' links.
paths=$(for d in "${debs[@]}"; do dpkg-deb -c "$d"; done | awk '{print $6}' | sed 's|^\.||; s|/$||' | grep .)
dirs=$(for p in $paths; do while p=${p%/*}; [ -n "$p" ]; do echo "$p"; done; done | sort -u)
snapshot() {
    local d
    for d in $dirs; do [ ! -d "$d" ] || find "$d" -mindepth 1 -maxdepth 1; done
    for d in /var/lib/dkms "/lib/modules/$kver" /etc/systemd/system /usr/share/ipmp-dkms; do
        [ ! -d "$d" ] || find "$d"
    done
}
snapshot | sort -u > /tmp/before.list

# --- install ---------------------------------------------------------------------
# man-db's trigger would rebuild the whole manual index under emulation.
rm -f /var/lib/man-db/auto-update
mkdir -p /usr/share/ipmp-dkms
cp "$tarball" /usr/share/ipmp-dkms/
dpkg -i "${debs[@]}" > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; fail "dpkg -i failed"; }
rm -f "/usr/share/ipmp-dkms/ipmp-$version.dkms.tar.gz"
rmdir /usr/share/ipmp-dkms 2>/dev/null || true
ok "dpkg -i ipmp-dkms ipmp"
expect_eq "$(dpkg-query -W -f='${Status} ' ipmp ipmp-dkms)" "install ok installed install ok installed " \
    "both packages installed"
expect_eq "$(dkms status -m ipmp -v "$version" -k "$kver" | sed 's/.*: //')" installed \
    "DKMS: ipmp installed for $kver by the package's postinst"
expect_eq "$(modinfo -n ipmp)" "/lib/modules/$kver/updates/dkms/ipmp.ko" "the module modprobe finds is DKMS's"
cmp -s "/lib/modules/$kver/updates/dkms/ipmp.ko" "$pkgs/$kver/ipmp.ko" ||
    fail "the installed ipmp.ko is not DKMS's build of the package's source"
ok "it is DKMS's build of the package's source for $kver"
for f in /usr/sbin/in.mpathd /usr/sbin/ipmpstat /usr/sbin/ipmpadm /usr/sbin/if_mpadm \
    /usr/share/man/man8/in.mpathd.8.gz /usr/share/man/man5/ipmp.5.gz \
    /usr/share/bash-completion/completions/ipmpadm /usr/share/zsh/vendor-completions/_ipmpstat \
    /usr/share/ipmp/ipmp.yaml /usr/share/ipmp/json/ipmpstat-g.schema.json \
    /etc/network/if-pre-up.d/ipmp /lib/udev/rules.d/90-ipmp-hotplug.rules \
    /usr/lib/NetworkManager/conf.d/90-ipmp.conf /lib/systemd/network/10-ipmp.network; do
    [ -e "$f" ] || fail "$f not installed"
done
ok "programs, man pages, completions, schemas, hooks and snippets in place"
expect_eq "$(dpkg-query -W -f='${Conffiles}' ipmp | awk '{print $1}' | paste -sd' ')" \
    "/etc/default/mpathd /etc/network/if-post-down.d/ipmp /etc/network/if-pre-up.d/ipmp" "conffiles"
expect_eq "$(grep -c '^FAILURE_DETECTION_TIME=10000$' /etc/default/mpathd)" 1 \
    "/etc/default/mpathd has the original's default"
for u in ipmp-apply in.mpathd; do
    [ -L "/etc/systemd/system/multi-user.target.wants/$u.service" ] || fail "$u.service not enabled"
done
ok "ipmp-apply and in.mpathd enabled"
[ ! -e /etc/systemd/system/timers.target.wants/ipmp-metrics.timer ] || fail "the metrics timer was enabled"
ok "the metrics timer left to the administrator"
man -l /usr/share/man/man8/in.mpathd.8.gz 2>/dev/null | grep -q "IP multipathing daemon" ||
    fail "in.mpathd(8) does not render"
ok "in.mpathd(8) renders"
# The control for the purge check below: the listing sees what they added.
snapshot | sort -u > /tmp/installed.list
expect_ge "$(comm -13 /tmp/before.list /tmp/installed.list | wc -l)" 60 "new paths the listing sees"
export PATH=/usr/sbin:$PATH
expect_eq "$(command -v in.mpathd)" /usr/sbin/in.mpathd "the package's in.mpathd is the one run"

# --- a working system ----------------------------------------------------------------
probe_lan_file
sed -i 's/^FAILURE_DETECTION_TIME=.*/FAILURE_DETECTION_TIME=1000/' /etc/default/mpathd
run_unit ipmp-apply > /tmp/apply.log 2>&1 || { cat /tmp/apply.log; fail "ipmp-apply.service failed"; }
run_unit in.mpathd
probes_ok() { mview_is net0 probe ok && mview_is net1 probe ok; }
wait_for 15 "net0 and net1 probe ok" probes_ok
expect_eq "$(ipmpstat -P -o group,groupname,state,interfaces -g)" "itops0:itops0:ok:net0 net1 (net2)" \
    "ipmpstat -g: the documentation's group"
expect_eq "$(ipmpstat -P -o interface,active,state -i | sort | paste -sd' ')" \
    "net0:yes:ok net1:yes:ok net2:no:ok" "ipmpstat -i"
expect_eq "$(ip -d link show itops0 | grep -o 'ipmp group_name itops0')" "ipmp group_name itops0" \
    "ip -d link show through the package's iproute2 plugin"
if_mpadm -d net0
wait_for 5 "net0 offline by if_mpadm" has_flag net0 O
wait_for 5 "the standby net2 took over" lacks_flag net2 i
if_mpadm -r net0
wait_for 5 "net0 back" lacks_flag net0 O

# --- purge -------------------------------------------------------------------------
kill "$MPATHD_PID"
wait "$MPATHD_PID" 2>/dev/null || true
ip link del itops0
rm /etc/ipmp/itops0.conf
rmmod ipmp
apt-get purge -y -q ipmp ipmp-dkms > /tmp/purge.log 2>&1 || { cat /tmp/purge.log; fail "apt-get purge failed"; }
ok "apt-get purge ipmp ipmp-dkms"
expect_eq "$(dpkg-query -W -f='${Status}' ipmp ipmp-dkms 2>/dev/null || true)" "" "no trace in dpkg's database"
expect_eq "$(dkms status -m ipmp)" "" "nothing left in DKMS"
snapshot | sort -u > /tmp/after.list
left=$(comm -13 /tmp/before.list /tmp/after.list | paste -sd' ')
gone=$(comm -23 /tmp/before.list /tmp/after.list | paste -sd' ')
expect_eq "$left" "" "nothing the packages added is left"
expect_eq "$gone" "" "nothing that was there before is gone"
