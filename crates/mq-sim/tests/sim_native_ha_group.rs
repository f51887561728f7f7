//! The running Native HA group (docs/reference/native-ha.md): three installations ("nodes") in one
//! temporary directory, each with its own data and log, replicating over loopback TCP; election
//! (#quorum-and-election), failover after a lost active (#instance-lost), rejoin
//! (#restarting-an-instance), a partition isolating the active (#partition) and endmqm's Native HA
//! modes (#endmqm). Every wait is bounded; the installations' Drop ends every process.

use mq_testkit::*;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Elections in tests: timeouts 200-400 ms, the active's lease 100 ms (fault nha-election-ms).
const ELECTION_MS: &str = "200";
const WITHIN: Duration = Duration::from_secs(20);

struct Group {
    nodes: Vec<Sim>,
    qm: String,
    starts: Vec<Spawned>,
}

/// What the local instance's status record says, when its controller is alive.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    role: String,
    quorum: (u64, u64),
    insync: bool,
    backlog: Vec<u64>,
    /// INSYNC of each instance line (stanza order).
    lines_insync: Vec<bool>,
}

fn group(tag: &str) -> Group {
    group_started(tag, &[0, 1, 2])
}

/// A new group (`Sim::native_ha_of`, 9.4.4) with strmqm run on the nodes in `start`.
fn group_started(tag: &str, start: &[usize]) -> Group {
    let qm = format!("{tag}{}", std::process::id() % 100_000);
    let nodes = Sim::native_ha_of("9.4.4.0", &qm).into();
    let mut g = Group { nodes, qm, starts: Vec::new() };
    for n in &g.nodes {
        n.fault(&g.qm, "nha-election-ms", Some(ELECTION_MS));
    }
    for i in start {
        g.start(*i);
    }
    g
}

impl Group {
    /// strmqm on node `i`, in the background: it may wait for the election (bounded by the test;
    /// the controller it started lives on, in its own session).
    fn start(&mut self, i: usize) {
        let n = &self.nodes[i];
        let mut c = Command::new(n.bin("strmqm"));
        c.arg(&self.qm).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        User::named(&n.user).apply(&mut c);
        self.starts.push(Spawned::start(&mut c));
    }

    fn record(&self, i: usize) -> PathBuf {
        self.nodes[i].root.join(".mqsim/run").join(&self.qm).join("nha.json")
    }

