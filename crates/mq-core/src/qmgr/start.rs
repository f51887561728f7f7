//! Starting a queue manager: sweep what a crashed instance left (this queue manager's processes
//! only), strmqm, read its exit code (docs/reference/mq-commands.md#strmqm-return-codes), poll until Running, create
//! the test queue, start the components the agent manages. The caller verifies depth 0 and 10 afterwards.

use std::time::{Duration, Instant};

use super::stop::kill_family;
use super::{share, Backoff, Journal, Level, Manage, QueueManager};
use crate::dspmq::QmState;
use crate::error::{ExecError, MqError};
use crate::procs::{self, Proc};
use crate::runmqsc::quoted;

/// What the agent asks of a start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartOptions {
    /// Extra strmqm arguments (already validated), placed before the queue-manager name.
    pub strmqm_options: Vec<String>,
    pub test_queue: String,
    pub command_server: Manage,
    pub channel_initiator: Manage,
}

/// What strmqm's exit code means for the start (docs/reference/mq-commands.md#strmqm-return-codes).
#[derive(Debug)]
pub enum StrmqmOutcome {
    /// 0: started (or starting; the state poll decides).
    Started,
    /// 5: already running.
    AlreadyRunning,
    /// 24 / AMQ8041: processes connected to the previous instance still run; their pids.
    Leftovers(Vec<i32>),
    /// 49: the queue manager is still ending; wait and try again.
    Stopping,
    /// 30: a standby instance started: the active instance runs elsewhere.
    Standby,
    /// Anything else, classified.
    Failed(MqError),
}

/// Pids named by AMQ8041's "Process N is still running." lines.
pub fn leftover_pids(output: &str) -> Vec<i32> {
    output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Process ")?.strip_suffix(" is still running.")?.trim().parse().ok())
        .collect()
}

/// Decides what strmqm's exit code and output mean.
pub fn classify_strmqm(qm: &str, rc: i32, output: &str) -> StrmqmOutcome {
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with("AMQ"))
        .or_else(|| output.lines().rfind(|l| !l.trim().is_empty()))
        .unwrap_or("(no output)")
        .trim()
        .to_string();
    let why = |what: &str| format!("strmqm {qm} exited {rc} ({what}): {line}");
    match rc {
        0 => StrmqmOutcome::Started,
        5 => StrmqmOutcome::AlreadyRunning,
        24 => StrmqmOutcome::Leftovers(leftover_pids(output)),
        49 => StrmqmOutcome::Stopping,
        30 => StrmqmOutcome::Standby,
        16 | 72 => StrmqmOutcome::Failed(MqError::Node(format!(
            "{}; the queue manager is not defined on this node: add its QueueManager stanza to mqs.ini (addmqinf, or add_mqs_ini=true)",
            why("queue manager does not exist")
        ))),
        69 | 100 | 23 => StrmqmOutcome::Failed(MqError::Node(format!(
            "{}; check that its data and log file systems are mounted here",
            why(if rc == 69 { "storage not available" } else { "log not available" })
        ))),
        58 | 62 => StrmqmOutcome::Failed(MqError::Node(format!(
            "{}; set mq_installation to the queue manager's installation (dspmq -o installation)",
            why("installation mismatch")
        ))),
        119 => StrmqmOutcome::Failed(MqError::Permission(format!(
            "{}; the mq user must be in group mqm",
            why("not authorized")
        ))),
        39 | 91 | 92 => StrmqmOutcome::Failed(MqError::Config(format!("{}; check strmqm_options", why("invalid parameter")))),
        31 | 43 | 47 => StrmqmOutcome::Failed(MqError::Failed(why("an active instance runs elsewhere"))),
        3 => StrmqmOutcome::Failed(MqError::Failed(why("queue manager being created"))),
        _ => StrmqmOutcome::Failed(MqError::Failed(why("start failed"))),
    }
}

/// Which components the agent must start, from the resource's wish and the queue manager's
/// SCMDSERV / SCHINIT (QMGR: the queue manager starts it itself).
pub fn must_manage(wish: Manage, control: Option<&str>) -> bool {
    match wish {
        Manage::Yes => true,
        Manage::No => false,
        Manage::Auto => control.map(|c| c.eq_ignore_ascii_case("MANUAL")).unwrap_or(false),
    }
}

