//! Stopping a queue manager so that nothing of it is left that could hold its storage:
//! endmqm in the chosen mode, then endmqm -p, then SIGKILL of its processes in IBM's order,
//! each step with a share of the operation's budget. Every step starts from what /proc and
//! dspmq say now, so a stop re-run after an interrupted one converges.

use std::time::{Duration, Instant};

use super::{share, Journal, Level, QueueManager};
use crate::dspmq::QmState;
use crate::error::MqError;
use crate::procs::{self, none_left, Ending, Proc, Scan, Scope};

/// The first endmqm step; -p and the kill always follow when it does not end everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndMode {
    /// endmqm -c: returns at once, the queue manager ends when applications disconnect.
    Controlled,
    /// endmqm -w: as -c, waiting for the end.
    Wait,
    /// endmqm -i: current MQI calls complete, then the queue manager ends.
    Immediate,
}

impl EndMode {
    pub fn flag(self) -> &'static str {
        match self {
            EndMode::Controlled => "-c",
            EndMode::Wait => "-w",
            EndMode::Immediate => "-i",
        }
    }
}

/// How to stop: the first mode, the shares of the budget for the first and second steps (the
/// kill gets what is left), and whether to free the queue manager's IPC afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct StopPlan {
    pub first: EndMode,
    pub first_share: f64,
    pub preemptive_share: f64,
    pub ipc_cleanup: bool,
    /// A planned stop: the first endmqm also gets -r (reconnectable clients reconnect at once,
    /// to wherever the queue manager comes up next) and, where MQ has it, -tp with that step's
    /// time (docs/reference/mq-commands.md#endmqm-reconnect, #endmqm-target-time).
    pub reconnect: bool,
    /// How long the queue manager (and its storage) may take to answer the stop's first look
    /// (an MQI connect and inquiry; a stat of the data and log directories): one that does not
    /// is hung, and the stop goes straight to endmqm -p and the kill. None: no such look.
    pub hang_bound: Option<Duration>,
    /// Why the queue manager is already known not to answer (a monitor's fresh "hung" verdict
    /// for this very execution controller): the stop skips the orderly step without a look.
    pub hung: Option<String>,
}

impl StopPlan {
    pub fn new(first: EndMode, ipc_cleanup: bool) -> StopPlan {
        // Half the budget for the orderly end, half the rest for -p, the rest for the kill and
        // the wait after it: a kill is quick, but processes in D state on lost storage are not.
        StopPlan {
            first,
            first_share: 0.5,
            preemptive_share: 0.5,
            ipc_cleanup,
            reconnect: false,
            hang_bound: None,
            hung: None,
        }
    }

    /// The same plan with the first look bounded by `bound` and what is known of a hang.
    pub fn answering(self, bound: Option<Duration>, hung: Option<String>) -> StopPlan {
        StopPlan { hang_bound: bound, hung, ..self }
    }

    /// The same plan as a planned stop (`reconnect`).
    pub fn reconnecting(self, reconnect: bool) -> StopPlan {
        StopPlan { reconnect, ..self }
    }
}

/// The first endmqm step's flags: the mode, then for a planned stop -r and, when the
/// installation knows target times, `-tp SECS` with the step's whole seconds less one (MQ then
/// escalates by itself within the step; at least 1).
pub fn first_flags(mode: EndMode, reconnect: bool, target_time: bool, step: Duration) -> Vec<String> {
    let mut flags = vec![mode.flag().to_string()];
    if reconnect {
        flags.push("-r".into());
        if target_time {
            flags.push("-tp".into());
            flags.push(step.as_secs().saturating_sub(1).max(1).to_string());
        }
    }
    flags
}

/// Whether endmqm of MQ `version` (dspmqver's `9.3.0.0`) takes -t/-tp: IBM documents target
/// times from 9.2 (docs/reference/mq-commands.md#endmqm-target-time); an unreadable version does not.
pub fn has_target_time(version: &str) -> bool {
    let mut v = version.trim().split('.').map(|n| n.parse::<u32>().ok());
    match (v.next().flatten(), v.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (9, 2),
        _ => false,
    }
}

