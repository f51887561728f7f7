//! ocf:mqha:ibmmq-listener: the parameters, a call on mq-core's `Listener`, and the exit code of
//! its outcome. What a listener is and how it starts and stops is mq-core's.

use std::time::Duration;

use mq_core::listener::{self as lsr, ClientVerdict, Health, Listener, ListenerError, Started, Stopped};
use mq_core::placement::{Placement, Wanted};
use mq_core::Deadline;

use crate::component::{exit_for_fault, gone_with_queue_manager, place_component, Failure, OcfJournal};
use crate::ocf::{log, Action, CheckLevel, Env, OcfExit};
use crate::spec::listener::ListenerParams;

pub fn run(action: &Action, env: &Env, p: &ListenerParams) -> OcfExit {
    let deadline = Deadline::at(env.deadline());
    let l = listener(p, deadline);
    let done = match action {
        Action::Start => start(env, p, &l, deadline),
        Action::Stop => stop(env, p, &l, deadline),
        Action::Monitor => monitor(env, p, &l, deadline),
        Action::ValidateAll => node_checks(env, p, &l, deadline).map(|_| OcfExit::Success),
        // Only trace_ra and trace_file are reloadable; each action reads them afresh.
        Action::ReloadAgent => Ok(OcfExit::Success),
        other => Err(Failure(OcfExit::Unimplemented, format!("action '{other}' is not supported by ibmmq-listener"))),
    };
    done.unwrap_or_else(Failure::exit)
}

fn listener(p: &ListenerParams, deadline: Deadline) -> Listener {
    Listener {
        qm: p.qmgr.clone(),
        inst: wanted(p).installation_path(&p.qmgr, deadline),
        port: p.port,
        ipaddr: p.ipaddr,
        backlog: p.backlog,
        object: p.listener.clone(),
    }
}

fn wanted(p: &ListenerParams) -> Wanted<'_> {
    Wanted { mq_user: p.mq_user.as_deref(), mq_installation: p.mq_installation.as_deref(), data_path: None }
}

fn place(env: &Env, p: &ListenerParams, program: &str, deadline: Deadline) -> Result<Placement, Failure> {
    place_component(env, &p.qmgr, &wanted(p), program, deadline)
}

/// An address not on this node is invalid here (2); the rest by who must act.
fn failure(e: ListenerError) -> Failure {
    match &e {
        ListenerError::AddressNotHere(_) => Failure(OcfExit::ErrArgs, format!("{e}; start the IPaddr2 resource first")),
        e => Failure(exit_for_fault(e.fault()), e.to_string()),
    }
}

/// The installation has runmqlsr, the mq user exists, the bind address is on this node.
fn node_checks(env: &Env, p: &ListenerParams, l: &Listener, deadline: Deadline) -> Result<Placement, Failure> {
    let at = place(env, p, lsr::RUNMQLSR, deadline)?;
    l.node_checks().map_err(failure)?;
    Ok(at)
}

fn start(env: &Env, p: &ListenerParams, l: &Listener, deadline: Deadline) -> Result<OcfExit, Failure> {
    let at = node_checks(env, p, l, deadline)?;
    match l.start(&at, deadline, &OcfJournal).map_err(failure)? {
        Started::AlreadyRunning => {}
        Started::Now => log::info(format!("{} started", l.describe())),
    }
    Ok(OcfExit::Success)
}

fn stop(env: &Env, p: &ListenerParams, l: &Listener, deadline: Deadline) -> Result<OcfExit, Failure> {
    // Stop never fails because of configuration: without an installation, by signal alone.
    let at = || match place(env, p, "runmqsc", deadline) {
        Ok(at) => Some(at),
        Err(Failure(_, why)) => {
            log::warn(format!("{why}; ending runmqlsr by signal"));
            None
        }
    };
    match l.stop(at, deadline, &OcfJournal).map_err(failure)? {
        Stopped::NotRunning => log::info(format!("{} is not running", l.describe())),
        Stopped::Now => log::info(format!("{} stopped", l.describe())),
    }
    Ok(OcfExit::Success)
}

fn monitor(env: &Env, p: &ListenerParams, l: &Listener, deadline: Deadline) -> Result<OcfExit, Failure> {
    let o =
        l.observe(deadline.remaining().min(Duration::from_secs(3)), deadline.child(0.5).instant()).map_err(failure)?;
    match lsr::decide(&o, l.address()) {
        Health::Serving => {}
        Health::Absent { qm_gone } if !env.is_probe() => {
            if qm_gone {
                return Ok(gone_with_queue_manager(&p.qmgr, &l.describe()));
            }
            log::exit_reason(format!("no runmqlsr of {} for port {} is running", p.qmgr, p.port));
            return Ok(OcfExit::NotRunning);
        }
        Health::Absent { .. } => return Ok(OcfExit::NotRunning),
        // runmqlsr must hold the listening socket itself: one that lost a bind race to another
        // program is alive but serves nothing.
        Health::NotHolding { pid, holders } => {
            let by = if holders.is_empty() {
                String::from("nothing listens there")
            } else {
                format!("held by {}", holders.join(", "))
            };
            return Err(Failure(
                OcfExit::ErrGeneric,
                format!("runmqlsr (pid {pid}) runs but does not hold port {} ({by})", p.port),
            ));
        }
        Health::NotAccepting { pid, addr } => {
            return Err(Failure(
                OcfExit::ErrGeneric,
                format!("runmqlsr (pid {pid}) runs but {addr} does not accept connections"),
            ))
        }
    }
    if env.check_level < CheckLevel::Medium {
        return Ok(OcfExit::Success);
    }
    let at = place(env, p, lsr::RUNMQLSR, deadline)?;
    let addr = l.address();
    match l.check_client(&at, deadline).map_err(failure)? {
        ClientVerdict::Works => Ok(OcfExit::Success),
        ClientVerdict::Refused(why) => {
            log::info(format!(
                "client check through {addr}: {why}; the listener handed the connection to the queue manager, so it works"
            ));
            Ok(OcfExit::Success)
        }
        ClientVerdict::Fails(why) => {
            Err(Failure(OcfExit::ErrGeneric, format!("client check through {addr} failed: {why}")))
        }
    }
}
