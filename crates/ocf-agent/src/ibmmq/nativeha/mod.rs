//! ocf:mqha:ibmmq with native_ha=true, run as a promotable clone of three: each node runs its own
//! instance of the Native HA queue manager; promoted = the instance MQ elected active, unpromoted
//! = a replica. MQ elects, never Pacemaker (docs/reference/native-ha.md#quorum-and-election): the
//! monitor publishes promotion scores that follow MQ's election, promote only confirms it (or
//! waits, within its timeout, for an election under way), and demote moves the role with
//! `endmqm -s`. The role file and the scores are the multi-instance ones (multi/role.rs,
//! multi::promotion_score); the decisions are table.rs's. What it reads of MQ is only IBM's
//! documented output: `dspmq -n -m QM` and `dspmq -n -o nativeha -x -m QM` (docs/native-ha.md).

pub mod table;

use std::time::Instant;

use mq_core::deadline::share;
use mq_core::dspmq::nativeha::{NhaReport, NhaRole};
use mq_core::qmgr::nativeha::{quorum_text, Elected, NhaStart};
use mq_core::qmgr::QueueManager;
use mq_core::QmState;

use super::multi::role::{Role, RoleFile};
use super::multi::{clone_look, promotion_score, CloneLook, Looked};
use super::{evidenced, fail, finish, node_options, open, open_for_stop};
use crate::component::{Failure, OcfJournal};
use crate::ocf::{log, Action, Env, OcfExit};
use crate::pacemaker::Pacemaker;
use crate::spec::ibmmq::{IbmmqParams, LastReplica};

/// Runs the actions that differ for a Native HA queue manager; None for the others
/// (validate-all, reload-agent), which are the same as for a single instance.
pub fn run(action: &Action, env: &Env, p: &IbmmqParams) -> Option<OcfExit> {
    let deadline = env.deadline();
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

/// The clone meta attributes a Native HA resource needs, where Pacemaker exposes them
/// (OCF_RESKEY_CRM_meta_*): a clone of three, one per node, one promoted, promotable. Err: the
/// reason for exit 6.
pub fn check_clone_meta(get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    const HOW: &str = "pcs resource create ... native_ha=true promotable clone-max=3 clone-node-max=1 promoted-max=1";
    let meta = |k: &str| get(&format!("OCF_RESKEY_CRM_meta_{k}")).filter(|v| !v.trim().is_empty());
    let Some(max) = meta("clone_max") else {
        return Err(format!("native_ha=true runs only as a promotable clone of three instances: {HOW}"));
    };
    let want = |k: &str, v: &str, attr: &str| match meta(k) {
        Some(got) if got.trim() != v => Err(format!("{attr}={got}: a Native HA resource needs {attr}={v} ({HOW})")),
        _ => Ok(()),
    };
    if max.trim() != "3" {
        return Err(format!("clone-max={max}: a Native HA queue manager has three instances ({HOW})"));
    }
    want("clone_node_max", "1", "clone-node-max")?;
    want("promoted_max", "1", "promoted-max")?;
    want("master_max", "1", "master-max")?;
    match meta("promotable") {
        Some(v) if !matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "1" | "on" | "y") => {
            Err(format!("promotable={v}: a Native HA resource must be a promotable clone ({HOW})"))
        }
        _ => Ok(()),
    }
}

/// Whether the administrator is stopping the whole clone (`pcs resource disable`: the clone's
/// target-role meta attribute, which Pacemaker passes to every action as
/// OCF_RESKEY_CRM_meta_target_role): then every instance is meant to end and the quorum rule,
/// which protects the group from losing an instance, does not apply.
pub fn group_stopping(get: impl Fn(&str) -> Option<String>) -> bool {
    get("OCF_RESKEY_CRM_meta_target_role").is_some_and(|v| v.trim().eq_ignore_ascii_case("stopped"))
}

fn clone_meta() -> Result<(), Failure> {
    check_clone_meta(|k| std::env::var(k).ok()).map_err(|why| Failure(OcfExit::ErrConfigured, why))
}

/// The report, or why there is none, in a table's terms.
fn report(qm: &QueueManager, deadline: Instant) -> Result<NhaReport, String> {
    qm.native_ha().report(deadline).map_err(|e| e.to_string())
}

/// Publishes this node's score as its report shows it (none without a report).
fn score_from(env: &Env, r: Option<&NhaReport>, deadline: Instant) {
    promotion_score(env, r.and_then(table::score_of), deadline);
}

