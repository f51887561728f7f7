//! A queue manager's process family as /proc shows it (docs/reference/mq-processes-and-files.md#process-family): a
//! process belongs to queue manager QM when its program is one of IBM's queue-manager programs AND its arguments name
//! QM
//! exactly (`-m QM`, `-mQM`, or the positional QM of amqpcsea). Never a prefix match: QM1 is not QM10.
//! And only when it runs a program under the (canonical) installation path with the effective uid of
//! the mq user (or of a member of the mq group, never root): a look-alike another user runs from
//! the installation's world-executable files is not ours (docs/security.md#done-and-still-open).

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::deadline::{share, Backoff};
use crate::qmgr::{Journal, Level};

/// The programs IBM's own HA scripts treat as queue-manager processes, plus the ones newer
/// releases add (docs/reference/mq-processes-and-files.md#process-family).
pub const QM_PROGRAMS: &[&str] = &[
    "amqzxma0", "amqzmuc0", "amqzfuma", "amqzmur0", "amqzmuf0", "amqrrmfa", "amqzdmaa", "amqzmgr0", "amqzlaa0",
    "amqzlsa0", "amqzlwa0", "amqpcsea", "amqfqpub", "amqfcxba", "amqcrsta", "amqrmppa", "amqrcmla", "runmqchi",
    "runmqlsr",
];

/// Programs that take the queue-manager name as a plain positional argument.
const POSITIONAL: &[&str] = &["amqpcsea"];

/// The execution controller: while it lives, the queue manager lives.
pub const EXECUTION_CONTROLLER: &str = "amqzxma0";

/// One process as read from /proc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    /// Effective uid (the second field of `Uid:` in /proc/PID/status): the owner of /proc/PID is
    /// root for a setuid program.
    pub uid: u32,
    /// Basename of argv[0].
    pub name: String,
    pub args: Vec<String>,
}

impl Proc {
    pub fn describe(&self) -> String {
        let user = crate::user::user_name(self.uid);
        format!("{} (pid {}, user {})", self.args.join(" "), self.pid, user)
    }
}

/// Whether `args` (argv, program first) name queue manager `qm` the way MQ programs do.
pub fn names_queue_manager(args: &[String], qm: &str) -> bool {
    let prog = args.first().map(|a| basename(a)).unwrap_or("");
    let positional = POSITIONAL.contains(&prog);
    let mut it = args.iter().skip(1).peekable();
    while let Some(a) = it.next() {
        if a == "-m" {
            if it.peek().map(|n| n.as_str()) == Some(qm) {
                return true;
            }
        } else if let Some(rest) = a.strip_prefix("-m") {
            if rest == qm {
                return true;
            }
        } else if positional && a == qm {
            return true;
        }
    }
    false
}

/// Whether `p` is a process of queue manager `qm`.
pub fn belongs_to(p: &Proc, qm: &str) -> bool {
    QM_PROGRAMS.contains(&p.name.as_str()) && names_queue_manager(&p.args, qm)
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Reads one process; None when it is gone, a kernel thread, or a zombie.
pub fn read(pid: i32) -> Option<Proc> {
    read_in(Path::new("/proc"), pid)
}

fn read_in(proc_root: &Path, pid: i32) -> Option<Proc> {
    let mut buf = [0u8; 4096];
    let n = read_cmdline(proc_root, pid, &mut buf)?;
    let dir = proc_root.join(pid.to_string());
    proc_from(&dir, pid, &buf[..n])
}

/// Reads the start of /proc/PID/cmdline into a reused buffer: the scan reads it for
/// every process on the node, and most are dismissed by their program name alone.
fn read_cmdline(proc_root: &Path, pid: i32, buf: &mut [u8]) -> Option<usize> {
    use std::io::Read;
    let mut f = std::fs::File::open(format!("{}/{pid}/cmdline", proc_root.display())).ok()?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    Some(n)
}

fn program_of(cmdline: &[u8]) -> &[u8] {
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or(&[]);
    argv0.rsplit(|b| *b == b'/').next().unwrap_or(argv0)
}

/// The arguments of a /proc/PID/cmdline: NUL-separated, empty ones dropped, lossily decoded.
pub fn args_from_cmdline(raw: &[u8]) -> Vec<String> {
    raw.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}

/// The effective uid in a /proc/PID/status: the second field of its `Uid:` line.
pub fn euid_from_status(raw: &[u8]) -> Option<u32> {
    let line = raw.split(|b| *b == b'\n').find_map(|l| l.strip_prefix(b"Uid:"))?;
    let text = std::str::from_utf8(line).ok()?;
    text.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// The parent pid in a /proc/PID/stat; None for a zombie or a dead process, or malformed input.
pub fn ppid_from_stat(raw: &[u8]) -> Option<i32> {
    // comm may contain blanks and parentheses: fields start after the last ')'.
    let close = raw.iter().rposition(|b| *b == b')')?;
    let rest = std::str::from_utf8(raw.get(close + 1..)?).ok()?;
    let mut f = rest.split_ascii_whitespace();
    let state = f.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    f.next()?.parse().ok()
}

/// Reads at most `cap` bytes of a /proc file (they are small; the cap keeps a read bounded).
fn read_small(path: &Path, cap: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path).ok()?.take(cap).read_to_end(&mut out).ok()?;
    Some(out)
}

/// /proc/PID/limits, read bounded (a few hundred bytes on every kernel).
pub fn read_limits(pid: i32) -> Option<String> {
    String::from_utf8(read_small(&Path::new("/proc").join(pid.to_string()).join("limits"), 16 * 1024)?).ok()
}

fn euid_in(dir: &Path) -> Option<u32> {
    euid_from_status(&read_small(&dir.join("status"), 16 * 1024)?)
}

fn proc_from(dir: &Path, pid: i32, raw: &[u8]) -> Option<Proc> {
    if raw.is_empty() {
        return None; // kernel thread or zombie
    }
    let args = args_from_cmdline(raw);
    let name = basename(args.first()?).to_string();
    let uid = euid_in(dir)?;
    Some(Proc { pid, ppid: 0, uid, name, args })
}

fn ppid_in(proc_root: &Path, pid: i32) -> Option<i32> {
    ppid_from_stat(&read_small(&proc_root.join(pid.to_string()).join("stat"), 4096)?)
}

/// Whose processes are ours, by effective uid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The mq user's uid when known; any non-root member of the mq group either way (MQ's setuid
    /// programs run as mqm whoever of the group started them:
    /// docs/reference/mq-processes-and-files.md#setuid-programs).
    Mq(Option<u32>),
    /// Any uid: only to find the execution controller whose user is then judged (the derivation).
    Any,
}

