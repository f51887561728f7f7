//! The depth-20 client check through a real listener, against a queue manager with IBM's default
//! security (the simulator applies the back-stop CHLAUTH rule and CHCKCLNT(REQDADM) as MQ does):
//! refused for the mq user, degraded (190) with a reason that points at client_user rather than
//! failed; passing as a dedicated user once the README's minimal MQSC is applied; bad
//! client_user / client_credentials values refused naming them.

use mq_testkit::*;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const DEPTH20: [(&str, &str); 2] = [("OCF_RESKEY_CRM_meta_interval", "120000"), ("OCF_CHECK_LEVEL", "20")];

fn mqsc(sim: &Sim, qm: &str, script: &str) -> String {
    let (uid, gid) = ids("mqm");
    let mut c = Command::new(sim.bin("runmqsc"));
    c.arg(qm).uid(uid).gid(gid).stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).into_owned()
}

/// The README's monitoring-channel MQSC, verbatim, for user `user` instead of mqhamon.
fn readme_mqsc(user: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let (_, after) = readme.split_once("<!-- monitoring-channel-mqsc:").expect("README has the monitoring MQSC");
    let block = after.split("```").nth(1).expect("a fenced block after the marker");
    assert!(block.contains("CLNTUSER('mqhamon')") && block.contains("AUTHADD(CONNECT,INQ)"), "{block}");
    block.trim_start_matches('\n').replace("mqhamon", user)
}

/// A started queue manager with a listener on a free port (killed when dropped).
struct Lab {
    sim: Sim,
    listener: std::process::Child,
    conname: String,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.listener.kill();
        let _ = self.listener.wait();
        let _ = self.sim.act("stop", "QMCL");
    }
}

fn lab() -> Lab {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMCL").rc, 0);
    assert_eq!(sim.act("start", "QMCL").rc, 0);
    let port = free_port();
    let (uid, gid) = ids("mqm");
    let mut lsr = Command::new(sim.bin("runmqlsr"));
    lsr.args(["-t", "tcp", "-p", &port.to_string(), "-m", "QMCL"])
        .uid(uid)
        .gid(gid)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let listener = lsr.spawn().unwrap();
    eventually("listener up", Duration::from_secs(10), || port_open(port));
    Lab { sim, listener, conname: format!("127.0.0.1({port})") }
}

/// The error log's text with its lines joined: MQ wraps a message at 78 columns.
fn error_log(sim: &Sim) -> String {
    let text = std::fs::read_to_string(sim.data().join("qmgrs/QMCL/errors/AMQERR01.LOG")).unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn client_check_is_degraded_on_a_stock_queue_manager_and_passes_with_the_documented_mqsc() {
    let lab = lab();
    let sim = &lab.sim;
    let conname = lab.conname.as_str();
    let mon = [("qmgr", "QMCL"), ("client_channel", "MQHA.MON.SVRCONN"), ("client_conname", conname)];

    // No monitoring channel yet: 2540, which a restart cannot fix -> degraded, not failed.
    let r = sim.agent("monitor", &mon, &DEPTH20);
    assert_eq!(r.rc, 190, "{r:?}");
    assert!(r.reason().contains("2540"), "{}", r.reason());

    // A channel, but the check runs as the mq user: the default security refuses it (2035).
    let out = mqsc(sim, "QMCL", "DEFINE CHANNEL(MQHA.MON.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP)\n");
    assert!(out.contains("AMQ8014"), "{out}");
    let r = sim.agent("monitor", &mon, &DEPTH20);
    assert_eq!(r.rc, 190, "client check as the mq user on a stock queue manager: {r:?}");
    let reason = r.reason();
    assert!(reason.contains("2035") && reason.contains("client_user"), "{reason}");
    assert!(!reason.contains("OPTIONAL") && !reason.contains("DISABLED"), "never advise weakening: {reason}");
    assert!(reason.len() <= 128, "reason longer than crm_mon keeps: {reason}");
    // Depth 10 does not run the client check.
    let depth10 = [("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", "10")];
    assert_eq!(sim.agent("monitor", &mon, &depth10).rc, 0);

    // As client_user mqm2 (outside the mq group) but without the MQSC: the OAM refuses mqm2 — the
    // queue manager saw the probe as mqm2, so the MQI child ran as that user.
    let as_mqm2 = [mon[0], mon[1], mon[2], ("client_user", "mqm2")];
    let r = sim.agent("monitor", &as_mqm2, &DEPTH20);
    assert_eq!(r.rc, 190, "{r:?}");
    assert!(error_log(sim).contains("AMQ8077W: Entity 'mqm2' has insufficient authority"), "{}", error_log(sim));

    // The README's minimal MQSC: the check passes, and nothing of the back-stop was weakened.
    let out = mqsc(sim, "QMCL", &readme_mqsc("mqm2"));
    assert!(out.contains("AMQ8877") && out.contains("AMQ8862") && !out.contains("AMQ8405"), "{out}");
    let r = sim.agent("monitor", &as_mqm2, &DEPTH20);
    assert_eq!(r.rc, 0, "client check with the documented monitoring channel: {r:?}");
    let out = mqsc(sim, "QMCL", "DISPLAY CHLAUTH('*')\nDISPLAY AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) CHCKCLNT\n");
    assert!(out.contains("USERLIST(*MQADMIN)") && out.contains("CHCKCLNT(REQDADM)"), "{out}");
    // The mq user is still refused on that channel: the default was not weakened for it.
    assert_eq!(sim.agent("monitor", &mon, &DEPTH20).rc, 190);

    // A listener that is gone is a failure a restart can fix: 1, not 190.
    let dead = format!("127.0.0.1({})", free_port());
    let r = sim.agent("monitor", &[mon[0], mon[1], ("client_conname", &dead), ("client_user", "mqm2")], &DEPTH20);
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.reason().contains("2538"), "{}", r.reason());
}

