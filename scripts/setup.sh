#!/usr/bin/env bash
# Install everything this project needs on a fresh Debian 12 machine:
# the LLVM toolchain and kernel source for a Rust-enabled kernel, the VM
# runner (virtme-ng + qemu), and the tools the VM scenarios run in the guest
# (the guest sees the host's root file system).
#
# Idempotent: a second run only checks.
# Usage: scripts/setup.sh [--demo]
#   --demo: only what the main job (scripts/demo.sh) needs: the kernel
#           and module builds, the VM runner and the demo's guest tools;
#           not the test-only tools (cargo-fuzz, clippy, rustfmt, dkms,
#           the Python libraries and network tools other scenarios use).
set -euo pipefail

demo_only=0
case ${1:-} in
    --demo) demo_only=1 ;;
    "") ;;
    *) echo "usage: scripts/setup.sh [--demo]" >&2; exit 2 ;;
esac

DEMO_PACKAGES=(
    # kernel build
    linux-source-6.12 clang lld llvm libclang-dev flex bison bc libelf-dev
    libssl-dev cpio dwarves make python3 xz-utils rsync
    # VM runner
    qemu-system-x86 udev
    # tools the demo runs in the guest (iproute2's tc black-holes a path)
    kmod iproute2 procps jq
    # the iproute2 plugin (tools/iproute2)
    gcc
    # in.mpathd's source address rotation programs (clang -target bpf)
    linux-libc-dev
)
TEST_PACKAGES=(
    # tools the other scenarios run in the guest
    iputils-ping iperf3 tcpdump ethtool psmisc bridge-utils libteam-utils
    socat ndisc6 bpftool
    # the kernel's YNL CLI and spec check (docs/netlink/ipmp.yaml), the
    # JSON Schemas (docs/json)
    python3-yaml python3-jsonschema
    # the ifupdown hook's scenario (packaging/ifupdown)
    ifupdown
    # parsing ipmpstat --prometheus (the metrics scenario)
    python3-prometheus-client
    # installation (scripts/install, the install scenario; man -l and
    # systemd-analyze verify in tests/packaging.sh)
    dkms man-db groff-base systemd
    # the Debian packages (debian/, scripts/build-deb)
    debhelper dh-dkms lintian
)
APT_PACKAGES=("${DEMO_PACKAGES[@]}")
((demo_only)) || APT_PACKAGES+=("${TEST_PACKAGES[@]}")

log() { printf '==> %s\n' "$*" >&2; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

components=(rust-src)
((demo_only)) || components+=(clippy rustfmt)
for component in "${components[@]}"; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        log "rustup component add $component"
        rustup component add "$component"
    fi
done

# Tools from crates.io and PyPI, at the versions this project is tested
# with (a newer release must not change a fresh machine's result).
BINDGEN_VERSION=0.73.2
CARGO_FUZZ_VERSION=0.13.2
VIRTME_NG_VERSION=1.42

if [[ $(bindgen --version 2>/dev/null) != "bindgen $BINDGEN_VERSION" ]]; then
    log "cargo install bindgen-cli@$BINDGEN_VERSION"
    cargo install --locked --force bindgen-cli --version "$BINDGEN_VERSION"
fi

if ((!demo_only)) && [[ $(cargo fuzz --version 2>/dev/null) != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    log "cargo install cargo-fuzz@$CARGO_FUZZ_VERSION"
    cargo install --locked --force cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

if [[ $(vng --version 2>/dev/null) != "virtme-ng $VIRTME_NG_VERSION" ]]; then
    log "pip install virtme-ng==$VIRTME_NG_VERSION"
    pip install -q "virtme-ng==$VIRTME_NG_VERSION"
fi

log "versions:"
printf '    %-10s %s\n' \
    kernel "$(dpkg-query -W -f='${Version}' linux-source-6.12)" \
    rustc "$(rustc --version)" \
    bindgen "$(bindgen --version 2>&1 | head -1)" \
    clang "$(clang --version | head -1)" \
    qemu "$(qemu-system-x86_64 --version | head -1)" \
    vng "$(vng --version 2>&1 | head -1)" >&2
