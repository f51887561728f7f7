//! The built ibmmq agent with multi_instance=true, driven as Pacemaker drives a promotable clone,
//! against two simulated installations ("nodes") sharing one queue manager's data and logs:
//! every action's exit code and the state dspmq and /proc show after it, switchover by demote,
//! and a takeover when the active instance's processes die. Run as root (tests/setup.sh first).

use mq_testkit::{eventually, qm_pids, Ocf, Run, Sim};

use std::time::{Duration, Instant};

/// One simulated node: its installation and its own HA_RSCTMP (as each machine has /run).
struct Node {
    sim: Sim,
    rsctmp: std::path::PathBuf,
}

impl std::ops::Deref for Node {
    type Target = Sim;
    fn deref(&self) -> &Sim {
        &self.sim
    }
}

impl Node {
    fn new(sim: Sim, name: &str) -> Node {
        let rsctmp = sim.dir().join(format!("{name}-rsctmp"));
        Node { sim, rsctmp }
    }

    /// The agent as Pacemaker runs a clone instance's action on this node.
    fn agent(&self, action: &str, qm: &str, extra: &[(&str, &str)]) -> Run {
        Ocf::new("mi_qm:0", 60000)
            .set("OCF_RESOURCE_TYPE", "ibmmq")
            .set("HA_RSCTMP", &self.rsctmp)
            .param("qmgr", qm)
            .param("multi_instance", "true")
            .param("mq_installation", self.inst())
            .with(extra)
            .run(action)
    }

    fn act(&self, action: &str, qm: &str) -> Run {
        self.agent(action, qm, &[])
    }

    fn monitor(&self, qm: &str, depth: u32) -> Run {
        let d = depth.to_string();
        self.agent("monitor", qm, &[("OCF_RESKEY_CRM_meta_interval", "15000"), ("OCF_CHECK_LEVEL", &d)])
    }

    fn probe(&self, qm: &str) -> Run {
        self.agent("monitor", qm, &[])
    }

    fn pids(&self, qm: &str) -> Vec<i32> {
        qm_pids(&self.root, qm)
    }
}

/// Two nodes sharing the data of queue manager `qm`; both torn down on drop, also when a test fails.
struct Pair {
    a: Node,
    b: Node,
}

fn pair(qm: &str) -> Pair {
    pair_of("9.3.0.0", qm)
}

/// `pair` at MQ `version`.
fn pair_of(version: &str, qm: &str) -> Pair {
    let (a, b) = Sim::multi_instance_of(version, qm);
    Pair { a: Node::new(a, "nodea"), b: Node::new(b, "nodeb") }
}

/// Polls until `f` holds; the time it took, or a panic naming `what` at `limit`.
fn within(what: &str, limit: Duration, f: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    eventually(what, limit, f);
    t.elapsed()
}

// Every supported release: the standby's process set differs before 9.3
// (crates/mq-sim/README.md#versions).
#[test]
fn promotable_clone_lifecycle_switchover_and_takeover_mq_9_2() {
    promotable_clone_lifecycle_switchover_and_takeover("9.2.0.0", "QMMI1");
}

#[test]
fn promotable_clone_lifecycle_switchover_and_takeover_mq_9_3() {
    promotable_clone_lifecycle_switchover_and_takeover("9.3.0.0", "QMMI1");
}

#[test]
fn promotable_clone_lifecycle_switchover_and_takeover_mq_9_4() {
    promotable_clone_lifecycle_switchover_and_takeover("9.4.0.0", "QMMI1");
}

#[test]
fn promotable_clone_lifecycle_switchover_and_takeover_mq_10_0() {
    promotable_clone_lifecycle_switchover_and_takeover("10.0.0.0", "QMMI1");
}

