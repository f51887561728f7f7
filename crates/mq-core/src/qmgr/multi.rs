//! Multi-instance operations (reference §19): start a standby instance with `strmqm -x`, list the
//! instances `dspmq -x` knows, switch over from the local active instance (`endmqm -s`), and wait
//! for the local standby to take over. They act on this node's instance only; which instance
//! should be active is the caller's decision.

use std::time::{Duration, Instant};

use super::stop::{kill_family, wait_gone, EndMode};
use super::{share, Backoff, Journal, Level, QueueManager};
use crate::dspmq::{self, DspmqReport};
use crate::error::{CommandFailed, MqError};
use crate::procs::Proc;
use crate::qmgr::start::{classify_strmqm, StrmqmOutcome};
use crate::QmState;

/// What `strmqm -x` made of this node's instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XStart {
    /// rc 30: a standby; the active instance runs elsewhere.
    Standby,
    /// rc 0 or 5: this node's instance is the active one (no active instance ran elsewhere).
    Active,
}

/// Who runs which instance, from `dspmq -x`: this node's state and the modes listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instances {
    pub state: QmState,
    pub active: Option<String>,
    pub standbys: Vec<String>,
}

impl Instances {
    pub fn from_report(r: &DspmqReport) -> Instances {
        let mode = |m: &str| {
            r.instances.iter().filter(|i| i.mode.eq_ignore_ascii_case(m)).map(|i| i.host.clone()).collect::<Vec<_>>()
        };
        Instances { state: r.state.clone(), active: mode("ACTIVE").into_iter().next(), standbys: mode("STANDBY") }
    }

    /// A standby instance runs on another node (this node's own standby does not count).
    pub fn standby_elsewhere(&self) -> bool {
        let own = usize::from(self.state == QmState::RunningAsStandby);
        self.standbys.len() > own
    }
}

impl QueueManager {
    /// `dspmq -n -x -m QM`: this node's state and every instance line.
    pub fn instances(&self, deadline: Instant) -> Result<Instances, MqError> {
        let out = self.run("dspmq", &["-n", "-x", "-m", self.name.as_str()], None, deadline)?;
        let text = format!("{}{}", out.stdout, out.stderr);
        let r = dspmq::parse(self.name.as_str(), out.rc, &text).map_err(|e| {
            MqError::Command(CommandFailed {
                command: format!("dspmq -n -x -m {}", self.name),
                rc: out.rc,
                line: e.to_string(),
            })
        })?;
        Ok(Instances::from_report(&r))
    }

    /// `strmqm -x [options] QM` on this node: rc 30 is a standby, rc 0 the active instance.
    /// Returns once dspmq shows the instance it reported.
    pub fn start_instance(&self, options: &[String], deadline: Instant, j: &dyn Journal) -> Result<XStart, MqError> {
        let qm = self.name.as_str();
        let mut args: Vec<&str> = options.iter().map(String::as_str).filter(|o| *o != "-x").collect();
        args.insert(0, "-x");
        args.push(qm);
        j.note(Level::Info, &format!("running strmqm {}", args.join(" ")));
        let out = self.run("strmqm", &args, None, share(deadline, 0.7))?;
        let text = format!("{}{}", out.stdout, out.stderr);
        let got = match classify_strmqm(qm, out.rc, &text) {
            StrmqmOutcome::Standby => XStart::Standby,
            StrmqmOutcome::Started | StrmqmOutcome::AlreadyRunning => XStart::Active,
            StrmqmOutcome::Leftovers(pids) => {
                return Err(MqError::Failed(format!(
                    "strmqm -x {qm} refused (rc 24, AMQ8041): processes {pids:?} are still connected to a previous instance"
                )))
            }
            StrmqmOutcome::Stopping => return Err(MqError::Failed(format!("strmqm -x {qm}: the queue manager is still stopping (rc 49)"))),
            StrmqmOutcome::Failed(e) => return Err(e),
        };
        // The standby may take over at once (the active ended meanwhile): either role is an instance.
        let mut b = Backoff::fast();
        loop {
            let st = self.dspmq(deadline)?.state;
            match (got, &st) {
                (_, QmState::Running) => return Ok(XStart::Active),
                (XStart::Standby, QmState::RunningAsStandby) => return Ok(XStart::Standby),
                _ => {}
            }
            if !b.sleep(deadline) || Instant::now() >= deadline {
                return Err(MqError::Failed(format!("strmqm -x {qm} reported {got:?} but dspmq says {st}")));
            }
        }
    }

