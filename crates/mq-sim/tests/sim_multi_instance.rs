//! Multi-instance queue managers on two installations ("nodes") sharing a DataPath, per
//! docs/reference/mq-commands.md#multi-instance: active/standby (rc 30), Running elsewhere, switchover (endmqm -s),
//! takeover, rc 31 / 43, and dspmq -x instance lines.

use mq_testkit::*;
use std::time::Duration;

struct Pair {
    a: Sim,
    b: Sim,
}

fn pair() -> Pair {
    let (a, b) = Sim::multi_instance("QM1");
    Pair { a, b }
}

#[test]
fn active_standby_switchover_takeover() {
    let Pair { a, b } = pair();
    // docs/reference/mq-commands.md#multi-instance step 1: both Ended
    assert_eq!(b.status("QM1"), a.status("QM1"));
    // docs/reference/mq-commands.md#multi-instance step 1: A active, B Running elsewhere
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(a.status("QM1"), "RUNNING");
    assert_eq!(b.status("QM1"), "RUNNING ELSEWHERE");
    let r = a.ok("dspmq", &["-o", "standby", "-m", "QM1"]);
    assert!(r.stdout.contains("STANDBY(Permitted)"), "{}", r.stdout);
    // docs/reference/mq-commands.md#multi-instance step 2: B standby, rc 30 and the wrapped message of #strmqm-output
    let r = b.mq("strmqm", &["-x", "QM1"]);
    assert_eq!(r.rc, 30, "{r:?}");
    assert!(
        r.stdout.ends_with(
            "A standby instance of queue manager 'QM1' has been started. The active instance\nis running elsewhere.\n"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(b.status("QM1"), "RUNNING AS STANDBY");
    // docs/reference/mq-commands.md#dspmq-instances: -x -o standby from either node lists both instances
    for n in [&a, &b] {
        let r = n.ok("dspmq", &["-x", "-o", "standby", "-m", "QM1"]);
        assert_eq!(
            r.stdout,
            "QMNAME(QM1)                                               STANDBY(Permitted)\n    INSTANCE(nodea.example.com) MODE(Active)\n    INSTANCE(nodeb.example.com) MODE(Standby)\n"
        );
    }
    // docs/reference/mq-commands.md#endmqm-output endmqm -i -s: the two lines; B takes over, A Running elsewhere
    // (docs/reference/mq-commands.md#multi-instance step 3)
    let r = a.ok("endmqm", &["-i", "-s", "QM1"]);
    assert_eq!(r.stdout, "IBM MQ queue manager 'QM1' ending.\nIBM MQ queue manager 'QM1' ended, permitting switchover to a standby instance.\n");
    b.wait_status("QM1", "RUNNING", Duration::from_secs(10));
    assert_eq!(a.status("QM1"), "RUNNING ELSEWHERE");
    let r = a.ok("dspmq", &["-x", "-m", "QM1"]);
    assert_eq!(r.stdout.lines().skip(1).collect::<Vec<_>>(), ["    INSTANCE(nodeb.example.com) MODE(Active)"]);
    // A plain strmqm on A while an -x active runs elsewhere: rc 31 (docs/reference/mq-commands.md#multi-instance step
    // 5)
    assert_eq!(a.mq("strmqm", &["QM1"]).rc, 31);
    // A back as standby; B's processes die (no endmqm): A takes over (docs/reference/mq-commands.md#multi-instance step
    // 6)
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 30);
    assert_eq!(b.mqsim(&["crash", "QM1"]).rc, 0);
    a.wait_status("QM1", "RUNNING", Duration::from_secs(10));
    assert_eq!(b.status("QM1"), "RUNNING ELSEWHERE");
    // Standby on B again, then endmqm -x on B ends only the standby (docs/reference/mq-commands.md#multi-instance step
    // 4)
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    assert_eq!(b.mq("endmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(b.status("QM1"), "RUNNING ELSEWHERE");
    assert_eq!(a.status("QM1"), "RUNNING");
    // endmqm on the active without -s ends active and standby (docs/reference/mq-commands.md#multi-instance step 4)
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    a.ok("endmqm", &["-w", "QM1"]);
    b.wait_status("QM1", "ENDED NORMALLY", Duration::from_secs(10));
    assert_eq!(a.status("QM1"), "ENDED NORMALLY");
    assert!(a.processes().is_empty() && b.processes().is_empty());
}

#[test]
fn active_without_x_refuses_standbys() {
    let Pair { a, b } = pair();
    a.ok("strmqm", &["QM1"]);
    let r = a.ok("dspmq", &["-o", "standby", "-m", "QM1"]);
    assert!(r.stdout.contains("STANDBY(Not permitted)"), "{}", r.stdout);
    // docs/reference/mq-commands.md#multi-instance step 5: rc 43 for strmqm -x (and plain strmqm) elsewhere
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 43);
    assert_eq!(b.mq("strmqm", &["QM1"]).rc, 43);
    assert!(b.processes().is_empty());
    a.ok("endmqm", &["-i", "QM1"]);
    assert_eq!(b.status("QM1"), "ENDED IMMEDIATELY");
}

#[test]
fn a_third_instance_is_refused_with_47() {
    let Pair { a, b } = pair();
    let c = a.install_beside("nodec", &["--node", "nodec.example.com"]);
    let line = a.ok("dspmqinf", &["-o", "command", "QM1"]).stdout;
    let args: Vec<&str> = line.trim_end().split(' ').skip(1).collect();
    c.ok("addmqinf", &args);
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    // docs/reference/mq-commands.md#multi-instance step 5: a third instance -> rc 47, and nothing of it runs.
    assert_eq!(c.mq("strmqm", &["-x", "QM1"]).rc, 47);
    assert!(c.processes().is_empty());
    assert_eq!(c.status("QM1"), "RUNNING ELSEWHERE");
    a.ok("endmqm", &["-i", "QM1"]);
    b.wait_status("QM1", "ENDED IMMEDIATELY", Duration::from_secs(10));
}

#[test]
fn a_takeover_replays_the_log_starting_then_running() {
    let Pair { a, b } = pair();
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    // The replay is B's: faults are node-local.
    assert_eq!(b.mqsim(&["fault", "QM1", "set", "log-replay", "3"]).rc, 0);
    let t = std::time::Instant::now();
    assert_eq!(a.mqsim(&["crash", "QM1"]).rc, 0);
    b.wait_status("QM1", "STARTING", Duration::from_secs(5));
    assert!(b.processes().iter().any(|p| p.comm == "amqzxma0"), "B's controller is gone while Starting");
    b.wait_status("QM1", "RUNNING", Duration::from_secs(15));
    assert!(t.elapsed() >= Duration::from_secs(3), "B ran before its replay ended: {:?}", t.elapsed());
    let log = std::fs::read_to_string(a.dir().join("shared/qmgrs/QM1/errors/AMQERR01.LOG")).unwrap();
    let takeover = log.find("AMQ7806I").expect("no takeover entry");
    assert!(log[takeover..].contains("AMQ7230I"), "no replay after the takeover");
    assert_eq!(a.status("QM1"), "RUNNING ELSEWHERE");
}

#[test]
fn a_dead_nodes_lock_lease_keeps_running_elsewhere_until_it_runs_out() {
    let Pair { a, b } = pair();
    // A's NFS client holds its lock as a 3 s lease (the default of a Linux NFS server is 90 s).
    assert_eq!(a.mqsim(&["fault", "QM1", "set", "lock-lease", "3"]).rc, 0);
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    let t = std::time::Instant::now();
    assert_eq!(a.mqsim(&["crash", "QM1"]).rc, 0);
    // The standby cannot take the lock while the lease lasts.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(b.status("QM1"), "RUNNING AS STANDBY", "B took over inside the lease");
    b.wait_status("QM1", "RUNNING", Duration::from_secs(10));
    assert!(t.elapsed() >= Duration::from_secs(2), "B took over inside the lease: {:?}", t.elapsed());
    b.ok("endmqm", &["-w", "QM1"]);

    // Without a standby: B's plain strmqm sees Running elsewhere until the lease runs out, then starts.
    assert_eq!(a.mq("strmqm", &["QM1"]).rc, 0);
    assert_eq!(a.mqsim(&["crash", "QM1"]).rc, 0);
    let t = std::time::Instant::now();
    assert_eq!(b.status("QM1"), "RUNNING ELSEWHERE");
    assert_ne!(b.mq("strmqm", &["QM1"]).rc, 0, "strmqm inside the lease");
    eventually("the lease to run out", Duration::from_secs(10), || match b.status("QM1") {
        s if s == "ENDED UNEXPECTEDLY" => Ok(()),
        s => Err(s),
    });
    assert!(t.elapsed() >= Duration::from_secs(2), "the lease ran out early: {:?}", t.elapsed());
    assert_eq!(b.mq("strmqm", &["QM1"]).rc, 0);
    assert_eq!(b.status("QM1"), "RUNNING");
    // An orderly end releases the lock at once: no lease is left behind.
    b.ok("endmqm", &["-w", "QM1"]);
    assert_eq!(a.status("QM1"), "ENDED NORMALLY");
}

/// The programs (comm) of this node's processes of QM1, sorted.
fn programs(n: &Sim) -> Vec<String> {
    let mut v: Vec<String> = n.processes().into_iter().map(|p| p.comm).collect();
    v.sort();
    v
}

// docs/reference/mq-processes-and-files.md#standby-processes: from 9.3 a standby runs amqzxma0,
// amqzfuma, amqzmgr0 and amqzmuc0 (amqzmur0 only on the active); before 9.3 amqzxma0 and amqzfuma.
// After a takeover the former standby runs the whole family, each program once.
#[test]
fn standby_runs_the_documented_process_set_per_version() {
    for (version, standby) in [
        ("9.2.0.0", vec!["amqzfuma", "amqzxma0"]),
        ("9.3.0.0", vec!["amqzfuma", "amqzmgr0", "amqzmuc0", "amqzxma0"]),
        ("9.4.0.0", vec!["amqzfuma", "amqzmgr0", "amqzmuc0", "amqzxma0"]),
        ("10.0.0.0", vec!["amqzfuma", "amqzmgr0", "amqzmuc0", "amqzxma0"]),
    ] {
        let (a, b) = Sim::multi_instance_of(version, "QM1");
        assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0, "{version}");
        assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30, "{version}");
        assert_eq!(programs(&b), standby, "{version}: the standby's processes");
        assert!(programs(&a).contains(&"amqzmur0".to_string()), "{version}: {:?}", programs(&a));
        // The standby's programs run as IBM's ps listing shows them: full path, -m QM.
        for p in b.processes().into_iter().filter(|p| p.comm != "amqzxma0") {
            assert!(p.cmdline[0].ends_with(&format!("/opt/mqm/bin/{}", p.comm)), "{version}: {:?}", p.cmdline);
            assert!(p.args_are(&["-m", "QM1"]), "{version}: {:?}", p.cmdline);
        }
        let active = programs(&a);
        a.ok("endmqm", &["-i", "-s", "QM1"]);
        b.wait_status("QM1", "RUNNING", Duration::from_secs(10));
        assert_eq!(programs(&b), active, "{version}: after the takeover B runs A's family, each once");
        // endmqm -x on a standby leaves none of its processes.
        assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 30, "{version}");
        assert_eq!(a.mq("endmqm", &["-x", "QM1"]).rc, 0, "{version}");
        assert!(a.processes().is_empty(), "{version}: {:?}", programs(&a));
        b.ok("endmqm", &["-i", "QM1"]);
    }
}

// docs/reference/mqi.md#standby-reason: a client that reaches a standby instance (through a
// listener an administrator runs on the standby's node) gets 2543 MQRC_STANDBY_Q_MGR, not 2059.
#[test]
fn a_client_reaching_the_standby_gets_2543() {
    let Pair { a, b } = pair();
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    // The listener an administrator runs by hand on the standby's node.
    let (mut lsr, port) = b.listen_for("QM1", Duration::from_secs(10));
    let server = format!("SYSTEM.DEF.SVRCONN/TCP/127.0.0.1({port})");
    let o = b.program(
        Some(User::named("mqm")),
        &b.samp("amqsputc"),
        &["APPQ", "QM1"],
        "x\n\n",
        &[("MQSERVER", &server)],
        Duration::from_secs(30),
    );
    assert!(o.stdout.contains("MQCONNX ended with reason code 2543"), "{o:?}");
    assert_eq!(o.rc, 2543 % 256, "{o:?}");
    lsr.kill();
}
