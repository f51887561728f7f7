//! The running queue manager as /proc shows it: IBM's process names and arguments
//! (docs/reference/mq-processes-and-files.md#process-family),
//! the mq user, parent links, nothing left after an end, the end state surviving restarts, crashes,
//! applications holding the queue manager (docs/reference/mq-processes-and-files.md#leftover-processes), listeners and
//! the command server.

use mq_testkit::*;
use std::time::Duration;

#[test]
fn process_family_names_users_parents_and_cleanup() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    let procs = sim.processes();
    let by =
        |comm: &str| procs.iter().find(|p| p.comm == comm).unwrap_or_else(|| panic!("no {comm} in {procs:#?}")).clone();
    let ctl = by("amqzxma0");
    // docs/reference/mq-processes-and-files.md#process-family newer form: amqzxma0 -m QM -u mqm, running as mqm
    // although root started it.
    assert_eq!(&ctl.cmdline[1..], ["-m", "QM1", "-u", "mqm"]);
    assert!(ctl.cmdline[0].ends_with("/opt/mqm/bin/amqzxma0"));
    let mqm = User::named("mqm").uid;
    assert!(procs.iter().all(|p| p.uid == mqm), "{procs:#?}");
    // Children of the execution controller, with the arguments of
    // docs/reference/mq-processes-and-files.md#process-family.
    for (comm, args) in [
        ("amqzmuc0", vec!["-m", "QM1"]),
        ("amqzmur0", vec!["-m", "QM1"]),
        ("amqzfuma", vec!["-m", "QM1"]),
        ("amqzmuf0", vec!["-m", "QM1"]),
        ("amqzmgr0", vec!["-m", "QM1"]),
        ("amqzlaa0", vec!["-mQM1", "-fip0"]),
        ("amqrrmfa", vec!["-m", "QM1", "-t2332800", "-s2592000", "-p2592000", "-g5184000", "-c3600"]),
    ] {
        let p = by(comm);
        assert_eq!(p.ppid, ctl.pid, "{comm} parent");
        assert_eq!(&p.cmdline[1..], args.as_slice(), "{comm} args");
    }
    // amqpcsea QM (positional) under amqzmgr0; amqfqpub -mQM under amqzmuf0
    // (docs/reference/mq-processes-and-files.md#process-family).
    assert_eq!(by("amqpcsea").ppid, by("amqzmgr0").pid);
    assert_eq!(&by("amqpcsea").cmdline[1..], ["QM1"]);
    assert_eq!(by("amqfqpub").ppid, by("amqzmuf0").pid);
    assert_eq!(&by("amqfqpub").cmdline[1..], ["-mQM1"]);
    // IBM's HA script regex test: `ps -efww | grep "amqzxma0 -m ${qmgr}"`
    assert!(ctl.cmdline.join(" ").contains("amqzxma0 -m QM1"));
    // dspmqcsv sees the command server.
    assert!(sim.ok("dspmqcsv", &["QM1"]).stdout.contains("Status ..: Running"));
    sim.ok("endmqm", &["-i", "QM1"]);
    assert!(sim.processes().is_empty(), "left: {:#?}", sim.processes());
}

#[test]
fn end_state_survives_restart_of_the_tools() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    sim.ok("endmqm", &["-i", "QM1"]);
    // The state is in the QM's data directory, not in any process.
    let status = std::fs::read_to_string(sim.root.join("var/mqm/qmgrs/QM1/qmstatus.ini")).unwrap();
    assert!(status.contains("CurrentStatus=Ended immediately"), "{status}");
    assert_eq!(sim.status("QM1"), "ENDED IMMEDIATELY");
    sim.ok("strmqm", &["QM1"]);
    sim.ok("endmqm", &["-w", "QM1"]);
    assert_eq!(sim.status("QM1"), "ENDED NORMALLY");
}

