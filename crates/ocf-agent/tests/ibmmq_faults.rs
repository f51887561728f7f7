//! Every simulator fault and dspmq state against the built agent: the exit code a cluster gets
//! and what is left on the node.

use mq_testkit::*;
use std::time::Duration;

fn started(sim: &Sim, qm: &str) {
    assert_eq!(sim.crtmqm(qm).rc, 0);
    let r = sim.act("start", qm);
    assert_eq!(r.rc, 0, "start {qm}: {r:?}");
}

#[test]
fn crash_is_a_failure_for_a_recurring_monitor_and_stopped_for_a_probe() {
    let sim = Sim::install(&[]);
    started(&sim, "QMC");
    assert_eq!(sim.mqsim(&["crash", "QMC"]).rc, 0);
    eventually("QMC processes gone", Duration::from_secs(10), || qm_pids(&sim.root, "QMC").is_empty());
    let r = sim.monitor("QMC", 0);
    assert_eq!(r.rc, 1, "recurring monitor after a crash: {r:?}");
    assert!(r.reason().contains("unexpectedly"), "{}", r.reason());
    assert_eq!(sim.probe("QMC").rc, 7, "probe after a crash with nothing left");
    assert_eq!(sim.act("start", "QMC").rc, 0, "restart after a crash");
    assert_eq!(sim.act("stop", "QMC").rc, 0);
}

#[test]
fn crash_leaving_children_is_swept_at_start() {
    let sim = Sim::install(&[]);
    started(&sim, "QML");
    assert_eq!(sim.mqsim(&["crash", "QML", "--leave-children"]).rc, 0);
    let r = sim.monitor("QML", 0);
    assert_eq!(r.rc, 1, "monitor with children left: {r:?}");
    assert_eq!(sim.probe("QML").rc, 1, "a probe must not call leftovers stopped");
    let r = sim.act("start", "QML");
    assert_eq!(r.rc, 0, "start sweeps the leftovers: {r:?}");
    assert_eq!(sim.monitor("QML", 10).rc, 0);
    assert_eq!(sim.act("stop", "QML").rc, 0);
    assert!(qm_pids(&sim.root, "QML").is_empty());
}

#[test]
fn application_holding_the_old_instance_is_named_not_killed() {
    let sim = Sim::install(&[]);
    started(&sim, "QMAPP");
    // The application runs as the mq user: strmqm (which the agent runs as the mq user) must be
    // able to see it attached, as MQ sees every attached process through its IPC. (One of root's
    // processes is invisible to the simulator's strmqm, and the start would then simply succeed.)
    let app_pid = sim.app("QMAPP", Some(User::named("mqm")));
    assert_eq!(sim.mqsim(&["crash", "QMAPP", "--leave-children"]).rc, 0);
    let r = sim.act("start", "QMAPP");
    // Our leftovers are killed; the application strmqm names (rc 24, AMQ8041) is named and left
    // alone, and the start fails: the queue manager cannot start while it is attached.
    assert_eq!(r.rc, 1, "start with an application attached to the old instance: {r:?}");
    assert!(r.reason().contains("AMQ8041") && r.reason().contains("application"), "{r:?}");
    let named = format!("(pid {app_pid}, user mqm)");
    assert!(
        r.stderr.lines().any(|l| l.contains("application process still connected") && l.contains(&named)),
        "the application {app_pid} is not named: {r:?}"
    );
    assert!(alive(app_pid), "the agent killed the application process {app_pid}");
    let r = sim.act("stop", "QMAPP");
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(sim.qm_pids("QMAPP"), [app_pid], "queue-manager processes left");
    assert!(alive(app_pid), "stop killed the application process {app_pid}");
}

#[test]
fn ignore_endmqm_escalates_to_kill() {
    let sim = Sim::install(&[]);
    started(&sim, "QMI");
    sim.fault("QMI", "ignore-endmqm", None);
    let r = sim.agent("stop", &[("qmgr", "QMI")], &[("OCF_RESKEY_CRM_meta_timeout", "20000")]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.elapsed < Duration::from_secs(20), "stop overran its timeout: {:?}", r.elapsed);
    assert!(qm_pids(&sim.root, "QMI").is_empty(), "processes left after escalation");
}

