//! Native HA queue managers (issue 18) as the simulator's commands show them, per
//! docs/reference/native-ha.md: `crtmqm -lr` (#crtmqm-lr), the qm.ini stanzas and their refusal
//! (#instance-stanzas), dspmq STATUS(Replica) and `-o nativeha [-x] [-n]` (#dspmq-status-native-ha,
//! #dspmq-o-nativeha), strmqm's wait for a role with rc 0 / 94 (#strmqm), and a replica serving no
//! application (#replica-refuses-applications).
//!
//! The tests that need a running instance take the role from a status record the test writes for
//! the instance's live execution controller, which is stopped (SIGSTOP) first so that nothing else
//! writes the record: what is tested here is how the commands read a role, not how the group
//! elects one. The last test runs the real group (three controllers electing over loopback TCP)
//! end to end through the commands.

use mq_testkit::*;
use std::process::{Command, Stdio};
use std::time::Duration;

const QM: &str = "NHAQM";

/// `text` with every run of white space made one blank (the error log wraps its lines).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `QMNAME(QM)` padded to column 59, as every dspmq line starts.
fn head(qm: &str) -> String {
    let h = format!("QMNAME({qm})");
    format!("{h}{}", " ".repeat(58 - h.len()))
}

#[test]
fn crtmqm_lr_creates_a_replicated_instance() {
    let sim = Sim::install(&["--version", "9.4.4.0"]);
    let r = sim.mq("crtmqm", &["-lr", "alpha", "-lf", "8192", "-lp", "10", "-ls", "10", "-p", "14140", QM]);
    assert_eq!(r.rc, 0, "{r:?}");
    // The ordinary crtmqm lines (#crtmqm-lr).
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], format!("IBM MQ queue manager '{QM}' created."));
    assert_eq!(lines.last(), Some(&"Setup completed."));
    let ini = read(&sim.qm_ini(QM));
    assert!(ini.contains("   LogType=REPLICATED\n"), "{ini}");
    assert!(ini.contains("   LogFilePages=8192\n"), "{ini}");
    assert!(ini.ends_with("NativeHALocalInstance:\n   Name=alpha\n"), "{ini}");
    // -p: a listener started with the queue manager, that is only on the elected active.
    let objects = read(&sim.data().join("qmgrs").join(QM).join("mqsim-objects.json"));
    let at = objects.find("\"SYSTEM.LISTENER.TCP.1\"").expect("SYSTEM.LISTENER.TCP.1 defined by crtmqm -p");
    let def = &objects[at..at + objects[at..].find('}').unwrap()];
    assert!(def.contains("\"PORT\": \"14140\"") && def.contains("\"CONTROL\": \"QMGR\""), "{def}");
    // Not running: its own end state, never Running elsewhere; no view of the group.
    assert_eq!(sim.status(QM), "ENDED IMMEDIATELY");
    let r = sim.ok("dspmq", &["-o", "nativeha", "-x", "-m", QM]);
    assert_eq!(
        r.stdout,
        format!("{}ROLE(Unknown) INSTANCE(alpha) INSYNC(no) QUORUM(0/3) GRPLSN() GRPNAME() GRPROLE(Live)\n", head(QM))
    );
    // The stanzas are still missing: strmqm refuses before anything runs.
    let r = sim.mq("strmqm", &[QM]);
    assert_eq!(r.rc, 71, "{r:?}");
    let amq3205 =
        "AMQ3205E: A required stanza of type 'NativeHAInstance' was not found in the Native HA configuration data in qm.ini.";
    assert!(r.stderr.contains(amq3205), "{r:?}");
    assert!(r.stdout.contains("AMQ7018E"), "{r:?}");
    assert!(flat(&read(&sim.data().join("qmgrs").join(QM).join("errors/AMQERR01.LOG"))).contains(amq3205));
    assert!(sim.qm_pids(QM).is_empty(), "nothing may run: {:?}", sim.qm_pids(QM));
}

