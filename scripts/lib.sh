# Shared shell helpers for the scripts: paths and the kernel cache key.
# Sourced, not run.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Git-ignored; override to share one cache between checkouts.
BUILD_ROOT=${IPMP_BUILD_DIR:-$REPO_ROOT/build}
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

# Directory holding the kernel build for a variant, keyed by the source
# package version and a hash of the fragments, so that any change to either
# gets a fresh build and an unchanged one is reused.
kernel_build_dir() {
    local variant=$1 ver hash
    ver=$(kernel_pkg_version | tr '~' '_')
    # shellcheck disable=SC2046
    hash=$(cat $(variant_fragments "$variant") | sha256sum | cut -c1-12)
    echo "$BUILD_ROOT/kernel/$variant-$ver-$hash"
}