impl Owner {
    pub fn accepts(self, euid: u32) -> bool {
        match self {
            Owner::Any => true,
            Owner::Mq(_) if euid == 0 => false,
            Owner::Mq(uid) => uid == Some(euid) || crate::user::in_mq_group(euid),
        }
    }
}

/// The installation path as /proc/PID/exe shows it: symlinks resolved, once per scan (the one
/// canonicalisation of installation paths, `installation::canonical`).
pub fn canonical(inst: &Path) -> PathBuf {
    crate::installation::canonical(inst)
}

/// What a look at /proc gave: the processes, or why there is no answer (it did not come in
/// time). No answer is never "nothing left": whoever decides from it must assume processes are.
pub type Scan = Result<Vec<Proc>, String>;

/// Why a look at /proc gave no answer before its deadline.
pub const NO_ANSWER: &str = "could not read /proc in time";

/// Every process of queue manager `qm` on this host, with parent pids, in pid order (read in this
/// process, without a deadline: for tests and for code already inside a scan's child).
pub fn family(qm: &str) -> Vec<Proc> {
    family_in(Path::new("/proc"), qm, None, Owner::Mq(None))
}

/// The processes of queue manager `qm` that run programs of the installation at `inst`
/// (/proc/PID/exe under it), read within `deadline`: a queue manager of the same name in another
/// installation is not ours. A process whose exe cannot be read is counted (safer to wait for it
/// than to miss it). Only processes `owner` accepts; that is judged here, after the scan, so a
/// user lookup is asked once per uid and action (`user::in_mq_group` remembers it).
pub fn family_of(qm: &str, inst: Option<&Path>, owner: Owner, deadline: Instant) -> Scan {
    let inst = inst.map(canonical);
    let found = within(deadline, || family_in(Path::new("/proc"), qm, inst.as_deref(), Owner::Any))?;
    Ok(found.into_iter().filter(|p| owner.accepts(p.uid)).collect())
}

/// Whether queue manager `qm` of the installation at `inst` runs here: its execution controller,
/// run by the mq user or a member of the mq group. Err when /proc gave no answer by `deadline`.
pub fn queue_manager_runs(qm: &crate::QmName, inst: &Path, deadline: Instant) -> Result<bool, String> {
    let fam = family_of(qm.as_str(), Some(inst), Owner::Mq(None), deadline)?;
    Ok(fam.iter().any(|p| p.name == EXECUTION_CONTROLLER))
}

/// The processes whose argv[0] is `program`, that `keep` accepts and that run a program of the
/// installation at `inst`, read within `deadline`; then only those `owner` accepts.
pub fn named_within(program: &str, inst: &Path, keep: impl Fn(&Proc) -> bool, owner: Owner, deadline: Instant) -> Scan {
    let inst = canonical(inst);
    let found = within(deadline, || {
        named(program)
            .into_iter()
            .filter(|p| keep(p) && in_installation(Path::new("/proc"), p.pid, Some(&inst)))
            .collect()
    })?;
    Ok(found.into_iter().filter(|p| owner.accepts(p.uid)).collect())
}

/// Which processes of a queue manager an operation looks at: its name, programs of its installation,
/// run by `uid` (the mq user, when known) or a member of the mq group.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub qm: &'a str,
    pub inst: Option<&'a Path>,
    pub uid: Option<u32>,
}

