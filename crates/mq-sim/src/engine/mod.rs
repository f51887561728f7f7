//! The queue manager's brain, hosted by the execution controller (amqzxma0) of the runtime:
//! object definitions (QLOCAL, QMODEL, LISTENER, CHANNEL SVRCONN, QMGR, AUTHINFO, CHLAUTH),
//! queues and messages with their persistence, MQSC parse/execute/format, MQI verb semantics
//! and channel authentication. It is not the process family, the control commands or the TCP
//! listener (src/runtime, src/cmd), and not the C ABI (mq-sim-mqi): it speaks only `crate::wire` frames.

pub mod auth;
pub mod mqi;
pub mod mqsc;
pub mod objects;
pub mod repl;
pub mod store;

use crate::faults::{self, Fault};
use crate::paths::{Installation, QmPaths};
use crate::wire::{self, ConnectMode, MqiBody, Request, Response};
use objects::{ChlAuthRule, ObjType, ObjectDef};
use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

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

/// What the engine asks of the runtime that hosts it (src/runtime implements it).
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
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt queue-manager file {path}: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    /// Native HA: the write could not be made durable on a quorum.
    #[error("{0}")]
    Replication(#[from] repl::ReplError),
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
    /// -p Port of a Native HA queue manager: listener SYSTEM.LISTENER.TCP.1, CONTROL(QMGR), started
    /// with the queue manager, so only on the elected active (docs/reference/native-ha.md#crtmqm-lr).
    /// On other queue managers -p is accepted and not simulated, as before.
    pub listener_port: Option<u16>,
}

/// Writes a new queue manager's object catalogue with IBM's default objects (crtmqm). The
/// caller chowns the data and log directories to the mq user afterwards.
pub fn create_qm_files(inst: &Installation, qm: &QmPaths, opts: &CreateOptions) -> Result<CreateReport, EngineError> {
    let now = store::mqsc_now();
    let mut qmgr: BTreeMap<String, String> = objects::QMGR
        .iter()
        .filter(|a| a.kind != objects::Kind::Status)
        .map(|a| (a.name.to_string(), a.default.to_string()))
        .collect();
    if let Some(d) = &opts.dead_letter_q {
        qmgr.insert("DEADQ".into(), d.clone());
    }
    if let Some(d) = &opts.default_xmit_q {
        qmgr.insert("DEFXMITQ".into(), d.clone());
    }
    if let Some(h) = opts.max_handles {
        qmgr.insert("MAXHANDS".into(), h.to_string());
    }
    if let Some(d) = &opts.description {
        qmgr.insert("DESCR".into(), d.clone());
    }
    let mut objects = objects::default_objects(&now);
    if let Some(port) = opts.listener_port {
        // The listener's name is UNCONFIRMED (IBM names none on the create-nha page).
        let mut l = objects::ObjectDef::new(objects::ObjType::Listener, "SYSTEM.LISTENER.TCP.1", &now);
        l.attrs.insert("TRPTYPE".into(), "TCP".into());
        l.attrs.insert("PORT".into(), port.to_string());
        l.attrs.insert("CONTROL".into(), "QMGR".into());
        objects.push(l);
    }
    let chlauth = objects::default_chlauth(&now);
    let created = objects.len() + chlauth.len();
    let cat = store::Catalogue {
        qmgr,
        qm_crdate: now.0.clone(),
        qm_crtime: now.1.clone(),
        qm_altdate: now.0.clone(),
        qm_alttime: now.1.clone(),
        qmid: format!("{}_{}", qm.name, format_qmid_stamp()),
        objects,
        chlauth,
        authrecs: Vec::new(),
    };
    let _ = inst;
    store::save_catalogue(&qm.data_dir, &cat)?;
    std::fs::create_dir_all(qm.log_dir.join(store::MESSAGES_DIR))
        .map_err(|source| EngineError::Io { path: qm.log_dir.join(store::MESSAGES_DIR), source })?;
    Ok(CreateReport { objects_created: created })
}

/// MQ's QMID stamp: creation date and time, e.g. QM1_2019-04-25_10.17.14.
fn format_qmid_stamp() -> String {
    let (d, t) = store::mqsc_now();
    format!("{d}_{t}")
}