#[test]
fn crash_is_ended_unexpectedly_and_restartable() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    assert_eq!(sim.mqsim(&["crash", "QM1"]).rc, 0);
    // docs/reference/mq-processes-and-files.md#execution-controller: killing amqzxma0 -> Ended unexpectedly; the
    // children notice and go.
    assert_eq!(sim.status("QM1"), "ENDED UNEXPECTEDLY");
    assert!(sim.processes().is_empty(), "left: {:#?}", sim.processes());
    let r = sim.ok("strmqm", &["QM1"]);
    assert!(r.stdout.ends_with("started using V9.3.0.0.\n"));
    sim.ok("endmqm", &["-i", "QM1"]);
}

#[test]
fn crash_leaving_children_blocks_restart_with_amq8041() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    assert_eq!(sim.mqsim(&["crash", "QM1", "--leave-children"]).rc, 0);
    assert_eq!(sim.status("QM1"), "ENDED UNEXPECTEDLY");
    let left = sim.processes();
    assert!(left.iter().any(|p| p.comm == "amqzmuc0"), "{left:#?}");
    assert!(!left.iter().any(|p| p.comm == "amqzxma0"));
    // docs/reference/mq-processes-and-files.md#leftover-processes: rc 24 and the AMQ8041 block naming the processes.
    let r = sim.mq("strmqm", &["QM1"]);
    assert_eq!(r.rc, 24, "{r:?}");
    assert!(r.stdout.starts_with("AMQ8041S: The queue manager cannot be restarted or deleted because processes,\nthat were previously connected, are still running.\n"), "{}", r.stdout);
    for p in &left {
        assert!(
            r.stdout.contains(&format!("Process {} is still running.\n", p.pid)),
            "{} not listed in {}",
            p.pid,
            r.stdout
        );
    }
    assert!(r.stdout.ends_with("AMQ7018E: The queue manager operation cannot be completed.\n"));
    assert_eq!(sim.mq("dltmqm", &["QM1"]).rc, 24);
    // Once they are gone (the agent kills them), the QM starts again.
    sim.mqsim(&["cleanup"]);
    sim.ok("strmqm", &["QM1"]);
    sim.ok("endmqm", &["-i", "QM1"]);
}

#[test]
fn application_holds_controlled_end_and_restart() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    let app = sim.mqsim(&["app", "QM1"]);
    assert_eq!(app.rc, 0, "{app:?}");
    let pid: i32 = app.stdout.trim().parse().unwrap();
    // endmqm -c returns at once; the QM stays Quiescing while the application is connected.
    sim.ok("endmqm", &["-c", "QM1"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sim.status("QM1"), "QUIESCING");
    // Escalation with -i ends it although the application is still there ...
    sim.ok("endmqm", &["-i", "QM1"]);
    assert_eq!(sim.status("QM1"), "ENDED IMMEDIATELY");
    // ... and then the application blocks a restart (rc 24, listing it:
    // docs/reference/mq-processes-and-files.md#leftover-processes).
    let r = sim.mq("strmqm", &["QM1"]);
    assert_eq!(r.rc, 24);
    assert!(r.stdout.contains(&format!("Process {pid} is still running.")), "{}", r.stdout);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    eventually(&format!("the application {pid} to go"), Duration::from_secs(5), || !alive(pid));
    sim.ok("strmqm", &["QM1"]);
    sim.ok("endmqm", &["-i", "QM1"]);
}

#[test]
fn manual_listener_is_a_real_tcp_socket_and_endmqlsr_ends_it() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    // docs/reference/mq-commands.md#runmqlsr: runmqlsr needs... a running QM here (the simulated listener proxies to
    // the engine).
    let port = free_port();
    let p = port.to_string();
    let r = sim.mq("runmqlsr", &["-t", "tcp", "-p", &p, "-m", "QM1"]);
    assert_ne!(r.rc, 0, "a listener of a stopped QM must not run: {r:?}");
    sim.ok("strmqm", &["QM1"]);
    let mut child = Spawned::start(
        User::named(&sim.user)
            .apply(&mut std::process::Command::new(sim.bin("runmqlsr")))
            .args(["-t", "tcp", "-p", &p, "-i", "127.0.0.1", "-m", "QM1"])
            .stdout(std::process::Stdio::null()),
    );
    eventually(&format!("the listener to accept on {port}"), Duration::from_secs(5), || port_open(port));
    assert!(sim.processes().iter().any(|p| p.comm == "runmqlsr"));
    sim.ok("endmqlsr", &["-m", "QM1"]);
    assert!(child.wait_within(Duration::from_secs(10)).is_some(), "runmqlsr did not end after endmqlsr");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "port {port} still open");
    sim.ok("endmqm", &["-i", "QM1"]);
}

