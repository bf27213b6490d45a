//! The control socket: a Unix stream socket serving
//! [`libipmp::control`] requests, one JSON object per line. Each admitted
//! connection gets a thread (with a small stack) that forwards its request
//! to the main loop and writes the answer.
//!
//! Any local user may connect and read (snapshot, probe stream); only
//! root, by the credentials the kernel recorded at connect(), may change
//! state ([`admission::may_change_state`]). Nobody can hold the daemon
//! up: connections are counted per uid with a pool kept for root
//! ([`admission::Admission`]), a request must arrive whole within
//! [`REQUEST_TIME`], every write gives up after [`WRITE_TIME`], and a
//! probe-stream subscriber that does not read is dropped once its bounded
//! queue is full.

use super::admission::{self, Admission, Limits};
use libipmp::control::{ProbeEvent, Request, Response};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest request line accepted.
const MAX_REQUEST: usize = 64 * 1024;
/// How long a client may take to send its whole request (not per read: a
/// client trickling a byte a second is cut off all the same).
pub const REQUEST_TIME: Duration = Duration::from_secs(2);
/// How long one write to a client may block before the client is dropped.
pub const WRITE_TIME: Duration = Duration::from_secs(1);
/// Probe results queued for one `ipmpstat -p` before it is dropped.
pub const SUBSCRIBER_QUEUE: usize = 256;
/// Stack of a connection thread: it parses one line and relays answers.
const CONNECTION_STACK: usize = 256 * 1024;

/// What a connection asks of the main loop.
pub enum ControlMsg {
    /// Answer this request (already checked for privilege).
    Request(Request, Sender<Response>),
    /// Send probe results to the first channel until it is closed, once
    /// the answer on the second says Ok.
    Subscribe(SyncSender<ProbeEvent>, Sender<Response>),
}

/// Whether a live daemon answers on `path` (a stale socket file left by a
/// daemon that was killed does not).
pub fn in_use(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}

/// Binds the socket at `path` (replacing a stale one: the caller holds
/// the daemon's lock and has checked that nobody listens there) and
/// serves it on a thread; `forward` hands messages to the main loop.
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
    let forward = Arc::new(forward);
    let admission = Arc::new(Mutex::new(Admission::new(Limits::default())));
    std::thread::Builder::new()
        .name("control".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                accept(stream, &admission, &forward);
            }
        })?;
    Ok(())
}

fn accept<F>(stream: UnixStream, admission: &Arc<Mutex<Admission>>, forward: &Arc<F>)
where
    F: Fn(ControlMsg) -> bool + Send + Sync + 'static,
{
    let Ok(cred) = getsockopt(&stream, PeerCredentials) else {
        return;
    };
    let uid = cred.uid();
    let admitted = admission
        .lock()
        .map_or(Ok(()), |mut a| a.admit(uid))
        .map_err(|refusal| refusal.to_string());
    if let Err(message) = admitted {
        // Said without waiting: a client that does not read gets nothing.
        let _ = stream.set_nonblocking(true);
        let _ = answer(&stream, &Response::Error { message });
        return;
    }
    let (forward, done) = (Arc::clone(forward), Arc::clone(admission));
    let spawned = std::thread::Builder::new()
        .name("control-conn".into())
        .stack_size(CONNECTION_STACK)
        .spawn(move || {
            serve(stream, uid, &*forward);
            if let Ok(mut a) = done.lock() {
                a.release(uid);
            }
        });
    if spawned.is_err() {
        if let Ok(mut a) = admission.lock() {
            a.release(uid);
        }
    }
}

fn answer(mut stream: &UnixStream, response: &Response) -> io::Result<()> {
    let mut line = serde_json::to_string(response).map_err(io::Error::other)?;
    line.push('\n');
    stream.write_all(line.as_bytes())
}

/// Reads one request line, which must arrive whole before `deadline`.
fn read_request(mut stream: &UnixStream, deadline: Instant) -> io::Result<String> {
    let mut line = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))?;
        stream.set_read_timeout(Some(left))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        line.extend_from_slice(&chunk[..n]);
        if let Some(end) = line.iter().position(|&b| b == b'\n') {
            line.truncate(end);
            break;
        }
        if line.len() > MAX_REQUEST {
            return Err(io::ErrorKind::InvalidData.into());
        }
    }
    String::from_utf8(line).map_err(|_| io::ErrorKind::InvalidData.into())
}

fn serve(stream: UnixStream, uid: u32, forward: &dyn Fn(ControlMsg) -> bool) {
    if stream.set_write_timeout(Some(WRITE_TIME)).is_err() {
        return;
    }
    let line = match read_request(&stream, Instant::now() + REQUEST_TIME) {
        Ok(line) => line,
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            let message = "malformed request: not one line of UTF-8 text".to_string();
            let _ = answer(&stream, &Response::Error { message });
            return;
        }
        Err(_) => return,
    };
    let request = match Request::parse(&line) {
        Ok(r) => r,
        Err(message) => {
            let _ = answer(&stream, &Response::Error { message });
            return;
        }
    };
    if request.is_privileged() && !admission::may_change_state(uid) {
        let message = "permission denied: only root may change IPMP state".to_string();
        let _ = answer(&stream, &Response::Error { message });
        return;
    }
    if request == Request::Probes {
        stream_probes(&stream, forward);
        return;
    }
    let (tx, rx) = channel();
    if !forward(ControlMsg::Request(request, tx)) {
        return;
    }
    if let Ok(response) = rx.recv() {
        let _ = answer(&stream, &response);
    }
}

/// `ipmpstat -p`: probe results until the client goes away, or stops
/// reading (a write that blocks for [`WRITE_TIME`] ends it; so does a
/// full queue, on the main loop's side).
fn stream_probes(mut stream: &UnixStream, forward: &dyn Fn(ControlMsg) -> bool) {
    let (tx, rx) = sync_channel(SUBSCRIBER_QUEUE);
    let (atx, arx) = channel();
    if !forward(ControlMsg::Subscribe(tx, atx)) {
        return;
    }
    let Ok(response) = arx.recv() else {
        return;
    };
    let ok = matches!(response, Response::Ok { .. });
    if answer(stream, &response).is_err() || !ok {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_must_arrive_whole_in_time() {
        let (client, server) = UnixStream::pair().unwrap();
        let reader = std::thread::spawn(move || {
            read_request(&server, Instant::now() + Duration::from_millis(300))
        });
        // A byte every 100 ms: each read succeeds, the whole line never
        // arrives; the deadline, not a per-read timeout, ends it.
        for b in b"{\"op\"" {
            // The server may have given up and closed already.
            let _ = (&client).write_all(&[*b]);
            std::thread::sleep(Duration::from_millis(100));
        }
        let got = reader.join().unwrap();
        assert_eq!(got.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn a_whole_line_is_read_up_to_its_newline() {
        let (client, server) = UnixStream::pair().unwrap();
        (&client).write_all(b"{\"op\":\"snapshot\"}\nrest").unwrap();
        let line = read_request(&server, Instant::now() + Duration::from_secs(1)).unwrap();
        assert_eq!(line, "{\"op\":\"snapshot\"}");
    }

    #[test]
    fn an_endless_line_is_refused() {
        let (client, server) = UnixStream::pair().unwrap();
        let writer = std::thread::spawn(move || {
            let junk = vec![b'x'; 4096];
            while (&client).write_all(&junk).is_ok() {}
        });
        let got = read_request(&server, Instant::now() + Duration::from_secs(5));
        assert_eq!(got.unwrap_err().kind(), io::ErrorKind::InvalidData);
        drop(server);
        writer.join().unwrap();
    }
}