fn promotable_clone_lifecycle_switchover_and_takeover(version: &str, qm: &str) {
    let Pair { a, b, .. } = &pair_of(version, qm);

    // Probes on both nodes: nothing runs.
    assert_eq!(a.probe(qm).rc, 7, "{:?}", a.probe(qm));
    assert_eq!(b.probe(qm).rc, 7);

    // start: no instance runs anywhere, so both wait unpromoted (idle) and nothing is started.
    for n in [a, b] {
        let r = n.act("start", qm);
        assert_eq!(r.rc, 0, "start on an idle pair: {r:?}");
        assert!(n.pids(qm).is_empty(), "start must not make an active instance (start = unpromoted)");
        let r = n.monitor(qm, 0);
        assert_eq!(r.rc, 0, "monitor of an idle unpromoted instance: {r:?}");
    }

    // promote A: strmqm -x there; A's monitors answer 8 at every depth.
    let r = a.act("promote", qm);
    assert_eq!(r.rc, 0, "promote A: {r:?}");
    assert_eq!(a.status(qm), "RUNNING");
    assert_eq!(b.status(qm), "RUNNING ELSEWHERE");
    for depth in [0, 10, 20] {
        let r = a.monitor(qm, depth);
        assert_eq!(r.rc, 8, "monitor depth {depth} of the active instance: {r:?}");
    }
    assert_eq!(a.probe(qm).rc, 8, "a probe finds the active instance promoted");
    assert_eq!(a.act("promote", qm).rc, 0, "promote is idempotent");

    // B: unpromoted, the queue manager runs elsewhere, no standby here -> failure, until the
    // post-promote notification starts its standby.
    let r = b.monitor(qm, 0);
    assert_eq!(r.rc, 1, "Running elsewhere without a local standby: {r:?}");
    assert!(r.reason().contains("no standby"), "{}", r.reason());
    let r = b.agent(
        "notify",
        qm,
        &[("OCF_RESKEY_CRM_meta_notify_type", "post"), ("OCF_RESKEY_CRM_meta_notify_operation", "promote")],
    );
    assert_eq!(r.rc, 0, "notify: {r:?}");
    assert_eq!(b.status(qm), "RUNNING AS STANDBY");
    for depth in [0, 10, 20] {
        let r = b.monitor(qm, depth);
        assert_eq!(r.rc, 0, "monitor depth {depth} of the standby: {r:?}");
    }
    assert_eq!(b.probe(qm).rc, 0, "a probe finds the standby unpromoted");
    assert_eq!(b.act("start", qm).rc, 0, "start on a standby is idempotent");
    assert_eq!(b.act("demote", qm).rc, 0, "demote of a standby is a no-op");
    assert_eq!(b.status(qm), "RUNNING AS STANDBY");

    // demote A: switchover (endmqm -s); B's standby takes over, A comes back as a standby.
    let r = a.act("demote", qm);
    assert_eq!(r.rc, 0, "demote A: {r:?}");
    // B holds the lock at once and shows Starting while it takes over.
    within("B finishes taking over", Duration::from_secs(20), || b.status(qm) == "RUNNING");
    assert_eq!(a.status(qm), "RUNNING AS STANDBY");
    assert_eq!(a.monitor(qm, 0).rc, 0, "A after demote");
    // B took over before Pacemaker promoted it: healthy (0) and asking to be promoted.
    assert_eq!(b.monitor(qm, 0).rc, 0);
    let r = b.act("promote", qm);
    assert_eq!(r.rc, 0, "promote B (already active): {r:?}");
    assert_eq!(b.monitor(qm, 20).rc, 8);

    // Takeover: B's execution controller is killed; A's standby becomes active by itself.
    b.crash(qm, false);
    let took = within("A takes over", Duration::from_secs(20), || a.probe(qm).rc == 8);
    println!("takeover: {} ms", took.as_millis());
    assert_eq!(a.monitor(qm, 0).rc, 0, "A active but not yet promoted by Pacemaker: healthy");
    // B was promoted and its instance is gone: failed promoted (9), so Pacemaker recovers it.
    let r = b.monitor(qm, 0);
    assert_eq!(r.rc, 9, "the failed old active: {r:?}");
    // What B's queue manager wrote as it died is in the monitor's log and leads the reason.
    assert!(r.reason().starts_with("AMQ5008S"), "{r:?}");
    assert!(r.stderr.lines().any(|l| l.contains("FDC since") && l.contains("Probe Id ZX005020")), "{r:?}");
    // Pacemaker's recovery of B: demote brings it back as a standby, no administrator needed.
    let r = b.act("demote", qm);
    assert_eq!(r.rc, 0, "demote the failed old active: {r:?}");
    assert_eq!(b.status(qm), "RUNNING AS STANDBY");
    assert_eq!(b.monitor(qm, 0).rc, 0);
    assert_eq!(a.act("promote", qm).rc, 0);
    assert_eq!(a.monitor(qm, 10).rc, 8);

    // stop the standby: only it ends; the active keeps running.
    let r = b.act("stop", qm);
    assert_eq!(r.rc, 0, "stop the standby: {r:?}");
    assert!(b.pids(qm).is_empty(), "standby processes left on B");
    assert_eq!(a.status(qm), "RUNNING");
    assert_eq!(b.probe(qm).rc, 7, "B after stop");
    assert_eq!(b.monitor(qm, 0).rc, 7, "B's recurring monitor after a clean stop");

    // demote A with no standby anywhere: it ends and waits idle; promote starts it again.
    let r = a.act("demote", qm);
    assert_eq!(r.rc, 0, "demote without a standby: {r:?}");
    assert!(a.pids(qm).is_empty(), "A still runs after demote without a standby");
    assert_eq!(a.monitor(qm, 0).rc, 0, "idle after demote");
    assert_eq!(a.act("promote", qm).rc, 0);
    assert_eq!(a.monitor(qm, 0).rc, 8);

    // stop the active (Pacemaker demotes first; a forced stop must still leave nothing).
    let r = a.act("stop", qm);
    assert_eq!(r.rc, 0, "stop A: {r:?}");
    assert!(a.pids(qm).is_empty() && b.pids(qm).is_empty(), "processes left");
    assert_eq!(a.probe(qm).rc, 7);
    assert_eq!(a.act("stop", qm).rc, 0, "stop is idempotent");
}