    /// Ends the local active instance permitting switchover (`endmqm <mode> -s QM`): a standby
    /// elsewhere takes over. Escalates to `endmqm -p -s`, then kills this node's processes of the
    /// queue manager; Ok once none is left here.
    pub fn switchover(&self, mode: EndMode, deadline: Instant, j: &dyn Journal) -> Result<Vec<String>, MqError> {
        let qm = self.name.as_str();
        let mut steps = Vec::new();
        for (flag, part) in [(mode.flag(), 0.5), ("-p", 0.5)] {
            if self.scope().list().is_empty() {
                break;
            }
            let step_deadline = share(deadline, part);
            let cmd = format!("endmqm {flag} -s {qm}");
            j.note(Level::Info, &format!("running {cmd}"));
            steps.push(cmd.clone());
            match self.run("endmqm", &[flag, "-s", qm], None, step_deadline) {
                Ok(o) if o.rc == 0 || o.rc == 40 => {
                    j.note(Level::Debug, &format!("{cmd}: rc {} {}", o.rc, o.explaining_line()))
                }
                Ok(o) => j.note(Level::Warn, &format!("{cmd} exited {}: {}", o.rc, o.explaining_line())),
                Err(e) => j.note(Level::Warn, &format!("{cmd}: {e}")),
            }
            wait_gone(self.scope(), step_deadline);
        }
        if !self.scope().list().is_empty() {
            steps.push("SIGKILL".into());
            let (_, left) = kill_family(self.scope(), deadline, j);
            if !left.is_empty() {
                return Err(MqError::Failed(format!(
                    "processes of queue manager {qm} survived SIGKILL after endmqm -s: {}",
                    left.iter().map(Proc::describe).collect::<Vec<_>>().join("; ")
                )));
            }
        }
        Ok(steps)
    }

    /// Waits for the local standby to become the active instance (the active elsewhere ended);
    /// Ok(true) once dspmq says Running here, Ok(false) when `deadline` passed first.
    pub fn wait_takeover(&self, deadline: Instant, j: &dyn Journal) -> Result<bool, MqError> {
        let t = Instant::now();
        let mut b = Backoff::new();
        loop {
            let st = self.dspmq(deadline.min(Instant::now() + Duration::from_secs(10)))?.state;
            match st {
                QmState::Running => {
                    j.note(
                        Level::Info,
                        &format!("{} took over as the active instance after {} ms", self.name, t.elapsed().as_millis()),
                    );
                    return Ok(true);
                }
                // Starting: the takeover is under way (log replay).
                QmState::RunningAsStandby | QmState::Starting => {}
                other => {
                    return Err(MqError::Failed(format!("waiting for {} to take over, dspmq says {other}", self.name)))
                }
            }
            // Never ask dspmq with no time left: the deadline's answer is "not yet".
            if !b.sleep(deadline) || Instant::now() >= deadline {
                return Ok(false);
            }
        }
    }

    /// Waits (bounded) until another node's instance is the active one, as seen from here.
    pub fn wait_running_elsewhere(&self, deadline: Instant) -> bool {
        let mut b = Backoff::new();
        loop {
            if matches!(self.dspmq(deadline).map(|r| r.state), Ok(QmState::RunningElsewhere)) {
                return true;
            }
            if !b.sleep(deadline) || Instant::now() >= deadline {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(out: &str) -> Instances {
        Instances::from_report(&dspmq::parse("QM1", 0, out).unwrap())
    }

    #[test]
    fn instances_from_dash_x() {
        // Reference §6.1 (-x lines under -n are upper case).
        let i = report("QMNAME(QM1)                                               STATUS(RUNNING)\n    INSTANCE(a) MODE(ACTIVE)\n    INSTANCE(b) MODE(STANDBY)\n");
        assert_eq!(i.active.as_deref(), Some("a"));
        assert!(i.standby_elsewhere());
        let i = report("QMNAME(QM1)                                               STATUS(RUNNING AS STANDBY)\n    INSTANCE(a) MODE(ACTIVE)\n    INSTANCE(b) MODE(STANDBY)\n");
        assert!(!i.standby_elsewhere(), "our own standby is not one elsewhere");
        let i = report(
            "QMNAME(QM1)                                               STATUS(RUNNING)\n    INSTANCE(a) MODE(Active)\n",
        );
        assert!(!i.standby_elsewhere());
        assert_eq!(i.active.as_deref(), Some("a"));
    }
}
