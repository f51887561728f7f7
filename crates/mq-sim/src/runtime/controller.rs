//! amqzxma0, the execution controller: takes the queue manager (multi-instance lock), hosts the
//! engine, starts the family, serves endmqm on its control socket, and records how it ended.
//! A standby instance waits for the lock here and takes over when the active one goes away.

use super::{clock, control, family, ipc, lock, procs};
use crate::engine::{ComponentState, Engine, ListenerSpec, ListenerStatus, QmRuntime, RunState};
use crate::faults::{self, Fault};
use crate::ini::{IniFile, Stanza};
use crate::nha::config::NhaConfig;
use crate::nha::node::{self, Node};
use crate::nha::proto::Role as NhaViewRole;
use crate::nha::status::{NhaPeer, NhaRole, NhaStatus};
use crate::paths::{Installation, QmPaths};
use crate::status::QmState;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How endmqm asked us to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndMode {
    Controlled,
    Immediate,
    Preemptive,
}

impl EndMode {
    pub fn parse(s: &str) -> Option<EndMode> {
        match s {
            "c" | "w" => Some(EndMode::Controlled),
            "i" => Some(EndMode::Immediate),
            "p" => Some(EndMode::Preemptive),
            _ => None,
        }
    }
    fn ending_state(self) -> QmState {
        match self {
            EndMode::Controlled => QmState::Quiescing,
            EndMode::Immediate => QmState::EndingImmediately,
            EndMode::Preemptive => QmState::EndingPreemptively,
        }
    }
    pub fn ended_state(self) -> QmState {
        match self {
            EndMode::Controlled => QmState::EndedNormally,
            EndMode::Immediate => QmState::EndedImmediately,
            EndMode::Preemptive => QmState::EndedPreemptively,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct EndRequest {
    mode: EndMode,
    switchover: bool,
    /// Native HA: plain endmqm on the active ends the replicas too.
    group: bool,
}

/// Records the shared state of the QM (qmstatus.ini in the data directory).
pub fn write_status(inst: &Installation, qm: &QmPaths, state: QmState, permit_standby: bool, switchover: bool) {
    let f = IniFile {
        header: vec![],
        stanzas: vec![Stanza::new("QueueManagerStatus")
            .with("CurrentStatus", state.text())
            .with("PermitStandby", if permit_standby { "Yes" } else { "No" })
            .with("Switchover", if switchover { "Yes" } else { "No" })
            .with("ActiveNode", inst.node.clone())
            .with("ActivePid", std::process::id().to_string())
            .with("InstPath", inst.inst_path.display().to_string())],
    };
    let _ = f.write(&qm.status_file());
    if nix::unistd::Uid::effective().is_root() {
        if let Ok(ids) = crate::authority::mq_ids(inst) {
            let _ = crate::authority::chown_tree(&qm.status_file(), &ids);
        }
    }
}

pub fn read_status(qm: &QmPaths) -> Option<Stanza> {
    IniFile::read(&qm.status_file()).ok()?.first("QueueManagerStatus").cloned()
}

fn write_role(inst: &Installation, qm: &QmPaths, role: QmState) {
    let dir = inst.run_dir(qm);
    let tmp = dir.join(format!("role.tmp{}", std::process::id()));
    let _ = std::fs::write(&tmp, role.text());
    let _ = std::fs::rename(&tmp, dir.join("role"));
}

/// Appends an entry to the queue manager's error log, written by this process (the execution
/// controller or a command), in IBM's format (`crate::diag`).
pub fn error_log(inst: &Installation, qm: &QmPaths, text: &str) {
    crate::diag::error_log(inst, qm, &crate::diag::Entry::plain("amqzxma0", std::process::id(), text));
}

/// The link to amqzmgr0: replies are read line by line, requests written on the other clone.
type MgrLink = (BufReader<UnixStream>, UnixStream);

/// A listener we started: its pid and (STARTDA, STARTTI).
type Started = (u32, (String, String));

struct Shared {
    end: Option<EndRequest>,
    standby_end: bool,
}

pub struct Controller {
    inst: Installation,
    qm: QmPaths,
    permit_standby: bool,
    started: (String, String),
    mgr: Mutex<Option<MgrLink>>,
    listeners: Mutex<HashMap<String, Started>>,
    shared: Mutex<Shared>,
    cond: Condvar,
    /// The Native HA node of this instance (None for every other queue manager).
    nha: Mutex<Option<Arc<Node>>>,
}

impl Controller {
    fn mgr_request(&self, line: &str) -> Result<String, String> {
        let mut g = self.mgr.lock().unwrap();
        let Some((r, w)) = g.as_mut() else { return Err("process controller not running".into()) };
        w.write_all(format!("{line}\n").as_bytes()).map_err(|e| e.to_string())?;
        let mut reply = String::new();
        r.read_line(&mut reply).map_err(|e| e.to_string())?;
        let reply = reply.trim_end().to_string();
        match reply.strip_prefix("OK") {
            Some(rest) => Ok(rest.trim().to_string()),
            None => Err(reply),
        }
    }

    fn component_pid(&self, prog: &str) -> Option<i32> {
        procs::component(&self.inst, &self.qm, prog).first().map(|p| p.pid)
    }

    pub fn start_cmdserver(&self) -> Result<bool, String> {
        if self.component_pid("amqpcsea").is_some() {
            return Ok(false);
        }
        self.mgr_request("CSV").map(|_| true)
    }

    pub fn stop_component(&self, prog: &str) -> bool {
        match self.component_pid(prog) {
            Some(pid) => {
                let _ = self.mgr_request(&format!("STOP {pid}"));
                let deadline = Instant::now() + Duration::from_secs(5);
                while procs::alive(pid) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                true
            }
            None => false,
        }
    }

    pub fn start_chinit(&self) -> Result<bool, String> {
        if self.component_pid("runmqchi").is_some() {
            return Ok(false);
        }
        self.mgr_request("CHI").map(|_| true)
    }
}

fn component_state(present: bool) -> ComponentState {
    if present {
        ComponentState::Running
    } else {
        ComponentState::Stopped
    }
}

/// Reads `-p PORT -i IP -b BACKLOG` back from a runmqlsr command line.
fn listener_args(argv: &[String]) -> (u16, String, u32) {
    let mut port = 1414;
    let mut ip = String::new();
    // runmqlsr's default backlog is 100 (DISPLAY LSSTATUS shows BACKLOG(100),
    // docs/reference/mq-commands.md#display-listener).
    let mut backlog = 100;
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-p" => port = it.next().and_then(|v| v.parse().ok()).unwrap_or(port),
            "-i" => ip = it.next().cloned().unwrap_or_default(),
            "-b" => backlog = it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            _ => {}
        }
    }
    (port, ip, backlog)
}

impl QmRuntime for Controller {
    fn start_listener(&self, l: &ListenerSpec) -> Result<u32, String> {
        if let Some((pid, _)) = self.listeners.lock().unwrap().get(&l.name) {
            if procs::alive(*pid as i32) {
                return Ok(*pid);
            }
        }
        let ip = if l.ipaddr.trim().is_empty() { "-".to_string() } else { l.ipaddr.trim().to_string() };
        let pid: u32 = self
            .mgr_request(&format!("LSR {} {} {}", l.port, ip, l.backlog))?
            .parse()
            .map_err(|_| "bad pid from process controller".to_string())?;
        self.listeners.lock().unwrap().insert(l.name.clone(), (pid, clock::mq_date_time(clock::now_secs())));
        Ok(pid)
    }

