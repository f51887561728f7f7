//! NETLINK_SOCK_DIAG: the kernel's socket dump, asked for TCP sockets in LISTEN state only.
//! Hand-written: netlink-packet-sock-diag plus netlink-sys would add six crates to the RPM for one dump.

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
pub(crate) fn parse_msg(m: &[u8]) -> Option<ListenSocket> {
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
        let got = &buf[..n as usize];
        if got.is_empty() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "netlink closed"));
        }
        if parse_reply(got, out)? {
            return Ok(());
        }
    }
}

/// One datagram of a sock_diag dump: its LISTEN sockets into `out`; true once the dump is done.
pub(crate) fn parse_reply(mut rest: &[u8], out: &mut Vec<ListenSocket>) -> io::Result<bool> {
    while rest.len() >= NLMSG_HDR {
        let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let kind = u16::from_ne_bytes([rest[4], rest[5]]);
        if len < NLMSG_HDR || len > rest.len() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad netlink message length {len}")));
        }
        match kind {
            NLMSG_DONE => return Ok(true),
            NLMSG_ERROR => return Err(io::Error::other("sock_diag answered with an error")),
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
    Ok(false)
}

/// Every TCP socket of this network namespace in LISTEN state.
pub(crate) fn listening() -> io::Result<Vec<ListenSocket>> {
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

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A SOCK_DIAG_BY_FAMILY message as the kernel sends it for `s`.
    fn message(s: &ListenSocket) -> Vec<u8> {
        let mut m = vec![0u8; MSG_MIN];
        let (family, src) = match s.addr {
            IpAddr::V4(a) => (libc::AF_INET as u8, a.octets().to_vec()),
            IpAddr::V6(a) => (libc::AF_INET6 as u8, a.octets().to_vec()),
        };
        m[0] = family;
        m[1] = TCP_LISTEN as u8;
        m[4..6].copy_from_slice(&s.port.to_be_bytes());
        m[8..8 + src.len()].copy_from_slice(&src);
        m[68..72].copy_from_slice(&(s.inode as u32).to_ne_bytes());
        let mut b = Vec::new();
        b.extend_from_slice(&((NLMSG_HDR + m.len()) as u32).to_ne_bytes());
        b.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        b.extend_from_slice(&[0u8; 10]);
        b.extend_from_slice(&m);
        b
    }

    fn socket() -> impl Strategy<Value = ListenSocket> {
        let addr = prop_oneof![
            any::<[u8; 4]>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            any::<[u8; 16]>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        ];
        (addr, any::<u16>(), any::<u32>()).prop_map(|(addr, port, inode)| ListenSocket {
            addr,
            port,
            inode: inode as u64,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_datagram_is_no_panic(datagram in prop::collection::vec(any::<u8>(), 0..600)) {
            let mut out = Vec::new();
            let _ = parse_reply(&datagram, &mut out);
            let _ = parse_msg(&datagram);
        }

        #[test]
        fn a_well_formed_dump_reads_back(socks in prop::collection::vec(socket(), 0..8), done in any::<bool>()) {
            let mut b: Vec<u8> = socks.iter().flat_map(message).collect();
            if done {
                b.extend_from_slice(&(NLMSG_HDR as u32).to_ne_bytes());
                b.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
                b.extend_from_slice(&[0u8; 10]);
            }
            let mut out = Vec::new();
            prop_assert_eq!(parse_reply(&b, &mut out).unwrap(), done);
            prop_assert_eq!(out, socks);
        }
    }
}
