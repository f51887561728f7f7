//! crash_watch=true: learn at once when this queue manager's execution controller (amqzxma0)
//! ends without a stop, and ask Pacemaker to recover it now instead of at the next monitor
//! (docs/ibmmq.md, "Crash watch").
//!
//! A start (or promote) that succeeded leaves a small watcher behind: this binary as `ibmmq watch`,
//! detached (a session of its own, /dev/null as stdin, stdout and stderr), as Pacemaker's user
//! `hacluster` (group `haclient`: enough for crm_resource, docs/reference/pacemaker-ocf.md#ipc-clients)
//! with no capabilities and no_new_privs. It holds a pidfd of the controller, pinned by the agent
//! as root after the same identity check a signal gets (`procs::pin_checked`), and polls it: no
//! busy loop, and a reused pid can never look like our controller. When the controller ends it
//! runs `crm_resource --fail --resource RSC --node NODE` once (with a deadline) and exits.
//!
//! Its state file in root's state directory (/run/mqha, `StateDir`) records the controller and
//! the watcher (pid and start time each). The watcher also holds that file open: a stop, a demote
//! or a re-arm removes or replaces it before it touches anything, so a watcher that finds its
//! file's link count at zero knows it is no longer wanted and exits without asking (it looks every
//! second, and again before it asks). The agent ends only a watcher whose pid, start time and
//! command line match the record, through a pidfd opened before the check.

use std::ffi::OsString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mq_core::cluster::NodeAttributes;
use mq_core::exec::Runner;
use mq_core::installation::CACHE_DIR;
use mq_core::procs::{self, EXECUTION_CONTROLLER};
use mq_core::qmgr::QueueManager;
use mq_core::state_dir::{path_key, StateDir};
use mq_core::user::MqUser;
use mq_core::QmName;
use nix::sys::signal::Signal;

use crate::ocf::{log, Env};
use crate::pacemaker::{self, Pacemaker};

/// The hidden subcommand of the `ibmmq` binary that runs a watcher.
pub const SUBCOMMAND: &str = "watch";
/// Pacemaker's own user (CRM_DAEMON_USER): what crm_resource needs to reach the controller, and
/// nothing of root.
pub const WATCH_USER: &str = "hacluster";
/// How often a watcher looks whether it is still wanted (its state file still stands).
const WANTED_POLL: Duration = Duration::from_secs(1);
/// The longest the fail request may take (crm_resource waits for the controller's reply).
const FAIL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the agent waits for a signalled watcher to be gone, per signal.
const END_WAIT: Duration = Duration::from_secs(2);

/// The state file of queue manager `qm`'s watcher on this node.
pub fn state_name(qm: &QueueManager) -> String {
    state_name_at(&qm.inst.path, &qm.name)
}

/// The same for queue manager `qm` of the installation at `inst`.
pub fn state_name_at(inst: &Path, qm: &QmName) -> String {
    format!("watch-{}-{}", path_key(inst), qm.directory())
}

/// One process as the state file records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pinned {
    pub pid: i32,
    pub start_ticks: u64,
}

/// What a state file records: the controller watched, and the watcher once it was spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    pub controller: Option<Pinned>,
    pub watcher: Option<Pinned>,
}

impl Record {
    /// Lines `controller PID TICKS` and `watcher PID TICKS`; anything else is ignored.
    pub fn parse(text: &str) -> Record {
        let mut r = Record::default();
        for line in text.lines() {
            let mut w = line.split_whitespace();
            let (Some(what), Some(pid), Some(ticks)) = (w.next(), w.next(), w.next()) else { continue };
            let (Ok(pid), Ok(start_ticks)) = (pid.parse::<i32>(), ticks.parse::<u64>()) else { continue };
            if pid <= 0 {
                continue;
            }
            let p = Some(Pinned { pid, start_ticks });
            match what {
                "controller" => r.controller = p,
                "watcher" => r.watcher = p,
                _ => {}
            }
        }
        r
    }

    fn line(what: &str, p: Pinned) -> String {
        format!("{what} {} {}\n", p.pid, p.start_ticks)
    }
}

