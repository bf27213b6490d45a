#!/usr/bin/env bash
# All tests: installs what is missing, then
#   1. userspace: cargo fmt --check, clippy -D warnings, cargo test, and
#      30 s of cargo-fuzz on each target (scripts/fuzz);
#   2. kernel module: builds against the test kernel, with no warning;
#      packaging checks (tests/packaging.sh);
#   3. the VM suite: every scenario of tests/virtme in one boot of the
#      release kernel; then, on the debug kernel (KASAN, lockdep, kmemleak,
#      ...), the scenarios listed in tests/virtme/debug-scenarios (the
#      whole suite there takes about 10x as long under emulation: more
#      than CI's time; run it with --kernel debug).
# Ends with the VM suite's line "N passed, N failed"; exits non-zero if
# anything failed.
#
# Usage: scripts/test.sh [--kernel release|debug] [SCENARIO...]
#   --kernel K: only that kernel, every scenario (or those named).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

variant=release
only_one=0
if [[ ${1:-} == --kernel ]]; then
    variant=$2
    only_one=1
    shift 2
fi

"$REPO_ROOT/scripts/setup.sh"

log "cargo fmt --check (userspace) and rustfmt --check (kmod, kernel style)"
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
# shellcheck disable=SC2046
rustfmt --config-path kmod/.rustfmt.toml --check $(git ls-files 'kmod/*.rs')
log "cargo clippy --all-targets -- -D warnings"
cargo clippy -q --all-targets -- -D warnings
log "cargo test"
cargo test -q --workspace
cargo clippy -q --manifest-path fuzz/Cargo.toml -- -D warnings
"$REPO_ROOT/scripts/fuzz" "${FUZZ_SECONDS:-30}"

kdir=$("$REPO_ROOT/scripts/build-kernel.sh" "$variant")
log "building kmod/ against $kdir (with clippy)"
make -s -C "$kdir" M="$REPO_ROOT/kmod" LLVM=1 clean >/dev/null
build_log=$(make -C "$kdir" M="$REPO_ROOT/kmod" LLVM=1 CLIPPY=1 modules 2>&1) || { echo "$build_log"; die "kmod/ does not build"; }
if grep -qiE '\bwarning\b' <<<"$build_log"; then
    echo "$build_log"
    die "kmod/ builds with warnings"
fi

log "packaging: man pages render, units verify, the DKMS pre-build check"
tests/packaging.sh "$kdir"

log "VM suite ($variant kernel)"
cargo run -q -p vmtest -- --kernel "$variant" "$@"

if ((only_one == 0 && $# == 0)); then
    mapfile -t debug_scenarios < <(sed 's/#.*//; /^[[:space:]]*$/d' tests/virtme/debug-scenarios)
    "$REPO_ROOT/scripts/build-kernel.sh" debug >/dev/null
    log "VM suite, debug kernel: ${debug_scenarios[*]}"
    cargo run -q -p vmtest -- --kernel debug "${debug_scenarios[@]}"
fi
