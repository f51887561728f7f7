//! ocf:mqha:ibmmq: the queue-manager agent's actions. Each action resolves the installation and
//! the mq user on this node, runs one mq-core operation within the action's deadline, and maps
//! the outcome to an OCF exit code here (errors by who must act: configuration 6, this node 5,
//! permission 4, anything else 1; monitor states by the table in table.rs).

pub mod multi;
pub mod table;

use std::time::Instant;

use mq_core::client_check::{self, ClientConfigError};
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

fn wanted(p: &IbmmqParams) -> Wanted<'_> {
    Wanted {
        mq_user: p.mq_user.as_deref(),
        mq_installation: p.mq_installation.as_deref(),
        data_path: p.data_path.as_deref(),
    }
}

/// The queue manager as this node sees it: installation, data path, user (mq-core's placement).
fn open(p: &IbmmqParams, deadline: Instant) -> Result<QueueManager, Failure> {
    let placed = Placement::resolve(&p.qmgr, &wanted(p), Deadline::at(deadline), &OcfJournal)
        .map_err(|e| Failure(exit_for_placement(&e), e.to_string()))?;
    Ok(QueueManager::new(p.qmgr.clone(), placed.installation, placed.user))
}

/// A short exit reason for a failed MQI check: crm_mon keeps 128 characters, so the reason code
/// and what to change come first; the full text with IBM's hint goes to the log.
fn mqi_reason(qm: &str, e: &MqiError) -> String {
    log::err(format!("{qm}: {}", e.with_hint()));
    e.brief(qm)
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
        Action::Stop => stop(params, deadline),
        Action::Monitor => finish(monitor(env, params, deadline)),
        Action::ValidateAll => finish(validate(params, deadline)),
        Action::ReloadAgent => {
            // The reloadable parameters (test_queue, client_*, stop_mode) are read afresh by every
            // action; a new test queue is created by the next start or here when running.
            finish(reload(params, deadline))
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
    let j = OcfJournal;
    let qm = open(p, deadline)?;
    qm.node_checks(&node_options(p), Some(&Pacemaker::from_env(env)), deadline, &j).map_err(fail)?;
    let opts = StartOptions {
        strmqm_options: p.strmqm_options.clone(),
        test_queue: p.test_queue.clone(),
        command_server: p.command_server,
        channel_initiator: p.channel_initiator,
    };
    qm.start(&opts, deadline, &j).map_err(fail)?;
    // Return only when depth 0 and depth 10 pass.
    let (verdict, _) = depth0(&qm, false, deadline, &j);
    if verdict.exit != OcfExit::Success {
        return Err(Failure(OcfExit::ErrGeneric, format!("after start: {}", verdict.reason)));
    }
    qm.check_mqi(deadline)
        .map_err(|e| Failure(OcfExit::ErrGeneric, format!("after start: {}", mqi_reason(p.qmgr.as_str(), &e))))?;
    log::info(format!("{} started", p.qmgr));
    Ok(OcfExit::Success)
}

/// Depth 0: /proc plus one dspmq, watched while transitional for up to half the budget.
fn depth0(qm: &QueueManager, probe: bool, deadline: Instant, j: &dyn Journal) -> (table::Verdict, Vec<i32>) {
    let now = Instant::now();
    let watch_until = now + deadline.saturating_duration_since(now) / 2;
    let o = qm.observe_settled(deadline, watch_until, j);
    if let Some(e) = &o.scan_error {
        return (table::Verdict { exit: OcfExit::ErrGeneric, reason: format!("{}: {e}", qm.name) }, vec![]);
    }
    let needs_visibility = matches!(o.state, Ok(QmState::StatusNotAvailable) | Ok(QmState::Unknown) | Err(_));
    let data_visible = needs_visibility && qm.data_visible(deadline);
    let pids = o.pids();
    let facts = table::Facts {
        qm: qm.name.as_str(),
        probe,
        state: &o.state,
        pids: &pids,
        controller: o.has_controller(),
        data_visible,
        watched_ms: o.watched.as_millis(),
    };
    (table::decide(&facts), pids)
}

fn monitor(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let probe = env.is_probe();
    let qm = match open(p, deadline) {
        Ok(qm) => qm,
        // A probe never fails because this node lacks the installation, the user or the data:
        // nothing of the queue manager can run here then, unless /proc says otherwise.
        Err(Failure(code, reason)) => {
            let left = mq_core::procs::family_of(
                p.qmgr.as_str(),
                Some(&wanted(p).installation_path()),
                mq_core::procs::Owner::Mq(None),
            );
            if probe && left.is_empty() {
                log::info(format!("probe: {reason}; {} is not running here", p.qmgr));
                return Ok(OcfExit::NotRunning);
            }
            return Err(Failure(if probe { OcfExit::ErrGeneric } else { code }, reason));
        }
    };
    let (verdict, _) = depth0(&qm, probe, deadline, &j);
    match verdict.exit {
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
    if env.check_level >= CheckLevel::Deep {
        // Depth 20's steps begin with depth 10's connect and inquiry: one MQI child does both;
        // the client check runs in a second one, as its own user.
        let client = match &p.client {
            Some(c) => Some(client_probe(&qm, c, deadline)?),
            None => None,
        };
        match qm.check_messages(&p.test_queue, client.as_ref(), deadline) {
            Ok(()) => {}
            // The queue manager serves in bindings mode and refuses the client check for a reason
            // its restart cannot change: degraded, not failed (docs/ibmmq.md "Client check").
            Err(e) if client_config_refusal(&e) => degraded = Some(mqi_reason(p.qmgr.as_str(), &e)),
            Err(e) => return Err(Failure(OcfExit::ErrGeneric, mqi_reason(p.qmgr.as_str(), &e))),
        }
    } else if env.check_level >= CheckLevel::Medium {
        qm.check_mqi(deadline).map_err(|e| Failure(OcfExit::ErrGeneric, mqi_reason(p.qmgr.as_str(), &e)))?;
    }
    if env.check_level >= CheckLevel::Medium {
        let restarted = qm.check_components((p.command_server, p.channel_initiator), deadline, &j).map_err(|e| {
            Failure(OcfExit::ErrGeneric, format!("{}: managed component down and not restartable: {e}", p.qmgr))
        })?;
        if !restarted.is_empty() {
            log::warn(format!("{}: restarted {}", p.qmgr, restarted.join(", ")));
        }
    }
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
fn stop(p: &IbmmqParams, deadline: Instant) -> OcfExit {
    let j = OcfJournal;
    let plan = StopPlan::new(p.stop_mode, p.ipc_cleanup);
    match open(p, deadline) {
        Ok(qm) => match qm.stop(&plan, deadline, &j) {
            Ok(r) => {
                if r.already_stopped {
                    log::info(format!("{} is already stopped", p.qmgr));
                } else {
                    log::info(format!("{} stopped ({})", p.qmgr, r.steps.join(", ")));
                }
                OcfExit::Success
            }
            Err(e) => {
                log::exit_reason(e.to_string());
                OcfExit::ErrGeneric
            }
        },
        Err(Failure(_, reason)) => {
            log::warn(format!("{reason}; stopping {} by its processes alone", p.qmgr));
            // Without a usable installation: this name's processes of the configured (or
            // default) installation path.
            let path = wanted(p).installation_path();
            let scope = mq_core::procs::Scope { qm: p.qmgr.as_str(), inst: Some(&path), uid: None };
            let (killed, left) = kill_family(scope, deadline, &j);
            if left.is_empty() {
                if !killed.is_empty() {
                    log::warn(format!("killed {} processes of {}", killed.len(), p.qmgr));
                }
                OcfExit::Success
            } else {
                log::exit_reason(format!(
                    "{} processes of {} survive SIGKILL: pids {:?}",
                    left.len(),
                    p.qmgr,
                    left.iter().map(|p| p.pid).collect::<Vec<_>>()
                ));
                OcfExit::ErrGeneric
            }
        }
    }
}

/// validate-all at depth 10+: this node's set-up, without changing anything.
fn validate(p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let qm = open(p, deadline)?;
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

fn reload(p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    // Nothing runs here (or this node lacks MQ): the next start applies the parameters.
    let Ok(qm) = open(p, deadline) else { return Ok(OcfExit::Success) };
    if matches!(qm.dspmq(deadline).map(|r| r.state), Ok(QmState::Running)) {
        qm.ensure_test_queue(&p.test_queue, deadline, &OcfJournal)
            .map_err(|e| Failure(OcfExit::ErrGeneric, format!("reload: {e}")))?;
    }
    log::info(format!("{}: reloaded parameters (test_queue={}, stop_mode={:?})", p.qmgr, p.test_queue, p.stop_mode));
    Ok(OcfExit::Success)
}