/// Whether `args` (a command line from /proc) is a watcher of state file `name`.
pub fn is_watcher_cmdline(args: &[String], name: &str) -> bool {
    args.get(1).map(String::as_str) == Some(SUBCOMMAND) && flag(args, "--state") == Some(name)
}

/// The value after exactly `name` in `args`.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn state_dir() -> Result<StateDir, String> {
    StateDir::open(Path::new(CACHE_DIR)).map_err(|e| format!("state directory {CACHE_DIR}: {e}"))
}

fn read_record(dir: &StateDir, name: &str) -> Option<Record> {
    dir.read(name).ok().flatten().map(|b| Record::parse(&String::from_utf8_lossy(&b)))
}

/// A pidfd of the recorded watcher `w` when it still runs as the watcher of `name`: the pidfd
/// first, then the start time and the command line (so a reused pid is never taken for it).
fn our_watcher(w: Pinned, name: &str, deadline: Instant) -> Option<OwnedFd> {
    let fd = procs::pidfd(w.pid)?;
    if procs::start_ticks(w.pid) != Some(w.start_ticks) {
        return None;
    }
    let fresh = procs::read_within(&[w.pid], deadline).ok()?;
    let p = fresh.iter().find(|p| p.pid == w.pid)?;
    is_watcher_cmdline(&p.args, name).then_some(fd)
}

/// Ends the watcher of `qm` on this node, if one is armed: its state file goes first (a watcher
/// that wakes now finds itself unwanted and asks nothing), then the watcher itself, SIGTERM and
/// then SIGKILL through its pidfd, waited for until it is gone. Err when it could not be shown
/// gone (it can still ask nothing: its state file is gone).
pub fn disarm(qm: &QueueManager, deadline: Instant) -> Result<(), String> {
    disarm_at(&qm.inst.path, &qm.name, deadline)
}

/// `disarm` for queue manager `qm` of the installation at `inst` (a stop without a usable
/// installation still ends the watcher first).
pub fn disarm_at(inst: &Path, qm: &QmName, deadline: Instant) -> Result<(), String> {
    let Ok(dir) = state_dir() else { return Ok(()) };
    end_recorded(&dir, &state_name_at(inst, qm), deadline)
}

fn end_recorded(dir: &StateDir, name: &str, deadline: Instant) -> Result<(), String> {
    let Some(rec) = read_record(dir, name) else { return Ok(()) };
    // Removed first; when that fails the watcher is still ended below.
    let removed = dir.remove(name).map_err(|e| format!("crash watch: removing {}/{name}: {e}", dir.path().display()));
    let Some(w) = rec.watcher else { return removed };
    let Some(fd) = our_watcher(w, name, deadline) else { return removed };
    for sig in [Signal::SIGTERM, Signal::SIGKILL] {
        if !procs::signal_pidfd(&fd, sig) || procs::exited_by(&fd, deadline.min(Instant::now() + END_WAIT)) {
            log::debug(format!("crash watch: ended watcher pid {} ({sig})", w.pid));
            return removed;
        }
    }
    Err(format!("crash watch: watcher pid {} still there after SIGKILL", w.pid))
}