/// What the start found about the managed components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Components {
    pub command_server: bool,
    pub channel_initiator: bool,
}

impl QueueManager {
    /// Starts the queue manager and returns once dspmq says Running (or the error says why not).
    pub fn start(&self, opts: &StartOptions, deadline: Instant, j: &dyn Journal) -> Result<Components, MqError> {
        let qm = self.name.as_str();
        let report = self.dspmq(share(deadline, 0.2))?;
        let mut state = report.state;
        j.note(Level::Debug, &format!("start: dspmq says {state}"));
        if state.is_transitional() && state != QmState::Starting {
            state = self.wait_settled(share(deadline, 0.5), j)?;
        }
        if state == QmState::RunningElsewhere {
            // Another node's instance still holds the data (a partition before the isolated
            // node has stopped, a stop still under way there): wait for it to let go within this
            // start's budget instead of failing at once and burning migration-threshold.
            state = self.wait_released(share(deadline, 0.7), j)?;
        }
        match &state {
            QmState::Running | QmState::Starting => {}
            QmState::Unknown => {
                return Err(MqError::Node(format!(
                    "queue manager {qm} is not known on this node (dspmq: AMQ7048E); add its QueueManager stanza to {} (addmqinf, or add_mqs_ini=true)",
                    self.inst.mqs_ini().display()
                )))
            }
            QmState::RunningElsewhere => {
                return Err(MqError::Failed(format!(
                    "queue manager {qm} is Running elsewhere (an active instance on another node holds its data); stop it there first"
                )))
            }
            QmState::RunningAsStandby => {
                return Err(MqError::Failed(format!(
                    "a standby instance of {qm} runs on this node outside the cluster; end it (endmqm -x {qm}) or use multi_instance=true"
                )))
            }
            _ => {
                self.sweep(deadline, j)?;
                self.strmqm(opts, deadline, j)?;
            }
        }
        self.wait_running(deadline, j)?;
        self.prepare(opts, deadline, j)
    }

    /// Kills what a crashed instance of this queue manager left: its own processes only.
    pub fn sweep(&self, deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        let qm = self.name.as_str();
        // No answer from /proc in time: some may be left, so the kill rounds look again.
        match self.scope().list_within(share(deadline, 0.1)) {
            Ok(left) if left.is_empty() => return Ok(()),
            Ok(left) => j.note(
                Level::Warn,
                &format!("{} processes of a previous instance of {qm} are left; killing them", left.len()),
            ),
            Err(e) => j.note(Level::Warn, &format!("{e}; killing what a previous instance of {qm} may have left")),
        }
        match kill_family(self.scope(), share(deadline, 0.3), j).1 {
            Ok(still) if still.is_empty() => Ok(()),
            Ok(still) => Err(MqError::Failed(format!(
                "processes of a previous instance of {qm} survive SIGKILL: {}",
                still.iter().map(Proc::describe).collect::<Vec<_>>().join("; ")
            ))),
            Err(e) => Err(MqError::Failed(format!("{e}: processes of a previous instance of {qm} may be left"))),
        }
    }

