//! A TCP listener of a queue manager as a component: a runmqlsr the agent starts itself (detached,
//! as the mq user) or a defined LISTENER object driven through runmqsc. `observe` reads /proc and
//! the network stack, `decide` says what that means, `start` (start.rs) and `stop` (stop.rs) work
//! within one deadline, as the queue manager's do in qmgr/.
//! Only this queue manager's runmqlsr for this port is ever signalled: endmqlsr would end every
//! listener of the queue manager, so it is not used.

pub mod net;
mod start;
mod stop;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::error::{Fault, MqError};
use crate::mqi::{self, classify, MqiError, MqiTarget, ProbeIdentity, ProbeStep, ReasonClass};
use crate::name::QmName;
use crate::placement::Placement;
use crate::procs::{self, Ours, Owner, Proc};
use crate::runmqsc::quoted;

/// The listener program.
pub const RUNMQLSR: &str = "runmqlsr";
/// runmqlsr's port when none is given (docs/reference/mq-commands.md#runmqlsr).
pub const DEFAULT_PORT: u16 = 1414;
/// The channel the client check connects through: every queue manager has it. A refusal (2035 by
/// the default CHLAUTH back-stop rule) still proves the listener handed the connection on.
pub const CHECK_CHANNEL: &str = "SYSTEM.DEF.SVRCONN";
/// How long a freshly started runmqlsr may take to show up in /proc before start gives up on it.
pub const APPEAR_WITHIN: Duration = Duration::from_secs(5);

/// Whether `p` is a runmqlsr of queue manager `qm` listening on `port` (runmqlsr without -p
/// listens on 1414). Matches listeners the queue manager started for a LISTENER object too.
pub fn is_listener_of(p: &Proc, qm: &str, port: u16) -> bool {
    if p.name != RUNMQLSR || !procs::names_queue_manager(&p.args, qm) {
        return false;
    }
    let p_port = procs::option_value(&p.args, "-p").map(|v| v.parse::<u16>().ok()).unwrap_or(Some(DEFAULT_PORT));
    p_port == Some(port)
}

/// runmqlsr's arguments for a TCP listener (docs/reference/mq-commands.md#runmqlsr).
pub fn runmqlsr_args(qm: &str, port: u16, ipaddr: Option<IpAddr>, backlog: Option<u32>) -> Vec<String> {
    let mut a = vec!["-m".to_string(), qm.to_string(), "-t".into(), "TCP".into(), "-p".into(), port.to_string()];
    if let Some(ip) = ipaddr {
        a.push("-i".into());
        a.push(ip.to_string());
    }
    if let Some(b) = backlog {
        a.push("-b".into());
        a.push(b.to_string());
    }
    a
}

/// The MQSC that makes a LISTENER object match the resource: its port and address, and
/// CONTROL(MANUAL) so the queue manager never starts it by itself on a node without the address.
pub fn alter_mqsc(object: &str, port: u16, ipaddr: Option<IpAddr>, backlog: Option<u32>) -> String {
    let ip = ipaddr.map(|i| i.to_string()).unwrap_or_else(|| " ".to_string());
    let mut alter =
        format!("ALTER LISTENER({}) TRPTYPE(TCP) PORT({port}) IPADDR('{ip}') CONTROL(MANUAL)", quoted(object));
    if let Some(b) = backlog {
        alter.push_str(&format!(" BACKLOG({b})"));
    }
    alter.push('\n');
    alter
}

/// `alter_mqsc`, then START LISTENER.
pub fn alter_and_start_mqsc(object: &str, port: u16, ipaddr: Option<IpAddr>, backlog: Option<u32>) -> String {
    format!("{}START LISTENER({})\n", alter_mqsc(object, port, ipaddr, backlog), quoted(object))
}

pub fn stop_mqsc(object: &str) -> String {
    format!("STOP LISTENER({})\n", quoted(object))
}

/// One listener: the queue manager it serves, the installation whose programs are ours, the
/// endpoint, and the LISTENER object when one drives it.
#[derive(Debug, Clone)]
pub struct Listener {
    pub qm: QmName,
    /// A runmqlsr or queue manager of another installation is never taken for ours.
    pub inst: PathBuf,
    pub port: u16,
    pub ipaddr: Option<IpAddr>,
    pub backlog: Option<u32>,
    pub object: Option<String>,
}

/// What /proc and the network stack say about the listener now: data, no decision. What a
/// decision cannot need is not looked at (no holder scan while ours holds the port).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Our runmqlsr processes.
    pub procs: Vec<Proc>,
    /// The inodes of the listening sockets on the endpoint that they hold.
    pub held: Vec<u64>,
    /// Who holds the endpoint, looked at when ours hold nothing.
    pub holders: Vec<String>,
    /// Whether the endpoint accepted a connection, tried when ours hold a socket.
    pub accepts: Option<bool>,
    /// Whether the queue manager (of this installation) runs here, looked at when no runmqlsr does.
    pub qm_runs: Option<bool>,
}

