//! ocf:mqha:ibmmq with multi_instance=true, run as a promotable clone: promoted = the active
//! instance (`strmqm -x` that holds the data lock), unpromoted = a standby instance on this node,
//! or, when no instance runs anywhere, a node ready to be promoted ("idle").
//!
//! MQ itself moves the active role when the active instance ends (the standby takes over), so
//! what Pacemaker believes can lag behind: a small role file in HA_RSCTMP (default
//! /run/resource-agents, cleared by a reboot) records the role Pacemaker last gave this node
//! (start/demote: unpromoted, promote: promoted; stop removes it). The monitor compares it with
//! what dspmq and /proc say, and promotion scores (crm_attribute --promotion, in a clone only)
//! steer Pacemaker to promote the node whose instance is active.

pub mod role;
pub mod table;

use std::time::Instant;

use mq_core::cluster::PromotionScores;
use mq_core::deadline::share;
use mq_core::qmgr::start::StartOptions;
use mq_core::qmgr::QueueManager;
use mq_core::{MqError, QmState};

use super::{depth0, evidenced, fail, finish, node_options, open, open_for_stop};
use crate::component::{exit_for, Failure, OcfJournal};
use crate::ocf::{log, Action, CheckLevel, Env, OcfExit};
use crate::pacemaker::Pacemaker;
use crate::spec::ibmmq::IbmmqParams;
use role::{Role, RoleFile};

/// Runs the actions that differ for a multi-instance queue manager; None for the others
/// (validate-all, reload-agent), which are the same as for a single instance.
pub fn run(action: &Action, env: &Env, p: &IbmmqParams) -> Option<OcfExit> {
    let deadline = env.deadline();
    // A failure logs what the queue manager wrote about it (docs/ibmmq.md, evidence on failure).
    let began = super::began(env);
    Some(match action {
        Action::Start => finish(evidenced(env, p, began, "the start began", start(env, p, deadline))),
        Action::Stop => stop(env, p, deadline),
        Action::Monitor => {
            let r = monitor(env, p, deadline);
            finish(evidenced(env, p, super::monitor_window(env), super::monitor_what(env), r))
        }
        Action::Promote => finish(evidenced(env, p, began, "the promotion began", promote(env, p, deadline))),
        Action::Demote => finish(demote(env, p, deadline)),
        Action::Notify => notify(env, p, deadline),
        _ => return None,
    })
}

/// Sets (Some) or removes (None) this node's promotion score; only inside a clone, where
/// Pacemaker reads it. A failure is logged: the next monitor sets it again.
pub(crate) fn promotion_score(env: &Env, score: Option<u32>, deadline: Instant) {
    if !env.is_clone {
        return;
    }
    match Pacemaker::from_env(env).set(score, deadline) {
        Ok(()) => {
            log::debug(format!("promotion score {}", score.map(|s| s.to_string()).as_deref().unwrap_or("removed")))
        }
        Err(e) => log::warn(e),
    }
}

/// A failed MQI check as an exit reason (the single-instance agent's wording).
/// As a single instance reports it: the full text with its hint in the log, a brief reason with
/// the reason code first (the exit reason is cut after its start, which lost the code).
fn mqi_failure(qm: &str, e: &mq_core::mqi::MqiError) -> String {
    super::mqi_reason(qm, e)
}

fn become_unpromoted(qm: &QueueManager, p: &IbmmqParams, state: &QmState, deadline: Instant) -> Result<u32, Failure> {
    qm.become_unpromoted(&p.strmqm_options, state, deadline, &OcfJournal).map(table::score).map_err(fail)
}

fn start(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let qm = open(p, deadline)?;
    super::check_monitor_program(&qm, p, deadline)?;
    qm.node_checks(&node_options(p), Some(&Pacemaker::from_env(env)), deadline, &j).map_err(fail)?;
    let roles = RoleFile::of(p, &qm);
    let state = qm.settled_state(deadline, &j).map_err(fail)?;
    let score = become_unpromoted(&qm, p, &state, deadline)?;
    roles.write(Role::Unpromoted)?;
    promotion_score(env, Some(score), deadline);
    Ok(OcfExit::Success)
}

