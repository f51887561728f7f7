//! runmqlsr: a real TCP listener for a queue manager. Each accepted connection is proxied to the
//! engine's unix socket, announced by the peer line of INTERFACE.md decision 2. Runs in the
//! foreground until endmqlsr, the queue manager's end, or (when the QM started it) its parent's end.

use super::target;
use crate::paths::{Installation, QmPaths};
use crate::runtime::{family, ipc, procs};
use crate::status::{self, QmState};
use crate::wire::{self, MqiBody, Request, Response};
use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

const USAGE: &str = "runmqlsr -t tcp [-p Port] [-i IPAddr] [-b Backlog] [-m QMgrName]";

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("runmqlsr") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let (mut port, mut ip, mut name, mut transport) = (1414u16, String::new(), None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-t" => transport = it.next(),
            "-p" => match it.next().and_then(|v| v.parse().ok()) {
                Some(p) => port = p,
                None => {
                    eprintln!("Usage: {USAGE}");
                    return 20;
                }
            },
            "-i" => ip = it.next().unwrap_or_default(),
            "-b" => {
                it.next();
            }
            "-m" => name = it.next(),
            "-r" => {}
            s => {
                eprintln!("runmqlsr: unexpected argument '{s}'");
                eprintln!("Usage: {USAGE}");
                return 20;
            }
        }
    }
    if !transport.map(|t| t.eq_ignore_ascii_case("tcp")).unwrap_or(false) {
        eprintln!("Usage: {USAGE}");
        return 20;
    }
    let qm = match target::component_qm(&inst, name) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    let parent = family::parent_link();
    if parent.is_none() && procs::controller(&inst, &qm).is_none() {
        crate::mqprintln!("{}", crate::messages::AMQ8146);
        return 20;
    }
    let bind_ip = if ip.is_empty() { "0.0.0.0".to_string() } else { ip.clone() };
    let listener = match TcpListener::bind((bind_ip.as_str(), port)) {
        Ok(l) => l,
        Err(e) => {
            // AMQ9212E-style failure (exact text UNCONFIRMED).
            eprintln!("AMQ9212E: A TCP/IP listener could not bind to port {port} on '{bind_ip}': {e}");
            return 20;
        }
    };
    ipc::attach(&inst, &qm);
    match parent {
        Some(link) => {
            let (i, q) = (inst.clone(), qm.clone());
            std::thread::spawn(move || {
                family::wait_parent(&link);
                family::on_parent_death(&i, &q)
            });
        }
        None => {
            let (i, q) = (inst.clone(), qm.clone());
            std::thread::spawn(move || loop {
                if procs::controller(&i, &q).is_none() {
                    std::process::exit(0);
                }
                std::thread::sleep(Duration::from_millis(300));
            });
        }
    }
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let (i, q) = (inst.clone(), qm.clone());
        std::thread::spawn(move || proxy(&i, &q, conn));
    }
    0
}

fn proxy(inst: &Installation, qm: &QmPaths, tcp: TcpStream) {
    let Ok(peer) = tcp.peer_addr() else { return };
    let Ok(mut unix) = wire::connect_engine(inst, qm) else {
        // A listener started by hand on a Native HA replica's node answers as a standby's does
        // (2543; UNCONFIRMED, docs/reference/native-ha.md#replica-refuses-applications).
        if matches!(status::qm_state(inst, qm), QmState::RunningAsStandby | QmState::Replica) {
            refuse_as_standby(&tcp);
        }
        let _ = tcp.shutdown(Shutdown::Both);
        return;
    };
    if unix.write_all(wire::proxy_line(&peer, "-").as_bytes()).is_err() {
        return;
    }
    let (Ok(mut t2), Ok(mut u2)) = (tcp.try_clone(), unix.try_clone()) else { return };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut t2, &mut u2);
        let _ = u2.shutdown(Shutdown::Write);
    });
    relay_to_client(&mut unix, &tcp);
    let _ = tcp.shutdown(Shutdown::Both);
    let _ = up.join();
}

/// The server side of the channel toward the client: forwards the engine's frames and, once the
/// connect reply has negotiated a heartbeat interval, sends a heartbeat flow whenever nothing
/// went to the client for that interval, whatever the conversation is doing (an MQGET waiting
/// included), as IBM describes the server-connection MQI agent (docs/reference/mqi.md#client-heartbeat).
/// Ends when the engine closes its side or the client cannot be written to.
fn relay_to_client(unix: &mut std::os::unix::net::UnixStream, tcp: &TcpStream) {
    use std::os::fd::AsRawFd;
    let mut out = tcp;
    let mut hbint: i32 = 0;
    let mut first = true;
    loop {
        if hbint > 0 {
            let mut pfd = libc::pollfd { fd: unix.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            let ms = hbint.saturating_mul(1000);
            // SAFETY: one valid pollfd for the duration of the call.
            let n = unsafe { libc::poll(&mut pfd, 1, ms) };
            if n < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            if n == 0 {
                if wire::write_frame(&mut out, &Response::Heartbeat).is_err() {
                    return;
                }
                continue;
            }
        }
        let frame = match wire::read_raw_frame(unix) {
            Ok(Some(f)) => f,
            _ => return,
        };
        if first {
            first = false;
            if let Ok(Response::Mqi { body: MqiBody::Connected { hbint: h, .. }, .. }) =
                serde_json::from_slice::<Response>(&frame[4..])
            {
                hbint = h;
                // A client that stopped reading does not hold this relay forever.
                let _ = tcp.set_write_timeout(wire::receive_timeout(h));
            }
        }
        if out.write_all(&frame).and_then(|_| out.flush()).is_err() {
            return;
        }
    }
}

/// A listener on the node of a standby instance (an administrator may run one there) reaches
/// no engine: the client's MQCONNX fails with 2543 MQRC_STANDBY_Q_MGR, as IBM documents for a
/// connection to a standby instance (docs/reference/mqi.md#standby-reason). The connect frame is read first, as a channel
/// would read the client's connect request, within a bounded time.
fn refuse_as_standby(tcp: &TcpStream) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(5)));
    let mut r = tcp;
    if let Ok(Some(Request::Connect { .. })) = wire::read_frame::<_, Request>(&mut r) {
        const MQCC_FAILED: i32 = 2;
        const MQRC_STANDBY_Q_MGR: i32 = 2543;
        let mut w = tcp;
        let _ = wire::write_frame(
            &mut w,
            &Response::Mqi { cc: MQCC_FAILED, reason: MQRC_STANDBY_Q_MGR, body: MqiBody::None },
        );
    }
}