impl Scope<'_> {
    /// Them, read within `deadline` (in a forked child: reading another process's cmdline takes
    /// its mm lock, which a process stuck on hung storage can hold, proc(5)).
    pub fn list_within(&self, deadline: Instant) -> Scan {
        family_of(self.qm, self.inst, Owner::Mq(self.uid), deadline)
    }
    /// Whether `p` (freshly read) is still one of them.
    pub fn holds(&self, p: &Proc) -> bool {
        belongs_to(p, self.qm) && runs_as_ours(p, self.inst, Owner::Mq(self.uid))
    }
}

/// Runs the /proc reads of `scan` in a forked child (as storage looks do) that sends its answer
/// over a pipe, abandoned at `deadline`: the one place the agents read other processes' /proc
/// files for a decision. Err (`NO_ANSWER`) when it gives none in time. The child allocates: the
/// agent is single-threaded when it scans, and glibc keeps malloc usable across fork (fork(2)).
/// `scan` must not look users up (that forks again and forgets the answer): judge owners after.
pub fn within(deadline: Instant, scan: impl FnOnce() -> Vec<Proc>) -> Scan {
    let got = crate::storage::in_child(None, 16 << 20, deadline, |wr| {
        let mut out = Vec::new();
        for p in scan() {
            for n in [p.pid as u32, p.ppid as u32, p.uid, p.args.len() as u32] {
                out.extend_from_slice(&n.to_ne_bytes());
            }
            for a in &p.args {
                out.extend_from_slice(a.as_bytes());
                out.push(0);
            }
        }
        crate::storage::write_all(wr, &out);
    });
    let raw = match got {
        Ok(b) => b,
        Err(crate::storage::ChildFailed::Hung) => return Err(NO_ANSWER.into()),
        Err(crate::storage::ChildFailed::Other(e)) => return Err(format!("could not read /proc: {e}")),
    };
    decode_procs(&raw).ok_or_else(|| "could not read /proc: garbled answer from the scan".into())
}

/// The processes `pids` as /proc shows them now (gone ones left out), read within `deadline`.
pub fn read_within(pids: &[i32], deadline: Instant) -> Scan {
    within(deadline, || pids.iter().filter_map(|pid| read(*pid)).collect())
}

fn decode_procs(mut raw: &[u8]) -> Option<Vec<Proc>> {
    let mut out = Vec::new();
    while !raw.is_empty() {
        let mut n = [0u32; 4];
        for v in n.iter_mut() {
            let (b, rest) = raw.split_first_chunk::<4>()?;
            *v = u32::from_ne_bytes(*b);
            raw = rest;
        }
        let mut args = Vec::new();
        for _ in 0..n[3] {
            let end = raw.iter().position(|b| *b == 0)?;
            args.push(String::from_utf8_lossy(&raw[..end]).into_owned());
            raw = &raw[end + 1..];
        }
        let name = basename(args.first()?).to_string();
        out.push(Proc { pid: n[0] as i32, ppid: n[1] as i32, uid: n[2], name, args });
    }
    Some(out)
}

/// Whether `p` runs a program of the installation at `inst` (None: any) with an effective uid
/// `owner` accepts: what makes a process with the right name and arguments ours.
pub fn runs_as_ours(p: &Proc, inst: Option<&Path>, owner: Owner) -> bool {
    owner.accepts(p.uid) && in_installation(Path::new("/proc"), p.pid, inst.map(canonical).as_deref())
}

impl Ours for Scope<'_> {
    fn list(&self, deadline: Instant) -> Scan {
        self.list_within(deadline)
    }
    fn holds(&self, p: &Proc) -> bool {
        Scope::holds(self, p)
    }
}

/// The processes an operation may signal: listed afresh each round, and each one re-checked right
/// before a signal, so a pid reused by another program is never touched.
pub trait Ours {
    /// Them, read within `deadline`; Err when /proc gave no answer in time (then processes may
    /// be left: never take it for "none").
    fn list(&self, deadline: Instant) -> Scan;
    /// Whether `p` (freshly read, in this process) is still one of them.
    fn holds(&self, p: &Proc) -> bool;
}

/// How ending begins: a queue manager is killed at once (its own endmqm steps came before);
/// a listener or trigger monitor gets SIGTERM and half the time first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    TermFirst,
    KillAtOnce,
}

/// Waits until none of `ours` is left; returns what is left at `deadline`, or Err when the last
/// look gave no answer (processes may be left).
pub fn wait_gone(ours: &dyn Ours, deadline: Instant) -> Scan {
    let mut b = Backoff::fast();
    loop {
        let left = ours.list(deadline);
        if left.as_ref().is_ok_and(Vec::is_empty) || !b.sleep(deadline) {
            return left;
        }
    }
}

/// Whether a look proved that nothing is left.
pub fn none_left(scan: &Scan) -> bool {
    scan.as_ref().is_ok_and(Vec::is_empty)
}