#[test]
fn start_beside_an_active_instance_makes_a_standby() {
    let qm = "QMMI2";
    let Pair { a, b, .. } = &pair(qm);
    // An active instance started by hand on A, outside the cluster.
    assert_eq!(a.mq("strmqm", &["-x", qm]).rc, 0);
    let r = b.act("start", qm);
    assert_eq!(r.rc, 0, "start beside an active instance: {r:?}");
    assert_eq!(b.status(qm), "RUNNING AS STANDBY", "strmqm -x rc 30 is success");
    assert_eq!(b.monitor(qm, 0).rc, 0);
    // promote B while A is still active: the standby cannot take over, promote fails and says why.
    let r = b.agent("promote", qm, &[("OCF_RESKEY_CRM_meta_timeout", "4000")]);
    assert_eq!(r.rc, 1, "promote while the active runs elsewhere: {r:?}");
    assert!(r.reason().contains("still runs on nodea.example.com"), "{}", r.reason());
    assert_eq!(b.status(qm), "RUNNING AS STANDBY");
    assert_eq!(a.status(qm), "RUNNING");
    // Stopping B's standby leaves A's active alone.
    assert_eq!(b.act("stop", qm).rc, 0);
    assert_eq!(a.status(qm), "RUNNING");
    assert!(b.pids(qm).is_empty());
}

#[test]
fn single_instance_resources_do_not_promote() {
    let qm = "QMMI3";
    let Pair { a, .. } = &pair(qm);
    for action in ["promote", "demote"] {
        let r = a.agent(action, qm, &[("OCF_RESKEY_multi_instance", "false")]);
        assert_eq!(r.rc, 3, "{action} with multi_instance=false: {r:?}");
    }
    // A standby outside the cluster is still an error for a single-instance resource.
    assert_eq!(a.mq("strmqm", &["-x", qm]).rc, 0);
    let r =
        a.agent("monitor", qm, &[("OCF_RESKEY_multi_instance", "false"), ("OCF_RESKEY_CRM_meta_interval", "20000")]);
    assert_eq!(r.rc, 0, "single-instance monitor of an active -x instance: {r:?}");
}

/// Single-instance start on B while A's instance still holds the data (a partition before the
/// isolated node has stopped): B waits within its budget and starts once A lets go.
#[test]
fn single_instance_start_waits_for_the_other_node_to_release_the_data() {
    let qm = "QMMI4";
    let Pair { a, b, .. } = &pair(qm);
    let single = [("OCF_RESKEY_multi_instance", "false")];
    assert_eq!(a.mq("strmqm", &[qm]).rc, 0);
    assert_eq!(b.status(qm), "RUNNING ELSEWHERE");
    let r = std::thread::scope(|s| {
        let release = s.spawn(|| {
            std::thread::sleep(Duration::from_millis(1500));
            a.mq("endmqm", &["-i", qm])
        });
        let r = b.agent("start", qm, &single);
        assert_eq!(release.join().unwrap().rc, 0, "endmqm -i on A");
        r
    });
    assert_eq!(r.rc, 0, "start after A released the data: {r:?}");
    assert!(r.elapsed >= Duration::from_millis(1400), "started before A let go: {r:?}");
    assert_eq!(b.status(qm), "RUNNING");
    assert!(a.pids(qm).is_empty());
    assert_eq!(b.act("stop", qm).rc, 0);
}

