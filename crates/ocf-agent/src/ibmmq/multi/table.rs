//! The multi-instance monitor table: what dspmq, /proc and the role file say, as an exit code
//! and the promotion score to publish. The unit tests pin every row.

use mq_core::qmgr::multi::Standing;
use mq_core::QmState;

use super::role::Role;
use crate::ibmmq::table::{self, Verdict};
use crate::ocf::OcfExit;

/// Promotion scores: the active instance first, then a standby (it takes over with no log
/// replay wait), then an idle node (promote starts the queue manager there).
pub const SCORE_ACTIVE: u32 = 100;
pub const SCORE_STANDBY: u32 = 50;
pub const SCORE_IDLE: u32 = 10;

/// The score of where this node's instance stands.
pub fn score(s: Standing) -> u32 {
    match s {
        Standing::Active => SCORE_ACTIVE,
        Standing::Standby => SCORE_STANDBY,
        Standing::Idle => SCORE_IDLE,
    }
}

/// What the monitor saw, as the multi-instance table reads it.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub base: table::Facts<'a>,
    /// The role file: what Pacemaker believes this instance is (None: not started here).
    pub role: Option<Role>,
}

/// The multi-instance monitor table: its verdict and the promotion score to publish.
pub fn decide(f: &Facts) -> (Verdict, Option<u32>) {
    use OcfExit::*;
    let b = &f.base;
    let qm = b.qm;
    let none_here = b.pids.is_empty();
    // What Pacemaker believes matters to recurring monitors; a probe reports the plain state.
    let role = if b.probe { None } else { f.role };
    let v = |exit, reason: String| Verdict { exit, reason };
    match b.state {
        Ok(QmState::Running) if b.controller => match role {
            Some(Role::Unpromoted) => (
                v(Success, format!("{qm} took over here as the active instance; asking Pacemaker to promote it")),
                Some(SCORE_ACTIVE),
            ),
            _ => (v(RunningPromoted, format!("{qm} is the active instance here")), Some(SCORE_ACTIVE)),
        },
        Ok(QmState::RunningAsStandby) if !none_here => match role {
            Some(Role::Promoted) => (
                v(
                    FailedPromoted,
                    format!("{qm} should be active here but is a standby: the active instance moved to another node"),
                ),
                Some(SCORE_STANDBY),
            ),
            _ => (v(Success, format!("{qm} runs as a standby instance here")), Some(SCORE_STANDBY)),
        },
        Ok(QmState::RunningAsStandby) => (
            v(
                if role == Some(Role::Promoted) { FailedPromoted } else { ErrGeneric },
                format!("dspmq says {qm} is a standby here but none of its processes runs"),
            ),
            None,
        ),
        Ok(QmState::RunningElsewhere) if none_here => match role {
            None => (v(NotRunning, format!("{qm} is active on another node; no instance of it runs here")), None),
            Some(Role::Promoted) => (
                v(
                    FailedPromoted,
                    format!("the active instance of {qm} here ended; the instance on another node took over"),
                ),
                None,
            ),
            Some(Role::Unpromoted) => {
                (v(ErrGeneric, format!("{qm} is active on another node and no standby instance runs here")), None)
            }
        },
        Ok(QmState::Starting) if b.controller && b.starting_for < b.replay_limit => {
            let exit = if role == Some(Role::Promoted) { RunningPromoted } else { Success };
            (v(exit, table::decide(b).reason), Some(SCORE_ACTIVE))
        }
        // Started here while no instance runs anywhere: unpromoted and ready, also to a probe
        // (the role file lives until stop or reboot, so it never outlasts what Pacemaker started).
        Ok(s) if s.is_ended() && none_here && b.probe && f.role == Some(Role::Unpromoted) => (
            v(Success, format!("no instance of {qm} runs anywhere ({s}); this node is ready to be promoted")),
            Some(SCORE_IDLE),
        ),
        Ok(s) if s.is_ended() && none_here && role.is_some() => match role {
            Some(Role::Promoted) => {
                (v(FailedPromoted, format!("the active instance of {qm} here is {s} and no instance took over")), None)
            }
            _ => (
                v(Success, format!("no instance of {qm} runs anywhere ({s}); this node is ready to be promoted")),
                Some(SCORE_IDLE),
            ),
        },
        _ => {
            let mut verdict = table::decide(b);
            if verdict.exit == ErrGeneric && role == Some(Role::Promoted) {
                verdict.exit = FailedPromoted;
            }
            (verdict, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OcfExit::*;

    fn run(state: QmState, pids: &[i32], probe: bool, role: Option<Role>) -> (OcfExit, Option<u32>) {
        let st = Ok(state);
        let f = Facts {
            base: table::Facts {
                qm: "QM1",
                probe,
                state: &st,
                pids,
                controller: !pids.is_empty(),
                data_visible: true,
                watched_ms: 0,
                starting_for: std::time::Duration::ZERO,
                replay_limit: std::time::Duration::from_secs(600),
            },
            role,
        };
        let (v, s) = decide(&f);
        (v.exit, s)
    }

    /// (state, local processes, probe, role file) -> (exit, score)
    type Row = (QmState, &'static [i32], bool, Option<Role>, OcfExit, Option<u32>);

    #[test]
    fn the_multi_instance_table() {
        use QmState::*;
        use Role::*;
        let p: &[i32] = &[100];
        let n: &[i32] = &[];
        let rows: Vec<Row> = vec![
            (Running, p, true, None, RunningPromoted, Some(100)),
            (Running, p, false, Some(Promoted), RunningPromoted, Some(100)),
            // A takeover Pacemaker has not seen yet: healthy, and asks to be promoted.
            (Running, p, false, Some(Unpromoted), Success, Some(100)),
            (Running, p, true, Some(Unpromoted), RunningPromoted, Some(100)),
            (RunningAsStandby, p, true, None, Success, Some(50)),
            (RunningAsStandby, p, false, Some(Unpromoted), Success, Some(50)),
            (RunningAsStandby, p, false, Some(Promoted), FailedPromoted, Some(50)),
            (RunningAsStandby, n, false, Some(Unpromoted), ErrGeneric, None),
            (RunningElsewhere, n, true, None, NotRunning, None),
            (RunningElsewhere, n, true, Some(Unpromoted), NotRunning, None),
            (RunningElsewhere, n, false, None, NotRunning, None),
            (RunningElsewhere, n, false, Some(Unpromoted), ErrGeneric, None),
            (RunningElsewhere, n, false, Some(Promoted), FailedPromoted, None),
            (RunningElsewhere, p, false, Some(Unpromoted), ErrGeneric, None),
            (EndedNormally, n, false, Some(Unpromoted), Success, Some(10)),
            (EndedUnexpectedly, n, false, Some(Unpromoted), Success, Some(10)),
            (EndedNormally, n, false, Some(Promoted), FailedPromoted, None),
            (EndedUnexpectedly, n, false, Some(Promoted), FailedPromoted, None),
            (EndedNormally, n, true, Some(Unpromoted), Success, Some(10)),
            (EndedNormally, n, true, Some(Promoted), NotRunning, None),
            (EndedNormally, n, false, None, NotRunning, None),
            (EndedNormally, p, false, Some(Promoted), FailedPromoted, None),
            // A takeover's log replay (controller running, within replay_timeout): this node
            // holds the data, so it asks to be promoted; promote waits for Running.
            (Starting, p, false, Some(Unpromoted), Success, Some(100)),
            (Starting, p, true, None, Success, Some(100)),
            (Starting, p, false, Some(Promoted), RunningPromoted, Some(100)),
            (Starting, n, false, Some(Unpromoted), ErrGeneric, None),
        ];
        for (s, pids, probe, role, exit, score) in rows {
            assert_eq!(
                run(s.clone(), pids, probe, role),
                (exit, score),
                "{s:?} pids={pids:?} probe={probe} role={role:?}"
            );
        }
    }

    #[test]
    fn reasons_name_the_queue_manager_and_fit_crm_mon() {
        for (s, role) in [
            (QmState::RunningElsewhere, Role::Promoted),
            (QmState::RunningElsewhere, Role::Unpromoted),
            (QmState::EndedNormally, Role::Promoted),
        ] {
            let st = Ok(s);
            let f = Facts {
                base: table::Facts {
                    qm: "QM1",
                    probe: false,
                    state: &st,
                    pids: &[],
                    controller: false,
                    data_visible: true,
                    watched_ms: 0,
                    starting_for: std::time::Duration::ZERO,
                    replay_limit: std::time::Duration::from_secs(600),
                },
                role: Some(role),
            };
            let r = decide(&f).0.reason;
            assert!(r.contains("QM1") && r.len() <= 128, "{r}");
        }
    }
}
