//! A TCP listener of a queue manager, as /proc and the network stack show it: which runmqlsr
//! processes serve queue manager QM on port P, who holds a port (via /proc/net/tcp{,6} socket
//! inodes and /proc/<pid>/fd), whether a port accepts connections, whether an address is
//! configured on this node, and the runmqlsr / MQSC commands that start and shape a listener.
//! Decisions are separate from the I/O so they are tested on captured /proc text.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use crate::procs::{self, Proc};
use crate::runmqsc::quoted;

/// The listener program.
pub const RUNMQLSR: &str = "runmqlsr";
/// runmqlsr's port when none is given (reference §12).
pub const DEFAULT_PORT: u16 = 1414;

/// A TCP socket in LISTEN state, from /proc/net/tcp or tcp6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSocket {
    pub addr: IpAddr,
    pub port: u16,
    pub inode: u64,
}

/// A process holding a listening socket on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortHolder {
    pub pid: i32,
    /// Its command line, arguments joined by blanks.
    pub command: String,
    pub socket: ListenSocket,
}

impl PortHolder {
    pub fn describe(&self) -> String {
        format!("pid {} ({})", self.pid, self.command)
    }
}

/// Parses a kernel hex address: IPv4 is one little-endian u32, IPv6 four of them.
fn parse_hex_addr(hex: &str) -> Option<IpAddr> {
    match hex.len() {
        8 => {
            let v = u32::from_str_radix(hex, 16).ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(v.to_le_bytes())))
        }
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                let w = u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok()?;
                bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// The LISTEN sockets (state 0A) in the text of /proc/net/tcp or /proc/net/tcp6.
pub fn parse_proc_net_tcp(text: &str) -> Vec<ListenSocket> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
        if f.len() < 10 || f[3] != "0A" {
            continue;
        }
        let Some((addr_hex, port_hex)) = f[1].split_once(':') else { continue };
        let (Some(addr), Ok(port), Ok(inode)) =
            (parse_hex_addr(addr_hex), u16::from_str_radix(port_hex, 16), f[9].parse::<u64>())
        else {
            continue;
        };
        out.push(ListenSocket { addr, port, inode });
    }
    out
}

/// Whether a socket bound to `bound` keeps a new listener from binding `want` on the same port:
/// a wildcard on either side clashes with everything; otherwise only the same address does
/// (an IPv4-mapped IPv6 address counts as its IPv4 address).
pub fn clashes(bound: IpAddr, want: Option<IpAddr>) -> bool {
    let norm = |a: IpAddr| match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(a),
        a => a,
    };
    match want {
        None => true,
        Some(w) => bound.is_unspecified() || w.is_unspecified() || norm(bound) == norm(w),
    }
}

/// The listening sockets on `port` of this host (IPv4 and IPv6): from the kernel's socket
/// diagnostics (netlink, listening sockets only, as `ss -l` asks), else from /proc/net/tcp{,6},
/// which walks every TCP socket of the host and costs milliseconds on a busy node.
pub fn listening_on(port: u16) -> Vec<ListenSocket> {
    match sock_diag::listening() {
        Ok(all) => all.into_iter().filter(|s| s.port == port).collect(),
        Err(_) => listening_on_in(Path::new("/proc"), port),
    }
}