    fn stop_listener(&self, name: &str) -> Result<(), String> {
        let entry = self.listeners.lock().unwrap().remove(name);
        match entry {
            Some((pid, _)) if procs::alive(pid as i32) => {
                self.mgr_request(&format!("STOP {pid}"))?;
                let deadline = Instant::now() + Duration::from_secs(5);
                while procs::alive(pid as i32) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(())
            }
            _ => Err(format!("listener {name} is not running")),
        }
    }

    fn listeners(&self) -> Vec<ListenerStatus> {
        let known = self.listeners.lock().unwrap().clone();
        procs::component(&self.inst, &self.qm, "runmqlsr")
            .into_iter()
            .map(|p| {
                let (port, ipaddr, backlog) = listener_args(&p.argv);
                let named = known.iter().find(|(_, (pid, _))| *pid as i32 == p.pid);
                let (name, (start_date, start_time)) = match named {
                    Some((n, (_, st))) => (n.clone(), st.clone()),
                    None => (String::new(), self.started.clone()),
                };
                ListenerStatus { name, pid: p.pid as u32, port, ipaddr, backlog, start_date, start_time }
            })
            .collect()
    }

    fn cmdserver(&self) -> ComponentState {
        component_state(self.component_pid("amqpcsea").is_some())
    }

    fn chinit(&self) -> ComponentState {
        component_state(self.component_pid("runmqchi").is_some())
    }

    fn standby_permitted(&self) -> bool {
        self.permit_standby
    }

    fn started(&self) -> (String, String) {
        self.started.clone()
    }
}

struct Options {
    name: String,
    permit_standby: bool,
    no_services: bool,
}

fn parse(args: &[String]) -> Option<Options> {
    let mut o = Options { name: String::new(), permit_standby: false, no_services: false };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-m" => o.name = it.next()?.clone(),
            "-x" => o.permit_standby = true,
            "-ns" => o.no_services = true,
            "-u" => {
                it.next()?;
            }
            _ => {}
        }
    }
    (!o.name.is_empty()).then_some(o)
}

/// Exit codes the controller reports to strmqm through its outcome file.
pub const OUTCOME_FILE: &str = "outcome";

fn outcome(inst: &Installation, qm: &QmPaths, text: &str) {
    let _ = std::fs::write(inst.run_dir(qm).join(OUTCOME_FILE), text);
}

pub fn main(args: Vec<String>) -> i32 {
    let Some(opts) = parse(&args) else {
        eprintln!("amqzxma0: usage: amqzxma0 -m QMgrName [-x] -u User");
        return 20;
    };
    let (inst, qm) = match Installation::current().and_then(|i| i.qm(&opts.name).map(|q| (i, q))) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("amqzxma0: {e}");
            return 20;
        }
    };
    let run = inst.run_dir(&qm);
    let _ = std::fs::create_dir_all(&run);
    let _ = std::fs::remove_file(run.join(OUTCOME_FILE));
    let _ = std::fs::write(run.join("controller.pid"), std::process::id().to_string());
    let ctl = match control::bind(&inst, &qm) {
        Ok(l) => l,
        Err(e) => {
            outcome(&inst, &qm, &format!("error another controller holds the control socket: {e}"));
            return 20;
        }
    };
    family::become_subreaper();
    family::start_reaper();
    let started = clock::mq_date_time(clock::now_secs());
    let ctrl = Arc::new(Controller {
        inst: inst.clone(),
        qm: qm.clone(),
        permit_standby: opts.permit_standby,
        started,
        mgr: Mutex::new(None),
        listeners: Mutex::new(HashMap::new()),
        shared: Mutex::new(Shared { end: None, standby_end: false }),
        cond: Condvar::new(),
        nha: Mutex::new(None),
    });
    {
        let c = ctrl.clone();
        std::thread::spawn(move || serve_control(c, ctl));
    }

    // A Native HA instance shares nothing with the other two: no lock, its own election.
    match NhaConfig::load(&qm.data_dir) {
        Ok(Some(cfg)) => return run_native_ha(&ctrl, &opts, cfg),
        Ok(None) => {}
        Err(e) => {
            error_log(&inst, &qm, &e.to_string());
            outcome(&inst, &qm, &format!("error {e}"));
            return 71;
        }
    }

    // Take the queue manager, or wait as a standby. A dead node's lease still holds it.
    let mut standby_kids = Vec::new();
    let got = match lock::try_lock(&qm.master_lock()) {
        Ok(Some(_)) if lock::lease_elsewhere(&qm, &inst.node).is_some() => Ok(None),
        other => other,
    };
    let master = match got {
        Ok(Some(l)) => l,
        Ok(None) if opts.permit_standby => match standby(&ctrl) {
            Some((l, kids)) => {
                standby_kids = kids;
                l
            }
            None => return 0,
        },
        Ok(None) => {
            outcome(&inst, &qm, "elsewhere");
            return 31;
        }
        Err(e) => {
            outcome(&inst, &qm, &format!("error cannot open {}: {e}", qm.master_lock().display()));
            return 69;
        }
    };
    let rc = run_active(&ctrl, &opts, standby_kids);
    drop(master);
    let _ = std::fs::remove_file(run.join("role"));
    rc
}

