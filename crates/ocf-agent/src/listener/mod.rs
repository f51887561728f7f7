//! ocf:mqha:ibmmq-listener: one TCP listener of a queue manager. Either a runmqlsr the agent
//! starts itself (detached, as the mq user) or a defined LISTENER object driven through runmqsc.
//! Only this queue manager's runmqlsr for this port is ever signalled: endmqlsr would end every
//! listener of the queue manager, so it is not used.

pub mod component;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mq_core::listener as lsr;
use mq_core::mqi::{self, MqiError, MqiTarget, ProbeIdentity, ProbeStep};
use mq_core::procs::Proc;
use mq_core::runmqsc;

use mq_core::Deadline;

use crate::ocf::{log, Action, CheckLevel, Env, OcfExit};
use crate::spec::listener::ListenerParams;
use component::{
    cleanup_deadline, end_processes, gone_with_queue_manager, poll_until, queue_manager_runs_here, Node, NodeError,
};

/// The channel the depth-10 client check connects through: every queue manager has it. A refusal
/// (2035 by the default CHLAUTH back-stop rule) still proves the listener handed the connection on.
pub const CHECK_CHANNEL: &str = "SYSTEM.DEF.SVRCONN";

/// How long a freshly started runmqlsr may take to show up in /proc before start gives up on it.
const APPEAR_WITHIN: Duration = Duration::from_secs(5);

pub fn run(action: &Action, env: &Env, p: &ListenerParams) -> OcfExit {
    let deadline = Deadline::at(env.deadline());
    match action {
        Action::Start => start(env, p, deadline),
        Action::Stop => stop(env, p, deadline),
        Action::Monitor => monitor(env, p, deadline),
        Action::ValidateAll => match node_checks(env, p, deadline) {
            Ok(_) => OcfExit::Success,
            Err(e) => fail(e),
        },
        other => {
            log::exit_reason(format!("action '{other}' is not supported by ibmmq-listener"));
            OcfExit::Unimplemented
        }
    }
}

fn fail(e: NodeError) -> OcfExit {
    log::exit_reason(&e.reason);
    e.exit
}

fn what(p: &ListenerParams) -> String {
    match p.ipaddr {
        Some(ip) => format!("listener of {} on {}", p.qmgr, SocketAddr::new(ip, p.port)),
        None => format!("listener of {} on port {}", p.qmgr, p.port),
    }
}

/// Layer 2: the installation has runmqlsr, the mq user exists, the bind address is on this node.
fn node_checks(env: &Env, p: &ListenerParams, deadline: Deadline) -> Result<Node, NodeError> {
    let node = Node::resolve(
        &p.qmgr,
        p.mq_user.as_deref(),
        p.mq_installation.as_deref(),
        lsr::RUNMQLSR,
        env.fail_have_binary,
        deadline,
    )?;
    if let Some(ip) = p.ipaddr {
        match lsr::address_is_local(ip) {
            Ok(true) => {}
            // Invalid on this host (OCF_ERR_ARGS): the virtual IP is not up here.
            Ok(false) => {
                return Err(NodeError {
                    exit: OcfExit::ErrArgs,
                    reason: format!("ipaddr='{ip}' is not configured on this node; start the IPaddr2 resource first"),
                })
            }
            Err(e) => {
                return Err(NodeError {
                    exit: OcfExit::ErrGeneric,
                    reason: format!("cannot list this node's addresses: {e}"),
                })
            }
        }
    }
    Ok(node)
}

fn ours(p: &ListenerParams) -> Vec<Proc> {
    lsr::listeners_of(p.qmgr.as_str(), p.port)
}

/// The inodes of the listening sockets on the resource's port that `procs` hold.
fn held_sockets(p: &ListenerParams, procs: &[Proc]) -> Vec<u64> {
    procs
        .iter()
        .flat_map(|o| lsr::sockets_held_by(o.pid, p.port))
        .filter(|s| lsr::clashes(s.addr, p.ipaddr))
        .map(|s| s.inode)
        .collect()
}

