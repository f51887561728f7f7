//! ocf:mqha:ibmmq: the queue-manager agent's actions. Each action resolves the installation and
//! the mq user on this node, runs one mq-core operation within the action's deadline, and maps
//! the outcome to an OCF exit code here (errors by who must act: configuration 6, this node 5,
//! permission 4, anything else 1; monitor states by the table in table.rs).

pub mod hung;
pub mod multi;
pub mod nativeha;
pub mod replay;
pub mod table;
pub mod watch;

use std::time::{Duration, Instant};

use mq_core::client_check::{self, ClientConfigError};
use mq_core::limits;
use mq_core::mqi::{restart_cannot_fix, ConnectionKind, MqiError};
use mq_core::placement::{Placement, Wanted};
use mq_core::qmgr::checks::NodeCheckOptions;
use mq_core::qmgr::monitor::ClientProbe;
use mq_core::qmgr::start::StartOptions;
use mq_core::qmgr::stop::{kill_family, StopPlan};
use mq_core::qmgr::{Journal, QueueManager};
use mq_core::{Deadline, MqError, QmState};

use crate::component::{exit_for, exit_for_placement, Failure, OcfJournal};
use crate::ocf::{log, Action, CheckLevel, Env, OcfExit};
use crate::pacemaker::Pacemaker;
use crate::spec::ibmmq::{ClientCheck, IbmmqParams};

fn fail(e: MqError) -> Failure {
    Failure(exit_for(&e), e.to_string())
}

/// A start or promote whose time ran out during the log replay: the reason says how long the
/// queue manager had been Starting and which operation timeout to set (crm_mon keeps 128
/// characters: the command comes first); the log gets the whole story.
fn start_fail(env: &Env, op: &str, e: MqError) -> Failure {
    let MqError::StillStarting { qm, secs, .. } = &e else { return fail(e) };
    let timeout = env.timeout.as_secs();
    let want = replay_timeout_advice(timeout, *secs);
    let rsc = env.instance.split(':').next().unwrap_or(&env.instance);
    let cmd = format!("pcs resource update {rsc} op {op} timeout={want}s");
    log::err(format!(
        "{e}; the {op} timeout of {timeout}s does not cover this log replay (it needs more than {secs}s, how much more MQ does not say): give {op} more time, e.g. {cmd}, and replay_timeout at least as much"
    ));
    Failure(
        OcfExit::ErrGeneric,
        format!("{cmd}: {qm} still Starting (log replay) after {secs}s of {op} timeout={timeout}s"),
    )
}

/// A start timeout to suggest when a replay outlasted `timeout` after `secs` of Starting: twice
/// the longer of the two, in whole minutes.
fn replay_timeout_advice(timeout: u64, secs: u64) -> u64 {
    (2 * timeout.max(secs)).div_ceil(60).max(1) * 60
}

fn wanted(p: &IbmmqParams) -> Wanted<'_> {
    Wanted {
        mq_user: p.mq_user.as_deref(),
        mq_installation: p.mq_installation.as_deref(),
        data_path: p.data_path.as_deref(),
    }
}

/// The queue manager as this node sees it: installation, data path, user (mq-core's placement),
/// its programs started with the resource limits of `launch_limits` and the variables of
/// `env_file`. A bad env_file fails it (6, or 5 when missing here).
fn open(p: &IbmmqParams, deadline: Instant) -> Result<QueueManager, Failure> {
    open_as(p, deadline, true)
}

/// `open` for stop, which never fails over configuration: a bad env_file is a warning and the
/// queue manager is stopped without its variables.
fn open_for_stop(p: &IbmmqParams, deadline: Instant) -> Result<QueueManager, Failure> {
    open_as(p, deadline, false)
}