/// A message on a queue.
#[derive(Debug, Clone)]
pub(crate) struct Msg {
    pub md: wire::MsgDesc,
    pub data: Vec<u8>,
    pub seq: u64,
    /// MQMD Expiry (tenths of a second) turned into a deadline; None = MQEI_UNLIMITED.
    pub expires: Option<std::time::Instant>,
    /// Put under syncpoint by this connection and not yet committed: counted in CURDEPTH, seen
    /// by no MQGET (not even the putter's), never in the journal (docs/reference/mqi.md#units-of-work).
    pub uncommitted: Option<u64>,
}

impl Msg {
    pub fn new(md: wire::MsgDesc, data: Vec<u8>, seq: u64) -> Msg {
        // A reloaded message's lifetime restarts with the queue manager (an approximation: MQ
        // keeps the remaining time across a restart).
        let expires =
            (md.expiry > 0).then(|| std::time::Instant::now() + Duration::from_millis(md.expiry as u64 * 100));
        Msg { md, data, seq, expires, uncommitted: None }
    }

    pub fn persistent(&self) -> bool {
        self.md.persistence == 1
    }

    pub fn expired(&self, now: std::time::Instant) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

/// Run-time side of a local queue.
#[derive(Debug, Default)]
pub(crate) struct QueueRt {
    pub msgs: VecDeque<Msg>,
    /// Temporary dynamic queue: the connection that created it (deleted with it).
    pub temp_owner: Option<u64>,
    pub last_put: (String, String),
    pub last_get: (String, String),
    /// Records appended to the queue's journal since its last snapshot.
    pub journal_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Queue(String),
    Qmgr,
}

#[derive(Debug, Clone)]
pub(crate) struct Handle {
    pub target: Target,
    pub options: i32,
    /// This handle's MQOPEN created the (temporary or permanent) dynamic queue.
    pub created_dynamic: bool,
    pub browse_after: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Conn {
    pub pid: u32,
    pub user: String,
    pub appl_tag: String,
    /// Client connections: channel and peer address.
    pub channel: Option<String>,
    pub conname: String,
    pub handles: BTreeMap<i32, Handle>,
    pub started: (String, String),
    /// The connection's socket, polled while a call waits so a dead process is noticed at once.
    pub fd: i32,
    /// Its unit of work: what MQCMIT makes final and MQBACK undoes.
    pub uow: Uow,
}

/// A connection's open unit of work (docs/reference/mqi.md#units-of-work).
#[derive(Debug, Clone, Default)]
pub(crate) struct Uow {
    /// Messages it put under syncpoint: (queue, seq), still on the queue, marked uncommitted.
    pub puts: Vec<(String, u64)>,
    /// Messages it got under syncpoint: off the queue (CURDEPTH no longer counts them), kept
    /// here to be reinstated by a backout.
    pub gets: Vec<(String, Msg)>,
}

impl Uow {
    /// Uncommitted messages, as MAXUMSGS counts them.
    pub fn len(&self) -> usize {
        self.puts.len() + self.gets.len()
    }
}

/// Everything behind the engine's lock.
pub(crate) struct State {
    pub run: RunState,
    pub qmgr: BTreeMap<String, String>,
    pub qm_dates: [String; 4],
    pub qmid: String,
    pub objects: BTreeMap<(Ns, String), ObjectDef>,
    pub chlauth: Vec<ChlAuthRule>,
    pub authrecs: Vec<objects::AuthRec>,
    pub queues: BTreeMap<String, QueueRt>,
    pub conns: BTreeMap<u64, Conn>,
    pub next_conn: u64,
    pub next_hobj: i32,
    pub seq: u64,
    /// CONNAUTH settings in force: read at start and by REFRESH SECURITY (as MQ caches them).
    pub effective_chckclnt: String,
    /// ADOPTCTX of that AUTHINFO, cached with it.
    pub effective_adoptctx: bool,
}

/// Object namespaces: queues of every type share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Ns {
    Queue,
    Listener,
    Channel,
    AuthInfo,
}

pub(crate) fn ns_of(t: ObjType) -> Ns {
    match t {
        ObjType::QLocal | ObjType::QModel => Ns::Queue,
        ObjType::Listener => Ns::Listener,
        ObjType::Channel => Ns::Channel,
        ObjType::AuthInfo => Ns::AuthInfo,
    }
}

impl State {
    pub fn queue_def(&self, name: &str) -> Option<&ObjectDef> {
        self.objects.get(&(Ns::Queue, name.to_string()))
    }

