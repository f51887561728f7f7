//! ocf:mqha:ibmmq-trigger: the parameters, a call on mq-core's `TriggerMonitor`, and the exit
//! code of its outcome. What a trigger monitor is and how it starts and stops is mq-core's.

use mq_core::placement::{Placement, Wanted};
use mq_core::trigger::{self as trm, Health, Started, Stopped, TriggerError, TriggerMonitor};
use mq_core::Deadline;

use crate::component::{exit_for_fault, gone_with_queue_manager, place_component, Failure, OcfJournal};
use crate::ocf::{log, Action, CheckLevel, Env, OcfExit};
use crate::spec::trigger::TriggerParams;

pub fn run(action: &Action, env: &Env, p: &TriggerParams) -> OcfExit {
    let deadline = Deadline::at(env.deadline());
    let t = TriggerMonitor {
        qm: p.qmgr.clone(),
        inst: wanted(p).installation_path(&p.qmgr, deadline),
        initq: p.initq.clone(),
    };
    let done = match action {
        Action::Start => start(env, p, &t, deadline),
        Action::Stop => stop(&t, deadline),
        Action::Monitor => monitor(env, p, &t, deadline),
        Action::ValidateAll => place(env, p, deadline).map(|_| OcfExit::Success),
        // Only trace_ra and trace_file are reloadable; each action reads them afresh.
        Action::ReloadAgent => Ok(OcfExit::Success),
        other => Err(Failure(OcfExit::Unimplemented, format!("action '{other}' is not supported by ibmmq-trigger"))),
    };
    done.unwrap_or_else(Failure::exit)
}

fn wanted(p: &TriggerParams) -> Wanted<'_> {
    Wanted { mq_user: p.mq_user.as_deref(), mq_installation: p.mq_installation.as_deref(), data_path: None }
}

/// The installation has runmqtrm and the mq user exists.
fn place(env: &Env, p: &TriggerParams, deadline: Deadline) -> Result<Placement, Failure> {
    place_component(env, &p.qmgr, &wanted(p), trm::RUNMQTRM, deadline)
}

fn failure(e: TriggerError) -> Failure {
    Failure(exit_for_fault(e.fault()), e.to_string())
}

fn start(env: &Env, p: &TriggerParams, t: &TriggerMonitor, deadline: Deadline) -> Result<OcfExit, Failure> {
    let at = place(env, p, deadline)?;
    match t.start(&at, deadline, &OcfJournal).map_err(failure)? {
        Started::AlreadyRunning => log::info(format!("{} is already running", t.describe())),
        Started::Now => log::info(format!("{} started", t.describe())),
    }
    Ok(OcfExit::Success)
}

fn stop(t: &TriggerMonitor, deadline: Deadline) -> Result<OcfExit, Failure> {
    match t.stop(deadline, &OcfJournal).map_err(failure)? {
        Stopped::NotRunning => log::info(format!("{} is not running", t.describe())),
        Stopped::Now => log::info(format!("{} stopped", t.describe())),
    }
    Ok(OcfExit::Success)
}

fn monitor(env: &Env, p: &TriggerParams, t: &TriggerMonitor, deadline: Deadline) -> Result<OcfExit, Failure> {
    let o = t.observe(deadline.child(0.5).instant()).map_err(failure)?;
    let pid = match trm::decide(&o) {
        Health::Running { pid } => pid,
        Health::Absent { qm_gone } if !env.is_probe() => {
            if qm_gone {
                return Ok(gone_with_queue_manager(&p.qmgr, &t.describe()));
            }
            log::exit_reason(format!("no runmqtrm of {} on {} is running", p.qmgr, p.initq));
            return Ok(OcfExit::NotRunning);
        }
        Health::Absent { .. } => return Ok(OcfExit::NotRunning),
    };
    if env.check_level < CheckLevel::Medium {
        return Ok(OcfExit::Success);
    }
    let at = place(env, p, deadline)?;
    match t.open_for_input(&at, &o.procs, deadline) {
        Ok(true) => Ok(OcfExit::Success),
        Ok(false) => Err(Failure(
            OcfExit::ErrGeneric,
            format!("runmqtrm (pid {pid}) runs but does not hold {} open for input", p.initq),
        )),
        Err(e) => Err(Failure(OcfExit::ErrGeneric, format!("cannot check {}: {e}", p.initq))),
    }
}