#[test]
fn crtmqm_lr_refusals() {
    let sim = Sim::install(&["--version", "9.4.4.0"]);
    let refused = |args: &[&str], why: &str| {
        let r = sim.mq("crtmqm", args);
        assert_eq!(r.rc, 39, "{args:?}: {r:?}");
        assert!(r.stderr.contains(why), "{args:?}: {r:?}");
        assert!(r.stderr.contains("Usage: crtmqm"), "{r:?}");
        assert!(!sim.data().join("qmgrs").join(QM).exists(), "{args:?} created it");
    };
    // One log type only (IBM: "specify one only").
    for other in ["-lc", "-ll", "-lla", "-lln"] {
        refused(&["-lr", "alpha", other, QM], "specify only one of");
    }
    refused(&["-lr", "al pha", QM], "'al pha'");
    refused(&["-lr", &"x".repeat(49), QM], "is not valid");
    refused(&["-lr", "alpha", "-p", "0", QM], "-p value '0'");
    // Before 9.4.4 Native HA ran only in containers.
    let old = Sim::install(&["--version", "9.4.3.0"]);
    let r = old.mq("crtmqm", &["-lr", "alpha", QM]);
    assert_eq!(r.rc, 39, "{r:?}");
    assert!(r.stderr.contains("not available in IBM MQ 9.4.3.0"), "{r:?}");
    // An ordinary queue manager is unchanged: -p accepted, circular log, no Native HA stanza.
    let r = sim.mq("crtmqm", &["-p", "1414", QM]);
    assert_eq!(r.rc, 0, "{r:?}");
    let ini = read(&sim.qm_ini(QM));
    assert!(ini.contains("LogType=CIRCULAR") && !ini.contains("NativeHA"), "{ini}");
}

#[test]
fn strmqm_refuses_invalid_stanzas_before_spawning() {
    let nodes = Sim::native_ha_of("9.4.4.0", QM);
    let a = &nodes[0];
    let ini = a.qm_ini(QM);
    let good = read(&ini);
    let log = a.data().join("qmgrs").join(QM).join("errors/AMQERR01.LOG");
    for (edit, why) in [
        (good.replace("   Name=nodea\n   LocalAddress", "   Name=nodex\n   LocalAddress"), "'nodex' does not match"),
        (
            good.replace("LocalAddress=127.0.0.1\n", "LocalAddress=127.0.0.1\n   KeyRepository=/var/mqm/key\n"),
            "not simulated",
        ),
        (format!("{good}NativeHAInstance:\n   Name=noded\n   ReplicationAddress=127.0.0.1(1)\n"), "has 4 stanzas"),
        (good.replacen("Name=nodeb\n", "Name=nodea\n", 1), "'nodea' appears in more than one"),
    ] {
        std::fs::write(&ini, &edit).unwrap();
        let r = a.mq("strmqm", &[QM]);
        assert_eq!(r.rc, 71, "{why}: {r:?}");
        assert!(r.stderr.contains(why), "{why}: {r:?}");
        assert!(flat(&read(&log)).contains(why), "{why}: not in AMQERR01.LOG");
        assert!(a.qm_pids(QM).is_empty(), "{why}: something runs: {:?}", a.qm_pids(QM));
        assert_eq!(a.status(QM), "ENDED IMMEDIATELY");
    }
    // A port missing from a ReplicationAddress.
    let port_of_b = good.split("Name=nodeb\n   ReplicationAddress=127.0.0.1").nth(1).unwrap();
    let port_of_b = &port_of_b[..port_of_b.find('\n').unwrap()];
    std::fs::write(&ini, good.replace(&format!("127.0.0.1{port_of_b}"), "127.0.0.1")).unwrap();
    let r = a.mq("strmqm", &[QM]);
    assert_eq!(r.rc, 71, "{r:?}");
    assert!(r.stderr.contains("ReplicationAddress '127.0.0.1' of Native HA instance 'nodeb'"), "{r:?}");
}

