//! ocf:mqha:ibmmq-trigger: the parameter table of the trigger-monitor agent and its typed parameters.

use std::path::PathBuf;

use mq_core::QmName;

use super::ibmmq::{MQ_INSTALLATION, MQ_USER};
use crate::ocf::params::{ActionSpec, AgentSpec, ParamError, ParamSpec, Values};

/// The initiation queue runmqtrm reads when none is named.
pub const DEFAULT_INITQ: &str = "SYSTEM.DEFAULT.INITIATION.QUEUE";

/// The checked parameters of one ocf:mqha:ibmmq-trigger resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerParams {
    pub qmgr: QmName,
    pub initq: String,
    pub mq_user: Option<String>,
    pub mq_installation: Option<PathBuf>,
}

impl TriggerParams {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<TriggerParams, ParamError> {
        TriggerParams::from_values(&SPEC.parse(get)?)
    }

    pub fn from_env() -> Result<TriggerParams, ParamError> {
        TriggerParams::from_lookup(|k| std::env::var(k).ok())
    }

    fn from_values(v: &Values) -> Result<TriggerParams, ParamError> {
        Ok(TriggerParams {
            qmgr: super::qmgr(v)?,
            initq: v.str("initq").unwrap_or(DEFAULT_INITQ).to_string(),
            mq_user: v.str("mq_user").map(str::to_string),
            mq_installation: v.path("mq_installation").cloned(),
        })
    }
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "qmgr",
        ty: super::QM_NAME,
        default: None,
        required: true,
        unique_group: None,
        reloadable: false,
        shortdesc: "Queue manager name",
        longdesc: "Name of the queue manager whose initiation queue the trigger monitor reads. Place this \
resource after the ocf:mqha:ibmmq resource of that queue manager (same group, or order and colocation \
constraints).",
    },
    ParamSpec {
        name: "initq",
        ty: super::OBJECT_NAME,
        default: Some(DEFAULT_INITQ),
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Initiation queue",
        longdesc: "The initiation queue the trigger monitor (runmqtrm -q) reads trigger messages from. The \
applications it starts run on this node as the mq user.",
    },
    MQ_USER,
    MQ_INSTALLATION,
    super::TRACE_RA,
    super::TRACE_FILE,
];

const ACTIONS: &[ActionSpec] = &[
    ActionSpec { name: "start", timeout_s: 60, interval_s: None, depth: None, role: None },
    ActionSpec { name: "stop", timeout_s: 60, interval_s: None, depth: None, role: None },
    ActionSpec { name: "monitor", timeout_s: 30, interval_s: Some(20), depth: Some(0), role: None },
    ActionSpec { name: "monitor", timeout_s: 40, interval_s: Some(60), depth: Some(10), role: None },
    ActionSpec { name: "validate-all", timeout_s: 30, interval_s: None, depth: None, role: None },
    ActionSpec { name: "reload-agent", timeout_s: 30, interval_s: None, depth: None, role: None },
    ActionSpec { name: "meta-data", timeout_s: 5, interval_s: None, depth: None, role: None },
];

pub const SPEC: AgentSpec = AgentSpec {
    name: "ibmmq-trigger",
    version: super::VERSION,
    shortdesc: "IBM MQ trigger monitor of a queue manager",
    longdesc: "Manages one IBM MQ trigger monitor (runmqtrm) on an initiation queue of a queue manager, run \
as the mq user and detached from the agent. Monitor depth 0 checks that the trigger monitor process of this \
queue manager and initiation queue is alive; depth 10 also checks that the initiation queue has it as an \
opener. Put it in a group after the queue manager, so that Pacemaker restarts a failed trigger monitor on \
its own without moving the queue manager.",
    params: PARAMS,
    actions: ACTIONS,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn params(vars: &[(&str, &str)]) -> Result<TriggerParams, ParamError> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())).collect();
        TriggerParams::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_checks() {
        let p = params(&[("qmgr", "QM1")]).unwrap();
        assert_eq!(p.initq, DEFAULT_INITQ);
        assert_eq!(params(&[("qmgr", "QM1"), ("initq", "APP.INITQ")]).unwrap().initq, "APP.INITQ");
        assert!(params(&[("qmgr", "QM1"), ("initq", "BAD Q")]).unwrap_err().to_string().contains("'BAD Q'"));
    }
}