/// Signals those of `procs` that are still ours, in IBM's order. Each is pinned by a pidfd first;
/// then all are re-read in one child within `deadline` (a pid reused before its pidfd opened fails
/// the check; one reused after it is not the pidfd's process), and the signal goes through the
/// pidfd (pidfd_open(2), pidfd_send_signal(2)). Nothing is signalled that was not re-read in time.
fn signal_each(ours: &dyn Ours, procs: Vec<Proc>, sig: Signal, deadline: Instant, j: &dyn Journal) -> Vec<i32> {
    let mut pinned = Vec::new();
    for p in kill_order(procs) {
        match pin(p.pid) {
            Pinned::Fd(fd) => pinned.push((p, Some(fd))),
            Pinned::NoPidfd => pinned.push((p, None)),
            Pinned::Gone => {}
        }
    }
    if pinned.is_empty() {
        return vec![];
    }
    let pids: Vec<i32> = pinned.iter().map(|(p, _)| p.pid).collect();
    let fresh = match read_within(&pids, deadline) {
        Ok(f) => f,
        Err(e) => {
            j.note(Level::Warn, &format!("{e} to re-check pids {pids:?} before {sig}; none signalled"));
            return vec![];
        }
    };
    let mut sent = Vec::new();
    for (p, fd) in pinned {
        match fresh.iter().find(|f| f.pid == p.pid) {
            Some(now) if ours.holds(now) => {}
            _ => continue,
        }
        if sig == Signal::SIGKILL {
            j.note(Level::Warn, &format!("killing {} with SIGKILL", p.describe()));
        }
        if send(p.pid, fd.as_ref(), sig) {
            sent.push(p.pid);
        }
    }
    sent
}

/// A pidfd of `pid`, opened first and then checked: the process is still one of `ours` and
/// `accept` takes it, read afresh within `deadline` (a pid reused before the open fails the check;
/// one reused after it is not the pidfd's process). What a watcher of a process holds.
pub fn pin_checked(
    ours: &dyn Ours,
    pid: i32,
    accept: impl Fn(&Proc) -> bool,
    deadline: Instant,
) -> Result<OwnedFd, String> {
    let fd = match pin(pid) {
        Pinned::Fd(fd) => fd,
        Pinned::NoPidfd => return Err("this kernel has no pidfd_open (Linux 5.3 or later)".into()),
        Pinned::Gone => return Err(format!("pid {pid} is gone")),
    };
    let fresh = read_within(&[pid], deadline)?;
    match fresh.iter().find(|p| p.pid == pid) {
        Some(p) if ours.holds(p) && accept(p) => Ok(fd),
        Some(p) => Err(format!("pid {pid} is not the process looked for any more: {}", p.describe())),
        None => Err(format!("pid {pid} is gone")),
    }
}

/// A pidfd of `pid` without a check: the caller checks the process after the open.
pub fn pidfd(pid: i32) -> Option<OwnedFd> {
    match pin(pid) {
        Pinned::Fd(fd) => Some(fd),
        _ => None,
    }
}

/// Signals the process of `pidfd` (pidfd_send_signal(2)); false when it is gone.
pub fn signal_pidfd(pidfd: &OwnedFd, sig: Signal) -> bool {
    send(0, Some(pidfd), sig)
}

/// Whether the process of `pidfd` has exited by `deadline` (poll(2) on the pidfd: readable once
/// it ended, whoever its parent is and whether or not it was reaped).
pub fn exited_by(pidfd: &OwnedFd, deadline: Instant) -> bool {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        let mut fds = libc::pollfd { fd: pidfd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one pollfd we own, for at most `ms` milliseconds.
        let rc = unsafe { libc::poll(&mut fds, 1, ms) };
        if rc > 0 {
            return true;
        }
        if rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return false;
        }
    }
}

/// When process `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat): with the
/// pid, what tells one process from a later one that reused its pid.
pub fn start_ticks(pid: i32) -> Option<u64> {
    let stat = read_small(&Path::new("/proc").join(pid.to_string()).join("stat"), 4096)?;
    start_ticks_from_stat(&stat)
}

/// Field 22 of a /proc/PID/stat line (the fields after the command name, which may hold spaces
/// and parentheses).
pub fn start_ticks_from_stat(raw: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(&raw[raw.iter().rposition(|b| *b == b')')? + 1..]).ok()?;
    text.split_whitespace().nth(19)?.parse().ok()
}

enum Pinned {
    Fd(OwnedFd),
    /// Kernels before 5.3: the check right before kill(2) is all there is.
    NoPidfd,
    Gone,
}

fn pin(pid: i32) -> Pinned {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd >= 0 {
        // SAFETY: the descriptor was just returned to us and is owned by nothing else.
        Pinned::Fd(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    } else if std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS) {
        Pinned::NoPidfd
    } else {
        Pinned::Gone
    }
}

fn send(pid: i32, pidfd: Option<&OwnedFd>, sig: Signal) -> bool {
    match pidfd {
        Some(fd) => {
            // SAFETY: a signal number and a null siginfo through a descriptor we own.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    sig as libc::c_int,
                    std::ptr::null::<u8>(),
                    0,
                )
            };
            rc == 0
        }
        None => kill(Pid::from_raw(pid), sig).is_ok(),
    }
}