/// The processes a standby instance runs below its execution controller, by version
/// (docs/reference/mq-processes-and-files.md#standby-processes): from 9.3 the OAM (amqzfuma),
/// the process controller (amqzmgr0) and the critical process manager (amqzmuc0); before 9.3
/// only amqzfuma. amqzmur0 runs only on the active instance. Each as IBM's ps listing shows it
/// (full path).
pub fn standby_set(version: &str) -> &'static [&'static str] {
    if crate::messages::version_at_least(version, 9, 3) {
        &["amqzfuma", "amqzmgr0", "amqzmuc0"]
    } else {
        &["amqzfuma"]
    }
}

type Kids = Vec<(&'static str, family::ChildLink)>;

/// Ends the standby's own children (they would end on their own when we exit; the caller of
/// endmqm -x expects them gone when we are).
fn end_kids(kids: Kids) {
    let pids: Vec<i32> = kids.iter().map(|(_, k)| k.pid as i32).collect();
    drop(kids);
    family::terminate(&pids, Duration::from_secs(2));
    family::reap_all(Duration::from_secs(1));
}

/// Waits for the lock as a standby; Some(lock, the standby's children) when this instance must
/// take over.
fn standby(ctrl: &Arc<Controller>) -> Option<(lock::Held, Kids)> {
    let (inst, qm) = (&ctrl.inst, &ctrl.qm);
    let mark = qm.data_dir.join(format!("standby.{}", inst.node));
    let standby_lock = match lock::try_lock(&mark) {
        Ok(Some(l)) => l,
        _ => {
            outcome(inst, qm, "standby-exists");
            return None;
        }
    };
    let mut kids: Kids = Vec::new();
    for prog in standby_set(&inst.version) {
        if let Ok(k) = family::spawn(inst, prog, true, &["-m".to_string(), qm.name.clone()]) {
            kids.push((prog, k));
        }
    }
    write_role(inst, qm, QmState::RunningAsStandby);
    outcome(inst, qm, "standby");
    error_log(inst, qm, &format!("AMQ7805I: IBM MQ queue manager '{}' is running as a standby instance.", qm.name));
    // The blocking wait runs on its own thread so endmqm -x can end us meanwhile.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = qm.master_lock();
    std::thread::spawn(move || {
        let _ = tx.send(lock::lock_blocking(&path));
    });
    loop {
        if let Ok(got) = rx.recv_timeout(Duration::from_millis(100)) {
            let Ok(held) = got else {
                end_kids(kids);
                return None;
            };
            // The lock came free, but a dead node's NFSv4 lease may still hold it on the server.
            while lock::lease_elsewhere(qm, &inst.node).is_some() {
                if ctrl.shared.lock().unwrap().standby_end {
                    leave_standby(inst, qm, kids, standby_lock, &mark);
                    return None;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            // The active instance ended: take over after a crash or a switchover, not after a plain end.
            let st = read_status(qm);
            let state = st.as_ref().and_then(|s| s.get("CurrentStatus")).and_then(QmState::from_text);
            let switchover = st.as_ref().and_then(|s| s.get("Switchover")) == Some("Yes");
            drop(standby_lock);
            let _ = std::fs::remove_file(&mark);
            return match state {
                Some(s) if s.is_ended() && !switchover => {
                    end_kids(kids);
                    let _ = std::fs::remove_file(inst.run_dir(qm).join("role"));
                    None
                }
                _ => {
                    error_log(
                        inst,
                        qm,
                        &format!("AMQ7806I: IBM MQ queue manager '{}' is taking over as the active instance.", qm.name),
                    );
                    Some((held, kids))
                }
            };
        }
        if ctrl.shared.lock().unwrap().standby_end {
            leave_standby(inst, qm, kids, standby_lock, &mark);
            return None;
        }
    }
}

/// A standby told to end (endmqm -x, or the active's end) before it took over: its children
/// end, then its lock, mark and role go.
fn leave_standby(inst: &Installation, qm: &QmPaths, kids: Kids, standby_lock: lock::Held, mark: &std::path::Path) {
    end_kids(kids);
    drop(standby_lock);
    let _ = std::fs::remove_file(mark);
    let _ = std::fs::remove_file(inst.run_dir(qm).join("role"));
}

/// Runs the active instance; `standby_kids` are the processes a standby that takes over already
/// runs (they stay, the rest of the family is started).
fn run_active(ctrl: &Arc<Controller>, opts: &Options, standby_kids: Kids) -> i32 {
    let (inst, qm) = (&ctrl.inst, &ctrl.qm);
    let _ = faults::clear(inst, qm, Fault::LeaveChildren);
    let renewing = renew_lease(inst, qm);
    write_role(inst, qm, QmState::Starting);
    write_status(inst, qm, QmState::Starting, opts.permit_standby, false);
    let (engine, kids, _) = match bring_up(ctrl, opts, standby_kids, None) {
        Ok(x) => x,
        Err(rc) => return rc,
    };
    write_status(inst, qm, QmState::Running, opts.permit_standby, false);
    write_role(inst, qm, QmState::Running);
    outcome(inst, qm, "running");
    error_log(inst, qm, &format!("AMQ8003I: IBM MQ queue manager '{}' started using V{}.", qm.name, inst.version));

    // Serve until an end request we honour.
    let mut req = wait_end(ctrl, None);
    let mut mode_in_force = req.mode;
    write_role(inst, qm, mode_in_force.ending_state());
    write_status(inst, qm, mode_in_force.ending_state(), opts.permit_standby, false);
    engine.set_state(if mode_in_force == EndMode::Controlled { RunState::Quiescing } else { RunState::Stopping });
    if mode_in_force == EndMode::Controlled {
        // Quiesce: wait for applications (engine connections, attached local programs) to go.
        loop {
            // Applications may run as other users whose maps we cannot read: count attachments
            // (shm_nattch) and subtract our own family's (which we can see), ourselves included.
            let family_pids: Vec<i32> = procs::family(inst, qm).into_iter().map(|p| p.pid).collect();
            let ours = ipc::attached_pids(inst, qm)
                .into_iter()
                .filter(|p| family_pids.contains(p) || *p == std::process::id() as i32)
                .count() as u64;
            let apps = ipc::attach_count(inst, qm).unwrap_or(0).saturating_sub(ours);
            if apps == 0 && engine.connection_count() == 0 {
                break;
            }
            // A later endmqm -i / -p escalates a quiesce in progress.
            let s = ctrl.shared.lock().unwrap();
            let (s, _) = ctrl.cond.wait_timeout(s, Duration::from_millis(50)).unwrap();
            if let Some(r) = s.end {
                if r.mode != EndMode::Controlled {
                    req = r;
                    mode_in_force = r.mode;
                    drop(s);
                    write_role(inst, qm, mode_in_force.ending_state());
                    write_status(inst, qm, mode_in_force.ending_state(), opts.permit_standby, false);
                    engine.set_state(RunState::Stopping);
                    break;
                }
                req.switchover |= r.switchover;
            }
        }
    }
    // The slow-endmqm fault: a controlled or immediate end takes its number of seconds (a long
    // checkpoint); a later endmqm -p cuts it short, a later -i shows as Ending immediately.
    if mode_in_force != EndMode::Preemptive {
        if let Some(secs) = faults::number(inst, qm, Fault::SlowEndmqm) {
            let until = Instant::now() + Duration::from_secs(secs as u64);
            while Instant::now() < until && mode_in_force != EndMode::Preemptive {
                let s = ctrl.shared.lock().unwrap();
                let wait = until.saturating_duration_since(Instant::now()).min(Duration::from_millis(50));
                let (s, _) = ctrl.cond.wait_timeout(s, wait).unwrap();
                if let Some(r) = s.end {
                    req.switchover |= r.switchover;
                    if severity(r.mode) > severity(mode_in_force) {
                        mode_in_force = r.mode;
                        drop(s);
                        write_role(inst, qm, mode_in_force.ending_state());
                        write_status(inst, qm, mode_in_force.ending_state(), opts.permit_standby, false);
                        engine.set_state(RunState::Stopping);
                    }
                }
            }
        }
    }
    take_down(ctrl, &engine, kids);
    let ended = mode_in_force.ended_state();
    write_status(inst, qm, ended, opts.permit_standby, req.switchover);
    renewing.end(inst, qm);
    let tail = if req.switchover { ", permitting switchover to a standby instance" } else { "" };
    error_log(inst, qm, &format!("AMQ8004I: IBM MQ queue manager '{}' ended{tail}.", qm.name));
    0
}

/// A running active instance: its engine, its family, and (Native HA) the door of its engine.
type Active = (Arc<Engine>, Vec<family::ChildLink>, Option<EngineDoor>);

/// Each status-record line as last written, with its ALTDATE and ALTTIME.
type AltLines = Mutex<Vec<Option<(NhaPeer, String, String)>>>;

/// The replicator of a Native HA active instance (None for every other queue manager).
type Repl = Option<Arc<dyn crate::engine::repl::Replicator>>;

/// Starts the active queue manager: IPC, log replay, the engine (from this node's files), the
/// family (keeping the processes `standby_kids` already runs) and the automatic services. On
/// failure the return code for the controller, the reason already recorded.
fn bring_up(ctrl: &Arc<Controller>, opts: &Options, standby_kids: Kids, replicator: Repl) -> Result<Active, i32> {
    let (inst, qm) = (&ctrl.inst, &ctrl.qm);
    // Leftover IPC nobody uses is deleted and recreated, as MQ does on restart
    // (docs/reference/mq-processes-and-files.md#leftover-processes).
    let _ = ipc::remove_unused(inst, qm);
    if let Err(e) = ipc::create(inst, qm, None) {
        outcome(inst, qm, &format!("error cannot create IPC resources: {e}"));
        write_status(inst, qm, QmState::EndedImmediately, opts.permit_standby, false);
        return Err(71);
    }
    ipc::attach(inst, qm);
    replay_log(inst, qm);
    let runtime: Arc<dyn QmRuntime> = ctrl.clone();
    let engine = match Engine::open_replicated(inst, qm, runtime, replicator) {
        Ok(e) => e,
        Err(e) => {
            outcome(inst, qm, &format!("error {e}"));
            error_log(inst, qm, &format!("AMQ6119S: An internal IBM MQ error has occurred ({e})"));
            write_status(inst, qm, QmState::EndedImmediately, opts.permit_standby, false);
            let _ = ipc::remove_unused(inst, qm);
            return Err(71);
        }
    };
    let door =
        if engine.is_replicated() { open_door(&engine, inst, qm).map(Some) } else { engine.listen().map(|_| None) };
    let door = match door {
        Ok(d) => d,
        Err(e) => {
            outcome(inst, qm, &format!("error cannot bind the engine socket: {e}"));
            write_status(inst, qm, QmState::EndedImmediately, opts.permit_standby, false);
            return Err(71);
        }
    };
    let name = qm.name.clone();
    let m = || vec!["-m".to_string(), name.clone()];
    let mut kids = Vec::new();
    let mut mgr_running = None;
    let already: Vec<&str> = standby_kids.iter().map(|(prog, _)| *prog).collect();
    for (prog, k) in standby_kids {
        if prog == "amqzmgr0" {
            mgr_running = Some(k);
        } else {
            kids.push(k);
        }
    }
    let plan: Vec<(&str, bool, Vec<String>)> = vec![
        ("amqzfuma", true, m()),
        ("amqzmuc0", false, m()),
        ("amqzmur0", false, m()),
        ("amqzmuf0", false, m()),
        (
            "amqrrmfa",
            true,
            [m(), ["-t2332800", "-s2592000", "-p2592000", "-g5184000", "-c3600"].map(String::from).to_vec()].concat(),
        ),
        ("amqzlaa0", false, vec![format!("-m{name}"), "-fip0".into()]),
    ];
    for (prog, full, args) in plan {
        if already.contains(&prog) {
            continue;
        }
        if let Ok(k) = family::spawn(inst, prog, full, &args) {
            kids.push(k);
        }
    }
    let mgr = match mgr_running {
        Some(k) => Ok(k),
        None => family::spawn(inst, "amqzmgr0", true, &m()),
    };
    match mgr {
        Ok(k) => {
            let r = BufReader::new(k.link.try_clone().expect("clone link"));
            *ctrl.mgr.lock().unwrap() = Some((r, k.link.try_clone().expect("clone link")));
            kids.push(k);
        }
        Err(e) => {
            error_log(inst, qm, &format!("AMQ5008S: An essential IBM MQ process could not be started: amqzmgr0 ({e})"))
        }
    }
    if !opts.no_services {
        let (scmdserv, schinit) = engine.qmgr_autostart();
        if scmdserv {
            let _ = ctrl.start_cmdserver();
        }
        if schinit {
            let _ = ctrl.start_chinit();
        }
        for l in engine.autostart_listeners() {
            if let Err(e) = ctrl.start_listener(&l) {
                error_log(inst, qm, &format!("Listener {} could not be started: {e}", l.name));
            }
        }
    }
    Ok((engine, kids, door))
}

/// Stops the services, the family and the engine of an active instance; IPC removed.
fn take_down(ctrl: &Arc<Controller>, engine: &Arc<Engine>, kids: Vec<family::ChildLink>) {
    let (inst, qm) = (&ctrl.inst, &ctrl.qm);
    // Services first (as MQ stops listeners and the command server), then the rest of the family.
    let named: Vec<String> = ctrl.listeners.lock().unwrap().keys().cloned().collect();
    for n in named {
        let _ = ctrl.stop_listener(&n);
    }
    let pids: Vec<i32> = procs::family(inst, qm).into_iter().map(|p| p.pid).collect();
    *ctrl.mgr.lock().unwrap() = None;
    drop(kids);
    family::terminate(&pids, Duration::from_secs(3));
    family::reap_all(Duration::from_secs(2));
    engine.shutdown();
    ipc::detach();
    let _ = ipc::remove_unused(inst, qm);
}

/// Where the controller publishes the log replay's progress (records accessed so far) for strmqm.
pub const REPLAY_FILE: &str = "replay";

/// How often a long replay reports progress (strmqm and the error log). IBM: "If the queue manager
/// startup takes more than a few seconds IBM MQ shows intermittent messages detailing the startup
/// progress" (docs/reference/mq-commands.md#strmqm-output); the interval is UNCONFIRMED.
pub const REPLAY_PROGRESS: Duration = Duration::from_secs(1);

/// Log records a simulated replay reads per second (any steady rate; the count only grows).
const REPLAY_RATE: u64 = 1700;

/// The log-replay fault: Starting for its number of seconds, reporting AMQ7229I progress every
/// REPLAY_PROGRESS (after strmqm and after a takeover alike), then AMQ7230I/AMQ7231I/AMQ7232I.
fn replay_log(inst: &Installation, qm: &QmPaths) {
    let file = inst.run_dir(qm).join(REPLAY_FILE);
    let _ = std::fs::remove_file(&file);
    let Some(secs) = faults::number(inst, qm, Fault::LogReplay) else { return };
    let t = Instant::now();
    let end = t + Duration::from_secs(secs as u64);
    let mut records = 0;
    while Instant::now() < end {
        std::thread::sleep(REPLAY_PROGRESS.min(end.saturating_duration_since(Instant::now())));
        records = t.elapsed().as_millis() as u64 * REPLAY_RATE / 1000;
        let tmp = file.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::write(&tmp, records.to_string());
        let _ = std::fs::rename(&tmp, &file);
        error_log(
            inst,
            qm,
            &format!(
                "AMQ7229I: {records} log records accessed on queue manager '{}' during the log replay phase.",
                qm.name
            ),
        );
    }
    error_log(inst, qm, &format!("AMQ7230I: Log replay for queue manager '{}' complete.", qm.name));
    error_log(
        inst,
        qm,
        &format!(
            "AMQ7231I: {} log records accessed on queue manager '{}' during the recovery phase.",
            records / 100,
            qm.name
        ),
    );
    error_log(inst, qm, &format!("AMQ7232I: Transaction manager state recovered for queue manager '{}'.", qm.name));
}

/// With the lock-lease fault, holds this node's lease on the lock and renews it every second on a
/// thread of its own until `Lease::end` (an orderly end); a killed controller stops renewing and
/// its lease runs out SECS after the last renewal. Without it, clears a stale lease.
struct Lease(Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>);

impl Lease {
    fn end(self, inst: &Installation, qm: &QmPaths) {
        if let Some((stop, renewer)) = self.0 {
            drop(stop);
            let _ = renewer.join();
        }
        lock::drop_lease(qm, &inst.node);
    }
}

fn renew_lease(inst: &Installation, qm: &QmPaths) -> Lease {
    let Some(secs) = faults::number(inst, qm, Fault::LockLease) else {
        lock::drop_lease(qm, &inst.node);
        return Lease(None);
    };
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (qm, node) = (qm.clone(), inst.node.clone());
    let renewer = std::thread::spawn(move || loop {
        lock::renew_lease(&qm, &node, secs);
        // Ends when the sender is dropped.
        if let Err(std::sync::mpsc::RecvTimeoutError::Disconnected) = rx.recv_timeout(Duration::from_secs(1)) {
            return;
        }
    });
    Lease(Some((tx, renewer)))
}

/// Blocks until an end request arrives that this queue manager honours (the ignore-endmqm and
/// hang faults swallow everything but -p).
fn wait_end(ctrl: &Arc<Controller>, _prev: Option<EndRequest>) -> EndRequest {
    let mut s = ctrl.shared.lock().unwrap();
    loop {
        if let Some(r) = s.end {
            let stuck = faults::is_set(&ctrl.inst, &ctrl.qm, Fault::IgnoreEndmqm)
                || faults::is_set(&ctrl.inst, &ctrl.qm, Fault::Hang);
            if !stuck || r.mode == EndMode::Preemptive {
                return r;
            }
            s.end = None;
        }
        s = ctrl.cond.wait_timeout(s, Duration::from_millis(200)).unwrap().0;
    }
}

fn serve_control(ctrl: Arc<Controller>, listener: std::os::unix::net::UnixListener) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let c = ctrl.clone();
        std::thread::spawn(move || {
            // Abstract sockets have no file permissions: check the caller as MQ checks authority.
            if !control::peer_is_admin(&c.inst, &conn) {
                control::reply(&conn, "ERR AMQ7077E: You are not authorized to perform the requested operation.");
                return;
            }
            let Some(line) = control::read_request(&conn) else { return };
            let words: Vec<&str> = line.split_whitespace().collect();
            let reply = match words.as_slice() {
                ["END", mode, sw] => match EndMode::parse(mode) {
                    Some(mode) => {
                        let mut s = c.shared.lock().unwrap();
                        // Never downgrade: -c after -i keeps -i.
                        let keep = s.end.map(|e| severity(e.mode) > severity(mode)).unwrap_or(false);
                        if !keep {
                            s.end = Some(EndRequest { mode, switchover: *sw == "s", group: false });
                        }
                        c.cond.notify_all();
                        "ACCEPTED".to_string()
                    }
                    None => format!("ERR bad mode {mode}"),
                },
                ["NHA-END", mode, kind] => match EndMode::parse(mode) {
                    Some(mode) => c.nha_end(mode, kind),
                    None => format!("ERR bad mode {mode}"),
                },
                ["END-STANDBY"] => {
                    c.shared.lock().unwrap().standby_end = true;
                    "ACCEPTED".to_string()
                }
                ["CSV", "START"] => match c.start_cmdserver() {
                    Ok(true) => "STARTED".into(),
                    Ok(false) => "ALREADY".into(),
                    Err(e) => format!("ERR {e}"),
                },
                ["CSV", "STOP"] => if c.stop_component("amqpcsea") { "STOPPED" } else { "NOTRUNNING" }.into(),
                ["CHI", "START"] => match c.start_chinit() {
                    Ok(true) => "STARTED".into(),
                    Ok(false) => "ALREADY".into(),
                    Err(e) => format!("ERR {e}"),
                },
                _ => format!("ERR unknown request {line:?}"),
            };
            control::reply(&conn, &reply);
        });
    }
}

fn severity(m: EndMode) -> u8 {
    match m {
        EndMode::Controlled => 0,
        EndMode::Immediate => 1,
        EndMode::Preemptive => 2,
    }
}

/// Where the engine of a Native HA active instance takes connections: an accept loop of its own,
/// so that losing the active role closes the engine's socket and breaks every connection at once
/// (the engine's own `listen` serves until the process ends). What IBM's active does with its
/// applications when it loses the role is UNCONFIRMED (docs/reference/native-ha.md#partition):
/// the stricter reading, broken at once.
struct EngineDoor {
    stop: Arc<std::sync::atomic::AtomicBool>,
    conns: Arc<Mutex<Vec<UnixStream>>>,
    thread: std::thread::JoinHandle<()>,
}

fn open_door(engine: &Arc<Engine>, inst: &Installation, qm: &QmPaths) -> std::io::Result<EngineDoor> {
    let listener = crate::wire::bind_engine(inst, qm)?;
    listener.set_nonblocking(true)?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let conns: Arc<Mutex<Vec<UnixStream>>> = Arc::new(Mutex::new(Vec::new()));
    let (st, cs, e) = (stop.clone(), conns.clone(), engine.clone());
    let thread = std::thread::spawn(move || {
        while !st.load(std::sync::atomic::Ordering::SeqCst) {
            match listener.accept() {
                Ok((s, _)) => {
                    let _ = s.set_nonblocking(false);
                    if let Ok(c) = s.try_clone() {
                        cs.lock().unwrap().push(c);
                    }
                    let e = e.clone();
                    std::thread::spawn(move || e.serve(s));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    Ok(EngineDoor { stop, conns, thread })
}

impl EngineDoor {
    fn close(self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(2);
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// The processes a Native HA replica runs below its controller: the standby set (which processes
/// a replica really runs is UNCONFIRMED, docs/reference/native-ha.md#replica-refuses-applications;
/// the 9.3 standby set is reused).
fn spawn_replica_set(inst: &Installation, qm: &QmPaths) -> Kids {
    standby_set(&inst.version)
        .iter()
        .filter_map(|prog| {
            family::spawn(inst, prog, true, &["-m".to_string(), qm.name.clone()]).ok().map(|k| (*prog, k))
        })
        .collect()
}

fn take_end(ctrl: &Controller) -> Option<EndRequest> {
    let s = ctrl.shared.lock().unwrap();
    let (mut s, _) = ctrl.cond.wait_timeout(s, Duration::from_millis(20)).unwrap();
    s.end.take()
}

fn nha_role(r: NhaViewRole) -> NhaRole {
    match r {
        NhaViewRole::Active => NhaRole::Active,
        NhaViewRole::Replica => NhaRole::Replica,
        NhaViewRole::Unknown => NhaRole::Unknown,
    }
}

/// Writes the status record (Contract 1) from the node's view; ALTDATE/ALTTIME of a line move
/// when its role, connections or sync state change.
fn write_nha_status(inst: &Installation, qm: &QmPaths, cfg: &NhaConfig, alt: &AltLines, v: &node::View) {
    let mut alt = alt.lock().unwrap();
    let (date, time) = clock::mq_date_time(clock::now_secs());
    let peers: Vec<NhaPeer> = cfg
        .instances
        .iter()
        .zip(&v.peers)
        .enumerate()
        .map(|(i, (c, p))| {
            let mut row = NhaPeer {
                name: c.name.clone(),
                role: nha_role(p.role),
                repladdr: c.host.clone(),
                connactv: p.connactv,
                insync: p.insync,
                backlog_kb: p.backlog_kb,
                conninst: p.conninst,
                altdate: String::new(),
                alttime: String::new(),
                acklsn: String::new(),
                synctime: String::new(),
            };
            let same = |old: &NhaPeer| {
                (old.role, old.connactv, old.insync, old.conninst) == (row.role, row.connactv, row.insync, row.conninst)
            };
            let (d, t) = match alt.get(i).cloned().flatten() {
                Some((old, d, t)) if same(&old) => (d, t),
                _ => (date.clone(), time.clone()),
            };
            if alt.len() <= i {
                alt.resize(i + 1, None);
            }
            alt[i] = Some((row.clone(), d.clone(), t.clone()));
            row.altdate = d;
            row.alttime = t;
            row
        })
        .collect();
    let rec = NhaStatus {
        instance: cfg.local.clone(),
        role: nha_role(v.role),
        quorum: v.quorum,
        insync: v.insync,
        peers,
        controller_pid: std::process::id(),
        updated_ms: crate::nha::status::now_ms(),
    };
    let _ = rec.write(&NhaStatus::path(inst, qm));
}

impl Controller {
    /// endmqm on a Native HA instance (docs/reference/native-ha.md#endmqm): `kind` "s" (hand the
    /// active role over), "x" (end a replica), "-" (plain). The quorum check comes first: ending
    /// this instance must leave two running in-sync instances, or nothing is stopped.
    fn nha_end(&self, mode: EndMode, kind: &str) -> String {
        let Some(node) = self.nha.lock().unwrap().clone() else {
            return "ERR not a Native HA instance".into();
        };
        let v = node.view();
        let me = node.me();
        let others_in_sync = v
            .peers
            .iter()
            .enumerate()
            .filter(|(i, p)| *i != me && (p.role == NhaViewRole::Active || (p.insync && p.connactv)))
            .count();
        let accept = |switchover: bool, group: bool| {
            let mut s = self.shared.lock().unwrap();
            let keep = s.end.map(|e| severity(e.mode) > severity(mode)).unwrap_or(false);
            if !keep {
                s.end = Some(EndRequest { mode, switchover, group });
            }
            self.cond.notify_all();
            "ACCEPTED".to_string()
        };
        match (v.role, kind) {
            // UNCONFIRMED (docs/reference/native-ha.md#endmqm): -x on the active is refused.
            (NhaViewRole::Active, "x") => "ACTIVE".into(),
            (NhaViewRole::Active, "s") | (NhaViewRole::Replica, "x") if others_in_sync < 2 => {
                format!("QUORUM {others_in_sync}")
            }
            (NhaViewRole::Active, "s") => accept(true, false),
            // UNCONFIRMED, the stricter reading: plain endmqm on the active ends the whole group.
            (NhaViewRole::Active, _) => accept(false, true),
            // An instance without a quorum (ROLE(Unknown)) has none to break (UNCONFIRMED).
            (_, "x") => accept(false, false),
            _ => "REPLICA".into(),
        }
    }
}

/// A Native HA instance (docs/reference/native-ha.md#roles): runs as a replica (the standby
/// process set, no engine, no listener) until its node wins an election with quorum; then the
/// normal queue manager startup from THIS node's files (the engine writing through the node's
/// replicator), the family and the automatic listeners (AMQ3215I from the node); on losing the
/// majority it stops taking work at once and goes back to being a replica.
fn run_native_ha(ctrl: &Arc<Controller>, opts: &Options, cfg: NhaConfig) -> i32 {
    let (inst, qm) = (&ctrl.inst, &ctrl.qm);
    let Some(me) = cfg.index_of(&cfg.local) else { return 71 };
    let alt = Mutex::new(Vec::new());
    let hooks = {
        let (i1, q1) = (inst.clone(), qm.clone());
        let (i2, q2) = (inst.clone(), qm.clone());
        let (i3, q3) = (inst.clone(), qm.clone());
        let (i4, q4) = (inst.clone(), qm.clone());
        let (i5, q5, cfg5) = (inst.clone(), qm.clone(), cfg.clone());
        let c6 = ctrl.clone();
        node::Hooks {
            isolated: Box::new(move || faults::is_set(&i1, &q1, Fault::NhaIsolate)),
            lag_kb: Box::new(move || faults::number(&i2, &q2, Fault::NhaLag).map(u64::from)),
            election_ms: Box::new(move || faults::number(&i3, &q3, Fault::NhaElectionMs).map(u64::from)),
            log: Box::new(move |t| error_log(&i4, &q4, t)),
            changed: Box::new(move |v| write_nha_status(&i5, &q5, &cfg5, &alt, v)),
            end_group: Box::new(move |mode| {
                let mode = EndMode::parse(mode).unwrap_or(EndMode::Immediate);
                let mut s = c6.shared.lock().unwrap();
                if s.end.is_none() {
                    s.end = Some(EndRequest { mode, switchover: false, group: false });
                }
                c6.cond.notify_all();
            }),
        }
    };
    let settings = node::Settings {
        qm: qm.name.clone(),
        me,
        listen: cfg.listen_addr_text(),
        instances: cfg
            .instances
            .iter()
            .map(|i| node::Instance { name: i.name.clone(), addr: i.socket_addr_text() })
            .collect(),
        data_dir: qm.data_dir.clone(),
        log_dir: qm.log_dir.clone(),
        hooks,
    };
    let node = match Node::start(settings) {
        Ok(n) => n,
        Err(e) => {
            let text = format!(
                "Native HA instance '{}' cannot accept replication connections on {}: {e}",
                cfg.local,
                cfg.listen_addr_text()
            );
            error_log(inst, qm, &text);
            outcome(inst, qm, &format!("error {text}"));
            return 71;
        }
    };
    *ctrl.nha.lock().unwrap() = Some(node.clone());
    let mut replica_kids = spawn_replica_set(inst, qm);
    loop {
        // A replica (or Unknown, without quorum) until elected or ended.
        let req = loop {
            if let Some(r) = take_end(ctrl) {
                break Some(r);
            }
            if node.is_active() {
                break None;
            }
        };
        if let Some(req) = req {
            end_kids(replica_kids);
            return nha_finish(ctrl, opts, &node, req);
        }
        write_role(inst, qm, QmState::Starting);
        let repl: Arc<dyn crate::engine::repl::Replicator> = node.clone();
        let (engine, kids, door) = match bring_up(ctrl, opts, replica_kids, Some(repl)) {
            Ok(x) => x,
            Err(rc) => {
                node.stop();
                let _ = std::fs::remove_file(inst.run_dir(qm).join("role"));
                return rc;
            }
        };
        write_status(inst, qm, QmState::Running, false, false);
        write_role(inst, qm, QmState::Running);
        outcome(inst, qm, "running");
        error_log(inst, qm, &format!("AMQ8003I: IBM MQ queue manager '{}' started using V{}.", qm.name, inst.version));
        let ended = loop {
            if let Some(r) = take_end(ctrl) {
                break Some(r);
            }
            if !node.is_active() {
                break None;
            }
            // A write no replica acknowledged fenced the engine: give the role up.
            if let Some(why) = engine.fenced() {
                error_log(inst, qm, &format!("Native HA instance '{}' gives up the active role: {why}.", cfg.local));
                node.step_down();
                break None;
            }
        };
        let Some(mut req) = ended else {
            // Lost the majority: no more work at once, connections broken, back to a replica.
            // The text is ours (IBM's message for it is not documented).
            error_log(
                inst,
                qm,
                &format!(
                    "Native HA instance '{}' is no longer the active instance of queue manager '{}': it lost the quorum.",
                    cfg.local, qm.name
                ),
            );
            engine.fence("this instance is no longer the active instance");
            engine.set_state(RunState::Stopping);
            if let Some(d) = door {
                d.close();
            }
            take_down(ctrl, &engine, kids);
            let _ = std::fs::remove_file(inst.run_dir(qm).join("role"));
            replica_kids = spawn_replica_set(inst, qm);
            continue;
        };
        write_role(inst, qm, req.mode.ending_state());
        write_status(inst, qm, req.mode.ending_state(), false, req.switchover);
        if req.mode == EndMode::Controlled {
            engine.set_state(RunState::Quiescing);
            // Quiesce: wait for applications to disconnect; a later -i/-p escalates.
            while engine.connection_count() > 0 {
                let s = ctrl.shared.lock().unwrap();
                let (mut s, _) = ctrl.cond.wait_timeout(s, Duration::from_millis(50)).unwrap();
                if let Some(r) = s.end.take() {
                    if severity(r.mode) > severity(req.mode) {
                        req.mode = r.mode;
                        break;
                    }
                }
            }
        }
        engine.set_state(RunState::Stopping);
        if let Some(d) = door {
            d.close();
        }
        take_down(ctrl, &engine, kids);
        if req.switchover {
            // endmqm -s: an in-sync replica stands now; wait (bounded) until it leads.
            match node.hand_over() {
                Ok(to) => {
                    let deadline = Instant::now() + Duration::from_millis(8 * node.election_ms());
                    while Instant::now() < deadline && !node.view().peers.iter().any(|p| p.role == NhaViewRole::Active)
                    {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    error_log(
                        inst,
                        qm,
                        &format!("Native HA instance '{}' handed the active role to '{to}'.", cfg.local),
                    );
                }
                Err(e) => error_log(inst, qm, &format!("Native HA instance '{}' could not hand over: {e}.", cfg.local)),
            }
        }
        if req.group {
            node.end_group(match req.mode {
                EndMode::Controlled => "c",
                EndMode::Immediate => "i",
                EndMode::Preemptive => "p",
            });
            // The replicas end and close their connections (bounded).
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && node.connected() > 0 {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        return nha_finish(ctrl, opts, &node, req);
    }
}

/// The instance ends: the node's connections close, the end state is recorded.
fn nha_finish(ctrl: &Arc<Controller>, _opts: &Options, node: &Arc<Node>, req: EndRequest) -> i32 {
    let (inst, qm) = (&ctrl.inst, &ctrl.qm);
    node.stop();
    *ctrl.nha.lock().unwrap() = None;
    write_status(inst, qm, req.mode.ended_state(), false, req.switchover);
    let _ = std::fs::remove_file(inst.run_dir(qm).join("role"));
    error_log(inst, qm, &format!("AMQ8004I: IBM MQ queue manager '{}' ended.", qm.name));
    0
}
