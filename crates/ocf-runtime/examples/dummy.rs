//! A complete OCF agent on ocf-runtime, in the manner of resource-agents' ocf:heartbeat:Dummy: its
//! "service" is a state file. `cargo run -p ocf-runtime --example dummy -- meta-data` prints its
//! meta-data; with OCF_RESKEY_state=/tmp/x, `start`, `monitor` and `stop` act on that file.

use std::path::PathBuf;
use std::process::ExitCode;

use ocf_runtime::params::{ActionSpec, AgentSpec, ParamError, ParamSpec, ParamType};
use ocf_runtime::{invocation, log, metadata, Action, Env, OcfExit};

const fn action(name: &'static str, interval_s: Option<u32>) -> ActionSpec {
    ActionSpec { name, timeout_s: 20, interval_s, depth: None, role: None }
}

const SPEC: AgentSpec = AgentSpec {
    name: "dummy",
    version: "1.0",
    shortdesc: "Example agent",
    longdesc: "Keeps a state file while started: an example of an agent written on ocf-runtime.",
    params: &[ParamSpec {
        name: "state",
        ty: ParamType::AbsolutePath,
        default: None,
        required: true,
        unique_group: Some("state"),
        reloadable: false,
        shortdesc: "State file",
        longdesc: "The file that exists while the resource is started.",
    }],
    actions: &[
        action("start", None),
        action("stop", None),
        action("monitor", Some(10)),
        action("validate-all", None),
        action("meta-data", None),
    ],
};

/// The checked parameters.
struct Params {
    state: PathBuf,
}

fn params() -> Result<Params, ParamError> {
    let values = SPEC.parse(|k| std::env::var(k).ok())?;
    Ok(Params { state: values.path("state").cloned().ok_or(ParamError::Missing { name: "state" })? })
}

fn act(env: &Env, Params { state }: &Params) -> OcfExit {
    let done = match env.action {
        Action::Start => std::fs::write(state, b""),
        Action::Stop => {
            std::fs::remove_file(state)
                .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })
        }
        Action::Monitor => return if state.exists() { OcfExit::Success } else { OcfExit::NotRunning },
        _ => Ok(()),
    };
    done.map(|()| OcfExit::Success).unwrap_or_else(|e| {
        log::exit_reason(format!("{}: {e}", state.display()));
        OcfExit::ErrGeneric
    })
}

fn main() -> ExitCode {
    let action = Action::parse(&std::env::args().nth(1).unwrap_or_default());
    match action {
        Action::MetaData => print!("{}", metadata::render(&SPEC)),
        Action::Usage => print!("{}", invocation::usage(&SPEC, "example")),
        _ => {
            let instance = std::env::var("OCF_RESOURCE_INSTANCE").unwrap_or_default();
            log::init_from_env(SPEC.name, &instance);
            log::start_trace_from_env(SPEC.name, &instance, action.as_str());
            return invocation::run(&SPEC, action, params, act).into();
        }
    }
    OcfExit::Success.into()
}