fn start(env: &Env, p: &ListenerParams, deadline: Deadline) -> OcfExit {
    let node = match node_checks(env, p, deadline) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    let addr = lsr::probe_address(p.ipaddr, p.port);
    if !ours(p).is_empty() {
        let serving = || {
            let procs = ours(p);
            (!held_sockets(p, &procs).is_empty() && lsr::accepts(addr, Duration::from_millis(500))).then_some(())
        };
        if poll_until(deadline, serving).is_some() {
            log::info(format!("{} is already running", what(p)));
            if let Some(object) = &p.listener {
                // The queue manager may have started it (CONTROL(QMGR)): align the object anyway.
                if let Err((_, why)) = mqsc(&node, p, &lsr::alter_mqsc(object, p.port, p.ipaddr, p.backlog), deadline) {
                    log::warn(format!("could not align LISTENER({object}): {why}"));
                }
            }
            return OcfExit::Success;
        }
        log::exit_reason(format!("runmqlsr of {} for port {} runs but does not serve {addr}", p.qmgr, p.port));
        return OcfExit::ErrGeneric;
    }
    if !queue_manager_runs_here(&p.qmgr) {
        log::exit_reason(format!("queue manager {} is not running on this node; order the listener after it", p.qmgr));
        return OcfExit::ErrGeneric;
    }
    let holders = lsr::port_holders(p.port, p.ipaddr);
    if let Some(h) = holders.first() {
        log::exit_reason(format!("port {} is already held by {}", p.port, h.describe()));
        return OcfExit::ErrGeneric;
    }
    let started = match &p.listener {
        Some(object) => start_object(&node, p, object, deadline),
        None => {
            let args = lsr::runmqlsr_args(p.qmgr.as_str(), p.port, p.ipaddr, p.backlog);
            log::info(format!("starting runmqlsr {} as {}", args.join(" "), node.user.name));
            node.runner()
                .spawn_detached(&node.installation.bin(lsr::RUNMQLSR), &args)
                .map_err(|e| (OcfExit::ErrGeneric, e.to_string()))
        }
    };
    if let Err((code, why)) = started {
        log::exit_reason(why);
        return code;
    }
    // Up means: our runmqlsr is there and the port accepts. A runmqlsr that exits (bind failed,
    // queue manager ended), or never shows up, ends the wait early with its reason.
    let spawned = Instant::now();
    let mut seen = false;
    let up = poll_until(deadline, || {
        let procs = ours(p);
        seen |= !procs.is_empty();
        if procs.is_empty() && (seen || spawned.elapsed() > APPEAR_WITHIN) {
            return Some(false);
        }
        // Our runmqlsr must hold the socket: a connection accepted by another program proves nothing.
        (!held_sockets(p, &procs).is_empty() && lsr::accepts(addr, Duration::from_millis(200))).then_some(true)
    });
    if up != Some(true) {
        // Leave nothing behind of a start that failed.
        end_processes(|| ours(p), cleanup_deadline(deadline));
    }
    match up {
        Some(true) => {
            log::info(format!("{} started", what(p)));
            OcfExit::Success
        }
        Some(false) => {
            log::exit_reason(format!(
                "runmqlsr for {} port {} exited at once; see the queue manager's error log (AMQERR01.LOG)",
                p.qmgr, p.port
            ));
            OcfExit::ErrGeneric
        }
        None => {
            let state =
                if ours(p).is_empty() { "no runmqlsr appeared" } else { "runmqlsr runs but does not serve the port" };
            log::exit_reason(format!("{} did not start within the start timeout: {state}", what(p)));
            OcfExit::ErrGeneric
        }
    }
}

/// Makes the LISTENER object match the resource and starts it through runmqsc.
fn start_object(node: &Node, p: &ListenerParams, object: &str, deadline: Deadline) -> Result<(), (OcfExit, String)> {
    let script = lsr::alter_and_start_mqsc(object, p.port, p.ipaddr, p.backlog);
    log::info(format!("runmqsc {}: {}", p.qmgr, script.trim().replace('\n', "; ")));
    mqsc(node, p, &script, deadline.child(0.5))
}

