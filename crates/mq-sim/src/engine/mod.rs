//! The queue manager's brain, hosted by the execution controller (amqzxma0) of SIM-A's runtime:
//! object definitions (QLOCAL, QMODEL, LISTENER, CHANNEL SVRCONN, QMGR, AUTHINFO, CHLAUTH),
//! queues and messages with their persistence, MQSC parse/execute/format, MQI verb semantics
//! and channel authentication. It is not the process family, the control commands or the TCP
//! listener (SIM-A), and not the C ABI (mq-sim-mqi): it speaks only `crate::wire` frames.

use crate::paths::{Installation, QmPaths};
use std::path::PathBuf;
use std::sync::Arc;

/// Queue-manager state as the engine sees it; the runtime moves it on endmqm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    /// endmqm -c / -w: new connections get 2161; *_FAIL_IF_QUIESCING calls get 2161.
    Quiescing,
    /// endmqm -i / -p: every call gets 2162, then connections are broken.
    Stopping,
}

/// State of a component the runtime owns (command server, channel initiator, listener).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentState {
    Stopped,
    Starting,
    Running,
    Stopping,
}

/// A listener object, as the runtime needs it to run runmqlsr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerSpec {
    pub name: String,
    pub port: u16,
    /// Empty = all addresses.
    pub ipaddr: String,
    pub backlog: u32,
    /// QMGR | MANUAL | STARTONLY
    pub control: String,
}

/// A running listener as the runtime sees it in /proc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerStatus {
    /// Listener object name; empty for a runmqlsr started by hand without an object.
    pub name: String,
    pub pid: u32,
    pub port: u16,
    pub ipaddr: String,
    pub backlog: u32,
    /// "YYYY-MM-DD", "HH.MM.SS"
    pub start_date: String,
    pub start_time: String,
}

/// What the engine asks of the runtime that hosts it (SIM-A implements it).
pub trait QmRuntime: Send + Sync {
    /// START LISTENER: spawn runmqlsr for this listener object; returns its pid.
    fn start_listener(&self, l: &ListenerSpec) -> Result<u32, String>;
    /// STOP LISTENER
    fn stop_listener(&self, name: &str) -> Result<(), String>;
    /// DISPLAY LSSTATUS: running listeners (from /proc, so a killed listener disappears).
    fn listeners(&self) -> Vec<ListenerStatus>;
    /// DISPLAY QMSTATUS CMDSERV / CHINIT
    fn cmdserver(&self) -> ComponentState;
    fn chinit(&self) -> ComponentState;
    /// STANDBY(PERMIT|NOPERMIT)
    fn standby_permitted(&self) -> bool;
    /// Start date and time ("YYYY-MM-DD", "HH.MM.SS") for STARTDA/STARTTI.
    fn started(&self) -> (String, String);
}

/// A runtime with nothing running: for in-process tests and for commands that open the
/// engine files without a running queue manager (dmpmqmsg never does; crtmqm does not need one).
pub struct DetachedRuntime;

impl QmRuntime for DetachedRuntime {
    fn start_listener(&self, _l: &ListenerSpec) -> Result<u32, String> {
        Err("no runtime".into())
    }
    fn stop_listener(&self, _name: &str) -> Result<(), String> {
        Err("no runtime".into())
    }
    fn listeners(&self) -> Vec<ListenerStatus> {
        Vec::new()
    }
    fn cmdserver(&self) -> ComponentState {
        ComponentState::Stopped
    }
    fn chinit(&self) -> ComponentState {
        ComponentState::Stopped
    }
    fn standby_permitted(&self) -> bool {
        false
    }
    fn started(&self) -> (String, String) {
        (String::new(), String::new())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, #[source] source: std::io::Error },
    #[error("corrupt queue-manager file {path}: {detail}")]
    Corrupt { path: PathBuf, detail: String },
}

/// What crtmqm reports after writing the initial objects.
#[derive(Debug, Clone)]
pub struct CreateReport {
    /// Number of default objects created (crtmqm prints "Default objects statistics : N created. ...").
    pub objects_created: usize,
}

/// crtmqm options that shape the initial objects.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// -u DeadLetterQueue
    pub dead_letter_q: Option<String>,
    /// -d DefaultTransmissionQueue
    pub default_xmit_q: Option<String>,
    /// -h MaxHandles
    pub max_handles: Option<i32>,
    /// -c Description
    pub description: Option<String>,
}

/// Writes a new queue manager's object file with IBM's default objects (crtmqm). The caller
/// chowns the data and log directories to the mq user afterwards.
pub fn create_qm_files(inst: &Installation, qm: &QmPaths, opts: &CreateOptions) -> Result<CreateReport, EngineError> {
    let _ = (inst, qm, opts);
    todo!("SIM-B: default objects")
}

/// One queue manager's engine.
pub struct Engine {
    inst: Installation,
    qm: QmPaths,
}

impl Engine {
    /// Loads objects and persistent messages. Temporary dynamic queues and non-persistent
    /// messages of a previous run are gone, as after a real restart.
    pub fn open(inst: &Installation, qm: &QmPaths, runtime: Arc<dyn QmRuntime>) -> Result<Arc<Engine>, EngineError> {
        let _ = (runtime, Engine { inst: inst.clone(), qm: qm.clone() });
        todo!("SIM-B")
    }

    /// Binds the engine's abstract socket and serves each connection on its own thread.
    pub fn listen(self: &Arc<Self>) -> std::io::Result<std::thread::JoinHandle<()>> {
        todo!("SIM-B")
    }

    /// Serves one connection (bindings, or a runmqlsr proxy starting with its MQSIM-PEER line)
    /// until the peer closes it or the queue manager stops.
    pub fn serve(self: &Arc<Self>, stream: std::os::unix::net::UnixStream) {
        let _ = stream;
        todo!("SIM-B")
    }

    /// CONTROL(QMGR) listeners, read by the controller at start.
    pub fn autostart_listeners(&self) -> Vec<ListenerSpec> {
        todo!("SIM-B")
    }

    /// (SCMDSERV(QMGR), SCHINIT(QMGR)) — whether the controller starts amqpcsea / runmqchi.
    pub fn qmgr_autostart(&self) -> (bool, bool) {
        todo!("SIM-B")
    }

    /// Moves the run state (endmqm). Stopping breaks every connection after failing calls in flight.
    pub fn set_state(&self, state: RunState) {
        let _ = state;
        todo!("SIM-B")
    }

    /// Number of connections still open (endmqm -c waits for it to reach zero).
    pub fn connection_count(&self) -> usize {
        todo!("SIM-B")
    }

    /// Flushes persistent state; called once before the controller exits.
    pub fn shutdown(&self) {
        todo!("SIM-B")
    }
}
