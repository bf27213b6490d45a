#!/usr/bin/env bash
# The kmemleak check can fail: builds a copy of kmod/ that leaks one
# allocation each time the module loads (under build/, never shipped, never
# in kmod/), runs 03-members with it on the debug kernel, and passes
# only if that scenario FAILS with a kmemleak report. Run by hand (about
# 3 minutes): tests/kmemleak/leaking-module.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$REPO_ROOT"
copy=build/kmod-leaking
rm -rf "$copy"
mkdir -p build
cp -r kmod "$copy"
rm -f "$copy"/*.o "$copy"/*.ko "$copy"/bindings_generated.rs
# One 256-byte allocation per load, whose only pointer is dropped.
python3 - "$copy/ipmp_dev.rs" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
anchor = '        pr_info!("loaded: link kind'
assert anchor in s
s = s.replace(anchor, '        core::mem::forget(kernel::alloc::KBox::new([0u8; 256], GFP_KERNEL)?);\n' + anchor, 1)
s = s.replace("use kernel::prelude::*;", "use kernel::prelude::*;\nuse kernel::alloc::flags::GFP_KERNEL;", 1)
open(p, "w").write(s)
PY
"$REPO_ROOT/scripts/build-kernel.sh" debug >/dev/null
out=$(cargo run -q -p vmtest -- --kernel debug --kmod "$REPO_ROOT/$copy" 03-members 2>&1) && status=0 || status=$?
echo "$out" | grep -E '^(ok|FAIL) |unreferenced|ipmp' | head -20
if [ "$status" != 0 ] && grep -q "kmemleak: unreferenced object" <<<"$out" && grep -q "^FAIL 03-members" <<<"$out"; then
    echo "ok: the leaking module failed 03-members with a kmemleak report"
else
    echo "FAIL: the leaking module was not caught (vmtest status $status)"
    exit 1
fi