fn open_as(p: &IbmmqParams, deadline: Instant, strict: bool) -> Result<QueueManager, Failure> {
    let placed = Placement::resolve(&p.qmgr, &wanted(p), Deadline::at(deadline), &OcfJournal)
        .map_err(|e| Failure(exit_for_placement(&e), e.to_string()))?;
    let (planned, problems) = launch_limits(p, &placed.user);
    for why in problems {
        log::debug(why);
    }
    let mut qm = QueueManager::new(p.qmgr.clone(), placed.installation, placed.user).with_limits(&planned);
    if let Some(f) = &p.env_file {
        match mq_core::envfile::read(f) {
            Ok(vars) => qm = qm.with_env(&vars),
            Err(e) if strict => return Err(fail(e)),
            Err(e) => log::warn(format!("{e}; stopping {} without its variables", p.qmgr)),
        }
    }
    Ok(qm)
}

/// The resource limits every MQ program gets (docs/ibmmq.md#resource-limits): the `limits`
/// parameter's, else the higher of pam_limits' values for the mq user and IBM's minimums; and the
/// pam_limits files that could not be read.
fn launch_limits(p: &IbmmqParams, user: &mq_core::user::MqUser) -> (Vec<limits::Planned>, Vec<String>) {
    let (pam, mut problems) = limits::pam_for(user, std::path::Path::new(limits::PAM_DIR));
    let (planned, cut) = limits::plan_all(&p.limits, pam);
    problems.extend(cut);
    (planned, problems)
}

/// Depth 10: the execution controller's limits (/proc/PID/limits) against IBM's minimums; a
/// warning naming the parameter that fixes it, never a failure (the queue manager works, until
/// it runs out).
fn warn_low_limits(qm: &QueueManager, pids: &[i32]) {
    let Some(pid) = pids
        .iter()
        .copied()
        .find(|pid| mq_core::procs::read(*pid).is_some_and(|pr| pr.name == mq_core::procs::EXECUTION_CONTROLLER))
    else {
        return;
    };
    let Some(text) = mq_core::procs::read_limits(pid) else { return };
    let low = limits::below_minimum(&text);
    if !low.is_empty() {
        log::warn(format!(
            "{}: its execution controller (pid {pid}) runs with {}; restart it through the agent, or set limits=\"nofile=10240 nproc=4096\" (or higher) and restart",
            qm.name,
            low.join(", ")
        ));
    }
}

/// A short exit reason for a failed MQI check: crm_mon keeps 128 characters, so the reason code
/// and what to change come first; the full text with IBM's hint goes to the log.
fn mqi_reason(qm: &str, e: &MqiError) -> String {
    log::err(format!("{qm}: {}", e.with_hint()));
    match e {
        MqiError::NoAnswer { step, bound } => hung_reason(qm, step, *bound),
        _ => e.brief(qm),
    }
}

/// The exit reason of a queue manager that did not answer within hang_timeout: the verdict and
/// the parameter first (crm_mon keeps 128 characters).
pub(crate) fn hung_reason(qm: &str, what: &str, bound: Duration) -> String {
    format!("{qm} hung: no answer within hang_timeout={}s to {what}", bound.as_secs())
}

/// hang_timeout must leave a monitor time to report: below its timeout, or exit 6 naming both.
pub(crate) fn check_hang_timeout(env: &Env, p: &IbmmqParams) -> Result<(), Failure> {
    if p.hang_timeout >= env.timeout {
        return Err(Failure(
            OcfExit::ErrConfigured,
            format!(
                "hang_timeout={}s is not below this monitor's timeout of {}s; set hang_timeout lower (at most half of it)",
                p.hang_timeout.as_secs(),
                env.timeout.as_secs_f64()
            ),
        ));
    }
    if p.hang_timeout > env.timeout / 2 {
        log::warn(format!(
            "hang_timeout={}s is more than half of this monitor's timeout of {}s: a hang may end the monitor by its timeout instead",
            p.hang_timeout.as_secs(),
            env.timeout.as_secs_f64()
        ));
    }
    Ok(())
}

/// Whether an MQI check failed because the queue manager did not answer within the hang bound.
pub(crate) fn no_answer(e: &MqiError) -> bool {
    matches!(e, MqiError::NoAnswer { .. })
}

