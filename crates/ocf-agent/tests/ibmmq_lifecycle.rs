//! The built ibmmq agent against the simulated installation: the lifecycle a cluster drives,
//! idempotence, and stop convergence. Run as root (the agent drops to the mq user).

use mq_testkit::*;
use std::time::Duration;

/// The MQ releases every lifecycle runs against (crates/mq-sim/README.md#versions): the LTS
/// releases in support and 10.0.
const VERSIONS: &[&str] = &["9.2.0.0", "9.3.0.0", "9.4.0.0", "10.0.0.0"];

#[test]
fn probe_start_monitor_every_depth_stop_mq_9_2() {
    probe_start_monitor_every_depth_stop(VERSIONS[0]);
}

#[test]
fn probe_start_monitor_every_depth_stop_mq_9_3() {
    probe_start_monitor_every_depth_stop(VERSIONS[1]);
}

#[test]
fn probe_start_monitor_every_depth_stop_mq_9_4() {
    probe_start_monitor_every_depth_stop(VERSIONS[2]);
}

#[test]
fn probe_start_monitor_every_depth_stop_mq_10_0() {
    probe_start_monitor_every_depth_stop(VERSIONS[3]);
}

/// A fix pack and a CD release print other Level and ReleaseType lines than a first build.
#[test]
fn probe_start_monitor_every_depth_stop_mq_9_4_fix_pack_and_cd() {
    probe_start_monitor_every_depth_stop("9.4.0.10");
    probe_start_monitor_every_depth_stop("9.4.4.1");
}

fn probe_start_monitor_every_depth_stop(version: &str) {
    let sim = Sim::install(&["--version", version]);
    let ver = sim.mq("dspmqver", &["-b", "-f", "2"]);
    assert_eq!(ver.stdout.trim(), version, "the installation under test: {ver:?}");
    assert_eq!(sim.crtmqm("QM1").rc, 0);

    let r = sim.probe("QM1");
    assert_eq!(r.rc, 7, "probe of a created, never started QM: {r:?}");

    let r = sim.act("start", "QM1");
    assert_eq!(r.rc, 0, "start: {r:?}");
    let pids = qm_pids(&sim.root, "QM1");
    assert!(!pids.is_empty(), "no QM1 process in /proc after start");
    let ds = sim.mq("dspmq", &["-n", "-m", "QM1"]);
    assert!(ds.stdout.contains("STATUS(RUNNING)"), "{ds:?}");
    for depth in [0, 10, 20] {
        let r = sim.monitor("QM1", depth);
        assert_eq!(r.rc, 0, "monitor depth {depth}: {r:?}");
    }
    assert_eq!(sim.probe("QM1").rc, 0, "a probe finds the running QM");

    // start is idempotent and does not restart it.
    let r = sim.act("start", "QM1");
    assert_eq!(r.rc, 0, "second start: {r:?}");
    let again = qm_pids(&sim.root, "QM1");
    assert!(again.contains(&pids[0]), "second start replaced the processes: {pids:?} -> {again:?}");

    let r = sim.act("stop", "QM1");
    assert_eq!(r.rc, 0, "stop: {r:?}");
    assert!(qm_pids(&sim.root, "QM1").is_empty(), "processes left after stop");
    let r = sim.probe("QM1");
    assert_eq!(r.rc, 7, "probe after stop: {r:?}");
    let r = sim.monitor("QM1", 0);
    assert_eq!(r.rc, 7, "recurring monitor after a clean stop: {r:?}");

    // stop again: already stopped, quickly.
    let r = sim.act("stop", "QM1");
    assert_eq!(r.rc, 0, "second stop: {r:?}");
    assert!(r.elapsed < Duration::from_secs(2), "already-stopped stop took {:?}", r.elapsed);
}

