//! A running Native HA instance: the replication connections to the two other instances, the
//! election (`super::raft`) driven by a clock, the transport of the engine's replication records
//! (the `Replicator` the engine of the active instance calls) and, on a replica, their
//! application to this instance's own files. Threads of the execution controller (`amqzxma0`).
//!
//! Connections: one TCP connection per pair of instances; the instance earlier in the stanza
//! order dials the later one (`AMQ3211I` outbound, `AMQ3213I` inbound in the error log,
//! docs/reference/native-ha.md#error-log-messages). IBM keeps a pair of connections per pair of
//! instances (#in-sync, CONNACTV); one is enough for what can be observed.
//!
//! Records: the active numbers each record (LSN), keeps it in its record log and sends it to
//! every connected replica; `replicate` returns once ONE replica acknowledged it (quorum to
//! write, #in-sync) or fails within `REPLICATE_BOUND`. A replica applies records in LSN order
//! with `repl::apply_at` (its own data and log directories), keeps them in its own record log
//! and acknowledges. A replica that comes back reports its last applied LSN and the active sends
//! it every record after it from its record log. Each instance keeps its whole record log
//! (`<log>/mqsim-repl.records`) and never folds it: rebase (a fresh copy when the log extents a
//! replica needs are gone, AMQ3237I) is not simulated; a replica the active cannot catch up is
//! logged and stays INSYNC(no).

use super::proto::{self, Frame, Lsn, PeerView, Role};
use super::raft::{self, Raft, To};
use crate::engine::repl::{self, ReplError, ReplRecord, Replicator};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest a persistent MQI call waits for a replica's acknowledgement before it fails.
pub const REPLICATE_BOUND: Duration = Duration::from_secs(5);
/// Default shortest election timeout (UNCONFIRMED: IBM says elections take "seconds").
pub const ELECTION_MS: u64 = 1000;
/// Records in flight to one replica before the active waits for its acknowledgements.
const WINDOW: u64 = 64;
/// File of each instance's record log, in its log directory.
pub const RECORDS_FILE: &str = "mqsim-repl.records";
/// Term, vote and whether the group was formed (its first election happened), in the data directory.
pub const STATE_FILE: &str = "mqsim-nha.json";

#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    /// Its ReplicationAddress as `host:port` (IPv6 in brackets).
    pub addr: String,
}

/// What the node needs from its host (the execution controller): fault switches, the error log
/// and where its view goes whenever it changes.
pub struct Hooks {
    /// The `nha-isolate` fault: send and accept no replication traffic.
    pub isolated: Box<dyn Fn() -> bool + Send + Sync>,
    /// The `nha-lag KB` fault: hold acknowledgements until this many KB are unacknowledged.
    pub lag_kb: Box<dyn Fn() -> Option<u64> + Send + Sync>,
    /// The `nha-election-ms N` fault.
    pub election_ms: Box<dyn Fn() -> Option<u64> + Send + Sync>,
    pub log: Box<dyn Fn(&str) + Send + Sync>,
    /// Called with the new view after every change.
    pub changed: Box<dyn Fn(&View) + Send + Sync>,
    /// The active ended the whole group (mode as endmqm's flag letter).
    pub end_group: Box<dyn Fn(&str) + Send + Sync>,
}

pub struct Settings {
    pub qm: String,
    pub me: usize,
    /// Where this instance accepts connections (`host:port`).
    pub listen: String,
    /// All instances in stanza order, this one included.
    pub instances: Vec<Instance>,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub hooks: Hooks,
}

/// This instance's picture of the group (the status record is made from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub role: Role,
    pub quorum: (u8, u8),
    pub insync: bool,
    /// All instances in stanza order, this one included.
    pub peers: Vec<PeerView>,
    pub term: u64,
    pub lsn: Lsn,
}

