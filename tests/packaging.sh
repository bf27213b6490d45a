#!/usr/bin/env bash
# Host-side checks of what scripts/install ships (run by scripts/test.sh):
#   - every man page renders with `man -l` without a warning;
#   - the systemd units pass `systemd-analyze verify` (syntax, directives),
#     and in.mpathd.service's sandbox scores "OK" or better in
#     `systemd-analyze security`;
#   - DKMS's PRE_BUILD check names what is missing for a Rust module or
#     differs from the kernel's toolchain, and passes against the
#     project's kernel build also with dpkg's minimal PATH (dkms.conf).
# Usage: tests/packaging.sh KDIR
set -euo pipefail
cd "$(dirname "$0")/.."
kdir=$1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

for page in docs/man/*.[58]; do
    warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)
    out=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
    if [ -n "$warnings" ]; then
        fail "$page renders with warnings: $warnings"
    elif ! grep -q "^NAME" <<<"$out"; then
        fail "$page renders without a NAME section"
    else
        ok "$page renders ($(wc -l <<<"$out") lines)"
    fi
done

# systemd-analyze checks that the commands exist: give it the programs.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
for unit in packaging/systemd/*.service packaging/systemd/*.timer; do
    out=$(systemd-analyze verify --man=no "$unit" 2>&1 | grep -v "Command .* is not executable\|No such file or directory\|is not executable" || true)
    if [ -n "$out" ]; then
        fail "$unit: $out"
    else
        ok "$unit verifies"
    fi
done

# The daemon's sandbox: systemd's own exposure score for the unit, which
# docs/design.md and in.mpathd(8) quote. "OK" (below 2.0) or better.
exposure=$(systemd-analyze security --offline=yes packaging/systemd/in.mpathd.service 2>&1 |
    sed -n 's/.*Overall exposure level for in.mpathd.service: \([0-9.]*\) .*/\1/p')
if [ -z "$exposure" ]; then
    fail "systemd-analyze security gave no exposure level for in.mpathd.service"
elif awk -v e="$exposure" 'BEGIN { exit !(e < 2.0) }'; then
    ok "in.mpathd.service exposure $exposure (systemd-analyze security: OK band or better)"
else
    fail "in.mpathd.service exposure $exposure is above the OK band (2.0)"
fi

check=kmod/dkms-check-rust.sh
expect_refusal() {  # expect_refusal DESCRIPTION TEXT KDIR
    local out
    if out=$("$check" "$3" 9.9.9 2>&1); then
        fail "$1: the check passed"
    elif [[ $out != *"$2"* ]]; then
        fail "$1: '$out' does not say '$2'"
    else
        ok "$1: $out"
    fi
}
mkdir -p "$root/none" "$root/norust/rust" "$root/noartifacts/rust"
expect_refusal "no headers" "no kernel build tree at $root/none (install the headers for 9.9.9" "$root/none"
echo "CONFIG_NET=y" > "$root/norust/.config"
expect_refusal "a kernel without Rust" "built without Rust support (CONFIG_RUST=y is not set" "$root/norust"
echo "CONFIG_RUST=y" > "$root/noartifacts/.config"
expect_refusal "headers without Rust artifacts" "rust/libkernel.rmeta is missing" "$root/noartifacts"
if out=$("$check" "$kdir" "$(cat "$kdir/include/config/kernel.release")" 2>&1); then
    ok "the project's kernel passes the check"
else
    fail "the project's kernel is refused: $out"
fi

# A toolchain other than the kernel's is named: a rustc of another version
# is refused, another bindgen is a warning.
mkdir -p "$root/other-rustc" "$root/other-bindgen"
printf '#!/bin/sh\necho "rustc 1.78.0 (9b00956e5 2024-04-29)"\n' > "$root/other-rustc/rustc"
printf '#!/bin/sh\necho "bindgen 0.65.1"\n' > "$root/other-bindgen/bindgen"
chmod +x "$root/other-rustc/rustc" "$root/other-bindgen/bindgen"
want="the kernel was built with $(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$kdir/.config") but $root/other-rustc/rustc is rustc 1.78.0"
if out=$(PATH=$root/other-rustc:$PATH "$check" "$kdir" 9.9.9 2>&1); then
    fail "another rustc passed the check"
elif [[ $out == *"$want"* ]]; then
    ok "another rustc: $out"
else
    fail "another rustc: '$out' does not say '$want'"
fi
if ! out=$(PATH=$root/other-bindgen:$PATH "$check" "$kdir" 9.9.9 2>&1); then
    fail "another bindgen failed the check: $out"
elif [[ $out == *"warning"*"bindgen 0.65.1"* ]]; then
    ok "another bindgen: $out"
else
    fail "another bindgen: no warning ($out)"
fi

# DKMS runs from the kernel package's hook with dpkg's PATH and no HOME:
# dkms.conf finds rustup's toolchain in root's ~/.cargo/bin (or
# /usr/local/bin) by itself, others through IPMP_TOOLCHAIN_PATH.
toolchain=()
case $(command -v rustc):$(command -v bindgen) in
    /root/.cargo/bin/rustc:/root/.cargo/bin/bindgen | /usr/local/bin/rustc:/usr/local/bin/bindgen) ;;
    *) toolchain=(IPMP_TOOLCHAIN_PATH="$(dirname "$(command -v rustc)"):$(dirname "$(command -v bindgen)")") ;;
esac
if out=$(cd kmod && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${toolchain[@]}" \
    kernel_source_dir="$kdir" kernelver=9.9.9 dkms_tree=/nonexistent bash -c \
    '. ./dkms.conf && ./${PRE_BUILD} && echo "${MAKE[0]}"' 2>&1) &&
    [[ $out == *" LLVM=1 PATH="*"/root/.cargo/bin"*" modules" ]]; then
    ok "dkms.conf with dpkg's PATH ${toolchain[*]}: the toolchain found, LLVM=1 for a clang kernel"
else
    fail "dkms.conf with dpkg's PATH ${toolchain[*]}: $out"
fi
if grep -q '^BUILD_EXCLUSIVE_CONFIG="CONFIG_RUST"$' kmod/dkms.conf; then
    ok "dkms.conf skips kernels without CONFIG_RUST"
else
    fail "dkms.conf has no BUILD_EXCLUSIVE_CONFIG=\"CONFIG_RUST\""
fi

[ "$failures" = 0 ] || { echo "$failures packaging check(s) failed"; exit 1; }