    fn strmqm(&self, opts: &StartOptions, deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        let qm = self.name.as_str();
        let mut args: Vec<&str> = opts.strmqm_options.iter().map(String::as_str).collect();
        args.push(qm);
        // Two tries at most: after killing our leftovers (rc 24) or after an end completes (49).
        for attempt in 0..2 {
            j.note(Level::Info, &format!("running strmqm {}", args.join(" ")));
            let launched = Instant::now();
            let mut progress = Progress::new(launched);
            let mut on_line = |l: &str| progress.strmqm_line(qm, l, j);
            let run = self.runner().run_watched(&self.inst.bin("strmqm"), &args, share(deadline, 0.8), &mut on_line);
            let out = match run {
                Ok(out) => out,
                Err(e @ ExecError::Timeout { .. }) => {
                    return Err(self.still_starting(launched, progress.last, e, deadline))
                }
                Err(e) => return Err(e.into()),
            };
            let text = format!("{}{}", out.stdout, out.stderr);
            match classify_strmqm(qm, out.rc, &text) {
                StrmqmOutcome::Started | StrmqmOutcome::AlreadyRunning => return Ok(()),
                StrmqmOutcome::Standby => {
                    return Err(MqError::Failed(format!(
                        "strmqm {qm} started a standby instance (rc 30): the active instance runs elsewhere"
                    )))
                }
                StrmqmOutcome::Stopping if attempt == 0 => {
                    j.note(Level::Info, &format!("{qm} is still ending (strmqm rc 49); waiting for it"));
                    self.wait_settled(share(deadline, 0.5), j)?;
                }
                StrmqmOutcome::Leftovers(pids) if attempt == 0 => {
                    self.clear_leftovers(&pids, deadline, j)?;
                }
                StrmqmOutcome::Leftovers(pids) => {
                    return Err(MqError::Failed(format!(
                        "strmqm {qm} still refuses (rc 24, AMQ8041): processes {pids:?} remain connected to the previous instance"
                    )))
                }
                StrmqmOutcome::Stopping => {
                    return Err(MqError::Failed(format!("strmqm {qm}: the queue manager is still stopping (rc 49)")))
                }
                StrmqmOutcome::Failed(e) => {
                    return Err(match e {
                        MqError::Failed(m) => MqError::Failed(format!("{m}; see {}", self.error_log())),
                        other => other,
                    })
                }
            }
        }
        Err(MqError::Failed(format!("strmqm {qm} did not start the queue manager")))
    }

    /// strmqm did not return within its share of the budget: a queue manager still Starting with
    /// its controller running is a log replay that needs longer (StillStarting, so the caller can
    /// say which timeout would cover it); anything else is the timeout itself.
    fn still_starting(&self, since: Instant, progress: Option<String>, e: ExecError, deadline: Instant) -> MqError {
        let state = self.dspmq(deadline).map(|r| r.state);
        // No answer from /proc in time counts as no controller: the start fails as a timeout.
        let controller = self
            .scope()
            .list_within(deadline)
            .is_ok_and(|found| found.iter().any(|p| p.name == procs::EXECUTION_CONTROLLER));
        match state {
            Ok(QmState::Starting) if controller => {
                MqError::StillStarting { qm: self.name.to_string(), secs: since.elapsed().as_secs(), progress }
            }
            Ok(other) => MqError::Failed(format!("{e} (dspmq then said {other}); see {}", self.error_log())),
            Err(_) => e.into(),
        }
    }

    /// rc 24: kill the listed processes that are ours; name the others and refuse to touch them
    /// (an application's process is its owner's to stop: killing it could lose its work).
    fn clear_leftovers(&self, pids: &[i32], deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        let qm = self.name.as_str();
        let mut foreign = Vec::new();
        let named = procs::read_within(pids, share(deadline, 0.1)).map_err(MqError::Failed)?;
        for p in named {
            if !self.scope().holds(&p) {
                foreign.push(p.describe());
            }
        }
        let (_, left) = kill_family(self.scope(), share(deadline, 0.3), j);
        let left = left.map_err(|e| MqError::Failed(format!("{e}: processes of {qm} may be left")))?;
        if !foreign.is_empty() {
            for f in &foreign {
                j.note(
                    Level::Warn,
                    &format!("application process still connected to the previous instance of {qm}: {f}"),
                );
            }
            return Err(MqError::Failed(format!(
                "strmqm {qm} refused (rc 24, AMQ8041): application processes are still connected to the previous instance: {}; stop them (the agent does not kill applications)",
                foreign.join("; ")
            )));
        }
        if !left.is_empty() {
            return Err(MqError::Failed(format!(
                "strmqm {qm} refused (rc 24) and processes of {qm} survive SIGKILL: {}",
                left.iter().map(Proc::describe).collect::<Vec<_>>().join("; ")
            )));
        }
        j.note(Level::Info, &format!("killed the processes strmqm named (rc 24, AMQ8041): {pids:?}"));
        Ok(())
    }