/// What an observation means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Serving,
    /// No runmqlsr of ours; `qm_gone`: the queue manager is not running here either.
    Absent {
        qm_gone: bool,
    },
    /// runmqlsr runs but holds no listening socket on the endpoint (lost a bind race).
    NotHolding {
        pid: i32,
        holders: Vec<String>,
    },
    NotAccepting {
        pid: i32,
        addr: SocketAddr,
    },
}

/// The listener's health from an observation.
pub fn decide(o: &Observed, addr: SocketAddr) -> Health {
    let Some(first) = o.procs.first() else { return Health::Absent { qm_gone: o.qm_runs == Some(false) } };
    if o.held.is_empty() {
        return Health::NotHolding { pid: first.pid, holders: o.holders.clone() };
    }
    match o.accepts {
        Some(false) => Health::NotAccepting { pid: first.pid, addr },
        _ => Health::Serving,
    }
}

/// What a client connection through the listener proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientVerdict {
    Works,
    /// The queue manager answered with a refusal (e.g. 2035): the listener itself works.
    Refused(String),
    Fails(String),
}

/// Only reasons that say nothing reached the queue manager fail the listener (mq-core's
/// Unavailable class), and a wrong queue manager answering; 2537 is the queue manager's own
/// answer that the channel is stopped or at its limit, so it proves the listener.
pub fn client_verdict(result: Result<(), MqiError>) -> ClientVerdict {
    match result {
        Ok(()) => ClientVerdict::Works,
        Err(e) => match e.reason() {
            Some(2537) => ClientVerdict::Refused(e.to_string()),
            // A standby instance answered through this listener: it does not serve the active
            // queue manager, which is what a listener resource is for (mq-core's Standby class).
            Some(r) if classify(r) == ReasonClass::Standby => ClientVerdict::Fails(e.with_hint()),
            Some(r) if classify(r) == ReasonClass::Unavailable => ClientVerdict::Fails(e.with_hint()),
            Some(_) => ClientVerdict::Refused(e.to_string()),
            None => ClientVerdict::Fails(e.with_hint()),
        },
    }
}

/// Why a listener operation failed; `fault` says who must act.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    #[error("ipaddr='{0}' is not configured on this node")]
    AddressNotHere(IpAddr),
    #[error("cannot list this node's addresses: {0}")]
    Addresses(std::io::Error),
    #[error("queue manager {0} is not running on this node; order the listener after it")]
    QmNotRunning(QmName),
    #[error("runmqlsr of {qm} for port {port} runs but does not serve {addr}")]
    NotServing { qm: QmName, port: u16, addr: SocketAddr },
    #[error("port {port} is already held by {holder}")]
    PortHeld { port: u16, holder: String },
    #[error("runmqlsr for {qm} port {port} exited at once; see the queue manager's error log (AMQERR01.LOG)")]
    ExitedAtOnce { qm: QmName, port: u16 },
    #[error("{what} did not start within the start timeout: {state}")]
    StartTimeout { what: String, state: &'static str },
    #[error("runmqlsr survived SIGKILL: {0}")]
    Survived(String),
    /// /proc gave no answer in time: whether runmqlsr runs is unknown.
    #[error("{0} (looking for runmqlsr)")]
    Scan(String),

    #[error(transparent)]
    Identity(MqiError),
    #[error(transparent)]
    Mq(#[from] MqError),
}

impl ListenerError {
    /// Who must act; an address not on this node is the caller's own class (invalid here).
    pub fn fault(&self) -> Fault {
        match self {
            ListenerError::Identity(_) => Fault::Node,
            ListenerError::Mq(e) => e.fault(),
            _ => Fault::Generic,
        }
    }
}

/// What start found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    AlreadyRunning,
    Now,
}

/// What stop found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    NotRunning,
    Now,
}

/// Our runmqlsr processes, as the process-ending routine sees them.
pub(super) struct Runmqlsr<'a>(pub(super) &'a Listener);

impl Ours for Runmqlsr<'_> {
    fn list(&self, deadline: Instant) -> procs::Scan {
        self.0.scan(deadline)
    }
    fn holds(&self, p: &Proc) -> bool {
        is_listener_of(p, self.0.qm.as_str(), self.0.port)
            && procs::runs_as_ours(p, Some(&self.0.inst), Owner::Mq(None))
    }
}