/// Ends `ours` within `deadline`: optionally SIGTERM and half the time, then SIGKILL in IBM's
/// order (amqzmuc0, amqzxma0, the rest) in a few rounds that catch children appearing while their
/// parent dies. Returns the pids killed with SIGKILL and what is left (Err: the last look gave no
/// answer, so processes may be left). A look without an answer escalates, never ends early.
pub fn end(ours: &dyn Ours, how: Ending, deadline: Instant, j: &dyn Journal) -> (Vec<i32>, Scan) {
    if how == Ending::TermFirst {
        match ours.list(share(deadline, 0.25)) {
            Ok(first) if first.is_empty() => return (vec![], Ok(first)),
            Ok(first) => {
                signal_each(ours, first, Signal::SIGTERM, share(deadline, 0.25), j);
                if none_left(&wait_gone(ours, share(deadline, 0.5))) {
                    return (vec![], Ok(vec![]));
                }
            }
            Err(e) => j.note(Level::Warn, &format!("{e}; going on to SIGKILL as if processes were left")),
        }
    }
    let mut killed = Vec::new();
    for _ in 0..5 {
        let round = share(deadline, 0.5).max(Instant::now() + Duration::from_millis(200)).min(deadline);
        match ours.list(round) {
            Ok(fam) if fam.is_empty() => break,
            Ok(fam) => killed.extend(signal_each(ours, fam, Signal::SIGKILL, round, j)),
            Err(e) => j.note(Level::Warn, &format!("{e}; looking again")),
        }
        let round = share(deadline, 0.5).max(Instant::now() + Duration::from_millis(200)).min(deadline);
        if none_left(&wait_gone(ours, round)) || Instant::now() >= deadline {
            break;
        }
    }
    let left = wait_gone(ours, deadline);
    (killed, left)
}

/// Every process whose argv[0] has basename `program`, in pid order. Only the command line of
/// each process is read until one matches, so a monitor's scan of a busy node stays cheap.
pub fn named(program: &str) -> Vec<Proc> {
    let proc_root = Path::new("/proc");
    let Ok(dir) = std::fs::read_dir(proc_root) else { return vec![] };
    let me = std::process::id() as i32;
    let mut buf = [0u8; 4096];
    let mut out: Vec<Proc> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|pid| *pid != me)
        .filter(|pid| {
            read_cmdline(proc_root, *pid, &mut buf).is_some_and(|n| program_of(&buf[..n]) == program.as_bytes())
        })
        .filter_map(read)
        .collect();
    out.sort_by_key(|p| p.pid);
    out
}

/// The value of option `flag` in argv, written `-p 1414` or `-p1414`.
pub fn option_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a == flag {
            return it.next().map(String::as_str);
        }
        if let Some(rest) = a.strip_prefix(flag) {
            if !rest.is_empty() && !rest.starts_with('-') {
                return Some(rest);
            }
        }
    }
    None
}

fn in_installation(proc_root: &Path, pid: i32, inst: Option<&Path>) -> bool {
    let Some(inst) = inst else { return true };
    match std::fs::read_link(proc_root.join(pid.to_string()).join("exe")) {
        Ok(exe) => exe.starts_with(inst),
        Err(_) => true,
    }
}

/// The processes of `qm` under `proc_root`; `inst` must already be canonical.
pub fn family_in(proc_root: &Path, qm: &str, inst: Option<&Path>, owner: Owner) -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir(proc_root) else { return vec![] };
    let me = std::process::id() as i32;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        // argv[0], not comm: a program started through a link or a multi-call binary keeps its
        // MQ name only there. Most processes are dismissed by it without any allocation.
        let Some(n) = read_cmdline(proc_root, pid, &mut buf) else { continue };
        let prog = program_of(&buf[..n]);
        if !QM_PROGRAMS.iter().any(|q| q.as_bytes() == prog) {
            continue;
        }
        let Some(mut p) = proc_from(&proc_root.join(pid.to_string()), pid, &buf[..n]) else { continue };
        if !belongs_to(&p, qm) || !owner.accepts(p.uid) || !in_installation(proc_root, pid, inst) {
            continue;
        }
        match ppid_in(proc_root, pid) {
            Some(pp) => p.ppid = pp,
            None => continue, // exited or a zombie meanwhile: holds nothing any more
        }
        out.push(p);
    }
    out.sort_by_key(|p| p.pid);
    out
}

/// A process of `args` (pid 10, uid 999) as /proc would show it, for the matching tests.
#[cfg(test)]
pub(crate) fn test_proc(args: &[&str]) -> Proc {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    Proc { pid: 10, ppid: 1, uid: 999, name: basename(&args[0]).to_string(), args }
}