/// A monitor's MQI or runmqsc check came back: a hang is recorded for the stop that follows,
/// an answer clears an older record.
pub(crate) fn note_answer(qm: &QueueManager, controller: Option<i32>, hung_now: bool) {
    match (hung_now, controller) {
        (true, Some(pid)) => hung::record(qm, pid),
        (true, None) => {}
        (false, _) => hung::clear(qm),
    }
}

/// Refuses a `monitor_program` root cannot trust or the mq user cannot run (6, naming it); start,
/// validate-all and reload check it so that a bad one is seen before a monitor runs it.
pub(crate) fn check_monitor_program(qm: &QueueManager, p: &IbmmqParams, deadline: Instant) -> Result<(), Failure> {
    match &p.monitor_program {
        Some(prog) => qm.check_monitor_program(prog, deadline).map_err(fail),
        None => Ok(()),
    }
}

/// Runs `monitor_program` when this monitor is deep enough for it and not a probe (a probe says
/// where the queue manager runs; the site's check may need what is started after it): a program
/// that fails, overruns or cannot run fails the monitor with `failed` (1, or 9 when promoted),
/// a refused one with 6. Called only once the queue manager is known to be running and active here.
pub(crate) fn run_monitor_program(
    qm: &QueueManager,
    env: &Env,
    p: &IbmmqParams,
    failed: OcfExit,
    deadline: Instant,
) -> Result<(), Failure> {
    let Some(prog) = &p.monitor_program else { return Ok(()) };
    if env.is_probe() || env.check_level.depth() < p.monitor_program_level {
        return Ok(());
    }
    match qm.run_monitor_program(prog, deadline) {
        Ok(()) => {
            log::debug(format!("{}: monitor_program {} passed", p.qmgr, prog.display()));
            Ok(())
        }
        Err(e) if e.fault() == mq_core::Fault::Config => Err(fail(e)),
        Err(e) => {
            log::err(format!("{}: {e}", p.qmgr));
            Err(Failure(failed, e.to_string()))
        }
    }
}

/// How long reading the evidence of a failure may take: it runs after the action's own work,
/// so it may use half of the margin the action keeps to report and exit, and never more than this.
const EVIDENCE_TIME: std::time::Duration = std::time::Duration::from_secs(3);

/// The wall-clock time the action began.
pub(crate) fn began(env: &Env) -> std::time::SystemTime {
    std::time::SystemTime::now() - env.started.elapsed()
}

/// Logs what the queue manager wrote down since `since` about a failure of `what` (error-log
/// entries, FDC files: mq-core's `qmgr::evidence`) and returns `reason` led by the first error
/// id found. Read within half the action's remaining margin, at most `EVIDENCE_TIME`.
fn with_evidence(qm: &QueueManager, env: &Env, since: std::time::SystemTime, what: &str, reason: String) -> String {
    let ev = qm.evidence(since, evidence_until(env));
    let lines = ev.lines(qm.name.as_str(), what);
    if lines.is_empty() {
        log::info(format!("{}: no error-log entry or FDC file of it since {what}", qm.name));
    }
    for line in lines {
        log::warn(line);
    }
    ev.lead(&reason)
}

/// Until when the evidence of a failure may be read: what is left of the action's budget plus
/// half of the margin it keeps to report and exit, at most `EVIDENCE_TIME` from now.
fn evidence_until(env: &Env) -> Instant {
    let now = Instant::now();
    let margin_half = (env.started + env.timeout).saturating_duration_since(env.deadline().max(now)) / 2;
    now + (env.deadline().saturating_duration_since(now) + margin_half).min(EVIDENCE_TIME)
}

/// `with_evidence` for the multi-instance actions, which open the queue manager themselves: on a
/// failure the queue manager is opened again (its placement is cached) to read the evidence.
pub(crate) fn evidenced(
    env: &Env,
    p: &IbmmqParams,
    since: std::time::SystemTime,
    what: &str,
    r: Result<OcfExit, Failure>,
) -> Result<OcfExit, Failure> {
    let Err(Failure(code, reason)) = r else { return r };
    match open(p, evidence_until(env)) {
        Ok(qm) => Err(Failure(code, with_evidence(&qm, env, since, what, reason))),
        Err(_) => Err(Failure(code, reason)),
    }
}

