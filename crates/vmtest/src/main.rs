//! `vmtest`: builds the test kernel and ipmp.ko, boots the kernel with
//! virtme-ng (software emulation) and runs the scenarios of
//! `tests/virtme/scenarios/` inside the guest, one boot for the lot.
//!
//! Prints a line per scenario as it ends, the output and kernel log of each
//! failure, and the closing line `N passed, N failed`. Exits non-zero if
//! anything failed.

use clap::Parser;
use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, ExitCode, Stdio},
    time::Instant,
};
use vmtest::{summary_line, Failure, LogParser, Outcome};

/// Run the VM scenarios of tests/virtme on the project's kernel.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Kernel variant to boot: `release`, or `debug` (KASAN, lockdep,
    /// kmemleak).
    #[arg(long, default_value = "release", value_parser = ["release", "debug"])]
    kernel: String,
    /// Print every line the guest prints, as it comes.
    #[arg(short, long)]
    verbose: bool,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Instead of the scenarios, run this guest script (a path relative to
    /// the repository) and show its output as it comes.
    #[arg(long, value_name = "SCRIPT", conflicts_with_all = ["scenarios", "list"])]
    exec: Option<String>,
    /// Build ipmp.ko from this directory instead of kmod/ (a deliberately
    /// broken copy, to show that a check catches it).
    #[arg(long, value_name = "DIR")]
    kmod: Option<PathBuf>,
    /// Stress and fuzz campaigns at their full counts (IPMP_FULL=1 in the
    /// guest), instead of the counts that fit CI's time.
    #[arg(long)]
    full: bool,
    /// Seconds before the whole VM run is abandoned (each scenario has its
    /// own limit too, in guest-run.sh).
    #[arg(long, default_value_t = 4800)]
    timeout: u64,
    /// Scenarios to run (file names in tests/virtme/scenarios, with or
    /// without `.sh`); all when none are given.
    scenarios: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("vmtest: {e}");
            ExitCode::from(2)
        }
    }
}

fn repo_root() -> PathBuf {
    // crates/vmtest -> repository root
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &Args) -> Result<bool, String> {
    let root = repo_root()
        .canonicalize()
        .map_err(|e| format!("repository root: {e}"))?;
    let scenarios = select_scenarios(&root, &args.scenarios)?;
    if args.list {
        scenarios.iter().for_each(|s| println!("{s}"));
        return Ok(true);
    }

    let kdir = build_kernel(&root, &args.kernel)?;
    let kmod = args.kmod.clone().unwrap_or_else(|| root.join("kmod"));
    build_and_install_module(&kmod, &kdir)?;
    build_tools(&root)?;
    // The install scenario's DKMS tree; a script run with --exec (the
    // demo) needs none.
    if args.exec.is_none() && scenarios.iter().any(|s| s.contains("install")) {
        prebuild_dkms(&root, &kdir)?;
    }
    // The package and kernel-upgrade scenarios: the .debs, and DKMS's
    // builds for both kernels (the release kernel is A, the debug one B).
    if args.exec.is_none()
        && scenarios
            .iter()
            .any(|s| s.contains("deb-package") || s.contains("dkms-upgrade"))
    {
        prepare_packages(&root)?;
    }

    if let Some(script) = &args.exec {
        return run_script(&root, &kdir, args, script);
    }

    let started = Instant::now();
    eprintln!(
        "==> booting {} under software emulation: {} scenario(s)",
        kdir.display(),
        scenarios.len()
    );
    let guest_cmd = format!(
        "{}tests/virtme/guest-run.sh {}",
        if args.full { "IPMP_FULL=1 " } else { "" },
        scenarios.join(" ")
    );
    let mut child = boot(&root, &kdir, args.timeout, &guest_cmd)?;

    let mut parser = LogParser::new();
    let mut outcomes = Vec::new();
    let stdout = child.stdout.take().ok_or("no stdout from vng")?;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading guest output: {e}"))?;
        if args.verbose {
            println!("  | {line}");
        }
        if let Some(outcome) = parser.feed(&line) {
            report(&outcome);
            outcomes.push(outcome);
        }
    }
    let status = child.wait().map_err(|e| format!("waiting for vng: {e}"))?;
    for outcome in parser.finish(&scenarios) {
        report(&outcome);
        outcomes.push(outcome);
    }
    eprintln!(
        "==> VM run took {:.1} s (vng exit: {status})",
        started.elapsed().as_secs_f64()
    );
    println!("{}", summary_line(&outcomes));
    Ok(outcomes.iter().all(Outcome::passed) && !outcomes.is_empty())
}