/// Arms a watcher for `qm`'s execution controller `controller` (replacing an older one): pins the
/// controller, records it, spawns the watcher and records it. Returns the watcher's pid.
pub fn arm(qm: &QueueManager, env: &Env, controller: i32, deadline: Instant) -> Result<i32, String> {
    let dir = state_dir()?;
    let name = state_name(qm);
    end_recorded(&dir, &name, deadline)?;
    let crm_resource = pacemaker::crm_resource(std::env::var_os("PATH").as_deref())?;
    let user = MqUser::lookup_within(WATCH_USER, deadline)
        .map_err(|e| format!("Pacemaker's user {WATCH_USER}, which the watcher runs as: {e}"))?;
    let scope = qm.scope();
    let pidfd = procs::pin_checked(&scope, controller, |p| p.name == EXECUTION_CONTROLLER, deadline)
        .map_err(|e| format!("execution controller of {}: {e}", qm.name))?;
    let ticks =
        procs::start_ticks(controller).ok_or_else(|| format!("execution controller pid {controller} is gone"))?;
    let c = Pinned { pid: controller, start_ticks: ticks };
    let io = |e: std::io::Error| format!("{}/{name}: {e}", dir.path().display());
    dir.write(&name, Record::line("controller", c).as_bytes()).map_err(io)?;
    let held = dir.open_file(&name).map_err(io)?;
    let node = Pacemaker::from_env(env).node();
    let args: Vec<OsString> = vec![
        SUBCOMMAND.into(),
        "--qmgr".into(),
        qm.name.as_str().into(),
        "--installation".into(),
        qm.inst.path.clone().into(),
        "--state".into(),
        name.clone().into(),
        "--resource".into(),
        env.instance.clone().into(),
        "--node".into(),
        node.into(),
        "--crm-resource".into(),
        crm_resource.into(),
        "--pidfd".into(),
        pidfd.as_raw_fd().to_string().into(),
        "--state-fd".into(),
        held.as_raw_fd().to_string().into(),
    ];
    let child = match spawn(&args, [pidfd.as_raw_fd(), held.as_raw_fd()], &user) {
        Ok(c) => c,
        Err(e) => {
            let _ = dir.remove(&name);
            return Err(format!("starting the watcher: {e}"));
        }
    };
    let wpid = child.id() as i32;
    let w = Pinned { pid: wpid, start_ticks: procs::start_ticks(wpid).unwrap_or(0) };
    dir.append(&name, Record::line("watcher", w).as_bytes()).map_err(io)?;
    log::info(format!(
        "{}: crash watch armed: watcher pid {wpid} (user {WATCH_USER}) on execution controller pid {controller}",
        qm.name
    ));
    Ok(wpid)
}

/// What a monitor does: with crash_watch on and the controller running, re-arms a watcher that
/// is missing or watches another controller; with it off, ends one left from before (a reload).
/// A failure to arm is a warning: the monitor still finds a crash, later.
pub fn keep(qm: &QueueManager, env: &Env, wanted: bool, controller: Option<i32>, deadline: Instant) {
    let Ok(dir) = state_dir() else {
        if wanted {
            log::warn(format!("{}: crash watch not armed: no state directory {CACHE_DIR}", qm.name));
        }
        return;
    };
    let name = state_name(qm);
    let rec = read_record(&dir, &name);
    if !wanted {
        if rec.is_some() {
            if let Err(e) = end_recorded(&dir, &name, deadline) {
                log::warn(e);
            }
            log::info(format!("{}: crash watch disarmed (crash_watch=false)", qm.name));
        }
        return;
    }
    let Some(controller) = controller else { return };
    let current = procs::start_ticks(controller).map(|t| Pinned { pid: controller, start_ticks: t });
    let fine = rec.is_some_and(|r| {
        r.controller.is_some()
            && r.controller == current
            && r.watcher.is_some_and(|w| our_watcher(w, &name, deadline).is_some())
    });
    if fine {
        return;
    }
    log::warn(format!("{}: crash watch: no watcher on execution controller pid {controller}; re-arming", qm.name));
    if let Err(e) = arm(qm, env, controller, deadline) {
        log::warn(format!("{}: crash watch not armed: {e}", qm.name));
    }
}

/// After a successful start or promote: arms the watcher when crash_watch is on. A failure is a
/// warning, not a failed start: the queue manager runs, and the monitors still watch it.
pub fn after_start(qm: &QueueManager, env: &Env, wanted: bool, controller: Option<i32>, deadline: Instant) {
    if !wanted {
        return;
    }
    let armed = match controller {
        Some(c) => arm(qm, env, c, deadline),
        None => Err("no execution controller in /proc".into()),
    };
    if let Err(e) = armed {
        log::warn(format!("{}: crash watch not armed: {e}; the next monitor tries again", qm.name));
    }
}