    /// Polls dspmq while the queue manager is starting or ending; the settled state, or an error
    /// naming the state it was stuck in at `deadline`.
    pub fn wait_settled(&self, deadline: Instant, j: &dyn Journal) -> Result<QmState, MqError> {
        let started = Instant::now();
        let mut b = Backoff::new();
        loop {
            // Never past `deadline`: no floor for dspmq, and no look once it has passed.
            let state = self.dspmq(deadline)?.state;
            if !state.is_transitional() {
                return Ok(state);
            }
            if !b.sleep(deadline) || Instant::now() >= deadline {
                j.note(Level::Warn, &format!("{} still {state} after {:?}", self.name, started.elapsed()));
                return Err(MqError::Failed(format!(
                    "queue manager {} is stuck {state} after {}s",
                    self.name,
                    started.elapsed().as_secs()
                )));
            }
        }
    }

    /// Polls dspmq (100 ms growing to 1 s) while it says Running elsewhere; the state once the
    /// other instance has released the data, or an error saying it still holds it at `deadline`.
    pub fn wait_released(&self, deadline: Instant, j: &dyn Journal) -> Result<QmState, MqError> {
        let qm = self.name.as_str();
        let started = Instant::now();
        j.note(Level::Info, &format!("{qm} is Running elsewhere: waiting for the other instance to release its data"));
        let mut b = Backoff::patient();
        loop {
            if !b.sleep(deadline) || Instant::now() >= deadline {
                return Err(MqError::Failed(format!(
                    "queue manager {qm} is still Running elsewhere after {}s of this start's budget (an instance on another node holds its data); stop it there, or fence that node",
                    started.elapsed().as_secs()
                )));
            }
            let state = self.dspmq(deadline)?.state;
            if state == QmState::RunningElsewhere {
                continue;
            }
            j.note(
                Level::Info,
                &format!(
                    "{qm}: the other instance released the data after {}ms (dspmq: {state})",
                    started.elapsed().as_millis()
                ),
            );
            return if state.is_transitional() && state != QmState::Starting {
                self.wait_settled(deadline, j)
            } else {
                Ok(state)
            };
        }
    }

    /// Polls until dspmq says Running and the execution controller is in /proc. While it says
    /// Starting (a log replay: after a takeover, or a strmqm that is not ours) the wait goes on
    /// to 85% of the budget, reported at info every PROGRESS_EVERY; past that, StillStarting.
    fn wait_running(&self, deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        let qm = self.name.as_str();
        let started = Instant::now();
        let mut b = Backoff::new();
        let poll_deadline = share(deadline, 0.85);
        let mut progress = Progress::new(started);
        loop {
            let state = self.dspmq(deadline)?.state;
            match state {
                QmState::Running => {
                    if self
                        .scope()
                        .list_within(poll_deadline)
                        .is_ok_and(|f| f.iter().any(|p| p.name == procs::EXECUTION_CONTROLLER))
                    {
                        j.note(Level::Info, &format!("{qm} is running after {}ms", started.elapsed().as_millis()));
                        return Ok(());
                    }
                }
                QmState::Starting => {
                    progress.starting(qm, j);
                    if !b.sleep(poll_deadline) {
                        return Err(MqError::StillStarting {
                            qm: qm.to_string(),
                            secs: started.elapsed().as_secs(),
                            progress: None,
                        });
                    }
                    continue;
                }
                other => {
                    return Err(MqError::Failed(format!(
                        "queue manager {qm} did not start: dspmq says {other}; see {}",
                        self.error_log()
                    )))
                }
            }
            if !b.sleep(poll_deadline) {
                return Err(MqError::Failed(format!(
                    "queue manager {qm} is still {state} {}s after strmqm; see {}",
                    started.elapsed().as_secs(),
                    self.error_log()
                )));
            }
        }
    }

