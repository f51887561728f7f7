//! ocf:mqha:ibmmq-trigger: one trigger monitor (runmqtrm) on an initiation queue of a queue
//! manager, started detached as the mq user; monitored by its process and, at depth 10, by the
//! initiation queue's handle list (DISPLAY QSTATUS TYPE(HANDLE): our runmqtrm's PID has it open
//! for input); stopped by signalling only that runmqtrm.

use std::time::{Duration, Instant};

use mq_core::procs::Proc;
use mq_core::runmqsc;
use mq_core::trigger as trm;

use crate::listener::component::{
    cleanup_deadline, end_processes, gone_with_queue_manager, poll_until, queue_manager_runs_here, Node, NodeError,
};
use mq_core::Deadline;

use crate::ocf::{log, Action, CheckLevel, Env, OcfExit};
use crate::spec::trigger::TriggerParams;

/// How long a freshly started program may take to show up in /proc before start gives up on it.
const APPEAR_WITHIN: Duration = Duration::from_secs(5);

pub fn run(action: &Action, env: &Env, p: &TriggerParams) -> OcfExit {
    let deadline = Deadline::at(env.deadline());
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
    Node::resolve(
        &p.qmgr,
        p.mq_user.as_deref(),
        p.mq_installation.as_deref(),
        trm::RUNMQTRM,
        env.fail_have_binary,
        deadline,
    )
}

fn ours(p: &TriggerParams) -> Vec<Proc> {
    trm::trigger_monitors_of(p.qmgr.as_str(), &p.initq)
}

fn what(p: &TriggerParams) -> String {
    format!("trigger monitor of {} on {}", p.qmgr, p.initq)
}

/// Whether one of `ours` holds the initiation queue open for input, as DISPLAY QSTATUS
/// TYPE(HANDLE) shows it (by PID): exact, and one runmqsc process.
fn initq_is_read(node: &Node, p: &TriggerParams, ours: &[Proc], deadline: Deadline) -> Result<bool, String> {
    let script = format!("DISPLAY QSTATUS({}) TYPE(HANDLE) ALL\n", runmqsc::quoted(&p.initq));
    let out = node
        .runner()
        .run(&node.installation.bin("runmqsc"), &[p.qmgr.as_str()], Some(script.as_bytes()), deadline.instant())
        .map_err(|e| e.to_string())?;
    let report = runmqsc::parse(&out.stdout);
    if let Some(r) = report.unavailable() {
        return Err(format!("runmqsc {}: {} {}", p.qmgr, r.id, r.text));
    }
    let replies: Vec<&runmqsc::Reply> = report.sections.iter().flat_map(|s| s.replies.iter()).collect();
    if replies.iter().any(|r| r.is("AMQ8147")) {
        return Err(format!("the initiation queue {} does not exist in {}", p.initq, p.qmgr));
    }
    Ok(replies.iter().any(|r| {
        let pid = r.attr("PID").and_then(|v| v.trim().parse::<i32>().ok());
        let input = r.attr("INPUT").map(str::trim).unwrap_or("NO");
        pid.is_some_and(|pid| ours.iter().any(|o| o.pid == pid)) && input != "NO"
    }))
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
        log::exit_reason(format!(
            "queue manager {} is not running on this node; order the trigger monitor after it",
            p.qmgr
        ));
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
        let procs = ours(p);
        seen |= !procs.is_empty();
        if procs.is_empty() && (seen || spawned.elapsed() > APPEAR_WITHIN) {
            return Some(Err(format!(
                "runmqtrm for {} exited at once; check that the initiation queue {} exists and the mq user may get from it",
                p.qmgr, p.initq
            )));
        }
        if procs.is_empty() {
            return None;
        }
        match initq_is_read(&node, p, &procs, deadline.capped(Duration::from_secs(10))) {
            Ok(true) => Some(Ok(())),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    });
    if !matches!(up, Some(Ok(()))) {
        // Leave nothing behind of a start that failed.
        end_processes(|| ours(p), cleanup_deadline(deadline));
    }
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
    let procs = ours(p);
    if procs.is_empty() {
        if !env.is_probe() {
            if let Some(code) = gone_with_queue_manager(&p.qmgr, &what(p)) {
                return code;
            }
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
    match initq_is_read(&node, p, &procs, deadline) {
        Ok(true) => OcfExit::Success,
        Ok(false) => {
            log::exit_reason(format!(
                "runmqtrm (pid {}) runs but does not hold {} open for input",
                procs[0].pid, p.initq
            ));
            OcfExit::ErrGeneric
        }
        Err(e) => {
            log::exit_reason(format!("cannot check {}: {e}", p.initq));
            OcfExit::ErrGeneric
        }
    }
}