    /// CHCKCLNT of the AUTHINFO named by QMGR CONNAUTH (blank CONNAUTH = no checking).
    /// Reads the CONNAUTH settings into force: at start and at REFRESH SECURITY, as MQ caches them.
    pub fn refresh_connauth(&mut self) {
        self.effective_chckclnt = self.configured_chckclnt();
        let name = self.qmgr.get("CONNAUTH").cloned().unwrap_or_default();
        self.effective_adoptctx =
            self.objects.get(&(Ns::AuthInfo, name)).map(|d| d.get("ADOPTCTX") != "NO").unwrap_or(true);
    }

    pub fn configured_chckclnt(&self) -> String {
        let name = self.qmgr.get("CONNAUTH").cloned().unwrap_or_default();
        if name.is_empty() {
            return "NONE".into();
        }
        self.objects.get(&(Ns::AuthInfo, name)).map(|d| d.get("CHCKCLNT").to_string()).unwrap_or_else(|| "NONE".into())
    }

    /// Open handles on a queue: (input count, output count).
    pub fn open_counts(&self, queue: &str) -> (usize, usize) {
        let mut i = 0;
        let mut o = 0;
        for c in self.conns.values() {
            for h in c.handles.values() {
                if h.target == Target::Queue(queue.to_string()) {
                    if h.options & mqi::MQOO_INPUT_ANY != 0 {
                        i += 1;
                    }
                    if h.options & mqi::MQOO_OUTPUT != 0 {
                        o += 1;
                    }
                }
            }
        }
        (i, o)
    }

    /// The persistable catalogue (temporary dynamic queues excluded).
    pub fn catalogue(&self) -> store::Catalogue {
        store::Catalogue {
            qmgr: self.qmgr.clone(),
            qm_crdate: self.qm_dates[0].clone(),
            qm_crtime: self.qm_dates[1].clone(),
            qm_altdate: self.qm_dates[2].clone(),
            qm_alttime: self.qm_dates[3].clone(),
            qmid: self.qmid.clone(),
            objects: self
                .objects
                .values()
                .filter(|d| {
                    !(d.otype == ObjType::QLocal && self.queues.get(&d.name).is_some_and(|q| q.temp_owner.is_some()))
                })
                .cloned()
                .collect(),
            chlauth: self.chlauth.clone(),
            authrecs: self.authrecs.clone(),
        }
    }
}

/// One queue manager's engine.
pub struct Engine {
    pub(crate) inst: Installation,
    pub(crate) qm: QmPaths,
    pub(crate) runtime: Arc<dyn QmRuntime>,
    /// Native HA: every durable write goes through it before the engine's own files; None for
    /// every other queue manager (docs/reference/native-ha.md#in-sync).
    pub(crate) replicator: Option<Arc<dyn repl::Replicator>>,
    /// Set when the replicator refused a write: this engine has lost the right to write (no
    /// quorum, no longer the active instance) and serves nothing more. Locked after `state`.
    pub(crate) fenced: Mutex<Option<String>>,
    pub(crate) state: Mutex<State>,
    /// Signalled on every put, delete and state change: MQGET waiters re-check.
    pub(crate) changed: Condvar,
}

/// Per-connection session facts the serve loop learns before the first MQI call.
pub(crate) struct Session {
    pub conn: Option<u64>,
    /// The address a listener saw ("ip:port"), for proxied client connections.
    pub peer: Option<String>,
    pub uid: Option<u32>,
    pub pid: Option<u32>,
    pub fd: i32,
}

impl Engine {
    /// Loads objects and persistent messages. Temporary dynamic queues and non-persistent
    /// messages of a previous run are gone, as after a real restart.
    pub fn open(inst: &Installation, qm: &QmPaths, runtime: Arc<dyn QmRuntime>) -> Result<Arc<Engine>, EngineError> {
        Engine::open_replicated(inst, qm, runtime, None)
    }