/// Since when a failed monitor reports evidence: a recurring monitor since the previous one
/// could have begun (one interval and one timeout before this one), a probe since it began.
pub(crate) fn monitor_window(env: &Env) -> std::time::SystemTime {
    let back = std::time::Duration::from_millis(env.interval_ms.unwrap_or(0)) + env.timeout;
    if env.is_probe() {
        began(env)
    } else {
        began(env).checked_sub(back).unwrap_or(std::time::UNIX_EPOCH)
    }
}

/// How a monitor's window is named in the log.
pub(crate) fn monitor_what(env: &Env) -> &'static str {
    if env.is_probe() {
        "the probe began"
    } else {
        "the previous monitor"
    }
}

fn finish(r: Result<OcfExit, Failure>) -> OcfExit {
    match r {
        Ok(x) => x,
        Err(Failure(code, reason)) => {
            log::exit_reason(reason);
            code
        }
    }
}

/// Runs `action` for the queue manager in `params` (layer-1 checks already passed).
pub fn run(action: &Action, env: &Env, params: &IbmmqParams) -> OcfExit {
    if params.multi_instance {
        if let Some(exit) = multi::run(action, env, params) {
            return exit;
        }
    }
    if params.native_ha {
        if let Some(exit) = nativeha::run(action, env, params) {
            return exit;
        }
    }
    let deadline = env.deadline();
    if env.fail_have_binary {
        // ocf-tester's "binaries missing" case: as on a node without MQ.
        return match action {
            Action::Stop => OcfExit::Success,
            Action::Monitor if env.is_probe() => OcfExit::NotRunning,
            _ => {
                log::exit_reason("MQ is not installed on this node (OCF_TESTER_FAIL_HAVE_BINARY=1)");
                OcfExit::ErrInstalled
            }
        };
    }
    match action {
        Action::Start => finish(start(env, params, deadline)),
        Action::Stop => stop(env, params, deadline),
        Action::Monitor => finish(monitor(env, params, deadline)),
        Action::ValidateAll => finish(validate(params, deadline)),
        Action::ReloadAgent => {
            // The reloadable parameters (test_queue, client_*, stop_mode, monitor_program*) are read afresh by every
            // action; a new test queue is created by the next start or here when running.
            finish(reload(env, params, deadline))
        }
        other => {
            log::exit_reason(format!("ibmmq does not implement {other}"));
            OcfExit::Unimplemented
        }
    }
}

fn node_options(params: &IbmmqParams) -> NodeCheckOptions {
    NodeCheckOptions { add_mqs_ini: params.add_mqs_ini, data_path: params.data_path.clone() }
}

fn start(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let qm = open(p, deadline)?;
    check_monitor_program(&qm, p, deadline)?;
    start_opened(env, p, &qm, deadline)
        .map_err(|Failure(code, reason)| Failure(code, with_evidence(&qm, env, began(env), "the start began", reason)))
}

fn start_opened(env: &Env, p: &IbmmqParams, qm: &QueueManager, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let (planned, problems) = launch_limits(p, &qm.user);
    for why in problems {
        log::warn(why);
    }
    log::info(format!(
        "{}: limits of its processes: {}",
        p.qmgr,
        planned.iter().map(limits::Planned::describe).collect::<Vec<_>>().join(", ")
    ));
    qm.node_checks(&node_options(p), Some(&Pacemaker::from_env(env)), deadline, &j).map_err(fail)?;
    let opts = StartOptions {
        strmqm_options: p.strmqm_options.clone(),
        test_queue: p.test_queue.clone(),
        command_server: p.command_server,
        channel_initiator: p.channel_initiator,
    };
    qm.start(&opts, deadline, &j).map_err(|e| start_fail(env, "start", e))?;
    // Return only when depth 0 and depth 10 pass.
    let (verdict, extra) = depth0(qm, p, false, deadline, &j);
    if verdict.exit != OcfExit::Success {
        return Err(Failure(OcfExit::ErrGeneric, format!("after start: {}", verdict.reason)));
    }
    qm.check_mqi(deadline, Some(p.hang_timeout))
        .map_err(|e| Failure(OcfExit::ErrGeneric, format!("after start: {}", mqi_reason(p.qmgr.as_str(), &e))))?;
    log::info(format!("{} started", p.qmgr));
    watch::after_start(qm, env, p.crash_watch, extra.controller, deadline);
    Ok(OcfExit::Success)
}

