//! A trigger monitor (runmqtrm on an initiation queue) as a component: `observe` reads /proc,
//! `decide` says what it means, `open_for_input` asks the queue manager (DISPLAY QSTATUS
//! TYPE(HANDLE): our runmqtrm's PID holds the queue open for input), and `start` / `stop` work
//! within one deadline. runmqtrm is not one of the queue manager's own programs: it is found by
//! program name plus exact `-m QM` and `-q INITQ` arguments, of this installation.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::deadline::{poll_until, Deadline};
use crate::error::{Fault, MqError};
use crate::listener::APPEAR_WITHIN;
use crate::name::QmName;
use crate::placement::Placement;
use crate::procs::{self, Ending, Ours, Owner, Proc};
use crate::qmgr::{Journal, Level};
use crate::runmqsc;

pub const RUNMQTRM: &str = "runmqtrm";
/// runmqtrm's initiation queue when none is given (docs/reference/mq-commands.md#runmqtrm).
pub const DEFAULT_INITQ: &str = "SYSTEM.DEFAULT.INITIATION.QUEUE";

/// Whether `p` is a runmqtrm of `qm` reading `initq`.
pub fn is_trigger_monitor_of(p: &Proc, qm: &str, initq: &str) -> bool {
    p.name == RUNMQTRM
        && procs::names_queue_manager(&p.args, qm)
        && procs::option_value(&p.args, "-q").unwrap_or(DEFAULT_INITQ) == initq
}

/// runmqtrm's arguments (docs/reference/mq-commands.md#runmqtrm).
pub fn runmqtrm_args(qm: &str, initq: &str) -> Vec<String> {
    vec!["-m".into(), qm.into(), "-q".into(), initq.into()]
}

/// The MQSC that lists who holds `initq` open.
pub fn handles_mqsc(initq: &str) -> String {
    format!("DISPLAY QSTATUS({}) TYPE(HANDLE) ALL\n", runmqsc::quoted(initq))
}

/// Whether a handle list (DISPLAY QSTATUS TYPE(HANDLE)) shows one of `ours` with the queue open
/// for input (INPUT(SHARED) or INPUT(EXCL)).
pub fn read_by(report: &runmqsc::Report, ours: &[Proc]) -> bool {
    report.sections.iter().flat_map(|s| s.replies.iter()).any(|r| {
        let pid = r.attr("PID").and_then(|v| v.trim().parse::<i32>().ok());
        let input = r.attr("INPUT").map(str::trim).unwrap_or("NO");
        pid.is_some_and(|pid| ours.iter().any(|o| o.pid == pid)) && input != "NO"
    })
}

/// One trigger monitor: the queue manager (of the installation at `inst`) and its initiation queue.
#[derive(Debug, Clone)]
pub struct TriggerMonitor {
    pub qm: QmName,
    /// A runmqtrm or queue manager of another installation is never taken for ours.
    pub inst: PathBuf,
    pub initq: String,
}

/// What /proc says about the trigger monitor now: data, no decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Our runmqtrm processes.
    pub procs: Vec<Proc>,
    /// Whether the queue manager (of this installation) runs here, looked at when no runmqtrm does.
    pub qm_runs: Option<bool>,
}

/// What an observation means (depth 0; the queue's handle list is `open_for_input`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Running {
        pid: i32,
    },
    /// No runmqtrm of ours; `qm_gone`: the queue manager is not running here either.
    Absent {
        qm_gone: bool,
    },
}

pub fn decide(o: &Observed) -> Health {
    match o.procs.first() {
        Some(p) => Health::Running { pid: p.pid },
        None => Health::Absent { qm_gone: o.qm_runs == Some(false) },
    }
}

/// Why a trigger-monitor operation failed; `fault` says who must act.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("queue manager {0} is not running on this node; order the trigger monitor after it")]
    QmNotRunning(QmName),
    #[error(
        "runmqtrm for {qm} exited at once; check that the initiation queue {initq} exists and the mq user may get from it"
    )]
    ExitedAtOnce { qm: QmName, initq: String },
    #[error("the initiation queue {initq} does not exist in {qm}")]
    NoQueue { qm: QmName, initq: String },
    #[error("{what} did not open its queue within the start timeout")]
    StartTimeout { what: String },
    #[error("runmqtrm survived SIGKILL: {0}")]
    Survived(String),
    /// /proc gave no answer in time: whether runmqtrm runs is unknown.
    #[error("{0} (looking for runmqtrm)")]
    Scan(String),
    #[error(transparent)]
    Mq(#[from] MqError),
}