/// IBM's order for killing a queue manager by hand (docs/reference/prior-art.md#manual-kill-order): the logger
/// amqzmuc0 first, then the execution controller amqzxma0 (so it does not report the others' deaths), then the rest.
pub fn kill_order(mut procs: Vec<Proc>) -> Vec<Proc> {
    let rank = |p: &Proc| match p.name.as_str() {
        "amqzmuc0" => 0,
        "amqzxma0" => 1,
        _ => 2,
    };
    procs.sort_by_key(|p| (rank(p), p.pid));
    procs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    // The `ps -ef` lines of docs/reference/mq-processes-and-files.md#process-family.
    #[test]
    fn matches_every_argument_form_of_the_reference() {
        for l in [
            "amqzxma0 -m qmgr1",
            "/opt/mqm/bin/amqzfuma -m qmgr1",
            "/opt/mqm/bin/amqrrmfa -m qmgr1 -t2332800 -s2592000 -p2592000 -g5184000 -c3600",
            "amqzlaa0 -mqmgr1 -fip0",
            "/opt/mqm/bin/amqpcsea qmgr1",
            "amqfqpub -mqmgr1",
            "/opt/mqm/bin/amqzxma0 -m QM_ORANGE -u mqm",
            "/opt/mqm/bin/runmqlsr -r -m qmgr1 -t TCP -p 1414 -i 192.168.93.107",
        ] {
            let a = argv(l);
            let qm = if l.contains("QM_ORANGE") { "QM_ORANGE" } else { "qmgr1" };
            assert!(names_queue_manager(&a, qm), "{l}");
            let p = Proc { pid: 1, ppid: 0, uid: 0, name: basename(&a[0]).into(), args: a.clone() };
            assert!(belongs_to(&p, qm), "{l}");
        }
    }

    #[test]
    fn never_a_prefix_or_another_queue_manager() {
        for (l, qm) in [
            ("amqzxma0 -m QM10", "QM1"),
            ("amqzxma0 -m QM1", "QM10"),
            ("amqzlaa0 -mQM10 -fip0", "QM1"),
            ("amqpcsea QM10", "QM1"),
            ("runmqlsr -t TCP -m OTHER", "TCP"),
            ("amqzxma0 -m qm1", "QM1"),
        ] {
            let a = argv(l);
            let p = Proc { pid: 1, ppid: 0, uid: 0, name: basename(&a[0]).into(), args: a.clone() };
            assert!(!belongs_to(&p, qm), "{l} must not match {qm}");
        }
        // An application naming the queue manager is not a queue-manager process.
        let a = argv("/usr/bin/myapp -m QM1");
        assert!(!belongs_to(&Proc { pid: 1, ppid: 0, uid: 0, name: "myapp".into(), args: a }, "QM1"));
    }

    #[test]
    fn ibm_kill_order() {
        let mk = |pid, n: &str| Proc { pid, ppid: 0, uid: 0, name: n.into(), args: vec![n.into()] };
        let order: Vec<_> =
            kill_order(vec![mk(5, "amqzlaa0"), mk(9, "amqzxma0"), mk(7, "amqzmuc0"), mk(3, "amqrrmfa")])
                .into_iter()
                .map(|p| p.name)
                .collect();
        assert_eq!(order, ["amqzmuc0", "amqzxma0", "amqrrmfa", "amqzlaa0"]);
    }

    #[test]
    fn reads_a_fake_proc_tree() {
        let d = tempfile::tempdir().unwrap();
        let mqm = crate::user::MqUser::lookup("mqm").unwrap().uid;
        let mk = |pid: i32, cmd: &str, stat: &str| {
            let p = d.path().join(pid.to_string());
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("cmdline"), cmd.replace(' ', "\0") + "\0").unwrap();
            std::fs::write(p.join("stat"), stat).unwrap();
            std::fs::write(p.join("status"), format!("Name:\tx\nUid:\t0\t{mqm}\t0\t{mqm}\n")).unwrap();
        };
        mk(100, "amqzxma0 -m QM1 -u mqm", "100 (amqzxma0) S 1 100 100");
        mk(101, "amqzmuc0 -m QM1", "101 (amq zmuc0)) S 100 100 100");
        mk(102, "amqzmuc0 -m QM10", "102 (amqzmuc0) S 1 102 102");
        mk(103, "amqzmur0 -m QM1", "103 (amqzmur0) Z 100 100 100");
        let f = family_in(d.path(), "QM1", None, Owner::Mq(None));
        assert_eq!(f.iter().map(|p| (p.pid, p.ppid)).collect::<Vec<_>>(), [(100, 1), (101, 100)]);
        assert!(f.iter().all(|p| p.uid == mqm), "the effective uid, not the directory's owner (root)");
        // The same name in another installation is not ours.
        std::os::unix::fs::symlink("/opt/mqm/bin/amqzxma0", d.path().join("100/exe")).unwrap();
        std::os::unix::fs::symlink("/opt/mqm93/bin/amqzmuc0", d.path().join("101/exe")).unwrap();
        let f = family_in(d.path(), "QM1", Some(Path::new("/opt/mqm")), Owner::Mq(None));
        assert_eq!(f.iter().map(|p| p.pid).collect::<Vec<_>>(), [100]);
        // Another user's look-alike (effective uid nobody, or root) is not ours, but is found for
        // the derivation, which judges its user afterwards.
        std::fs::write(d.path().join("100/status"), "Uid:\t65534\t65534\t65534\t65534\n").unwrap();
        assert!(family_in(d.path(), "QM1", None, Owner::Mq(None)).iter().all(|p| p.pid != 100));
        assert!(family_in(d.path(), "QM1", None, Owner::Mq(Some(65534))).iter().any(|p| p.pid == 100));
        assert!(family_in(d.path(), "QM1", None, Owner::Any).iter().any(|p| p.pid == 100));
        std::fs::write(d.path().join("100/status"), "Uid:\t999\t0\t0\t0\n").unwrap();
        assert!(family_in(d.path(), "QM1", None, Owner::Mq(Some(0))).iter().all(|p| p.pid != 100));
    }

    #[test]
    fn proc_file_parsers() {
        assert_eq!(euid_from_status(b"Name:\tamqzxma0\nUid:\t0\t999\t0\t999\nGid:\t1\t2\t3\t4\n"), Some(999));
        assert_eq!(euid_from_status(b"Uid:\t5\n"), None);
        assert_eq!(euid_from_status(b""), None);
        assert_eq!(ppid_from_stat(b"7 (a) b)) S 3 7 7"), Some(3));
        assert_eq!(ppid_from_stat(b"7 (a)"), None);
        assert_eq!(ppid_from_stat(b"7 (a) Z 3"), None);
        assert_eq!(args_from_cmdline(b"a\0\0b\xff\0"), ["a", "b\u{fffd}"]);
    }

    #[test]
    fn a_scan_in_a_child_answers_or_times_out() {
        let soon = || Instant::now() + Duration::from_secs(5);
        let fam = vec![
            Proc { pid: 100, ppid: 1, ..test_proc(&["/opt/mqm/bin/amqzxma0", "-m", "QM1", "-u", "mqm"]) },
            Proc { pid: 101, ppid: 100, ..test_proc(&["amqzmuc0", "-m", "QM1"]) },
        ];
        assert_eq!(within(soon(), || fam.clone()).unwrap(), fam);
        assert_eq!(within(soon(), Vec::new).unwrap(), []);
        let t = Instant::now();
        let e = within(Instant::now() + Duration::from_millis(300), || {
            std::thread::sleep(Duration::from_secs(30));
            vec![]
        })
        .unwrap_err();
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        assert_eq!(e, "could not read /proc in time");
        let none = Scope { qm: "NO.SUCH.QM.MQHA.TEST", inst: None, uid: None };
        assert_eq!(none.list_within(soon()).unwrap(), []);
    }

    #[test]
    fn sees_nothing_for_a_queue_manager_that_is_not_there() {
        assert!(family("NO.SUCH.QM.MQHA.TEST").is_empty());
    }
    #[test]
    fn processes_by_program_name() {
        let mut child = std::process::Command::new("/bin/sleep").arg("31").spawn().unwrap();
        let pid = child.id() as i32;
        let end = std::time::Instant::now() + Duration::from_secs(5);
        let mut found = false;
        while !found && std::time::Instant::now() < end {
            found = named("sleep").iter().any(|p| p.pid == pid && p.args == ["/bin/sleep", "31"]);
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(found, "sleep {pid} not found by name");
        assert!(!named("sleep").iter().any(|p| p.pid == pid));
        assert!(named("no-such-program-mqha").is_empty());
    }

    /// A `sleep 30` child as the processes to end.
    struct Sleeper(i32);
    impl Ours for Sleeper {
        fn list(&self, deadline: Instant) -> Scan {
            Ok(read_within(&[self.0], deadline)?.into_iter().filter(|p| self.holds(p)).collect())
        }
        fn holds(&self, p: &Proc) -> bool {
            p.name == "sleep" && p.args.get(1).map(String::as_str) == Some("30")
        }
    }

    /// Sleepers that are never (any more) ours when re-read right before the signal.
    struct Disowned(i32);
    impl Ours for Disowned {
        fn list(&self, deadline: Instant) -> Scan {
            read_within(&[self.0], deadline)
        }
        fn holds(&self, _: &Proc) -> bool {
            false
        }
    }

    #[test]
    fn a_pinned_process_is_checked_after_the_pin_and_its_exit_seen_through_the_pidfd() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        let end_at = Instant::now() + Duration::from_secs(5);
        while read(pid).is_none_or(|p| p.name != "sleep") && Instant::now() < end_at {
            std::thread::sleep(Duration::from_millis(10));
        }
        let soon = || Instant::now() + Duration::from_secs(5);
        assert!(pin_checked(&Disowned(pid), pid, |_| true, soon()).is_err(), "not ours: no pidfd");
        assert!(pin_checked(&Sleeper(pid), pid, |p| p.name == "amqzxma0", soon()).is_err(), "refused: no pidfd");
        let fd = pin_checked(&Sleeper(pid), pid, |p| p.name == "sleep", soon()).unwrap();
        assert!(start_ticks(pid).is_some());
        assert!(!exited_by(&fd, Instant::now() + Duration::from_millis(50)), "still running");
        assert!(signal_pidfd(&fd, Signal::SIGKILL));
        assert!(exited_by(&fd, soon()), "the pidfd tells the exit, reaped or not");
        let _ = child.wait();
        assert!(!signal_pidfd(&fd, Signal::SIGKILL), "a reaped process is never signalled through its pidfd");
        assert!(pin_checked(&Sleeper(pid), pid, |_| true, soon()).is_err(), "gone");
    }

    #[test]
    fn the_start_time_is_field_22_after_any_command_name() {
        let stat = b"42 (a) b) (c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
        assert_eq!(start_ticks_from_stat(stat), Some(98765));
        assert_eq!(start_ticks_from_stat(b"42 (x) S 1"), None);
        assert_eq!(start_ticks_from_stat(b"garbage"), None);
    }

    #[test]
    fn a_process_that_fails_the_recheck_is_never_signalled() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        let end_at = Instant::now() + Duration::from_secs(5);
        while read(pid).is_none() && Instant::now() < end_at {
            std::thread::sleep(Duration::from_millis(10));
        }
        let (killed, left) =
            end(&Disowned(pid), Ending::TermFirst, Instant::now() + Duration::from_millis(300), &crate::qmgr::Silent);
        let alive = matches!(child.try_wait(), Ok(None));
        let _ = child.kill();
        let _ = child.wait();
        assert!(killed.is_empty() && alive, "signalled a process the re-check refused (left {left:?})");
        // A pid that is gone: nothing to pin, nothing sent.
        let gone = Proc { pid, ..test_proc(&["sleep", "30"]) };
        let soon = Instant::now() + Duration::from_secs(5);
        assert!(signal_each(&Sleeper(pid), vec![gone], Signal::SIGTERM, soon, &crate::qmgr::Silent).is_empty());
    }

    /// Processes whose /proc never answers in time (a process stuck on hung storage holding its
    /// mm lock): every look runs until its deadline and gives no answer.
    struct Mute;
    impl Ours for Mute {
        fn list(&self, deadline: Instant) -> Scan {
            within(deadline, || {
                std::thread::sleep(Duration::from_secs(30));
                vec![]
            })
        }
        fn holds(&self, _: &Proc) -> bool {
            true
        }
    }

    #[test]
    fn a_look_without_an_answer_is_never_taken_for_nothing_left() {
        for how in [Ending::TermFirst, Ending::KillAtOnce] {
            let t = Instant::now();
            let deadline = t + Duration::from_millis(600);
            let (killed, left) = end(&Mute, how, deadline, &crate::qmgr::Silent);
            assert!(killed.is_empty(), "{how:?}: nothing known, nothing signalled");
            assert_eq!(left, Err(NO_ANSWER.to_string()), "{how:?}: no answer must not read as none left");
            let over = Instant::now().saturating_duration_since(deadline);
            assert!(over < Duration::from_millis(300), "{how:?}: ran {over:?} past the deadline");
        }
        let left = wait_gone(&Mute, Instant::now() + Duration::from_millis(200));
        assert!(!none_left(&left), "{left:?}");
        // A stop's decision: only a look that answered "none" ends it.
        assert!(none_left(&Ok(vec![])) && !none_left(&Ok(vec![test_proc(&["amqzxma0", "-m", "QM1"])])));
    }

    #[test]
    fn family_scans_take_a_deadline() {
        let soon = Instant::now() + Duration::from_secs(5);
        assert_eq!(family_of("NO.SUCH.QM.MQHA.TEST", None, Owner::Any, soon), Ok(vec![]));
        let qm = crate::QmName::new("NO.SUCH.QM.MQHA").unwrap();
        assert_eq!(queue_manager_runs(&qm, Path::new("/opt/mqm"), soon), Ok(false));
        assert_eq!(named_within("no-such-program-mqha", Path::new("/"), |_| true, Owner::Any, soon), Ok(vec![]));
        // A deadline already passed: no answer, not "nothing".
        assert_eq!(family_of("QM1", None, Owner::Any, Instant::now()), Err(NO_ANSWER.to_string()));
    }

    #[test]
    fn ending_terms_first_when_asked() {
        use std::os::unix::process::ExitStatusExt;
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let s = Sleeper(child.id() as i32);
        let end_at = Instant::now() + Duration::from_secs(5);
        while !s.list(end_at).is_ok_and(|l| !l.is_empty()) && Instant::now() < end_at {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(s.list(end_at).is_ok_and(|l| !l.is_empty()), "sleep never showed up");
        let reaper = std::thread::spawn(move || child.wait());
        let started = Instant::now();
        let (killed, left) = end(&s, Ending::TermFirst, Instant::now() + Duration::from_secs(5), &crate::qmgr::Silent);
        assert!(none_left(&left) && killed.is_empty());
        let status = reaper.join().unwrap().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
