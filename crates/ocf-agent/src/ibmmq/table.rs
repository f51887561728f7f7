//! The monitor's decision table: what the queue manager's dspmq state and its processes in /proc
//! mean to Pacemaker, for a probe and for a recurring monitor. docs/ibmmq.md shows the same table
//! with the reason for each row; the unit tests below pin every row.
//!
//! The rules behind it (OCF 1.1, docs/reference/pacemaker-ocf.md#exit-codes, #failure-classes):
//! - 7 only when nothing of the queue manager runs here: no process of it in /proc.
//! - A probe answers "is it active HERE?". A probe that says 1 makes Pacemaker stop the resource
//!   on that node and, when it is active elsewhere, treat it as multiply active (stop everywhere).
//!   So a probe on a node that merely sees a stale state (Ended unexpectedly after a crash,
//!   Running elsewhere, storage not mounted) with no process here answers 7.
//! - A recurring monitor answers "is it still healthy where it should run?": a crash, a state
//!   dspmq cannot give, a queue manager unknown here (its storage or stanza gone) are failures (1).
//! - Quiescing or ending that outlasts the monitor's watch is a failure, never success; so is
//!   Starting without its execution controller. Starting WITH it is a log replay: running, until
//!   it has lasted replay_timeout (then a failure).

use std::time::Duration;

use mq_core::QmState;

use crate::ocf::OcfExit;

/// What the monitor saw.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub qm: &'a str,
    pub probe: bool,
    /// dspmq's state, or why dspmq gave none (hung, missing, unreadable).
    pub state: &'a Result<QmState, String>,
    /// Pids of the queue manager's processes in /proc.
    pub pids: &'a [i32],
    /// The execution controller amqzxma0 is among them.
    pub controller: bool,
    /// Whether this node sees the queue manager's data (asked only where a row needs it).
    pub data_visible: bool,
    /// How long a transitional state was watched before the verdict.
    pub watched_ms: u128,
    /// How long this node's monitors have seen it Starting with its controller (replay.rs).
    pub starting_for: Duration,
    /// replay_timeout: how long Starting with a running controller counts as a log replay.
    pub replay_limit: Duration,
}

/// The exit code and, for anything but 0, the reason (also for 7: it goes to the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub exit: OcfExit,
    pub reason: String,
}

fn v(exit: OcfExit, reason: String) -> Verdict {
    Verdict { exit, reason }
}