/// Starts the watcher: `/proc/self/exe` as `ibmmq`, in a session of its own, stdin, stdout and
/// stderr on /dev/null, every descriptor but `keep` closed on exec, the bounding set emptied, as
/// `user` with its groups, with no_new_privs. Only the logging variables of this environment go
/// with it.
fn spawn(args: &[OsString], keep: [RawFd; 2], user: &MqUser) -> std::io::Result<std::process::Child> {
    let mut c = Command::new("/proc/self/exe");
    c.arg0("ibmmq").args(args).env_clear().current_dir("/");
    for k in ["HA_LOGFACILITY", "HA_LOGFILE", "HA_DEBUGLOG", "HA_debug", "OCF_RESOURCE_INSTANCE"] {
        if let Some(v) = std::env::var_os(k) {
            c.env(k, v);
        }
    }
    c.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let (uid, gid, groups) = (user.uid, user.gid, user.groups.clone());
    // SAFETY: only async-signal-safe system calls between fork and exec; `groups` was built before.
    unsafe {
        c.pre_exec(move || {
            let fail = || Err(std::io::Error::last_os_error());
            if libc::setsid() < 0 {
                return fail();
            }
            // Everything inherited (Pacemaker's descriptors included) closes on exec but ours.
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC);
            for fd in keep {
                if libc::fcntl(fd, libc::F_SETFD, 0) != 0 {
                    return fail();
                }
            }
            for cap in 0..64 {
                libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
            }
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
                return fail();
            }
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return fail();
            }
            Ok(())
        });
    }
    c.spawn()
}

/// The watcher's command line.
#[derive(Debug)]
struct WatchArgs {
    qmgr: String,
    resource: String,
    node: String,
    crm_resource: PathBuf,
    pidfd: OwnedFd,
    state: std::fs::File,
}

fn parse_args(args: &[OsString]) -> Result<WatchArgs, String> {
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let get = |n: &str| flag(&args, n).map(str::to_string).ok_or_else(|| format!("{n} is missing"));
    let fd = |n: &str| -> Result<RawFd, String> {
        let v = get(n)?;
        v.parse::<RawFd>().ok().filter(|fd| *fd > 2).ok_or_else(|| format!("{n} '{v}' is not a descriptor"))
    };
    let (pidfd, state) = (fd("--pidfd")?, fd("--state-fd")?);
    if pidfd == state {
        return Err("--pidfd and --state-fd are the same descriptor".into());
    }
    // Both must be open in this process (the agent passed them), or they are not ours to take.
    for f in [pidfd, state] {
        // SAFETY: F_GETFD only asks whether the descriptor is open.
        if unsafe { libc::fcntl(f, libc::F_GETFD) } < 0 {
            return Err(format!("descriptor {f} is not open"));
        }
    }
    Ok(WatchArgs {
        qmgr: get("--qmgr")?,
        resource: get("--resource")?,
        node: get("--node")?,
        crm_resource: PathBuf::from(get("--crm-resource")?),
        // SAFETY: both descriptors were checked open above and were handed to this process for it.
        pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
        state: unsafe { std::fs::File::from_raw_fd(state) },
    })
}

/// Whether the state file this watcher holds still stands (not removed, not replaced).
fn still_wanted(state: &std::fs::File) -> bool {
    state.metadata().is_ok_and(|m| m.nlink() > 0)
}

