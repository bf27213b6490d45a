//! The control socket: a Unix stream socket serving
//! [`libipmp::control`] requests, one JSON object per line. Each
//! connection gets a thread that forwards its request to the main loop
//! and writes the answer; state-changing requests are accepted only from
//! root or a holder of CAP_NET_ADMIN, by the peer's credentials.

use libipmp::control::{ProbeEvent, Request, Response};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel, Sender, SyncSender};
use std::time::Duration;

/// The longest request line accepted.
const MAX_REQUEST: u64 = 64 * 1024;
/// CAP_NET_ADMIN's bit in /proc/PID/status CapEff.
const CAP_NET_ADMIN: u32 = 12;
/// Connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Probe results queued for one `ipmpstat -p` before it is dropped.
const SUBSCRIBER_QUEUE: usize = 1024;

/// What a connection asks of the main loop.
pub enum ControlMsg {
    /// Answer this request (already checked for privilege).
    Request(Request, Sender<Response>),
    /// Send probe results to the first channel until it is closed, once
    /// the answer on the second says Ok.
    Subscribe(SyncSender<ProbeEvent>, Sender<Response>),
}

/// Binds the socket at `path` (replacing a stale one) and serves it on a
/// thread; `forward` hands messages to the main loop.
pub fn listen(
    path: &Path,
    forward: impl Fn(ControlMsg) -> bool + Send + Sync + 'static,
) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(path)?;
    // Anyone may ask for the state; changes are checked per request.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
    let forward = std::sync::Arc::new(forward);
    let open = std::sync::Arc::new(AtomicUsize::new(0));
    std::thread::Builder::new()
        .name("control".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                    continue; // dropping the stream closes it
                }
                let _ = stream.set_read_timeout(Some(REQUEST_TIMEOUT));
                let forward = std::sync::Arc::clone(&forward);
                open.fetch_add(1, Ordering::SeqCst);
                let done = std::sync::Arc::clone(&open);
                let spawned = std::thread::Builder::new()
                    .name("control-conn".into())
                    .spawn(move || {
                        serve(stream, &*forward);
                        done.fetch_sub(1, Ordering::SeqCst);
                    });
                if spawned.is_err() {
                    open.fetch_sub(1, Ordering::SeqCst);
                }
            }
        })?;
    Ok(())
}

/// Whether the peer may change state: uid 0, or CAP_NET_ADMIN in its
/// effective set.
///
/// The credentials are the ones the kernel recorded at connect(); the
/// capability set is read from /proc afterwards, so it is only believed
/// while that process still has the effective uid it connected with (a
/// client that connected unprivileged and then exec'd a set-uid program
/// does not pass).
fn privileged(stream: &UnixStream) -> bool {
    let Ok(cred) = getsockopt(stream, PeerCredentials) else {
        return false;
    };
    if cred.uid() == 0 {
        return true;
    }
    let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", cred.pid())) else {
        return false;
    };
    let field = |name: &str| -> Vec<String> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    // Uid: real, effective, saved, filesystem.
    let same_euid = field("Uid:")
        .get(1)
        .and_then(|e| e.parse::<u32>().ok())
        .is_some_and(|euid| euid == cred.uid());
    let cap = field("CapEff:")
        .first()
        .and_then(|c| u64::from_str_radix(c, 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_NET_ADMIN) != 0);
    same_euid && cap
}

fn answer(stream: &mut UnixStream, response: &Response) -> io::Result<()> {
    let mut line = serde_json::to_string(response).map_err(io::Error::other)?;
    line.push('\n');
    stream.write_all(line.as_bytes())
}

fn serve(mut stream: UnixStream, forward: &dyn Fn(ControlMsg) -> bool) {
    let mut line = String::new();
    let read = stream
        .try_clone()
        .map(|s| BufReader::new(s).take(MAX_REQUEST).read_line(&mut line));
    if !matches!(read, Ok(Ok(n)) if n > 0) {
        return;
    }
    let request = match Request::parse(&line) {
        Ok(r) => r,
        Err(message) => {
            let _ = answer(&mut stream, &Response::Error { message });
            return;
        }
    };
    if request.is_privileged() && !privileged(&stream) {
        let _ = answer(
            &mut stream,
            &Response::Error {
                message: "permission denied: root or CAP_NET_ADMIN is needed".into(),
            },
        );
        return;
    }
    if request == Request::Probes {
        let (tx, rx) = sync_channel(SUBSCRIBER_QUEUE);
        let (atx, arx) = channel();
        if !forward(ControlMsg::Subscribe(tx, atx)) {
            return;
        }
        let Ok(response) = arx.recv() else {
            return;
        };
        let ok = matches!(response, Response::Ok { .. });
        if answer(&mut stream, &response).is_err() || !ok {
            return;
        }
        for event in rx {
            let Ok(mut text) = serde_json::to_string(&event) else {
                continue;
            };
            text.push('\n');
            if stream.write_all(text.as_bytes()).is_err() {
                return;
            }
        }
        return;
    }
    let (tx, rx) = channel();
    if !forward(ControlMsg::Request(request, tx)) {
        return;
    }
    if let Ok(response) = rx.recv() {
        let _ = answer(&mut stream, &response);
    }
}