pub fn listening_on_in(proc_root: &Path, port: u16) -> Vec<ListenSocket> {
    ["net/tcp", "net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(proc_root.join(f)).ok())
        .flat_map(|t| parse_proc_net_tcp(&t))
        .filter(|s| s.port == port)
        .collect()
}

/// The inode of a `socket:[N]` fd link target.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// The processes holding a listening socket that clashes with binding `want`:`port`; a socket
/// whose owner cannot be found (another namespace, a process gone meanwhile) is reported with pid 0.
pub fn port_holders(port: u16, want: Option<IpAddr>) -> Vec<PortHolder> {
    port_holders_in(Path::new("/proc"), port, want)
}

pub fn port_holders_in(proc_root: &Path, port: u16, want: Option<IpAddr>) -> Vec<PortHolder> {
    let listening = if proc_root == Path::new("/proc") { listening_on(port) } else { listening_on_in(proc_root, port) };
    let sockets: Vec<ListenSocket> = listening.into_iter().filter(|s| clashes(s.addr, want)).collect();
    if sockets.is_empty() {
        return vec![];
    }
    let mut found: Vec<PortHolder> = Vec::new();
    if let Ok(dir) = std::fs::read_dir(proc_root) {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
            let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else { continue };
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else { continue };
                let Some(inode) = target.to_str().and_then(socket_inode) else { continue };
                if let Some(s) = sockets.iter().find(|s| s.inode == inode) {
                    if found.iter().any(|h| h.pid == pid && h.socket.inode == inode) {
                        continue;
                    }
                    let command = command_line(proc_root, pid).unwrap_or_else(|| "?".into());
                    found.push(PortHolder { pid, command, socket: s.clone() });
                }
            }
        }
    }
    for s in &sockets {
        if !found.iter().any(|h| h.socket.inode == s.inode) {
            found.push(PortHolder { pid: 0, command: "owner not visible".into(), socket: s.clone() });
        }
    }
    found.sort_by_key(|h| h.pid);
    found
}

/// The listening sockets on `port` that process `pid` holds: reads only that process's fds, so a
/// monitor does not walk every process on the node.
pub fn sockets_held_by(pid: i32, port: u16) -> Vec<ListenSocket> {
    sockets_held_by_in(Path::new("/proc"), pid, port)
}

pub fn sockets_held_by_in(proc_root: &Path, pid: i32, port: u16) -> Vec<ListenSocket> {
    let sockets = if proc_root == Path::new("/proc") { listening_on(port) } else { listening_on_in(proc_root, port) };
    if sockets.is_empty() {
        return sockets;
    }
    let Ok(fds) = std::fs::read_dir(proc_root.join(pid.to_string()).join("fd")) else { return vec![] };
    let inodes: Vec<u64> = fds
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|t| t.to_str().and_then(socket_inode))
        .collect();
    sockets.into_iter().filter(|s| inodes.contains(&s.inode)).collect()
}

fn command_line(proc_root: &Path, pid: i32) -> Option<String> {
    let raw = std::fs::read(proc_root.join(pid.to_string()).join("cmdline")).ok()?;
    let s: Vec<String> =
        raw.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
    if s.is_empty() {
        None
    } else {
        Some(s.join(" "))
    }
}

/// The value of option `flag` in argv, written `-p 1414` or `-p1414`.
pub fn option_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a == flag {
            return it.next().map(String::as_str);
        }
        if let Some(rest) = a.strip_prefix(flag) {
            if !rest.is_empty() && !rest.starts_with('-') {
                return Some(rest);
            }
        }
    }
    None
}

/// Whether `p` is a runmqlsr of queue manager `qm` listening on `port` (runmqlsr without -p
/// listens on 1414). Matches listeners the queue manager started for a LISTENER object too.
pub fn is_listener_of(p: &Proc, qm: &str, port: u16) -> bool {
    if p.name != RUNMQLSR || !procs::names_queue_manager(&p.args, qm) {
        return false;
    }
    let p_port = option_value(&p.args, "-p").map(|v| v.parse::<u16>().ok()).unwrap_or(Some(DEFAULT_PORT));
    p_port == Some(port)
}

/// The runmqlsr processes of `qm` for `port` on this host.
pub fn listeners_of(qm: &str, port: u16) -> Vec<Proc> {
    processes_named(RUNMQLSR).into_iter().filter(|p| is_listener_of(p, qm, port)).collect()
}

