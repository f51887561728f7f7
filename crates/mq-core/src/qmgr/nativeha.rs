//! Native HA operations on this node's instance (docs/reference/native-ha.md#mqha-reading): start
//! it (`strmqm`: rc 0 active, rc 94 replica), read the group as this node sees it (`dspmq -n -o
//! nativeha -x`), wait for MQ's election, hand the active role over (`endmqm -s`) and end a
//! replica (`endmqm -x`). MQ elects the active instance; nothing here forces an election, and
//! plain `endmqm` (which may end the whole group on the active, UNCONFIRMED: the strict reading of
//! docs/reference/native-ha.md#endmqm) is never run. Killing is only ever of this node's own
//! processes of the queue manager, as `stop.rs` does, never of another node's instance.

use std::time::{Duration, Instant};

use super::stop::{kill_family, wait_gone, EndMode};
use super::{share, Backoff, Journal, Level, QueueManager};
use crate::dspmq::nativeha::{self, NhaError, NhaReport, NhaRole};
use crate::error::{CommandFailed, ExecError, MqError};
use crate::procs::{none_left, Proc};
use crate::qmgr::start::{classify_strmqm, StrmqmOutcome};
use crate::QmState;

/// strmqm's return code for a Native HA instance that started as a replica (IBM's container
/// treats it as success, docs/reference/native-ha.md#strmqm).
pub const RC_REPLICA: i32 = 94;

/// What this node's instance became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NhaStart {
    Active,
    Replica,
}

/// What `wait_elected` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elected {
    /// MQ elected this node's instance.
    Here,
    /// MQ elected another instance: its name and address.
    Elsewhere(String),
    /// No active instance by the deadline; the last report read, if any.
    Nobody(Option<NhaReport>),
}

/// This node's instance of a Native HA queue manager.
pub struct NativeHa<'a> {
    qm: &'a QueueManager,
}

impl QueueManager {
    /// The Native HA operations on this node's instance.
    pub fn native_ha(&self) -> NativeHa<'_> {
        NativeHa { qm: self }
    }
}

fn report_error(qm: &str, rc: i32, e: NhaError) -> MqError {
    match e {
        NhaError::NotConfigured { .. } => MqError::Config(format!(
            "{e}; native_ha=true needs a queue manager created with crtmqm -lr and three NativeHAInstance stanzas"
        )),
        NhaError::NotKnown { .. } => MqError::Node(format!(
            "{e}; add its QueueManager stanza to this node's mqs.ini (addmqinf, or add_mqs_ini=true)"
        )),
        e => MqError::Command(CommandFailed {
            command: format!("dspmq -n -o nativeha -x -m {qm}"),
            rc,
            line: e.to_string(),
        }),
    }
}

/// How a report names the quorum in a reason: `QUORUM(1/3)`.
pub fn quorum_text(r: &NhaReport) -> String {
    format!("QUORUM({}/{})", r.quorum.0, r.quorum.1)
}