/// `ibmmq watch ...`: runs one watcher until its controller ends (then asks Pacemaker once) or
/// it is no longer wanted. Exit 0 after asking or when unwanted, 1 when the request failed, 2 on
/// a bad command line.
pub fn main(args: &[OsString]) -> u8 {
    let instance = std::env::var("OCF_RESOURCE_INSTANCE").unwrap_or_else(|_| "default".to_string());
    log::init_from_env("ibmmq", &instance);
    let w = match parse_args(args) {
        Ok(w) => w,
        Err(e) => {
            log::err(format!("ibmmq watch: {e}"));
            return 2;
        }
    };
    loop {
        let ended = procs::exited_by(&w.pidfd, Instant::now() + WANTED_POLL);
        if !still_wanted(&w.state) {
            log::debug(format!("crash watch of {}: no longer wanted, exiting", w.qmgr));
            return 0;
        }
        if ended {
            break;
        }
    }
    log::err(format!(
        "crash watch: the execution controller of {} ended without a stop; asking Pacemaker to recover {} on {} now",
        w.qmgr, w.resource, w.node
    ));
    let argv = pacemaker::fail_args(&w.resource, &w.node);
    let deadline = Instant::now() + FAIL_TIMEOUT;
    match Runner::new(Path::new("/usr/sbin"), None).run(&w.crm_resource, &argv, None, deadline) {
        Ok(o) if o.rc == 0 => {
            log::info(format!("crash watch: {} {} accepted", w.crm_resource.display(), argv.join(" ")));
            0
        }
        Ok(o) => {
            log::err(format!(
                "crash watch: {} {} exited {} ({}); the next monitor will find {} down",
                w.crm_resource.display(),
                argv.join(" "),
                o.rc,
                o.explaining_line(),
                w.qmgr
            ));
            1
        }
        Err(e) => {
            log::err(format!("crash watch: {e}; the next monitor will find {} down", w.qmgr));
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_read_line_by_line_and_garbage_ignored() {
        let r = Record::parse("controller 100 5000\nwatcher 200 6000\n");
        assert_eq!(r.controller, Some(Pinned { pid: 100, start_ticks: 5000 }));
        assert_eq!(r.watcher, Some(Pinned { pid: 200, start_ticks: 6000 }));
        let r = Record::parse("controller 100 5000\n");
        assert_eq!(r.watcher, None, "armed, watcher not yet recorded");
        let r = Record::parse("watcher -1 7\nwatcher x 7\ncontroller 0 1\nwatcher 3\n\u{fffd}");
        assert_eq!(r, Record::default());
        let text = Record::line("controller", Pinned { pid: 9, start_ticks: 8 });
        assert_eq!(Record::parse(&text).controller, Some(Pinned { pid: 9, start_ticks: 8 }));
    }

    #[test]
    fn only_a_watcher_of_this_state_file_is_ours() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ours = args(&["ibmmq", "watch", "--qmgr", "QM1", "--state", "watch-_opt_mqm-QM1", "--pidfd", "3"]);
        assert!(is_watcher_cmdline(&ours, "watch-_opt_mqm-QM1"));
        assert!(!is_watcher_cmdline(&ours, "watch-_opt_mqm-QM2"));
        assert!(!is_watcher_cmdline(
            &args(&["ibmmq", "monitor", "--state", "watch-_opt_mqm-QM1"]),
            "watch-_opt_mqm-QM1"
        ));
        assert!(!is_watcher_cmdline(
            &args(&["sleep", "watch", "--state-fd", "watch-_opt_mqm-QM1"]),
            "watch-_opt_mqm-QM1"
        ));
        assert!(!is_watcher_cmdline(&args(&["ibmmq", "watch", "--state"]), ""));
    }

    #[test]
    fn a_bad_command_line_is_refused_naming_the_value() {
        let a = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let base =
            ["watch", "--qmgr", "QM1", "--resource", "qm1", "--node", "n1", "--crm-resource", "/usr/sbin/crm_resource"];
        let mut v: Vec<&str> = base.to_vec();
        v.extend(["--pidfd", "x", "--state-fd", "4"]);
        assert_eq!(parse_args(&a(&v)).unwrap_err(), "--pidfd 'x' is not a descriptor");
        let mut v: Vec<&str> = base.to_vec();
        v.extend(["--pidfd", "1", "--state-fd", "4"]);
        assert!(parse_args(&a(&v)).unwrap_err().contains("'1'"), "stdio is never taken");
        let mut v: Vec<&str> = base.to_vec();
        v.extend(["--pidfd", "900", "--state-fd", "901"]);
        assert_eq!(parse_args(&a(&v)).unwrap_err(), "descriptor 900 is not open");
        assert_eq!(parse_args(&a(&["watch"])).unwrap_err(), "--pidfd is missing");
    }
}
