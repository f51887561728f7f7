//! The depth-20 client check through a real listener: refused with 2035 by the default CHLAUTH
//! rules (the mq user is an administrator), with an exit reason that says what to change; passes
//! once the channel is allowed.

use mq_testkit::*;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

fn mqsc(sim: &Sim, qm: &str, script: &str) -> String {
    let (uid, gid) = ids("mqm");
    let mut c = Command::new(sim.bin("runmqsc"));
    c.arg(qm).uid(uid).gid(gid).stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
}

#[test]
fn client_check_names_chlauth_on_2035_and_passes_once_allowed() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMCL").rc, 0);
    assert_eq!(sim.act("start", "QMCL").rc, 0);
    let out = mqsc(&sim, "QMCL", "DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) TRPTYPE(TCP)\n");
    assert!(out.contains("AMQ8014"), "{out}");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (uid, gid) = ids("mqm");
    let mut lsr = Command::new(sim.bin("runmqlsr"));
    lsr.args(["-t", "tcp", "-p", &port.to_string(), "-m", "QMCL"])
        .uid(uid)
        .gid(gid)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut lsr = lsr.spawn().unwrap();
    eventually("listener up", Duration::from_secs(10), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());

    let conname = format!("127.0.0.1({port})");
    let params = [("qmgr", "QMCL"), ("client_channel", "APP.SVRCONN"), ("client_conname", conname.as_str())];
    let env = [("OCF_RESKEY_CRM_meta_interval", "120000"), ("OCF_CHECK_LEVEL", "20")];
    let r = sim.agent("monitor", &params, &env);
    assert_eq!(r.rc, 1, "client check as an administrator: {r:?}");
    let reason = r.reason();
    assert!(reason.contains("2035") && reason.contains("CHLAUTH") && reason.contains("CHCKCLNT"), "{reason}");
    assert!(reason.len() <= 128, "reason longer than crm_mon keeps: {reason}");
    // Depth 10 does not run the client check.
    assert_eq!(
        sim.agent("monitor", &params, &[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", "10")]).rc,
        0
    );

    let out = mqsc(
        &sim,
        "QMCL",
        "SET CHLAUTH('APP.SVRCONN') TYPE(BLOCKUSER) USERLIST('nobody')\n\
         ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)\n\
         REFRESH SECURITY TYPE(CONNAUTH)\n",
    );
    assert!(out.contains("AMQ8877") && out.contains("AMQ8560"), "{out}");
    let r = sim.agent("monitor", &params, &env);
    assert_eq!(r.rc, 0, "client check once allowed: {r:?}");

    // A wrong channel name is named.
    let bad = [("qmgr", "QMCL"), ("client_channel", "NO.SUCH.CHL"), ("client_conname", conname.as_str())];
    let r = sim.agent("monitor", &bad, &env);
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.reason().contains("NO.SUCH.CHL"), "{}", r.reason());

    let _ = lsr.kill();
    let _ = lsr.wait();
    assert_eq!(sim.act("stop", "QMCL").rc, 0);
}