struct Link {
    id: u64,
    tx: Sender<Frame>,
    stream: TcpStream,
    /// Active: last LSN sent on this connection (None until the replica said where it is).
    sent: Option<Lsn>,
    /// Active: last LSN the replica acknowledged.
    acked: Lsn,
    last_heard: Instant,
}

enum Event {
    Up { peer: usize, stream: TcpStream, outbound: bool },
    Frame { peer: usize, id: u64, frame: Frame },
    Down { peer: usize, id: u64 },
}

struct Inner {
    raft: Raft,
    links: Vec<Option<Link>>,
    next_id: u64,
    /// The record log: LSN -> (record as sent, its size in bytes).
    records: BTreeMap<Lsn, (serde_json::Value, u64)>,
    /// Replica: LSN of the last record applied here, and of the last one acknowledged.
    applied: Lsn,
    ack_sent: Lsn,
    /// Replica: the active's last view of the group.
    leader_view: Option<(u8, u8, Vec<PeerView>)>,
    view: View,
    /// (term, leader) the record log and links were last set up for.
    led: Option<u64>,
    saved: (u64, Option<usize>, bool),
    isolated: bool,
    behind_logged: Vec<bool>,
    short_logged: bool,
}

pub struct Node {
    s: Settings,
    inner: Mutex<Inner>,
    cond: Condvar,
    events: Mutex<Option<Sender<Event>>>,
    stop: AtomicBool,
    /// The core thread panicked: never active again.
    failed: AtomicBool,
    epoch: Instant,
    threads: Mutex<Vec<JoinHandle<()>>>,
    election_min: AtomicU64,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Saved {
    term: u64,
    voted_for: Option<usize>,
    formed: bool,
}

fn kb(bytes: u64) -> u64 {
    bytes.div_ceil(1024)
}

impl Node {
    /// Starts the node: listener, dialer and core threads. Fails when the local port cannot be
    /// bound.
    pub fn start(s: Settings) -> std::io::Result<Arc<Node>> {
        let n = s.instances.len();
        let listener = TcpListener::bind(s.listen.as_str())?;
        listener.set_nonblocking(true)?;
        let saved: Saved = std::fs::read(s.data_dir.join(STATE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let applied = repl::applied_lsn(&s.log_dir);
        let records = load_records(&s.log_dir.join(RECORDS_FILE), applied);
        let election_min = (s.hooks.election_ms)().unwrap_or(ELECTION_MS);
        let seed = u64::from(std::process::id()) ^ (crate::runtime::clock::now_secs() << 20) ^ (s.me as u64) << 40;
        let mut r = Raft::new(s.me, n, saved.formed, applied, election_min, seed, 0);
        r.restore(saved.term, saved.voted_for);
        let view = View {
            role: Role::Unknown,
            quorum: (0, n as u8),
            insync: false,
            peers: vec![
                PeerView { role: Role::Unknown, connactv: false, insync: false, backlog_kb: 0, conninst: false };
                n
            ],
            term: saved.term,
            lsn: applied,
        };
        let (tx, rx) = mpsc::channel();
        let node = Arc::new(Node {
            inner: Mutex::new(Inner {
                raft: r,
                links: (0..n).map(|_| None).collect(),
                next_id: 1,
                records,
                applied,
                ack_sent: applied,
                leader_view: None,
                view: view.clone(),
                led: None,
                saved: (saved.term, saved.voted_for, saved.formed),
                isolated: false,
                behind_logged: vec![false; n],
                short_logged: false,
            }),
            s,
            cond: Condvar::new(),
            events: Mutex::new(Some(tx.clone())),
            stop: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            epoch: Instant::now(),
            threads: Mutex::new(Vec::new()),
            election_min: AtomicU64::new(election_min),
        });
        (node.s.hooks.changed)(&view);
        let mut th = node.threads.lock().unwrap();
        let nd = node.clone();
        let t1 = tx.clone();
        th.push(std::thread::spawn(move || nd.accept_loop(listener, t1)));
        let nd = node.clone();
        th.push(std::thread::spawn(move || nd.dial_loop(tx)));
        let nd = node.clone();
        th.push(std::thread::spawn(move || nd.core_loop(rx)));
        drop(th);
        Ok(node)
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, text: &str) {
        (self.s.hooks.log)(text)
    }

    pub fn view(&self) -> View {
        self.lock().view.clone()
    }

    pub fn is_active(&self) -> bool {
        !self.failed.load(Ordering::SeqCst) && self.lock().raft.role() == raft::Role::Leader
    }

    pub fn name(&self, i: usize) -> &str {
        &self.s.instances[i].name
    }

    /// This instance's index in the stanza order.
    pub fn me(&self) -> usize {
        self.s.me
    }

    pub fn election_ms(&self) -> u64 {
        self.election_min.load(Ordering::Relaxed)
    }

    /// Connections open to the other instances.
    pub fn connected(&self) -> usize {
        self.lock().links.iter().flatten().count()
    }

    /// Stops every thread and closes every connection (bounded).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        {
            let mut g = self.lock();
            for l in g.links.iter_mut() {
                if let Some(l) = l.take() {
                    let _ = l.stream.shutdown(Shutdown::Both);
                }
            }
        }
        *self.events.lock().unwrap() = None;
        self.cond.notify_all();
        let threads: Vec<JoinHandle<()>> = std::mem::take(&mut *self.threads.lock().unwrap());
        let deadline = Instant::now() + Duration::from_secs(3);
        for t in threads {
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }

    /// Hand over the active role (endmqm -s): tells an in-sync connected replica to stand now.
    /// Returns its name, or why not.
    pub fn hand_over(&self) -> Result<String, String> {
        let now = self.now();
        let mut g = self.lock();
        if g.raft.role() != raft::Role::Leader {
            return Err("this instance is not the active instance".into());
        }
        let last = g.raft.last_lsn();
        let to = (0..g.links.len()).find(|p| g.links[*p].as_ref().is_some_and(|l| l.acked >= last));
        let Some(to) = to else { return Err("no replica is in sync".into()) };
        let out = g.raft.hand_over(to, now);
        self.route(&mut g, out);
        self.refresh(&mut g);
        Ok(self.s.instances[to].name.clone())
    }

    /// The active gives up the role (its engine could not make a write durable).
    pub fn step_down(&self) {
        let now = self.now();
        let mut g = self.lock();
        g.raft.step_down(now);
        self.after_raft(&mut g);
        self.refresh(&mut g);
    }

    /// Plain endmqm on the active: tells every connected replica to end too.
    pub fn end_group(&self, mode: &str) {
        let g = self.lock();
        for l in g.links.iter().flatten() {
            let _ = l.tx.send(Frame::EndGroup { mode: mode.to_string() });
        }
    }

    fn accept_loop(self: Arc<Node>, listener: TcpListener, tx: Sender<Event>) {
        while !self.stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    if self.lock().isolated {
                        continue;
                    }
                    if let Some(peer) = self.handshake(&stream, None) {
                        let _ = tx.send(Event::Up { peer, stream, outbound: false });
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn dial_loop(self: Arc<Node>, tx: Sender<Event>) {
        let me = self.s.me;
        while !self.stop.load(Ordering::SeqCst) {
            for peer in me + 1..self.s.instances.len() {
                let (up, isolated) = {
                    let g = self.lock();
                    (g.links[peer].is_some(), g.isolated)
                };
                if up || isolated {
                    continue;
                }
                let i = &self.s.instances[peer];
                let Some(addr) = i.addr.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
                    continue;
                };
                if let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
                    if self.handshake(&stream, Some(peer)) == Some(peer) {
                        let _ = tx.send(Event::Up { peer, stream, outbound: true });
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Exchanges Hello frames (bounded); the peer's index when it is the instance expected: an
    /// earlier one for an inbound connection, `expect` for an outbound one.
    fn handshake(&self, stream: &TcpStream, expect: Option<usize>) -> Option<usize> {
        let _ = stream.set_nonblocking(false);
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        stream.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
        let _ = stream.set_nodelay(true);
        let hello = Frame::Hello { qm: self.s.qm.clone(), instance: self.s.instances[self.s.me].name.clone() };
        let mut w = stream;
        if expect.is_some() {
            proto::write(&mut w, &hello).ok()?;
        }
        let mut r = stream;
        let Ok(Some(Frame::Hello { qm, instance })) = proto::read(&mut r) else { return None };
        let peer = self.s.instances.iter().position(|i| i.name == instance)?;
        let ok = qm == self.s.qm
            && peer != self.s.me
            && match expect {
                Some(e) => e == peer,
                None => peer < self.s.me,
            };
        if !ok {
            // IBM rejects a mismatched peer with AMQ3209E (docs/reference/native-ha.md#error-log-messages).
            self.log(&format!(
                "AMQ3209E: Native HA connection rejected due to configuration mismatch: instance '{instance}' of queue manager '{qm}'."
            ));
            return None;
        }
        if expect.is_none() {
            proto::write(&mut w, &hello).ok()?;
        }
        stream.set_read_timeout(None).ok()?;
        Some(peer)
    }

    /// The core: events and timers. Should it ever panic, the instance stops acting as active
    /// (an election state nobody drives must not keep a queue manager open) and says so.
    fn core_loop(self: Arc<Node>, rx: Receiver<Event>) {
        let nd = self.clone();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || nd.core(rx)));
        if let Err(e) = r {
            let what = e.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| e.downcast_ref::<String>().cloned());
            self.failed.store(true, Ordering::SeqCst);
            self.cond.notify_all();
            self.log(&format!(
                "AMQ6184W: An internal error occurred in the Native HA replication of this instance: {}; the instance no longer takes part in the group.",
                what.unwrap_or_default()
            ));
        }
    }

    fn core(self: &Arc<Node>, rx: Receiver<Event>) {
        let tick = Duration::from_millis(5);
        let mut last_ping = 0;
        while !self.stop.load(Ordering::SeqCst) {
            let first = match rx.recv_timeout(tick) {
                Ok(e) => Some(e),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let now = self.now();
            let mut g = self.lock();
            let mut ev = first;
            while let Some(e) = ev.take() {
                self.handle(&mut g, e, now);
                ev = rx.try_recv().ok();
            }
            self.housekeeping(&mut g, now, &mut last_ping);
            let out = g.raft.tick(now);
            self.route(&mut g, out);
            self.after_raft(&mut g);
            self.catch_up(&mut g);
            self.flush_acks(&mut g);
            self.refresh(&mut g);
        }
    }

    fn handle(&self, g: &mut Inner, e: Event, now: u64) {
        match e {
            Event::Up { peer, stream, outbound } => {
                if g.isolated || self.stop.load(Ordering::SeqCst) {
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
                if let Some(old) = g.links[peer].take() {
                    let _ = old.stream.shutdown(Shutdown::Both);
                }
                let id = g.next_id;
                g.next_id += 1;
                let (tx, rx) = mpsc::channel::<Frame>();
                let (Ok(reader), Ok(writer)) = (stream.try_clone(), stream.try_clone()) else { return };
                let events = self.events.lock().unwrap().clone();
                std::thread::spawn(move || read_loop(reader, peer, id, events));
                std::thread::spawn(move || write_loop(writer, rx));
                g.links[peer] = Some(Link { id, tx, stream, sent: None, acked: 0, last_heard: Instant::now() });
                g.behind_logged[peer] = false;
                let name = &self.s.instances[peer].name;
                self.log(&if outbound {
                    format!("AMQ3211I: Native HA outbound connection established to '{name}'.")
                } else {
                    format!("AMQ3213I: Native HA inbound connection accepted from '{name}'.")
                });
                // Say where we are at once (the active starts sending from there).
                let hb = g.raft.term();
                let lsn = g.applied.max(g.raft.last_lsn());
                if g.raft.role() == raft::Role::Leader {
                    let _ = g.links[peer].as_ref().map(|l| {
                        l.tx.send(Frame::Raft(proto::Msg::Heartbeat { term: hb, leader_lsn: lsn, formed: true }))
                    });
                }
            }
            Event::Down { peer, id } => {
                if g.links[peer].as_ref().is_some_and(|l| l.id == id) {
                    g.links[peer] = None;
                    g.raft.peer_down(peer);
                    self.cond.notify_all();
                }
            }
            Event::Frame { peer, id, frame } => {
                let Some(link) = g.links[peer].as_mut().filter(|l| l.id == id) else { return };
                link.last_heard = Instant::now();
                match frame {
                    Frame::Raft(m) => {
                        if let proto::Msg::HeartbeatReply { term, lsn } = &m {
                            if *term == g.raft.term() && g.raft.role() == raft::Role::Leader {
                                let last = g.raft.last_lsn();
                                let l = g.links[peer].as_mut().unwrap();
                                if l.sent.is_none() {
                                    l.sent = Some((*lsn).min(last));
                                    l.acked = (*lsn).min(last);
                                }
                            }
                        }
                        let out = g.raft.on_message(peer, m, now);
                        self.route(g, out);
                        self.after_raft(g);
                    }
                    Frame::Append { term, lsn, rec } => self.on_append(g, peer, term, lsn, rec),
                    Frame::Ack { term, lsn } => {
                        let l = g.links[peer].as_mut().unwrap();
                        l.acked = l.acked.max(lsn);
                        g.raft.heard_from(peer, term, now);
                        self.cond.notify_all();
                    }
                    Frame::View { quorum, peers } => {
                        if g.raft.leader() == Some(peer) && peers.len() == self.s.instances.len() {
                            g.leader_view = Some((quorum.0, quorum.1, peers));
                        }
                    }
                    Frame::EndGroup { mode } => {
                        if g.raft.leader() == Some(peer) {
                            (self.s.hooks.end_group)(&mode);
                        }
                    }
                    Frame::Hello { .. } | Frame::Ping => {}
                }
            }
        }
    }

    /// Replica: applies the next record from the active, keeps it, acknowledges it.
    fn on_append(&self, g: &mut Inner, peer: usize, term: u64, lsn: Lsn, rec: serde_json::Value) {
        if g.raft.leader() != Some(peer) || term != g.raft.term() || lsn != g.applied + 1 {
            return;
        }
        let parsed: Result<ReplRecord, _> = serde_json::from_value(rec.clone());
        let applied = parsed
            .map_err(|e| e.to_string())
            .and_then(|r| repl::apply_at(&self.s.data_dir, &self.s.log_dir, lsn, &r).map_err(|e| e.to_string()));
        if let Err(e) = applied {
            self.log(&format!("AMQ3230E: Native HA replica could not apply log record {lsn}: {e}."));
            return;
        }
        let size = rec.to_string().len() as u64;
        append_record(&self.s.log_dir.join(RECORDS_FILE), lsn, &rec);
        g.records.insert(lsn, (rec, size));
        g.applied = lsn;
        g.raft.set_last_lsn(lsn);
        self.flush_acks(g);
    }

    /// Replica: acknowledges what was applied, unless `nha-lag` holds the acknowledgements back.
    fn flush_acks(&self, g: &mut Inner) {
        if g.ack_sent >= g.applied {
            return;
        }
        if let Some(kb_limit) = (self.s.hooks.lag_kb)() {
            let pending = bytes_after(&g.records, g.ack_sent, g.applied);
            if kb(pending) <= kb_limit {
                return;
            }
        }
        let Some(leader) = g.raft.leader() else { return };
        if let Some(l) = g.links[leader].as_ref() {
            if l.tx.send(Frame::Ack { term: g.raft.term(), lsn: g.applied }).is_ok() {
                g.ack_sent = g.applied;
            }
        }
    }

    fn housekeeping(&self, g: &mut Inner, now: u64, last_ping: &mut u64) {
        let isolated = (self.s.hooks.isolated)();
        if isolated && !g.isolated {
            for l in g.links.iter_mut() {
                if let Some(l) = l.take() {
                    let _ = l.stream.shutdown(Shutdown::Both);
                }
            }
            for p in 0..g.links.len() {
                g.raft.peer_down(p);
            }
        }
        g.isolated = isolated;
        let ms = (self.s.hooks.election_ms)().unwrap_or(ELECTION_MS);
        if ms != self.election_min.load(Ordering::Relaxed) {
            self.election_min.store(ms, Ordering::Relaxed);
            g.raft.set_election_min(ms);
        }
        // Every instance pings every connection; a connection silent for three election
        // timeouts is dead (a peer gone without closing it) and is dropped, to be dialled again.
        let dead = Duration::from_millis(3 * ms);
        for l in g.links.iter_mut() {
            if l.as_ref().is_some_and(|l| l.last_heard.elapsed() > dead) {
                let _ = l.take().map(|l| l.stream.shutdown(Shutdown::Both));
            }
        }
        if now >= *last_ping + ms / 5 {
            *last_ping = now;
            for l in g.links.iter().flatten() {
                let _ = l.tx.send(Frame::Ping);
            }
        }
    }

    /// Sends what the election produced; with every heartbeat, the active's view of the group.
    fn route(&self, g: &mut Inner, out: raft::Out) {
        for (to, m) in out {
            let heartbeat = matches!(m, proto::Msg::Heartbeat { .. });
            let targets: Vec<usize> = match to {
                To::Peer(p) => vec![p],
                To::All => (0..g.links.len()).filter(|p| *p != self.s.me).collect(),
            };
            for t in targets {
                if let Some(l) = g.links[t].as_ref() {
                    let _ = l.tx.send(Frame::Raft(m.clone()));
                }
            }
            if heartbeat {
                let v = self.leader_rows(g);
                let quorum = (v.iter().filter(|p| p.insync).count() as u8, v.len() as u8);
                for l in g.links.iter().flatten() {
                    let _ = l.tx.send(Frame::View { quorum, peers: v.clone() });
                }
            }
        }
    }

    /// Keeps the persistent raft state on disk, resets the links when this instance starts
    /// leading a term, and wakes anyone waiting.
    fn after_raft(&self, g: &mut Inner) {
        let saved = (g.raft.term(), g.raft.voted_for(), g.raft.formed());
        if saved != g.saved {
            g.saved = saved;
            let s = Saved { term: saved.0, voted_for: saved.1, formed: saved.2 };
            if let Ok(b) = serde_json::to_vec(&s) {
                let _ = crate::engine::store::write_atomic(&self.s.data_dir.join(STATE_FILE), &b);
            }
        }
        let leading = (g.raft.role() == raft::Role::Leader).then(|| g.raft.term());
        if leading != g.led {
            if leading.is_some() {
                // A new term: every replica says where it is before records flow.
                for l in g.links.iter_mut().flatten() {
                    l.sent = None;
                    l.acked = 0;
                }
                self.log(&format!(
                    "AMQ3215I: The local Native HA instance '{}' is now the active instance of queue manager '{}'.",
                    self.s.instances[self.s.me].name, self.s.qm
                ));
            } else {
                // What the engine applied while this instance was active is its log now;
                // records it sent but nobody acknowledged are not.
                g.leader_view = None;
                g.applied = g.applied.max(repl::applied_lsn(&self.s.log_dir));
                g.ack_sent = g.applied;
                let applied = g.applied;
                g.raft.reset_last_lsn(applied);
                g.records.retain(|k, _| *k <= applied);
            }
            g.led = leading;
            self.cond.notify_all();
        }
    }

    /// Active: sends each connected replica the records it lacks, WINDOW at a time.
    fn catch_up(&self, g: &mut Inner) {
        if g.raft.role() != raft::Role::Leader {
            return;
        }
        let (term, last) = (g.raft.term(), g.raft.last_lsn());
        for p in 0..g.links.len() {
            let Some(l) = g.links[p].as_ref() else { continue };
            let Some(sent) = l.sent else { continue };
            if sent >= last || sent >= l.acked + WINDOW {
                continue;
            }
            let upto = last.min(l.acked + WINDOW);
            if !g.records.contains_key(&(sent + 1)) {
                if !g.behind_logged[p] {
                    g.behind_logged[p] = true;
                    self.log(&format!(
                        "AMQ3237I: Native HA instance '{}' needs log records from {} which this instance no longer holds; rebase is not simulated.",
                        self.s.instances[p].name,
                        sent + 1
                    ));
                }
                continue;
            }
            let batch: Vec<(Lsn, serde_json::Value)> =
                g.records.range(sent + 1..=upto).map(|(k, (v, _))| (*k, v.clone())).collect();
            let l = g.links[p].as_mut().unwrap();
            for (lsn, rec) in batch {
                if l.tx.send(Frame::Append { term, lsn, rec }).is_err() {
                    break;
                }
                l.sent = Some(lsn);
            }
        }
    }

    /// The active's rows: itself and each replica with its connection, backlog and sync state.
    fn leader_rows(&self, g: &Inner) -> Vec<PeerView> {
        let last = g.raft.last_lsn();
        (0..self.s.instances.len())
            .map(|p| {
                if p == self.s.me {
                    return PeerView {
                        role: Role::Active,
                        connactv: true,
                        insync: true,
                        backlog_kb: 0,
                        conninst: true,
                    };
                }
                match g.links[p].as_ref() {
                    Some(l) => {
                        let acked = l.acked.min(last);
                        let backlog = bytes_after(&g.records, acked, last);
                        PeerView {
                            role: Role::Replica,
                            connactv: true,
                            insync: l.sent.is_some() && acked >= last,
                            backlog_kb: kb(backlog),
                            conninst: true,
                        }
                    }
                    None => {
                        PeerView { role: Role::Unknown, connactv: false, insync: false, backlog_kb: 0, conninst: false }
                    }
                }
            })
            .collect()
    }

    /// Recomputes the view; tells the host when it changed.
    fn refresh(&self, g: &mut Inner) {
        let n = self.s.instances.len();
        let role = match (g.raft.role(), g.raft.leader()) {
            (raft::Role::Leader, _) => Role::Active,
            (raft::Role::Follower, Some(_)) => Role::Replica,
            _ => Role::Unknown,
        };
        let (quorum, insync, peers) = match role {
            Role::Active => {
                let rows = self.leader_rows(g);
                let q = rows.iter().filter(|p| p.insync).count() as u8;
                (q, true, rows)
            }
            Role::Replica => match g.leader_view.clone() {
                Some((q, _, mut rows)) => {
                    for (p, row) in rows.iter_mut().enumerate() {
                        row.conninst = p == self.s.me || g.links[p].is_some();
                    }
                    (q, rows[self.s.me].insync, rows)
                }
                None => (0, false, self.lone_rows(g, Role::Replica)),
            },
            Role::Unknown => (0, false, self.lone_rows(g, Role::Unknown)),
        };
        let v = View { role, quorum: (quorum, n as u8), insync, peers, term: g.raft.term(), lsn: g.raft.last_lsn() };
        if role == Role::Unknown && g.links.iter().flatten().count() + 1 < n / 2 + 1 {
            if !g.short_logged {
                g.short_logged = true;
                self.log(&format!(
                    "AMQ3235I: Native HA instance '{}' is not connected to enough other instances to form a quorum.",
                    self.s.instances[self.s.me].name
                ));
            }
        } else {
            g.short_logged = false;
        }
        if v != g.view {
            g.view = v.clone();
            (self.s.hooks.changed)(&v);
            self.cond.notify_all();
        }
    }

    fn lone_rows(&self, g: &Inner, me_role: Role) -> Vec<PeerView> {
        (0..self.s.instances.len())
            .map(|p| PeerView {
                role: if p == self.s.me { me_role } else { Role::Unknown },
                connactv: false,
                insync: false,
                backlog_kb: 0,
                conninst: p == self.s.me || g.links[p].is_some(),
            })
            .collect()
    }
}

impl Replicator for Node {
    fn replicate(&self, rec: &ReplRecord) -> Result<Lsn, ReplError> {
        let value = serde_json::to_value(rec).map_err(|e| ReplError::NoQuorum(e.to_string()))?;
        let size = value.to_string().len() as u64;
        let mut g = self.lock();
        if g.raft.role() != raft::Role::Leader || self.failed.load(Ordering::SeqCst) {
            return Err(ReplError::NotLeader);
        }
        let term = g.raft.term();
        let lsn = g.raft.last_lsn() + 1;
        append_record(&self.s.log_dir.join(RECORDS_FILE), lsn, &value);
        g.records.insert(lsn, (value.clone(), size));
        g.raft.set_last_lsn(lsn);
        for l in g.links.iter_mut().flatten() {
            if l.sent == Some(lsn - 1)
                && lsn <= l.acked + WINDOW
                && l.tx.send(Frame::Append { term, lsn, rec: value.clone() }).is_ok()
            {
                l.sent = Some(lsn);
            }
        }
        let deadline = Instant::now() + REPLICATE_BOUND;
        loop {
            if g.links.iter().flatten().any(|l| l.acked >= lsn) {
                return Ok(lsn);
            }
            if g.raft.role() != raft::Role::Leader || g.raft.term() != term {
                return Err(ReplError::NoQuorum(format!(
                    "lost the active role before log record {lsn} was replicated"
                )));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReplError::NoQuorum(format!(
                    "no replica acknowledged log record {lsn} within {} s",
                    REPLICATE_BOUND.as_secs()
                )));
            }
            g = self.cond.wait_timeout(g, left.min(Duration::from_millis(50))).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

fn read_loop(mut stream: TcpStream, peer: usize, id: u64, events: Option<Sender<Event>>) {
    let Some(events) = events else { return };
    loop {
        match proto::read(&mut stream) {
            Ok(Some(frame)) => {
                if events.send(Event::Frame { peer, id, frame }).is_err() {
                    return;
                }
            }
            _ => {
                let _ = stream.shutdown(Shutdown::Both);
                let _ = events.send(Event::Down { peer, id });
                return;
            }
        }
    }
}

fn write_loop(mut stream: TcpStream, rx: Receiver<Frame>) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    for f in rx {
        if proto::write(&mut stream, &f).is_err() {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

/// Bytes of the records after `from` up to `to` (none when `to <= from`: a BTreeMap range must
/// not start past its end).
fn bytes_after(records: &BTreeMap<Lsn, (serde_json::Value, u64)>, from: Lsn, to: Lsn) -> u64 {
    if to <= from {
        return 0;
    }
    records.range(from + 1..=to).map(|(_, (_, s))| *s).sum()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRecord {
    lsn: Lsn,
    rec: serde_json::Value,
}

fn append_record(path: &std::path::Path, lsn: Lsn, rec: &serde_json::Value) {
    let line = match serde_json::to_string(&StoredRecord { lsn, rec: rec.clone() }) {
        Ok(l) => l,
        Err(_) => return,
    };
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
}

/// The record log up to `applied` (a record past it was never acknowledged: dropped).
fn load_records(path: &std::path::Path, applied: Lsn) -> BTreeMap<Lsn, (serde_json::Value, u64)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<StoredRecord>(l).ok())
        .filter(|r| r.lsn <= applied)
        .map(|r| {
            let size = r.rec.to_string().len() as u64;
            (r.lsn, (r.rec, size))
        })
        .collect()
}