/// The same when A never lets go: the start fails at its budget, says why, and starts nothing.
#[test]
fn single_instance_start_fails_when_the_data_is_never_released() {
    let qm = "QMMI5";
    let Pair { a, b, .. } = &pair(qm);
    assert_eq!(a.mq("strmqm", &[qm]).rc, 0);
    let r = b.agent("start", qm, &[("OCF_RESKEY_multi_instance", "false"), ("OCF_RESKEY_CRM_meta_timeout", "4000")]);
    assert_eq!(r.rc, 1, "start while A holds the data: {r:?}");
    assert!(r.reason().contains("still Running elsewhere"), "{}", r.reason());
    assert!(r.elapsed >= Duration::from_millis(2000) && r.elapsed < Duration::from_secs(5), "waited {:?}", r.elapsed);
    assert!(b.pids(qm).is_empty(), "B started processes: {:?}", b.pids(qm));
    assert_eq!(a.status(qm), "RUNNING");
}

#[test]
fn a_takeover_behind_a_lock_lease_then_a_log_replay_is_not_failed() {
    let qm = "QMMIL";
    let Pair { a, b, .. } = &pair(qm);
    // A's lock is a 3 s NFSv4 lease (90 s by default on a Linux NFS server); B replays for 4 s.
    a.fault(qm, "lock-lease", Some("3"));
    b.fault(qm, "log-replay", Some("4"));
    for n in [a, b] {
        assert_eq!(n.act("start", qm).rc, 0);
    }
    assert_eq!(a.act("promote", qm).rc, 0);
    let r = b.agent(
        "notify",
        qm,
        &[("OCF_RESKEY_CRM_meta_notify_type", "post"), ("OCF_RESKEY_CRM_meta_notify_operation", "promote")],
    );
    assert_eq!(r.rc, 0, "notify: {r:?}");
    assert_eq!(b.status(qm), "RUNNING AS STANDBY");

    // A's node dies: its lock stays leased; B stays a healthy standby meanwhile.
    a.crash(qm, false);
    let t = Instant::now();
    let short = |n: &Node| {
        n.agent("monitor", qm, &[("OCF_RESKEY_CRM_meta_interval", "15000"), ("OCF_RESKEY_CRM_meta_timeout", "4000")])
    };
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(b.status(qm), "RUNNING AS STANDBY", "B took over inside A's lease");
    assert_eq!(short(b).rc, 0, "B's standby during the lease");

    // The lease runs out: B takes over and replays its log. A monitor meanwhile does not fail it
    // (a short monitor timeout: it cannot wait the replay out).
    within("B taking over (Starting)", Duration::from_secs(10), || b.status(qm) == "STARTING");
    assert!(t.elapsed() >= Duration::from_secs(2), "B took over inside the lease: {:?}", t.elapsed());
    let r = short(b);
    assert_eq!(r.rc, 0, "B's monitor during the takeover's replay: {r:?}");
    assert!(r.elapsed < Duration::from_secs(4), "{:?}", r.elapsed);
    // Pacemaker promotes B during the replay: promote waits for it within its own timeout.
    let r = b.act("promote", qm);
    assert_eq!(r.rc, 0, "promote during the replay: {r:?}");
    assert_eq!(b.status(qm), "RUNNING");
    assert!(t.elapsed() >= Duration::from_secs(5), "B ran before lease + replay: {:?}", t.elapsed());
    assert_eq!(b.monitor(qm, 10).rc, 8);
    // A was promoted and its instance is gone: failed promoted, recovered as a standby by demote.
    assert_eq!(a.monitor(qm, 0).rc, 9);
    assert_eq!(a.act("demote", qm).rc, 0);
    assert_eq!(a.status(qm), "RUNNING AS STANDBY");
    for n in [a, b] {
        assert_eq!(n.act("stop", qm).rc, 0);
    }
    assert!(a.pids(qm).is_empty() && b.pids(qm).is_empty(), "processes left");
}

