//! The three agents this binary serves, chosen by the name it was called by, and each one's
//! parameter table (the single source of its parsing, validation, meta-data and man page).

pub mod ibmmq;
pub mod listener;
pub mod trigger;

use mq_core::{syntax, QmName};

use crate::ocf::params::{AgentSpec, Custom, ParamError, ParamSpec, ParamType, Values};

/// The agents' version, shown in their meta-data and by `--version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// MQ's own value rules, plugged into the tables: the runtime knows none of them.
pub const QM_NAME: ParamType = mq_rule(syntax::check_qm_name, syntax::QM_NAME_RULE);
pub const OBJECT_NAME: ParamType = mq_rule(syntax::check_object_name, syntax::OBJECT_NAME_RULE);
pub const CHANNEL_NAME: ParamType = mq_rule(syntax::check_channel_name, syntax::CHANNEL_NAME_RULE);
pub const CONNAME: ParamType = mq_rule(syntax::check_conname, syntax::CONNAME_RULE);
/// The `limits` parameter of ocf:mqha:ibmmq (mq_core::limits).
pub const LIMITS: ParamType = mq_rule(mq_core::limits::check_settings, mq_core::limits::SETTINGS_RULE);
/// The `monitor_program` parameter of ocf:mqha:ibmmq (mq_core::qmgr::program).
pub const MONITOR_PROGRAM: ParamType =
    mq_rule(mq_core::qmgr::program::check_path_text, mq_core::qmgr::program::PATH_RULE);
/// Refused options are quoted as given (not escaped), as they always were.
pub const STRMQM_OPTIONS: ParamType = ParamType::Custom(Custom {
    check: syntax::check_strmqm_options,
    rule: syntax::STRMQM_OPTIONS_RULE,
    escape_value: false,
});

/// resource-agents' tracing switches, declared by every agent so that pcs accepts them without
/// --force (pcs adds them on its own only to the heartbeat and pacemaker providers) and so that
/// turning tracing on or off reloads the agent instead of restarting the resource
/// (docs/logging.md#tracing).
pub const TRACE_RA: ParamSpec = ParamSpec {
    name: "trace_ra",
    ty: ParamType::Boolean,
    default: None,
    required: false,
    unique_group: None,
    reloadable: true,
    shortdesc: "Trace every action (as resource-agents' trace_ra)",
    longdesc: "Set to 1 to record a trace of each action of this resource: the action and its environment, \
every command the agent runs (argv, the user it runs as, exit code, duration), every decision, and the exit \
code. The trace goes to trace_file when set, else to $HA_VARLIB/trace_ra/<agent>/<resource>.<action>.<date>, the \
place and names resource-agents uses (crm resource trace and pcs resource update ... trace_ra=1 set it). \
Changing it reloads the agent; the resource keeps running.",
};

pub const TRACE_FILE: ParamSpec = ParamSpec {
    name: "trace_file",
    ty: ParamType::AbsolutePath,
    default: None,
    required: false,
    unique_group: None,
    reloadable: true,
    shortdesc: "File that receives the traces of trace_ra",
    longdesc: "With trace_ra set, every action's trace is appended to this file instead of a file of its own \
under $HA_VARLIB/trace_ra.",
};

/// A rule whose refused values are shown escaped, as free text is.
const fn mq_rule(check: fn(&str) -> Result<(), String>, rule: &'static str) -> ParamType {
    ParamType::Custom(Custom { check, rule, escape_value: true })
}

/// The queue-manager name every agent requires, typed (the table has already checked its text).
fn qmgr(v: &Values) -> Result<QmName, ParamError> {
    let text = v.str("qmgr").ok_or(ParamError::Missing { name: "qmgr" })?;
    QmName::new(text).map_err(|e| ParamError::Invalid {
        name: "qmgr",
        value: text.escape_default().to_string(),
        why: e.to_string(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKind {
    /// ocf:mqha:ibmmq, a queue manager.
    Ibmmq,
    /// ocf:mqha:ibmmq-listener, one TCP listener.
    Listener,
    /// ocf:mqha:ibmmq-trigger, one trigger monitor.
    Trigger,
}

impl AgentKind {
    pub const ALL: [AgentKind; 3] = [AgentKind::Ibmmq, AgentKind::Listener, AgentKind::Trigger];

    /// The agent for the basename of argv[0] (the RPM links the other names to `ibmmq`).
    pub fn from_name(name: &str) -> Option<AgentKind> {
        AgentKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn spec(self) -> &'static AgentSpec {
        match self {
            AgentKind::Ibmmq => &ibmmq::SPEC,
            AgentKind::Listener => &listener::SPEC,
            AgentKind::Trigger => &trigger::SPEC,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dispatch() {
        assert_eq!(AgentKind::from_name("ibmmq"), Some(AgentKind::Ibmmq));
        assert_eq!(AgentKind::from_name("ibmmq-listener"), Some(AgentKind::Listener));
        assert_eq!(AgentKind::from_name("ibmmq-trigger"), Some(AgentKind::Trigger));
        assert_eq!(AgentKind::from_name("ibmmq-x"), None);
    }

    #[test]
    fn tables_are_well_formed() {
        for k in AgentKind::ALL {
            assert_eq!(k.spec().problems(), Vec::<String>::new());
        }
    }
}