#[test]
fn hung_queue_manager_fails_monitor_within_its_timeout() {
    let sim = Sim::install(&[]);
    started(&sim, "QMH");
    sim.fault("QMH", "hang", None);
    // Depth 0 cannot see a hang (dspmq still reports Running, as on real MQ); 10 and 20 must,
    // within the monitor's timeout.
    assert_eq!(sim.monitor("QMH", 0).rc, 0);
    for depth in ["10", "20"] {
        let r = sim.agent(
            "monitor",
            &[("qmgr", "QMH")],
            &[
                ("OCF_RESKEY_CRM_meta_interval", "20000"),
                ("OCF_CHECK_LEVEL", depth),
                ("OCF_RESKEY_CRM_meta_timeout", "10000"),
            ],
        );
        assert_ne!(r.rc, 0, "depth {depth} on a hung QM: {r:?}");
        assert_ne!(r.rc, 7, "depth {depth}: a hung QM is not stopped: {r:?}");
        assert!(r.elapsed < Duration::from_secs(10), "depth {depth} took {:?}", r.elapsed);
    }
    let r = sim.agent("stop", &[("qmgr", "QMH")], &[("OCF_RESKEY_CRM_meta_timeout", "20000")]);
    assert_eq!(r.rc, 0, "stop of a hung QM: {r:?}");
    assert!(r.elapsed < Duration::from_secs(20));
    assert!(qm_pids(&sim.root, "QMH").is_empty());
}

#[test]
fn slow_start_is_waited_for_and_a_start_past_its_budget_fails() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMSL").rc, 0);
    sim.fault("QMSL", "slow-start", Some("2"));
    let r = sim.act("start", "QMSL");
    assert_eq!(r.rc, 0, "slow start within budget: {r:?}");
    assert!(r.elapsed >= Duration::from_secs(2), "start returned before the QM was up: {:?}", r.elapsed);
    assert!(r.elapsed < Duration::from_secs(5), "polling too slow: {:?}", r.elapsed);
    assert_eq!(sim.act("stop", "QMSL").rc, 0);
    sim.fault("QMSL", "slow-start", Some("30"));
    let r = sim.agent("start", &[("qmgr", "QMSL")], &[("OCF_RESKEY_CRM_meta_timeout", "8000")]);
    assert_eq!(r.rc, 1, "start past its budget: {r:?}");
    assert!(r.elapsed < Duration::from_secs(8), "start overran its timeout: {:?}", r.elapsed);
    sim.clear_fault("QMSL", "slow-start");
    let _ = sim.agent("stop", &[("qmgr", "QMSL")], &[("OCF_RESKEY_CRM_meta_timeout", "30000")]);
    assert!(qm_pids(&sim.root, "QMSL").is_empty());
}

#[test]
fn strmqm_failures_map_to_exit_codes() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMRC").rc, 0);
    for (rc, want) in [("69", 5), ("119", 4), ("39", 6), ("71", 1), ("23", 5)] {
        sim.fault("QMRC", "strmqm-rc", Some(rc));
        let r = sim.act("start", "QMRC");
        assert_eq!(r.rc, want, "strmqm rc {rc}: {r:?}");
        assert!(r.reason().contains(&format!("exited {rc}")), "rc {rc}: {}", r.reason());
    }
    sim.clear_fault("QMRC", "strmqm-rc");
    assert_eq!(sim.act("start", "QMRC").rc, 0);
    assert_eq!(sim.act("stop", "QMRC").rc, 0);
}

#[test]
fn log_full_fails_depth_20_only() {
    let sim = Sim::install(&[]);
    started(&sim, "QMLF");
    sim.fault("QMLF", "log-full", None);
    assert_eq!(sim.monitor("QMLF", 0).rc, 0);
    assert_eq!(sim.monitor("QMLF", 10).rc, 0);
    let r = sim.monitor("QMLF", 20);
    assert_eq!(r.rc, 1, "persistent put with a full log: {r:?}");
    assert!(r.reason().contains("QMLF"), "{}", r.reason());
    sim.clear_fault("QMLF", "log-full");
    assert_eq!(sim.act("stop", "QMLF").rc, 0);
}