    /// `open` for the active instance of a Native HA queue manager: every durable write, the
    /// fold of this open included, is replicated through `replicator` before it is written here.
    pub fn open_replicated(
        inst: &Installation,
        qm: &QmPaths,
        runtime: Arc<dyn QmRuntime>,
        replicator: Option<Arc<dyn repl::Replicator>>,
    ) -> Result<Arc<Engine>, EngineError> {
        let cat = store::load_catalogue(&qm.data_dir)?;
        let mut objects = BTreeMap::new();
        let mut queues = BTreeMap::new();
        let mut seq = 0u64;
        // Every queue's persistent messages under this run's sequence numbers, and whether its
        // files held any (only those are folded when nothing replicates).
        let mut folds: Vec<(String, Vec<store::StoredMsg>, bool)> = Vec::new();
        for d in cat.objects {
            if d.otype == ObjType::QLocal {
                let mut rt = QueueRt::default();
                let loaded = store::load_queue(&qm.log_dir, &d.name)?;
                let had = !loaded.is_empty();
                let mut fresh = Vec::with_capacity(loaded.len());
                for m in loaded {
                    seq += 1;
                    fresh.push(store::StoredMsg { md: m.md.clone(), data: m.data.clone(), seq });
                    rt.msgs.push_back(Msg::new(m.md, m.data, seq));
                }
                folds.push((d.name.clone(), fresh, had));
                queues.insert(d.name.clone(), rt);
            }
            objects.insert((ns_of(d.otype), d.name.clone()), d);
        }
        let mut state = State {
            run: RunState::Running,
            qmgr: cat.qmgr,
            qm_dates: [cat.qm_crdate, cat.qm_crtime, cat.qm_altdate, cat.qm_alttime],
            qmid: cat.qmid,
            objects,
            chlauth: cat.chlauth,
            authrecs: cat.authrecs,
            queues,
            conns: BTreeMap::new(),
            next_conn: 1,
            next_hobj: 1,
            seq,
            effective_chckclnt: String::new(),
            effective_adoptctx: true,
        };
        state.refresh_connauth();
        match &replicator {
            // Fold the journals into snapshots under this run's sequence numbers.
            None => {
                for (name, fresh, had) in &folds {
                    if *had {
                        store::save_queue(&qm.log_dir, name, fresh)?;
                    }
                }
            }
            // The start of a term of a Native HA active: the whole state, folded, goes to the
            // replicas first, so they hold what this engine holds (catalogue and QMID included)
            // and later journal lines name the same sequence numbers on every instance.
            Some(r) => {
                let rec = repl::ReplRecord::Full {
                    catalogue: store::catalogue_bytes(&qm.data_dir, &state.catalogue())?,
                    queues: folds.into_iter().map(|(name, fresh, _)| (name, fresh)).collect(),
                };
                let lsn = r.replicate(&rec)?;
                repl::write_own(&qm.data_dir, &qm.log_dir, lsn, &rec)?;
            }
        }
        Ok(Arc::new(Engine {
            inst: inst.clone(),
            qm: qm.clone(),
            runtime,
            replicator,
            fenced: Mutex::new(None),
            state: Mutex::new(state),
            changed: Condvar::new(),
        }))
    }

    pub fn qm_name(&self) -> &str {
        &self.qm.name
    }

    /// Whether durable writes go through a replicator (the active of a Native HA queue manager).
    pub fn is_replicated(&self) -> bool {
        self.replicator.is_some()
    }

    /// Native HA: this instance lost the right to write (quorum lost, stepped down). Every
    /// connection is broken at once: its socket is shut down (an application blocked in a call
    /// gets 2009, its unit of work is backed out), new connections get 2059, and nothing more is
    /// written. UNCONFIRMED how fast IBM cuts an isolated active's applications off and with
    /// which reason (docs/reference/native-ha.md#partition): at once and 2009, the strict reading. The runtime calls it on losing the active role; a refused write does the same
    /// for the calls that follow it.
    pub fn fence(&self, why: &str) {
        {
            let mut f = self.fenced.lock().unwrap_or_else(|p| p.into_inner());
            if f.is_none() {
                *f = Some(why.to_string());
            }
        }
        self.break_connections();
    }

    /// Shuts down every connection's socket: each serve thread ends and backs its unit of work out.
    fn break_connections(&self) {
        let st = self.lock();
        for c in st.conns.values() {
            // SAFETY: shutdown(2) on the connection's own socket; the fd stays open (and owned
            // by its serve thread), so it cannot be reused underneath.
            unsafe { libc::shutdown(c.fd, libc::SHUT_RDWR) };
        }
        drop(st);
        self.changed.notify_all();
    }

