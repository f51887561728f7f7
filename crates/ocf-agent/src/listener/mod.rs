//! ocf:mqha:ibmmq-listener: runs the actions on one TCP listener of a queue manager.

use crate::ocf::{log, Action, Env, OcfExit};
use crate::spec::listener::ListenerParams;

pub fn run(action: &Action, _env: &Env, params: &ListenerParams) -> OcfExit {
    log::exit_reason(format!("ibmmq-listener {action} for {} port {} is not implemented yet", params.qmgr, params.port));
    OcfExit::Unimplemented
}