    /// What `dspmq -n -o nativeha -x` on node `i` says, when the instance runs there (its status
    /// record's writer, the execution controller, is alive).
    fn seen(&self, i: usize) -> Option<Seen> {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(self.record(i)).ok()?).ok()?;
        let pid = v["controller_pid"].as_u64()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        if comm.trim() != "amqzxma0" {
            return None;
        }
        let out = self.nodes[i].mq("dspmq", &["-n", "-o", "nativeha", "-x", "-m", &self.qm]).stdout;
        let field = |text: &str, name: &str| -> Option<String> {
            Some(text.split(&format!(" {name}(")).nth(1)?.split(')').next()?.to_string())
        };
        let first = out.lines().next()?;
        let quorum = field(first, "QUORUM")?;
        let (q, n) = quorum.split_once('/')?;
        Some(Seen {
            role: field(first, "ROLE")?,
            quorum: (q.parse().ok()?, n.parse().ok()?),
            insync: field(first, "INSYNC")? == "YES",
            backlog: out.lines().skip(1).filter_map(|l| field(l, "BACKLOG")?.parse().ok()).collect(),
            lines_insync: out.lines().skip(1).filter_map(|l| Some(field(l, "INSYNC")? == "YES")).collect(),
        })
    }

    /// Waits until exactly one instance is Active and `replicas` are in-sync Replicas, all with
    /// QUORUM(`quorum`/3); the active's index. Asserts on the way that no two are ever Active.
    fn wait_group(&self, replicas: usize, quorum: u64, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        loop {
            let seen: Vec<Option<Seen>> = (0..3).map(|i| self.seen(i)).collect();
            let act: Vec<usize> = (0..3).filter(|i| seen[*i].as_ref().is_some_and(|s| s.role == "ACTIVE")).collect();
            assert!(act.len() <= 1, "two active instances: {seen:?}");
            let reps = seen.iter().flatten().filter(|s| s.role == "REPLICA" && s.insync).count();
            let quorate = seen.iter().flatten().all(|s| s.quorum == (quorum, 3));
            if act.len() == 1 && reps == replicas && quorate {
                return act[0];
            }
            assert!(
                Instant::now() < deadline,
                "no group of 1 active + {replicas} replicas, quorum {quorum}/3: {seen:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn depth(&self, i: usize, q: &str) -> u32 {
        let out = self.nodes[i].mqsc_ok(&self.qm, &format!("DISPLAY QLOCAL({q}) CURDEPTH\n"));
        out.split("CURDEPTH(").nth(1).and_then(|s| s.split(')').next()).and_then(|d| d.parse().ok()).unwrap_or(u32::MAX)
    }

    fn error_log(&self, i: usize) -> String {
        std::fs::read_to_string(self.nodes[i].data().join("qmgrs").join(&self.qm).join("errors/AMQERR01.LOG"))
            .unwrap_or_default()
    }

    fn programs(&self, i: usize) -> Vec<String> {
        let mut p: Vec<String> = self.nodes[i]
            .processes()
            .into_iter()
            .filter(|p| p.cmdline.iter().any(|a| a == &self.qm || a == &format!("-m{}", self.qm)))
            .map(|p| p.comm)
            .collect();
        p.sort();
        p
    }

    fn endmqm(&self, i: usize, args: &[&str]) -> Run {
        let mut a = args.to_vec();
        a.push(&self.qm);
        self.nodes[i].mq("endmqm", &a)
    }

    fn wait_gone(&self, i: usize, within: Duration) {
        eventually("the instance's processes to end", within, || {
            let p = self.programs(i);
            if p.is_empty() {
                Ok(())
            } else {
                Err(format!("{p:?}"))
            }
        });
    }
}

#[test]
fn three_instances_elect_one_active_and_two_in_sync_replicas() {
    let mut g = group("NHAUP");
    let active = g.wait_group(2, 3, WITHIN);
    // strmqm returned once its instance had a role: 0 on the active, 94 on a replica (#strmqm).
    for (i, s) in g.starts.iter_mut().enumerate() {
        let want = if i == active { 0 } else { 94 };
        assert_eq!(s.wait_within(WITHIN), Some(want), "strmqm on node {i}");
    }
    // The active runs the whole family, the replicas only the standby set (UNCONFIRMED set).
    let family = g.programs(active);
    for prog in ["amqzlaa0", "amqzmur0", "amqzxma0"] {
        assert!(family.contains(&prog.to_string()), "{prog} on the active: {family:?}");
    }
    for r in (0..3).filter(|i| *i != active) {
        let p = g.programs(r);
        assert!(!p.contains(&"amqzlaa0".to_string()) && !p.contains(&"amqzmur0".to_string()), "replica runs {p:?}");
        assert!(p.contains(&"amqzmgr0".to_string()), "replica runs {p:?}");
    }
    // The error log tells the story IBM's does (#error-log-messages).
    assert!(g.error_log(active).contains("AMQ3215I"), "{}", g.error_log(active));
    let all: String = (0..3).map(|i| g.error_log(i)).collect();
    assert!(all.contains("AMQ3211I") && all.contains("AMQ3213I"), "{all}");
    // The active answers runmqsc; a replica has no engine to answer.
    let r = g.nodes[active].runmqsc(&[&g.qm], "DISPLAY QMGR QMNAME\n");
    assert_eq!(r.rc, 0, "{r:?}");
}

#[test]
fn the_first_election_waits_for_all_three() {
    let mut g = group_started("NHA1ST", &[0, 1]);
    // Two of a new group: connected, but no active (#strmqm: the first election needs all three).
    eventually("both instances to run", WITHIN, || match (g.seen(0), g.seen(1)) {
        (Some(_), Some(_)) => Ok(()),
        other => Err(format!("{other:?}")),
    });
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let (a, b) = (g.seen(0).unwrap(), g.seen(1).unwrap());
        assert!(a.role == "UNKNOWN" && b.role == "UNKNOWN", "two of a new group elected: {a:?} {b:?}");
        assert_eq!((a.quorum, b.quorum), ((0, 3), (0, 3)));
        std::thread::sleep(Duration::from_millis(20));
    }
    g.start(2);
    g.wait_group(2, 3, WITHIN);
}