/// What a stop did, for the log and the tests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StopReport {
    pub already_stopped: bool,
    pub steps: Vec<String>,
    pub killed: Vec<i32>,
    /// Why the orderly first step was skipped (hung, storage gone), when it was.
    pub skipped: Option<String>,
}

/// The first look's bound when the plan sets none: the agent's stops always set one.
const DEFAULT_LOOK: Duration = Duration::from_secs(5);
impl StopReport {
    /// Whether the stop went past its first step (endmqm -p or the kill after the chosen mode, or
    /// straight to them when dspmq gave no state).
    pub fn escalated(&self) -> bool {
        self.steps.iter().any(|s| s == "SIGKILL" || s.split_whitespace().any(|w| w == "-p"))
    }
}

/// Waits until no process of the queue manager is left; returns what is left at `deadline` (Err:
/// /proc gave no answer, processes may be left).
pub fn wait_gone(scope: Scope, deadline: Instant) -> Scan {
    procs::wait_gone(&scope, deadline)
}

/// SIGKILLs every process of the queue manager in IBM's order and waits for them to go. Only
/// processes matched by program, exact -m argument and installation are touched.
pub fn kill_family(scope: Scope, deadline: Instant, j: &dyn Journal) -> (Vec<i32>, Scan) {
    procs::end(&scope, Ending::KillAtOnce, deadline, j)
}

