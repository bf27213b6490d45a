#!/usr/bin/env bash
# All tests: installs what is missing, then
#   1. userspace: cargo fmt --check, clippy -D warnings, cargo test, the
#      JSON Schemas' self-test (tests/json), and 20 s of cargo-fuzz on
#      each target (scripts/fuzz; FUZZ_SECONDS);
#   2. kernel module: builds against the test kernel, with no warning;
#      packaging checks (tests/packaging.sh); the Debian packages and
#      lintian (scripts/build-deb); DKMS through a kernel upgrade
#      (scripts/dkms-upgrade.sh); the YNL spec of the generic netlink
#      family against the module (tests/netlink);
#   3. the VM suite: every scenario of tests/virtme in one boot of the
#      release kernel; then, on the debug kernel (KASAN, lockdep, kmemleak,
#      ...), the scenarios listed in tests/virtme/debug-scenarios (the
#      whole suite there takes about 10x as long under emulation: more
#      than CI's time; run it with --kernel debug).
# Ends with the VM suite's line "N passed, N failed" and the time of each
# stage; exits non-zero if anything failed.
#
# Usage: scripts/test.sh [--full] [--kernel release|debug] [SCENARIO...]
#   --full: stress and fuzz campaigns at their full counts (docs/testing.md's),
#           not at the counts that fit CI's time.
#   --kernel K: only that kernel, every scenario (or those named).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

variant=release
only_one=0
full=()
if [[ ${1:-} == --full ]]; then
    full=(--full)
    shift
fi
if [[ ${1:-} == --kernel ]]; then
    variant=$2
    only_one=1
    shift 2
fi

# Each stage's time, printed at the end (also when a stage fails): the CI
# budget is kept by these numbers.
stage_names=() stage_starts=()
stage() {
    stage_names+=("$1")
    stage_starts+=("$SECONDS")
}
print_stages() {
    local status=$? i end
    ((${#stage_names[@]})) || return
    echo "==> time per stage:"
    for i in "${!stage_names[@]}"; do
        end=${stage_starts[i + 1]:-$SECONDS}
        printf '    %-34s %5d s\n' "${stage_names[i]}" $((end - stage_starts[i]))
    done
    printf '    %-34s %5d s (%s)\n' total "$SECONDS" "$([ "$status" = 0 ] && echo passed || echo failed)"
}
trap print_stages EXIT

stage "setup (packages, tools)"
"$REPO_ROOT/scripts/setup.sh"

stage "lint and unit tests"
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
log "the JSON Schemas of docs/json and their examples (tests/json/check-schemas.py)"
/usr/bin/python3 tests/json/check-schemas.py
stage "cargo-fuzz"
"$REPO_ROOT/scripts/fuzz" "${FUZZ_SECONDS:-20}"

stage "kernel ($variant)"
kdir=$("$REPO_ROOT/scripts/build-kernel.sh" "$variant")
both=$((only_one == 0 && $# == 0))
if ((both)); then
    # Also kernel B of the DKMS upgrade check below.
    stage "kernel (debug)"
    kdir_debug=$("$REPO_ROOT/scripts/build-kernel.sh" debug)
fi
stage "module and packaging checks"
log "building kmod/ against $kdir (with clippy)"
make -s -C "$kdir" M="$REPO_ROOT/kmod" LLVM=1 clean >/dev/null
build_log=$(make -C "$kdir" M="$REPO_ROOT/kmod" LLVM=1 CLIPPY=1 modules 2>&1) || { echo "$build_log"; die "kmod/ does not build"; }
if grep -qiE '\bwarning\b' <<<"$build_log"; then
    echo "$build_log"
    die "kmod/ builds with warnings"
fi

log "packaging: man pages render, units verify, the DKMS pre-build check"
tests/packaging.sh "$kdir"
log "the Debian packages build and lintian passes (scripts/build-deb)"
scripts/build-deb
if ((both)); then
    log "DKMS through the upgrade from the release to the debug kernel (scripts/dkms-upgrade.sh)"
    scripts/dkms-upgrade.sh "$kdir" "$kdir_debug" >/dev/null
fi
log "the VM scenarios' helpers (tests/virtme/selftest.sh)"
tests/virtme/selftest.sh
log "docs/layout.md's table of unsafe in ipmp.ko (scripts/unsafe-count --check)"
scripts/unsafe-count --check
log "kmod/ imports form no cycle (scripts/kmod-imports --check)"
scripts/kmod-imports --check
log "the YNL spec matches the family (tests/netlink/check-spec.py)"
/usr/bin/python3 tests/netlink/check-spec.py "$(readlink -f "$kdir/source")"

stage "VM suite ($variant kernel)"
log "VM suite ($variant kernel)"
cargo run -q -p vmtest -- "${full[@]}" --kernel "$variant" "$@"

if ((both)); then
    mapfile -t debug_scenarios < <(sed 's/#.*//; /^[[:space:]]*$/d' tests/virtme/debug-scenarios)
    stage "VM subset (debug kernel)"
    log "VM suite, debug kernel: ${debug_scenarios[*]}"
    cargo run -q -p vmtest -- "${full[@]}" --kernel debug "${debug_scenarios[@]}"
fi
