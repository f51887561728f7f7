//! Native HA, the engine's side (issue 18): every durable write of an active instance goes
//! through the `Replicator` before the MQI call succeeds, and a replica that applies the records
//! to its own directories holds exactly the committed state. No networking: an in-process
//! replicator applies each record to a second pair of directories, as a replica would.

use mq_sim::engine::repl::{self, Lsn, ReplError, ReplRecord, Replicator};
use mq_sim::engine::{create_qm_files, CreateOptions, DetachedRuntime, Engine};
use mq_sim::paths::{Installation, QmPaths};
use mq_sim::wire::{ConnectMode, EngineConn, MqiBody, MqscOutcome, MsgDesc, ObjectDesc, Request, Response};
use std::collections::BTreeMap;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const QM: &str = "NHA1";

const MQOT_Q: i32 = 1;
const MQOO_INPUT_SHARED: i32 = 0x2;
const MQOO_BROWSE: i32 = 0x8;
const MQOO_OUTPUT: i32 = 0x10;
const MQPMO_SYNCPOINT: i32 = 0x2;
const MQPMO_NO_SYNCPOINT: i32 = 0x4;
const MQGMO_SYNCPOINT: i32 = 0x2;
const MQGMO_NO_SYNCPOINT: i32 = 0x4;
const MQGMO_BROWSE_FIRST: i32 = 0x10;
const MQGMO_BROWSE_NEXT: i32 = 0x20;
const RC_CONNECTION_BROKEN: i32 = 2009;
const RC_NO_MSG_AVAILABLE: i32 = 2033;
const RC_Q_MGR_NOT_AVAILABLE: i32 = 2059;

/// One instance's installation and queue-manager directories (its OWN data and log).
struct Node {
    inst: Installation,
    qm: QmPaths,
}

fn node(base: &Path, name: &str) -> Node {
    let root = base.join(name);
    let inst_path = root.join("opt/mqm");
    std::fs::create_dir_all(&inst_path).unwrap();
    let inst = Installation {
        root: root.clone(),
        prefix: PathBuf::from("opt/mqm"),
        inst_path: inst_path.clone(),
        bin_dir: inst_path.join("bin"),
        lib64_dir: inst_path.join("lib64"),
        samp_bin_dir: inst_path.join("samp/bin"),
        data_root: root.join("var/mqm"),
        user: "mqm".into(),
        group: "mqm".into(),
        version: "9.4.4.0".into(),
        name: "Installation1".into(),
        node: name.into(),
    };
    let data_dir = root.join("var/mqm/qmgrs").join(QM);
    let qm = QmPaths {
        name: QM.into(),
        dir_name: QM.into(),
        prefix: root.join("var/mqm"),
        data_dir: data_dir.clone(),
        data_path_explicit: false,
        log_dir: root.join("var/mqm/log").join(QM),
        qm_ini: data_dir.join("qm.ini"),
        errors_dir: data_dir.join("errors"),
        installation: None,
    };
    create_qm_files(&inst, &qm, &CreateOptions::default()).unwrap();
    Node { inst, qm }
}

/// The in-process stand-in for the transport and a replica: numbers each record, applies it
/// to the replica's directories with `repl::apply_at`, keeps it, and acknowledges; refuses
/// everything while `fail` is set.
struct Mirror {
    data: PathBuf,
    log: PathBuf,
    lsn: Mutex<Lsn>,
    records: Mutex<Vec<(Lsn, ReplRecord)>>,
    fail: AtomicBool,
}

impl Mirror {
    fn to(replica: &Node) -> Arc<Mirror> {
        Arc::new(Mirror {
            data: replica.qm.data_dir.clone(),
            log: replica.qm.log_dir.clone(),
            lsn: Mutex::new(0),
            records: Mutex::new(Vec::new()),
            fail: AtomicBool::new(false),
        })
    }

    fn count(&self) -> usize {
        self.records.lock().unwrap().len()
    }
}

