//! One invocation the OCF way, around the agent's own action: refuse actions the agent does not
//! offer, read the environment (a stop never fails over configuration), apply the first layer of
//! parameter validation, and make sure every failure carries an exit reason.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use crate::env::{Action, CheckLevel, Env};
use crate::exit::OcfExit;
use crate::log;
use crate::params::{AgentSpec, ParamError};

/// The variables `Env` reads that can hold a bad value.
const ENV_VALUES: [&str; 4] =
    ["OCF_CHECK_LEVEL", "OCF_RESKEY_OCF_CHECK_LEVEL", "OCF_RESKEY_CRM_meta_interval", "OCF_RESKEY_CRM_meta_timeout"];

/// Whether `spec` answers `action`: the optional ones (reload-agent, promote, demote, notify) only
/// when its meta-data advertises them, an unknown one never.
pub fn supports(spec: &AgentSpec, action: &Action) -> bool {
    match action {
        Action::Other(_) => false,
        Action::ReloadAgent | Action::Promote | Action::Demote | Action::Notify => spec.advertises(action.as_str()),
        _ => true,
    }
}

/// The text of `usage` (and of a call without an action) for `ocf:<provider>:<spec.name>`.
pub fn usage(spec: &AgentSpec, provider: &str) -> String {
    let mut names: Vec<&str> = spec.actions.iter().map(|a| a.name).collect();
    names.dedup();
    format!(
        "usage: {} {{{}|usage}}\n       {} --version\n\nOCF resource agent ocf:{provider}:{}: {}.\nParameters come from OCF_RESKEY_<name>; `{} meta-data` lists them.\n",
        spec.name,
        names.join("|"),
        spec.name,
        spec.name,
        spec.shortdesc,
        spec.name
    )
}

/// Runs `action` of the agent `spec` with the process's environment: `params` reads and checks
/// the parameters (layer 1), `act` does the work. Logging must be initialised.
pub fn run<P>(
    spec: &AgentSpec,
    action: Action,
    params: impl FnOnce() -> Result<P, ParamError>,
    act: impl FnOnce(&Env, &P) -> OcfExit,
) -> OcfExit {
    // Last resort: a panic must still end as an OCF failure with a reason, never as exit 101.
    let name = spec.name;
    std::panic::set_hook(Box::new(move |info| {
        log::exit_reason(format!("{name}: internal error, please report: {info}"));
    }));
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| run_supported(spec, &action, params, act)))
        .unwrap_or(OcfExit::ErrGeneric);
    let failed = if action == Action::Monitor { result.is_failure_for_monitor() } else { result != OcfExit::Success };
    if failed && !log::exit_reason_given() {
        // Every failure carries a reason in crm_mon, even one an action forgot to give.
        log::exit_reason(format!("{} {} failed with {}", spec.name, action, result));
    }
    crate::trace::line(&format!(
        "{} {} {action} exits {} ({})",
        log::stamp(c"%T"),
        spec.name,
        result.code(),
        result.name()
    ));
    result
}

fn run_supported<P>(
    spec: &AgentSpec,
    action: &Action,
    params: impl FnOnce() -> Result<P, ParamError>,
    act: impl FnOnce(&Env, &P) -> OcfExit,
) -> OcfExit {
    if !supports(spec, action) {
        log::exit_reason(format!("action '{action}' is not supported by {}", spec.name));
        return OcfExit::Unimplemented;
    }
    let env = match read_env(action.clone()) {
        Ok(env) => env.with_notify_fields(utf8_vars()),
        Err(exit) => return exit,
    };
    crate::ocf_debug!(
        "{action} (check level {}, {}timeout {} ms)",
        env.check_level.depth(),
        if env.is_probe() { "probe, " } else { "" },
        env.timeout.as_millis()
    );
    match checked(&env, params()) {
        Ok(p) => act(&env, &p),
        Err(exit) => exit,
    }
}

/// The process's variables that are UTF-8 (`std::env::vars` panics on any other): Pacemaker passes
/// whatever environment it has, and a stop must not die of a variable it does not even read.
fn utf8_vars() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
}