/// The table.
pub fn decide(f: &Facts) -> Verdict {
    use OcfExit::{ErrGeneric as Fail, NotRunning as Stopped, Success as Up};
    let qm = f.qm;
    let none_here = f.pids.is_empty();
    let left = || format!("processes of {qm} still run here: pids {:?}", f.pids);
    let state = match f.state {
        Ok(s) => s,
        Err(e) => {
            // No state: only "nothing runs here" can be said with certainty, and only a probe may.
            return if none_here && f.probe {
                v(Stopped, format!("no process of {qm} here and dspmq gave no state ({e})"))
            } else if none_here {
                v(Fail, format!("dspmq gave no state for {qm}: {e}"))
            } else {
                v(Fail, format!("dspmq gave no state for {qm} (hung?) while its processes run: {e}"))
            };
        }
    };
    match state {
        QmState::Running if f.controller => v(Up, format!("{qm} is Running")),
        QmState::Running => v(Fail, format!("dspmq says {qm} is Running but its amqzxma0 -m {qm} is not in /proc")),
        // A log replay (after a takeover, or a start that is not the agent's): its controller
        // runs; failing it would only restart the replay elsewhere (docs/reference/mq-commands.md#log-replay).
        QmState::Starting if f.controller && f.starting_for < f.replay_limit => v(
            Up,
            format!(
                "{qm} is Starting (log replay) for {}s with its amqzxma0 running; accepted up to replay_timeout={}s",
                f.starting_for.as_secs(),
                f.replay_limit.as_secs()
            ),
        ),
        QmState::Starting if f.controller => v(
            Fail,
            format!(
                "{qm} has been Starting for {}s, past replay_timeout={}s",
                f.starting_for.as_secs(),
                f.replay_limit.as_secs()
            ),
        ),
        s if s.is_transitional() => v(Fail, format!("{qm} is stuck {s} ({} ms watched)", f.watched_ms)),
        QmState::EndedNormally | QmState::EndedImmediately | QmState::EndedPreemptively if none_here => {
            v(Stopped, format!("{qm} is {state}, no process left"))
        }
        QmState::EndedUnexpectedly if none_here && f.probe => v(
            Stopped,
            format!("{qm} is Ended unexpectedly (its last instance crashed), no process left here; the next start replays its log"),
        ),
        QmState::EndedUnexpectedly if none_here => v(Fail, format!("{qm} ended unexpectedly (crashed); see its error log")),
        s if s.is_ended() => v(Fail, format!("{qm} is {s} but {}", left())),
        QmState::RunningElsewhere if none_here => v(Stopped, format!("{qm} is Running elsewhere: its active instance is on another node")),
        QmState::RunningElsewhere => v(Fail, format!("{qm} is Running elsewhere but {}", left())),
        QmState::RunningAsStandby => v(
            Fail,
            format!("a standby instance of {qm} runs here outside the cluster (multi_instance is false); end it with endmqm -x {qm}"),
        ),
        QmState::StatusNotAvailable if none_here && f.probe && !f.data_visible => {
            v(Stopped, format!("status of {qm} not available and its data is not visible here (storage not mounted)"))
        }
        QmState::StatusNotAvailable => v(Fail, format!("dspmq: status of {qm} not available; check its data and log storage")),
        QmState::Unknown if none_here && f.probe => v(Stopped, format!("{qm} is not known on this node (no mqs.ini stanza or storage)")),
        QmState::Unknown if none_here => v(
            Fail,
            format!("{qm} is no longer known on this node (dspmq AMQ7048E): its mqs.ini stanza or storage is gone"),
        ),
        QmState::Unknown => v(Fail, format!("dspmq does not know {qm} but {}", left())),
        QmState::Replica => v(
            Fail,
            format!("a Native HA replica of {qm} runs here but native_ha is false; set native_ha=true (a promotable clone)"),
        ),
        other => v(Fail, format!("{qm} is in a state the agent does not manage: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OcfExit::*;

    const LIMIT: Duration = Duration::from_secs(600);

    fn run(state: Result<QmState, String>, pids: &[i32], probe: bool, data_visible: bool) -> OcfExit {
        let controller = !pids.is_empty();
        decide(&Facts {
            qm: "QM1",
            probe,
            state: &state,
            pids,
            controller,
            data_visible,
            watched_ms: 0,
            starting_for: Duration::ZERO,
            replay_limit: LIMIT,
        })
        .exit
    }

    /// Every row: (state, processes?, data visible?) -> (probe, recurring).
    #[test]
    fn the_table() {
        use QmState::*;
        let p: &[i32] = &[100];
        let n: &[i32] = &[];
        let rows: Vec<(QmState, &[i32], bool, OcfExit, OcfExit)> = vec![
            (Running, p, true, Success, Success),
            // With its controller (p): a log replay within replay_timeout.
            (Starting, p, true, Success, Success),
            (Starting, n, true, ErrGeneric, ErrGeneric),
            (Quiescing, p, true, ErrGeneric, ErrGeneric),
            (EndingImmediately, p, true, ErrGeneric, ErrGeneric),
            (EndingPreemptively, p, true, ErrGeneric, ErrGeneric),
            (EndedNormally, n, true, NotRunning, NotRunning),
            (EndedImmediately, n, true, NotRunning, NotRunning),
            (EndedPreemptively, n, true, NotRunning, NotRunning),
            (EndedNormally, p, true, ErrGeneric, ErrGeneric),
            (EndedPreemptively, p, true, ErrGeneric, ErrGeneric),
            (EndedUnexpectedly, n, true, NotRunning, ErrGeneric),
            (EndedUnexpectedly, p, true, ErrGeneric, ErrGeneric),
            (RunningAsStandby, p, true, ErrGeneric, ErrGeneric),
            (RunningElsewhere, n, true, NotRunning, NotRunning),
            (RunningElsewhere, p, true, ErrGeneric, ErrGeneric),
            (StatusNotAvailable, n, false, NotRunning, ErrGeneric),
            (StatusNotAvailable, n, true, ErrGeneric, ErrGeneric),
            (StatusNotAvailable, p, false, ErrGeneric, ErrGeneric),
            (Unknown, n, false, NotRunning, ErrGeneric),
            (Unknown, p, false, ErrGeneric, ErrGeneric),
            (Replica, p, true, ErrGeneric, ErrGeneric),
            (Replica, n, true, ErrGeneric, ErrGeneric),
            (Other("RECOVERY GROUP LEADER".into()), p, true, ErrGeneric, ErrGeneric),
        ];
        for (s, pids, vis, probe, recurring) in rows {
            assert_eq!(run(Ok(s.clone()), pids, true, vis), probe, "probe {s:?} {pids:?} visible={vis}");
            assert_eq!(run(Ok(s.clone()), pids, false, vis), recurring, "recurring {s:?} {pids:?} visible={vis}");
        }
    }

    #[test]
    fn running_without_its_controller_is_a_failure() {
        let st = Ok(QmState::Running);
        let f = Facts {
            qm: "QM1",
            probe: false,
            state: &st,
            pids: &[7],
            controller: false,
            data_visible: true,
            watched_ms: 0,
            starting_for: Duration::ZERO,
            replay_limit: LIMIT,
        };
        assert_eq!(decide(&f).exit, ErrGeneric);
        assert!(decide(&f).reason.contains("amqzxma0"));
    }

    #[test]
    fn a_replay_counts_as_running_until_replay_timeout() {
        let st = Ok(QmState::Starting);
        let at = |secs: u64, controller: bool| {
            decide(&Facts {
                qm: "QM1",
                probe: false,
                state: &st,
                pids: &[7],
                controller,
                data_visible: true,
                watched_ms: 0,
                starting_for: Duration::from_secs(secs),
                replay_limit: Duration::from_secs(300),
            })
        };
        assert_eq!(at(0, true).exit, Success);
        assert_eq!(at(299, true).exit, Success);
        let past = at(300, true);
        assert_eq!(past.exit, ErrGeneric);
        assert!(past.reason.contains("300s") && past.reason.contains("replay_timeout"), "{}", past.reason);
        // Starting without its execution controller is no replay: stuck, whatever the time.
        assert_eq!(at(0, false).exit, ErrGeneric);
    }

    #[test]
    fn no_state_from_dspmq() {
        let e = Err("dspmq did not finish within 5000ms".to_string());
        assert_eq!(run(e.clone(), &[], true, false), NotRunning);
        assert_eq!(run(e.clone(), &[], false, false), ErrGeneric);
        assert_eq!(run(e, &[1], true, true), ErrGeneric);
    }

    #[test]
    fn reasons_name_the_queue_manager_and_fit_crm_mon() {
        for s in [QmState::Starting, QmState::EndedUnexpectedly, QmState::Unknown, QmState::StatusNotAvailable] {
            let st = Ok(s);
            let f = Facts {
                qm: "QM1",
                probe: false,
                state: &st,
                pids: &[],
                controller: false,
                data_visible: true,
                watched_ms: 9,
                starting_for: Duration::ZERO,
                replay_limit: LIMIT,
            };
            let r = decide(&f).reason;
            assert!(r.contains("QM1"), "{r}");
            assert!(r.len() <= 128, "{r}");
        }
    }
}