impl Replicator for Mirror {
    fn replicate(&self, rec: &ReplRecord) -> Result<Lsn, ReplError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(ReplError::NoQuorum("no replica acknowledged within 1000 ms".into()));
        }
        let mut lsn = self.lsn.lock().unwrap();
        *lsn += 1;
        // Through the wire format, as the transport carries it.
        let rec: ReplRecord = serde_json::from_slice(&serde_json::to_vec(rec).unwrap()).unwrap();
        assert!(repl::apply_at(&self.data, &self.log, *lsn, &rec).unwrap(), "a new LSN is applied");
        self.records.lock().unwrap().push((*lsn, rec));
        Ok(*lsn)
    }
}

/// An application's connection, served by the engine on its own thread as a bindings socket is.
struct App {
    conn: EngineConn<UnixStream>,
}

impl App {
    fn connect(engine: &Arc<Engine>) -> (App, Response) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        ours.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let e = Arc::clone(engine);
        std::thread::spawn(move || e.serve(theirs));
        let mut conn = EngineConn::new(ours);
        let r = conn
            .call(&Request::Connect {
                qm_name: QM.into(),
                mode: ConnectMode::Bindings,
                appl_name: "nha_replication".into(),
                pid: std::process::id(),
            })
            .unwrap();
        (App { conn }, r)
    }

    fn new(engine: &Arc<Engine>) -> App {
        let (app, r) = App::connect(engine);
        assert_eq!(mqi(&r), (0, 0), "MQCONN: {r:?}");
        app
    }

    fn mqsc(&mut self, cmd: &str) -> (Vec<String>, MqscOutcome) {
        match self.conn.call(&Request::Mqsc { command: cmd.into() }).unwrap() {
            Response::Mqsc { lines, outcome } => (lines, outcome),
            other => panic!("{cmd}: {other:?}"),
        }
    }

    fn ok_mqsc(&mut self, cmd: &str) {
        let (lines, outcome) = self.mqsc(cmd);
        assert_eq!(outcome, MqscOutcome::Processed, "{cmd}: {lines:?}");
    }

    fn open(&mut self, q: &str, options: i32) -> i32 {
        let od = ObjectDesc { object_type: MQOT_Q, object_name: q.into(), ..Default::default() };
        match self.conn.call(&Request::Open { od, options }).unwrap() {
            Response::Mqi { cc: 0, body: MqiBody::Opened { hobj, .. }, .. } => hobj,
            other => panic!("MQOPEN {q}: {other:?}"),
        }
    }

    fn put(&mut self, hobj: i32, text: &str, persistent: bool, syncpoint: bool) -> (i32, i32) {
        let md = MsgDesc { persistence: i32::from(persistent), ..Default::default() };
        let pmo_options = if syncpoint { MQPMO_SYNCPOINT } else { MQPMO_NO_SYNCPOINT };
        let r = self.conn.call(&Request::Put { hobj, md, pmo_options, data: text.as_bytes().to_vec() }).unwrap();
        mqi(&r)
    }

    fn get(&mut self, hobj: i32, syncpoint: bool) -> Option<String> {
        let gmo_options = if syncpoint { MQGMO_SYNCPOINT } else { MQGMO_NO_SYNCPOINT };
        let req = Request::Get {
            hobj,
            md: MsgDesc::default(),
            gmo_options,
            match_options: 0,
            wait_ms: 0,
            buffer_len: 1 << 20,
        };
        match self.conn.call(&req).unwrap() {
            Response::Mqi { cc: 0, body: MqiBody::Got { data, .. }, .. } => Some(String::from_utf8(data).unwrap()),
            Response::Mqi { reason: RC_NO_MSG_AVAILABLE, .. } => None,
            other => panic!("MQGET: {other:?}"),
        }
    }

    fn commit(&mut self) -> (i32, i32) {
        mqi(&self.conn.call(&Request::Commit).unwrap())
    }

    fn backout(&mut self) -> (i32, i32) {
        mqi(&self.conn.call(&Request::Backout).unwrap())
    }

    /// Every message on the queue, in order (browse: nothing moves).
    fn contents(&mut self, q: &str) -> Vec<String> {
        let hobj = self.open(q, MQOO_BROWSE);
        let mut out = Vec::new();
        let mut gmo = MQGMO_BROWSE_FIRST;
        loop {
            let req = Request::Get {
                hobj,
                md: MsgDesc::default(),
                gmo_options: gmo,
                match_options: 0,
                wait_ms: 0,
                buffer_len: 1 << 20,
            };
            match self.conn.call(&req).unwrap() {
                Response::Mqi { cc: 0, body: MqiBody::Got { data, .. }, .. } => {
                    out.push(String::from_utf8(data).unwrap())
                }
                Response::Mqi { reason: RC_NO_MSG_AVAILABLE, .. } => break,
                other => panic!("browse {q}: {other:?}"),
            }
            gmo = MQGMO_BROWSE_NEXT;
        }
        out
    }
}

