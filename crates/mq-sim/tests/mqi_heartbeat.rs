//! Client channels with heartbeats (docs/reference/mqi.md#client-heartbeat): the negotiated
//! HBINT keeps a waiting MQGET alive across its wait, and a client whose server vanished without
//! a reset (a link gone, as in a network partition) ends its call with 2009
//! MQRC_CONNECTION_BROKEN within the receive timeout instead of waiting forever. IBM's sample
//! amqsgetc through libmqic_r.so, as user mqm. Run as root (network namespaces).

use mq_testkit::*;
use std::process::Command;
use std::time::Duration;

/// A running QM1 with a listener on `ip`, an application channel with HBINT(`hbint`), client
/// authentication relaxed so that user mqm gets in, and an empty APPQ.
fn with_channel(ip: &str, hbint: u32) -> (Sim, u16) {
    let sim = Sim::started("9.3.0.0", "QM1");
    let port = free_port();
    sim.mqsc_ok(
        "QM1",
        &format!(
            "DEFINE LISTENER(L1) TRPTYPE(TCP) PORT({port}) IPADDR({ip}) CONTROL(QMGR)\nSTART LISTENER(L1)\n\
             DEFINE CHANNEL(APP.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP) HBINT({hbint})\nDEFINE QLOCAL(APPQ)\n\
             ALTER QMGR CHLAUTH(DISABLED)\n\
             ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)\n\
             REFRESH SECURITY TYPE(CONNAUTH)\n"
        ),
    );
    (sim, port)
}

/// A network namespace with a veth pair to the test's namespace: `host_ip` on this side,
/// `ns_ip` inside. Removed on drop (deleting the namespace deletes both ends of the pair).
struct Netns {
    name: String,
    host_if: String,
    host_ip: String,
}

impl Netns {
    fn new() -> Netns {
        let id = std::process::id() % 10_000;
        let name = format!("mqhb{id}");
        let (host_if, ns_if) = (format!("mqhb{id}a"), format!("mqhb{id}b"));
        let octet = 1 + id % 250;
        let (host_ip, ns_ip) = (format!("10.199.{octet}.1"), format!("10.199.{octet}.2"));
        let n = Netns { name: name.clone(), host_if: host_if.clone(), host_ip: host_ip.clone() };
        ip(&["netns", "add", &name]);
        ip(&["link", "add", &host_if, "type", "veth", "peer", "name", &ns_if]);
        ip(&["link", "set", &ns_if, "netns", &name]);
        ip(&["addr", "add", &format!("{host_ip}/30"), "dev", &host_if]);
        ip(&["link", "set", &host_if, "up"]);
        ip(&["-n", &name, "addr", "add", &format!("{ns_ip}/30"), "dev", &ns_if]);
        ip(&["-n", &name, "link", "set", &ns_if, "up"]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        n
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run(Command::new("ip").args(["link", "del", &self.host_if]));
        let _ = run(Command::new("ip").args(["netns", "del", &self.name]));
    }
}

fn ip(args: &[&str]) {
    let o = run(Command::new("ip").args(args));
    assert_eq!(o.rc, 0, "ip {args:?}: {o:?}");
}

/// amqsgetc APPQ QM1 as user mqm, inside `netns` when given, started in the background.
fn getc(sim: &Sim, netns: Option<&str>, server: &str) -> (Spawned, std::path::PathBuf) {
    let out = sim.dir().join("getc.out");
    let file = std::fs::File::create(&out).unwrap();
    let exe = sim.samp("amqsgetc");
    let mut c = if let Some(ns) = netns {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, "setpriv", "--reuid=mqm", "--regid=mqm", "--init-groups"]);
        c.arg(&exe);
        c
    } else {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=mqm", "--regid=mqm", "--init-groups"]).arg(&exe);
        c
    };
    c.args(["APPQ", "QM1"])
        .env_remove("LD_LIBRARY_PATH")
        .env("MQSERVER", server)
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file);
    (Spawned::start(&mut c), out)
}

/// The sample has APPQ open for input (so its MQGET is under way or about to be).
fn getting(sim: &Sim) -> bool {
    sim.mqsc_ok("QM1", "DISPLAY QSTATUS(APPQ) IPPROCS\n").contains("IPPROCS(1)")
}

#[test]
fn heartbeats_keep_a_waiting_get_alive_past_the_receive_timeout() {
    let (sim, port) = with_channel("127.0.0.1", 2);
    eventually("the listener to bind", Duration::from_secs(10), || port_open(port));
    // Negotiated HBINT max(1, 2) = 2 s, so the client gives up after 4 s without a flow; the
    // sample's MQGET waits 15 s for a message that never comes: only the server's heartbeats
    // during the wait let it end normally.
    let (mut p, out) = getc(&sim, None, &format!("APP.SVRCONN/TCP/127.0.0.1({port})"));
    let rc = p.wait_within(Duration::from_secs(40));
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(rc, Some(0), "{text}");
    assert!(text.contains("no more messages") && !text.contains("2009"), "{text}");
}

#[test]
fn a_get_waiting_on_a_vanished_link_ends_with_2009_within_the_receive_timeout() {
    let ns = Netns::new();
    let (sim, port) = with_channel(&ns.host_ip, 2);
    eventually("the listener to bind", Duration::from_secs(10), || port_open_on(&ns.host_ip, port));
    let (mut p, out) = getc(&sim, Some(&ns.name), &format!("APP.SVRCONN/TCP/{}({port})", ns.host_ip));
    eventually("amqsgetc to open APPQ", Duration::from_secs(15), || getting(&sim));
    // The link goes: no reset reaches the client, no reply, no heartbeat.
    ip(&["link", "set", &ns.host_if, "down"]);
    let t0 = std::time::Instant::now();
    // Without heartbeats it would wait for ever (here: until killed at the bound).
    let rc = p.wait_within(Duration::from_secs(30));
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(text.contains("MQGET ended with reason code 2009"), "rc {rc:?} after {:?}: {text}", t0.elapsed());
    assert!(rc.is_some(), "{text}");
    println!("a get on a dead link ended with 2009 after {:.1} s (receive timeout 4 s)", t0.elapsed().as_secs_f64());
}

fn port_open_on(ip: &str, port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&format!("{ip}:{port}").parse().unwrap(), Duration::from_millis(500)).is_ok()
}