#[test]
fn command_server_stop_start_and_kill() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    assert!(sim.processes().iter().any(|p| p.comm == "amqpcsea"));
    assert_eq!(sim.mqsim(&["kill", "QM1", "cmdserver"]).rc, 0);
    assert!(!sim.processes().iter().any(|p| p.comm == "amqpcsea"));
    assert!(sim.ok("dspmqcsv", &["QM1"]).stdout.contains("Status ..: Stopped"));
    // The queue manager itself stays up.
    assert_eq!(sim.status("QM1"), "RUNNING");
    sim.ok("strmqcsv", &["QM1"]);
    assert!(sim.ok("dspmqcsv", &["QM1"]).stdout.contains("Status ..: Running"));
    sim.ok("endmqcsv", &["QM1"]);
    assert!(!sim.processes().iter().any(|p| p.comm == "amqpcsea"));
    // -ns: no command server, no channel initiator (docs/reference/mq-commands.md#strmqm-options)
    sim.ok("endmqm", &["-i", "QM1"]);
    sim.ok("strmqm", &["-ns", "QM1"]);
    let procs = sim.processes();
    assert!(!procs.iter().any(|p| p.comm == "amqpcsea" || p.comm == "runmqchi"), "{procs:#?}");
    sim.ok("endmqm", &["-i", "QM1"]);
}

#[test]
fn two_installations_side_by_side_never_touch_each_other() {
    let a = Sim::install(&["--user", "mqm", "--group", "mqm"]);
    let b = a.install_beside("other", &["--user", "mqm2", "--group", "mqm2"]);
    let _guard_b = b;
    let b = &_guard_b;
    a.ok("crtmqm", &["QM1"]);
    b.ok("crtmqm", &["QM1"]);
    a.ok("strmqm", &["QM1"]);
    assert_eq!(b.status("QM1"), "ENDED IMMEDIATELY");
    b.ok("strmqm", &["QM1"]);
    assert!(a.processes().iter().all(|p| p.uid == User::named("mqm").uid));
    assert!(b.processes().iter().all(|p| p.uid == User::named("mqm2").uid));
    assert!(b.processes().iter().any(|p| p.comm == "amqzxma0"));
    a.ok("endmqm", &["-i", "QM1"]);
    assert_eq!(a.status("QM1"), "ENDED IMMEDIATELY");
    assert_eq!(b.status("QM1"), "RUNNING");
    assert!(a.processes().is_empty());
    a.mqsim(&["crash", "QM1"]); // nothing of A runs: must not touch B
    assert_eq!(b.status("QM1"), "RUNNING");
    b.ok("endmqm", &["-i", "QM1"]);
}

#[test]
fn the_mq_user_runs_the_commands_itself() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    let mqm = User::named("mqm");
    let r = sim.run_as(mqm, "strmqm", &["QM1"]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(
        sim.run_as(mqm, "dspmq", &["-n", "-m", "QM1"]).stdout.split_whitespace().nth(1),
        Some("STATUS(RUNNING)")
    );
    // A crash leaving children, then the mq user's strmqm after the leftovers are gone: the
    // one-shot leave-children switch set by root must not stick.
    assert_eq!(sim.mqsim(&["crash", "QM1", "--leave-children"]).rc, 0);
    sim.mqsim(&["cleanup"]);
    assert_eq!(sim.run_as(mqm, "strmqm", &["QM1"]).rc, 0);
    assert_eq!(sim.mqsim(&["crash", "QM1"]).rc, 0);
    assert!(sim.processes().is_empty(), "children must follow their controller: {:#?}", sim.processes());
    assert_eq!(sim.run_as(mqm, "strmqm", &["QM1"]).rc, 0);
    let r = sim.run_as(mqm, "endmqm", &["-i", "QM1"]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(sim.status("QM1"), "ENDED IMMEDIATELY");
}
