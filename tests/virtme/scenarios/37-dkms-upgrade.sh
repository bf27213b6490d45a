#!/usr/bin/env bash
# The module DKMS installed for the running kernel, in the kernel upgrade
# that scripts/dkms-upgrade.sh ran on the host from the ipmp-dkms package
# (release kernel: A, installed as the package's postinst does; debug
# kernel: B, built by the kernel package's hook with dpkg's environment),
# loads on this kernel and works: the documentation's group carries
# traffic and fails over to the standby. On the debug kernel it also runs
# under KASAN and lockdep.
# timeout: 300
. ../lib.sh
kver=$(uname -r)
ko=$REPO/build/dkms-upgrade/current/$kver/ipmp.ko
[ -f "$ko" ] || fail "no DKMS build for $kver in build/dkms-upgrade/current (vmtest runs scripts/dkms-upgrade.sh)"
expect_eq "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$kver" "DKMS built it for this kernel"
[ ! -d /sys/module/ipmp ] || rmmod ipmp
insmod "$ko"
# The loaded module's build ID (its ELF note, as sysfs shows it) is the file's.
build_id=$(readelf -n "$ko" | sed -n 's/^ *Build ID: *//p')
[ -n "$build_id" ] || fail "$ko has no build ID"
loaded=$(od -An -tx1 -v /sys/module/ipmp/notes/.note.gnu.build-id | tr -d ' \n')
[[ $loaded == *"$build_id" ]] || fail "the loaded module's build ID note is $loaded, not $build_id"
ok "DKMS's module is the one loaded (build ID $build_id)"
probe_lan
ping -c 3 -i 0.2 -W 2 192.168.10.1 >/dev/null || fail "no traffic through itops0"
ok "traffic through itops0"
expect_eq "$(ipmpstat -n -P -o group,state,interfaces -g)" "itops0:ok:net1 net0 (net2)" "ipmpstat -g"
ip link set net0 down
wait_for 10 "the standby net2 took over" lacks_flag net2 i
ping -c 3 -i 0.2 -W 2 192.168.10.1 >/dev/null || fail "no traffic after net0 went down"
ok "traffic after the failover"
