//! The controller's control channel: endmqm, strmqcsv and friends send one line to the running
//! execution controller over an abstract unix socket `mqsim-ctl-<hash>` and read one line back.
//! Separate from the engine's socket so a hung engine still hears endmqm -p.

use crate::paths::{Installation, QmPaths};
use std::io::{BufRead, BufReader, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::time::Duration;

pub fn address(inst: &Installation, qm: &QmPaths) -> String {
    format!("mqsim-ctl-{:016x}", inst.qm_hash(qm))
}

pub fn bind(inst: &Installation, qm: &QmPaths) -> std::io::Result<UnixListener> {
    UnixListener::bind_addr(&SocketAddr::from_abstract_name(address(inst, qm).as_bytes())?)
}

/// Sends one request line and returns the reply line (deadline: `timeout`).
pub fn request(inst: &Installation, qm: &QmPaths, line: &str, timeout: Duration) -> std::io::Result<String> {
    let s = UnixStream::connect_addr(&SocketAddr::from_abstract_name(address(inst, qm).as_bytes())?)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    (&s).write_all(format!("{line}\n").as_bytes())?;
    let mut reply = String::new();
    BufReader::new(&s).read_line(&mut reply)?;
    Ok(reply.trim_end().to_string())
}

/// Reads one request line from an accepted connection.
pub fn read_request(s: &UnixStream) -> Option<String> {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    Some(line.trim_end().to_string())
}

pub fn reply(mut s: &UnixStream, line: &str) {
    let _ = s.write_all(format!("{line}\n").as_bytes());
}

/// Whether the process at the other end is root, the mq user, or a member of the mq group.
pub fn peer_is_admin(inst: &Installation, s: &UnixStream) -> bool {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let Ok(cred) = getsockopt(s, PeerCredentials) else { return false };
    if cred.uid() == 0 {
        return true;
    }
    let Ok(ids) = crate::authority::mq_ids(inst) else { return false };
    if cred.uid() == ids.uid.as_raw() || cred.gid() == ids.gid.as_raw() {
        return true;
    }
    // Supplementary groups of the peer, from /proc (its credentials at connect time are close enough).
    std::fs::read_to_string(format!("/proc/{}/status", cred.pid()))
        .ok()
        .and_then(|st| st.lines().find(|l| l.starts_with("Groups:")).map(str::to_string))
        .map(|l| l.split_whitespace().skip(1).any(|g| g.parse::<u32>().ok() == Some(ids.gid.as_raw())))
        .unwrap_or(false)
}