impl QueueManager {
    /// Stops the queue manager; Ok only when no process of it is left on this node.
    pub fn stop(&self, plan: &StopPlan, deadline: Instant, j: &dyn Journal) -> Result<StopReport, MqError> {
        let qm = self.name.as_str();
        let mut report = StopReport::default();
        let scope = self.scope();
        // A first look that cannot read /proc in time is no proof that nothing is left: escalate.
        let family = match scope.list_within(share(deadline, 0.1)) {
            Ok(f) => Some(f),
            Err(e) => {
                j.note(Level::Warn, &format!("{e} during stop; escalating as if processes were left"));
                None
            }
        };
        let some_left = family.as_ref().is_none_or(|f| !f.is_empty());
        let look = plan.hang_bound.unwrap_or(DEFAULT_LOOK);
        // The storage first: dspmq and endmqm read it, and on storage that is gone they hang or
        // fail, so the orderly steps cannot finish there.
        let gone = self.storage_gone(look, deadline, j);
        if let (Some(why), false) = (&gone, some_left) {
            j.note(Level::Info, &format!("stop: {why}; no process of {qm} runs here"));
            report.already_stopped = true;
            return Ok(report);
        }
        // dspmq may hang with the queue manager: give it a small slice only.
        let state = if gone.is_some() {
            None
        } else {
            match self.dspmq(share(deadline, 0.15).min(Instant::now() + Duration::from_secs(10))) {
                Ok(r) => Some(r.state),
                Err(e) => {
                    j.note(Level::Warn, &format!("dspmq failed during stop ({e}); deciding from the processes alone"));
                    None
                }
            }
        };
        j.note(Level::Debug, &format!("stop: dspmq state {:?}, processes {:?}", state, family.as_ref().map(Vec::len)));
        let running_here = matches!(
            state,
            Some(
                QmState::Running
                    | QmState::Starting
                    | QmState::Quiescing
                    | QmState::EndingImmediately
                    | QmState::EndingPreemptively
            )
        );
        if gone.is_none()
            && family.as_ref().is_some_and(Vec::is_empty)
            && !running_here
            && state != Some(QmState::RunningAsStandby)
        {
            report.already_stopped = true;
            self.ipc_cleanup(plan, deadline, j);
            return Ok(report);
        }

        // Does it answer? A queue manager that does not cannot finish a quiesce: that step's
        // budget would be spent for nothing.
        let skip = gone.clone().or_else(|| self.not_answering(plan, state.clone(), some_left, look, deadline, j));
        if let Some(why) = &skip {
            let first = first_flags(plan.first, false, false, Duration::ZERO).join(" ");
            j.note(
                Level::Warn,
                &format!("stop: {why}; skipping endmqm {first} (it cannot finish), straight to endmqm -p and the kill"),
            );
            report.skipped = Some(why.clone());
            // -p within the look's bound: on lost storage it may hang or be refused; the kill follows.
            let step = share(deadline, plan.first_share).min(Instant::now() + look);
            self.end_step_then(&["-p"], step, false, &mut report, j);
        } else if state == Some(QmState::RunningAsStandby) {
            // endmqm without -x is refused on a standby; -x ends only this standby instance.
            self.end_step(&["-x"], share(deadline, plan.first_share), &mut report, j);
        } else if state.is_some() {
            let step = share(deadline, plan.first_share);
            let tp = plan.reconnect && self.target_time_known(step, j);
            let flags = first_flags(plan.first, plan.reconnect, tp, step.saturating_duration_since(Instant::now()));
            self.end_step(&flags.iter().map(String::as_str).collect::<Vec<_>>(), step, &mut report, j);
        }
        // A look without an answer (/proc did not answer in time) counts as processes left.
        if !none_left(&scope.list_within(share(deadline, 0.1))) && state.is_some() && skip.is_none() {
            self.end_step(&["-p"], share(deadline, plan.preemptive_share), &mut report, j);
        }
        if !none_left(&scope.list_within(share(deadline, 0.1))) {
            report.steps.push("SIGKILL".into());
            let (killed, left) = kill_family(scope, deadline, j);
            report.killed = killed;
            match left {
                Ok(left) if left.is_empty() => {}
                Ok(left) => {
                    let names: Vec<String> = left.iter().map(Proc::describe).collect();
                    return Err(MqError::Failed(format!(
                        "processes of queue manager {qm} survived SIGKILL (stuck in the kernel, e.g. on lost storage): {}",
                        names.join("; ")
                    )));
                }
                Err(e) => {
                    return Err(MqError::Failed(format!(
                        "{e} while stopping queue manager {qm}: its processes may be left (a process stuck in the kernel, e.g. on lost storage, can block /proc)"
                    )))
                }
            }
        }
        if gone.is_some() {
            // amqiclen works on the queue manager's files too.
            if plan.ipc_cleanup {
                j.note(Level::Warn, "ipc_cleanup skipped: the queue manager's storage is gone");
            }
        } else {
            self.ipc_cleanup(plan, deadline, j);
        }
        Ok(report)
    }

    /// Why the storage of the queue manager is gone, when it is: its qm.ini (in the data
    /// directory) read, then its log directory (qm.ini's LogPath) looked at, as the mq user, each
    /// within `bound`; a look that fails as a lost mount does (EIO, ENOTCONN, ESTALE, ENOENT) or
    /// that gives no answer. None when they answer, or when this node has no stanza for it.
    pub fn storage_gone(&self, bound: Duration, deadline: Instant, j: &dyn Journal) -> Option<String> {
        use crate::storage::{self, Look, LookAs};
        let qm_ini = self.data_dir()?.join("qm.ini");
        let who = LookAs::user(&self.user);
        let by = || deadline.min(Instant::now() + bound);
        let hung = |p: &std::path::Path| format!("{} did not answer within {}s", p.display(), bound.as_secs_f64());
        let lost = |p: &std::path::Path, e: &str| -> Option<String> {
            if storage::lost_mount_error(e) {
                return Some(format!("{} cannot be reached ({e})", p.display()));
            }
            j.note(Level::Debug, &format!("stop: {}: {e}", p.display()));
            None
        };
        // A stat of the mount point itself can be answered from the kernel's cache: read a file.
        let text = match storage::read_capped_as(&qm_ini, crate::fsread::INI_CAP as usize, Some(&who), by()) {
            Look::Found(b) => b,
            Look::Hung(_) => return Some(hung(&qm_ini)),
            Look::Missing(e) => return lost(&qm_ini, &e),
        };
        let parsed = crate::ini::IniFile::parse(&crate::fsread::utf8(text).ok()?);
        let log = crate::ini::log_path(&parsed)
            .unwrap_or_else(|| self.inst.data_path.join("log").join(self.name.directory()));
        match storage::stat_as(&log, Some(&who), by()) {
            Look::Found(_) => None,
            Look::Hung(_) => Some(hung(&log)),
            Look::Missing(e) => lost(&log, &e),
        }
    }