/// How long this node has seen `o`'s controller Starting (zero unless it is).
pub(crate) fn starting_for(qm: &QueueManager, o: &mq_core::qmgr::monitor::Observation) -> std::time::Duration {
    match (&o.state, o.controller_pid()) {
        (Ok(QmState::Starting), Some(pid)) => replay::seen_starting(&qm.inst.path, &qm.name.directory(), pid),
        _ => std::time::Duration::ZERO,
    }
}

/// What depth 0 sees of this node: /proc plus one dspmq, watched while transitional for up to half
/// the budget, and the facts every monitor table (single instance, multi-instance, Native HA)
/// reads from it.
pub(crate) struct Seen {
    pub o: mq_core::qmgr::monitor::Observation,
    pub pids: Vec<i32>,
    data_visible: bool,
    starting_for: std::time::Duration,
}

impl Seen {
    /// Looks; Err names why /proc could not be read in time (the monitor then fails, generic).
    pub(crate) fn look(qm: &QueueManager, deadline: Instant, j: &dyn Journal) -> Result<Seen, String> {
        let now = Instant::now();
        let watch_until = now + deadline.saturating_duration_since(now) / 2;
        let o = qm.observe_settled(deadline, watch_until, j);
        if let Some(e) = &o.scan_error {
            return Err(format!("{}: {e}", qm.name));
        }
        let needs_visibility = matches!(o.state, Ok(QmState::StatusNotAvailable) | Ok(QmState::Unknown) | Err(_));
        let data_visible = needs_visibility && qm.data_visible(deadline);
        let pids = o.pids();
        let starting_for = starting_for(qm, &o);
        Ok(Seen { o, pids, data_visible, starting_for })
    }

    /// The single-instance table's facts, which the other tables extend.
    pub(crate) fn facts<'a>(&'a self, qm: &'a QueueManager, probe: bool, p: &IbmmqParams) -> table::Facts<'a> {
        table::Facts {
            qm: qm.name.as_str(),
            probe,
            state: &self.o.state,
            pids: &self.pids,
            controller: self.o.has_controller(),
            data_visible: self.data_visible,
            watched_ms: self.o.watched.as_millis(),
            starting_for: self.starting_for,
            replay_limit: p.replay_timeout,
        }
    }
}

/// Depth 0: what `Seen` sees, judged by the single-instance table.
fn depth0(
    qm: &QueueManager,
    p: &IbmmqParams,
    probe: bool,
    deadline: Instant,
    j: &dyn Journal,
) -> (table::Verdict, Depth0Extra) {
    let seen = match Seen::look(qm, deadline, j) {
        Ok(seen) => seen,
        Err(reason) => {
            return (
                table::Verdict { exit: OcfExit::ErrGeneric, reason },
                Depth0Extra { replaying: false, pids: vec![], controller: None },
            )
        }
    };
    let verdict = table::decide(&seen.facts(qm, probe, p));
    let replaying = verdict.exit == OcfExit::Success && matches!(seen.o.state, Ok(QmState::Starting));
    let controller = seen.o.controller_pid();
    (verdict, Depth0Extra { replaying, pids: seen.pids, controller })
}

/// Depth 0's findings beside its verdict.
pub(crate) struct Depth0Extra {
    /// A log replay accepted as running: the deeper checks cannot run yet (MQI calls get 2059).
    pub replaying: bool,
    /// The queue manager's processes it saw (the depth-10 limits look reads the controller's).
    pub pids: Vec<i32>,
    /// The execution controller's pid among them (what the crash watcher watches; a hung verdict is
    /// recorded against it).
    pub controller: Option<i32>,
}

