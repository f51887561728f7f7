//! ocf:mqha:ibmmq-trigger: one trigger monitor (runmqtrm) on an initiation queue of a queue
//! manager, started detached as the mq user; monitored by its process and, at depth 10, by the
//! initiation queue's open-input count; stopped by signalling only that runmqtrm.

use std::time::{Duration, Instant};

use mq_core::mqi::{self, MqiError, MqiTarget, ProbeIdentity};
use mq_core::procs::Proc;
use mq_core::trigger as trm;

use crate::listener::component::{end_processes, poll_until, queue_manager_runs_here, Node, NodeError};
use crate::ocf::{log, Action, CheckLevel, Deadline, Env, OcfExit};
use crate::spec::trigger::TriggerParams;

/// How long a freshly started program may take to show up in /proc before start gives up on it.
const APPEAR_WITHIN: Duration = Duration::from_secs(5);

pub fn run(action: &Action, env: &Env, p: &TriggerParams) -> OcfExit {
    let deadline = env.deadline();
    match action {
        Action::Start => start(env, p, deadline),
        Action::Stop => stop(p, deadline),
        Action::Monitor => monitor(env, p, deadline),
        Action::ValidateAll => match resolve(env, p, deadline) {
            Ok(_) => OcfExit::Success,
            Err(e) => fail(e),
        },
        other => {
            log::exit_reason(format!("action '{other}' is not supported by ibmmq-trigger"));
            OcfExit::Unimplemented
        }
    }
}

fn fail(e: NodeError) -> OcfExit {
    log::exit_reason(&e.reason);
    e.exit
}

fn resolve(env: &Env, p: &TriggerParams, deadline: Deadline) -> Result<Node, NodeError> {
    Node::resolve(&p.qmgr, p.mq_user.as_deref(), p.mq_installation.as_deref(), trm::RUNMQTRM, env.fail_have_binary, deadline)
}

fn ours(p: &TriggerParams) -> Vec<Proc> {
    trm::trigger_monitors_of(p.qmgr.as_str(), &p.initq)
}

fn what(p: &TriggerParams) -> String {
    format!("trigger monitor of {} on {}", p.qmgr, p.initq)
}

/// Whether some handle has the initiation queue open for input (runmqtrm keeps it open).
fn initq_is_read(node: &Node, p: &TriggerParams, deadline: Deadline) -> Result<bool, MqiError> {
    let identity = ProbeIdentity::lookup(&node.user.name)?;
    let target = MqiTarget::new(&node.installation.path, identity, p.qmgr.clone());
    Ok(mqi::open_input_count(&target, &p.initq, deadline.instant())? >= 1)
}

fn start(env: &Env, p: &TriggerParams, deadline: Deadline) -> OcfExit {
    let node = match resolve(env, p, deadline) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    if !ours(p).is_empty() {
        log::info(format!("{} is already running", what(p)));
        return OcfExit::Success;
    }
    if !queue_manager_runs_here(&p.qmgr) {
        log::exit_reason(format!("queue manager {} is not running on this node; order the trigger monitor after it", p.qmgr));
        return OcfExit::ErrGeneric;
    }
    let args = trm::runmqtrm_args(p.qmgr.as_str(), &p.initq);
    log::info(format!("starting runmqtrm {} as {}", args.join(" "), node.user.name));
    if let Err(e) = node.runner().spawn_detached(&node.installation.bin(trm::RUNMQTRM), &args) {
        log::exit_reason(e);
        return OcfExit::ErrGeneric;
    }
    let spawned = Instant::now();
    let mut seen = false;
    // Up means: runmqtrm is alive and the initiation queue is open for input. A runmqtrm that
    // exits (no such queue, not authorised) ends the wait early.
    let up = poll_until(deadline, || {
        let alive = !ours(p).is_empty();
        seen |= alive;
        if !alive && (seen || spawned.elapsed() > APPEAR_WITHIN) {
            return Some(Err(format!(
                "runmqtrm for {} exited at once; check that the initiation queue {} exists and the mq user may get from it",
                p.qmgr, p.initq
            )));
        }
        if !alive {
            return None;
        }
        match initq_is_read(&node, p, deadline.capped(Duration::from_secs(5))) {
            Ok(true) => Some(Ok(())),
            Ok(false) => None,
            Err(e) => Some(Err(format!("cannot check that runmqtrm reads {}: {}", p.initq, e.with_hint()))),
        }
    });
    match up {
        Some(Ok(())) => {
            log::info(format!("{} started", what(p)));
            OcfExit::Success
        }
        Some(Err(why)) => {
            log::exit_reason(why);
            OcfExit::ErrGeneric
        }
        None => {
            log::exit_reason(format!("{} did not open its queue within the start timeout", what(p)));
            OcfExit::ErrGeneric
        }
    }
}

fn stop(p: &TriggerParams, deadline: Deadline) -> OcfExit {
    if ours(p).is_empty() {
        log::info(format!("{} is not running", what(p)));
        return OcfExit::Success;
    }
    let left = end_processes(|| ours(p), deadline);
    if !left.is_empty() {
        let names: Vec<String> = left.iter().map(Proc::describe).collect();
        log::exit_reason(format!("runmqtrm survived SIGKILL: {}", names.join(", ")));
        return OcfExit::ErrGeneric;
    }
    log::info(format!("{} stopped", what(p)));
    OcfExit::Success
}

fn monitor(env: &Env, p: &TriggerParams, deadline: Deadline) -> OcfExit {
    if ours(p).is_empty() {
        if !env.is_probe() {
            log::exit_reason(format!("no runmqtrm of {} on {} is running", p.qmgr, p.initq));
        }
        return OcfExit::NotRunning;
    }
    if env.check_level < CheckLevel::Medium {
        return OcfExit::Success;
    }
    let node = match resolve(env, p, deadline) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    match initq_is_read(&node, p, deadline) {
        Ok(true) => OcfExit::Success,
        Ok(false) => {
            log::exit_reason(format!("runmqtrm runs but no handle has {} open for input", p.initq));
            OcfExit::ErrGeneric
        }
        Err(e) => {
            log::exit_reason(format!("cannot check {}: {}", p.initq, e.with_hint()));
            OcfExit::ErrGeneric
        }
    }
}
