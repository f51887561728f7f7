//! A listener as the network stack shows it: which sockets listen on a port (the kernel's socket
//! diagnostics, else /proc/net/tcp{,6}), which processes hold them (their /proc fds), whether a
//! port accepts connections, and whether an address is configured on this node. The parsing is
//! separate from the I/O so it is tested on captured /proc text.

mod sock_diag;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

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
                // get, not indexing: a non-ASCII byte would put a slice inside a character.
                let w = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
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
/// The holders' command lines are read within `deadline` (reading another process's cmdline can
/// block, proc(5)); "?" when they are not.
pub fn port_holders(port: u16, want: Option<IpAddr>, deadline: std::time::Instant) -> Vec<PortHolder> {
    let mut found = holders_in(Path::new("/proc"), port, want, false);
    let pids: Vec<i32> = found.iter().map(|h| h.pid).filter(|p| *p > 0).collect();
    if !pids.is_empty() {
        let procs = crate::procs::read_within(&pids, deadline).unwrap_or_default();
        for h in found.iter_mut().filter(|h| h.pid > 0) {
            h.command = procs.iter().find(|p| p.pid == h.pid).map(|p| p.args.join(" ")).unwrap_or_else(|| "?".into());
        }
    }
    found
}

pub fn port_holders_in(proc_root: &Path, port: u16, want: Option<IpAddr>) -> Vec<PortHolder> {
    holders_in(proc_root, port, want, true)
}

fn holders_in(proc_root: &Path, port: u16, want: Option<IpAddr>, commands: bool) -> Vec<PortHolder> {
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
                    let command =
                        if commands { command_line(proc_root, pid) } else { None }.unwrap_or_else(|| "?".into());
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

    #[test]
    fn where_a_listener_is_tested_from() {
        assert_eq!(probe_address(None, 1414).to_string(), "127.0.0.1:1414");
        assert_eq!(probe_address(Some("::".parse().unwrap()), 1414).to_string(), "[::1]:1414");
        assert_eq!(conname(probe_address(Some("192.0.2.10".parse().unwrap()), 1414)), "192.0.2.10(1414)");
    }

    #[test]
    fn live_port_holder_and_locality() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let soon = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let holders = port_holders(port, Some("127.0.0.1".parse().unwrap()), soon);
        assert_eq!(holders.len(), 1, "{holders:?}");
        assert_eq!(holders[0].pid, std::process::id() as i32);
        assert!(accepts(l.local_addr().unwrap(), Duration::from_secs(1)));
        let mine = sockets_held_by(std::process::id() as i32, port);
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].inode, holders[0].socket.inode);
        assert!(sockets_held_by(1, port).is_empty());
        assert!(port_holders(port, Some("192.0.2.99".parse().unwrap()), soon).is_empty());
        drop(l);
        assert!(port_holders(port, None, soon).is_empty());
        assert!(address_is_local("127.0.0.1".parse().unwrap()).unwrap());
        assert!(address_is_local("127.0.0.2".parse().unwrap()).unwrap());
        assert!(!address_is_local("192.0.2.254".parse().unwrap()).unwrap());
    }
}