fn stop(env: &Env, p: &IbmmqParams, deadline: Instant) -> OcfExit {
    let j = OcfJournal;
    if let Ok(qm) = open_for_stop(p, deadline) {
        // The watcher first: the switchover below ends the active instance here.
        let _ = super::end_watcher(&qm, deadline);
        RoleFile::of(p, &qm).clear();
        // Ending the active instance without -s would end every standby too: switch over first.
        if matches!(qm.dspmq(share(deadline, 0.1)).map(|r| r.state), Ok(QmState::Running)) {
            log::info(format!("{}: stopping the active instance here, permitting switchover", p.qmgr));
            // A monitor found it hung: a quiesce cannot finish, straight to endmqm -p -s.
            let hung = super::hung_seen(&qm, deadline);
            if let Some(why) = &hung {
                log::warn(format!("stop: {why}; skipping endmqm {} -s, straight to endmqm -p -s", p.stop_mode.flag()));
            }
            let mode = if hung.is_some() { None } else { Some(p.stop_mode) };
            if let Err(e) = qm.switchover_from(mode, p.reconnect_clients, share(deadline, 0.6), &j) {
                log::warn(e.to_string());
            }
        }
    }
    promotion_score(env, None, deadline);
    super::stop(env, p, deadline)
}

fn promote(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let name = &p.qmgr;
    let qm = open(p, deadline)?;
    let roles = RoleFile::of(p, &qm);
    let state = qm.settled_or_starting(deadline, &j).map_err(fail)?;
    let mut opts = StartOptions {
        strmqm_options: p.strmqm_options.clone(),
        test_queue: p.test_queue.clone(),
        command_server: p.command_server,
        channel_initiator: p.channel_initiator,
    };
    if !opts.strmqm_options.iter().any(|o| o == "-x") {
        opts.strmqm_options.insert(0, "-x".into());
    }
    qm.take_over(&state, deadline, &j).map_err(fail)?;
    // Starts it when it ran nowhere; when it runs (took over), creates the test queue and starts
    // the managed components as a start does.
    qm.start(&opts, deadline, &j).map_err(|e| super::start_fail(env, "promote", e))?;
    let (verdict, extra) = depth0(&qm, p, false, deadline, &j);
    if verdict.exit != OcfExit::Success {
        return Err(Failure(OcfExit::ErrGeneric, format!("after promote: {}", verdict.reason)));
    }
    qm.check_mqi(deadline, Some(p.hang_timeout))
        .map_err(|e| Failure(OcfExit::ErrGeneric, format!("after promote: {}", mqi_failure(name.as_str(), &e))))?;
    roles.write(Role::Promoted)?;
    promotion_score(env, Some(table::SCORE_ACTIVE), deadline);
    // Only the active instance is watched: a standby's end does not interrupt the service.
    super::watch::after_start(&qm, env, p.crash_watch, extra.controller, deadline);
    log::info(format!("{name} is the active instance here"));
    Ok(OcfExit::Success)
}

fn demote(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let name = &p.qmgr;
    let qm = open(p, deadline)?;
    let roles = RoleFile::of(p, &qm);
    // The watcher first: handing over ends the active instance here, which is no crash.
    super::end_watcher(&qm, deadline).map_err(fail)?;
    let state = qm.hand_over(p.stop_mode, p.reconnect_clients, deadline, &j).map_err(fail)?;
    let score = become_unpromoted(&qm, p, &state, deadline)?;
    if score == table::SCORE_ACTIVE {
        return Err(Failure(OcfExit::ErrGeneric, format!("{name} is still the active instance here after demote")));
    }
    roles.write(Role::Unpromoted)?;
    promotion_score(env, Some(score), deadline);
    Ok(OcfExit::Success)
}