/// crypt(3) SHA-512 hash of "secret" (openssl passwd -6 -salt abcdefgh secret).
const SECRET_HASH: &str =
    "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.";

fn credentials_file(dir: &Path, name: &str, text: &str, mode: u32) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p.display().to_string()
}

#[test]
fn client_credentials_are_presented_through_mqcsp() {
    let lab = lab();
    let sim = &lab.sim;
    // The queue manager checks passwords as IDPWOS does; the simulated installation's stand-in
    // for /etc/shadow (crates/mq-sim/INTERFACE.md) holds mqm2's.
    let shadow = sim.root.join(".mqsim/shadow");
    std::fs::create_dir_all(shadow.parent().unwrap()).unwrap();
    std::fs::write(&shadow, format!("mqm2:{SECRET_HASH}:19000:0:99999:7:::\n")).unwrap();
    let out = mqsc(sim, "QMCL", &readme_mqsc("mqm2"));
    assert!(!out.contains("AMQ8405"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let good = credentials_file(dir.path(), "good", "user=mqm2\npassword=secret\n", 0o600);
    let wrong = credentials_file(dir.path(), "wrong", "user=mqm2\npassword=nope\n", 0o600);
    let base = [("qmgr", "QMCL"), ("client_channel", "MQHA.MON.SVRCONN"), ("client_conname", lab.conname.as_str())];
    // The child runs as the mq user and authenticates as mqm2 (ADOPTCTX(YES)): let in.
    let r = sim.agent("monitor", &[base[0], base[1], base[2], ("client_credentials", &good)], &DEPTH20);
    assert_eq!(r.rc, 0, "{r:?}");
    let r = sim.agent("monitor", &[base[0], base[1], base[2], ("client_credentials", &wrong)], &DEPTH20);
    assert_eq!(r.rc, 190, "{r:?}");
    assert!(error_log(sim).contains("AMQ5534E: User ID 'mqm2' authentication failed"), "{}", error_log(sim));
    assert!(!r.stderr.contains("nope") && !r.stdout.contains("nope"), "the password leaked: {r:?}");
}

#[test]
fn bad_client_user_and_client_credentials_are_refused_naming_the_value() {
    let lab = lab();
    let sim = &lab.sim;
    let base = [("qmgr", "QMCL"), ("client_channel", "MQHA.MON.SVRCONN"), ("client_conname", lab.conname.as_str())];
    for (user, code) in [("root", 6), ("mqm", 6), ("mqadmin", 6), ("no-such-user-mqha", 2)] {
        let params = [base[0], base[1], base[2], ("client_user", user)];
        for action in ["monitor", "validate-all"] {
            let r = sim.agent(action, &params, &DEPTH20);
            assert_eq!(r.rc, code, "client_user={user} {action}: {r:?}");
            assert!(r.reason().contains(&format!("client_user='{user}'")), "{}", r.reason());
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let readable = credentials_file(dir.path(), "readable", "user=a\npassword=b\n", 0o644);
    let writable = credentials_file(dir.path(), "writable", "user=a\npassword=b\n", 0o620);
    let not_roots = credentials_file(dir.path(), "not-roots", "user=a\npassword=b\n", 0o600);
    let (uid, gid) = ids("mqm2");
    std::os::unix::fs::chown(&not_roots, Some(uid), Some(gid)).unwrap();
    let private = credentials_file(dir.path(), "private", "user=a\npassword=b\n", 0o600);
    let link = dir.path().join("link").display().to_string();
    std::os::unix::fs::symlink(&private, &link).unwrap();
    let garbled = credentials_file(dir.path(), "garbled", "user a\n", 0o600);
    let missing = dir.path().join("missing").display().to_string();
    for (path, code) in [(&readable, 6), (&writable, 6), (&not_roots, 6), (&link, 6), (&garbled, 6), (&missing, 2)] {
        let params = [base[0], base[1], base[2], ("client_credentials", path.as_str())];
        let r = sim.agent("monitor", &params, &DEPTH20);
        assert_eq!(r.rc, code, "client_credentials={path}: {r:?}");
        assert!(r.reason().contains(&format!("client_credentials='{path}'")), "{}", r.reason());
    }
    // Without a client check the two are a conflict, refused before anything runs.
    let r = sim.agent("monitor", &[("qmgr", "QMCL"), ("client_user", "mqm2")], &DEPTH20);
    assert_eq!(r.rc, 6, "{r:?}");
    assert!(r.reason().contains("client_user='mqm2'"), "{}", r.reason());
}