/// Every process whose argv[0] has basename `program`, in pid order. Only the command line of
/// each process is read until one matches, so a monitor's scan of a busy node stays cheap.
pub fn processes_named(program: &str) -> Vec<Proc> {
    let proc_root = Path::new("/proc");
    let Ok(dir) = std::fs::read_dir(proc_root) else { return vec![] };
    let me = std::process::id() as i32;
    let mut out: Vec<Proc> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|pid| *pid != me)
        .filter(|pid| {
            let Ok(raw) = std::fs::read(proc_root.join(pid.to_string()).join("cmdline")) else { return false };
            let argv0 = raw.split(|b| *b == 0).next().unwrap_or_default();
            argv0.rsplit(|b| *b == b'/').next() == Some(program.as_bytes())
        })
        .filter_map(procs::read)
        .collect();
    out.sort_by_key(|p| p.pid);
    out
}

/// runmqlsr's arguments for a TCP listener (reference §12).
pub fn runmqlsr_args(qm: &str, port: u16, ipaddr: Option<IpAddr>, backlog: Option<u32>) -> Vec<String> {
    let mut a = vec!["-m".to_string(), qm.to_string(), "-t".into(), "TCP".into(), "-p".into(), port.to_string()];
    if let Some(ip) = ipaddr {
        a.push("-i".into());
        a.push(ip.to_string());
    }
    if let Some(b) = backlog {
        a.push("-b".into());
        a.push(b.to_string());
    }
    a
}

/// The MQSC that makes a LISTENER object match the resource: its port and address, and
/// CONTROL(MANUAL) so the queue manager never starts it by itself on a node without the address.
pub fn alter_mqsc(object: &str, port: u16, ipaddr: Option<IpAddr>, backlog: Option<u32>) -> String {
    let ip = ipaddr.map(|i| i.to_string()).unwrap_or_else(|| " ".to_string());
    let mut alter =
        format!("ALTER LISTENER({}) TRPTYPE(TCP) PORT({port}) IPADDR('{ip}') CONTROL(MANUAL)", quoted(object));
    if let Some(b) = backlog {
        alter.push_str(&format!(" BACKLOG({b})"));
    }
    alter.push('\n');
    alter
}

/// `alter_mqsc`, then START LISTENER.
pub fn alter_and_start_mqsc(object: &str, port: u16, ipaddr: Option<IpAddr>, backlog: Option<u32>) -> String {
    format!("{}START LISTENER({})\n", alter_mqsc(object, port, ipaddr, backlog), quoted(object))
}

pub fn stop_mqsc(object: &str) -> String {
    format!("STOP LISTENER({})\n", quoted(object))
}

