//! Property tests of the /proc parsers process matching and the listener rely on (stat, status,
//! cmdline, /proc/net/tcp): none panics on any bytes, since a panic in stop is a fenced node, and
//! each reads back what a well-formed input says. Case counts are bounded so the suite stays fast.
//! The netlink sock_diag reply parser has its own beside it (`listener/net/sock_diag.rs`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mq_core::listener::net::{parse_proc_net_tcp, ListenSocket};
use mq_core::procs::{args_from_cmdline, euid_from_status, ppid_from_stat};
use proptest::prelude::*;

const CASES: u32 = 2000;

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        // Text shaped like the files, to reach the parsers' deeper branches.
        "([0-9]{1,6} \\([ -~]{0,20}\\)+ [RSZXD] -?[0-9]{0,8} [0-9 ]{0,20})".prop_map(String::into_bytes),
        prop::collection::vec("(Name|Uid|Gid|State):[\t 0-9a-z]{0,30}", 0..6).prop_map(|l| l.join("\n").into_bytes()),
    ]
}

/// A /proc/net/tcp line of socket `s` in state `st` (hex, as the kernel writes it).
fn tcp_line(i: usize, s: &ListenSocket, st: &str) -> String {
    let addr = match s.addr {
        IpAddr::V4(a) => format!("{:08X}", u32::from_le_bytes(a.octets())),
        IpAddr::V6(a) => {
            a.octets().chunks(4).map(|w| format!("{:08X}", u32::from_le_bytes(w.try_into().unwrap()))).collect()
        }
    };
    format!(
        "{i:4}: {addr}:{:04X} {}:0000 {st} 00000000:00000000 00:00000000 00000000   999        0 {} 1 0000000000000000 100 0 0 10 0",
        s.port,
        "0".repeat(addr.len()),
        s.inode
    )
}

fn socket() -> impl Strategy<Value = ListenSocket> {
    let addr = prop_oneof![
        any::<[u8; 4]>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ];
    (addr, any::<u16>(), any::<u64>()).prop_map(|(addr, port, inode)| ListenSocket { addr, port, inode })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn proc_files_take_any_bytes(raw in bytes()) {
        let _ = ppid_from_stat(&raw);
        let _ = euid_from_status(&raw);
        let args = args_from_cmdline(&raw);
        prop_assert!(args.iter().all(|a| !a.is_empty()));
        let _ = parse_proc_net_tcp(&String::from_utf8_lossy(&raw));
    }

    #[test]
    fn proc_net_tcp_takes_any_fields(lines in prop::collection::vec(("[ -~é]{0,36}", "[0-9A-Fé]{0,6}", "[0-9é]{0,8}"), 0..6)) {
        let mut text = String::from("header\n");
        for (addr, port, inode) in &lines {
            text.push_str(&format!("0: {addr}:{port} 00000000:0000 0A 0:0 0:0 0 999 0 {inode} 1\n"));
        }
        let _ = parse_proc_net_tcp(&text);
    }

    #[test]
    fn stat_reads_back(pid in 1i32..i32::MAX, comm in "[ -~]{0,15}", state in "[RSDTI]", ppid in 0i32..i32::MAX) {
        let stat = format!("{pid} ({comm}) {state} {ppid} {pid} {pid} 0 -1 4194560 1 0 0 0");
        prop_assert_eq!(ppid_from_stat(stat.as_bytes()), Some(ppid));
        let zombie = format!("{pid} ({comm}) Z {ppid} {pid}");
        prop_assert_eq!(ppid_from_stat(zombie.as_bytes()), None);
    }

    #[test]
    fn status_reads_back(ruid in any::<u32>(), euid in any::<u32>(), name in "[a-z0-9]{1,15}") {
        let status = format!("Name:\t{name}\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t{ruid}\t{euid}\t{euid}\t{euid}\nGid:\t1\t1\t1\t1\n");
        prop_assert_eq!(euid_from_status(status.as_bytes()), Some(euid));
    }

    #[test]
    fn cmdline_reads_back(args in prop::collection::vec("[^\u{0}]{1,20}", 1..8)) {
        let mut raw = args.join("\0").into_bytes();
        raw.push(0);
        prop_assert_eq!(args_from_cmdline(&raw), args);
    }

    #[test]
    fn proc_net_tcp_reads_back(socks in prop::collection::vec((socket(), any::<bool>()), 0..8)) {
        let mut text = String::from("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
        for (i, (s, listening)) in socks.iter().enumerate() {
            text.push_str(&tcp_line(i, s, if *listening { "0A" } else { "01" }));
            text.push('\n');
        }
        let want: Vec<ListenSocket> = socks.iter().filter(|(_, l)| *l).map(|(s, _)| s.clone()).collect();
        prop_assert_eq!(parse_proc_net_tcp(&text), want);
    }
}
