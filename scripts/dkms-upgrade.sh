#!/usr/bin/env bash
# DKMS through a kernel upgrade, as on a Debian host, with the ipmp-dkms
# package's source (build/deb, scripts/build-deb):
#   1. ipmp.ko is added to DKMS and built and installed for kernel A;
#   2. "upgrade": kernel B's headers appear and the kernel package's hook,
#      /etc/kernel/postinst.d/dkms, runs B's `dkms autoinstall` with
#      dpkg's environment (env -i, PATH=/usr/sbin:/usr/bin:/sbin:/bin, no
#      HOME): DKMS must build ipmp.ko for B (rustc and bindgen found from
#      dkms.conf, not from a login shell) and install it with B's vermagic,
#      leaving A's in place;
#   3. a kernel built without CONFIG_RUST gets the same hook and is
#      skipped (BUILD_EXCLUSIVE_CONFIG), the hook succeeding.
# Runs in a private mount namespace in which /var/lib/dkms, /lib/modules
# and /usr/src are empty tmpfs: the host's DKMS state is not touched. The
# modules DKMS installed (A's and B's) and a DKMS tarball of A's build
# (`dkms mktarball`, for the package scenario, whose ipmp-dkms postinst
# loads it instead of building under emulation) are left in
# build/dkms-upgrade/KEY; the VM scenarios load them on A and on B.
# Rebuilt only when the package or a kernel changed.
#
# Usage: scripts/dkms-upgrade.sh KDIR_A KDIR_B   (prints the output directory)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# = 2 ] || die "usage: scripts/dkms-upgrade.sh KDIR_A KDIR_B"
kdir_a=$(cd "$1" && pwd)
kdir_b=$(cd "$2" && pwd)
kver_a=$(cat "$kdir_a/include/config/kernel.release")
kver_b=$(cat "$kdir_b/include/config/kernel.release")
[ "$kver_a" != "$kver_b" ] || die "kernels A and B are both $kver_a: an upgrade needs two releases"
deb=$(ls "$REPO_ROOT"/build/deb/ipmp-dkms_*_all.deb 2>/dev/null | tail -1)
[ -n "$deb" ] || die "no ipmp-dkms package in build/deb: run scripts/build-deb"
version=$(dpkg-deb -f "$deb" Version)
key=$( (sha256sum "$deb" | cut -d' ' -f1; echo "$kdir_a $kdir_b") | sha256sum | cut -c1-12)
out=$REPO_ROOT/build/dkms-upgrade/$key

if [ -z "${IPMP_DKMS_SANDBOX:-}" ]; then
    if [ -f "$out/.complete" ]; then
        echo "$out"
        exit 0
    fi
    command -v dkms >/dev/null || die "dkms is not installed: run scripts/setup.sh"
    [ "$(id -u)" = 0 ] || die "run as root (DKMS, a mount namespace)"
    rm -rf "$out"
    mkdir -p "$out"
    log "DKMS: ipmp $version for $kver_a, then the upgrade to $kver_b (private mount namespace)"
    IPMP_DKMS_SANDBOX=1 unshare --mount --propagation private "$0" "$@" >&2 ||
        die "the DKMS upgrade failed (log: $out/hook.log)"
    touch "$out/.complete"
    echo "$out"
    exit 0
fi

# --- in the private mount namespace ------------------------------------------
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
for d in /var/lib/dkms /lib/modules /usr/src; do
    mkdir -p "$d"
    mount -t tmpfs tmpfs "$d"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/pkg"
cp -a "$tmp/pkg/usr/src/ipmp-$version" /usr/src/
headers() {  # headers KVER KDIR: kernel KVER's headers "installed"
    mkdir -p "/lib/modules/$1"
    ln -s "$2" "/lib/modules/$1/build"
    cp "$2"/modules.order "$2"/modules.builtin "$2"/modules.builtin.modinfo "/lib/modules/$1/" 2>/dev/null || true
}
hook() {  # hook KVER: the kernel package's postinst hook, as dpkg runs it
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /etc/kernel/postinst.d/dkms "$1" >> "$out/hook.log" 2>&1
}
installed_for() { dkms status -m ipmp -v "$version" -k "$1" | grep -q ": installed"; }

# 1. Kernel A, as the package's postinst leaves it.
headers "$kver_a" "$kdir_a"
dkms add -m ipmp -v "$version" >/dev/null
dkms install -m ipmp -v "$version" -k "$kver_a" >> "$out/hook.log" 2>&1 ||
    { cat "$out/hook.log"; fail "dkms install for kernel A ($kver_a)"; }
installed_for "$kver_a" || fail "ipmp not installed for $kver_a"
ok "installed for kernel A ($kver_a)"

# 2. The upgrade to kernel B.
headers "$kver_b" "$kdir_b"
hook "$kver_b" || { cat "$out/hook.log"; fail "/etc/kernel/postinst.d/dkms $kver_b failed"; }
installed_for "$kver_b" || { cat "$out/hook.log"; fail "the hook did not install ipmp for $kver_b"; }
ok "the kernel hook built and installed ipmp for kernel B ($kver_b)"
for k in "$kver_a" "$kver_b"; do
    ko=/lib/modules/$k/updates/dkms/ipmp.ko
    [ -f "$ko" ] || fail "$ko is missing"
    magic=$(modinfo -F vermagic "$ko")
    [ "${magic%% *}" = "$k" ] || fail "$ko has vermagic '$magic', not for $k"
    ok "$ko: vermagic $magic"
    mkdir -p "$out/$k"
    cp "$ko" "$out/$k/ipmp.ko"
done

# 3. A kernel without Rust: skipped, not failed.
mkdir -p "$tmp/norust/include"
printf 'CONFIG_64BIT=y\nCONFIG_MODULES=y\n' > "$tmp/norust/.config"
headers 6.12.0-norust "$tmp/norust"
hook 6.12.0-norust || { cat "$out/hook.log"; fail "the hook failed for a kernel without CONFIG_RUST"; }
! dkms status -m ipmp -v "$version" -k 6.12.0-norust | grep -q ": \(built\|installed\)" ||
    fail "ipmp was built for a kernel without CONFIG_RUST"
grep -q "ipmp: kernel 6.12.0-norust was built without CONFIG_RUST" "$out/hook.log" ||
    { cat "$out/hook.log"; fail "the hook did not say why it skipped the kernel without Rust"; }
ok "a kernel without CONFIG_RUST skipped"

# For the package scenario: A's build, as a DKMS tarball.
dkms mktarball -m ipmp -v "$version" -k "$kver_a" --archive "ipmp-$version.dkms.tar.gz" >/dev/null
cp "/var/lib/dkms/ipmp/$version/tarball/ipmp-$version.dkms.tar.gz" "$out/"
ok "DKMS tarball of A's build"