/// Runs an MQSC script; any error reply fails it, with the reply's text.
fn mqsc(node: &Node, p: &ListenerParams, script: &str, deadline: Deadline) -> Result<(), (OcfExit, String)> {
    let out = node
        .runner()
        .run(&node.installation.bin("runmqsc"), &[p.qmgr.as_str()], Some(script.as_bytes()), deadline.instant())
        .map_err(|e| (OcfExit::ErrGeneric, e.to_string()))?;
    let report = runmqsc::parse(&out.stdout);
    if let Some(r) = report.unavailable() {
        return Err((OcfExit::ErrGeneric, format!("runmqsc {}: {} {}", p.qmgr, r.id, r.text)));
    }
    for s in &report.sections {
        if let Some(r) = s.replies.iter().find(|r| r.id.ends_with('E')) {
            // AMQ8147E: the object does not exist, which is wrong on every node.
            let code = if r.is("AMQ8147") { OcfExit::ErrConfigured } else { OcfExit::ErrGeneric };
            return Err((code, format!("{}: {} {}", s.command.trim(), r.id, r.text)));
        }
    }
    if out.rc != 0 {
        return Err((OcfExit::ErrGeneric, format!("runmqsc {} exited {}: {}", p.qmgr, out.rc, out.explaining_line())));
    }
    Ok(())
}

fn stop(env: &Env, p: &ListenerParams, deadline: Deadline) -> OcfExit {
    let running = ours(p);
    if running.is_empty() {
        log::info(format!("{} is not running", what(p)));
        return OcfExit::Success;
    }
    // The listening sockets our runmqlsr holds: stop is done when the kernel has dropped them.
    let our_sockets: Vec<u64> = held_sockets(p, &running);
    if let Some(object) = &p.listener {
        // Let the queue manager end its own listener first, so DISPLAY LSSTATUS stays true.
        match Node::resolve(
            &p.qmgr,
            p.mq_user.as_deref(),
            p.mq_installation.as_deref(),
            "runmqsc",
            env.fail_have_binary,
            deadline,
        ) {
            Ok(node) => {
                if let Err((_, why)) = mqsc(&node, p, &lsr::stop_mqsc(object), deadline.child(0.3)) {
                    log::warn(format!("STOP LISTENER({object}) failed ({why}); ending runmqlsr by signal"));
                } else {
                    poll_until(deadline.child(0.4), || ours(p).is_empty().then_some(()));
                }
            }
            Err(e) => log::warn(format!("{e}; ending runmqlsr by signal")),
        }
    }
    let left = end_processes(|| ours(p), deadline);
    if !left.is_empty() {
        let names: Vec<String> = left.iter().map(Proc::describe).collect();
        log::exit_reason(format!("runmqlsr survived SIGKILL: {}", names.join(", ")));
        return OcfExit::ErrGeneric;
    }
    // The socket goes with the process; wait (briefly) for the kernel to drop it.
    let closed = poll_until(deadline.capped(Duration::from_secs(5)), || {
        lsr::listening_on(p.port).iter().all(|s| !our_sockets.contains(&s.inode)).then_some(())
    });
    if closed.is_none() {
        log::warn(format!("port {} still shows runmqlsr's listening socket after it ended", p.port));
    }
    log::info(format!("{} stopped", what(p)));
    OcfExit::Success
}