#[test]
fn storage_lost_under_a_running_queue_manager() {
    let sim = Sim::install(&[]);
    started(&sim, "QMST");
    sim.fault("QMST", "storage-lost", None);
    let r = sim.monitor("QMST", 0);
    assert_ne!(r.rc, 0, "monitor with lost storage: {r:?}");
    assert_ne!(r.rc, 7, "processes still run: not cleanly stopped: {r:?}");
    let r = sim.agent("stop", &[("qmgr", "QMST")], &[("OCF_RESKEY_CRM_meta_timeout", "20000")]);
    assert_eq!(r.rc, 0, "stop with lost storage: {r:?}");
    assert!(qm_pids(&sim.root, "QMST").is_empty());
    sim.clear_fault("QMST", "storage-lost");
}

#[test]
fn leftover_ipc_does_not_block_a_restart() {
    let sim = Sim::install(&[]);
    started(&sim, "QMIPC");
    sim.fault("QMIPC", "leftover-ipc", None);
    assert_eq!(sim.agent("stop", &[("qmgr", "QMIPC"), ("ipc_cleanup", "true")], &[]).rc, 0);
    let r = sim.act("start", "QMIPC");
    assert_eq!(r.rc, 0, "start after a stop with leftover IPC: {r:?}");
    assert_eq!(sim.act("stop", "QMIPC").rc, 0);
}

#[test]
fn dead_command_server_is_restarted_in_place() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMCS").rc, 0);
    let r = sim.agent("start", &[("qmgr", "QMCS"), ("command_server", "yes"), ("channel_initiator", "yes")], &[]);
    assert_eq!(r.rc, 0, "{r:?}");
    let before = qm_pids(&sim.root, "QMCS");
    assert_eq!(sim.mqsim(&["kill", "QMCS", "cmdserver"]).rc, 0);
    let r = sim.agent(
        "monitor",
        &[("qmgr", "QMCS"), ("command_server", "yes"), ("channel_initiator", "yes")],
        &[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", "10")],
    );
    assert_eq!(r.rc, 0, "monitor restarts the command server and keeps the QM: {r:?}");
    assert!(r.stderr.contains("command server"), "{r:?}");
    let ds = sim.mq("dspmqcsv", &["QMCS"]);
    assert!(ds.stdout.contains("Running"), "command server not running again: {ds:?}");
    let after = qm_pids(&sim.root, "QMCS");
    assert!(after.iter().any(|p| before.contains(p)), "the queue manager was restarted");
    // The channel initiator, likewise.
    assert_eq!(sim.mqsim(&["kill", "QMCS", "chinit"]).rc, 0);
    let r = sim.agent(
        "monitor",
        &[("qmgr", "QMCS"), ("command_server", "yes"), ("channel_initiator", "yes")],
        &[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", "10")],
    );
    assert_eq!(r.rc, 0, "monitor restarts the channel initiator: {r:?}");
    assert!(r.stderr.contains("channel initiator"), "{r:?}");
    eventually("runmqchi back", Duration::from_secs(10), || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| {
                    let a: Vec<&[u8]> = c.split(|b| *b == 0).collect();
                    a.first().map(|p| p.ends_with(b"runmqchi")).unwrap_or(false)
                        && a.windows(2).any(|w| w[0] == b"-m" && w[1] == b"QMCS")
                })
                .unwrap_or(false)
        })
    });
    assert_eq!(sim.act("stop", "QMCS").rc, 0);
    assert!(qm_pids(&sim.root, "QMCS").is_empty(), "stop left a process (the restarted runmqchi?)");
}