/// Boots `kdir` running `guest_cmd` (from the repository root) in the guest,
/// with the guest's output on the child's stdout.
///
/// vng's stderr is piped and relayed, never inherited: QEMU opens the
/// `/proc/self/fd/N` paths vng gives it as files, with O_TRUNC, so an
/// inherited stderr that is a log file would be truncated at boot.
fn boot(
    root: &Path,
    kdir: &Path,
    timeout: u64,
    guest_cmd: &str,
) -> Result<std::process::Child, String> {
    let mut child = Command::new("timeout")
        .arg(timeout.to_string())
        .args([
            "vng",
            "--disable-kvm",
            "--force-9p",
            "--cpus",
            "2",
            "--memory",
            "2G",
            // `=`: the value starts with a dash, which argparse would
            // take for an option.
            &format!("--qemu-opts={}", hub_nics()),
            "--run",
        ])
        .arg(kdir)
        .args(["--exec", guest_cmd])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start vng (run scripts/setup.sh): {e}"))?;
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("vng: {line}");
            }
        });
    }
    Ok(child)
}

/// QEMU options for four virtio-net NICs on one hub (hub 7), MACs
/// 52:54:00:07:00:00 to :03, reporting 1000 Mb/s full duplex: a real
/// driver's receive filter and link settings for the
/// scenarios that depend on it (tests/virtme/nics.sh `hub_nic`). A hub
/// repeats every frame to every port, like a switch flooding; each NIC
/// drops what its driver's filter does not accept, as hardware does.
fn hub_nics() -> String {
    (0..4)
        .map(|i| {
            format!(
                "-netdev hubport,id=hub{i},hubid=7 \
                 -device virtio-net-pci,netdev=hub{i},mac=52:54:00:07:00:0{i},speed=1000,duplex=full"
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `--exec`: runs one guest script, passing its output through; succeeds if
/// the script exited 0 in the guest.
fn run_script(root: &Path, kdir: &Path, args: &Args, script: &str) -> Result<bool, String> {
    let status_marker = format!("{}exec status=", vmtest::MARKER);
    let guest_cmd = format!("bash {script}; echo \"{status_marker}$?\"");
    let mut child = boot(root, kdir, args.timeout, &guest_cmd)?;
    let stdout = child.stdout.take().ok_or("no stdout from vng")?;
    let mut status = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading guest output: {e}"))?;
        match line.trim_end().strip_prefix(&status_marker) {
            Some(code) => status = code.parse::<i32>().ok(),
            None => println!("{line}"),
        }
    }
    let _ = child.wait();
    match status {
        Some(0) => Ok(true),
        Some(code) => {
            eprintln!("vmtest: {script} exited with status {code} in the guest");
            Ok(false)
        }
        None => Err(format!(
            "{script}: the guest stopped before the script finished"
        )),
    }
}

/// The scenario names, sorted, restricted to `wanted` if not empty.
fn select_scenarios(root: &Path, wanted: &[String]) -> Result<Vec<String>, String> {
    let dir = root.join("tests/virtme/scenarios");
    let mut all: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".sh"))
                .map(str::to_owned)
        })
        .collect();
    all.sort();
    if wanted.is_empty() {
        return Ok(all);
    }
    wanted
        .iter()
        .map(|w| {
            let w = w.trim_end_matches(".sh");
            all.iter()
                .find(|s| *s == w)
                .cloned()
                .ok_or_else(|| format!("no scenario '{w}' in {} (try --list)", dir.display()))
        })
        .collect()
}

