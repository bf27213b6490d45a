#!/usr/bin/env bash
# Build the Rust-enabled test kernel (tinyconfig + the project's fragment),
# cached under ~/.cache/ipmp-build/kernel/<variant>-<version>-<key> (lib.sh).
#
# Usage: scripts/build-kernel.sh [release|debug]
# Prints the build directory (usable as KDIR) on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

variant=${1:-release}
kdir=$(kernel_build_dir "$variant")
stamp=$kdir/.ipmp-build-complete
src=$BUILD_ROOT/src/linux-$(kernel_pkg_version | tr '~' '_')
jobs=$(( $(nproc) + 1 ))

if [[ -f $stamp ]]; then
    log "kernel ($variant) cached in $kdir"
    echo "$kdir"
    exit 0
fi

if [[ ! -f $src/Makefile ]]; then
    log "unpacking $KSRC_TARBALL"
    rm -rf "$src.tmp" && mkdir -p "$src.tmp"
    tar -xJf "$KSRC_TARBALL" -C "$src.tmp" --strip-components=1
    mv "$src.tmp" "$src"
fi

# Another configuration of the same variant, source and toolchain built
# before (the fragments changed): start from a copy of it and let Kbuild
# rebuild what the changed options touch (its per-option dependencies are
# what make incremental kernel builds correct), instead of everything. The
# toolchain is compared as the kernel recorded it in .config, since a
# rustc or clang change needs a full build.
toolchain_of() {
    sed -n 's/^CONFIG_\(CC\|RUSTC\|BINDGEN\)_VERSION_TEXT="\(.*\)"$/\2/p' "$1/.config" 2>/dev/null
}
toolchain_now=$(printf '%s\n' "$(clang --version | head -1)" "$(rustc --version)" \
    "$(bindgen --version 2>&1 | head -1)")
seed=""
if [[ ! -d $kdir ]]; then
    for d in "${kdir%-*}"-*; do
        [[ -f $d/.ipmp-build-complete && $d != "$kdir" ]] || continue
        [[ "$(toolchain_of "$d")" == "$toolchain_now" ]] || continue
        [[ -z $seed || $d -nt $seed ]] && seed=$d
    done
fi
if [[ -n $seed ]]; then
    log "starting from the build in $seed (same source and toolchain)"
    cp -a "$seed" "$kdir.tmp"
    rm -f "$kdir.tmp/.ipmp-build-complete"
    mv "$kdir.tmp" "$kdir"
fi
mkdir -p "$kdir"
make_k() { make -s -C "$src" O="$kdir" LLVM=1 "$@"; }

make_k rustavailable >&2 || die "the Rust toolchain is not usable for this kernel: run scripts/setup.sh"

log "configuring ($variant): tinyconfig + $(variant_fragments "$variant" | xargs -n1 basename | paste -sd+)"
make_k tinyconfig >/dev/null
# shellcheck disable=SC2046
(cd "$kdir" && KCONFIG_CONFIG=.config "$src/scripts/kconfig/merge_config.sh" -m -O "$kdir" \
    .config $(variant_fragments "$variant") >/dev/null)
make_k olddefconfig >/dev/null

# Kconfig drops options whose dependencies are missing without a word: check
# that every option of the fragments is really set as asked.
dropped=()
# shellcheck disable=SC2046
while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
        grep -qxF "$line" "$kdir/.config" || dropped+=("$line (have: $(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$kdir/.config" || echo unset))")
    elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
        ! grep -qx "${BASH_REMATCH[1]}=[ym]" "$kdir/.config" || dropped+=("$line (have: it set)")
    fi
done < <(cat $(variant_fragments "$variant"))
if ((${#dropped[@]})); then
    printf 'error: Kconfig did not keep these options (missing dependency?):\n' >&2
    printf '    %s\n' "${dropped[@]}" >&2
    exit 1
fi

log "building the kernel with LLVM=1 -j$jobs (about 6 minutes on 2 cores)"
start=$SECONDS
make_k -j"$jobs" >&2
log "kernel built in $((SECONDS - start)) s"

# virtme-ng's module directory (a tree of symlinks + depmod) for the guest.
(cd "$kdir" && virtme-prep-kdir-mods >/dev/null)

touch "$stamp"
log "kernel ($variant) $(make_k -s kernelrelease) ready in $kdir"
echo "$kdir"
