//! What a monitor observes: the process family in /proc and one `dspmq -n` (depth 0), the MQI
//! and the managed components (depth 10), messages moving (depth 20). Observations only: what
//! they mean to the cluster is the agent's table.

use std::time::{Duration, Instant};

use super::{share, Backoff, Journal, Level, QueueManager};
use crate::dspmq::QmState;
use crate::error::MqError;
use crate::mqi::{self, MqiError, MqiTarget, ProbeIdentity};
use crate::procs::{self, Proc};

/// The depth-20 client check: where to connect, as whom (None: the mq user) and with which MQCSP
/// credentials.
#[derive(Debug, Clone)]
pub struct ClientProbe {
    pub channel: String,
    pub conname: String,
    pub identity: Option<ProbeIdentity>,
    pub credentials: Option<mqi::Credentials>,
}

/// Depth 0: the state dspmq reports and the processes /proc shows.
#[derive(Debug, Clone)]
pub struct Observation {
    /// None when dspmq could not answer; the error says why.
    pub state: Result<QmState, String>,
    pub family: Vec<Proc>,
    /// Why /proc could not be read in time (`family` is then empty and says nothing).
    pub scan_error: Option<String>,
    /// How long a transitional state was watched before giving up (zero when it was not).
    pub watched: Duration,
}

impl Observation {
    pub fn has_controller(&self) -> bool {
        self.family.iter().any(|p| p.name == procs::EXECUTION_CONTROLLER)
    }
    pub fn pids(&self) -> Vec<i32> {
        self.family.iter().map(|p| p.pid).collect()
    }
    /// The execution controller's pid, when it is in /proc.
    pub fn controller_pid(&self) -> Option<i32> {
        self.family.iter().find(|p| p.name == procs::EXECUTION_CONTROLLER).map(|p| p.pid)
    }
}

/// The connect and inquiry at the head of `steps` bounded by `hang_bound`.
fn answer_bound(steps: &[mqi::ProbeStep], hang_bound: Option<Duration>) -> Option<mqi::AnswerBound> {
    let head =
        steps.iter().take_while(|s| matches!(s, mqi::ProbeStep::Connect | mqi::ProbeStep::InquireQmName)).count();
    hang_bound.map(|within| mqi::AnswerBound { steps: head, within })
}

