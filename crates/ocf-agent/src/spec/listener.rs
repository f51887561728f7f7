//! ocf:mqha:ibmmq-listener: the parameter table of the listener agent and its typed parameters.

use std::net::IpAddr;
use std::path::PathBuf;

use mq_core::QmName;

use super::ibmmq::{MQ_INSTALLATION, MQ_USER};
use crate::ocf::params::{ActionSpec, AgentSpec, ParamError, ParamSpec, ParamType, Values};

/// The checked parameters of one ocf:mqha:ibmmq-listener resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerParams {
    pub qmgr: QmName,
    pub port: u16,
    /// None: all addresses of the node.
    pub ipaddr: Option<IpAddr>,
    pub backlog: Option<u32>,
    /// A defined LISTENER object to drive with START/STOP LISTENER instead of runmqlsr.
    pub listener: Option<String>,
    pub mq_user: Option<String>,
    pub mq_installation: Option<PathBuf>,
}

impl ListenerParams {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<ListenerParams, ParamError> {
        ListenerParams::from_values(&SPEC.parse(get)?)
    }

    pub fn from_env() -> Result<ListenerParams, ParamError> {
        ListenerParams::from_lookup(|k| std::env::var(k).ok())
    }

    fn from_values(v: &Values) -> Result<ListenerParams, ParamError> {
        let qmgr = super::qmgr(v)?;
        let port = v.int("port").ok_or(ParamError::Missing { name: "port" })?;
        Ok(ListenerParams {
            qmgr,
            // The table bounds it to 1-65535.
            port: u16::try_from(port).map_err(|_| ParamError::Invalid {
                name: "port",
                value: port.to_string(),
                why: "is out of range 1-65535".into(),
            })?,
            ipaddr: v.ip("ipaddr"),
            backlog: v.int("backlog").and_then(|b| u32::try_from(b).ok()),
            listener: v.str("listener").map(str::to_string),
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
        longdesc: "Name of the queue manager the listener belongs to. Place this resource after the \
ocf:mqha:ibmmq resource of that queue manager (same group, or order and colocation constraints).",
    },
    ParamSpec {
        name: "port",
        ty: ParamType::Integer { min: 1, max: 65535 },
        default: None,
        required: true,
        unique_group: Some("endpoint"),
        reloadable: false,
        shortdesc: "TCP port the listener accepts connections on",
        longdesc: "TCP port of the listener (runmqlsr -p). Start refuses a port another process already \
holds and names that process. Together with ipaddr it must be unique among listener resources: two queue \
managers may share a port number only on different addresses.",
    },
    ParamSpec {
        name: "ipaddr",
        ty: ParamType::IpAddress,
        default: None,
        required: false,
        unique_group: Some("endpoint"),
        reloadable: false,
        shortdesc: "Address the listener binds to",
        longdesc: "IP address the listener binds to (runmqlsr -i), normally the virtual IP address of the \
queue manager managed by an ocf:heartbeat:IPaddr2 resource placed before this one. Start fails when the \
address is not configured on this node. Default: every address of the node.",
    },
    ParamSpec {
        name: "backlog",
        ty: ParamType::Integer { min: 1, max: 65535 },
        default: None,
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Connection backlog",
        longdesc: "Number of concurrent connection requests the listener queues (runmqlsr -b). Default: \
the queue manager's TCP stanza (ListenerBacklog) or MQ's built-in default.",
    },
    ParamSpec {
        name: "listener",
        ty: super::OBJECT_NAME,
        default: None,
        required: false,
        unique_group: None,
        reloadable: false,
        shortdesc: "Listener object to drive",
        longdesc: "Name of a LISTENER object defined in the queue manager. When set, the agent starts and \
stops it with START LISTENER / STOP LISTENER through runmqsc instead of running runmqlsr itself, and first \
makes the object's PORT and IPADDR equal to port and ipaddr and its CONTROL MANUAL (ALTER LISTENER), so the \
queue manager never starts a second copy of it on a node that does not own the address.",
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
    name: "ibmmq-listener",
    version: super::VERSION,
    shortdesc: "IBM MQ TCP listener of a queue manager",
    longdesc: "Manages one TCP listener of an IBM MQ queue manager: a runmqlsr process for a port (and \
optionally an address) run as the mq user, or a defined LISTENER object started through runmqsc. Monitor \
depth 0 checks that this queue manager's listener process for the port is alive and that the port accepts \
a TCP connection; depth 10 connects through it as an MQ client. Stop ends only this listener (not every \
listener of the queue manager, as endmqlsr would) and waits until the port is closed. Put it in a group \
after the queue manager and its virtual IP address, so that Pacemaker restarts a failed listener on its \
own without moving the queue manager.",
    params: PARAMS,
    actions: ACTIONS,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn params(vars: &[(&str, &str)]) -> Result<ListenerParams, ParamError> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())).collect();
        ListenerParams::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn typed_values() {
        let p = params(&[
            ("qmgr", "QM1"),
            ("port", "1414"),
            ("ipaddr", "127.0.0.1"),
            ("backlog", "100"),
            ("listener", "LSR.A"),
        ])
        .unwrap();
        assert_eq!(p.port, 1414);
        assert_eq!(p.ipaddr, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(p.backlog, Some(100));
        assert_eq!(p.listener.as_deref(), Some("LSR.A"));
    }

    #[test]
    fn port_is_required_and_checked() {
        assert_eq!(params(&[("qmgr", "QM1")]).unwrap_err().to_string(), "parameter 'port' is required");
        assert_eq!(
            params(&[("qmgr", "QM1"), ("port", "0")]).unwrap_err().to_string(),
            "port='0' is out of range 1-65535"
        );
        assert_eq!(
            params(&[("qmgr", "QM1"), ("port", "70000")]).unwrap_err().to_string(),
            "port='70000' is out of range 1-65535"
        );
        assert_eq!(
            params(&[("qmgr", "QM1"), ("port", "x14")]).unwrap_err().to_string(),
            "port='x14' is not a whole number"
        );
    }
}
