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
    /// `hand_over` on the active one; then as `hand_over` when processes are left.
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
        self.end_then_kill(&["-x"], may_kill, deadline, j)
    }

    /// One endmqm step with half the time left, a wait for this node's processes to go, then,
    /// for what is left, the kill: always when endmqm did not answer or said nothing against it
    /// (a hung instance), and after a refusal (MQ's quorum check) only with `may_kill`.
    fn end_then_kill(
        &self,
        flags: &[&str],
        may_kill: bool,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<Vec<String>, MqError> {
        let qm = self.qm.name.as_str();
        let scope = self.qm.scope();
        let mut steps = Vec::new();
        if none_left(&scope.list_within(share(deadline, 0.1))) {
            return Ok(steps);
        }
        let mut args = flags.to_vec();
        args.push(qm);
        let cmd = format!("endmqm {}", args.join(" "));
        j.note(Level::Info, &format!("running {cmd}"));
        steps.push(cmd.clone());
        let step = share(deadline, 0.5);
        let refused = match self.qm.run("endmqm", &args, None, step) {
            Ok(o) if o.rc == 0 || o.rc == 40 || o.rc == 16 => {
                j.note(Level::Debug, &format!("{cmd}: rc {} {}", o.rc, o.explaining_line()));
                None
            }
            Ok(o) => {
                j.note(Level::Warn, &format!("{cmd} exited {}: {}", o.rc, o.explaining_line()));
                Some(format!("{cmd} exited {}: {}", o.rc, o.explaining_line()))
            }
            Err(e) => {
                j.note(Level::Warn, &format!("{cmd}: {e}"));
                None
            }
        };
        if refused.is_none() {
            let _ = wait_gone(scope, step);
        }
        if none_left(&scope.list_within(share(deadline, 0.1))) {
            return Ok(steps);
        }
        if let (Some(why), false) = (&refused, may_kill) {
            return Err(MqError::Failed(format!("{why}; {qm}'s instance still runs here")));
        }
        steps.push("SIGKILL".into());
        match kill_family(scope, deadline, j).1 {
            Ok(left) if left.is_empty() => Ok(steps),
            Ok(left) => Err(MqError::Failed(format!(
                "processes of queue manager {qm} survived SIGKILL after {cmd}: {}",
                left.iter().map(Proc::describe).collect::<Vec<_>>().join("; ")
            ))),
            Err(e) => Err(MqError::Failed(format!("{e} after {cmd}: its processes may be left here"))),
        }
    }
}