    /// After Running: the test queue exists (DEFPSIST(YES)), managed components run.
    fn prepare(&self, opts: &StartOptions, deadline: Instant, j: &dyn Journal) -> Result<Components, MqError> {
        let show_queue = display_test_queue(&opts.test_queue);
        let script = format!("{QMGR_CONTROL}\n{show_queue}\n{COMPONENT_STATUS}\n");
        let report = self.mqsc(&script, share(deadline, 0.3))?;
        if report.answer(&show_queue, QUEUE_DETAILS).is_none() {
            self.define_test_queue(&opts.test_queue, share(deadline, 0.3), j)?;
        }
        let control = report.answer(QMGR_CONTROL, QMGR_DETAILS);
        let comps = Components {
            command_server: must_manage(opts.command_server, control.and_then(|r| r.attr("SCMDSERV"))),
            channel_initiator: must_manage(opts.channel_initiator, control.and_then(|r| r.attr("SCHINIT"))),
        };
        let status = report.answer(COMPONENT_STATUS, QMSTATUS_DETAILS);
        self.ensure_components(
            comps,
            status.and_then(|r| r.attr("CMDSERV")),
            status.and_then(|r| r.attr("CHINIT")),
            deadline,
            j,
        )?;
        Ok(comps)
    }

    /// Creates the test queue DEFPSIST(YES) when it does not exist (reload-agent, after a change
    /// of test_queue). Ok(true) when it was created.
    pub fn ensure_test_queue(&self, queue: &str, deadline: Instant, j: &dyn Journal) -> Result<bool, MqError> {
        let show_queue = display_test_queue(queue);
        let r = self.mqsc(&format!("{show_queue}\n"), share(deadline, 0.5))?;
        if r.answer(&show_queue, QUEUE_DETAILS).is_some() {
            return Ok(false);
        }
        self.define_test_queue(queue, deadline, j)?;
        Ok(true)
    }

    /// The one place the test queue is created: persistent by default, so depth 20's put and get
    /// go through the log.
    fn define_test_queue(&self, queue: &str, deadline: Instant, j: &dyn Journal) -> Result<(), MqError> {
        j.note(Level::Info, &format!("creating the test queue {queue} DEFPSIST(YES)"));
        let define = format!("DEFINE QLOCAL({}) DEFPSIST(YES) DESCR('mqha monitor test queue')", quoted(queue));
        let r = self.mqsc(&format!("{define}\n"), deadline)?;
        if r.answer(&define, QUEUE_CREATED).is_some() {
            return Ok(());
        }
        let why = r.sections.first().and_then(|s| s.replies.first()).map(|r| format!("{}: {}", r.id, r.text));
        Err(MqError::Failed(format!(
            "cannot create the test queue {queue}: {}",
            why.unwrap_or_else(|| "no reply".into())
        )))
    }

    /// Starts the managed components that are not running and waits for them to report RUNNING.
    pub fn ensure_components(
        &self,
        comps: Components,
        cmdserv: Option<&str>,
        chinit: Option<&str>,
        deadline: Instant,
        j: &dyn Journal,
    ) -> Result<(), MqError> {
        let qm = self.name.as_str();
        let running = |s: Option<&str>| matches!(s, Some("RUNNING") | Some("STARTING"));
        let mut started_any = false;
        if comps.command_server && !running(cmdserv) {
            j.note(Level::Info, &format!("starting the command server of {qm} (strmqcsv)"));
            let o = self.run("strmqcsv", &[qm], None, share(deadline, 0.3))?;
            if o.rc != 0 {
                return Err(MqError::Failed(format!("strmqcsv {qm} exited {}: {}", o.rc, o.explaining_line())));
            }
            started_any = true;
        }
        if comps.channel_initiator && !running(chinit) {
            j.note(Level::Info, &format!("starting the channel initiator of {qm} (runmqchi)"));
            self.runner().spawn_detached(&self.inst.bin("runmqchi"), &["-m", qm])?;
            started_any = true;
        }
        if !started_any {
            return Ok(());
        }
        let mut b = Backoff::new();
        let d = share(deadline, 0.5);
        loop {
            let (cs, ci) = self.component_status(d.max(Instant::now() + Duration::from_secs(1)).min(deadline))?;
            let ok = (!comps.command_server || cs.as_deref() == Some("RUNNING"))
                && (!comps.channel_initiator || ci.as_deref() == Some("RUNNING"));
            if ok {
                return Ok(());
            }
            if !b.sleep(d) {
                return Err(MqError::Failed(format!(
                    "{qm}: command server {}, channel initiator {} after starting them",
                    cs.unwrap_or_else(|| "?".into()),
                    ci.unwrap_or_else(|| "?".into())
                )));
            }
        }
    }