fn mqi(r: &Response) -> (i32, i32) {
    match r {
        Response::Mqi { cc, reason, .. } => (*cc, *reason),
        other => panic!("not an MQI reply: {other:?}"),
    }
}

fn open_leader(n: &Node, mirror: &Arc<Mirror>) -> Arc<Engine> {
    let r: Arc<dyn Replicator> = mirror.clone();
    Engine::open_replicated(&n.inst, &n.qm, Arc::new(DetachedRuntime), Some(r)).unwrap()
}

/// The engine a restarted (or newly elected) instance opens from its local files.
fn reopen(n: &Node) -> Arc<Engine> {
    Engine::open(&n.inst, &n.qm, Arc::new(DetachedRuntime)).unwrap()
}

/// The files a restarted engine reads: the catalogue and everything under the log directory.
fn durable_files(n: &Node) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let name = format!("{rel}/{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &name, out);
            } else {
                out.insert(name, std::fs::read(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    out.insert("data/mqsim-objects.json".into(), std::fs::read(n.qm.data_dir.join("mqsim-objects.json")).unwrap());
    walk(&n.qm.log_dir, "log", &mut out);
    out
}

fn assert_same_files(a: &Node, b: &Node, what: &str) {
    let (fa, fb) = (durable_files(a), durable_files(b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>(), "{what}: same files");
    for (k, v) in &fa {
        assert!(
            fb[k] == *v,
            "{what}: {k} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(v),
            String::from_utf8_lossy(&fb[k])
        );
    }
}

fn display(app: &mut App, cmd: &str) -> String {
    let (lines, outcome) = app.mqsc(cmd);
    assert_eq!(outcome, MqscOutcome::Processed, "{cmd}: {lines:?}");
    lines.join("\n")
}

/// The state an application sees, for comparing two engines.
fn observe(engine: &Arc<Engine>) -> (Vec<String>, Vec<String>, Vec<String>, String, String) {
    let mut app = App::new(engine);
    let a = app.contents("APP.A");
    let b = app.contents("APP.B");
    let np = app.contents("APP.NP");
    let (gone_lines, gone) = app.mqsc("DISPLAY QLOCAL(APP.GONE)");
    assert_eq!(gone, MqscOutcome::Failed, "APP.GONE was deleted: {gone_lines:?}");
    let descr = display(&mut app, "DISPLAY QLOCAL(APP.A) DESCR MAXDEPTH");
    let qmid = display(&mut app, "DISPLAY QMGR QMID DESCR");
    (a, b, np, descr, qmid)
}

#[test]
fn a_replica_opened_after_the_leader_holds_exactly_its_committed_state() {
    let tmp = tempfile::tempdir().unwrap();
    let leader = node(tmp.path(), "a");
    // The replica ran its own crtmqm (another creation stamp): the leader's start of term
    // replaces its catalogue.
    std::thread::sleep(Duration::from_millis(1100));
    let replica = node(tmp.path(), "b");
    let mirror = Mirror::to(&replica);
    let engine = open_leader(&leader, &mirror);
    assert!(engine.is_replicated());
    assert_eq!(mirror.count(), 1, "the start of a term replicates the whole state");
    let mut app = App::new(&engine);
    app.ok_mqsc("DEFINE QLOCAL(APP.A)");
    app.ok_mqsc("DEFINE QLOCAL(APP.B)");
    app.ok_mqsc("DEFINE QLOCAL(APP.NP)");
    app.ok_mqsc("DEFINE QLOCAL(APP.GONE)");
    app.ok_mqsc("ALTER QLOCAL(APP.A) DESCR('replicated') MAXDEPTH(777)");
    app.ok_mqsc("ALTER QMGR DESCR('group of three')");
    app.ok_mqsc("DELETE QLOCAL(APP.GONE)");

    let a = app.open("APP.A", MQOO_OUTPUT | MQOO_INPUT_SHARED);
    let b = app.open("APP.B", MQOO_OUTPUT | MQOO_INPUT_SHARED);
    let np = app.open("APP.NP", MQOO_OUTPUT);
    for i in 1..=5 {
        assert_eq!(app.put(a, &format!("a{i}"), true, false), (0, 0));
    }
    assert_eq!(app.put(a, "a-nonpersistent", false, false), (0, 0));
    assert_eq!(app.put(np, "np1", false, false), (0, 0));
    assert_eq!(app.get(a, false).as_deref(), Some("a1"), "a persistent get outside a unit of work");

    // Units of work: nothing is durable before MQCMIT.
    let before = mirror.count();
    assert_eq!(app.put(b, "b1", true, true), (0, 0));
    assert_eq!(app.put(b, "b2", true, true), (0, 0));
    assert_eq!(app.get(a, true).as_deref(), Some("a2"));
    assert_eq!(mirror.count(), before, "an open unit of work replicates nothing");
    assert_eq!(app.commit(), (0, 0));
    assert_eq!(mirror.count(), before + 1, "a commit is one record");
    assert_eq!(app.put(b, "b-backed-out", true, true), (0, 0));
    assert_eq!(app.get(a, true).as_deref(), Some("a3"));
    let before = mirror.count();
    assert_eq!(app.backout(), (0, 0));
    assert_eq!(mirror.count(), before, "a backout writes nothing");
    // Left open: an uncommitted put the leader's files do not hold.
    let mut other = App::new(&engine);
    let ob = other.open("APP.B", MQOO_OUTPUT);
    assert_eq!(other.put(ob, "b-uncommitted", true, true), (0, 0));

    let want_a: Vec<String> = ["a3", "a4", "a5"].iter().map(|s| s.to_string()).collect();
    let want_b: Vec<String> = ["b1", "b2"].iter().map(|s| s.to_string()).collect();
    assert_same_files(&leader, &replica, "leader and replica");

    // The replica is elected: its engine, from its own files, has the committed state.
    let r = observe(&reopen(&replica));
    assert_eq!(r.0, want_a, "persistent, committed messages of APP.A");
    assert_eq!(r.1, want_b, "committed puts only");
    assert!(r.2.is_empty(), "non-persistent messages are lost with the leader: {:?}", r.2);
    assert!(r.3.contains("DESCR(replicated)") && r.3.contains("MAXDEPTH(777)"), "{}", r.3);
    assert!(r.4.contains("DESCR(group of three)"), "{}", r.4);
    // The same as the leader's own files give a restarted leader.
    let l = observe(&reopen(&leader));
    assert_eq!(r, l, "replica and leader reopened");
    let qmid = |n: &Node| {
        let cat: serde_json::Value =
            serde_json::from_slice(&std::fs::read(n.qm.data_dir.join("mqsim-objects.json")).unwrap()).unwrap();
        cat["qmid"].as_str().unwrap().to_string()
    };
    assert_eq!(qmid(&replica), qmid(&leader), "the replica took the leader's QMID");
}

#[test]
fn a_journal_fold_reaches_the_replica_and_reapplying_every_record_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let leader = node(tmp.path(), "a");
    let replica = node(tmp.path(), "b");
    let mirror = Mirror::to(&replica);
    let engine = open_leader(&leader, &mirror);
    let mut app = App::new(&engine);
    app.ok_mqsc("DEFINE QLOCAL(APP.FOLD)");
    let q = app.open("APP.FOLD", MQOO_OUTPUT | MQOO_INPUT_SHARED);
    // 1200 journal lines for at most 600 live messages: the journal is folded on the way.
    for i in 0..600 {
        assert_eq!(app.put(q, &format!("m{i}"), true, false), (0, 0));
    }
    for i in 0..590 {
        assert_eq!(app.get(q, false), Some(format!("m{i}")));
    }
    let folds = mirror
        .records
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, r)| match r {
            ReplRecord::Batch { records } => {
                records.iter().any(|x| matches!(x, ReplRecord::Snapshot { queue, .. } if queue == "APP.FOLD"))
            }
            _ => false,
        })
        .count();
    assert_eq!(folds, 1, "one fold, replicated with the line that triggered it");
    let jnl = |n: &Node| std::fs::read_to_string(n.qm.log_dir.join("mqsim-messages/APP!FOLD.jnl")).unwrap();
    assert!(jnl(&replica).lines().count() < 300, "the replica's journal was folded too");
    assert_same_files(&leader, &replica, "after the fold");
    assert_eq!(repl::applied_lsn(&replica.qm.log_dir), *mirror.lsn.lock().unwrap());
    assert_eq!(repl::applied_lsn(&leader.qm.log_dir), repl::applied_lsn(&replica.qm.log_dir));

    // A record re-sent after a reconnect: apply_at knows its LSN was applied.
    let records = mirror.records.lock().unwrap().clone();
    for (lsn, rec) in &records {
        assert!(!repl::apply_at(&replica.qm.data_dir, &replica.qm.log_dir, *lsn, rec).unwrap());
    }
    assert_same_files(&leader, &replica, "re-sent records are skipped");

    // apply itself is idempotent: a third instance given every record twice in a row (a
    // crash between the write and the LSN mark) ends with the same files.
    let third = node(tmp.path(), "c");
    for (_, rec) in &records {
        repl::apply(&third.qm.data_dir, &third.qm.log_dir, rec).unwrap();
        repl::apply(&third.qm.data_dir, &third.qm.log_dir, rec).unwrap();
    }
    std::fs::copy(leader.qm.log_dir.join(repl::APPLIED_LSN_FILE), third.qm.log_dir.join(repl::APPLIED_LSN_FILE))
        .unwrap();
    assert_same_files(&leader, &third, "every record applied twice");
    let want: Vec<String> = (590..600).map(|i| format!("m{i}")).collect();
    assert_eq!(App::new(&reopen(&third)).contents("APP.FOLD"), want);
}