#[test]
fn dspmq_nativeha_of_an_ordinary_queue_manager() {
    for (version, tail) in [
        ("9.4.4.0", " GRPLSN() GRPNAME() GRPROLE(Not configured)"),
        ("10.0.0.0", " GRPLSN() GRPNAME() GRPROLE(Not configured)"),
        ("9.3.0.0", ""),
    ] {
        let sim = Sim::install(&["--version", version]);
        sim.ok("crtmqm", &[QM]);
        let r = sim.ok("dspmq", &["-o", "nativeha", "-x", "-m", QM]);
        assert_eq!(
            r.stdout,
            format!("{}ROLE(Not configured) INSTANCE() INSYNC() QUORUM(){tail}\n", head(QM)),
            "{version}"
        );
        let r = sim.ok("dspmq", &["-n", "-o", "nativeha", "-m", QM]);
        assert!(r.stdout.contains("ROLE(NOT CONFIGURED)"), "{version}: {}", r.stdout);
    }
    // Before 9.2 dspmq has no Native HA fields.
    let sim = Sim::install(&["--version", "9.1.0.0"]);
    sim.ok("crtmqm", &[QM]);
    let r = sim.mq("dspmq", &["-o", "nativeha", "-m", QM]);
    assert_eq!(r.rc, 36, "{r:?}");
}

