//! One in.mpathd per network namespace: an exclusive `flock` on a file in
//! the root-owned runtime directory, named after the network namespace
//! (two daemons there would both write member flags). The kernel drops
//! the lock when the holder dies, so a crash leaves nothing to clean up;
//! the holder's pid is written into the file for the refusal message.

use nix::fcntl::{Flock, FlockArg};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Where the lock files live.
pub const RUNTIME_DIR: &str = "/run/ipmp";

/// The lock, held until dropped (at exit).
pub struct DaemonLock {
    _file: Flock<std::fs::File>,
    path: PathBuf,
}

/// The lock file of the network namespace this process is in:
/// `DIR/in.mpathd.net-INODE.lock`.
pub fn lock_path(dir: &Path) -> PathBuf {
    let ns = std::fs::read_link("/proc/self/ns/net")
        .ok()
        .and_then(|l| namespace_inode(&l.to_string_lossy()))
        .map_or_else(|| "unknown".to_string(), |ino| ino.to_string());
    dir.join(format!("in.mpathd.net-{ns}.lock"))
}

/// The inode of a namespace link's text, `net:[4026531840]`.
pub fn namespace_inode(link: &str) -> Option<u64> {
    link.strip_prefix("net:[")?.strip_suffix(']')?.parse().ok()
}

impl DaemonLock {
    /// Takes the lock at `path`, or says who holds it.
    pub fn take(path: &Path) -> Result<Self, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, nix::errno::Errno::EWOULDBLOCK)) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let who = match pid.trim() {
                    "" => String::new(),
                    pid => format!(" (pid {pid})"),
                };
                return Err(format!(
                    "another in.mpathd{who} is running in this network namespace \
                     (it holds {}); exiting",
                    path.display()
                ));
            }
            Err((_, e)) => return Err(format!("cannot lock {}: {e}", path.display())),
        };
        // Best effort: the pid only makes the refusal message friendlier.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = writeln!(*file, "{}", std::process::id());
        Ok(Self {
            _file: file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_links_give_their_inode() {
        assert_eq!(namespace_inode("net:[4026531840]"), Some(4026531840));
        assert_eq!(namespace_inode("user:[4026531837]"), None);
        assert_eq!(namespace_inode("net:[x]"), None);
    }

    #[test]
    fn a_second_taker_is_refused_and_told_who_holds_it() {
        let dir = std::env::temp_dir().join(format!("mpathd-lock-{}", std::process::id()));
        let path = dir.join("in.mpathd.net-1.lock");
        let first = DaemonLock::take(&path).unwrap();
        let second = DaemonLock::take(&path).err().unwrap();
        assert!(
            second.contains(&format!("(pid {})", std::process::id())),
            "{second}"
        );
        assert!(second.contains("another in.mpathd"), "{second}");
        drop(first);
        assert!(DaemonLock::take(&path).is_ok(), "free again once dropped");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