#[test]
fn test_queue_is_created_persistent() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMTQ").rc, 0);
    let r = sim.agent("start", &[("qmgr", "QMTQ"), ("test_queue", "MY.HA.Q")], &[]);
    assert_eq!(r.rc, 0, "start: {r:?}");
    let out = sim.runmqsc(&["QMTQ"], "DISPLAY QLOCAL('MY.HA.Q') DEFPSIST\n").stdout;
    assert!(out.contains("DEFPSIST(YES)"), "{out}");
    let r = sim.agent(
        "monitor",
        &[("qmgr", "QMTQ"), ("test_queue", "MY.HA.Q")],
        &[("OCF_RESKEY_CRM_meta_interval", "1000"), ("OCF_CHECK_LEVEL", "20")],
    );
    assert_eq!(r.rc, 0, "depth 20 on the named queue: {r:?}");
    assert_eq!(sim.act("stop", "QMTQ").rc, 0);
}

#[test]
fn two_queue_managers_never_touch_each_other() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QM1").rc, 0);
    assert_eq!(sim.crtmqm("QM10").rc, 0);
    assert_eq!(sim.act("start", "QM1").rc, 0);
    assert_eq!(sim.act("start", "QM10").rc, 0);
    let qm10 = qm_pids(&sim.root, "QM10");
    assert!(!qm10.is_empty());
    // Crash QM1 and let start sweep it: QM10 (a name with QM1 as prefix) must be untouched.
    assert_eq!(sim.mqsim(&["crash", "QM1", "--leave-children"]).rc, 0);
    assert_eq!(sim.act("start", "QM1").rc, 0, "restart after crash with leftovers");
    assert_eq!(sim.act("stop", "QM1").rc, 0);
    assert!(qm_pids(&sim.root, "QM1").is_empty());
    let now = qm_pids(&sim.root, "QM10");
    assert_eq!(now, qm10, "QM10's processes changed while QM1 was swept and stopped");
    assert_eq!(sim.monitor("QM10", 10).rc, 0);
    assert_eq!(sim.act("stop", "QM10").rc, 0);
}

#[test]
fn stop_converges_after_the_agent_was_killed_mid_stop() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMK").rc, 0);
    assert_eq!(sim.act("start", "QMK").rc, 0);
    // endmqm is ignored, so stop escalates; kill the agent (its process group, as Pacemaker
    // does at a timeout) while its first step, endmqm -i, is still waiting for the end.
    sim.fault("QMK", "ignore-endmqm", None);
    let mut agent = sim.ocf("QMK").spawn("stop");
    eventually("the agent's stop to reach endmqm -i", Duration::from_secs(20), || {
        sim.processes().iter().any(|p| p.comm == "endmqm" && p.args_are(&["-i", "QMK"]))
    });
    assert_eq!(sim.status("QMK"), "RUNNING", "the ignored endmqm -i ended QMK");
    agent.kill();
    // Whatever of that step outlived the agent (endmqm runs in a process group of its own), a
    // new stop must converge.
    let r = sim.agent("stop", &[("qmgr", "QMK")], &[("OCF_RESKEY_CRM_meta_timeout", "20000")]);
    assert_eq!(r.rc, 0, "stop after an interrupted stop: {r:?}");
    assert!(sim.qm_pids("QMK").is_empty(), "QMK processes left");
    assert!(r.elapsed < Duration::from_secs(20));
}

