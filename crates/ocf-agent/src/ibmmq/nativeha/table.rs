//! The Native HA monitor table: what dspmq (`-n -m QM` for this node's STATUS, `-n -o nativeha
//! -x` for the role, in-sync state and quorum), /proc and the role file say, as an exit code and
//! the promotion score to publish. Pure; the unit tests pin every row.
//!
//! MQ elects the active instance (docs/reference/native-ha.md#quorum-and-election); the scores
//! only follow it, so that Pacemaker promotes, and places the virtual IP with, the node MQ
//! elected: the active 1000, an in-sync replica connected to the active 10 (the only kind MQ can
//! elect next), anything else none.

use mq_core::dspmq::nativeha::{NhaReport, NhaRole};
use mq_core::QmState;

use crate::ibmmq::multi::role::Role;
use crate::ibmmq::table::{self, Verdict};
use crate::ocf::OcfExit;

pub const SCORE_ACTIVE: u32 = 1000;
pub const SCORE_IN_SYNC: u32 = 10;

/// What the monitor saw.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The single-instance facts: the queue manager, probe, dspmq STATUS, processes.
    pub base: table::Facts<'a>,
    /// `dspmq -n -o nativeha -x`, read when a process of the queue manager runs here.
    pub report: Option<&'a Result<NhaReport, String>>,
    /// What Pacemaker last made this instance (None: not started here, or a probe).
    pub role: Option<Role>,
}

/// The score of this node's instance as its report shows it.
pub fn score_of(r: &NhaReport) -> Option<u32> {
    match r.role {
        NhaRole::Active => Some(SCORE_ACTIVE),
        NhaRole::Replica if r.insync && r.local().is_none_or(|me| me.connactv) => Some(SCORE_IN_SYNC),
        _ => None,
    }
}

/// Why a running replica is not healthy, if it is not: the reasons of the 190 rows.
pub fn replica_trouble(qm: &str, r: &NhaReport) -> Option<String> {
    let me = r.local();
    if r.role == NhaRole::Unknown {
        return Some(format!("{qm}: no quorum: {}/{} (instance {} has no role)", r.quorum.0, r.quorum.1, r.instance));
    }
    if me.is_some_and(|m| !m.connactv) {
        return Some(format!("{qm}: replica {} not connected to the active", r.instance));
    }
    if !r.insync || me.is_some_and(|m| !m.insync) {
        let backlog = me.and_then(|m| m.backlog_kb).map(|kb| format!(", backlog {kb} KB")).unwrap_or_default();
        return Some(format!("{qm}: replica {} out of sync{backlog}", r.instance));
    }
    None
}