#[test]
fn a_put_the_replicas_do_not_acknowledge_fails_2009_and_is_on_neither_instance() {
    let tmp = tempfile::tempdir().unwrap();
    let leader = node(tmp.path(), "a");
    let replica = node(tmp.path(), "b");
    let mirror = Mirror::to(&replica);
    let engine = open_leader(&leader, &mirror);
    let mut app = App::new(&engine);
    app.ok_mqsc("DEFINE QLOCAL(APP.A)");
    let q = app.open("APP.A", MQOO_OUTPUT | MQOO_INPUT_SHARED);
    assert_eq!(app.put(q, "confirmed", true, false), (0, 0));
    let mut reader = App::new(&engine);
    let rq = reader.open("APP.A", MQOO_INPUT_SHARED | MQOO_BROWSE);

    mirror.fail.store(true, Ordering::SeqCst);
    assert_eq!(app.put(q, "refused", true, false), (2, RC_CONNECTION_BROKEN));
    assert!(engine.fenced().is_some(), "the engine lost the right to write");
    // The connection is broken: the next call finds the socket closed.
    assert!(app.conn.call(&Request::Commit).is_err(), "connection broken after 2009");
    // Every other connection too, at once (its unit of work backed out).
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while engine.connection_count() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(engine.connection_count(), 0, "every connection broken at once");
    let _ = rq;
    assert!(reader.conn.call(&Request::Backout).is_err(), "other connections broken");
    let (_, r) = App::connect(&engine);
    assert_eq!(mqi(&r), (2, RC_Q_MGR_NOT_AVAILABLE), "new connections refused");
    engine.shutdown();

    assert_same_files(&leader, &replica, "nothing half-applied");
    for n in [&leader, &replica] {
        assert_eq!(App::new(&reopen(n)).contents("APP.A"), vec!["confirmed".to_string()]);
    }
}