    /// Why the queue manager does not answer, when the stop's look says so: the monitor's fresh
    /// verdict (`plan.hung`), dspmq's "Status not available" while its processes run here, or
    /// no answer to an MQI connect and inquiry within `look` while dspmq says Running.
    fn not_answering(
        &self,
        plan: &StopPlan,
        state: Option<QmState>,
        some_left: bool,
        look: Duration,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Option<String> {
        if let Some(why) = &plan.hung {
            return Some(why.clone());
        }
        if state == Some(QmState::StatusNotAvailable) && some_left {
            return Some(format!(
                "dspmq says Status not available while processes of {} run here (its storage cannot be read)",
                self.name
            ));
        }
        if state != Some(QmState::Running) || plan.hang_bound.is_none() {
            return None;
        }
        match self.check_mqi(share(deadline, 0.2), Some(look)) {
            Err(e @ crate::mqi::MqiError::NoAnswer { .. }) => Some(format!("{} is hung: {e}", self.name)),
            Err(e) => {
                j.note(Level::Debug, &format!("stop: the MQI look at {} failed ({e}); ending it in order", self.name));
                None
            }
            Ok(()) => None,
        }
    }

    /// Whether this installation's endmqm takes -tp: `dspmqver -b -f 2` (its version), given a
    /// small slice of the step; no answer means no -tp.
    pub fn target_time_known(&self, step: Instant, j: &dyn Journal) -> bool {
        let d = share(step, 0.1).min(Instant::now() + Duration::from_secs(5));
        match self.run("dspmqver", &["-b", "-f", "2"], None, d) {
            Ok(o) if o.rc == 0 => has_target_time(o.stdout.lines().next().unwrap_or("")),
            Ok(o) => {
                j.note(Level::Debug, &format!("dspmqver -b -f 2 exited {}; endmqm without -tp", o.rc));
                false
            }
            Err(e) => {
                j.note(Level::Debug, &format!("dspmqver -b -f 2: {e}; endmqm without -tp"));
                false
            }
        }
    }

    /// One endmqm step: run it within `step_deadline`, then wait for the processes to go.
    fn end_step(&self, flags: &[&str], step_deadline: Instant, report: &mut StopReport, j: &dyn Journal) {
        self.end_step_then(flags, step_deadline, true, report, j)
    }

    /// `end_step`; with `wait_if_refused` false, an endmqm that did not accept the request (an exit
    /// code other than 0, or no answer) is not waited for: nothing will end the processes but the kill.
    fn end_step_then(
        &self,
        flags: &[&str],
        step_deadline: Instant,
        wait_if_refused: bool,
        report: &mut StopReport,
        j: &dyn Journal,
    ) {
        let qm = self.name.as_str();
        let mut args: Vec<&str> = flags.to_vec();
        args.push(qm);
        let cmd = format!("endmqm {}", args.join(" "));
        report.steps.push(cmd.clone());
        j.note(Level::Info, &format!("running {cmd}"));
        let accepted = match self.run("endmqm", &args, None, step_deadline) {
            // 40: not available (already ended), 16: not known here: the processes decide.
            Ok(o) if o.rc == 0 || o.rc == 40 || o.rc == 16 => {
                j.note(Level::Debug, &format!("{cmd}: rc {} {}", o.rc, o.explaining_line()));
                o.rc == 0
            }
            Ok(o) => {
                j.note(Level::Warn, &format!("{cmd} exited {}: {}", o.rc, o.explaining_line()));
                false
            }
            Err(e) => {
                j.note(Level::Warn, &format!("{cmd}: {e}"));
                false
            }
        };
        if !accepted && !wait_if_refused {
            return;
        }
        match wait_gone(self.scope(), step_deadline) {
            Ok(left) if left.is_empty() => {}
            Ok(left) => j.note(Level::Warn, &format!("{cmd}: {} processes of {qm} still running", left.len())),
            Err(e) => j.note(Level::Warn, &format!("{cmd}: {e}; processes of {qm} may be left")),
        }
    }

    /// amqiclen only when asked and only once no process of the queue manager is left (IBM
    /// advises against it otherwise: removing live IPC can let a second copy start).
    fn ipc_cleanup(&self, plan: &StopPlan, deadline: Instant, j: &dyn Journal) {
        if !plan.ipc_cleanup || !none_left(&self.scope().list_within(share(deadline, 0.2))) {
            return;
        }
        if !self.inst.has("amqiclen") {
            j.note(Level::Warn, "ipc_cleanup is on but the installation has no amqiclen");
            return;
        }
        let d = deadline.min(Instant::now() + Duration::from_secs(15));
        match self.run("amqiclen", &["-x", "-m", self.name.as_str()], None, d) {
            Ok(o) if o.rc == 0 => j.note(Level::Info, "amqiclen freed the queue manager's IPC resources"),
            Ok(o) => j.note(Level::Warn, &format!("amqiclen exited {}: {}", o.rc, o.explaining_line())),
            Err(e) => j.note(Level::Warn, &format!("amqiclen: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_escalated_when_it_went_to_endmqm_p_or_the_kill() {
        let report = |steps: &[&str]| StopReport {
            steps: steps.iter().map(|s| s.to_string()).collect(),
            ..StopReport::default()
        };
        assert!(!report(&[]).escalated());
        assert!(!report(&["endmqm -i QM1"]).escalated());
        assert!(!report(&["endmqm -i -r -tp 9 QM1"]).escalated());
        assert!(!report(&["endmqm -x QM1"]).escalated());
        assert!(report(&["endmqm -i QM1", "endmqm -p QM1"]).escalated());
        assert!(report(&["endmqm -c QM1", "SIGKILL"]).escalated());
        assert!(report(&["SIGKILL"]).escalated());
    }

    #[test]
    fn plan_shares_leave_time_for_the_kill() {
        let p = StopPlan::new(EndMode::Immediate, false);
        let first = p.first_share;
        let second = (1.0 - first) * p.preemptive_share;
        assert!(1.0 - first - second >= 0.2, "the kill must keep a fifth of the budget");
        assert_eq!(EndMode::Controlled.flag(), "-c");
        let secs = Duration::from_secs(30);
        assert_eq!(first_flags(EndMode::Immediate, false, true, secs), ["-i"]);
        assert_eq!(first_flags(EndMode::Wait, true, false, secs), ["-w", "-r"]);
        assert_eq!(first_flags(EndMode::Wait, true, true, secs), ["-w", "-r", "-tp", "29"]);
        assert_eq!(first_flags(EndMode::Immediate, true, true, Duration::from_millis(800)), ["-i", "-r", "-tp", "1"]);
        assert!(has_target_time("9.2.0.0") && has_target_time("9.3.0.15") && has_target_time("10.0.0.0"));
        assert!(
            !has_target_time("9.1.5.0") && !has_target_time("8.0.0.4") && !has_target_time("") && !has_target_time("x")
        );
        assert_eq!(EndMode::Wait.flag(), "-w");
    }

    #[test]
    fn kill_family_touches_nothing_when_there_is_no_family() {
        let (killed, left) = kill_family(
            Scope { qm: "NO.SUCH.QM.MQHA", inst: None, uid: None },
            Instant::now() + Duration::from_millis(100),
            &super::super::Silent,
        );
        assert!(killed.is_empty() && none_left(&left));
    }
}