    /// DISPLAY QMSTATUS CMDSERV CHINIT: (command server, channel initiator) states.
    pub fn component_status(&self, deadline: Instant) -> Result<(Option<String>, Option<String>), MqError> {
        let r = self.mqsc(&format!("{COMPONENT_STATUS}\n"), deadline)?;
        let rep = r.answer(COMPONENT_STATUS, QMSTATUS_DETAILS);
        Ok((
            rep.and_then(|r| r.attr("CMDSERV")).map(str::to_string),
            rep.and_then(|r| r.attr("CHINIT")).map(str::to_string),
        ))
    }
}

/// How often a long start (log replay) is reported at info; in between only at debug, so a
/// replay of many minutes leaves a few lines in the log, not one per progress message.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// What a start reports of a long log replay: strmqm's progress lines (IBM's AMQ7229I, "N log
/// records accessed ... during the log replay phase", docs/reference/mq-commands.md#log-replay)
/// and dspmq's Starting, each at most once per PROGRESS_EVERY at info.
struct Progress {
    since: Instant,
    told: Option<Instant>,
    /// The last replay line strmqm printed.
    last: Option<String>,
}

impl Progress {
    fn new(since: Instant) -> Progress {
        Progress { since, told: None, last: None }
    }

    /// Whether it is time for an info line (the first one at once).
    fn due(&mut self) -> bool {
        let due = self.told.map(|t| t.elapsed() >= PROGRESS_EVERY).unwrap_or(true);
        if due {
            self.told = Some(Instant::now());
        }
        due
    }

    fn strmqm_line(&mut self, qm: &str, line: &str, j: &dyn Journal) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        if !line.contains("during the log replay phase") {
            j.note(Level::Info, &format!("strmqm {qm}: {line}"));
            return;
        }
        self.last = Some(line.to_string());
        let level = if self.due() { Level::Info } else { Level::Debug };
        j.note(level, &format!("strmqm {qm}: Starting for {}s: {line}", self.since.elapsed().as_secs()));
    }

    fn starting(&mut self, qm: &str, j: &dyn Journal) {
        let level = if self.due() { Level::Info } else { Level::Debug };
        j.note(
            level,
            &format!("{qm} is Starting (log replay) for {}s; waiting for it to run", self.since.elapsed().as_secs()),
        );
    }
}

/// The MQSC the start and monitor ask, and the reply (AMQ message number) each is read by.
pub(crate) const QMGR_CONTROL: &str = "DISPLAY QMGR SCMDSERV SCHINIT";
pub(crate) const QMGR_DETAILS: &str = "8408";
pub(crate) const COMPONENT_STATUS: &str = "DISPLAY QMSTATUS CMDSERV CHINIT";
pub(crate) const QMSTATUS_DETAILS: &str = "8705";
const QUEUE_DETAILS: &str = "8409";
const QUEUE_CREATED: &str = "8006";