impl QueueManager {
    /// One look: /proc (in a child, within a quarter of the time left), then one dspmq within half the time left before `deadline`: a dspmq that
    /// hangs (on a FIFO as mqs.ini, on hung storage) leaves the rest to judge and answer.
    pub fn observe(&self, deadline: Instant) -> Observation {
        let (family, scan_error) = match self.scope().list_within(share(deadline, 0.25)) {
            Ok(f) => (f, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let state = self.dspmq(share(deadline, 0.5)).map(|r| r.state).map_err(|e| e.to_string());
        Observation { state, family, scan_error, watched: Duration::ZERO }
    }

    /// Looks, and while the state is transitional (starting, quiescing, ending) looks again until
    /// it settles or `watch_until` passes: a queue manager stuck there is reported stuck. Starting
    /// with the execution controller in /proc is a log replay that may last minutes: one look says
    /// it (the caller decides how long it may last), without watching.
    pub fn observe_settled(&self, deadline: Instant, watch_until: Instant, j: &dyn Journal) -> Observation {
        let first = Instant::now();
        let mut o = self.observe(deadline);
        let mut b = Backoff::new();
        let replaying = |o: &Observation| matches!(o.state, Ok(QmState::Starting)) && o.has_controller();
        while matches!(&o.state, Ok(s) if s.is_transitional()) && !replaying(&o) {
            if !b.sleep(watch_until.min(deadline)) {
                break;
            }
            o = self.observe(deadline);
        }
        o.watched = first.elapsed();
        if let Ok(s) = &o.state {
            if s.is_transitional() && !replaying(&o) {
                j.note(Level::Warn, &format!("{} stayed {s} for {}ms", self.name, o.watched.as_millis()));
            }
        }
        o
    }

    /// `mqsc` within `deadline`, and within `hang_bound` when given: a runmqsc killed at that
    /// bound is `MqError::NoAnswer`.
    pub fn mqsc_answering(
        &self,
        script: &str,
        deadline: Instant,
        hang_bound: Option<Duration>,
    ) -> Result<crate::runmqsc::Report, MqError> {
        let Some(bound) = hang_bound else { return self.mqsc(script, deadline) };
        let by = Instant::now() + bound;
        match self.mqsc(script, deadline.min(by)) {
            Err(MqError::Exec(crate::error::ExecError::Timeout { .. })) if by < deadline => {
                Err(MqError::NoAnswer { qm: self.name.to_string(), what: format!("runmqsc {}", self.name), bound })
            }
            other => other,
        }
    }

    fn mqi_target(&self) -> MqiTarget {
        MqiTarget::new(&self.inst.path, ProbeIdentity::from(&self.user), self.name.clone())
    }

    /// Depth 10: MQI connect and inquiry of the queue manager's name. With `hang_bound`, a
    /// queue manager that has not answered both within it is `MqiError::NoAnswer` (hung) at once,
    /// instead of using up the deadline.
    pub fn check_mqi(&self, deadline: Instant, hang_bound: Option<Duration>) -> Result<(), MqiError> {
        let steps = mqi::depth10_steps();
        mqi::run_probe_answering(&self.mqi_target(), &steps, deadline, answer_bound(&steps, hang_bound)).map(|_| ())
    }

    /// Depth 20: persistent put/get on the test queue and a temporary dynamic queue in bindings
    /// mode as the mq user, then with a client check a client connect and inquiry through the
    /// listener, in a second child as the check's own user with its credentials. A client
    /// failure is an `MqiError::Call` of `ConnectionKind::Client`.
    /// `hang_bound` bounds the first connect and inquiry only (as in `check_mqi`): the message
    /// steps of a busy queue manager may take longer, within the deadline.
    pub fn check_messages(
        &self,
        test_queue: &str,
        client: Option<&ClientProbe>,
        deadline: Instant,
        hang_bound: Option<Duration>,
    ) -> Result<(), MqiError> {
        let steps = mqi::depth20_steps(test_queue, None);
        mqi::run_probe_answering(&self.mqi_target(), &steps, deadline, answer_bound(&steps, hang_bound))?;
        let Some(c) = client else { return Ok(()) };
        let target = MqiTarget {
            identity: c.identity.clone().unwrap_or_else(|| ProbeIdentity::from(&self.user)),
            credentials: c.credentials.clone(),
            ..self.mqi_target()
        };
        mqi::run_probe(&target, &mqi::client_steps(&c.channel, &c.conname), deadline).map(|_| ())
    }

    /// Depth 10, managed components: restarts a dead one in place (the queue manager keeps
    /// serving; failing it over would cost more than the component) and reports what it did.
    /// Err when a managed component cannot be brought back; `MqError::NoAnswer` when runmqsc
    /// got no answer within `hang_bound`.
    pub fn check_components(
        &self,
        manage: (super::Manage, super::Manage),
        deadline: Instant,
        hang_bound: Option<Duration>,
        j: &dyn Journal,
    ) -> Result<Vec<String>, MqError> {
        use super::start::{must_manage, Components, COMPONENT_STATUS, QMGR_CONTROL, QMGR_DETAILS, QMSTATUS_DETAILS};
        if manage == (super::Manage::No, super::Manage::No) {
            return Ok(vec![]);
        }
        let need_control = manage.0 == super::Manage::Auto || manage.1 == super::Manage::Auto;
        let script = if need_control {
            format!("{QMGR_CONTROL}\n{COMPONENT_STATUS}\n")
        } else {
            format!("{COMPONENT_STATUS}\n")
        };
        let r = self.mqsc_answering(&script, share(deadline, 0.4), hang_bound)?;
        let control = r.answer(QMGR_CONTROL, QMGR_DETAILS);
        let status = r.answer(COMPONENT_STATUS, QMSTATUS_DETAILS);
        let comps = Components {
            command_server: must_manage(manage.0, control.and_then(|c| c.attr("SCMDSERV"))),
            channel_initiator: must_manage(manage.1, control.and_then(|c| c.attr("SCHINIT"))),
        };
        let cs = status.and_then(|s| s.attr("CMDSERV"));
        let ci = status.and_then(|s| s.attr("CHINIT"));
        let mut restarted = Vec::new();
        let up = |s: Option<&str>| matches!(s, Some("RUNNING") | Some("STARTING"));
        if comps.command_server && !up(cs) {
            j.note(
                Level::Warn,
                &format!("the command server of {} is {}; restarting it", self.name, cs.unwrap_or("?")),
            );
            restarted.push(format!("command server (was {})", cs.unwrap_or("?")));
        }
        if comps.channel_initiator && !up(ci) {
            j.note(
                Level::Warn,
                &format!("the channel initiator of {} is {}; restarting it", self.name, ci.unwrap_or("?")),
            );
            restarted.push(format!("channel initiator (was {})", ci.unwrap_or("?")));
        }
        if !restarted.is_empty() {
            self.ensure_components(comps, cs, ci, deadline, j)?;
        }
        Ok(restarted)
    }
}