/// Starts strmqm of `qm` on `node` in the background (stdout piped), waits for the execution
/// controller it spawned and stops it (SIGSTOP): its pid.
fn start_and_freeze(node: &Sim, qm: &str) -> (Spawned, i32) {
    let strmqm = Spawned::start(
        User::named(&node.user)
            .apply(&mut Command::new(node.bin("strmqm")))
            .arg(qm)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let ctl = eventually("the execution controller", Duration::from_secs(20), || {
        node.processes().into_iter().find(|p| p.comm == "amqzxma0").map(|p| p.pid)
    });
    // SAFETY: kill(2) of a process of this test's own installation.
    assert_eq!(unsafe { libc::kill(ctl, libc::SIGSTOP) }, 0);
    (strmqm, ctl)
}

/// The status record of `node`'s instance `me`: `active` is the active instance, `behind` a replica
/// with a backlog, written as the controller `pid` would.
fn write_record(node: &Sim, qm: &str, pid: i32, me: &str, active: &str, behind: Option<&str>) {
    let peers: Vec<String> = NHA_INSTANCES
        .iter()
        .map(|name| {
            let lagging = behind == Some(*name);
            let role = if *name == active { "Active" } else { "Replica" };
            format!(
                r#"{{"name":"{name}","role":"{role}","repladdr":"127.0.0.1","connactv":{},"insync":{},"backlog_kb":{},"conninst":true,"altdate":"2026-12-03","alttime":"16.02.03","acklsn":"<0:0:19:{}>","synctime":"2026-12-03T16:02:03.000000Z"}}"#,
                !lagging,
                !lagging,
                if lagging { 512 } else { 0 },
                if lagging { 100 } else { 33699 },
            )
        })
        .collect();
    let my_role = if me == active { "Active" } else { "Replica" };
    let insync = behind != Some(me);
    let quorum = if behind.is_some() { 2 } else { 3 };
    let text = format!(
        r#"{{"instance":"{me}","role":"{my_role}","quorum":[{quorum},3],"insync":{insync},"peers":[{}],"controller_pid":{pid},"updated_ms":1}}"#,
        peers.join(",")
    );
    let path = node.root.join(".mqsim/run").join(qm).join("nha.json");
    let tmp = path.with_extension("tmp-test");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

fn output_of(s: &mut Spawned) -> String {
    let mut out = String::new();
    std::io::Read::read_to_string(s.child.stdout.as_mut().unwrap(), &mut out).unwrap();
    out
}

#[test]
fn strmqm_waits_for_a_role_and_dspmq_shows_it_9_4_4() {
    roles_through_the_record("9.4.4.0");
}

#[test]
fn strmqm_waits_for_a_role_and_dspmq_shows_it_10_0() {
    roles_through_the_record("10.0.0.0");
}

fn roles_through_the_record(version: &str) {
    let ten = version.starts_with("10.");
    let nodes = Sim::native_ha_of(version, QM);
    let (a, b) = (&nodes[0], &nodes[1]);

    // Node A: no quorum yet (Unknown): strmqm keeps waiting; then a replica: rc 94.
    let (mut strmqm, ctl) = start_and_freeze(a, QM);
    let unknown = format!(
        r#"{{"instance":"nodea","role":"Unknown","quorum":[0,3],"insync":false,"peers":[],"controller_pid":{ctl},"updated_ms":1}}"#
    );
    std::fs::write(a.root.join(".mqsim/run").join(QM).join("nha.json"), unknown).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(strmqm.child.try_wait().unwrap().is_none(), "strmqm returned without a role");
    assert_eq!(a.status(QM), "REPLICA", "an instance without quorum serves nothing");
    assert_eq!(a.nha_role(QM), "UNKNOWN");
    write_record(a, QM, ctl, "nodea", "nodeb", Some("nodec"));
    assert_eq!(strmqm.wait_within(Duration::from_secs(20)), Some(94));
    let out = output_of(&mut strmqm);
    assert!(
        out.ends_with(&format!(
            "Plain text communication is enabled.\nIBM MQ queue manager '{QM}' Native HA instance 'nodea' started as a replica.\n"
        )),
        "{out}"
    );
    assert!(out.starts_with(&format!("IBM MQ queue manager '{QM}' starting.\n")), "{out}");

    // dspmq on the replica's node.
    let r = a.ok("dspmq", &["-m", QM]);
    assert_eq!(r.stdout, format!("{}STATUS(Replica)\n", head(QM)));
    assert_eq!(a.status(QM), "REPLICA");
    let r = a.ok("dspmq", &["-o", "nativeha", "-x", "-m", QM]);
    let line = |name: &str, role: &str, yes: bool, backlog: u32, lsn: u32| {
        let yn = if yes { "yes" } else { "no" };
        // 10.0 pads ROLE(Active) to ROLE(Replica)'s width.
        let role = if ten && role == "Active" { "ROLE(Active) ".to_string() } else { format!("ROLE({role})") };
        let (acklsn, synctime) = if ten {
            (format!(" ACKLSN(<0:0:19:{lsn}>)"), " SYNCTIME(2026-12-03T16:02:03.000000Z)".to_string())
        } else {
            (String::new(), String::new())
        };
        format!(
            " INSTANCE({name}) {role} REPLADDR(127.0.0.1) CONNACTV({yn}) INSYNC({yn}) BACKLOG({backlog}) CONNINST(yes){acklsn} HASTATUS(Normal){synctime} ALTDATE(2026-12-03) ALTTIME(16.02.03)\n"
        )
    };
    let expected = format!(
        "{}ROLE(Replica) INSTANCE(nodea) INSYNC(yes) QUORUM(2/3) GRPLSN(<0:0:19:33699>) GRPNAME() GRPROLE(Live)\n{}{}{}",
        head(QM),
        line("nodea", "Replica", true, 0, 33699),
        line("nodeb", "Active", true, 0, 33699),
        line("nodec", "Replica", false, 512, 100),
    );
    assert_eq!(r.stdout, expected);
    // -n: upper case values, names and addresses as they are.
    let r = a.ok("dspmq", &["-n", "-o", "nativeha", "-x", "-m", QM]);
    assert!(r.stdout.contains("ROLE(REPLICA) INSTANCE(nodea) INSYNC(YES) QUORUM(2/3)"), "{}", r.stdout);
    assert!(r
        .stdout
        .contains(" INSTANCE(nodec) ROLE(REPLICA) REPLADDR(127.0.0.1) CONNACTV(NO) INSYNC(NO) BACKLOG(512)"));
    assert!(r.stdout.contains("HASTATUS(NORMAL)") && r.stdout.contains("GRPROLE(LIVE)"), "{}", r.stdout);
    assert_eq!(r.stdout.contains("ACKLSN("), ten, "{}", r.stdout);
    // -o all carries the same values.
    let r = a.ok("dspmq", &["-o", "all", "-m", QM]);
    assert!(r.stdout.contains("STATUS(Replica) DEFAULT(no) STANDBY(Not applicable) INSTNAME("), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            " ROLE(Replica) INSTANCE(nodea) INSYNC(yes) QUORUM(2/3) GRPLSN(<0:0:19:33699>) GRPNAME() GRPROLE(Live)"
        ),
        "{}",
        r.stdout
    );
    // Already running here: rc 5; runmqsc and bindings refused (not available).
    let r = a.mq("strmqm", &[QM]);
    assert_eq!(r.rc, 5, "{r:?}");
    let r = a.runmqsc(&[QM], "DISPLAY QMSTATUS\n");
    assert_eq!(r.rc, 20, "{r:?}");
    assert!(r.stdout.contains("AMQ8146E"), "{r:?}");
    assert!(!r.timed_out);

    // Node B: the active: rc 0 with the ordinary start lines.
    let (mut strmqm, ctl_b) = start_and_freeze(b, QM);
    write_record(b, QM, ctl_b, "nodeb", "nodeb", None);
    assert_eq!(strmqm.wait_within(Duration::from_secs(20)), Some(0));
    let out = output_of(&mut strmqm);
    assert!(out.ends_with(&format!("IBM MQ queue manager '{QM}' started using V{version}.\n")), "{out}");
    assert!(out.contains("Plain text communication is enabled.\n"), "{out}");
    assert_eq!(b.status(QM), "RUNNING");
    let r = b.ok("dspmq", &["-o", "nativeha", "-m", QM]);
    let pad = if ten { "  " } else { " " };
    assert_eq!(
        r.stdout,
        format!("{}ROLE(Active){pad}INSTANCE(nodeb) INSYNC(yes) QUORUM(3/3) GRPLSN(<0:0:19:33699>) GRPNAME() GRPROLE(Live)\n", head(QM))
    );
    let r = b.mq("strmqm", &[QM]);
    assert_eq!(r.rc, 5, "{r:?}");

    // The controller gone, its record is stale: not running, no view, its own end state.
    // SAFETY: kill(2) of a process of this test's own installation.
    unsafe { libc::kill(ctl, libc::SIGKILL) };
    eventually("A's controller to be gone", Duration::from_secs(10), || !alive(ctl));
    let st = a.status(QM);
    assert!(st.starts_with("ENDED"), "{st}");
    let r = a.ok("dspmq", &["-o", "nativeha", "-x", "-m", QM]);
    assert_eq!(
        r.stdout,
        format!("{}ROLE(Unknown) INSTANCE(nodea) INSYNC(no) QUORUM(0/3) GRPLSN() GRPNAME() GRPROLE(Live)\n", head(QM))
    );
}

#[test]
fn native_ha_of_writes_three_instances_on_loopback() {
    let nodes = Sim::native_ha_of("9.4.4.0", QM);
    let mut ports = Vec::new();
    for (node, me) in nodes.iter().zip(NHA_INSTANCES) {
        let ini = read(&node.qm_ini(QM));
        assert!(ini.contains(&format!("NativeHALocalInstance:\n   Name={me}\n   LocalAddress=127.0.0.1\n")), "{ini}");
        assert_eq!(ini.matches("NativeHAInstance:").count(), 3, "{ini}");
        let these: Vec<String> =
            ini.split("ReplicationAddress=127.0.0.1(").skip(1).map(|s| s[..s.find(')').unwrap()].to_string()).collect();
        ports.push(these);
        // Each node its own data: nothing shared.
        assert!(node.data().join("qmgrs").join(QM).join("qm.ini").is_file());
    }
    assert_eq!(ports[0], ports[1]);
    assert_eq!(ports[1], ports[2]);
    let mut distinct = ports[0].clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{:?}", ports[0]);
    assert_eq!(Sim::active_of(&nodes, QM), None);
    assert_eq!(nodes[2].nha_role(QM), "UNKNOWN");
}

/// The first line's (ROLE, INSTANCE, INSYNC, QUORUM) of `dspmq -n -o nativeha`.
type Head = (String, String, String, String);

/// `dspmq -n -o nativeha -x -m QM` on `node`: the first line's fields and each instance line's
/// (INSTANCE, ROLE).
fn nha_view(node: &Sim, qm: &str) -> (Head, Vec<(String, String)>) {
    let r = node.ok("dspmq", &["-n", "-o", "nativeha", "-x", "-m", qm]);
    let field = |line: &str, key: &str| -> String {
        line.split(&format!("{key}(")).nth(1).and_then(|s| s.split(')').next()).unwrap_or_default().to_string()
    };
    let mut lines = r.stdout.lines();
    let first = lines.next().unwrap_or_default();
    let head = (field(first, " ROLE"), field(first, "INSTANCE"), field(first, "INSYNC"), field(first, "QUORUM"));
    let rows = lines.map(|l| (field(l, "INSTANCE"), field(l, "ROLE"))).collect();
    (head, rows)
}

/// The whole path with the running group: three nodes made as an administrator makes them
/// (crtmqm -lr -p, stanzas), strmqm on all three at once: exactly one rc 0 (the active) and two
/// rc 94; every node's dspmq then agrees on who is active, QUORUM(3/3) and INSYNC(YES) everywhere;
/// only the active runs the -p listener and answers runmqsc (DISPLAY QMSTATUS INSTANCE QUORUM).
#[test]
fn three_instances_elect_one_active_and_every_dspmq_agrees() {
    let port = free_port();
    let nodes = Sim::native_ha_with("10.0.0.0", QM, &["-p", &port.to_string()]);
    for n in &nodes {
        n.fault(QM, "nha-election-ms", Some("200"));
    }
    let mut starts: Vec<Spawned> = nodes
        .iter()
        .map(|n| {
            Spawned::start(
                User::named(&n.user)
                    .apply(&mut Command::new(n.bin("strmqm")))
                    .arg(QM)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null()),
            )
        })
        .collect();
    let rcs: Vec<Option<i32>> = starts.iter_mut().map(|s| s.wait_within(Duration::from_secs(60))).collect();
    let mut sorted = rcs.clone();
    sorted.sort();
    assert_eq!(sorted, [Some(0), Some(94), Some(94)], "strmqm on a, b, c: {rcs:?}");
    let active = rcs.iter().position(|rc| *rc == Some(0)).unwrap();
    let name = NHA_INSTANCES[active];
    assert_eq!(Sim::active_of(&nodes, QM), Some(active));
    // Every node's own view converges on the same group (a replica's may lag for a moment).
    for (i, node) in nodes.iter().enumerate() {
        let me = NHA_INSTANCES[i];
        let role = if i == active { "ACTIVE" } else { "REPLICA" };
        let want_rows: Vec<(String, String)> = NHA_INSTANCES
            .iter()
            .map(|n| (n.to_string(), if *n == name { "ACTIVE" } else { "REPLICA" }.to_string()))
            .collect();
        eventually(&format!("node {me}'s dspmq view"), Duration::from_secs(20), || {
            let (head, rows) = nha_view(node, QM);
            let want_head = (role.to_string(), me.to_string(), "YES".to_string(), "3/3".to_string());
            if head == want_head && rows == want_rows {
                Ok(())
            } else {
                Err(format!("{head:?} {rows:?}"))
            }
        });
        assert_eq!(node.status(QM), if i == active { "RUNNING" } else { "REPLICA" });
    }
    // Only the active listens on the -p port, and only it answers runmqsc.
    eventually("the -p listener on the active", Duration::from_secs(20), || port_open(port));
    for (i, node) in nodes.iter().enumerate() {
        let listeners = node.processes().into_iter().filter(|p| p.comm == "runmqlsr").count();
        assert_eq!(listeners, usize::from(i == active), "runmqlsr on node {i}");
        let r = node.runmqsc(&[QM], "DISPLAY QMSTATUS INSTANCE QUORUM\n");
        if i == active {
            assert_eq!(r.rc, 0, "{r:?}");
            assert!(r.stdout.contains(&format!("INSTANCE({name})")) && r.stdout.contains("QUORUM(3/3)"), "{r:?}");
        } else {
            assert_eq!(r.rc, 20, "{r:?}");
            assert!(r.stdout.contains("AMQ8146E"), "{r:?}");
        }
    }
}