#[test]
fn dspmq_states_as_a_cluster_sees_them() {
    let sim = Sim::install(&[]);
    // Unknown here.
    assert_eq!(sim.probe("QMX").rc, 7);
    // A recurring monitor of a QM unknown here: a failure, and the node checks name why (5:
    // this node lost the queue manager's set-up, so Pacemaker moves it elsewhere).
    let r = sim.monitor("QMX", 0);
    assert_eq!(r.rc, 5, "{r:?}");
    assert!(r.reason().contains("QMX"), "{}", r.reason());
    started(&sim, "QMX");
    // Ended normally (controlled end), Ended pre-emptively: cleanly stopped when nothing is left.
    for flag in ["-c", "-p"] {
        let r = sim.mq("endmqm", &[flag, "QMX"]);
        assert_eq!(r.rc, 0, "endmqm {flag}: {r:?}");
        eventually("QMX gone", Duration::from_secs(20), || qm_pids(&sim.root, "QMX").is_empty());
        let ds = sim.mq("dspmq", &["-n", "-m", "QMX"]);
        assert!(ds.stdout.contains("ENDED"), "{ds:?}");
        assert_eq!(sim.probe("QMX").rc, 7, "probe after endmqm {flag}");
        assert_eq!(sim.monitor("QMX", 0).rc, 7, "recurring monitor after endmqm {flag}");
        assert_eq!(sim.act("start", "QMX").rc, 0);
    }
    assert_eq!(sim.act("stop", "QMX").rc, 0);
    // Starting with its controller running is a log replay: running, within replay_timeout
    // (the cap is tested in monitor_during_a_replay_is_running_until_replay_timeout).
    sim.fault("QMX", "slow-start", Some("4"));
    let mut c = std::process::Command::new(sim.bin("strmqm"));
    let (uid, gid) = ids("mqm");
    std::os::unix::process::CommandExt::uid(&mut c, uid);
    std::os::unix::process::CommandExt::gid(&mut c, gid);
    c.arg("QMX").stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut strmqm = c.spawn().unwrap();
    // A loaded machine can be slow to get strmqm going; the wait says what it saw if it never does.
    eventually("QMX starting", Duration::from_secs(15), || {
        let ds = sim.mq("dspmq", &["-n", "-m", "QMX"]).stdout;
        match strmqm.try_wait() {
            _ if ds.contains("STARTING") => Ok(()),
            Ok(Some(st)) => Err(format!("strmqm already ended ({st}); dspmq: {ds}")),
            _ => Err(format!("dspmq: {ds}")),
        }
    });
    let r = sim.agent(
        "monitor",
        &[("qmgr", "QMX")],
        &[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_RESKEY_CRM_meta_timeout", "2000")],
    );
    assert_eq!(r.rc, 0, "monitor of a QM replaying its log: {r:?}");
    assert!(r.stderr.contains("Starting (log replay)"), "{r:?}");
    assert!(r.elapsed < Duration::from_secs(2));
    let _ = strmqm.wait();
    sim.clear_fault("QMX", "slow-start");
    let r = sim.act("start", "QMX");
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(sim.act("stop", "QMX").rc, 0);
}

/// strmqm run by hand as the mq user (a start that is not the agent's), in the background.
fn strmqm_by_hand(sim: &Sim, qm: &str) -> std::process::Child {
    let mut c = std::process::Command::new(sim.bin("strmqm"));
    let (uid, gid) = ids("mqm");
    std::os::unix::process::CommandExt::uid(&mut c, uid);
    std::os::unix::process::CommandExt::gid(&mut c, gid);
    c.arg(qm).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    c.spawn().unwrap()
}

#[test]
fn start_waits_out_a_log_replay_and_reports_it_without_flooding() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMRP").rc, 0);
    sim.fault("QMRP", "log-replay", Some("5"));
    let r = sim.agent("start", &[("qmgr", "QMRP")], &[("OCF_RESKEY_CRM_meta_timeout", "20000")]);
    assert_eq!(r.rc, 0, "start under a 5 s replay with a 20 s timeout: {r:?}");
    assert!(r.elapsed >= Duration::from_secs(5), "start returned before the replay ended: {:?}", r.elapsed);
    // strmqm printed about one progress line a second; the log shows the first (and the end).
    let progress = r.stderr.lines().filter(|l| l.contains("during the log replay phase")).count();
    assert!((1..=2).contains(&progress), "{progress} replay lines logged: {}", r.stderr);
    assert!(r.stderr.contains("Log replay for queue manager 'QMRP' complete."), "{}", r.stderr);
    assert_eq!(sim.monitor("QMRP", 10).rc, 0);
    assert_eq!(sim.act("stop", "QMRP").rc, 0);
}

