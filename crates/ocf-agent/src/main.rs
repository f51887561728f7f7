//! The `ibmmq` binary: one executable serving the OCF resource agents ocf:mqha:ibmmq,
//! ocf:mqha:ibmmq-listener and ocf:mqha:ibmmq-trigger, chosen by the basename of argv[0]
//! (the other names are links to it). It dispatches argv[1] to the agent and turns the outcome
//! into the process exit code; it holds no MQ knowledge (the library and mq-core do).

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use ocf_agent::ocf::params::ParamError;
use ocf_agent::ocf::{self, log, Action, Env, OcfExit};
use ocf_agent::spec::ibmmq::IbmmqParams;
use ocf_agent::spec::listener::ListenerParams;
use ocf_agent::spec::trigger::TriggerParams;
use ocf_agent::spec::AgentKind;
use ocf_agent::{ibmmq, listener, trigger};

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
    match arg.as_ref() {
        "--version" | "-V" => {
            println!("{} (mqha) {}", kind.name(), kind.spec().version);
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
    let result = run(kind, action.clone());
    let failed = if action == Action::Monitor { result.is_failure_for_monitor() } else { result != OcfExit::Success };
    if failed && !log::exit_reason_given() {
        // Every failure carries a reason in crm_mon, even one an action forgot to give.
        log::exit_reason(format!("{} {} failed with {}", kind.name(), action, result));
    }
    result.into()
}

fn usage(kind: AgentKind) -> String {
    let mut names: Vec<&str> = kind.spec().actions.iter().map(|a| a.name).collect();
    names.dedup();
    format!(
        "usage: {} {{{}|usage}}\n       {} --version\n\nOCF resource agent ocf:mqha:{}: {}.\nParameters come from OCF_RESKEY_<name>; `{} meta-data` lists them.\n",
        kind.name(),
        names.join("|"),
        kind.name(),
        kind.name(),
        kind.spec().shortdesc,
        kind.name()
    )
}

/// Reads the environment, checks the parameters (layer 1) and hands the action to the agent.
fn run(kind: AgentKind, action: Action) -> OcfExit {
    if let Action::Other(name) = &action {
        log::exit_reason(format!("action '{name}' is not supported by {}", kind.name()));
        return OcfExit::Unimplemented;
    }
    let is_supported = match action {
        Action::ReloadAgent => kind.spec().advertises("reload-agent"),
        Action::Promote | Action::Demote | Action::Notify => kind.spec().advertises(action.as_str()),
        _ => true,
    };
    if !is_supported {
        log::exit_reason(format!("action '{action}' is not supported by {}", kind.name()));
        return OcfExit::Unimplemented;
    }
    let env = match Env::from_process(action.clone()) {
        Ok(env) => env,
        Err(e) if action == Action::Stop => {
            // A stop must not fail over configuration: ignore the bad value and use defaults.
            log::warn(format!("{e}; using defaults for it"));
            let bad = [
                "OCF_CHECK_LEVEL",
                "OCF_RESKEY_OCF_CHECK_LEVEL",
                "OCF_RESKEY_CRM_meta_interval",
                "OCF_RESKEY_CRM_meta_timeout",
            ];
            match Env::from_lookup(
                action.clone(),
                |k| if bad.contains(&k) { None } else { std::env::var(k).ok() },
                std::time::Instant::now(),
            ) {
                Ok(env) => env,
                Err(e) => {
                    log::exit_reason(e);
                    return OcfExit::ErrGeneric;
                }
            }
        }
        Err(e) => {
            log::exit_reason(e);
            return OcfExit::ErrConfigured;
        }
    };
    let env = env.with_notify_fields(std::env::vars());
    ocf_agent::ocf_debug!(
        "{action} (check level {}, {}timeout {} ms)",
        env.check_level.depth(),
        if env.is_probe() { "probe, " } else { "" },
        env.timeout.as_millis()
    );
    match kind {
        AgentKind::Ibmmq => with_params(&env, IbmmqParams::from_env(), |p| ibmmq::run(&env.action, &env, p)),
        AgentKind::Listener => with_params(&env, ListenerParams::from_env(), |p| listener::run(&env.action, &env, p)),
        AgentKind::Trigger => with_params(&env, TriggerParams::from_env(), |p| trigger::run(&env.action, &env, p)),
    }
}

/// Applies the outcome of layer-1 validation the same way for every agent, then runs the action.
fn with_params<P>(env: &Env, parsed: Result<P, ParamError>, action: impl FnOnce(&P) -> OcfExit) -> OcfExit {
    let params = match parsed {
        Ok(p) => p,
        Err(e) if env.action == Action::Stop => {
            // Nothing can have been started with parameters that are invalid everywhere, and a
            // failed stop leads to fencing: report the problem and succeed.
            log::err(format!("invalid parameters ({e}); nothing to stop"));
            return OcfExit::Success;
        }
        Err(e) => {
            log::exit_reason(e);
            return OcfExit::ErrConfigured;
        }
    };
    // validate-all at level 0 is what pcs --agent-validation runs, possibly on a machine without
    // MQ: parameter checks only. Deeper levels let the agent check this node too.
    if env.action == Action::ValidateAll && env.check_level == ocf::CheckLevel::Basic {
        return OcfExit::Success;
    }
    action(&params)
}
