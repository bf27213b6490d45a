# Shared shell helpers for the scripts: paths and the kernel cache key.
# Sourced, not run.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Kernel builds are cached outside the clone, keyed by content (see
# kernel_build_dir), so that every checkout on a machine shares them and a
# fresh clone reuses a kernel this machine already built. IPMP_BUILD_DIR
# moves the cache.
BUILD_ROOT=${IPMP_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ipmp-build}
KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian package version of the kernel source, e.g. 6.12.117-1~deb12u1.
kernel_pkg_version() {
    dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
        die "linux-source-6.12 is not installed: run scripts/setup.sh"
}

# Fragments that make up a variant: the base one, plus debug.config for the
# debug kernel.
variant_fragments() {
    local variant=$1
    echo "$REPO_ROOT/scripts/kconfig/ipmp.config"
    case $variant in
        release) ;;
        debug) echo "$REPO_ROOT/scripts/kconfig/debug.config" ;;
        *) die "unknown kernel variant '$variant' (release|debug)" ;;
    esac
}

# Directory holding the kernel build for a variant, keyed by its content:
# the source package version, the fragments, and the toolchain that a Rust
# module must share with its kernel (rustc, bindgen, clang). Any change to
# one of them gets a fresh build; an unchanged key reuses the cached one.
kernel_build_dir() {
    local variant=$1 ver hash
    ver=$(kernel_pkg_version | tr '~' '_')
    # shellcheck disable=SC2046
    hash=$({
        cat $(variant_fragments "$variant")
        rustc --version
        bindgen --version 2>&1 | head -1
        clang --version | head -1
    } | sha256sum | cut -c1-12)
    echo "$BUILD_ROOT/kernel/$variant-$ver-$hash"
}
