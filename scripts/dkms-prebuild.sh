#!/usr/bin/env bash
# For the VM install scenario: DKMS adds and builds ipmp.ko against the
# project's test kernel, on the host (a Rust module build under software
# emulation would take many minutes), in a private DKMS tree. In the guest,
# scripts/install --dkms-tree COPY then runs `dkms install` from a copy of
# that tree. Rebuilt only when kmod/ or the kernel changed.
#
# Usage: scripts/dkms-prebuild.sh KDIR   (prints the tree's directory)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kdir=$(cd "$1" && pwd)
kver=$(cat "$kdir/include/config/kernel.release")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO_ROOT/kmod/dkms.conf")
mapfile -t sources < <("$REPO_ROOT/scripts/kmod-sources")
key=$( (cd "$REPO_ROOT/kmod" && cat "${sources[@]}"; echo "$kdir") | sha256sum | cut -c1-12)
# Per checkout (it is built from this kmod/), in the git-ignored build/.
out=$REPO_ROOT/build/dkms/$kver-$key
if [ -f "$out/.complete" ]; then
    echo "$out"
    exit 0
fi
command -v dkms >/dev/null || die "dkms is not installed: run scripts/setup.sh"
rm -rf "$out"
mkdir -p "$out/tree" "$out/src/ipmp-$version"
(cd "$REPO_ROOT/kmod" && cp "${sources[@]}" "$out/src/ipmp-$version/")
opts=(-m ipmp -v "$version" --dkmstree "$out/tree" --sourcetree "$out/src")
log "dkms add + build ipmp/$version for $kver against $kdir"
dkms add "${opts[@]}" >&2
dkms build "${opts[@]}" -k "$kver" --kernelsourcedir "$kdir" >&2 ||
    { cat "$out/tree/ipmp/$version/build/make.log" >&2 2>/dev/null; die "dkms build failed"; }
echo "$kdir" > "$out/kdir"  # which kernel build (release and debug share a version)
touch "$out/.complete"
echo "$out"