impl TriggerError {
    pub fn fault(&self) -> Fault {
        match self {
            TriggerError::Mq(e) => e.fault(),
            _ => Fault::Generic,
        }
    }
}

pub use crate::listener::{Started, Stopped};

/// Our runmqtrm processes, as the process-ending routine sees them.
struct Runmqtrm<'a>(&'a TriggerMonitor);

impl Ours for Runmqtrm<'_> {
    fn list(&self, deadline: Instant) -> procs::Scan {
        self.0.scan(deadline)
    }
    fn holds(&self, p: &Proc) -> bool {
        is_trigger_monitor_of(p, self.0.qm.as_str(), &self.0.initq)
            && procs::runs_as_ours(p, Some(&self.0.inst), Owner::Mq(None))
    }
}

impl TriggerMonitor {
    pub fn describe(&self) -> String {
        format!("trigger monitor of {} on {}", self.qm, self.initq)
    }

    /// This queue manager's runmqtrm processes on this queue, of this installation, run by a member of
    /// the mq group (a look-alike another user runs is not ours), read within `deadline`.
    pub fn processes(&self, deadline: Instant) -> Result<Vec<Proc>, TriggerError> {
        self.scan(deadline).map_err(TriggerError::Scan)
    }

    fn scan(&self, deadline: Instant) -> procs::Scan {
        let (qm, initq) = (self.qm.as_str(), self.initq.as_str());
        procs::named_within(RUNMQTRM, &self.inst, |p| is_trigger_monitor_of(p, qm, initq), Owner::Mq(None), deadline)
    }

    /// Reads /proc within `deadline`; Err when it gave no answer (nothing can be said then).
    pub fn observe(&self, deadline: Instant) -> Result<Observed, TriggerError> {
        let procs = self.processes(deadline)?;
        // Unknown (no answer in time) is not "gone".
        let qm_runs =
            if procs.is_empty() { procs::queue_manager_runs(&self.qm, &self.inst, deadline).ok() } else { None };
        Ok(Observed { procs, qm_runs })
    }

    /// Whether one of `ours` holds the initiation queue open for input, as the queue manager's
    /// handle list shows it (by PID): exact, and one runmqsc process.
    pub fn open_for_input(&self, at: &Placement, ours: &[Proc], deadline: Deadline) -> Result<bool, TriggerError> {
        let report = at.queue_manager(&self.qm).mqsc(&handles_mqsc(&self.initq), deadline.instant())?;
        if report.sections.iter().any(|s| s.find("AMQ8147").is_some()) {
            return Err(TriggerError::NoQueue { qm: self.qm.clone(), initq: self.initq.clone() });
        }
        Ok(read_by(&report, ours))
    }

    /// Starts runmqtrm and returns once it holds the initiation queue open for input.
    pub fn start(&self, at: &Placement, deadline: Deadline, j: &dyn Journal) -> Result<Started, TriggerError> {
        if !self.processes(deadline.child(0.25).instant())?.is_empty() {
            return Ok(Started::AlreadyRunning);
        }
        if !procs::queue_manager_runs(&self.qm, &self.inst, deadline.child(0.25).instant())
            .map_err(TriggerError::Scan)?
        {
            return Err(TriggerError::QmNotRunning(self.qm.clone()));
        }
        let args = runmqtrm_args(self.qm.as_str(), &self.initq);
        j.note(Level::Info, &format!("starting runmqtrm {} as {}", args.join(" "), at.user.name));
        at.runner().spawn_detached(&at.installation.bin(RUNMQTRM), &args).map_err(MqError::from)?;
        let spawned = Instant::now();
        let mut seen = false;
        // Up means: runmqtrm is alive and the initiation queue is open for input. A runmqtrm that
        // exits (no such queue, not authorised) ends the wait early.
        let up = poll_until(deadline, || {
            // A look without an answer in time says nothing: look again.
            let procs = self.processes(deadline.instant()).ok()?;
            seen |= !procs.is_empty();
            if procs.is_empty() && (seen || spawned.elapsed() > APPEAR_WITHIN) {
                return Some(Err(TriggerError::ExitedAtOnce { qm: self.qm.clone(), initq: self.initq.clone() }));
            }
            if procs.is_empty() {
                return None;
            }
            match self.open_for_input(at, &procs, deadline.capped(Duration::from_secs(10))) {
                Ok(true) => Some(Ok(())),
                Ok(false) => None,
                Err(e) => Some(Err(e)),
            }
        });
        if !matches!(up, Some(Ok(()))) {
            // Leave nothing behind of a start that failed.
            let _ = procs::end(&Runmqtrm(self), Ending::TermFirst, deadline.cleanup().instant(), j);
        }
        match up {
            Some(Ok(())) => Ok(Started::Now),
            Some(Err(e)) => Err(e),
            None => Err(TriggerError::StartTimeout { what: self.describe() }),
        }
    }