impl NativeHa<'_> {
    /// `dspmq -n -o nativeha -x -m QM`: the group as this node sees it.
    pub fn report(&self, deadline: Instant) -> Result<NhaReport, MqError> {
        let qm = self.qm.name.as_str();
        let out = self.qm.run("dspmq", &["-n", "-o", "nativeha", "-x", "-m", qm], None, deadline)?;
        let text = format!("{}{}", out.stdout, out.stderr);
        nativeha::parse(qm, out.rc, &text).map_err(|e| report_error(qm, out.rc, e))
    }

    /// Starts this node's instance with `strmqm [options] QM`, bounded by a share of `deadline`
    /// (a new group elects only once all three have started, so strmqm may wait: UNCONFIRMED how
    /// long, docs/reference/native-ha.md#strmqm), and returns the role dspmq then shows. strmqm
    /// returning is never taken as the group being healthy: only dspmq's `Running` (this instance
    /// is the active one) or `Replica` is a started instance. An instance already running is
    /// left as it is.
    pub fn start_instance(&self, options: &[String], deadline: Instant, j: &dyn Journal) -> Result<NhaStart, MqError> {
        let qm = self.qm.name.as_str();
        let state = self.qm.dspmq(share(deadline, 0.1))?.state;
        match &state {
            QmState::Running => return Ok(NhaStart::Active),
            QmState::Replica => return Ok(NhaStart::Replica),
            QmState::Unknown => {
                return Err(MqError::Node(format!(
                    "queue manager {qm} is not known on this node (dspmq: AMQ7048E); add its QueueManager stanza (addmqinf, or add_mqs_ini=true)"
                )))
            }
            s if s.is_ended() => self.qm.sweep(deadline, j)?,
            QmState::Starting => {}
            other => return Err(MqError::Failed(format!("{qm} is {other} on this node: cannot start its Native HA instance"))),
        }
        let mut args: Vec<&str> = options.iter().map(String::as_str).collect();
        args.push(qm);
        let cmd = format!("strmqm {}", args.join(" "));
        let said = if state == QmState::Starting {
            format!("{qm} was already Starting here")
        } else {
            j.note(Level::Info, &format!("running {cmd}"));
            match self.qm.run("strmqm", &args, None, share(deadline, 0.7)) {
                Ok(out) => {
                    let text = format!("{}{}", out.stdout, out.stderr);
                    match out.rc {
                        0 => format!("{cmd} exited 0 (active)"),
                        RC_REPLICA => format!("{cmd} exited 94 (replica)"),
                        5 => format!("{cmd} exited 5 (already running)"),
                        rc => match classify_strmqm(qm, rc, &text) {
                            StrmqmOutcome::Failed(e) => return Err(e),
                            StrmqmOutcome::Leftovers(pids) => {
                                return Err(MqError::Failed(format!(
                                    "{cmd} refused (rc 24, AMQ8041): processes {pids:?} are still connected to a previous instance"
                                )))
                            }
                            _ => return Err(MqError::Failed(format!("{cmd} exited {rc}: {}", out.explaining_line()))),
                        },
                    }
                }
                // Waiting for a quorum: the instance runs on; dspmq says what it is.
                Err(MqError::Exec(ExecError::Timeout { after, .. })) => {
                    format!("{cmd} did not return within {}s", after.as_secs())
                }
                Err(e) => return Err(e),
            }
        };
        j.note(Level::Info, &said);
        let mut b = Backoff::fast();
        loop {
            let st = self.qm.dspmq(deadline)?.state;
            match st {
                QmState::Running => return Ok(NhaStart::Active),
                QmState::Replica => return Ok(NhaStart::Replica),
                _ => {}
            }
            if !b.sleep(deadline) || Instant::now() >= deadline {
                let group = match self.report(deadline.max(Instant::now() + Duration::from_millis(500))) {
                    Ok(r) => format!(
                        "; Native HA: ROLE({}) {}: the instance waits for a quorum (a new group's first election needs all three instances started)",
                        r.role,
                        quorum_text(&r)
                    ),
                    Err(e) => format!("; {e}"),
                };
                return Err(MqError::Failed(format!("{said} but dspmq says {qm} is {st}{group}")));
            }
        }
    }

    /// Polls this node's view until some instance is Active, or `deadline` (an election in
    /// progress; docs/reference/native-ha.md#quorum-and-election: "within seconds", UNCONFIRMED).
    pub fn wait_elected(&self, deadline: Instant, j: &dyn Journal) -> Result<Elected, MqError> {
        let t = Instant::now();
        let mut b = Backoff::new();
        let mut last = None;
        loop {
            let step = deadline.min(Instant::now() + Duration::from_secs(10));
            match self.report(step) {
                Ok(r) => {
                    if r.role == NhaRole::Active {
                        j.note(
                            Level::Info,
                            &format!("{} elected here after {} ms", self.qm.name, t.elapsed().as_millis()),
                        );
                        return Ok(Elected::Here);
                    }
                    if let Some(a) = r.active() {
                        return Ok(Elected::Elsewhere(NhaReport::describe(a)));
                    }
                    last = Some(r);
                }
                Err(e @ MqError::Config(_)) | Err(e @ MqError::Node(_)) => return Err(e),
                Err(e) => j.note(Level::Debug, &format!("waiting for an election: {e}")),
            }
            if !b.sleep(deadline) || Instant::now() >= deadline {
                return Ok(Elected::Nobody(last));
            }
        }
    }

    /// Ends the active instance here permitting MQ to elect another (`endmqm <mode> -s [-r] QM`,
    /// docs/reference/native-ha.md#endmqm), and waits (a share of `deadline`) until none of its
    /// processes is left here. When they are left: with `may_kill`, this node's processes of the
    /// queue manager are killed (to MQ, the loss of an instance); without, an error naming
    /// endmqm's answer. Returns the steps taken.
    pub fn hand_over(
        &self,
        mode: EndMode,
        reconnect: bool,
        may_kill: bool,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<Vec<String>, MqError> {
        let mut flags = vec![mode.flag(), "-s"];
        if reconnect {
            flags.push("-r");
        }
        self.end_then_kill(&flags, may_kill, deadline, j)
    }

    /// Ends this node's instance: `endmqm -x QM` on a replica (or an instance without a role),
    /// `hand_over` on the active one (also when `-x` is answered "the active instance": it was
    /// elected meanwhile); then as `hand_over` when processes are left.
    pub fn stop_instance(
        &self,
        mode: EndMode,
        reconnect: bool,
        may_kill: bool,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<Vec<String>, MqError> {
        let state = self.qm.dspmq(share(deadline, 0.15).min(Instant::now() + Duration::from_secs(10))).map(|r| r.state);
        if matches!(state, Ok(QmState::Running)) {
            return self.hand_over(mode, reconnect, may_kill, deadline, j);
        }
        let mut steps = Vec::new();
        match self.end(&["-x"], share(deadline, 0.4), &mut steps, j) {
            Some(Ended::Answered) => {
                let now =
                    self.qm.dspmq(share(deadline, 0.1).min(Instant::now() + Duration::from_secs(10))).map(|r| r.state);
                if matches!(now, Ok(QmState::Running)) {
                    steps.extend(self.hand_over(mode, reconnect, may_kill, deadline, j)?);
                    return Ok(steps);
                }
            }
            Some(Ended::Refused(why)) if !may_kill => return self.refused(why),
            _ => {}
        }
        self.kill_rest(&mut steps, deadline, j)?;
        Ok(steps)
    }

    /// MQ refused to end the instance and the caller does not allow the kill: Err naming MQ's
    /// answer, unless the instance ended all the same.
    fn refused(&self, why: String) -> Result<Vec<String>, MqError> {
        if none_left(&self.qm.scope().list_within(Instant::now() + Duration::from_secs(2))) {
            return Ok(vec![]);
        }
        Err(MqError::Failed(format!("{why}; {}'s instance still runs here", self.qm.name)))
    }

    /// `endmqm <flags> QM` within `step`, then, once it accepted, a wait for this node's processes
    /// to go. None: nothing of the queue manager ran here, or endmqm accepted.
    fn end(&self, flags: &[&str], step: Instant, steps: &mut Vec<String>, j: &dyn Journal) -> Option<Ended> {
        let qm = self.qm.name.as_str();
        let scope = self.qm.scope();
        if none_left(&scope.list_within(share(step, 0.1))) {
            return None;
        }
        let mut args = flags.to_vec();
        args.push(qm);
        let cmd = format!("endmqm {}", args.join(" "));
        j.note(Level::Info, &format!("running {cmd}"));
        steps.push(cmd.clone());
        match self.qm.run("endmqm", &args, None, step) {
            Ok(o) if o.rc == 0 => {
                j.note(Level::Debug, &format!("{cmd}: rc 0 {}", o.explaining_line()));
                let _ = wait_gone(scope, step);
                None
            }
            // 40 / 16: not available or not known here (ended meanwhile, or, for a Native HA
            // instance, not what the flags are for): the processes decide, nothing refused.
            Ok(o) if o.rc == 40 || o.rc == 16 => {
                j.note(Level::Info, &format!("{cmd} exited {}: {}", o.rc, o.explaining_line()));
                Some(Ended::Answered)
            }
            Ok(o) => {
                j.note(Level::Warn, &format!("{cmd} exited {}: {}", o.rc, o.explaining_line()));
                Some(Ended::Refused(format!("{cmd} exited {}: {}", o.rc, o.explaining_line())))
            }
            Err(e) => {
                j.note(Level::Warn, &format!("{cmd}: {e}"));
                Some(Ended::NoAnswer)
            }
        }
    }

    /// One endmqm step with half the time left, then `kill_rest`.
    fn end_then_kill(
        &self,
        flags: &[&str],
        may_kill: bool,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<Vec<String>, MqError> {
        let mut steps = Vec::new();
        if let Some(Ended::Refused(why)) = self.end(flags, share(deadline, 0.5), &mut steps, j) {
            if !may_kill {
                return self.refused(why);
            }
        }
        self.kill_rest(&mut steps, deadline, j)?;
        Ok(steps)
    }

    /// What endmqm left of this node's processes is killed (this node's family only): a hung
    /// instance, or one MQ refused to end when the caller allowed it (native_ha_last_replica=warn).
    fn kill_rest(&self, steps: &mut Vec<String>, deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        let qm = self.qm.name.as_str();
        let scope = self.qm.scope();
        if none_left(&scope.list_within(share(deadline, 0.1))) {
            return Ok(());
        }
        let after = steps.last().cloned().unwrap_or_else(|| "endmqm".into());
        j.note(Level::Warn, &format!("processes of {qm} are left here after {after}: killing them"));
        steps.push("SIGKILL".into());
        match kill_family(scope, deadline, j).1 {
            Ok(left) if left.is_empty() => Ok(()),
            Ok(left) => Err(MqError::Failed(format!(
                "processes of queue manager {qm} survived SIGKILL after {after}: {}",
                left.iter().map(Proc::describe).collect::<Vec<_>>().join("; ")
            ))),
            Err(e) => Err(MqError::Failed(format!("{e} after {after}: its processes may be left here"))),
        }
    }
}

/// What an endmqm step said when it did not simply end the instance.
enum Ended {
    /// rc 40 / 16: nothing refused, nothing ended (the line is in the journal).
    Answered,
    /// Any other rc: MQ refused (its quorum check, a replica without -x): the line.
    Refused(String),
    /// endmqm did not finish in its time (killed).
    NoAnswer,
}
