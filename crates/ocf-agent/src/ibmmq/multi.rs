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

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mq_core::qmgr::multi::XStart;
use mq_core::qmgr::start::StartOptions;
use mq_core::qmgr::stop::kill_family;
use mq_core::qmgr::{Journal, QueueManager};
use mq_core::QmState;

use super::table::{self, Verdict};
use super::{depth0, end_mode, fail, finish, manage, node_options, open};
use crate::component::{exit_for, Failure, OcfJournal};
use crate::ocf::{log, Action, CheckLevel, Env, OcfExit};
use crate::pacemaker::Pacemaker;
use crate::spec::ibmmq::IbmmqParams;
use mq_core::cluster::PromotionScores;

/// The role Pacemaker last gave this node's clone instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Unpromoted,
    Promoted,
}

/// Promotion scores: the active instance first, then a standby (it takes over with no log
/// replay wait), then an idle node (promote starts the queue manager there).
const SCORE_ACTIVE: u32 = 100;
const SCORE_STANDBY: u32 = 50;
const SCORE_IDLE: u32 = 10;

/// Runs the actions that differ for a multi-instance queue manager; None for the others
/// (validate-all, reload-agent), which are the same as for a single instance.
pub fn run(action: &Action, env: &Env, p: &IbmmqParams) -> Option<OcfExit> {
    let deadline = env.deadline();
    Some(match action {
        Action::Start => finish(start(env, p, deadline)),
        Action::Stop => stop(env, p, deadline),
        Action::Monitor => finish(monitor(env, p, deadline)),
        Action::Promote => finish(promote(env, p, deadline)),
        Action::Demote => finish(demote(env, p, deadline)),
        Action::Notify => notify(env, p, deadline),
        _ => return None,
    })
}

/// The role file of this queue manager of this installation.
struct RoleFile(PathBuf);

