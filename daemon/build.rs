//! Builds the source-address rotation programs (`bpf/rotate.bpf.c`) with
//! clang for the BPF target; the object is embedded in in.mpathd.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = "bpf/rotate.bpf.c";
    println!("cargo:rerun-if-changed={src}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let obj = out.join("rotate.bpf.o");
    let clang = std::env::var("BPF_CLANG").unwrap_or_else(|_| "clang".into());
    // The uapi headers' <asm/...> live under the host's multiarch directory.
    let multiarch = format!("/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let status = Command::new(&clang)
        .args(["-O2", "-target", "bpf", "-mcpu=v3", "-Wall", "-Werror"])
        .arg(format!("-I{multiarch}"))
        .args(["-c", src, "-o"])
        .arg(&obj)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {clang} to build {src} (install clang): {e}"));
    assert!(status.success(), "{clang} failed to build {src}");
}
