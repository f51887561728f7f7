//! Multi-instance operations (docs/reference/mq-commands.md#multi-instance): start a standby instance with `strmqm
//! -x`, list the instances `dspmq -x` knows, switch over from the local active instance (`endmqm -s`), and wait
//! for the local standby to take over; and the role changes built from them (to unpromoted, to
//! active, handing over). They act on this node's instance only; which instance should be active
//! is the caller's decision.

use std::time::{Duration, Instant};

use super::stop::{kill_family, wait_gone, EndMode};
use super::{share, Backoff, Journal, Level, QueueManager};
use crate::dspmq::{self, DspmqReport};
use crate::error::{CommandFailed, MqError};
use crate::procs::{none_left, Proc};
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

/// Where this node's instance stands in the unpromoted role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Active here (started outside the cluster, or it took over): to be promoted, not ended.
    Active,
    /// A standby of the active instance elsewhere.
    Standby,
    /// No instance runs anywhere: ready to be promoted.
    Idle,
}

impl QueueManager {
    /// dspmq's state, waited on (half the time left) while starting or ending.
    pub fn settled_state(&self, deadline: Instant, j: &dyn Journal) -> Result<QmState, MqError> {
        let s = self.dspmq(deadline)?.state;
        if s.is_transitional() {
            return self.wait_settled(share(deadline, 0.5), j);
        }
        Ok(s)
    }

    /// dspmq's state, waited on (half the time left) while quiescing or ending; Starting is
    /// returned at once (a takeover's log replay: the caller's start waits for it within its own
    /// budget and reports it).
    pub fn settled_or_starting(&self, deadline: Instant, j: &dyn Journal) -> Result<QmState, MqError> {
        let s = self.dspmq(deadline)?.state;
        if s.is_transitional() && s != QmState::Starting {
            return self.wait_settled(share(deadline, 0.5), j);
        }
        Ok(s)
    }