impl Listener {
    /// What the resource is called in messages.
    pub fn describe(&self) -> String {
        match self.ipaddr {
            Some(ip) => format!("listener of {} on {}", self.qm, SocketAddr::new(ip, self.port)),
            None => format!("listener of {} on port {}", self.qm, self.port),
        }
    }

    /// Where to test the listener from this node.
    pub fn address(&self) -> SocketAddr {
        net::probe_address(self.ipaddr, self.port)
    }

    /// This queue manager's runmqlsr processes for this port, of this installation, run by a member of
    /// the mq group (a look-alike another user runs is not ours), read within `deadline`.
    pub fn processes(&self, deadline: Instant) -> Result<Vec<Proc>, ListenerError> {
        self.scan(deadline).map_err(ListenerError::Scan)
    }

    fn scan(&self, deadline: Instant) -> procs::Scan {
        let (qm, port) = (self.qm.as_str(), self.port);
        procs::named_within(RUNMQLSR, &self.inst, |p| is_listener_of(p, qm, port), Owner::Mq(None), deadline)
    }

    /// The inodes of the listening sockets on the endpoint that `procs` hold.
    pub(super) fn held_sockets(&self, procs: &[Proc]) -> Vec<u64> {
        procs
            .iter()
            .flat_map(|o| net::sockets_held_by(o.pid, self.port))
            .filter(|s| net::clashes(s.addr, self.ipaddr))
            .map(|s| s.inode)
            .collect()
    }

    fn holders(&self, deadline: Instant) -> Vec<String> {
        net::port_holders(self.port, self.ipaddr, deadline).iter().map(|h| h.describe()).collect()
    }

    /// Reads /proc (within `deadline`) and the network stack; a connection attempt waits at most
    /// `connect_within`. Err when /proc gave no answer: nothing can be said then.
    pub fn observe(&self, connect_within: Duration, deadline: Instant) -> Result<Observed, ListenerError> {
        let procs = self.processes(deadline)?;
        if procs.is_empty() {
            // Unknown (no answer in time) is not "gone": the listener is then just absent.
            let qm_runs = procs::queue_manager_runs(&self.qm, &self.inst, deadline).ok();
            return Ok(Observed { qm_runs, ..Observed::default() });
        }
        let held = self.held_sockets(&procs);
        if held.is_empty() {
            return Ok(Observed { procs, holders: self.holders(deadline), ..Observed::default() });
        }
        let accepts = Some(net::accepts(self.address(), connect_within));
        Ok(Observed { procs, held, accepts, ..Observed::default() })
    }