fn start(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    clone_meta()?;
    let qm = open(p, deadline)?;
    super::check_monitor_program(&qm, p, deadline)?;
    qm.node_checks(&node_options(p), Some(&Pacemaker::from_env(env)), deadline, &j).map_err(fail)?;
    let got = qm.native_ha().start_instance(&p.strmqm_options, deadline, &j).map_err(fail)?;
    RoleFile::of(p, &qm).write(Role::Unpromoted)?;
    let r = report(&qm, share(deadline, 0.5));
    score_from(env, r.as_ref().ok(), deadline);
    match (&got, &r) {
        (NhaStart::Active, _) => log::info(format!("{}: MQ elected the instance here active", p.qmgr)),
        (NhaStart::Replica, Ok(r)) => log::info(format!(
            "{}: instance {} runs here as a replica ({}, in sync: {})",
            p.qmgr,
            r.instance,
            quorum_text(r),
            if r.insync { "yes" } else { "no" }
        )),
        (NhaStart::Replica, Err(e)) => log::warn(format!("{}: started as a replica, but {e}", p.qmgr)),
    }
    Ok(OcfExit::Success)
}

/// Whether ending this node's instance may go on: Err(reason) when it would break the quorum and
/// native_ha_last_replica=refuse; with warn, a warning. Without a report (the instance does not
/// answer dspmq), nothing says it counts: it may end.
fn quorum_rule(p: &IbmmqParams, what: &str, r: Option<&NhaReport>) -> Result<(), String> {
    let Some(r) = r else { return Ok(()) };
    if !r.would_break_quorum() {
        return Ok(());
    }
    // The reason fits crm_mon's 128 characters; the log says what to do.
    let why = format!(
        "{what} of {} refused: instance {} is one of the last two in sync ({}); native_ha_last_replica=refuse",
        p.qmgr,
        r.instance,
        quorum_text(r)
    );
    match p.last_replica {
        LastReplica::Refuse => Err(why),
        LastReplica::Warn => {
            log::warn(format!(
                "{}; going on (native_ha_last_replica=warn)",
                why.replace("refused", "breaks the quorum").replace("; native_ha_last_replica=refuse", "")
            ));
            Ok(())
        }
    }
}

fn stop(env: &Env, p: &IbmmqParams, deadline: Instant) -> OcfExit {
    let j = OcfJournal;
    let Ok(qm) = open_for_stop(p, deadline) else {
        // No installation or user here: this name's processes by /proc alone.
        promotion_score(env, None, deadline);
        return super::stop(env, p, deadline);
    };
    let _ = super::end_watcher(&qm, deadline);
    let here = !mq_core::procs::none_left(&qm.scope().list_within(share(deadline, 0.1)));
    if here {
        let r = report(&qm, share(deadline, 0.15)).map_err(|e| log::warn(format!("stop: {e}"))).ok();
        let whole = group_stopping(|k| std::env::var(k).ok());
        if whole {
            log::info(format!(
                "{}: the clone's target-role is Stopped: the whole group is being stopped, the quorum rule does not apply",
                p.qmgr
            ));
        }
        let rule = if whole { Ok(()) } else { quorum_rule(p, "stop", r.as_ref()) };
        if let Err(why) = rule {
            log::err(format!(
                "{why}: ending it would leave fewer than two running in-sync instances. Start another instance first, or set native_ha_last_replica=warn to stop it anyway"
            ));
            log::exit_reason(why);
            return OcfExit::ErrGeneric;
        }
        let may_kill = whole || p.last_replica == LastReplica::Warn;
        match qm.native_ha().stop_instance(p.stop_mode, p.reconnect_clients, may_kill, share(deadline, 0.85), &j) {
            Ok(steps) => log::info(format!("{}: instance here ended ({})", p.qmgr, steps.join(", "))),
            Err(e) => {
                log::exit_reason(e.to_string());
                return OcfExit::ErrGeneric;
            }
        }
    }
    RoleFile::of(p, &qm).clear();
    promotion_score(env, None, deadline);
    // Success only with proof that nothing of it is left here (no plain endmqm follows: on the
    // active it may end the whole group).
    match mq_core::procs::none_left(&qm.scope().list_within(share(deadline, 0.5))) {
        true => {
            log::info(format!("{} is stopped here", p.qmgr));
            OcfExit::Success
        }
        false => {
            log::exit_reason(format!("processes of {} are still left here after the stop", p.qmgr));
            OcfExit::ErrGeneric
        }
    }
}

