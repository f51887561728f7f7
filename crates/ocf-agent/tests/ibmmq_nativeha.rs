//! The built ibmmq agent with native_ha=true, driven as Pacemaker drives a promotable clone of
//! three, against three simulated installations ("nodes") each with its own data and log, whose
//! instances replicate and elect over loopback TCP (crates/mq-sim, Native HA): every action's exit
//! code and reason, the roles dspmq shows after it, and what happens when the active instance's
//! processes die. Run as root (tests/setup.sh first). The agent sees only what an administrator's
//! MQ shows: dspmq and /proc.

use mq_testkit::{eventually, qm_pids, Ocf, Run, Sim, NHA_INSTANCES};

use std::time::{Duration, Instant};

/// One simulated node: its installation and its own HA_RSCTMP (as each machine has /run).
struct Node {
    sim: Sim,
    rsctmp: std::path::PathBuf,
    instance: &'static str,
}

impl std::ops::Deref for Node {
    type Target = Sim;
    fn deref(&self) -> &Sim {
        &self.sim
    }
}

impl Node {
    /// The agent as Pacemaker runs a clone instance's action on this node.
    fn agent(&self, action: &str, qm: &str, extra: &[(&str, &str)]) -> Run {
        Ocf::new("nha_qm:0", 60000)
            .set("OCF_RESOURCE_TYPE", "ibmmq")
            .set("HA_RSCTMP", &self.rsctmp)
            .set("OCF_RESKEY_CRM_meta_clone_max", "3")
            .set("OCF_RESKEY_CRM_meta_clone_node_max", "1")
            .set("OCF_RESKEY_CRM_meta_promoted_max", "1")
            .set("OCF_RESKEY_CRM_meta_promotable", "true")
            .param("qmgr", qm)
            .param("native_ha", "true")
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

/// Three nodes of queue manager `qm`; all torn down on drop, also when a test fails.
fn group(version: &str, qm: &str) -> Vec<Node> {
    Sim::native_ha_of(version, qm)
        .into_iter()
        .zip(NHA_INSTANCES)
        .map(|(sim, instance)| {
            let rsctmp = sim.dir().join(format!("{instance}-rsctmp"));
            Node { sim, rsctmp, instance }
        })
        .collect()
}

/// Starts the clone instance on every node at once (a new group elects only once all three run,
/// so the starts must overlap as Pacemaker runs them) and returns their results.
fn start_all(nodes: &[Node], qm: &str) -> Vec<Run> {
    std::thread::scope(|s| {
        let handles: Vec<_> = nodes.iter().map(|n| s.spawn(move || n.act("start", qm))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The index of the node dspmq calls ACTIVE, once exactly one does.
fn active(nodes: &[Node], qm: &str, within: Duration) -> usize {
    let t = Instant::now();
    loop {
        let a: Vec<usize> = (0..nodes.len()).filter(|i| nodes[*i].nha_role(qm) == "ACTIVE").collect();
        if let [one] = a.as_slice() {
            return *one;
        }
        assert!(t.elapsed() < within, "no single ACTIVE instance within {within:?}: {a:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until `n`'s monitor says 0: a replica in sync and connected to the active.
fn in_sync(n: &Node, qm: &str) {
    eventually(&format!("{} a healthy replica", n.instance), Duration::from_secs(30), || {
        let r = n.monitor(qm, 0);
        if r.rc == 0 {
            Ok(())
        } else {
            Err(format!("rc {}: {}", r.rc, r.reason()))
        }
    });
}

#[test]
fn promotable_clone_of_three_follows_mq() {
    let qm = "QMNHA1";
    let nodes = group("9.4.4.0", qm);
    for n in &nodes {
        assert_eq!(n.probe(qm).rc, 7, "probe before start on {}", n.instance);
    }
    // start: each node's instance joins; MQ elects one of them active.
    for (n, r) in nodes.iter().zip(start_all(&nodes, qm)) {
        assert_eq!(r.rc, 0, "start on {}: {r:?}", n.instance);
    }
    let a = active(&nodes, qm, Duration::from_secs(30));
    let (r1, r2) = ((a + 1) % 3, (a + 2) % 3);
    // MQ elected `a` but Pacemaker has not promoted it yet: healthy, asking to be promoted.
    assert_eq!(nodes[a].monitor(qm, 0).rc, 0);
    // promote on a replica: refused, naming the instance MQ elected.
    in_sync(&nodes[r1], qm);
    let r = nodes[r1].act("promote", qm);
    assert_eq!(r.rc, 1, "promote on a replica: {r:?}");
    assert!(r.reason().contains(&format!("MQ elected {}", nodes[a].instance)), "{}", r.reason());
    // promote where MQ elected: 8 there, 0 on both replicas.
    let r = nodes[a].act("promote", qm);
    assert_eq!(r.rc, 0, "promote on the active: {r:?}");
    assert_eq!(nodes[a].monitor(qm, 10).rc, 8);
    assert_eq!(nodes[r1].monitor(qm, 0).rc, 0);
    assert_eq!(nodes[r2].monitor(qm, 0).rc, 0);

    // demote hands the active role over (endmqm -s) and comes back as a replica.
    let r = nodes[a].act("demote", qm);
    assert_eq!(r.rc, 0, "demote: {r:?}");
    let b = active(&nodes, qm, Duration::from_secs(30));
    assert_ne!(b, a, "another instance is active after demote");
    assert_eq!(nodes[a].nha_role(qm), "REPLICA");
    // Back as a replica: degraded (190, with the reason) until it has connected and caught up.
    let r = nodes[a].monitor(qm, 0);
    assert!(matches!(r.rc, 0 | 190), "the demoted instance: {r:?}");
    println!("demoted instance's first monitor: {} {}", r.rc, r.reason());
    in_sync(&nodes[a], qm);
    assert_eq!(nodes[b].act("promote", qm).rc, 0);
    assert_eq!(nodes[b].monitor(qm, 0).rc, 8);

    // The active instance's processes die: MQ elects another; the old one's monitor fails (1:
    // a lost active), its probe says not running (7).
    nodes[b].crash(qm, false);
    let c = active(&nodes, qm, Duration::from_secs(30));
    assert_ne!(c, b);
    let r = nodes[b].monitor(qm, 0);
    assert_eq!(r.rc, 1, "the lost active: {r:?}");
    assert_eq!(nodes[b].probe(qm).rc, 7);
    assert_eq!(nodes[c].act("promote", qm).rc, 0);
    assert_eq!(nodes[c].monitor(qm, 0).rc, 8, "the new active");

    // With b's instance gone, the two left are the last in-sync pair: stopping the replica is refused.
    let replica = 3 - b - c;
    let r = nodes[replica].act("stop", qm);
    assert_eq!(r.rc, 1, "stop of the last in-sync replica: {r:?}");
    assert!(r.reason().contains("refused"), "{}", r.reason());
    assert!(!nodes[replica].pids(qm).is_empty(), "the refused stop ended it");
    assert_eq!(nodes[replica].nha_role(qm), "REPLICA");

    // Tear down: the whole clone stopped (target-role Stopped).
    for n in &nodes {
        let r = n.agent("stop", qm, &[("OCF_RESKEY_CRM_meta_target_role", "Stopped")]);
        assert_eq!(r.rc, 0, "stop on {}: {r:?}", n.instance);
        assert!(n.pids(qm).is_empty());
    }
}

/// Waits until `n`'s recurring monitor gives `rc` with `words` in its reason; returns the reason.
fn monitor_until(n: &Node, qm: &str, rc: i32, words: &str) -> String {
    eventually(&format!("{} monitor {rc} '{words}'", n.instance), Duration::from_secs(30), || {
        let r = n.monitor(qm, 0);
        if r.rc == rc && r.reason().contains(words) {
            Ok(r.reason())
        } else {
            Err(format!("rc {}: {}", r.rc, r.reason()))
        }
    })
}

#[test]
fn a_lagging_replica_and_an_isolated_active_are_reported() {
    let qm = "QMNHA2";
    let nodes = group("10.0.0.0", qm);
    for (n, r) in nodes.iter().zip(start_all(&nodes, qm)) {
        assert_eq!(r.rc, 0, "start on {}: {r:?}", n.instance);
    }
    let a = active(&nodes, qm, Duration::from_secs(30));
    let (r1, r2) = ((a + 1) % 3, (a + 2) % 3);
    assert_eq!(nodes[a].act("promote", qm).rc, 0);
    in_sync(&nodes[r1], qm);
    in_sync(&nodes[r2], qm);

    // A replica that holds its acknowledgements back while persistent messages are put: degraded
    // (190) with its backlog, no promotion score; healthy again once it has caught up.
    nodes[r1].fault(qm, "nha-lag", Some("100"));
    nodes[a].mqsc_ok(qm, "DEFINE QLOCAL(PQ) DEFPSIST(YES)\n");
    let body: String = (0..400).map(|i| format!("persistent message {i} {}\n", "x".repeat(400))).collect();
    assert_eq!(nodes[a].sample("amqsput", &["PQ", qm], &format!("{body}\n"), &[]).rc, 0);
    let why = monitor_until(&nodes[r1], qm, 190, "out of sync");
    println!("lagging replica: {why}");
    assert_eq!(nodes[a].monitor(qm, 0).rc, 8, "the active is unaffected");
    assert_eq!(nodes[r2].monitor(qm, 0).rc, 0, "the other replica is unaffected");
    nodes[r1].clear_fault(qm, "nha-lag");
    in_sync(&nodes[r1], qm);

    // The active cut off from both replicas: it gives the role up (no quorum), the other two
    // elect; the isolated instance, still promoted in Pacemaker's eyes, fails promoted (9) naming
    // the new active, and a probe there shows the lost quorum as degraded.
    nodes[a].fault(qm, "nha-isolate", None);
    let b = eventually("another active", Duration::from_secs(30), || {
        let act: Vec<usize> = (0..3).filter(|i| *i != a && nodes[*i].nha_role(qm) == "ACTIVE").collect();
        match act.as_slice() {
            [one] => Ok(*one),
            other => Err(format!("{other:?}")),
        }
    });
    let why = monitor_until(&nodes[a], qm, 9, "should be active here");
    println!("isolated old active: {why}");
    let r = nodes[a].probe(qm);
    assert_eq!(r.rc, 190, "probe of the isolated instance: {r:?}");
    assert!(r.reason().contains("no quorum: 0/3"), "{}", r.reason());
    // Pacemaker's recovery: demote where MQ no longer runs the active (nothing to hand over),
    // promote where MQ elected.
    let r = nodes[a].act("demote", qm);
    assert_eq!(r.rc, 0, "demote of the isolated instance: {r:?}");
    assert_eq!(nodes[b].act("promote", qm).rc, 0);
    assert_eq!(nodes[b].monitor(qm, 0).rc, 8);
    // Healed: it rejoins as a replica and catches up.
    nodes[a].clear_fault(qm, "nha-isolate");
    in_sync(&nodes[a], qm);
    assert_eq!(nodes[a].nha_role(qm), "REPLICA");

    for n in &nodes {
        let r = n.agent("stop", qm, &[("OCF_RESKEY_CRM_meta_target_role", "Stopped")]);
        assert_eq!(r.rc, 0, "stop on {}: {r:?}", n.instance);
        assert!(n.pids(qm).is_empty());
    }
}
