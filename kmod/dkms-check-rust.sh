#!/bin/sh
# DKMS PRE_BUILD: can ipmp.ko (Rust) be built against this kernel? Names
# exactly what is missing or different instead of letting the build fail
# obscurely (a rustc other than the kernel's cannot read the kernel
# crate's metadata).
# Usage: dkms-check-rust.sh KERNEL_BUILD_DIR KERNEL_VERSION [VAR=VALUE...]
#   VAR=VALUE: the environment the build will have (PATH, RUSTUP_HOME,
#   CARGO_HOME: dkms.conf's), for finding the same tools.
kdir=$1
kver=$2
shift 2
for assignment in "$@"; do
    case $assignment in
        PATH=* | RUSTUP_HOME=* | CARGO_HOME=*) export "${assignment?}" ;;
        *) echo "ipmp: dkms-check-rust.sh: unexpected argument $assignment" >&2; exit 2 ;;
    esac
done
fail() {
    echo "ipmp: cannot build ipmp.ko for kernel $kver: $*" >&2
    exit 1
}
warn() {
    echo "ipmp: warning: kernel $kver: $*" >&2
}
# config NAME: the value of CONFIG_NAME in the kernel's .config, unquoted.
config() {
    sed -n "s/^CONFIG_$1=//p" "$kdir/.config" | sed 's/^"//; s/"$//'
}
[ -f "$kdir/.config" ] || fail "no kernel build tree at $kdir (install the headers for $kver, e.g. linux-headers-$kver)"
grep -q '^CONFIG_RUST=y' "$kdir/.config" ||
    fail "the kernel was built without Rust support (CONFIG_RUST=y is not set in $kdir/.config); ipmp.ko is written in Rust and needs a kernel built with CONFIG_RUST=y"
[ -f "$kdir/rust/libkernel.rmeta" ] ||
    fail "$kdir/rust/libkernel.rmeta is missing: the kernel headers lack the Rust build artifacts (the kernel crate's metadata)"

kernel_rustc=$(config RUSTC_VERSION_TEXT)
command -v rustc >/dev/null 2>&1 ||
    fail "rustc is not found (PATH=$PATH); install ${kernel_rustc:-the version the kernel was built with}, or set IPMP_TOOLCHAIN_PATH in /etc/default/ipmp-dkms"
rustc=$(rustc --version 2>&1) || fail "rustc does not run: $rustc"
[ -z "$kernel_rustc" ] || [ "$rustc" = "$kernel_rustc" ] ||
    fail "the kernel was built with $kernel_rustc but $(command -v rustc) is $rustc; the kernel crate's metadata can only be read by the same rustc (rustup toolchain install $(echo "$kernel_rustc" | cut -d' ' -f2), or set IPMP_TOOLCHAIN_PATH in /etc/default/ipmp-dkms)"

kernel_bindgen=$(config BINDGEN_VERSION_TEXT)
command -v bindgen >/dev/null 2>&1 ||
    fail "bindgen is not found (PATH=$PATH); install ${kernel_bindgen:-bindgen} (cargo install --locked bindgen-cli)"
bindgen=$(bindgen --version 2>&1 | head -n 1)
[ -z "$kernel_bindgen" ] || [ "$bindgen" = "$kernel_bindgen" ] ||
    warn "the kernel was built with $kernel_bindgen, $(command -v bindgen) is $bindgen (the bindings are generated again here, so this usually works)"

if grep -q '^CONFIG_CC_IS_CLANG=y' "$kdir/.config"; then
    command -v clang >/dev/null 2>&1 || fail "clang is not installed (the kernel was built with $(config CC_VERSION_TEXT))"
    kernel_clang=$(config CLANG_VERSION)
    clang_major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
    [ -z "$kernel_clang" ] || [ "$clang_major" = "$((kernel_clang / 10000))" ] ||
        fail "the kernel was built with $(config CC_VERSION_TEXT) but clang is $(clang --version | head -n 1): the C shims must be built with the kernel's clang major version"
fi
exit 0