fn promote(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    clone_meta()?;
    let name = &p.qmgr;
    let qm = open(p, deadline)?;
    let roles = RoleFile::of(p, &qm);
    let r = qm.native_ha().report(share(deadline, 0.2)).map_err(fail)?;
    let elected = match (&r.role, r.active()) {
        (NhaRole::Active, _) => Elected::Here,
        (_, Some(a)) => Elected::Elsewhere(NhaReport::describe(a)),
        // An election under way: only an in-sync instance can win, so only then is it worth the wait.
        (NhaRole::Replica, None) if r.insync => {
            log::info(format!("{name}: no active instance yet ({}); waiting for MQ's election", quorum_text(&r)));
            qm.native_ha().wait_elected(share(deadline, 0.8), &j).map_err(fail)?
        }
        _ => Elected::Nobody(Some(r.clone())),
    };
    match elected {
        Elected::Here => {}
        Elected::Elsewhere(who) => {
            score_from(env, Some(&r), deadline);
            return Err(Failure(
                OcfExit::ErrGeneric,
                format!("{name}: MQ elected {who}, not instance {} here; Pacemaker follows MQ's scores", r.instance),
            ));
        }
        Elected::Nobody(last) => {
            let last = last.unwrap_or(r);
            score_from(env, Some(&last), deadline);
            return Err(Failure(
                OcfExit::ErrGeneric,
                format!(
                    "{name}: no instance is active ({}, instance {} here {}{}); MQ elects only with a quorum",
                    quorum_text(&last),
                    last.instance,
                    last.role,
                    if last.insync { ", in sync" } else { ", not in sync" }
                ),
            ));
        }
    }
    // Elected: the queue manager opens for applications (docs/reference/native-ha.md#quorum-and-election).
    let o = loop {
        let o = qm.observe(share(deadline, 0.5));
        if matches!(o.state, Ok(QmState::Running)) || Instant::now() >= share(deadline, 0.7) {
            break o;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    if !matches!(o.state, Ok(QmState::Running)) {
        return Err(Failure(
            OcfExit::ErrGeneric,
            format!("{name}: MQ elected the instance here but dspmq says {:?}, not Running", o.state),
        ));
    }
    qm.ensure_test_queue(&p.test_queue, share(deadline, 0.9), &j)
        .map_err(|e| Failure(OcfExit::ErrGeneric, format!("after promote: {e}")))?;
    roles.write(Role::Promoted)?;
    promotion_score(env, Some(table::SCORE_ACTIVE), deadline);
    super::watch::after_start(&qm, env, p.crash_watch, o.controller_pid(), deadline);
    log::info(format!("{name}: the instance here is the active one"));
    Ok(OcfExit::Success)
}

fn demote(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let j = OcfJournal;
    let name = &p.qmgr;
    let qm = open(p, deadline)?;
    let roles = RoleFile::of(p, &qm);
    super::end_watcher(&qm, deadline).map_err(fail)?;
    let r = match qm.native_ha().report(share(deadline, 0.15)) {
        Ok(r) => Some(r),
        // No instance here (a lost active): nothing is promoted here any more.
        Err(e) if mq_core::procs::none_left(&qm.scope().list_within(share(deadline, 0.1))) => {
            log::info(format!("{name}: no instance runs here ({e}); demoted"));
            None
        }
        Err(e) => return Err(fail(e)),
    };
    if let Some(r) = r.as_ref().filter(|r| r.role == NhaRole::Active) {
        // Only an in-sync replica can take over (docs/reference/native-ha.md#out-of-sync-replica).
        if !r.others_counting().iter().any(|i| i.role == NhaRole::Replica) {
            let why = format!(
                "demote of {name} refused: no in-sync replica to take over from instance {} ({}); native_ha_last_replica=refuse",
                r.instance,
                quorum_text(r)
            );
            if p.last_replica == LastReplica::Refuse {
                return Err(Failure(OcfExit::ErrGeneric, why));
            }
            log::warn(format!("{why}; handing over anyway (native_ha_last_replica=warn)"));
        }
        let may_kill = p.last_replica == LastReplica::Warn;
        let steps = qm
            .native_ha()
            .hand_over(p.stop_mode, p.reconnect_clients, may_kill, share(deadline, 0.5), &j)
            .map_err(fail)?;
        log::info(format!("{name}: the active instance here ended ({}); restarting it as a replica", steps.join(", ")));
        match qm.native_ha().start_instance(&p.strmqm_options, deadline, &j).map_err(fail)? {
            NhaStart::Replica => {}
            NhaStart::Active => {
                return Err(Failure(
                    OcfExit::ErrGeneric,
                    format!("{name}: MQ elected the instance here again after endmqm -s"),
                ))
            }
        }
    }
    roles.write(Role::Unpromoted)?;
    let after = report(&qm, share(deadline, 0.5)).ok();
    score_from(env, after.as_ref(), deadline);
    if let Some(a) = after.as_ref().and_then(NhaReport::active) {
        log::info(format!("{name}: demoted; MQ's active instance is {}", NhaReport::describe(a)));
    }
    Ok(OcfExit::Success)
}

fn monitor(env: &Env, p: &IbmmqParams, deadline: Instant) -> Result<OcfExit, Failure> {
    let probe = env.is_probe();
    let CloneLook { qm, roles, seen } = match clone_look(env, p, deadline)? {
        Looked::Here(l) => *l,
        Looked::Answered(single) => return single,
    };
    let o = &seen.o;
    let rep = (!seen.pids.is_empty()).then(|| report(&qm, share(deadline, 0.3)));
    let facts = table::Facts { base: seen.facts(&qm, probe, p), report: rep.as_ref(), role: roles.read() };
    let (verdict, score) = table::decide(&facts);
    if !probe {
        promotion_score(env, score, deadline);
    }
    match verdict.exit {
        OcfExit::NotRunning => {
            log::info(&verdict.reason);
            return Ok(OcfExit::NotRunning);
        }
        OcfExit::Degraded => {
            log::warn(&verdict.reason);
            log::exit_reason(verdict.reason);
            return Ok(OcfExit::Degraded);
        }
        OcfExit::Success if !matches!(rep, Some(Ok(ref r)) if r.role == NhaRole::Active) => {
            // A replica: nothing answers MQI calls here.
            log::debug(&verdict.reason);
            return Ok(OcfExit::Success);
        }
        OcfExit::Success | OcfExit::RunningPromoted => log::debug(&verdict.reason),
        code => return Err(super::multi::failed(&qm, probe, code, verdict.reason, deadline)),
    }
    if !matches!(o.state, Ok(QmState::Running)) {
        // Elected, still opening: the deeper checks wait for Running.
        log::info(format!("{}: elected here, dspmq says {:?}", p.qmgr, o.state));
        return Ok(verdict.exit);
    }
    // The active instance: a single instance's deeper checks.
    let watched = verdict.exit == OcfExit::RunningPromoted;
    super::multi::active_checks(env, p, &qm, o.controller_pid(), verdict.exit, watched, deadline)
}

/// Notifications always succeed; every one refreshes this node's promotion score from MQ's view,
/// so a transition that follows an election promotes the instance MQ elected.
fn notify(env: &Env, p: &IbmmqParams, deadline: Instant) -> OcfExit {
    let kind = env.notify.kind.as_deref().unwrap_or("");
    let op = env.notify.operation.as_deref().unwrap_or("");
    log::debug(format!("notify {kind}-{op}"));
    let Ok(qm) = open(p, deadline) else { return OcfExit::Success };
    if mq_core::procs::none_left(&qm.scope().list_within(share(deadline, 0.2))) {
        return OcfExit::Success;
    }
    if let Ok(r) = report(&qm, share(deadline, 0.5)) {
        score_from(env, Some(&r), deadline);
    }
    OcfExit::Success
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn meta(vars: &[(&str, &str)]) -> Result<(), String> {
        let m: HashMap<String, String> =
            vars.iter().map(|(k, v)| (format!("OCF_RESKEY_CRM_meta_{k}"), v.to_string())).collect();
        check_clone_meta(|k| m.get(k).cloned())
    }

    #[test]
    fn only_a_stopped_target_role_is_the_whole_group_stopping() {
        let with = |v: Option<&str>| {
            group_stopping(|k| (k == "OCF_RESKEY_CRM_meta_target_role").then_some(v).flatten().map(String::from))
        };
        assert!(with(Some("Stopped")) && with(Some("stopped")));
        assert!(!with(None) && !with(Some("Started")) && !with(Some("Unpromoted")) && !with(Some("")));
    }

    #[test]
    fn the_clone_meta_a_native_ha_resource_needs() {
        assert!(meta(&[]).unwrap_err().contains("promotable clone of three"));
        assert_eq!(meta(&[("clone_max", "3")]), Ok(()), "what Pacemaker does not expose is not required");
        assert_eq!(
            meta(&[("clone_max", "3"), ("clone_node_max", "1"), ("promoted_max", "1"), ("promotable", "true")]),
            Ok(())
        );
        for (vars, want) in [
            (&[("clone_max", "2")][..], "clone-max=2"),
            (&[("clone_max", "3"), ("promoted_max", "2")][..], "promoted-max=2"),
            (&[("clone_max", "3"), ("master_max", "3")][..], "master-max=3"),
            (&[("clone_max", "3"), ("clone_node_max", "2")][..], "clone-node-max=2"),
            (&[("clone_max", "3"), ("promotable", "false")][..], "promotable=false"),
        ] {
            let e = meta(vars).unwrap_err();
            assert!(e.contains(want) && e.contains("pcs resource create"), "{vars:?}: {e}");
        }
    }
}
