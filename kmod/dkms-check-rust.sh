#!/bin/sh
# DKMS PRE_BUILD: can ipmp.ko (Rust) be built against this kernel? Names
# exactly what is missing instead of letting the build fail obscurely.
# Usage: dkms-check-rust.sh KERNEL_BUILD_DIR KERNEL_VERSION
kdir=$1
kver=$2
fail() {
    echo "ipmp: cannot build ipmp.ko for kernel $kver: $*" >&2
    exit 1
}
[ -f "$kdir/.config" ] || fail "no kernel build tree at $kdir (install the headers for $kver, e.g. linux-headers-$kver)"
grep -q '^CONFIG_RUST=y' "$kdir/.config" ||
    fail "the kernel was built without Rust support (CONFIG_RUST=y is not set in $kdir/.config); ipmp.ko is written in Rust and needs a kernel built with CONFIG_RUST=y"
[ -f "$kdir/rust/libkernel.rmeta" ] ||
    fail "$kdir/rust/libkernel.rmeta is missing: the kernel headers lack the Rust build artifacts (the kernel crate's metadata)"
command -v rustc >/dev/null 2>&1 || fail "rustc is not installed (the version the kernel was built with)"
command -v bindgen >/dev/null 2>&1 || fail "bindgen is not installed (cargo install bindgen-cli)"
command -v clang >/dev/null 2>&1 || fail "clang is not installed (the module is built with LLVM=1)"
exit 0