#[test]
fn a_commit_not_acknowledged_is_backed_out_on_both_instances() {
    let tmp = tempfile::tempdir().unwrap();
    let leader = node(tmp.path(), "a");
    let replica = node(tmp.path(), "b");
    let mirror = Mirror::to(&replica);
    let engine = open_leader(&leader, &mirror);
    let mut app = App::new(&engine);
    app.ok_mqsc("DEFINE QLOCAL(APP.A)");
    let q = app.open("APP.A", MQOO_OUTPUT | MQOO_INPUT_SHARED);
    assert_eq!(app.put(q, "kept", true, false), (0, 0));
    assert_eq!(app.put(q, "u1", true, true), (0, 0));
    assert_eq!(app.get(q, true).as_deref(), Some("kept"));

    mirror.fail.store(true, Ordering::SeqCst);
    assert_eq!(app.commit(), (2, RC_CONNECTION_BROKEN), "MQCMIT not acknowledged");
    assert!(app.conn.call(&Request::Backout).is_err(), "connection broken after 2009");
    engine.shutdown();

    assert_same_files(&leader, &replica, "nothing half-applied");
    for n in [&leader, &replica] {
        assert_eq!(App::new(&reopen(n)).contents("APP.A"), vec!["kept".to_string()], "the unit of work backed out");
    }
}