/// Builds the userspace programs the guest runs (from target/debug) and
/// the iproute2 plugin.
fn build_tools(root: &Path) -> Result<(), String> {
    let status = Command::new("cargo")
        .args(["build", "-q", "--bins"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err("building the userspace programs failed".into());
    }
    // The iproute2 plugin (`ip link ... type ipmp`), loaded through
    // IP_LIB_DIR by the scenarios that use it.
    let status = Command::new("make")
        .args(["-s", "-C", "tools/iproute2"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("make: {e}"))?;
    if !status.success() {
        return Err("building the iproute2 plugin (tools/iproute2) failed".into());
    }
    // The daemon's installed name has a dot, which Cargo refuses.
    let link = root.join("target/debug/in.mpathd");
    if std::fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink("mpathd", &link)
            .map_err(|e| format!("{}: {e}", link.display()))?;
    }
    Ok(())
}

fn build_kernel(root: &Path, variant: &str) -> Result<PathBuf, String> {
    let out = Command::new(root.join("scripts/build-kernel.sh"))
        .arg(variant)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("scripts/build-kernel.sh: {e}"))?;
    if !out.status.success() {
        return Err(format!("kernel build failed ({})", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let kdir = stdout
        .lines()
        .last()
        .ok_or("build-kernel.sh printed no directory")?;
    Ok(PathBuf::from(kdir.trim()))
}

/// Builds kmod/ against `kdir` and installs ipmp.ko into the module tree
/// virtme-ng gives the guest, so that `modprobe ipmp` and the
/// `rtnl-link-ipmp` autoload work there.
fn build_and_install_module(kmod: &Path, kdir: &Path) -> Result<(), String> {
    let status = Command::new("make")
        .arg("-C")
        .arg(kdir)
        .arg(format!("M={}", kmod.display()))
        .args(["LLVM=1", "modules"])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("make: {e}"))?;
    if !status.success() {
        return Err("building kmod/ failed".into());
    }
    let moddir = kdir.join(".virtme_mods/lib/modules/0.0.0");
    if !moddir.join("modules.order").exists() {
        return Err(format!(
            "{} missing: rebuild the kernel (scripts/build-kernel.sh)",
            moddir.display()
        ));
    }
    let extra = moddir.join("extra");
    std::fs::create_dir_all(&extra).map_err(|e| format!("{}: {e}", extra.display()))?;
    std::fs::copy(kmod.join("ipmp.ko"), extra.join("ipmp.ko"))
        .map_err(|e| format!("installing ipmp.ko: {e}"))?;
    let status = Command::new("depmod")
        .arg("-a")
        .arg("-b")
        .arg(kdir.join(".virtme_mods"))
        .arg("0.0.0")
        .status()
        .map_err(|e| format!("depmod: {e}"))?;
    if !status.success() {
        return Err("depmod failed".into());
    }
    Ok(())
}

/// DKMS builds ipmp.ko for the test kernel on the host, for the install
/// scenario (scripts/dkms-prebuild.sh; cached).
fn prebuild_dkms(root: &Path, kdir: &Path) -> Result<(), String> {
    let status = Command::new(root.join("scripts/dkms-prebuild.sh"))
        .arg(kdir)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("scripts/dkms-prebuild.sh: {e}"))?;
    if !status.success() {
        return Err("the DKMS build of ipmp.ko failed".into());
    }
    Ok(())
}

/// Builds the Debian packages (scripts/build-deb) and runs DKMS through
/// the upgrade from the release to the debug kernel on the host
/// (scripts/dkms-upgrade.sh, cached), whose results the guest finds in
/// build/dkms-upgrade/current.
fn prepare_packages(root: &Path) -> Result<(), String> {
    let status = Command::new(root.join("scripts/build-deb"))
        .arg("--no-lintian")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("scripts/build-deb: {e}"))?;
    if !status.success() {
        return Err("scripts/build-deb failed (run it for the reason)".into());
    }
    let kdir_a = build_kernel(root, "release")?;
    let kdir_b = build_kernel(root, "debug")?;
    let out = Command::new(root.join("scripts/dkms-upgrade.sh"))
        .arg(&kdir_a)
        .arg(&kdir_b)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("scripts/dkms-upgrade.sh: {e}"))?;
    if !out.status.success() {
        return Err("the DKMS upgrade on the host failed".into());
    }
    let dir = String::from_utf8_lossy(&out.stdout);
    let current = root.join("build/dkms-upgrade/current");
    let _ = std::fs::remove_file(&current);
    std::os::unix::fs::symlink(dir.trim(), &current)
        .map_err(|e| format!("{}: {e}", current.display()))?;
    Ok(())
}

fn report(outcome: &Outcome) {
    let mut out = std::io::stdout().lock();
    let took = outcome
        .millis
        .map(|ms| format!(" ({:.1} s)", ms as f64 / 1000.0))
        .unwrap_or_default();
    if outcome.passed() {
        let _ = writeln!(out, "ok   {}{took}", outcome.name);
        return;
    }
    let _ = writeln!(out, "FAIL {}{took}", outcome.name);
    for failure in &outcome.failures {
        let why = match failure {
            Failure::Status(s) => format!("scenario exited with status {s}"),
            Failure::Teardown => "teardown failed (module unload or cleanup)".into(),
            Failure::KernelReport(lines) => format!(
                "kernel reported a problem:\n       {}",
                lines.join("\n       ")
            ),
            Failure::Unfinished => "never finished (guest crashed or hung)".into(),
            Failure::NotRun => "not run (the guest stopped before it)".into(),
            Failure::BadMarker(l) => format!("unreadable end marker: {l}"),
        };
        let _ = writeln!(out, "     - {why}");
    }
    // The cause first: a long output is often read only by its head and
    // tail, and a scenario's failed assertion sits in its middle.
    for line in outcome.cause() {
        let _ = writeln!(out, "     > {line}");
    }
    if !outcome.output.is_empty() {
        let _ = writeln!(out, "     output:");
        outcome.output.iter().for_each(|l| {
            let _ = writeln!(out, "       | {l}");
        });
    }
    if !outcome.dmesg.is_empty() {
        let _ = writeln!(out, "     kernel log:");
        outcome.dmesg.iter().for_each(|l| {
            let _ = writeln!(out, "       | {l}");
        });
    }
}