fn display_test_queue(queue: &str) -> String {
    format!("DISPLAY QLOCAL({}) DEFPSIST", quoted(queue))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Fault;

    // docs/reference/mq-processes-and-files.md#leftover-processes, real dltmqm/strmqm output for rc 24.
    const AMQ8041: &str = "AMQ8041S: The queue manager cannot be restarted or deleted because processes,\n\
that were previously connected, are still running.\nProcess 1973 is still running.\nProcess 2409 is still running.\n\
AMQ7018E: The queue manager operation cannot be completed.\n";

    #[test]
    fn rc24_lists_the_pids() {
        assert!(matches!(classify_strmqm("QM1", 24, AMQ8041), StrmqmOutcome::Leftovers(p) if p == vec![1973, 2409]));
    }

    #[test]
    fn every_strmqm_code_of_the_reference() {
        assert!(matches!(
            classify_strmqm("QM1", 0, "IBM MQ queue manager 'QM1' started using V9.3.1.0.\n"),
            StrmqmOutcome::Started
        ));
        assert!(matches!(classify_strmqm("QM1", 5, "IBM MQ queue manager running.\n"), StrmqmOutcome::AlreadyRunning));
        assert!(matches!(classify_strmqm("QM1", 49, ""), StrmqmOutcome::Stopping));
        assert!(matches!(
            classify_strmqm("QM1", 30, "A standby instance of queue manager 'QM1' has been started."),
            StrmqmOutcome::Standby
        ));
        let fault = |rc, out: &str| match classify_strmqm("QM1", rc, out) {
            StrmqmOutcome::Failed(e) => (e.fault(), e.to_string()),
            other => panic!("{rc}: {other:?}"),
        };
        let (f, msg) = fault(16, "AMQ8118E: IBM MQ queue manager does not exist.\n");
        assert_eq!(f, Fault::Node);
        assert!(msg.contains("AMQ8118E") && msg.contains("exited 16"), "{msg}");
        assert_eq!(fault(72, "").0, Fault::Node);
        assert_eq!(fault(69, "").0, Fault::Node);
        assert_eq!(fault(100, "").0, Fault::Node);
        assert_eq!(fault(62, "").0, Fault::Node);
        assert_eq!(
            fault(119, "AMQ7077E: You are not authorized to perform the requested operation.").0,
            Fault::Permission
        );
        assert_eq!(fault(39, "").0, Fault::Config);
        // 23 (log not available) and 58 (installation mismatch) are this node's; the rest
        // are worth a retry or a move.
        for (rc, want) in [
            (3, Fault::Generic),
            (23, Fault::Node),
            (31, Fault::Generic),
            (43, Fault::Generic),
            (47, Fault::Generic),
            (58, Fault::Node),
            (71, Fault::Generic),
            (94, Fault::Generic),
            (255, Fault::Generic),
        ] {
            let (f, msg) = fault(rc, "AMQ9224E: bad qm.ini");
            assert_eq!(f, want, "{rc}");
            assert!(msg.contains(&format!("exited {rc}")), "{msg}");
        }
    }

    #[test]
    fn replay_progress_is_logged_at_info_at_most_every_ten_seconds() {
        let notes = std::cell::RefCell::new(Vec::new());
        let j = |l: Level, m: &str| notes.borrow_mut().push((l, m.to_string()));
        let mut p = Progress::new(Instant::now());
        p.strmqm_line("QM1", "IBM MQ queue manager 'QM1' starting.", &j);
        for n in [1700, 3400, 5100] {
            p.strmqm_line(
                "QM1",
                &format!("{n} log records accessed on queue manager 'QM1' during the log replay phase."),
                &j,
            );
        }
        p.strmqm_line("QM1", "Log replay for queue manager 'QM1' complete.", &j);
        let levels: Vec<Level> = notes.borrow().iter().map(|(l, _)| *l).collect();
        assert_eq!(levels, [Level::Info, Level::Info, Level::Debug, Level::Debug, Level::Info]);
        assert!(notes.borrow()[1].1.contains("Starting for 0s: 1700 log records"), "{:?}", notes.borrow());
        assert_eq!(
            p.last.as_deref(),
            Some("5100 log records accessed on queue manager 'QM1' during the log replay phase.")
        );
        // dspmq's Starting shares the same pace.
        p.starting("QM1", &j);
        assert_eq!(notes.borrow().last().unwrap().0, Level::Debug);
        p.told = Some(Instant::now() - PROGRESS_EVERY);
        p.starting("QM1", &j);
        assert_eq!(notes.borrow().last().unwrap().0, Level::Info);
    }

    #[test]
    fn component_management_rules() {
        assert!(must_manage(Manage::Auto, Some("MANUAL")));
        assert!(!must_manage(Manage::Auto, Some("QMGR")));
        assert!(!must_manage(Manage::Auto, None));
        assert!(must_manage(Manage::Yes, Some("QMGR")));
        assert!(!must_manage(Manage::No, Some("MANUAL")));
    }
}