fn monitor(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let probe = env.is_probe();
    let CloneLook { qm, roles, seen } = match clone_look(env, p, deadline)? {
        Looked::Here(l) => *l,
        Looked::Answered(single) => return single,
    };
    let o = &seen.o;
    let facts = table::Facts { base: seen.facts(&qm, probe, p), role: roles.read() };
    let (verdict, score) = table::decide(&facts);
    if !probe {
        promotion_score(env, score, deadline);
    }
    let active = matches!(o.state, Ok(QmState::Running));
    if matches!(o.state, Ok(QmState::Starting)) && matches!(verdict.exit, OcfExit::Success | OcfExit::RunningPromoted) {
        // A takeover's log replay: nothing answers MQI calls until it runs.
        log::info(&verdict.reason);
        return Ok(verdict.exit);
    }
    match verdict.exit {
        OcfExit::Success | OcfExit::RunningPromoted => log::debug(&verdict.reason),
        OcfExit::NotRunning => {
            log::info(&verdict.reason);
            return Ok(OcfExit::NotRunning);
        }
        code => return Err(failed(&qm, probe, code, verdict.reason, deadline)),
    }
    if verdict.exit == OcfExit::Success && !active {
        // A standby or an idle node: nothing answers MQI calls here (a standby gives 2543).
        return Ok(OcfExit::Success);
    }
    if active && verdict.exit == OcfExit::Success {
        log::warn(&verdict.reason);
    }
    let watched = active && verdict.exit == OcfExit::RunningPromoted;
    active_checks(env, p, &qm, o.controller_pid(), verdict.exit, watched, deadline)
}

/// What a promotable clone's monitor (multi-instance, Native HA) looks at first: the queue
/// manager here, its role file, and depth 0's look, after depth 10's hang_timeout check.
pub(crate) struct CloneLook {
    pub qm: QueueManager,
    pub roles: RoleFile,
    pub seen: super::Seen,
}

pub(crate) enum Looked {
    Here(Box<CloneLook>),
    /// No installation or data on this node: answered as a single instance's monitor would (a
    /// probe: "not here").
    Answered(Result<OcfExit, Failure>),
}

pub(crate) fn clone_look(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<Looked, Failure> {
    let qm = match open(p, deadline) {
        Ok(qm) => qm,
        Err(_) => return Ok(Looked::Answered(super::monitor(env, p, deadline))),
    };
    if env.check_level >= CheckLevel::Medium {
        super::check_hang_timeout(env, p)?;
    }
    let roles = RoleFile::of(p, &qm);
    let seen = super::Seen::look(&qm, deadline, &OcfJournal).map_err(|reason| Failure(OcfExit::ErrGeneric, reason))?;
    Ok(Looked::Here(Box::new(CloneLook { qm, roles, seen })))
}

/// A failed verdict of a promotable clone's table: when this node itself is wrong for the queue
/// manager (its node checks fail: user, installation, data), that exit and reason (e.g. 5, so
/// Pacemaker moves it); else the verdict's. A probe skips the node checks.
pub(crate) fn failed(qm: &QueueManager, probe: bool, code: OcfExit, reason: String, deadline: Instant) -> Failure {
    if !probe {
        let o = mq_core::qmgr::checks::NodeCheckOptions::default();
        if let Err(e) = qm.node_checks(&o, None, deadline, &OcfJournal) {
            log::warn(&reason);
            return Failure(exit_for(&e), e.to_string());
        }
    }
    Failure(code, reason)
}

/// The active instance's checks past depth 0, as a single instance's (MQI, messages, the client
/// check, managed components, the crash watcher, monitor_program), for the multi-instance and
/// Native HA tables: `exit` (8, or 0 for an active instance Pacemaker has not promoted yet) when
/// they pass, its degraded form for a client-check refusal a restart cannot fix, and failures of
/// the promoted instance as 9. `watched`: the crash watcher is kept on it (the active instance
/// Pacemaker promoted).
pub(crate) fn active_checks(
    env: &Env,
    p: &IbmmqParams,
    qm: &QueueManager,
    controller: Option<i32>,
    exit: OcfExit,
    watched: bool,
    deadline: Instant,
) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let probe = env.is_probe();
    // The active instance: the deeper checks of a single instance; failures of the promoted
    // instance are 9.
    let failed = if exit == OcfExit::RunningPromoted { OcfExit::FailedPromoted } else { OcfExit::ErrGeneric };
    let mut degraded = None;
    if env.check_level >= CheckLevel::Deep {
        // Depth 20's steps begin with depth 10's connect and inquiry: one MQI child does both.
        let client = match &p.client {
            Some(c) => Some(super::client_probe(qm, c, deadline)?),
            None => None,
        };
        let r = qm.check_messages(&p.test_queue, client.as_ref(), deadline, Some(p.hang_timeout));
        super::note_answer(qm, controller, r.as_ref().is_err_and(super::no_answer));
        match r {
            Ok(()) => {}
            // A client-check refusal a restart cannot fix: degraded (190, or 191 when promoted).
            Err(e) if super::client_config_refusal(&e) => degraded = Some(mqi_failure(p.qmgr.as_str(), &e)),
            Err(e) => return Err(Failure(failed, mqi_failure(p.qmgr.as_str(), &e))),
        }
    } else if env.check_level >= CheckLevel::Medium {
        let r = qm.check_mqi(deadline, Some(p.hang_timeout));
        super::note_answer(qm, controller, r.as_ref().is_err_and(super::no_answer));
        r.map_err(|e| Failure(failed, mqi_failure(p.qmgr.as_str(), &e)))?;
    }
    if env.check_level >= CheckLevel::Medium {
        let restarted = qm
            .check_components((p.command_server, p.channel_initiator), deadline, Some(p.hang_timeout), &j)
            .map_err(|e| {
                if let MqError::NoAnswer { what, bound, .. } = &e {
                    super::note_answer(qm, controller, true);
                    return Failure(failed, super::hung_reason(p.qmgr.as_str(), what, *bound));
                }
                Failure(failed, format!("{}: managed component down and not restartable: {e}", p.qmgr))
            })?;
        if !restarted.is_empty() {
            log::warn(format!("{}: restarted {}", p.qmgr, restarted.join(", ")));
        }
    }
    if !probe && watched {
        super::watch::keep(qm, env, p.crash_watch, controller, deadline);
    }
    // The active instance only (a standby or idle node returned above): the site's check.
    super::run_monitor_program(qm, env, p, failed, deadline)?;
    if let Some(reason) = degraded {
        log::exit_reason(reason);
        return Ok(if exit == OcfExit::RunningPromoted { OcfExit::DegradedPromoted } else { OcfExit::Degraded });
    }
    Ok(exit)
}

