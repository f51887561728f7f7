//! The `ibmmq` binary: one executable serving the OCF resource agents ocf:mqha:ibmmq,
//! ocf:mqha:ibmmq-listener and ocf:mqha:ibmmq-trigger, chosen by the basename of argv[0]
//! (the other names are links to it). It dispatches argv[1] to the agent and turns the outcome
//! into the process exit code; it holds no MQ knowledge (the library and mq-core do).

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use ocf_agent::ocf::{self, invocation, log, Action, OcfExit};
use ocf_agent::spec::ibmmq::IbmmqParams;
use ocf_agent::spec::listener::ListenerParams;
use ocf_agent::spec::trigger::TriggerParams;
use ocf_agent::spec::AgentKind;
use ocf_agent::{ibmmq, listener, trigger};

/// The provider part of `ocf:mqha:<agent>`.
const PROVIDER: &str = "mqha";

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let called_as =
        args.first().map(Path::new).and_then(Path::file_name).and_then(OsStr::to_str).unwrap_or("").to_string();
    let Some(kind) = AgentKind::from_name(&called_as) else {
        // Installed under a name no agent answers to: the installation is broken, not the resource.
        let _ = writeln!(
            std::io::stderr(),
            "ocf-exit-reason:mqha agent called as '{called_as}'; install it as ibmmq, ibmmq-listener or ibmmq-trigger"
        );
        return OcfExit::ErrInstalled.into();
    };
    let Some(arg) = args.get(1) else {
        let _ = write!(std::io::stderr(), "{}", usage(kind));
        return OcfExit::ErrArgs.into();
    };
    let arg = arg.to_string_lossy();
    // The administrators' command line; Pacemaker never calls an action named "check".
    if kind == AgentKind::Ibmmq && arg == "check" {
        return ExitCode::from(ocf_agent::check::main(&args[2..]));
    }
    // The crash watcher a start leaves behind (crash_watch=true); not an OCF action.
    if kind == AgentKind::Ibmmq && arg == ibmmq::watch::SUBCOMMAND {
        return ExitCode::from(ibmmq::watch::main(&args[1..]));
    }
    match arg.as_ref() {
        "--version" | "-V" => {
            println!("{} ({PROVIDER}) {}", kind.name(), kind.spec().version);
            return OcfExit::Success.into();
        }
        _ => {}
    }
    let action = Action::parse(&arg);
    // meta-data and usage answer before anything else is read: they must work as `nobody`,
    // with an empty environment, on a node without MQ.
    match action {
        Action::MetaData => {
            print!("{}", ocf::metadata::render(kind.spec()));
            return OcfExit::Success.into();
        }
        Action::Usage => {
            print!("{}", usage(kind));
            return OcfExit::Success.into();
        }
        _ => {}
    }
    let instance = std::env::var("OCF_RESOURCE_INSTANCE").unwrap_or_else(|_| "default".to_string());
    log::init_from_env(kind.name(), &instance);
    log::start_trace_from_env(kind.name(), &instance, action.as_str());
    // Every MQ and Pacemaker command the action runs: a DEBUG line (HA_debug) and a trace line (trace_ra).
    mq_core::exec::observe_commands(|line| {
        if log::debug_enabled() {
            log::debug(line)
        }
    });
    run(kind, action).into()
}

fn usage(kind: AgentKind) -> String {
    invocation::usage(kind.spec(), PROVIDER)
}

/// Hands the action to the agent, through the OCF conventions every agent shares.
fn run(kind: AgentKind, action: Action) -> OcfExit {
    let spec = kind.spec();
    match kind {
        AgentKind::Ibmmq => {
            invocation::run(spec, action, IbmmqParams::from_env, |env, p| ibmmq::run(&env.action, env, p))
        }
        AgentKind::Listener => {
            invocation::run(spec, action, ListenerParams::from_env, |env, p| listener::run(&env.action, env, p))
        }
        AgentKind::Trigger => {
            invocation::run(spec, action, TriggerParams::from_env, |env, p| trigger::run(&env.action, env, p))
        }
    }
}