#[test]
fn a_definition_not_acknowledged_fails_and_exists_on_neither_instance() {
    let tmp = tempfile::tempdir().unwrap();
    let leader = node(tmp.path(), "a");
    let replica = node(tmp.path(), "b");
    let mirror = Mirror::to(&replica);
    let engine = open_leader(&leader, &mirror);
    let mut admin = App::new(&engine);
    admin.ok_mqsc("DEFINE QLOCAL(APP.A)");

    mirror.fail.store(true, Ordering::SeqCst);
    let (lines, outcome) = admin.mqsc("DEFINE QLOCAL(APP.NEW)");
    assert_eq!(outcome, MqscOutcome::Failed);
    assert_eq!(lines, vec!["AMQ8146E: IBM MQ queue manager not available.".to_string()]);
    assert!(admin.conn.call(&Request::Mqsc { command: "DISPLAY QMGR".into() }).is_err(), "runmqsc's connection broken");
    engine.shutdown();

    assert_same_files(&leader, &replica, "nothing half-applied");
    for n in [&leader, &replica] {
        let mut app = App::new(&reopen(n));
        assert_eq!(app.mqsc("DISPLAY QLOCAL(APP.A)").1, MqscOutcome::Processed);
        assert_eq!(app.mqsc("DISPLAY QLOCAL(APP.NEW)").1, MqscOutcome::Failed, "APP.NEW never defined");
    }
}

#[test]
fn a_definition_refused_at_the_start_of_a_term_opens_no_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let leader = node(tmp.path(), "a");
    let replica = node(tmp.path(), "b");
    let mirror = Mirror::to(&replica);
    mirror.fail.store(true, Ordering::SeqCst);
    let r: Arc<dyn Replicator> = mirror.clone();
    let before = durable_files(&leader);
    match Engine::open_replicated(&leader.inst, &leader.qm, Arc::new(DetachedRuntime), Some(r)) {
        Err(e) => assert!(e.to_string().contains("no quorum"), "{e}"),
        Ok(_) => panic!("an engine opened without quorum"),
    }
    assert!(durable_files(&leader) == before, "the leader's files untouched");
}

