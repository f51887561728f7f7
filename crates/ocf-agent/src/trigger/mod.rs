//! ocf:mqha:ibmmq-trigger: runs the actions on one trigger monitor of a queue manager.

use crate::ocf::{log, Action, Env, OcfExit};
use crate::spec::trigger::TriggerParams;

pub fn run(action: &Action, _env: &Env, params: &TriggerParams) -> OcfExit {
    log::exit_reason(format!("ibmmq-trigger {action} for {} on {} is not implemented yet", params.qmgr, params.initq));
    OcfExit::Unimplemented
}