#[test]
fn validate_all_checks_the_node_and_reload_creates_a_new_test_queue() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMV").rc, 0);
    let v = |sim: &Sim| sim.agent("validate-all", &[("qmgr", "QMV")], &[("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(v(&sim).rc, 0, "{:?}", v(&sim));
    // Level 0 (what pcs runs) checks parameters only, even where MQ is missing.
    let r = sim.agent("validate-all", &[("qmgr", "QMV"), ("mq_installation", "/nonexistent/mqm")], &[]);
    assert_eq!(r.rc, 0, "{r:?}");
    let r = sim.agent(
        "validate-all",
        &[("qmgr", "QMV"), ("mq_installation", "/nonexistent/mqm")],
        &[("OCF_CHECK_LEVEL", "10")],
    );
    assert_eq!(r.rc, 5, "{r:?}");
    let data = sim.data().join("qmgrs/QMV");
    let (uid2, gid2) = ids("mqm2");
    let (uid, gid) = ids("mqm");
    std::os::unix::fs::chown(&data, Some(uid2), Some(gid2)).unwrap();
    let r = sim.agent("validate-all", &[("qmgr", "QMV"), ("mq_user", "mqm")], &[("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(r.rc, 5, "{r:?}");
    assert!(r.reason().contains("qmgrs/QMV"), "{}", r.reason());
    std::os::unix::fs::chown(&data, Some(uid), Some(gid)).unwrap();

    assert_eq!(sim.act("start", "QMV").rc, 0);
    let p = [("qmgr", "QMV"), ("test_queue", "NEW.HA.TESTQ")];
    let r = sim.agent("reload-agent", &p, &[]);
    assert_eq!(r.rc, 0, "{r:?}");
    let r = sim.agent("monitor", &p, &[("OCF_RESKEY_CRM_meta_interval", "120000"), ("OCF_CHECK_LEVEL", "20")]);
    assert_eq!(r.rc, 0, "depth 20 on the reloaded test queue: {r:?}");
    assert_eq!(sim.act("stop", "QMV").rc, 0);
}

/// Effective uid (second field of `Uid:`) of `pid`, and the owner of its /proc/PID/status.
fn euid_and_proc_owner(pid: i32) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let euid = status.lines().find_map(|l| l.strip_prefix("Uid:")).unwrap().split_whitespace().nth(1).unwrap();
    (euid.parse().unwrap(), std::fs::metadata(format!("/proc/{pid}/status")).unwrap().uid())
}

/// A queue manager that an administrator started by hand through the installation's set-user-id
/// strmqm (root in the mq group, or another member of the group): its processes run as the mq
/// user but /proc keeps their files root's. The agent finds it (probe, every monitor depth) and
/// ends it, and runs none of the installation's programs as root.
fn started_by_hand_is_found_and_stopped(start: impl Fn(&Sim) -> Run) {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QM1").rc, 0);
    let r = start(&sim);
    assert_eq!(r.rc, 0, "strmqm by hand: {r:?}");
    let mqm = User::named("mqm");
    let controller = sim.processes().into_iter().find(|p| p.comm == "amqzxma0").expect("amqzxma0 runs");
    assert_eq!(euid_and_proc_owner(controller.pid), (mqm.uid, 0), "amqzxma0: effective uid mqm, /proc root's");
    let before = std::fs::read_to_string(sim.root.join(".mqsim/commands.log")).unwrap().lines().count();

    assert_eq!(sim.probe("QM1").rc, 0, "a probe finds the running QM");
    // Not started by the agent: its test queue is the administrator's to define (the hint's MQSC).
    sim.mqsc_ok("QM1", "DEFINE QLOCAL(HA.TESTQUEUE) DEFPSIST(YES)\n");
    for depth in [0, 10, 20] {
        let r = sim.monitor("QM1", depth);
        assert_eq!(r.rc, 0, "monitor depth {depth}: {r:?}");
    }
    let r = sim.act("stop", "QM1");
    assert_eq!(r.rc, 0, "stop: {r:?}");
    assert!(sim.processes().is_empty(), "processes left after stop: {:?}", sim.processes());
    assert_eq!(sim.probe("QM1").rc, 7, "probe after stop");
    let ran = std::fs::read_to_string(sim.root.join(".mqsim/commands.log")).unwrap();
    let by_root: Vec<&str> = ran.lines().skip(before).filter(|l| l.split(' ').take(2).any(|id| id == "0")).collect();
    assert!(by_root.is_empty(), "the agent ran installation programs as root:\n{}", by_root.join("\n"));
}

#[test]
fn queue_manager_started_by_root_in_the_mq_group_is_found_and_stopped() {
    started_by_hand_is_found_and_stopped(|sim| sim.run_as_root_in_group("strmqm", &["QM1"]));
}

#[test]
fn queue_manager_started_by_an_alternate_member_is_found_and_stopped() {
    started_by_hand_is_found_and_stopped(|sim| sim.run_as(User::named("mqadmin"), "strmqm", &["QM1"]));
}