    /// Why the engine stopped serving, when its replicator refused a write (Native HA: quorum
    /// lost or no longer the active instance). The runtime then ends it and returns to replica.
    pub fn fenced(&self) -> Option<String> {
        self.fenced.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in one connection thread must not take the queue manager down with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Binds the engine's abstract socket and serves each connection on its own thread.
    pub fn listen(self: &Arc<Self>) -> std::io::Result<std::thread::JoinHandle<()>> {
        let listener = wire::bind_engine(&self.inst, &self.qm)?;
        let me = Arc::clone(self);
        Ok(std::thread::spawn(move || {
            for stream in listener.incoming() {
                match stream {
                    Ok(s) => {
                        let e = Arc::clone(&me);
                        std::thread::spawn(move || e.serve(s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }))
    }

    /// Serves one connection (bindings, or a runmqlsr proxy starting with its MQSIM-PEER line)
    /// until the peer closes it or the queue manager stops.
    pub fn serve(self: &Arc<Self>, mut stream: UnixStream) {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
        let mut session = Session { conn: None, peer: None, uid: None, pid: None, fd };
        if let Ok(cred) = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials) {
            session.uid = Some(cred.uid());
            session.pid = Some(cred.pid() as u32);
        }
        let mut first = [0u8; 1];
        if peek(&stream, &mut first) == 1 && first[0] == b'M' {
            match read_proxy_line(&mut stream) {
                Some(peer) => {
                    session.peer = Some(peer);
                    // The proxy's credentials are the listener's, not the client's.
                    session.uid = None;
                    session.pid = None;
                }
                None => return,
            }
        }
        while let Ok(Some(req)) = wire::read_frame::<_, Request>(&mut stream) {
            // Native HA: a fenced engine answers a new connection (refused) and nothing else.
            if self.fenced().is_some() && !matches!(req, Request::Connect { .. }) {
                break;
            }
            self.block_while_hung();
            let disconnect = matches!(req, Request::Disconnect);
            let resp = self.handle(&mut session, req);
            let sent = wire::write_frame(&mut stream, &resp).is_ok();
            // A refused write fenced the engine during this call: its reply was the last frame,
            // and every other connection is broken now too.
            if self.fenced().is_some() {
                self.break_connections();
                break;
            }
            if !sent || disconnect {
                break;
            }
        }
        // The socket ended without MQDISC: the application ended (normally or not) or its
        // connection broke; its unit of work is backed out.
        if let Some(id) = session.conn.take() {
            self.disconnect(id, false);
        }
    }

    /// Fault `hang`: the queue manager's processes live on, but nothing is answered. Fault
    /// `slow MS`: busy, every request is answered MS milliseconds late.
    fn block_while_hung(&self) {
        while faults::is_set(&self.inst, &self.qm, Fault::Hang) {
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Some(ms) = faults::number(&self.inst, &self.qm, Fault::Slow) {
            std::thread::sleep(Duration::from_millis(ms.into()));
        }
    }

    pub(crate) fn log_full(&self) -> bool {
        faults::is_set(&self.inst, &self.qm, Fault::LogFull)
    }

    fn handle(self: &Arc<Self>, session: &mut Session, req: Request) -> Response {
        match req {
            Request::Connect { qm_name, mode, appl_name, pid } => {
                self.connect(session, &qm_name, mode, &appl_name, pid)
            }
            Request::Mqsc { command } => {
                let (lines, outcome) = mqsc::execute(self, &command);
                Response::Mqsc { lines, outcome }
            }
            Request::Disconnect => {
                if let Some(id) = session.conn.take() {
                    // A normal MQDISC commits the unit of work (docs/reference/mqi.md#units-of-work).
                    self.disconnect(id, true)
                } else {
                    mqi::fail(mqi::MQRC_HCONN_ERROR)
                }
            }
            other => match session.conn {
                None => mqi::fail(mqi::MQRC_HCONN_ERROR),
                Some(id) => mqi::call(self, id, other),
            },
        }
    }

    fn connect(&self, session: &mut Session, qm_name: &str, mode: ConnectMode, appl_name: &str, pid: u32) -> Response {
        if session.conn.is_some() {
            // One MQ connection per socket: the library opens a socket per MQCONN.
            return mqi::warn(
                mqi::MQRC_ALREADY_CONNECTED,
                MqiBody::Connected { qm_name: self.qm.name.clone(), hbint: 0 },
            );
        }
        if !qm_name.is_empty() && qm_name != self.qm.name {
            return mqi::fail(mqi::MQRC_Q_MGR_NAME_ERROR);
        }
        let mut st = self.lock();
        // Native HA: an instance that lost its quorum is no longer the queue manager here
        // (UNCONFIRMED which reason a new connection gets; 2059 as on a replica's node).
        if self.fenced().is_some() {
            return mqi::fail(mqi::MQRC_Q_MGR_NOT_AVAILABLE);
        }
        match st.run {
            RunState::Running => {}
            RunState::Quiescing => return mqi::fail(mqi::MQRC_Q_MGR_QUIESCING),
            RunState::Stopping => return mqi::fail(mqi::MQRC_Q_MGR_STOPPING),
        }
        let (user, channel, conname, pid, hbint) = match (&mode, &session.peer) {
            (ConnectMode::Bindings, None) => {
                let uid = session.uid.unwrap_or(u32::MAX);
                let user = auth::user_name(uid);
                if !auth::may_connect_bindings(uid, &user, &self.inst) {
                    return mqi::fail(mqi::MQRC_NOT_AUTHORIZED);
                }
                (user, None, String::new(), session.pid.unwrap_or(pid), 0)
            }
            (ConnectMode::Client { channel, asserted_user, csp_user, csp_password, hbint }, Some(peer)) => {
                let Some(chl) = st.objects.get(&(Ns::Channel, channel.clone())) else {
                    return mqi::fail(mqi::MQRC_UNKNOWN_CHANNEL_NAME);
                };
                let mcauser = chl.get("MCAUSER").to_string();
                let ip = peer.rsplit_once(':').map(|(h, _)| h.trim_matches(['[', ']'])).unwrap_or(peer).to_string();
                let hello = auth::ClientHello {
                    channel,
                    mcauser: &mcauser,
                    ip: &ip,
                    asserted_user,
                    csp_user: csp_user.as_deref(),
                    csp_password: csp_password.as_deref(),
                };
                let user = match auth::check_client(&st, &self.inst, &hello) {
                    Ok(u) => u,
                    Err(refusal) => {
                        crate::runtime::controller::error_log(&self.inst, &self.qm, &refusal.log);
                        return mqi::fail(refusal.reason);
                    }
                };
                // The channel's HBINT as defined now (a change applies to the next connection).
                let server_hbint = chl.get("HBINT").parse().unwrap_or(300);
                (user, Some(channel.clone()), ip, pid, crate::wire::negotiate_hbint(*hbint, server_hbint))
            }
            // A client frame on a bindings socket, or bindings through a listener: not an MQ flow.
            _ => return mqi::fail(mqi::MQRC_CONNECTION_ERROR),
        };
        let id = st.next_conn;
        st.next_conn += 1;
        let appl_tag = if appl_name.is_empty() { auth::appl_tag_of(pid) } else { appl_name.to_string() };
        st.conns.insert(
            id,
            Conn {
                pid,
                user,
                appl_tag,
                channel,
                conname,
                handles: BTreeMap::new(),
                started: store::mqsc_now(),
                fd: session.fd,
                uow: Uow::default(),
            },
        );
        session.conn = Some(id);
        mqi::ok(MqiBody::Connected { qm_name: self.qm.name.clone(), hbint })
    }

    /// MQDISC (`commit`) or the end of the connection's socket (process death, broken
    /// connection): settle the unit of work, close every handle. The MQDISC reply.
    pub(crate) fn disconnect(&self, id: u64, commit: bool) -> Response {
        let mut st = self.lock();
        let reply = if commit { mqi::commit(self, &mut st, id) } else { mqi::backout(self, &mut st, id) };
        if let Some(conn) = st.conns.remove(&id) {
            for h in conn.handles.values() {
                mqi::release_handle(self, &mut st, id, h);
            }
        }
        drop(st);
        self.changed.notify_all();
        reply
    }

    /// Makes the writes of one MQI call or command durable. Native HA: the record (a batch when
    /// there are several) goes to the replicator FIRST and the engine writes its own files only
    /// once a replica has acknowledged it ("writing needs quorum",
    /// docs/reference/native-ha.md#in-sync); a refusal leaves this instance's files as they were,
    /// fences the engine (every later call fails, every connection is broken) and is returned
    /// for the caller to undo its change in memory and fail the call. The caller holds the
    /// state lock, so records reach the replicator in the order they change the files. A local
    /// write that fails is logged on stderr (the controller's error log) and the change stays
    /// in memory, as MQ keeps running on a log error.
    pub(crate) fn persist(&self, mut recs: Vec<repl::ReplRecord>) -> Result<(), repl::ReplError> {
        if recs.is_empty() {
            return Ok(());
        }
        if let Some(why) = self.fenced() {
            return Err(repl::ReplError::NoQuorum(why));
        }
        let rec = if recs.len() == 1 { recs.remove(0) } else { repl::ReplRecord::Batch { records: recs } };
        let lsn = match &self.replicator {
            None => 0,
            Some(r) => match r.replicate(&rec) {
                Ok(lsn) => lsn,
                Err(e) => {
                    eprintln!("mqsim engine {}: write not replicated, connections broken: {e}", self.qm.name);
                    *self.fenced.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    self.changed.notify_all();
                    return Err(e);
                }
            },
        };
        if let Err(e) = repl::write_own(&self.qm.data_dir, &self.qm.log_dir, lsn, &rec) {
            eprintln!("mqsim engine {}: {e}", self.qm.name);
        }
        Ok(())
    }

    /// The catalogue as a record (temporary dynamic queues excluded).
    pub(crate) fn catalogue_record(&self, st: &State) -> Option<repl::ReplRecord> {
        match store::catalogue_bytes(&self.qm.data_dir, &st.catalogue()) {
            Ok(bytes) => Some(repl::ReplRecord::Catalogue { bytes }),
            Err(e) => {
                eprintln!("mqsim engine {}: {e}", self.qm.name);
                None
            }
        }
    }

    /// Saves the catalogue after a definition changed.
    pub(crate) fn save_catalogue(&self, st: &State) -> Result<(), repl::ReplError> {
        self.persist(self.catalogue_record(st).into_iter().collect())
    }

    /// The persistent messages of one queue as a snapshot record: the committed ones, those on
    /// the queue and those an open unit of work got (a restart would reinstate them), never an
    /// uncommitted put. A message reinstated by a restart keeps the BackoutCount it had before
    /// that unit of work (HardenGetBackout not modelled; UNCONFIRMED).
    pub(crate) fn snapshot_record(&self, st: &State, queue: &str) -> repl::ReplRecord {
        let on_queue = st.queues.get(queue).into_iter().flat_map(|q| q.msgs.iter()).filter(|m| m.uncommitted.is_none());
        let held = st.conns.values().flat_map(|c| c.uow.gets.iter()).filter(|(q, _)| q == queue).map(|(_, m)| m);
        let mut msgs: Vec<store::StoredMsg> = on_queue
            .chain(held)
            .filter(|m| m.persistent())
            .map(|m| store::StoredMsg { md: m.md.clone(), data: m.data.clone(), seq: m.seq })
            .collect();
        msgs.sort_by_key(|m| m.seq);
        repl::ReplRecord::Snapshot { queue: queue.to_string(), msgs }
    }

    /// Rewrites the persistent messages of one queue.
    pub(crate) fn save_queue(&self, st: &State, queue: &str) -> Result<(), repl::ReplError> {
        self.persist(vec![self.snapshot_record(st, queue)])
    }

    /// Records persistent puts and gets in their queues' journals (one call's lines: made durable
    /// together); a journal grown well past the queue's persistent content is folded into a new
    /// snapshot in the same record, so a queue manager that runs for weeks of monitor probes
    /// keeps small files. On a refused replication nothing is written and the journal counts
    /// are as before.
    pub(crate) fn journal(
        &self,
        st: &mut State,
        lines: Vec<(String, store::JournalRecord)>,
    ) -> Result<(), repl::ReplError> {
        let mut before: Vec<(String, usize)> = Vec::new();
        let mut recs = Vec::with_capacity(lines.len());
        for (queue, rec) in lines {
            if let Some(rt) = st.queues.get_mut(&queue) {
                if !before.iter().any(|(q, _)| *q == queue) {
                    before.push((queue.clone(), rt.journal_len));
                }
                rt.journal_len += 1;
            }
            recs.push(repl::ReplRecord::Journal { queue, rec });
        }
        for (queue, _) in &before {
            let Some(rt) = st.queues.get_mut(queue) else { continue };
            let live = rt.msgs.iter().filter(|m| m.persistent()).count();
            if rt.journal_len > 1000 && rt.journal_len > 4 * live {
                rt.journal_len = 0;
                recs.push(self.snapshot_record(st, queue));
            }
        }
        let r = self.persist(recs);
        if r.is_err() {
            for (queue, len) in before {
                if let Some(rt) = st.queues.get_mut(&queue) {
                    rt.journal_len = len;
                }
            }
        }
        r
    }

    /// CONTROL(QMGR) listeners, read by the controller at start.
    pub fn autostart_listeners(&self) -> Vec<ListenerSpec> {
        let st = self.lock();
        st.objects
            .values()
            .filter(|d| d.otype == ObjType::Listener && d.get("CONTROL") == "QMGR")
            .map(listener_spec)
            .collect()
    }

    /// (SCMDSERV(QMGR), SCHINIT(QMGR)) — whether the controller starts amqpcsea / runmqchi.
    pub fn qmgr_autostart(&self) -> (bool, bool) {
        let st = self.lock();
        (
            st.qmgr.get("SCMDSERV").map(String::as_str) != Some("MANUAL"),
            st.qmgr.get("SCHINIT").map(String::as_str) != Some("MANUAL"),
        )
    }

    /// Moves the run state (endmqm). Waiters wake up to fail with 2161/2162.
    pub fn set_state(&self, state: RunState) {
        self.lock().run = state;
        self.changed.notify_all();
    }

    /// Number of connections still open (endmqm -c waits for it to reach zero).
    pub fn connection_count(&self) -> usize {
        self.lock().conns.len()
    }

    /// Flushes persistent state; called once before the controller exits.
    pub fn shutdown(&self) {
        let mut st = self.lock();
        st.run = RunState::Stopping;
        // Temporary dynamic queues die with the queue manager; units of work still open are
        // backed out (docs/reference/mqi.md#units-of-work).
        let ids: Vec<u64> = st.conns.keys().copied().collect();
        for id in ids {
            mqi::backout(self, &mut st, id);
            if let Some(conn) = st.conns.remove(&id) {
                for h in conn.handles.values() {
                    mqi::release_handle(self, &mut st, id, h);
                }
            }
        }
        // One record: the catalogue and every queue folded. A fenced engine writes nothing: its
        // files stay the last state a quorum acknowledged.
        let mut recs: Vec<repl::ReplRecord> = self.catalogue_record(&st).into_iter().collect();
        recs.extend(st.queues.keys().map(|q| self.snapshot_record(&st, q)));
        if self.fenced().is_none() {
            let _ = self.persist(recs);
        }
        drop(st);
        self.changed.notify_all();
    }
}

pub(crate) fn listener_spec(d: &ObjectDef) -> ListenerSpec {
    ListenerSpec {
        name: d.name.clone(),
        // PORT(0) means MQ's default port.
        port: match d.int("PORT") {
            0 => 1414,
            p => p as u16,
        },
        ipaddr: d.get("IPADDR").to_string(),
        backlog: d.int("BACKLOG") as u32,
        control: d.get("CONTROL").to_string(),
    }
}

/// Reads runmqlsr's `MQSIM-PEER <ip>:<port> LISTENER <name> \n` line; returns the peer.
fn read_proxy_line(stream: &mut UnixStream) -> Option<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while line.len() < 512 {
        if stream.read(&mut b).ok()? != 1 {
            return None;
        }
        if b[0] == b'\n' {
            break;
        }
        line.push(b[0]);
    }
    let text = String::from_utf8(line).ok()?;
    let rest = text.strip_prefix(wire::PROXY_PREFIX)?;
    rest.split_whitespace().next().map(str::to_string)
}

/// MSG_PEEK of the first byte (UnixStream::peek is not stable).
fn peek(stream: &UnixStream, buf: &mut [u8; 1]) -> isize {
    use std::os::fd::AsRawFd;
    // SAFETY: recv writes at most 1 byte into buf.
    unsafe { libc::recv(stream.as_raw_fd(), buf.as_mut_ptr().cast(), 1, libc::MSG_PEEK) }
}

/// Whether the peer of a connection's socket has gone (closed, reset or hung up).
pub(crate) fn peer_gone(fd: i32) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLRDHUP, revents: 0 };
    // SAFETY: one pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n > 0 && p.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}