/// A failover group on shared storage whose active node died: its NFSv4 lease keeps the data
/// Running elsewhere; the start here waits it out within its budget and then starts (the log
/// replay included).
#[test]
fn single_instance_start_waits_out_a_dead_nodes_lock_lease() {
    let qm = "QMMI6";
    let Pair { a, b, .. } = &pair(qm);
    a.fault(qm, "lock-lease", Some("3"));
    b.fault(qm, "log-replay", Some("2"));
    assert_eq!(a.mq("strmqm", &[qm]).rc, 0);
    a.crash(qm, false);
    let t = Instant::now();
    assert_eq!(b.status(qm), "RUNNING ELSEWHERE");
    let r = b.agent("start", qm, &[("OCF_RESKEY_multi_instance", "false"), ("OCF_RESKEY_CRM_meta_timeout", "30000")]);
    assert_eq!(r.rc, 0, "start behind the lease: {r:?}");
    assert!(t.elapsed() >= Duration::from_secs(4), "started inside lease + replay: {:?}", t.elapsed());
    assert!(r.stderr.contains("released the data"), "{}", r.stderr);
    assert_eq!(b.status(qm), "RUNNING");
    assert_eq!(b.act("stop", qm).rc, 0);
    assert!(b.pids(qm).is_empty());
}

// docs/reference/mqi.md#standby-reason: a client check whose client_conname reaches the standby
// instance gets 2543. The promoted instance serves (its bindings checks pass): the monitor says
// degraded (191) with the reason, never failed (9), so Pacemaker does not bounce a healthy active
// over where the connection name points.
#[test]
fn a_client_check_reaching_the_standby_degrades_not_fails() {
    let qm = "QMMI6";
    let Pair { a, b, .. } = &pair(qm);
    assert_eq!(a.act("start", qm).rc, 0);
    assert_eq!(b.act("start", qm).rc, 0);
    assert_eq!(a.act("promote", qm).rc, 0);
    let r = b.agent(
        "notify",
        qm,
        &[("OCF_RESKEY_CRM_meta_notify_type", "post"), ("OCF_RESKEY_CRM_meta_notify_operation", "promote")],
    );
    assert_eq!(r.rc, 0, "notify: {r:?}");
    assert_eq!(b.status(qm), "RUNNING AS STANDBY");
    // The listener an administrator runs by hand on the standby's node.
    let (mut lsr, port) = b.listen_for(qm, Duration::from_secs(10));
    let conname = format!("127.0.0.1({port})");
    let r = a.agent(
        "monitor",
        qm,
        &[
            ("OCF_RESKEY_CRM_meta_interval", "15000"),
            ("OCF_CHECK_LEVEL", "20"),
            ("OCF_RESKEY_client_channel", "SYSTEM.DEF.SVRCONN"),
            ("OCF_RESKEY_client_conname", &conname),
        ],
    );
    lsr.kill();
    assert_eq!(r.rc, 191, "depth 20 with client_conname at the standby: {r:?}");
    assert!(r.reason().contains("2543"), "the exit reason names the code: {r:?}");
    assert!(r.stderr.contains("standby instance"), "the log has the hint: {r:?}");
    assert_eq!(a.status(qm), "RUNNING");
}

#[test]
fn a_hung_active_instance_fails_within_hang_timeout_and_its_stop_skips_the_quiesce() {
    let qm = "MIHANG";
    let Pair { a, .. } = &pair(qm);
    assert_eq!(a.act("start", qm).rc, 0);
    assert_eq!(a.act("promote", qm).rc, 0, "promote A");
    a.fault(qm, "hang", None);
    let d = ("OCF_CHECK_LEVEL", "10");
    let r = a.agent("monitor", qm, &[("OCF_RESKEY_CRM_meta_interval", "15000"), d, ("OCF_RESKEY_hang_timeout", "2")]);
    assert_eq!(r.rc, 9, "a hung promoted instance is failed-promoted: {r:?}");
    assert!(r.reason().contains("hung") && r.reason().contains("hang_timeout=2s"), "{}", r.reason());
    assert!(r.elapsed < Duration::from_secs(6), "hung reported after {:?}", r.elapsed);
    // The monitor's verdict: the stop goes straight to endmqm -p.
    let r = a.agent("stop", qm, &[("OCF_RESKEY_hang_timeout", "2")]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.stderr.contains("a monitor found MIHANG hung"), "{}", r.stderr);
    assert!(!r.stderr.contains("running endmqm -i") && !r.stderr.contains("running endmqm -s"), "{}", r.stderr);
    a.clear_fault(qm, "hang");
    assert!(a.pids(qm).is_empty(), "processes left: {:?}", a.pids(qm));
}