fn monitor(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let probe = env.is_probe();
    let qm = match open(p, deadline) {
        Ok(qm) => qm,
        // A probe never fails because this node lacks the installation, the user or the data:
        // nothing of the queue manager can run here then, unless /proc says otherwise.
        Err(Failure(code, reason)) => {
            // Without an answer from /proc in time, nothing says it is not running here.
            let left = mq_core::procs::family_of(
                p.qmgr.as_str(),
                Some(&wanted(p).installation_path(&p.qmgr, Deadline::at(deadline))),
                mq_core::procs::Owner::Mq(None),
                mq_core::deadline::share(deadline, 0.5),
            );
            if probe && mq_core::procs::none_left(&left) {
                log::info(format!("probe: {reason}; {} is not running here", p.qmgr));
                return Ok(OcfExit::NotRunning);
            }
            return Err(Failure(if probe { OcfExit::ErrGeneric } else { code }, reason));
        }
    };
    if env.check_level >= CheckLevel::Medium {
        check_hang_timeout(env, p)?;
    }
    monitor_opened(env, p, &qm, deadline).map_err(|Failure(code, reason)| {
        Failure(code, with_evidence(&qm, env, monitor_window(env), monitor_what(env), reason))
    })
}

fn monitor_opened(env: &Env, p: &IbmmqParams, qm: &QueueManager, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let probe = env.is_probe();
    let (verdict, extra) = depth0(qm, p, probe, deadline, &j);
    match verdict.exit {
        OcfExit::Success if extra.replaying => {
            log::info(&verdict.reason);
            return Ok(OcfExit::Success);
        }
        OcfExit::Success => {}
        OcfExit::NotRunning => {
            log::info(&verdict.reason);
            return Ok(OcfExit::NotRunning);
        }
        code => {
            // A recurring monitor that fails runs the node checks: a node that lost its set-up
            // (storage, ownership) gets that reason and a ban from this node.
            if !probe {
                if let Err(e) = qm.node_checks(&NodeCheckOptions::default(), None, deadline, &j) {
                    log::warn(&verdict.reason);
                    return Err(Failure(exit_for(&e), e.to_string()));
                }
            }
            return Err(Failure(code, verdict.reason));
        }
    }
    let mut degraded = None;
    let bound = Some(p.hang_timeout);
    if env.check_level >= CheckLevel::Deep {
        // Depth 20's steps begin with depth 10's connect and inquiry: one MQI child does both;
        // the client check runs in a second one, as its own user.
        let client = match &p.client {
            Some(c) => Some(client_probe(qm, c, deadline)?),
            None => None,
        };
        let r = qm.check_messages(&p.test_queue, client.as_ref(), deadline, bound);
        note_answer(qm, extra.controller, r.as_ref().is_err_and(no_answer));
        match r {
            Ok(()) => {}
            // The queue manager serves in bindings mode and refuses the client check for a reason
            // its restart cannot change: degraded, not failed (docs/ibmmq.md "Client check").
            Err(e) if client_config_refusal(&e) => degraded = Some(mqi_reason(p.qmgr.as_str(), &e)),
            Err(e) => return Err(Failure(OcfExit::ErrGeneric, mqi_reason(p.qmgr.as_str(), &e))),
        }
    } else if env.check_level >= CheckLevel::Medium {
        let r = qm.check_mqi(deadline, bound);
        note_answer(qm, extra.controller, r.as_ref().is_err_and(no_answer));
        r.map_err(|e| Failure(OcfExit::ErrGeneric, mqi_reason(p.qmgr.as_str(), &e)))?;
    }
    if env.check_level >= CheckLevel::Medium {
        warn_low_limits(qm, &extra.pids);
        let restarted =
            qm.check_components((p.command_server, p.channel_initiator), deadline, bound, &j).map_err(|e| {
                if let MqError::NoAnswer { what, bound, .. } = &e {
                    note_answer(qm, extra.controller, true);
                    return Failure(OcfExit::ErrGeneric, hung_reason(p.qmgr.as_str(), what, *bound));
                }
                Failure(OcfExit::ErrGeneric, format!("{}: managed component down and not restartable: {e}", p.qmgr))
            })?;
        if !restarted.is_empty() {
            log::warn(format!("{}: restarted {}", p.qmgr, restarted.join(", ")));
        }
    }
    if !probe {
        watch::keep(qm, env, p.crash_watch, extra.controller, deadline);
    }
    // Last: the site's check gets what the agent's own checks left of the budget.
    run_monitor_program(qm, env, p, OcfExit::ErrGeneric, deadline)?;
    if let Some(reason) = degraded {
        log::exit_reason(reason);
        return Ok(OcfExit::Degraded);
    }
    Ok(OcfExit::Success)
}

