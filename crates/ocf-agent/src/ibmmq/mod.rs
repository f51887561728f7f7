//! ocf:mqha:ibmmq: the queue-manager agent's actions (owned by CORE; this seed only fixes the
//! entry point the framework calls, so the framework builds before the actions land).

use crate::ocf::{log, Action, Env, OcfExit};
use crate::spec::ibmmq::IbmmqParams;

/// Runs `action` for the queue manager in `params`. Layer-1 parameter checks are done; the
/// action's deadline is `env.deadline()`; probes are `env.is_probe()`.
pub fn run(action: &Action, _env: &Env, params: &IbmmqParams) -> OcfExit {
    log::exit_reason(format!("ibmmq {action} for {} is not implemented yet", params.qmgr));
    OcfExit::Unimplemented
}