#[test]
fn start_past_a_long_replay_names_how_long_and_the_timeout_to_set() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMRL").rc, 0);
    sim.fault("QMRL", "log-replay", Some("30"));
    let r = sim.agent("start", &[("qmgr", "QMRL")], &[("OCF_RESKEY_CRM_meta_timeout", "10000")]);
    assert_eq!(r.rc, 1, "start under a 30 s replay with a 10 s timeout: {r:?}");
    assert!(r.elapsed < Duration::from_secs(10), "start overran its timeout: {:?}", r.elapsed);
    let reason = r.reason();
    // Starting from strmqm's launch until its share of the 9 s budget ran out.
    let secs: u64 = reason
        .split("still Starting (log replay) after ")
        .nth(1)
        .and_then(|t| t.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in: {reason}"));
    assert!((5..=9).contains(&secs), "{reason}");
    assert!(reason.contains("timeout=10s"), "{reason}");
    assert!(reason.starts_with("pcs resource update test_qm op start timeout=60s"), "{reason}");
    // Pacemaker's stop then ends the replaying queue manager within its own budget.
    let r = sim.agent("stop", &[("qmgr", "QMRL")], &[("OCF_RESKEY_CRM_meta_timeout", "20000")]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.elapsed < Duration::from_secs(20));
    assert!(qm_pids(&sim.root, "QMRL").is_empty());
}

#[test]
fn monitor_during_a_replay_is_running_until_replay_timeout() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMRM").rc, 0);
    sim.fault("QMRM", "log-replay", Some("12"));
    let mut strmqm = strmqm_by_hand(&sim, "QMRM");
    eventually("QMRM starting", Duration::from_secs(15), || {
        let ds = sim.mq("dspmq", &["-n", "-m", "QMRM"]).stdout;
        if ds.contains("STARTING") {
            Ok(())
        } else {
            Err(ds)
        }
    });
    let monitor = |depth: &str| {
        sim.agent(
            "monitor",
            &[("qmgr", "QMRM"), ("replay_timeout", "4")],
            &[
                ("OCF_RESKEY_CRM_meta_interval", "20000"),
                ("OCF_CHECK_LEVEL", depth),
                ("OCF_RESKEY_CRM_meta_timeout", "10000"),
            ],
        )
    };
    // A replay in progress: running, at every depth (the MQI checks wait for it), and at once.
    for depth in ["0", "10", "20"] {
        let r = monitor(depth);
        assert_eq!(r.rc, 0, "depth {depth} during the replay: {r:?}");
        assert!(r.elapsed < Duration::from_secs(3), "depth {depth} took {:?}", r.elapsed);
    }
    assert_eq!(sim.probe("QMRM").rc, 0, "a probe: it is active here");
    // Past replay_timeout (counted from the first monitor that saw it): a failure.
    std::thread::sleep(Duration::from_secs(5));
    let r = monitor("0");
    assert_eq!(r.rc, 1, "Starting past replay_timeout: {r:?}");
    assert!(r.reason().contains("past replay_timeout=4s"), "{}", r.reason());
    let _ = strmqm.wait();
    assert_eq!(monitor("10").rc, 0, "running after the replay");
    assert_eq!(sim.act("stop", "QMRM").rc, 0);
}

#[test]
fn stop_with_a_slow_endmqm_escalates_within_its_budget() {
    let sim = Sim::install(&[]);
    started(&sim, "QMSE");
    let stop = |timeout: &str| {
        sim.agent("stop", &[("qmgr", "QMSE"), ("stop_mode", "controlled")], &[("OCF_RESKEY_CRM_meta_timeout", timeout)])
    };
    // An end that fits the budget: no escalation.
    sim.fault("QMSE", "slow-endmqm", Some("2"));
    let r = stop("20000");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.elapsed >= Duration::from_secs(2), "{:?}", r.elapsed);
    assert!(!r.stderr.contains("endmqm -p"), "escalated an end that fitted: {}", r.stderr);
    assert!(qm_pids(&sim.root, "QMSE").is_empty());
    // An end slower than the whole stop: escalated (-p, then kill), and still within the timeout.
    assert_eq!(sim.act("start", "QMSE").rc, 0);
    sim.fault("QMSE", "slow-endmqm", Some("60"));
    let r = stop("10000");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.elapsed < Duration::from_secs(10), "stop overran its timeout: {:?}", r.elapsed);
    assert!(r.stderr.contains("endmqm -p"), "no escalation: {}", r.stderr);
    assert!(qm_pids(&sim.root, "QMSE").is_empty(), "processes left after the escalation");
}