/// A failure of the client check (never of the bindings steps) with a reason that restarting
/// the queue manager cannot fix.
pub(crate) fn client_config_refusal(e: &MqiError) -> bool {
    matches!(e, MqiError::Call { kind: ConnectionKind::Client, reason, .. } if restart_cannot_fix(*reason))
}

/// The client check's identity and credentials, checked on this node: a privileged client_user
/// or an unsafe credentials file is a configuration error (6), a missing one is this node's (2).
pub(crate) fn client_probe(qm: &QueueManager, c: &ClientCheck, deadline: Instant) -> Result<ClientProbe, Failure> {
    let refuse = |e: ClientConfigError| {
        let code = match e {
            ClientConfigError::Invalid(_) => OcfExit::ErrConfigured,
            ClientConfigError::NotOnThisNode(_) => OcfExit::ErrArgs,
            ClientConfigError::Node(_) => OcfExit::ErrGeneric,
        };
        Failure(code, e.to_string())
    };
    let identity = match &c.user {
        Some(name) => Some(client_check::client_identity(name, &qm.user, deadline).map_err(refuse)?),
        None => None,
    };
    let credentials = match &c.credentials {
        Some(path) => Some(client_check::read_credentials(path).map_err(refuse)?),
        None => None,
    };
    Ok(ClientProbe { channel: c.channel.clone(), conname: c.conname.clone(), identity, credentials })
}

/// Stop never fails because of configuration: without an installation or user, this queue
/// manager's processes are ended by /proc alone.
fn stop(env: &Env, p: &IbmmqParams, deadline: Instant) -> OcfExit {
    let j = OcfJournal;
    let plan = StopPlan::new(p.stop_mode, p.ipc_cleanup).reconnecting(p.reconnect_clients);
    match open_for_stop(p, deadline) {
        Ok(qm) => match end_watcher(&qm, deadline)
            .and_then(|()| qm.stop(&plan.answering(Some(p.hang_timeout), hung_seen(&qm, deadline)), deadline, &j))
        {
            Ok(r) => {
                hung::clear(&qm);
                if r.already_stopped {
                    log::info(format!("{} is already stopped", p.qmgr));
                } else {
                    log::info(format!("{} stopped ({})", p.qmgr, r.steps.join(", ")));
                }
                if r.escalated() {
                    // The orderly end did not do: what the queue manager said about why.
                    with_evidence(&qm, env, began(env), "the stop began", String::new());
                }
                OcfExit::Success
            }
            Err(e) => {
                log::exit_reason(with_evidence(&qm, env, began(env), "the stop began", e.to_string()));
                OcfExit::ErrGeneric
            }
        },
        Err(Failure(_, reason)) => {
            log::warn(format!("{reason}; stopping {} by its processes alone", p.qmgr));
            // Without a usable installation: this name's processes of the configured (or
            // default) installation path.
            let path = wanted(p).installation_path(&p.qmgr, Deadline::at(deadline));
            if let Err(e) = watch::disarm_at(&path, &p.qmgr, mq_core::deadline::share(deadline, 0.2)) {
                log::warn(e);
            }
            let scope = mq_core::procs::Scope { qm: p.qmgr.as_str(), inst: Some(&path), uid: None };
            let (killed, left) = kill_family(scope, deadline, &j);
            match left {
                Ok(left) if left.is_empty() => {
                    if !killed.is_empty() {
                        log::warn(format!("killed {} processes of {}", killed.len(), p.qmgr));
                    }
                    OcfExit::Success
                }
                Ok(left) => {
                    log::exit_reason(format!(
                        "{} processes of {} survive SIGKILL: pids {:?}",
                        left.len(),
                        p.qmgr,
                        left.iter().map(|p| p.pid).collect::<Vec<_>>()
                    ));
                    OcfExit::ErrGeneric
                }
                // Never success without proof that nothing is left.
                Err(e) => {
                    log::exit_reason(format!("{e}: processes of {} may be left", p.qmgr));
                    OcfExit::ErrGeneric
                }
            }
        }
    }
}