#[test]
fn a_lost_active_is_replaced_with_its_persistent_messages_and_comes_back_in_sync() {
    let mut g = group("NHAFO");
    let old = g.wait_group(2, 3, WITHIN);
    let n = &g.nodes[old];
    n.mqsc_ok(&g.qm, "DEFINE QLOCAL(PQ) DEFPSIST(YES)\nDEFINE QLOCAL(NQ) DEFPSIST(NO)\n");
    assert_eq!(n.sample("amqsput", &["PQ", &g.qm], "first\nsecond\n\n", &[]).rc, 0);
    assert_eq!(n.sample("amqsput", &["NQ", &g.qm], "volatile\n\n", &[]).rc, 0);
    assert_eq!((g.depth(old, "PQ"), g.depth(old, "NQ")), (2, 1));
    g.nodes[old].crash(&g.qm, false);
    let t = Instant::now();
    let new = g.wait_group(1, 2, WITHIN);
    assert_ne!(new, old);
    eprintln!("failover: {} ms", t.elapsed().as_millis());
    assert!(g.error_log(new).contains("AMQ3215I"));
    // The new active opened its engine from its OWN files: the persistent messages (and the
    // definitions) are there, the non-persistent one is gone (#persistent-messages).
    assert_eq!((g.depth(new, "PQ"), g.depth(new, "NQ")), (2, 0));
    assert_eq!(g.nodes[new].sample("amqsput", &["PQ", &g.qm], "third\n\n", &[]).rc, 0);
    // Restarted, the lost instance rejoins as a replica and catches up on what it missed (its
    // backlog back to 0, in sync); no move back (#restarting-an-instance).
    g.start(old);
    assert_eq!(g.wait_group(2, 3, WITHIN), new);
    assert_eq!(g.seen(old).unwrap().role, "REPLICA");
    assert!(g.seen(new).unwrap().backlog.iter().all(|b| *b == 0), "{:?}", g.seen(new));
    // Lose this active too: whichever replica takes over holds all three.
    g.nodes[new].crash(&g.qm, false);
    let last = g.wait_group(1, 2, WITHIN);
    assert_eq!(g.depth(last, "PQ"), 3);
}

#[test]
fn an_isolated_active_gives_up_the_role_and_the_others_elect_never_two_actives() {
    let g = group("NHAISO");
    let old = g.wait_group(2, 3, WITHIN);
    g.nodes[old].fault(&g.qm, "nha-isolate", None);
    let deadline = Instant::now() + WITHIN;
    let mut samples = 0;
    let new = loop {
        let seen: Vec<Option<Seen>> = (0..3).map(|i| g.seen(i)).collect();
        let act: Vec<usize> = (0..3).filter(|i| seen[*i].as_ref().is_some_and(|s| s.role == "ACTIVE")).collect();
        assert!(act.len() <= 1, "two active instances after {samples} samples: {seen:?}");
        samples += 1;
        let old_seen = seen[old].clone().expect("the isolated instance keeps running");
        if act.len() == 1 && act[0] != old && old_seen.role == "UNKNOWN" && old_seen.quorum == (0, 3) {
            break act[0];
        }
        assert!(Instant::now() < deadline, "no new active: {seen:?}");
        std::thread::sleep(Duration::from_millis(5));
    };
    // The old active took its engine down: nothing answers there.
    let r = g.nodes[old].runmqsc(&[&g.qm], "DISPLAY QMGR QMNAME\n");
    assert_ne!(r.rc, 0, "{r:?}");
    // Healed, it rejoins as a replica of the new active.
    g.nodes[old].clear_fault(&g.qm, "nha-isolate");
    assert_eq!(g.wait_group(2, 3, WITHIN), new);
}