    /// The node can bind the listener: its address is configured here.
    pub fn node_checks(&self) -> Result<(), ListenerError> {
        let Some(ip) = self.ipaddr else { return Ok(()) };
        match net::address_is_local(ip) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ListenerError::AddressNotHere(ip)),
            Err(e) => Err(ListenerError::Addresses(e)),
        }
    }

    /// Runs `script` and fails on any error reply.
    pub(super) fn mqsc(&self, at: &Placement, script: &str, deadline: Deadline) -> Result<(), MqError> {
        at.queue_manager(&self.qm).mqsc_checked(script, deadline.instant()).map(|_| ())
    }
    /// An MQ client connection through the listener on CHECK_CHANNEL with an inquiry of the queue
    /// manager's name, in a child that dropped to the mq user.
    pub fn check_client(&self, at: &Placement, deadline: Deadline) -> Result<ClientVerdict, ListenerError> {
        // The mq user was looked up (within the deadline) when the placement was resolved.
        let identity = ProbeIdentity::from(&at.user);
        let target = MqiTarget::new(&at.installation.path, identity, self.qm.clone());
        let steps = [
            ProbeStep::ClientConnect { channel: CHECK_CHANNEL.into(), conname: net::conname(self.address()) },
            ProbeStep::InquireQmName,
        ];
        Ok(client_verdict(mqi::run_probe(&target, &steps, deadline.instant()).map(|_| ())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqi::ConnectionKind;

    use crate::procs::test_proc as proc_of;

    #[test]
    fn runmqlsr_matching() {
        let by_agent = proc_of(&["/opt/mqm/bin/runmqlsr", "-m", "QM1", "-t", "TCP", "-p", "1414", "-i", "192.0.2.10"]);
        assert!(is_listener_of(&by_agent, "QM1", 1414));
        assert!(!is_listener_of(&by_agent, "QM1", 1415));
        assert!(!is_listener_of(&by_agent, "QM10", 1414));
        // Started by the queue manager for a LISTENER object
        // (docs/reference/mq-processes-and-files.md#listener-process).
        let by_qm = proc_of(&[
            "/opt/mqm/bin/runmqlsr",
            "-r",
            "-m",
            "QM_ORANGE",
            "-t",
            "TCP",
            "-p",
            "1414",
            "-i",
            "192.168.93.107",
        ]);
        assert!(is_listener_of(&by_qm, "QM_ORANGE", 1414));
        let joined = proc_of(&["runmqlsr", "-mQM1", "-tTCP", "-p1416"]);
        assert!(is_listener_of(&joined, "QM1", 1416));
        let default_port = proc_of(&["runmqlsr", "-m", "QM1", "-t", "tcp"]);
        assert!(is_listener_of(&default_port, "QM1", 1414));
        let other_prog = proc_of(&["amqzxma0", "-m", "QM1", "-p", "1414"]);
        assert!(!is_listener_of(&other_prog, "QM1", 1414));
    }

    #[test]
    fn commands() {
        assert_eq!(runmqlsr_args("QM1", 1414, None, None), ["-m", "QM1", "-t", "TCP", "-p", "1414"]);
        assert_eq!(
            runmqlsr_args("QM1", 1414, Some("192.0.2.10".parse().unwrap()), Some(50)),
            ["-m", "QM1", "-t", "TCP", "-p", "1414", "-i", "192.0.2.10", "-b", "50"]
        );
        assert_eq!(
            alter_and_start_mqsc("LSR.A", 1415, Some("192.0.2.10".parse().unwrap()), None),
            "ALTER LISTENER('LSR.A') TRPTYPE(TCP) PORT(1415) IPADDR('192.0.2.10') CONTROL(MANUAL)\nSTART LISTENER('LSR.A')\n"
        );
        assert!(alter_and_start_mqsc("L", 1, None, Some(9))
            .starts_with("ALTER LISTENER('L') TRPTYPE(TCP) PORT(1) IPADDR(' ') CONTROL(MANUAL) BACKLOG(9)\n"));
        assert_eq!(stop_mqsc("L"), "STOP LISTENER('L')\n");
    }

    fn call(reason: i32) -> Result<(), MqiError> {
        Err(MqiError::Call {
            step: "client connect".into(),
            verb: "MQCONNX".into(),
            cc: 2,
            reason,
            kind: ConnectionKind::Client,
            object: None,
        })
    }

    #[test]
    fn which_client_answers_prove_the_listener() {
        assert_eq!(client_verdict(Ok(())), ClientVerdict::Works);
        assert!(matches!(client_verdict(call(2035)), ClientVerdict::Refused(_)));
        assert!(matches!(client_verdict(call(2540)), ClientVerdict::Refused(_)));
        assert!(matches!(client_verdict(call(2537)), ClientVerdict::Refused(_)));
        assert!(matches!(client_verdict(call(2538)), ClientVerdict::Fails(_)));
        assert!(matches!(client_verdict(call(2059)), ClientVerdict::Fails(_)));
        // A standby answering does not serve the active instance; a failed reconnect (Unavailable).
        assert!(matches!(client_verdict(call(2543)), ClientVerdict::Fails(_)));
        assert!(matches!(client_verdict(call(2548)), ClientVerdict::Fails(_)));
        let wrong = Err(MqiError::WrongQmName { expected: "QM1".into(), got: "QM2".into() });
        assert!(matches!(client_verdict(wrong), ClientVerdict::Fails(_)));
        let hung = Err(MqiError::Timeout { step: "client connect".into(), waited: Duration::from_secs(3) });
        assert!(matches!(client_verdict(hung), ClientVerdict::Fails(_)));
    }

    #[test]
    fn decide_row_by_row() {
        let addr: SocketAddr = "127.0.0.1:1414".parse().unwrap();
        let lsr = proc_of(&["runmqlsr", "-m", "QM1", "-t", "TCP", "-p", "1414"]);
        let o = |procs: Vec<Proc>, held: Vec<u64>, holders: Vec<&str>, accepts, qm_runs| Observed {
            procs,
            held,
            holders: holders.into_iter().map(String::from).collect(),
            accepts,
            qm_runs,
        };
        let rows: Vec<(Observed, Health)> = vec![
            (o(vec![], vec![], vec![], None, Some(true)), Health::Absent { qm_gone: false }),
            (o(vec![], vec![], vec![], None, Some(false)), Health::Absent { qm_gone: true }),
            (
                o(vec![lsr.clone()], vec![], vec!["pid 7 (nc -l)"], None, None),
                Health::NotHolding { pid: 10, holders: vec!["pid 7 (nc -l)".into()] },
            ),
            (o(vec![lsr.clone()], vec![5], vec![], Some(false), None), Health::NotAccepting { pid: 10, addr }),
            (o(vec![lsr], vec![5], vec![], Some(true), None), Health::Serving),
        ];
        for (i, (obs, want)) in rows.into_iter().enumerate() {
            assert_eq!(decide(&obs, addr), want, "row {i}");
        }
    }
}