/// Ends the crash watcher before anything touches the queue manager, so the stop's own ending of
/// the controller is never reported as a crash; waits until it is gone (never past a fifth of the
/// time left, the rest is the stop's).
pub(crate) fn end_watcher(qm: &QueueManager, deadline: Instant) -> Result<(), MqError> {
    if let Err(e) = watch::disarm(qm, mq_core::deadline::share(deadline, 0.2)) {
        // Its state file is gone already: it can ask nothing now, whatever became of it.
        log::warn(e);
    }
    Ok(())
}

/// A monitor's fresh verdict that this queue manager's running controller is hung, as the
/// stop's reason to skip the orderly end.
pub(crate) fn hung_seen(qm: &QueueManager, deadline: Instant) -> Option<String> {
    let family = qm.scope().list_within(mq_core::deadline::share(deadline, 0.05)).ok()?;
    let pid = family.iter().find(|p| p.name == mq_core::procs::EXECUTION_CONTROLLER)?.pid;
    let age = hung::seen(qm, pid)?;
    Some(format!("a monitor found {} hung {}s ago (controller pid {pid})", qm.name, age.as_secs()))
}

/// validate-all at depth 10+: this node's set-up, without changing anything.
fn validate(p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let qm = open(p, deadline)?;
    check_monitor_program(&qm, p, deadline)?;
    let mut o = node_options(p);
    o.add_mqs_ini = false;
    if p.add_mqs_ini && qm.stanza().is_none() {
        log::info(format!("{} is not in mqs.ini yet; start will add it (add_mqs_ini=true)", p.qmgr));
        return Ok(OcfExit::Success);
    }
    qm.node_checks(&o, None, deadline, &j).map_err(fail)?;
    if let Some(c) = &p.client {
        client_probe(&qm, c, deadline)?;
    }
    Ok(OcfExit::Success)
}

fn reload(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    // Nothing runs here (or this node lacks MQ): the next start applies the parameters.
    let Ok(qm) = open(p, deadline) else { return Ok(OcfExit::Success) };
    check_monitor_program(&qm, p, deadline)?;
    if matches!(qm.dspmq(deadline).map(|r| r.state), Ok(QmState::Running)) {
        qm.ensure_test_queue(&p.test_queue, deadline, &OcfJournal)
            .map_err(|e| Failure(OcfExit::ErrGeneric, format!("reload: {e}")))?;
        // crash_watch turned on or off. A multi-instance queue manager's watcher follows the role:
        // its next monitor arms one on the promoted instance only.
        if !p.multi_instance && !p.native_ha {
            watch::keep(&qm, env, p.crash_watch, qm.observe(deadline).controller_pid(), deadline);
        }
    }
    log::info(format!(
        "{}: reloaded parameters (test_queue={}, stop_mode={:?}, monitor_program={})",
        p.qmgr,
        p.test_queue,
        p.stop_mode,
        p.monitor_program.as_ref().map(|m| m.display().to_string()).unwrap_or_else(|| "none".into())
    ));
    Ok(OcfExit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_timeout_suggested_after_a_replay_outlasted_it() {
        // Twice the longer of the timeout and the time seen Starting, in whole minutes.
        assert_eq!(replay_timeout_advice(10, 7), 60);
        assert_eq!(replay_timeout_advice(120, 100), 240);
        assert_eq!(replay_timeout_advice(300, 700), 1440);
        assert_eq!(replay_timeout_advice(0, 0), 60);
    }
}
