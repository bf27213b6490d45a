#!/usr/bin/env bash
# The main job: set up, build the kernel and ipmp.ko, boot the VM and play
# the demo (tests/virtme/demo.sh) there, printing what it does.
#
# Usage: scripts/demo.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
"$REPO_ROOT/scripts/setup.sh" --demo
cargo run -q -p vmtest -- --exec tests/virtme/demo.sh