impl RoleFile {
    fn of(p: &IbmmqParams, qm: &QueueManager) -> RoleFile {
        let dir = std::env::var_os("HA_RSCTMP")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| "/run/resource-agents".into());
        // Keyed by the installation too (FNV-1a of its path): a host may hold the same queue
        // manager name in two installations, as two nodes sharing one host do in the tests.
        let h = qm
            .inst
            .path
            .to_string_lossy()
            .bytes()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
        RoleFile(dir.join(format!("mqha-ibmmq-{}-{h:016x}.role", p.qmgr.directory())))
    }

    fn read(&self) -> Option<Role> {
        match std::fs::read_to_string(&self.0).ok()?.trim() {
            "promoted" => Some(Role::Promoted),
            "unpromoted" => Some(Role::Unpromoted),
            _ => None,
        }
    }

    fn write(&self, role: Role) -> Result<(), Failure> {
        let text = if role == Role::Promoted { "promoted\n" } else { "unpromoted\n" };
        let tmp = self.0.with_extension("tmp");
        let r = self
            .0
            .parent()
            .map(std::fs::create_dir_all)
            .unwrap_or(Ok(()))
            .and_then(|_| std::fs::write(&tmp, text))
            .and_then(|_| std::fs::rename(&tmp, &self.0));
        r.map_err(|e| {
            Failure(
                OcfExit::ErrGeneric,
                format!(
                    "cannot record the clone role in {}: {e} (set HA_RSCTMP to a writable directory)",
                    self.0.display()
                ),
            )
        })
    }

    fn clear(&self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Sets (Some) or removes (None) this node's promotion score; only inside a clone, where
/// Pacemaker reads it. A failure is logged: the next monitor sets it again.
fn promotion_score(env: &Env, score: Option<u32>, deadline: Instant) {
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

/// What the monitor saw, as the multi-instance table reads it.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub base: table::Facts<'a>,
    /// The role file: what Pacemaker believes this instance is (None: not started here).
    pub role: Option<Role>,
}

/// The multi-instance monitor table: its verdict and the promotion score to publish.
pub fn decide(f: &Facts) -> (Verdict, Option<u32>) {
    use OcfExit::*;
    let b = &f.base;
    let qm = b.qm;
    let none_here = b.pids.is_empty();
    // What Pacemaker believes matters to recurring monitors; a probe reports the plain state.
    let role = if b.probe { None } else { f.role };
    let v = |exit, reason: String| Verdict { exit, reason };
    match b.state {
        Ok(QmState::Running) if b.controller => match role {
            Some(Role::Unpromoted) => (
                v(Success, format!("{qm} took over here as the active instance; asking Pacemaker to promote it")),
                Some(SCORE_ACTIVE),
            ),
            _ => (v(RunningPromoted, format!("{qm} is the active instance here")), Some(SCORE_ACTIVE)),
        },
        Ok(QmState::RunningAsStandby) if !none_here => match role {
            Some(Role::Promoted) => (
                v(
                    FailedPromoted,
                    format!("{qm} should be active here but is a standby: the active instance moved to another node"),
                ),
                Some(SCORE_STANDBY),
            ),
            _ => (v(Success, format!("{qm} runs as a standby instance here")), Some(SCORE_STANDBY)),
        },
        Ok(QmState::RunningAsStandby) => (
            v(
                if role == Some(Role::Promoted) { FailedPromoted } else { ErrGeneric },
                format!("dspmq says {qm} is a standby here but none of its processes runs"),
            ),
            None,
        ),
        Ok(QmState::RunningElsewhere) if none_here => match role {
            None => (v(NotRunning, format!("{qm} is active on another node; no instance of it runs here")), None),
            Some(Role::Promoted) => (
                v(
                    FailedPromoted,
                    format!("the active instance of {qm} here ended; the instance on another node took over"),
                ),
                None,
            ),
            Some(Role::Unpromoted) => {
                (v(ErrGeneric, format!("{qm} is active on another node and no standby instance runs here")), None)
            }
        },
        // Started here while no instance runs anywhere: unpromoted and ready, also to a probe
        // (the role file lives until stop or reboot, so it never outlasts what Pacemaker started).
        Ok(s) if s.is_ended() && none_here && b.probe && f.role == Some(Role::Unpromoted) => (
            v(Success, format!("no instance of {qm} runs anywhere ({s}); this node is ready to be promoted")),
            Some(SCORE_IDLE),
        ),
        Ok(s) if s.is_ended() && none_here && role.is_some() => match role {
            Some(Role::Promoted) => {
                (v(FailedPromoted, format!("the active instance of {qm} here is {s} and no instance took over")), None)
            }
            _ => (
                v(Success, format!("no instance of {qm} runs anywhere ({s}); this node is ready to be promoted")),
                Some(SCORE_IDLE),
            ),
        },
        _ => {
            let mut verdict = table::decide(b);
            if verdict.exit == ErrGeneric && role == Some(Role::Promoted) {
                verdict.exit = FailedPromoted;
            }
            (verdict, None)
        }
    }
}

/// A failed MQI check as an exit reason (the single-instance agent's wording).
fn mqi_failure(qm: &str, e: &mq_core::mqi::MqiError) -> String {
    format!("{qm}: {}", e.with_hint())
}

/// Kills what a crashed instance left on this node (this queue manager's processes only).
fn sweep(qm: &QueueManager, deadline: Instant, j: &dyn Journal) -> Result<(), Failure> {
    if qm.scope().list().is_empty() {
        return Ok(());
    }
    log::warn(format!("processes of a previous instance of {} are left here; killing them", qm.name));
    let (_, left) = kill_family(qm.scope(), deadline, j);
    if left.is_empty() {
        Ok(())
    } else {
        Err(Failure(
            OcfExit::ErrGeneric,
            format!(
                "processes of {} survive SIGKILL: pids {:?}",
                qm.name,
                left.iter().map(|p| p.pid).collect::<Vec<_>>()
            ),
        ))
    }
}

/// Settled local state: dspmq, waited on while starting or ending.
fn settled_state(qm: &QueueManager, deadline: Instant, j: &dyn Journal) -> Result<QmState, Failure> {
    let s = qm.dspmq(deadline).map_err(fail)?.state;
    if s.is_transitional() {
        return qm.wait_settled(mq_share(deadline, 0.5), j).map_err(fail);
    }
    Ok(s)
}

fn mq_share(deadline: Instant, share: f64) -> Instant {
    let now = Instant::now();
    now + deadline.saturating_duration_since(now).mul_f64(share)
}

/// Brings this node's instance to the unpromoted role: a standby when an active instance runs
/// elsewhere, else nothing (idle). Returns the score to publish.
fn become_unpromoted(
    qm: &QueueManager,
    p: &IbmmqParams,
    state: &QmState,
    deadline: Instant,
    j: &dyn Journal,
) -> Result<u32, Failure> {
    let name = &p.qmgr;
    match state {
        QmState::RunningAsStandby => Ok(SCORE_STANDBY),
        // Already active here (started outside the cluster, or a takeover): the monitor asks
        // Pacemaker to promote it rather than ending a running queue manager.
        QmState::Running => Ok(SCORE_ACTIVE),
        QmState::RunningElsewhere => {
            sweep(qm, deadline, j)?;
            match qm.start_instance(&p.strmqm_options, deadline, j).map_err(fail)? {
                XStart::Standby => {
                    log::info(format!("{name}: standby instance started here"));
                    Ok(SCORE_STANDBY)
                }
                XStart::Active => {
                    log::warn(format!("{name}: the active instance ended meanwhile; this node's instance is now the active one"));
                    Ok(SCORE_ACTIVE)
                }
            }
        }
        s if s.is_ended() => {
            sweep(qm, deadline, j)?;
            log::info(format!("{name} runs nowhere ({s}); this node waits unpromoted until Pacemaker promotes an instance"));
            Ok(SCORE_IDLE)
        }
        QmState::Unknown => Err(Failure(
            OcfExit::ErrInstalled,
            format!("queue manager {name} is not known on this node (dspmq: AMQ7048E); add its QueueManager stanza (addmqinf, or add_mqs_ini=true)"),
        )),
        other => Err(Failure(OcfExit::ErrGeneric, format!("{name} is {other}: cannot start a standby instance here"))),
    }
}

fn start(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let qm = open(p, deadline)?;
    qm.node_checks(&node_options(p), Some(&Pacemaker::from_env(env)), deadline, &j).map_err(fail)?;
    let roles = RoleFile::of(p, &qm);
    let state = settled_state(&qm, deadline, &j)?;
    let score = become_unpromoted(&qm, p, &state, deadline, &j)?;
    roles.write(Role::Unpromoted)?;
    promotion_score(env, Some(score), deadline);
    Ok(OcfExit::Success)
}

fn stop(env: &Env, p: &IbmmqParams, deadline: Instant) -> OcfExit {
    let j = OcfJournal;
    if let Ok(qm) = open(p, deadline) {
        RoleFile::of(p, &qm).clear();
        // Ending the active instance without -s would end every standby too: switch over first.
        if matches!(qm.dspmq(mq_share(deadline, 0.1)).map(|r| r.state), Ok(QmState::Running)) {
            log::info(format!("{}: stopping the active instance here, permitting switchover", p.qmgr));
            if let Err(e) = qm.switchover(end_mode(p.stop_mode), mq_share(deadline, 0.6), &j) {
                log::warn(e.to_string());
            }
        }
    }
    promotion_score(env, None, deadline);
    super::stop(p, deadline)
}

fn promote(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let name = &p.qmgr;
    let qm = open(p, deadline)?;
    let roles = RoleFile::of(p, &qm);
    let state = settled_state(&qm, deadline, &j)?;
    let mut opts = StartOptions {
        strmqm_options: p.strmqm_options.clone(),
        test_queue: p.test_queue.clone(),
        command_server: manage(p.command_server),
        channel_initiator: manage(p.channel_initiator),
    };
    if !opts.strmqm_options.iter().any(|o| o == "-x") {
        opts.strmqm_options.insert(0, "-x".into());
    }
    match &state {
        QmState::Running => {}
        QmState::RunningAsStandby => {
            // Pacemaker demoted the old active first; its end lets this standby take over. An
            // active instance still listed elsewhere after a grace is not ending: fail at once
            // rather than hold the transition for the whole timeout.
            log::info(format!("{name}: waiting for the standby here to take over"));
            let grace = mq_share(deadline, 0.6).min(Instant::now() + Duration::from_secs(5));
            if !qm.wait_takeover(grace, &j).map_err(fail)? {
                let active = qm.instances(mq_share(deadline, 0.1)).ok().and_then(|i| i.active);
                if let Some(host) = active {
                    return Err(Failure(
                        OcfExit::ErrGeneric,
                        format!("{name}: the active instance still runs on {host}; the standby here takes over only when it ends (demote it there)"),
                    ));
                }
            }
            if qm.dspmq(mq_share(deadline, 0.1)).map(|r| r.state).ok() != Some(QmState::Running)
                && !qm.wait_takeover(mq_share(deadline, 0.6), &j).map_err(fail)?
            {
                return Err(Failure(
                    OcfExit::ErrGeneric,
                    format!("{name}: the active instance still runs on another node; the standby here takes over only when it ends (demote it there)"),
                ));
            }
        }
        QmState::RunningElsewhere => {
            return Err(Failure(
                OcfExit::ErrGeneric,
                format!("{name} is active on another node and no standby runs here to take over"),
            ));
        }
        s if s.is_ended() => {
            sweep(&qm, deadline, &j)?;
            log::info(format!("{name} runs nowhere ({s}); starting the active instance here"));
        }
        other => return Err(Failure(OcfExit::ErrGeneric, format!("{name} is {other}: cannot promote it here"))),
    }
    // Starts it when it ran nowhere; when it runs (took over), creates the test queue and starts
    // the managed components as a start does.
    qm.start(&opts, deadline, &j).map_err(fail)?;
    let (verdict, _) = depth0(&qm, false, deadline, &j);
    if verdict.exit != OcfExit::Success {
        return Err(Failure(OcfExit::ErrGeneric, format!("after promote: {}", verdict.reason)));
    }
    qm.check_mqi(deadline)
        .map_err(|e| Failure(OcfExit::ErrGeneric, format!("after promote: {}", mqi_failure(name.as_str(), &e))))?;
    roles.write(Role::Promoted)?;
    promotion_score(env, Some(SCORE_ACTIVE), deadline);
    log::info(format!("{name} is the active instance here"));
    Ok(OcfExit::Success)
}

fn demote(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let name = &p.qmgr;
    let qm = open(p, deadline)?;
    let roles = RoleFile::of(p, &qm);
    let mut state = settled_state(&qm, deadline, &j)?;
    if state == QmState::Running {
        let standby_elsewhere = qm.instances(mq_share(deadline, 0.1)).map(|i| i.standby_elsewhere()).unwrap_or(false);
        let steps = qm.switchover(end_mode(p.stop_mode), mq_share(deadline, 0.5), &j).map_err(fail)?;
        log::info(format!("{name}: active instance here ended ({})", steps.join(", ")));
        if standby_elsewhere {
            // The standby elsewhere takes over: come back as its standby.
            if !qm.wait_running_elsewhere(mq_share(deadline, 0.4)) {
                log::warn(format!("{name}: no instance took over within the switchover wait"));
            }
        }
        state = qm.dspmq(mq_share(deadline, 0.2)).map_err(fail)?.state;
    }
    let score = become_unpromoted(&qm, p, &state, deadline, &j)?;
    if score == SCORE_ACTIVE {
        return Err(Failure(OcfExit::ErrGeneric, format!("{name} is still the active instance here after demote")));
    }
    roles.write(Role::Unpromoted)?;
    promotion_score(env, Some(score), deadline);
    Ok(OcfExit::Success)
}

fn monitor(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let probe = env.is_probe();
    let qm = match open(p, deadline) {
        Ok(qm) => qm,
        // As for a single instance: a probe on a node without installation or data is "not here".
        Err(_) => return super::monitor(env, p, deadline),
    };
    let roles = RoleFile::of(p, &qm);
    let now = Instant::now();
    let watch_until = now + deadline.saturating_duration_since(now) / 2;
    let o = qm.observe_settled(deadline, watch_until, &j);
    let pids = o.pids();
    let needs_visibility = matches!(o.state, Ok(QmState::StatusNotAvailable) | Ok(QmState::Unknown) | Err(_));
    let facts = Facts {
        base: table::Facts {
            qm: p.qmgr.as_str(),
            probe,
            state: &o.state,
            pids: &pids,
            controller: o.has_controller(),
            data_visible: needs_visibility && qm.data_visible(),
            watched_ms: o.watched.as_millis(),
        },
        role: roles.read(),
    };
    let (verdict, score) = decide(&facts);
    if !probe {
        promotion_score(env, score, deadline);
    }
    let active = matches!(o.state, Ok(QmState::Running));
    match verdict.exit {
        OcfExit::Success | OcfExit::RunningPromoted => log::debug(&verdict.reason),
        OcfExit::NotRunning => {
            log::info(&verdict.reason);
            return Ok(OcfExit::NotRunning);
        }
        code => {
            if !probe {
                let o = mq_core::qmgr::checks::NodeCheckOptions::default();
                if let Err(e) = qm.node_checks(&o, None, deadline, &j) {
                    log::warn(&verdict.reason);
                    return Err(Failure(exit_for(&e), e.to_string()));
                }
            }
            return Err(Failure(code, verdict.reason));
        }
    }
    if verdict.exit == OcfExit::Success && !active {
        // A standby or an idle node: nothing answers MQI calls here (a standby gives 2543).
        return Ok(OcfExit::Success);
    }
    if active && verdict.exit == OcfExit::Success {
        log::warn(&verdict.reason);
    }
    // The active instance: the deeper checks of a single instance; failures of the promoted
    // instance are 9.
    let failed = if verdict.exit == OcfExit::RunningPromoted { OcfExit::FailedPromoted } else { OcfExit::ErrGeneric };
    if env.check_level >= CheckLevel::Medium {
        qm.check_mqi(deadline).map_err(|e| Failure(failed, mqi_failure(p.qmgr.as_str(), &e)))?;
        let restarted = qm
            .check_components((manage(p.command_server), manage(p.channel_initiator)), deadline, &j)
            .map_err(|e| Failure(failed, format!("{}: managed component down and not restartable: {e}", p.qmgr)))?;
        if !restarted.is_empty() {
            log::warn(format!("{}: restarted {}", p.qmgr, restarted.join(", ")));
        }
    }
    if env.check_level >= CheckLevel::Deep {
        let client = p.client.as_ref().map(|c| (c.channel.as_str(), c.conname.as_str()));
        qm.check_messages(&p.test_queue, client, deadline)
            .map_err(|e| Failure(failed, mqi_failure(p.qmgr.as_str(), &e)))?;
    }
    Ok(verdict.exit)
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
    let here = !qm.scope().list().is_empty();
    match qm.dspmq(mq_share(deadline, 0.2)).map(|r| r.state) {
        Ok(QmState::Running) if here => promotion_score(env, Some(SCORE_ACTIVE), deadline),
        Ok(QmState::RunningAsStandby) if here => promotion_score(env, Some(SCORE_STANDBY), deadline),
        _ => {}
    }
    if kind != "post" || op != "promote" {
        return OcfExit::Success;
    }
    let j = OcfJournal;
    if RoleFile::of(p, &qm).read() != Some(Role::Unpromoted) || !qm.scope().list().is_empty() {
        return OcfExit::Success;
    }
    if let Ok(QmState::RunningElsewhere) = qm.dspmq(mq_share(deadline, 0.2)).map(|r| r.state) {
        match become_unpromoted(&qm, p, &QmState::RunningElsewhere, deadline, &j) {
            Ok(score) => promotion_score(env, Some(score), deadline),
            Err(Failure(_, reason)) => log::warn(format!("post-promote: {reason}")),
        }
    }
    OcfExit::Success
}

#[cfg(test)]
mod tests {
    use super::*;
    use OcfExit::*;

    fn run(state: QmState, pids: &[i32], probe: bool, role: Option<Role>) -> (OcfExit, Option<u32>) {
        let st = Ok(state);
        let f = Facts {
            base: table::Facts {
                qm: "QM1",
                probe,
                state: &st,
                pids,
                controller: !pids.is_empty(),
                data_visible: true,
                watched_ms: 0,
            },
            role,
        };
        let (v, s) = decide(&f);
        (v.exit, s)
    }

    /// (state, local processes, probe, role file) -> (exit, score)
    type Row = (QmState, &'static [i32], bool, Option<Role>, OcfExit, Option<u32>);

    #[test]
    fn the_multi_instance_table() {
        use QmState::*;
        use Role::*;
        let p: &[i32] = &[100];
        let n: &[i32] = &[];
        let rows: Vec<Row> = vec![
            (Running, p, true, None, RunningPromoted, Some(100)),
            (Running, p, false, Some(Promoted), RunningPromoted, Some(100)),
            // A takeover Pacemaker has not seen yet: healthy, and asks to be promoted.
            (Running, p, false, Some(Unpromoted), Success, Some(100)),
            (Running, p, true, Some(Unpromoted), RunningPromoted, Some(100)),
            (RunningAsStandby, p, true, None, Success, Some(50)),
            (RunningAsStandby, p, false, Some(Unpromoted), Success, Some(50)),
            (RunningAsStandby, p, false, Some(Promoted), FailedPromoted, Some(50)),
            (RunningAsStandby, n, false, Some(Unpromoted), ErrGeneric, None),
            (RunningElsewhere, n, true, None, NotRunning, None),
            (RunningElsewhere, n, true, Some(Unpromoted), NotRunning, None),
            (RunningElsewhere, n, false, None, NotRunning, None),
            (RunningElsewhere, n, false, Some(Unpromoted), ErrGeneric, None),
            (RunningElsewhere, n, false, Some(Promoted), FailedPromoted, None),
            (RunningElsewhere, p, false, Some(Unpromoted), ErrGeneric, None),
            (EndedNormally, n, false, Some(Unpromoted), Success, Some(10)),
            (EndedUnexpectedly, n, false, Some(Unpromoted), Success, Some(10)),
            (EndedNormally, n, false, Some(Promoted), FailedPromoted, None),
            (EndedUnexpectedly, n, false, Some(Promoted), FailedPromoted, None),
            (EndedNormally, n, true, Some(Unpromoted), Success, Some(10)),
            (EndedNormally, n, true, Some(Promoted), NotRunning, None),
            (EndedNormally, n, false, None, NotRunning, None),
            (EndedNormally, p, false, Some(Promoted), FailedPromoted, None),
            (Starting, p, false, Some(Unpromoted), ErrGeneric, None),
        ];
        for (s, pids, probe, role, exit, score) in rows {
            assert_eq!(
                run(s.clone(), pids, probe, role),
                (exit, score),
                "{s:?} pids={pids:?} probe={probe} role={role:?}"
            );
        }
    }

    #[test]
    fn reasons_name_the_queue_manager_and_fit_crm_mon() {
        for (s, role) in [
            (QmState::RunningElsewhere, Role::Promoted),
            (QmState::RunningElsewhere, Role::Unpromoted),
            (QmState::EndedNormally, Role::Promoted),
        ] {
            let st = Ok(s);
            let f = Facts {
                base: table::Facts {
                    qm: "QM1",
                    probe: false,
                    state: &st,
                    pids: &[],
                    controller: false,
                    data_visible: true,
                    watched_ms: 0,
                },
                role: Some(role),
            };
            let r = decide(&f).0.reason;
            assert!(r.contains("QM1") && r.len() <= 128, "{r}");
        }
    }
}