/// Benchmark (prints, asserts only correctness): what replication costs a persistent put, and
/// how large the records are on the wire (serde_json, as the transport frames them).
#[test]
fn replication_cost_per_persistent_put_is_printed() {
    const N: usize = 2000;
    let tmp = tempfile::tempdir().unwrap();
    let run = |engine: &Arc<Engine>| {
        let mut app = App::new(engine);
        app.ok_mqsc("DEFINE QLOCAL(APP.BENCH)");
        let q = app.open("APP.BENCH", MQOO_OUTPUT);
        let t = std::time::Instant::now();
        for i in 0..N {
            assert_eq!(app.put(q, &format!("message {i:06} {}", "x".repeat(100)), true, false), (0, 0));
        }
        t.elapsed()
    };
    let plain = node(tmp.path(), "plain");
    let alone = run(&reopen(&plain));
    let leader = node(tmp.path(), "a");
    let replica = node(tmp.path(), "b");
    let mirror = Mirror::to(&replica);
    let replicated = run(&open_leader(&leader, &mirror));
    assert_eq!(App::new(&reopen(&replica)).contents("APP.BENCH").len(), N);
    let records = mirror.records.lock().unwrap();
    let wire = |pred: &dyn Fn(&ReplRecord) -> bool| {
        records.iter().filter(|(_, r)| pred(r)).map(|(_, r)| serde_json::to_vec(r).unwrap().len()).max().unwrap_or(0)
    };
    let catalogue_file = std::fs::metadata(leader.qm.data_dir.join("mqsim-objects.json")).unwrap().len();
    eprintln!(
        "nha-bench: {N} persistent puts: no replicator {:.1} us/put, in-process replica {:.1} us/put; \
         wire bytes: journal put {} B, catalogue {} B (file {} B), start of term {} B",
        alone.as_secs_f64() * 1e6 / N as f64,
        replicated.as_secs_f64() * 1e6 / N as f64,
        wire(&|r| matches!(r, ReplRecord::Journal { .. })),
        wire(&|r| matches!(r, ReplRecord::Catalogue { .. })),
        catalogue_file,
        wire(&|r| matches!(r, ReplRecord::Full { .. })),
    );
}

#[test]
fn losing_the_active_role_breaks_every_connection_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let leader = node(tmp.path(), "a");
    let replica = node(tmp.path(), "b");
    let mirror = Mirror::to(&replica);
    let engine = open_leader(&leader, &mirror);
    let mut admin = App::new(&engine);
    admin.ok_mqsc("DEFINE QLOCAL(APP.A)");
    let mut app = App::new(&engine);
    let q = app.open("APP.A", MQOO_OUTPUT | MQOO_INPUT_SHARED);
    assert_eq!(app.put(q, "kept", true, false), (0, 0));
    assert_eq!(app.put(q, "in-flight", true, true), (0, 0));
    // A getter blocked in MQGET with a long wait.
    let mut waiter = App::new(&engine);
    let wq = waiter.open("APP.A", MQOO_INPUT_SHARED);
    let blocked = std::thread::spawn(move || {
        let req = Request::Get {
            hobj: wq,
            md: MsgDesc { msg_id: [7; 24], ..Default::default() },
            gmo_options: 0x1 | MQGMO_NO_SYNCPOINT,
            match_options: 1,
            wait_ms: 60_000,
            buffer_len: 100,
        };
        let t = std::time::Instant::now();
        let r = waiter.conn.call(&req);
        (r, t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    let records = mirror.count();
    engine.fence("lost quorum");
    let (r, waited) = blocked.join().unwrap();
    assert!(waited < Duration::from_secs(5), "the waiting MQGET ended at once ({waited:?})");
    assert!(matches!(r, Err(_) | Ok(Response::Mqi { reason: RC_CONNECTION_BROKEN, .. })), "{r:?}");
    // Idle connections are gone without waiting for their next call (units of work backed out).
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while engine.connection_count() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(engine.connection_count(), 0, "every connection broken at once");
    assert!(app.conn.call(&Request::Commit).is_err(), "an idle connection is broken too");
    assert!(admin.conn.call(&Request::Mqsc { command: "DISPLAY QMGR".into() }).is_err());
    assert_eq!(mqi(&App::connect(&engine).1), (2, RC_Q_MGR_NOT_AVAILABLE));
    engine.shutdown();
    assert_eq!(mirror.count(), records, "nothing written after the fence");
    assert_same_files(&leader, &replica, "after the fence");
    assert_eq!(App::new(&reopen(&replica)).contents("APP.A"), vec!["kept".to_string()]);
}