fn monitor(env: &Env, p: &ListenerParams, deadline: Deadline) -> OcfExit {
    let procs = ours(p);
    if procs.is_empty() {
        if !env.is_probe() {
            if let Some(code) = gone_with_queue_manager(&p.qmgr, &what(p)) {
                return code;
            }
            log::exit_reason(format!("no runmqlsr of {} for port {} is running", p.qmgr, p.port));
        }
        return OcfExit::NotRunning;
    }
    // runmqlsr must hold the listening socket itself: a listener that lost a bind race to
    // another program is alive but serves nothing.
    if held_sockets(p, &procs).is_empty() {
        let others: Vec<String> = lsr::port_holders(p.port, p.ipaddr).iter().map(|h| h.describe()).collect();
        let by = if others.is_empty() {
            String::from("nothing listens there")
        } else {
            format!("held by {}", others.join(", "))
        };
        log::exit_reason(format!("runmqlsr (pid {}) runs but does not hold port {} ({by})", procs[0].pid, p.port));
        return OcfExit::ErrGeneric;
    }
    let addr = lsr::probe_address(p.ipaddr, p.port);
    let connect_time = deadline.remaining().min(Duration::from_secs(3));
    if !lsr::accepts(addr, connect_time) {
        log::exit_reason(format!("runmqlsr (pid {}) runs but {addr} does not accept connections", procs[0].pid));
        return OcfExit::ErrGeneric;
    }
    if env.check_level < CheckLevel::Medium {
        return OcfExit::Success;
    }
    let node = match Node::resolve(
        &p.qmgr,
        p.mq_user.as_deref(),
        p.mq_installation.as_deref(),
        lsr::RUNMQLSR,
        env.fail_have_binary,
        deadline,
    ) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    let identity = match ProbeIdentity::lookup(&node.user.name) {
        Ok(i) => i,
        Err(e) => {
            log::exit_reason(e);
            return OcfExit::ErrInstalled;
        }
    };
    let target = MqiTarget::new(&node.installation.path, identity, p.qmgr.clone());
    let steps = [
        ProbeStep::ClientConnect { channel: CHECK_CHANNEL.into(), conname: lsr::conname(addr) },
        ProbeStep::InquireQmName,
    ];
    match client_verdict(mqi::run_probe(&target, &steps, deadline.instant()).map(|_| ())) {
        ClientVerdict::Works => OcfExit::Success,
        ClientVerdict::Refused(why) => {
            log::info(format!("client check through {addr}: {why}; the listener handed the connection to the queue manager, so it works"));
            OcfExit::Success
        }
        ClientVerdict::Fails(why) => {
            log::exit_reason(format!("client check through {addr} failed: {why}"));
            OcfExit::ErrGeneric
        }
    }
}

/// What a client connection through the listener proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientVerdict {
    Works,
    /// The queue manager answered with a refusal (e.g. 2035): the listener itself works.
    Refused(String),
    Fails(String),
}

/// Only reasons that say nothing reached the queue manager fail the listener: 2538 (nothing
/// accepts at the address), 2059 / 2009 (no queue manager behind it or the connection broke),
/// and the queue manager ending; a wrong queue manager answering is a failure too.
pub fn client_verdict(result: Result<(), MqiError>) -> ClientVerdict {
    match result {
        Ok(()) => ClientVerdict::Works,
        Err(e) => match e.reason() {
            Some(2538 | 2059 | 2009 | 2161 | 2162 | 2202 | 2203 | 2223) => ClientVerdict::Fails(e.with_hint()),
            Some(_) => ClientVerdict::Refused(e.to_string()),
            None => ClientVerdict::Fails(e.with_hint()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mq_core::mqi::ConnectionKind;

    fn call(reason: i32) -> Result<(), MqiError> {
        Err(MqiError::Call {
            step: "client connect".into(),
            verb: "MQCONNX".into(),
            cc: 2,
            reason,
            kind: ConnectionKind::Client,
            object: None,
        })
    }

    #[test]
    fn which_client_answers_prove_the_listener() {
        assert_eq!(client_verdict(Ok(())), ClientVerdict::Works);
        assert!(matches!(client_verdict(call(2035)), ClientVerdict::Refused(_)));
        assert!(matches!(client_verdict(call(2540)), ClientVerdict::Refused(_)));
        assert!(matches!(client_verdict(call(2537)), ClientVerdict::Refused(_)));
        assert!(matches!(client_verdict(call(2538)), ClientVerdict::Fails(_)));
        assert!(matches!(client_verdict(call(2059)), ClientVerdict::Fails(_)));
        let wrong = Err(MqiError::WrongQmName { expected: "QM1".into(), got: "QM2".into() });
        assert!(matches!(client_verdict(wrong), ClientVerdict::Fails(_)));
        let hung = Err(MqiError::Timeout { step: "client connect".into(), waited: Duration::from_secs(3) });
        assert!(matches!(client_verdict(hung), ClientVerdict::Fails(_)));
    }
}