    /// Ends our runmqtrm: SIGTERM, then SIGKILL; Ok only when none is left.
    pub fn stop(&self, deadline: Deadline, j: &dyn Journal) -> Result<Stopped, TriggerError> {
        // No answer from /proc in time is an error, never "not running".
        if self.processes(deadline.child(0.25).instant())?.is_empty() {
            return Ok(Stopped::NotRunning);
        }
        let (_, left) = procs::end(&Runmqtrm(self), Ending::TermFirst, deadline.instant(), j);
        let left = left.map_err(|e| TriggerError::Scan(format!("{e}: runmqtrm may be left")))?;
        if !left.is_empty() {
            let names: Vec<String> = left.iter().map(Proc::describe).collect();
            return Err(TriggerError::Survived(names.join(", ")));
        }
        Ok(Stopped::Now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::procs::test_proc as proc_of;

    #[test]
    fn matching() {
        let t = proc_of(&["/opt/mqm/bin/runmqtrm", "-m", "QM1", "-q", "APP.INITQ"]);
        assert!(is_trigger_monitor_of(&t, "QM1", "APP.INITQ"));
        assert!(!is_trigger_monitor_of(&t, "QM1", DEFAULT_INITQ));
        assert!(!is_trigger_monitor_of(&t, "QM", "APP.INITQ"));
        let d = proc_of(&["runmqtrm", "-mQM1"]);
        assert!(is_trigger_monitor_of(&d, "QM1", DEFAULT_INITQ));
        let joined = proc_of(&["runmqtrm", "-m", "QM1", "-qAPP.INITQ"]);
        assert!(is_trigger_monitor_of(&joined, "QM1", "APP.INITQ"));
        assert!(!is_trigger_monitor_of(&proc_of(&["runmqlsr", "-m", "QM1"]), "QM1", DEFAULT_INITQ));
        assert_eq!(runmqtrm_args("QM1", "Q"), ["-m", "QM1", "-q", "Q"]);
        assert_eq!(handles_mqsc("APP.INITQ"), "DISPLAY QSTATUS('APP.INITQ') TYPE(HANDLE) ALL\n");
    }

    #[test]
    fn decide_row_by_row() {
        let t = proc_of(&["runmqtrm", "-m", "QM1"]);
        let rows = [
            (Observed { procs: vec![t], qm_runs: None }, Health::Running { pid: 10 }),
            (Observed { procs: vec![], qm_runs: Some(true) }, Health::Absent { qm_gone: false }),
            (Observed { procs: vec![], qm_runs: Some(false) }, Health::Absent { qm_gone: true }),
        ];
        for (i, (o, want)) in rows.into_iter().enumerate() {
            assert_eq!(decide(&o), want, "row {i}");
        }
    }

    #[test]
    fn a_handle_of_ours_open_for_input() {
        let report = |input: &str| runmqsc::Report {
            preamble: vec![],
            sections: vec![runmqsc::Section {
                command: "DISPLAY QSTATUS".into(),
                replies: vec![runmqsc::Reply {
                    id: "AMQ8450I".into(),
                    text: "Display queue status details.".into(),
                    attrs: vec![("PID".into(), "10".into()), ("INPUT".into(), input.into())],
                }],
            }],
        };
        let ours = [proc_of(&["runmqtrm", "-m", "QM1"])];
        assert!(read_by(&report("SHARED"), &ours));
        assert!(!read_by(&report("NO"), &ours));
        assert!(!read_by(&report("SHARED"), &[]));
    }
}