/// Where to test a listener from this node: its bind address, or loopback for a wildcard bind.
pub fn probe_address(ipaddr: Option<IpAddr>, port: u16) -> SocketAddr {
    let ip = match ipaddr {
        Some(ip) if !ip.is_unspecified() => ip,
        Some(IpAddr::V6(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    SocketAddr::new(ip, port)
}

/// The MQ connection name of a socket address: `host(port)`.
pub fn conname(addr: SocketAddr) -> String {
    format!("{}({})", addr.ip(), addr.port())
}

/// Whether a TCP connection to `addr` is accepted within `timeout` (closed again at once).
pub fn accepts(addr: SocketAddr, timeout: Duration) -> bool {
    TcpStream::connect_timeout(&addr, timeout.max(Duration::from_millis(1))).is_ok()
}

/// Whether `ip` is configured on an interface of this node (what a listener can bind to).
pub fn address_is_local(ip: IpAddr) -> std::io::Result<bool> {
    // The kernel answers for all of 127.0.0.0/8 on lo, though only 127.0.0.1 is listed.
    if ip.is_unspecified() || ip.is_loopback() {
        return Ok(true);
    }
    let addrs = nix::ifaddrs::getifaddrs().map_err(std::io::Error::from)?;
    for ifa in addrs {
        let Some(a) = ifa.address else { continue };
        let found = if let Some(v4) = a.as_sockaddr_in() {
            IpAddr::V4(v4.ip()) == ip
        } else if let Some(v6) = a.as_sockaddr_in6() {
            IpAddr::V6(v6.ip()) == ip
        } else {
            false
        };
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

/// NETLINK_SOCK_DIAG: the kernel's socket dump, asked for TCP sockets in LISTEN state only.
mod sock_diag {
    use std::io;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    use super::ListenSocket;

    const NETLINK_SOCK_DIAG: libc::c_int = 4;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const NLM_F_REQUEST: u16 = 0x1;
    const NLM_F_DUMP: u16 = 0x300;
    const NLMSG_ERROR: u16 = 0x2;
    const NLMSG_DONE: u16 = 0x3;
    const TCP_LISTEN: u32 = 10;
    const NLMSG_HDR: usize = 16;
    /// struct inet_diag_req_v2: family, protocol, ext, pad, states, then a 48-byte sockid.
    const REQ_LEN: usize = 8 + 48;
    /// struct inet_diag_msg up to and including idiag_inode.
    const MSG_MIN: usize = 4 + 48 + 5 * 4;

    fn request(family: u8) -> Vec<u8> {
        let len = (NLMSG_HDR + REQ_LEN) as u32;
        let mut b = Vec::with_capacity(len as usize);
        b.extend_from_slice(&len.to_ne_bytes());
        b.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        b.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
        b.extend_from_slice(&1u32.to_ne_bytes()); // sequence
        b.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel's
        b.extend_from_slice(&[family, libc::IPPROTO_TCP as u8, 0, 0]);
        b.extend_from_slice(&(1u32 << TCP_LISTEN).to_ne_bytes());
        b.extend_from_slice(&[0u8; 48]);
        b
    }

    /// One inet_diag_msg: (family, state, sport, src address, inode).
    pub(super) fn parse_msg(m: &[u8]) -> Option<ListenSocket> {
        if m.len() < MSG_MIN {
            return None;
        }
        let family = m[0] as i32;
        // sockid: sport and dport in network order, then src[4], dst[4] as 32-bit words.
        let port = u16::from_be_bytes([m[4], m[5]]);
        let src = &m[8..24];
        let addr = if family == libc::AF_INET {
            IpAddr::V4(Ipv4Addr::new(src[0], src[1], src[2], src[3]))
        } else {
            let mut a = [0u8; 16];
            a.copy_from_slice(src);
            IpAddr::V6(Ipv6Addr::from(a))
        };
        let inode = u32::from_ne_bytes(m[4 + 48 + 16..4 + 48 + 20].try_into().ok()?) as u64;
        Some(ListenSocket { addr, port, inode })
    }

    fn dump(fd: &OwnedFd, family: u8, out: &mut Vec<ListenSocket>) -> io::Result<()> {
        let req = request(family);
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: plain sendto of an owned buffer to the kernel's netlink address.
        let n = unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                req.as_ptr() as *const libc::c_void,
                req.len(),
                0,
                &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            // SAFETY: recv into an owned buffer of the given length.
            let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let mut rest = &buf[..n as usize];
            if rest.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "netlink closed"));
            }
            while rest.len() >= NLMSG_HDR {
                let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
                let kind = u16::from_ne_bytes(rest[4..6].try_into().unwrap());
                if len < NLMSG_HDR || len > rest.len() {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "bad netlink message length"));
                }
                match kind {
                    NLMSG_DONE => return Ok(()),
                    NLMSG_ERROR => {
                        return Err(io::Error::new(io::ErrorKind::Other, "sock_diag answered with an error"))
                    }
                    SOCK_DIAG_BY_FAMILY => {
                        if let Some(s) = parse_msg(&rest[NLMSG_HDR..len]) {
                            out.push(s);
                        }
                    }
                    _ => {}
                }
                // Messages are 4-byte aligned.
                let next = (len + 3) & !3;
                rest = &rest[next.min(rest.len())..];
            }
        }
    }

    /// Every TCP socket of this network namespace in LISTEN state.
    pub(super) fn listening() -> io::Result<Vec<ListenSocket>> {
        // SAFETY: socket(2); the descriptor is owned at once.
        let raw = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, NETLINK_SOCK_DIAG) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let tv = libc::timeval { tv_sec: 2, tv_usec: 0 };
        // SAFETY: setsockopt with a timeval of the right size; a dump never blocks us for long.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        let mut out = Vec::new();
        dump(&fd, libc::AF_INET as u8, &mut out)?;
        dump(&fd, libc::AF_INET6 as u8, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from Linux: a wildcard IPv4 listener on 1414, 127.0.0.1:1415, an established
    // connection (state 01) that must be ignored.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0586 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 41234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0587 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41240 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0586 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 41300 1 0000000000000000 20 4 30 10 -1
";
    // [::]:1414 and [::1]:8080.
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0586 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 51234 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 51240 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn listen_sockets_from_proc_net() {
        let v4 = parse_proc_net_tcp(TCP);
        assert_eq!(
            v4,
            vec![
                ListenSocket { addr: "0.0.0.0".parse().unwrap(), port: 1414, inode: 41234 },
                ListenSocket { addr: "127.0.0.1".parse().unwrap(), port: 1415, inode: 41240 },
            ]
        );
        let v6 = parse_proc_net_tcp(TCP6);
        assert_eq!(v6[0], ListenSocket { addr: "::".parse().unwrap(), port: 1414, inode: 51234 });
        assert_eq!(v6[1], ListenSocket { addr: "::1".parse().unwrap(), port: 8080, inode: 51240 });
    }

    #[test]
    fn which_binds_clash() {
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let vip: IpAddr = "192.0.2.10".parse().unwrap();
        assert!(clashes(any, Some(vip)));
        assert!(clashes(vip, None));
        assert!(clashes(vip, Some(vip)));
        assert!(!clashes(lo, Some(vip)));
        assert!(clashes("::ffff:192.0.2.10".parse().unwrap(), Some(vip)));
        assert!(clashes("::".parse().unwrap(), Some(vip)));
    }

    #[test]
    fn sock_diag_agrees_with_proc_net_tcp() {
        let l4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let l6 = std::net::TcpListener::bind("[::1]:0").ok();
        let mut ports = vec![l4.local_addr().unwrap().port()];
        ports.extend(l6.as_ref().map(|l| l.local_addr().unwrap().port()));
        let diag = sock_diag::listening().expect("NETLINK_SOCK_DIAG");
        for port in ports {
            let mut a: Vec<ListenSocket> = diag.iter().filter(|s| s.port == port).cloned().collect();
            let mut b = listening_on_in(Path::new("/proc"), port);
            a.sort_by_key(|s| s.inode);
            b.sort_by_key(|s| s.inode);
            assert_eq!(a, b, "port {port}");
            assert_eq!(a.len(), 1);
        }
    }

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode("socket:[41234]"), Some(41234));
        assert_eq!(socket_inode("pipe:[41234]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    fn proc_of(args: &[&str]) -> Proc {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Proc { pid: 10, ppid: 1, uid: 999, name: args[0].rsplit('/').next().unwrap().to_string(), args }
    }

    #[test]
    fn runmqlsr_matching() {
        let by_agent = proc_of(&["/opt/mqm/bin/runmqlsr", "-m", "QM1", "-t", "TCP", "-p", "1414", "-i", "192.0.2.10"]);
        assert!(is_listener_of(&by_agent, "QM1", 1414));
        assert!(!is_listener_of(&by_agent, "QM1", 1415));
        assert!(!is_listener_of(&by_agent, "QM10", 1414));
        // Started by the queue manager for a LISTENER object (reference §5).
        let by_qm = proc_of(&[
            "/opt/mqm/bin/runmqlsr",
            "-r",
            "-m",
            "QM_ORANGE",
            "-t",
            "TCP",
            "-p",
            "1414",
            "-i",
            "192.168.93.107",
        ]);
        assert!(is_listener_of(&by_qm, "QM_ORANGE", 1414));
        let joined = proc_of(&["runmqlsr", "-mQM1", "-tTCP", "-p1416"]);
        assert!(is_listener_of(&joined, "QM1", 1416));
        let default_port = proc_of(&["runmqlsr", "-m", "QM1", "-t", "tcp"]);
        assert!(is_listener_of(&default_port, "QM1", 1414));
        let other_prog = proc_of(&["amqzxma0", "-m", "QM1", "-p", "1414"]);
        assert!(!is_listener_of(&other_prog, "QM1", 1414));
    }

    #[test]
    fn commands() {
        assert_eq!(runmqlsr_args("QM1", 1414, None, None), ["-m", "QM1", "-t", "TCP", "-p", "1414"]);
        assert_eq!(
            runmqlsr_args("QM1", 1414, Some("192.0.2.10".parse().unwrap()), Some(50)),
            ["-m", "QM1", "-t", "TCP", "-p", "1414", "-i", "192.0.2.10", "-b", "50"]
        );
        assert_eq!(
            alter_and_start_mqsc("LSR.A", 1415, Some("192.0.2.10".parse().unwrap()), None),
            "ALTER LISTENER('LSR.A') TRPTYPE(TCP) PORT(1415) IPADDR('192.0.2.10') CONTROL(MANUAL)\nSTART LISTENER('LSR.A')\n"
        );
        assert!(alter_and_start_mqsc("L", 1, None, Some(9))
            .starts_with("ALTER LISTENER('L') TRPTYPE(TCP) PORT(1) IPADDR(' ') CONTROL(MANUAL) BACKLOG(9)\n"));
        assert_eq!(stop_mqsc("L"), "STOP LISTENER('L')\n");
        assert_eq!(probe_address(None, 1414).to_string(), "127.0.0.1:1414");
        assert_eq!(probe_address(Some("::".parse().unwrap()), 1414).to_string(), "[::1]:1414");
        assert_eq!(conname(probe_address(Some("192.0.2.10".parse().unwrap()), 1414)), "192.0.2.10(1414)");
    }

    #[test]
    fn processes_by_program_name() {
        let mut child = std::process::Command::new("/bin/sleep").arg("31").spawn().unwrap();
        let pid = child.id() as i32;
        let end = std::time::Instant::now() + Duration::from_secs(5);
        let mut found = false;
        while !found && std::time::Instant::now() < end {
            found = processes_named("sleep").iter().any(|p| p.pid == pid && p.args == ["/bin/sleep", "31"]);
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(found, "sleep {pid} not found by name");
        assert!(!processes_named("sleep").iter().any(|p| p.pid == pid));
        assert!(processes_named("no-such-program-mqha").is_empty());
    }

    #[test]
    fn live_port_holder_and_locality() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let holders = port_holders(port, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(holders.len(), 1, "{holders:?}");
        assert_eq!(holders[0].pid, std::process::id() as i32);
        assert!(accepts(l.local_addr().unwrap(), Duration::from_secs(1)));
        let mine = sockets_held_by(std::process::id() as i32, port);
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].inode, holders[0].socket.inode);
        assert!(sockets_held_by(1, port).is_empty());
        assert!(port_holders(port, Some("192.0.2.99".parse().unwrap())).is_empty());
        drop(l);
        assert!(port_holders(port, None).is_empty());
        assert!(address_is_local("127.0.0.1".parse().unwrap()).unwrap());
        assert!(address_is_local("127.0.0.2".parse().unwrap()).unwrap());
        assert!(!address_is_local("192.0.2.254".parse().unwrap()).unwrap());
    }
}