/// The process's OCF environment; a bad value fails the action with 6 and its exit reason.
fn read_env(action: Action) -> Result<Env, OcfExit> {
    match Env::from_process(action.clone()) {
        Ok(env) => Ok(env),
        Err(e) if action == Action::Stop => {
            // A stop must not fail over configuration: ignore the bad value and use defaults.
            log::warn(format!("{e}; using defaults for it"));
            let get = |k: &str| if ENV_VALUES.contains(&k) { None } else { std::env::var(k).ok() };
            Env::from_lookup(action, get, Instant::now()).map_err(|e| {
                log::exit_reason(e);
                OcfExit::ErrGeneric
            })
        }
        Err(e) => {
            log::exit_reason(e);
            Err(OcfExit::ErrConfigured)
        }
    }
}

/// Applies the outcome of layer-1 validation: the parameters to act with, or how the invocation
/// ends here.
fn checked<P>(env: &Env, parsed: Result<P, ParamError>) -> Result<P, OcfExit> {
    let params = match parsed {
        Ok(p) => p,
        Err(e) if env.action == Action::Stop => {
            // Nothing can have been started with parameters that are invalid everywhere, and a
            // failed stop leads to fencing: report the problem and succeed.
            log::err(format!("invalid parameters ({e}); nothing to stop"));
            return Err(OcfExit::Success);
        }
        Err(e) => {
            log::exit_reason(e);
            return Err(OcfExit::ErrConfigured);
        }
    };
    // validate-all at level 0 is what pcs --agent-validation runs, possibly on a machine that
    // cannot run the service: parameter checks only. Deeper levels let the agent check the node.
    if env.action == Action::ValidateAll && env.check_level == CheckLevel::Basic {
        return Err(OcfExit::Success);
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ActionSpec;

    const fn action(name: &'static str) -> ActionSpec {
        ActionSpec { name, timeout_s: 20, interval_s: None, depth: None, role: None }
    }

    const SPEC: AgentSpec = AgentSpec {
        name: "demo",
        version: "1",
        shortdesc: "A demo",
        longdesc: "",
        params: &[],
        actions: &[action("start"), action("stop"), action("monitor"), action("monitor"), action("promote")],
    };

    #[test]
    fn a_panic_in_the_action_is_a_generic_failure_with_a_reason() {
        let r = run(&SPEC, Action::Start, || Ok(()), |_, _: &()| panic!("boom"));
        let _ = std::panic::take_hook();
        assert_eq!(r, OcfExit::ErrGeneric);
        assert!(log::exit_reason_given());
    }

    #[test]
    fn optional_actions_only_when_advertised() {
        assert!(supports(&SPEC, &Action::Start));
        assert!(supports(&SPEC, &Action::Promote));
        assert!(!supports(&SPEC, &Action::Demote));
        assert!(!supports(&SPEC, &Action::ReloadAgent));
        assert!(!supports(&SPEC, &Action::Other("migrate_to".into())));
    }

    #[test]
    fn usage_lists_each_action_once() {
        let u = usage(&SPEC, "acme");
        assert!(u.starts_with("usage: demo {start|stop|monitor|promote|usage}\n       demo --version\n"), "{u}");
        assert!(u.contains("OCF resource agent ocf:acme:demo: A demo."), "{u}");
    }

    fn env(action: Action, level: &str) -> Env {
        Env::from_lookup(action, |k| (k == "OCF_CHECK_LEVEL").then(|| level.to_string()), Instant::now()).unwrap()
    }

    #[test]
    fn stop_succeeds_and_validate_all_at_level_0_ends_after_the_parameters() {
        let bad = || Err::<(), _>(ParamError::Missing { name: "name" });
        assert_eq!(checked(&env(Action::Stop, "0"), bad()), Err(OcfExit::Success));
        assert_eq!(checked(&env(Action::Start, "0"), bad()), Err(OcfExit::ErrConfigured));
        assert_eq!(checked(&env(Action::ValidateAll, "0"), Ok(())), Err(OcfExit::Success));
        assert_eq!(checked(&env(Action::ValidateAll, "10"), Ok(())), Ok(()));
        assert_eq!(checked(&env(Action::Start, "0"), Ok(())), Ok(()));
    }
}