/// Notifications always succeed. Every one refreshes this node's promotion score from what runs
/// here, so a transition that follows a takeover promotes the instance that is already active
/// (the score changes, Pacemaker re-plans). After a promote elsewhere, an idle unpromoted node
/// also starts its standby at once instead of waiting for its monitor to fail.
fn notify(env: &Env, p: &IbmmqParams, deadline: Instant) -> OcfExit {
    let kind = env.notify.kind.as_deref().unwrap_or("");
    let op = env.notify.operation.as_deref().unwrap_or("");
    log::debug(format!("notify {kind}-{op}"));
    let Ok(qm) = open(p, deadline) else { return OcfExit::Success };
    // Without an answer from /proc in time the score is left as it is.
    let here = qm.scope().list_within(share(deadline, 0.2)).is_ok_and(|l| !l.is_empty());
    match qm.dspmq(share(deadline, 0.2)).map(|r| r.state) {
        Ok(QmState::Running) if here => promotion_score(env, Some(table::SCORE_ACTIVE), deadline),
        Ok(QmState::RunningAsStandby) if here => promotion_score(env, Some(table::SCORE_STANDBY), deadline),
        _ => {}
    }
    if kind != "post" || op != "promote" {
        return OcfExit::Success;
    }
    if RoleFile::of(p, &qm).read() != Some(Role::Unpromoted)
        || !mq_core::procs::none_left(&qm.scope().list_within(share(deadline, 0.2)))
    {
        return OcfExit::Success;
    }
    if let Ok(QmState::RunningElsewhere) = qm.dspmq(share(deadline, 0.2)).map(|r| r.state) {
        match become_unpromoted(&qm, p, &QmState::RunningElsewhere, deadline) {
            Ok(score) => promotion_score(env, Some(score), deadline),
            Err(Failure(_, reason)) => log::warn(format!("post-promote: {reason}")),
        }
    }
    OcfExit::Success
}