/// The Native HA monitor table: its verdict and the promotion score to publish.
pub fn decide(f: &Facts) -> (Verdict, Option<u32>) {
    use OcfExit::*;
    let b = &f.base;
    let qm = b.qm;
    let v = |exit, reason: String| Verdict { exit, reason };
    // What Pacemaker believes matters to recurring monitors; a probe reports the plain state.
    let role = if b.probe { None } else { f.role };
    let promoted = role == Some(Role::Promoted);
    if b.pids.is_empty() {
        // No instance here. A lost active is a failure; a replica that is gone is not running.
        if promoted {
            return (v(ErrGeneric, format!("the active instance of {qm} here is gone; MQ elects another")), None);
        }
        let mut verdict = table::decide(b);
        if verdict.exit == Success {
            // dspmq Running without a process here: the base table said so; cannot be.
            verdict.exit = ErrGeneric;
        }
        if matches!(b.state, Ok(QmState::Replica)) {
            verdict = v(ErrGeneric, format!("dspmq says {qm} is a replica here but none of its processes runs"));
        }
        return (verdict, None);
    }
    let running = matches!(b.state, Ok(QmState::Running | QmState::Replica | QmState::Starting)) && b.controller;
    if !running {
        // Ending, ended with processes left, unknown: as a single instance, failed promoted when promoted.
        let mut verdict = table::decide(b);
        if matches!(b.state, Ok(QmState::Replica)) {
            verdict = v(ErrGeneric, format!("dspmq says {qm} is a replica here but its amqzxma0 is not in /proc"));
        }
        if verdict.exit == Success || verdict.exit == NotRunning {
            verdict.exit = ErrGeneric;
        }
        if promoted && verdict.exit == ErrGeneric {
            verdict.exit = FailedPromoted;
        }
        return (verdict, None);
    }
    let failed = if promoted { FailedPromoted } else { ErrGeneric };
    let r = match f.report {
        Some(Ok(r)) => r,
        Some(Err(e)) => return (v(failed, format!("{qm}: dspmq -o nativeha: {e}")), None),
        None => return (v(failed, format!("{qm}: its Native HA status was not read")), None),
    };
    let score = score_of(r);
    if r.role == NhaRole::Active {
        return match role {
            // Elected while Pacemaker holds it unpromoted: healthy, and asks to be promoted.
            Some(Role::Unpromoted) => (
                v(Success, format!("MQ elected {qm}'s instance {} here; asking Pacemaker to promote it", r.instance)),
                score,
            ),
            _ => (v(RunningPromoted, format!("{qm} is the active instance {} here", r.instance)), score),
        };
    }
    if promoted {
        let elected = r.active().map(NhaReport::describe).unwrap_or_else(|| "none seen from here".into());
        return (
            v(
                FailedPromoted,
                format!(
                    "{qm} should be active here but its instance {} is {}; MQ elected {elected}",
                    r.instance, r.role
                ),
            ),
            score,
        );
    }
    match replica_trouble(qm, r) {
        Some(why) => (v(Degraded, why), score),
        None => (v(Success, format!("{qm} runs as replica {} here, in sync", r.instance)), score),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mq_core::dspmq::nativeha::{NhaInstance, NhaReport};
    use std::time::Duration;
    use OcfExit::*;

    fn inst(name: &str, role: NhaRole, connactv: bool, insync: bool, backlog: u64) -> NhaInstance {
        NhaInstance {
            name: name.into(),
            role,
            repladdr: format!("10.0.0.{}", name.len()),
            connactv,
            insync,
            backlog_kb: Some(backlog),
            conninst: true,
        }
    }

    /// This node's instance "b" with `me`'s role and state; "a" active, "c" an in-sync replica.
    fn report(me: NhaRole, connactv: bool, insync: bool, backlog: u64, quorum: u8) -> NhaReport {
        let a_role = if me == NhaRole::Active { NhaRole::Replica } else { NhaRole::Active };
        NhaReport {
            role: me,
            instance: "b".into(),
            insync,
            quorum: (quorum, 3),
            instances: vec![
                inst("a", a_role, true, true, 0),
                inst("b", me, connactv, insync, backlog),
                inst("c", NhaRole::Replica, true, true, 0),
            ],
        }
    }

    fn run(
        state: QmState,
        pids: &[i32],
        probe: bool,
        rep: Option<Result<NhaReport, String>>,
        role: Option<Role>,
    ) -> (OcfExit, Option<u32>, String) {
        let st = Ok(state);
        let f = Facts {
            base: table::Facts {
                qm: "QMNHA",
                probe,
                state: &st,
                pids,
                controller: !pids.is_empty(),
                data_visible: true,
                watched_ms: 0,
                starting_for: Duration::ZERO,
                replay_limit: Duration::from_secs(600),
            },
            report: rep.as_ref(),
            role,
        };
        let (v, s) = decide(&f);
        assert!(v.reason.contains("QMNHA") && v.reason.len() <= 128, "{}", v.reason);
        (v.exit, s, v.reason)
    }

    #[test]
    fn the_native_ha_table() {
        use NhaRole::{Active, Replica, Unknown};
        use QmState::{EndedImmediately, EndedNormally, EndedUnexpectedly, Running, Starting};
        use Role::{Promoted, Unpromoted};
        let p: &[i32] = &[100];
        let n: &[i32] = &[];
        let ok = |r: NhaReport| Some(Ok(r));
        let healthy = || report(Replica, true, true, 0, 3);
        // (state, pids, probe, report, role file) -> (exit, score, words in the reason)
        type Row = (
            QmState,
            &'static [i32],
            bool,
            Option<Result<NhaReport, String>>,
            Option<Role>,
            OcfExit,
            Option<u32>,
            &'static str,
        );
        let rows: Vec<Row> = vec![
            // Local Running + ROLE Active: promoted.
            (Running, p, true, ok(report(Active, true, true, 0, 3)), None, RunningPromoted, Some(1000), "active"),
            (
                Running,
                p,
                false,
                ok(report(Active, true, true, 0, 3)),
                Some(Promoted),
                RunningPromoted,
                Some(1000),
                "active",
            ),
            // MQ elected it while Pacemaker holds it unpromoted: 0, and the score asks for promotion.
            (Running, p, false, ok(report(Active, true, true, 0, 3)), Some(Unpromoted), Success, Some(1000), "elected"),
            // Replica + INSYNC + CONNACTV: healthy.
            (QmState::Replica, p, true, ok(healthy()), None, Success, Some(10), "in sync"),
            (QmState::Replica, p, false, ok(healthy()), Some(Unpromoted), Success, Some(10), "in sync"),
            // Out of sync, not connected, no role: degraded with the reason, no score.
            (
                QmState::Replica,
                p,
                false,
                ok(report(Replica, true, false, 20480, 2)),
                Some(Unpromoted),
                Degraded,
                None,
                "out of sync, backlog 20480 KB",
            ),
            (
                QmState::Replica,
                p,
                false,
                ok(report(Replica, false, true, 0, 2)),
                Some(Unpromoted),
                Degraded,
                None,
                "not connected to the active",
            ),
            (
                QmState::Replica,
                p,
                false,
                ok(report(Unknown, false, false, 0, 1)),
                Some(Unpromoted),
                Degraded,
                None,
                "no quorum: 1/3",
            ),
            (
                Starting,
                p,
                false,
                ok(report(Unknown, false, false, 0, 0)),
                Some(Unpromoted),
                Degraded,
                None,
                "no quorum: 0/3",
            ),
            (QmState::Replica, p, true, ok(report(Unknown, false, false, 0, 1)), None, Degraded, None, "no quorum"),
            // Promoted here but MQ's active is elsewhere (moved, or lost quorum): failed promoted.
            (
                QmState::Replica,
                p,
                false,
                ok(healthy()),
                Some(Promoted),
                FailedPromoted,
                Some(10),
                "MQ elected a (10.0.0.1)",
            ),
            (
                QmState::Replica,
                p,
                false,
                ok(report(Unknown, false, false, 0, 0)),
                Some(Promoted),
                FailedPromoted,
                None,
                "is Unknown",
            ),
            // No local instance: not running, or a lost active.
            (EndedImmediately, n, true, None, None, NotRunning, None, "no process"),
            (EndedImmediately, n, false, None, Some(Unpromoted), NotRunning, None, "no process"),
            (EndedNormally, n, false, None, None, NotRunning, None, "no process"),
            (EndedImmediately, n, false, None, Some(Promoted), ErrGeneric, None, "gone"),
            (EndedUnexpectedly, n, true, None, None, NotRunning, None, "crashed"),
            (EndedUnexpectedly, n, false, None, Some(Unpromoted), ErrGeneric, None, "crashed"),
            (QmState::Replica, n, false, None, Some(Unpromoted), ErrGeneric, None, "none of its processes"),
            (Running, n, false, None, Some(Unpromoted), ErrGeneric, None, "amqzxma0"),
            // The report could not be read while the instance runs: a failure, never a guess.
            (
                QmState::Replica,
                p,
                false,
                Some(Err("ROLE(Leader) is not a role".into())),
                Some(Unpromoted),
                ErrGeneric,
                None,
                "ROLE(Leader)",
            ),
            (Running, p, false, Some(Err("timed out".into())), Some(Promoted), FailedPromoted, None, "nativeha"),
            // Processes left of an ended instance.
            (EndedImmediately, p, false, None, Some(Unpromoted), ErrGeneric, None, "still run"),
            (EndedImmediately, p, false, None, Some(Promoted), FailedPromoted, None, "still run"),
        ];
        for (s, pids, probe, rep, role, exit, score, words) in rows {
            let what = format!("{s:?} pids={pids:?} probe={probe} role={role:?} report={rep:?}");
            let (e, sc, reason) = run(s, pids, probe, rep, role);
            assert_eq!((e, sc), (exit, score), "{what}: {reason}");
            assert!(reason.contains(words), "{what}: '{reason}' lacks '{words}'");
        }
    }

    #[test]
    fn a_replica_whose_own_line_is_missing_is_judged_by_the_first_line() {
        let mut r = report(NhaRole::Replica, true, true, 0, 3);
        r.instances.retain(|i| i.name != "b");
        assert_eq!(score_of(&r), Some(SCORE_IN_SYNC));
        assert_eq!(replica_trouble("Q", &r), None);
        r.insync = false;
        assert!(replica_trouble("Q", &r).unwrap().contains("out of sync"));
    }
}