    /// Brings this node's instance to the unpromoted role from `state`: a standby (`strmqm -x`)
    /// when the active instance runs elsewhere, nothing when none runs anywhere (leftovers of a
    /// crashed instance are killed first).
    pub fn become_unpromoted(
        &self,
        options: &[String],
        state: &QmState,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<Standing, MqError> {
        let name = &self.name;
        match state {
            QmState::RunningAsStandby => Ok(Standing::Standby),
            QmState::Running => Ok(Standing::Active),
            QmState::RunningElsewhere => {
                self.sweep(deadline, j)?;
                match self.start_instance(options, deadline, j)? {
                    XStart::Standby => {
                        j.note(Level::Info, &format!("{name}: standby instance started here"));
                        Ok(Standing::Standby)
                    }
                    XStart::Active => {
                        j.note(Level::Warn, &format!("{name}: the active instance ended meanwhile; this node's instance is now the active one"));
                        Ok(Standing::Active)
                    }
                }
            }
            s if s.is_ended() => {
                self.sweep(deadline, j)?;
                j.note(Level::Info, &format!("{name} runs nowhere ({s}); this node waits unpromoted until an instance is promoted"));
                Ok(Standing::Idle)
            }
            QmState::Unknown => Err(MqError::Node(format!(
                "queue manager {name} is not known on this node (dspmq: AMQ7048E); add its QueueManager stanza (addmqinf, or add_mqs_ini=true)"
            ))),
            other => Err(MqError::Failed(format!("{name} is {other}: cannot start a standby instance here"))),
        }
    }

    /// Readies this node's instance to be the active one from `state`: waits for the standby here
    /// to take over (the active elsewhere is being ended), or clears leftovers when none runs
    /// anywhere (the caller's start then starts it). An active instance that stays elsewhere
    /// fails it after a short grace rather than holding the transition for the whole timeout.
    pub fn take_over(&self, state: &QmState, deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        let name = &self.name;
        let still_elsewhere = |host: &str| {
            MqError::Failed(format!(
                "{name}: the active instance still runs on {host}; the standby here takes over only when it ends (demote it there)"
            ))
        };
        // Taking over here: the log replay under way; the caller's start waits for it.
        let here = |s: Option<QmState>| matches!(s, Some(QmState::Running) | Some(QmState::Starting));
        match state {
            QmState::Running | QmState::Starting => Ok(()),
            QmState::RunningAsStandby => {
                j.note(Level::Info, &format!("{name}: waiting for the standby here to take over"));
                let grace = share(deadline, 0.6).min(Instant::now() + Duration::from_secs(5));
                if !self.wait_takeover(grace, j)? {
                    if here(self.dspmq(share(deadline, 0.1)).map(|r| r.state).ok()) {
                        return Ok(());
                    }
                    if let Some(host) = self.instances(share(deadline, 0.1)).ok().and_then(|i| i.active) {
                        return Err(still_elsewhere(&host));
                    }
                }
                if !here(self.dspmq(share(deadline, 0.1)).map(|r| r.state).ok())
                    && !self.wait_takeover(share(deadline, 0.6), j)?
                    && !here(self.dspmq(share(deadline, 0.1)).map(|r| r.state).ok())
                {
                    return Err(still_elsewhere("another node"));
                }
                Ok(())
            }
            QmState::RunningElsewhere => {
                Err(MqError::Failed(format!("{name} is active on another node and no standby runs here to take over")))
            }
            s if s.is_ended() => {
                self.sweep(deadline, j)?;
                j.note(Level::Info, &format!("{name} runs nowhere ({s}); starting the active instance here"));
                Ok(())
            }
            other => Err(MqError::Failed(format!("{name} is {other}: cannot promote it here"))),
        }
    }

    /// Ends the active instance here, if it is, permitting switchover; when a standby runs
    /// elsewhere, waits for it to take over. Returns the state afterwards. `reconnect`: see
    /// `switchover`.
    pub fn hand_over(
        &self,
        mode: EndMode,
        reconnect: bool,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<QmState, MqError> {
        let state = self.settled_state(deadline, j)?;
        if state != QmState::Running {
            return Ok(state);
        }
        let name = &self.name;
        let standby_elsewhere = self.instances(share(deadline, 0.1)).map(|i| i.standby_elsewhere()).unwrap_or(false);
        let steps = self.switchover(mode, reconnect, share(deadline, 0.5), j)?;
        j.note(Level::Info, &format!("{name}: active instance here ended ({})", steps.join(", ")));
        if standby_elsewhere && !self.wait_running_elsewhere(share(deadline, 0.4)) {
            j.note(Level::Warn, &format!("{name}: no instance took over within the switchover wait"));
        }
        Ok(self.dspmq(share(deadline, 0.2))?.state)
    }

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
    /// With `reconnect` (a planned move) the first step is `endmqm <mode> -s -r`: reconnectable
    /// clients go to the standby at once.
    pub fn switchover(
        &self,
        mode: EndMode,
        reconnect: bool,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<Vec<String>, MqError> {
        self.switchover_from(Some(mode), reconnect, deadline, j)
    }

    /// `switchover`; with `mode` None (a queue manager that does not answer cannot quiesce),
    /// straight to endmqm -p -s and the kill.
    pub fn switchover_from(
        &self,
        mode: Option<EndMode>,
        reconnect: bool,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<Vec<String>, MqError> {
        let qm = self.name.as_str();
        let mut steps = Vec::new();
        let first: &[&str] = if reconnect { &["-s", "-r"] } else { &["-s"] };
        let orderly = mode.map(|m| (m.flag(), first, 0.5));
        for (flag, extra, part) in orderly.into_iter().chain([("-p", &["-s"][..], 0.5)]) {
            if none_left(&self.scope().list_within(share(deadline, 0.1))) {
                break;
            }
            let step_deadline = share(deadline, part);
            let mut args = vec![flag];
            args.extend_from_slice(extra);
            args.push(qm);
            let cmd = format!("endmqm {}", args.join(" "));
            j.note(Level::Info, &format!("running {cmd}"));
            steps.push(cmd.clone());
            match self.run("endmqm", &args, None, step_deadline) {
                Ok(o) if o.rc == 0 || o.rc == 40 => {
                    j.note(Level::Debug, &format!("{cmd}: rc {} {}", o.rc, o.explaining_line()))
                }
                Ok(o) => j.note(Level::Warn, &format!("{cmd} exited {}: {}", o.rc, o.explaining_line())),
                Err(e) => j.note(Level::Warn, &format!("{cmd}: {e}")),
            }
            let _ = wait_gone(self.scope(), step_deadline); // the next look decides
        }
        if !none_left(&self.scope().list_within(share(deadline, 0.1))) {
            steps.push("SIGKILL".into());
            match kill_family(self.scope(), deadline, j).1 {
                Ok(left) if left.is_empty() => {}
                Ok(left) => {
                    return Err(MqError::Failed(format!(
                        "processes of queue manager {qm} survived SIGKILL after endmqm -s: {}",
                        left.iter().map(Proc::describe).collect::<Vec<_>>().join("; ")
                    )))
                }
                Err(e) => {
                    return Err(MqError::Failed(format!("{e} after endmqm -s {qm}: its processes may be left here")))
                }
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
        // docs/reference/mq-commands.md#dspmq-instances (-x lines under -n are upper case).
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