#[test]
fn endmqm_keeps_the_quorum_hands_over_and_ends_the_group() {
    let mut g = group("NHAEND");
    let active = g.wait_group(2, 3, WITHIN);
    let reps: Vec<usize> = (0..3).filter(|i| *i != active).collect();
    // Plain endmqm on a replica: refused, as for a standby without -x.
    assert_eq!(g.endmqm(reps[0], &[]).rc, 26);
    // -x on the active: refused (UNCONFIRMED), nothing stopped.
    assert_eq!(g.endmqm(active, &["-x"]).rc, 40);
    // -x on a replica with three in sync: it ends.
    let r = g.endmqm(reps[0], &["-w", "-x"]);
    assert_eq!(r.rc, 0, "{r:?}");
    g.wait_gone(reps[0], WITHIN);
    g.wait_group(1, 2, WITHIN);
    // The second replica cannot go, nor can the active hand over: quorum would break.
    let r = g.endmqm(reps[1], &["-x"]);
    assert_eq!(r.rc, 71, "{r:?}");
    assert!(r.stdout.contains("quorum"), "{r:?}");
    assert_eq!(g.endmqm(active, &["-s"]).rc, 71);
    assert_eq!(g.wait_group(1, 2, WITHIN), active, "a refused endmqm stopped something");
    // Back to three; -s hands the active role to another instance.
    g.start(reps[0]);
    g.wait_group(2, 3, WITHIN);
    let r = g.endmqm(active, &["-w", "-s"]);
    assert_eq!(r.rc, 0, "{r:?}");
    g.wait_gone(active, WITHIN);
    let next = g.wait_group(1, 2, WITHIN);
    assert_ne!(next, active);
    // Plain endmqm on the active ends the whole group (the stricter reading, UNCONFIRMED).
    let r = g.endmqm(next, &["-w"]);
    assert_eq!(r.rc, 0, "{r:?}");
    for i in 0..3 {
        g.wait_gone(i, WITHIN);
    }
}

#[test]
fn a_lagging_replica_shows_out_of_sync_with_a_backlog_and_catches_up() {
    let g = group("NHALAG");
    let active = g.wait_group(2, 3, WITHIN);
    let lag = (active + 1) % 3;
    g.nodes[lag].fault(&g.qm, "nha-lag", Some("100"));
    let n = &g.nodes[active];
    n.mqsc_ok(&g.qm, "DEFINE QLOCAL(PQ) DEFPSIST(YES)\n");
    // The other replica acknowledges: persistent puts still succeed (quorum to write).
    assert_eq!(n.sample("amqsput", &["PQ", &g.qm], "one\ntwo\nthree\n\n", &[]).rc, 0);
    let s = eventually("the lagging replica to show out of sync", WITHIN, || match g.seen(active) {
        Some(s) if !s.lines_insync[lag] && s.backlog[lag] > 0 => Ok(s),
        other => Err(format!("{other:?}")),
    });
    assert_eq!(s.quorum, (2, 3), "{s:?}");
    assert!(s.lines_insync[(active + 2) % 3], "{s:?}");
    // Lag over: it acknowledges everything, back in sync.
    g.nodes[lag].clear_fault(&g.qm, "nha-lag");
    g.wait_group(2, 3, WITHIN);
    assert!(g.seen(active).unwrap().backlog.iter().all(|b| *b == 0));
}
