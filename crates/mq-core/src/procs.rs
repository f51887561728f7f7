//! A queue manager's process family as /proc shows it (docs/reference/mq-processes-and-files.md#process-family): a
//! process belongs to queue manager QM when its program is one of IBM's queue-manager programs AND its arguments name
//! QM
//! exactly (`-m QM`, `-mQM`, or the positional QM of amqpcsea). Never a prefix match: QM1 is not QM10.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
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
    pub uid: u32,
    /// Basename of argv[0].
    pub name: String,
    pub args: Vec<String>,
}

impl Proc {
    pub fn describe(&self) -> String {
        let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(self.uid))
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_else(|| self.uid.to_string());
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

fn proc_from(dir: &Path, pid: i32, raw: &[u8]) -> Option<Proc> {
    if raw.is_empty() {
        return None; // kernel thread or zombie
    }
    let args: Vec<String> =
        raw.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
    let name = basename(args.first()?).to_string();
    let uid = std::fs::metadata(dir).ok()?.uid();
    Some(Proc { pid, ppid: 0, uid, name, args })
}

fn ppid_in(proc_root: &Path, pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")).ok()?;
    // comm may contain blanks and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut f = rest.split(' ');
    let state = f.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    f.next()?.parse().ok()
}

/// Every process of queue manager `qm` on this host, with parent pids, in pid order.
pub fn family(qm: &str) -> Vec<Proc> {
    family_in(Path::new("/proc"), qm, None)
}

/// The processes of queue manager `qm` that run programs of the installation at `inst`
/// (/proc/PID/exe under it): a queue manager of the same name in another installation is not
/// ours. A process whose exe cannot be read is counted (safer to wait for it than to miss it).
pub fn family_of(qm: &str, inst: Option<&Path>) -> Vec<Proc> {
    family_in(Path::new("/proc"), qm, inst)
}

/// Whether queue manager `qm` of the installation at `inst` runs here: its execution controller.
pub fn queue_manager_runs(qm: &crate::QmName, inst: &Path) -> bool {
    family_of(qm.as_str(), Some(inst)).iter().any(|p| p.name == EXECUTION_CONTROLLER)
}

/// Which processes of a queue manager an operation looks at.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub qm: &'a str,
    pub inst: Option<&'a Path>,
}

impl Scope<'_> {
    pub fn list(&self) -> Vec<Proc> {
        family_of(self.qm, self.inst)
    }
    /// Whether `p` (freshly read) is still one of them.
    pub fn holds(&self, p: &Proc) -> bool {
        belongs_to(p, self.qm) && in_installation(Path::new("/proc"), p.pid, self.inst)
    }
}

impl Ours for Scope<'_> {
    fn list(&self) -> Vec<Proc> {
        Scope::list(self)
    }
    fn holds(&self, p: &Proc) -> bool {
        Scope::holds(self, p)
    }
}

/// The processes an operation may signal: listed afresh each round, and each one re-checked right
/// before a signal, so a pid reused by another program is never touched.
pub trait Ours {
    fn list(&self) -> Vec<Proc>;
    /// Whether `p` (freshly read) is still one of them.
    fn holds(&self, p: &Proc) -> bool;
}

/// How ending begins: a queue manager is killed at once (its own endmqm steps came before);
/// a listener or trigger monitor gets SIGTERM and half the time first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    TermFirst,
    KillAtOnce,
}

/// Waits until none of `ours` is left; returns what is left at `deadline`.
pub fn wait_gone(ours: &dyn Ours, deadline: Instant) -> Vec<Proc> {
    let mut b = Backoff::fast();
    loop {
        let left = ours.list();
        if left.is_empty() || !b.sleep(deadline) {
            return left;
        }
    }
}

fn signal_each(ours: &dyn Ours, procs: Vec<Proc>, sig: Signal, j: &dyn Journal) -> Vec<i32> {
    let mut sent = Vec::new();
    for p in kill_order(procs) {
        match read(p.pid) {
            Some(now) if ours.holds(&now) => {
                if sig == Signal::SIGKILL {
                    j.note(Level::Warn, &format!("killing {} with SIGKILL", p.describe()));
                }
                if kill(Pid::from_raw(p.pid), sig).is_ok() {
                    sent.push(p.pid);
                }
            }
            _ => {}
        }
    }
    sent
}

/// Ends `ours` within `deadline`: optionally SIGTERM and half the time, then SIGKILL in IBM's
/// order (amqzmuc0, amqzxma0, the rest) in a few rounds that catch children appearing while their
/// parent dies. Returns the pids killed with SIGKILL and the survivors.
pub fn end(ours: &dyn Ours, how: Ending, deadline: Instant, j: &dyn Journal) -> (Vec<i32>, Vec<Proc>) {
    if how == Ending::TermFirst {
        let first = ours.list();
        if first.is_empty() {
            return (vec![], first);
        }
        signal_each(ours, first, Signal::SIGTERM, j);
        if wait_gone(ours, share(deadline, 0.5)).is_empty() {
            return (vec![], vec![]);
        }
    }
    let mut killed = Vec::new();
    for _ in 0..5 {
        let fam = ours.list();
        if fam.is_empty() {
            break;
        }
        killed.extend(signal_each(ours, fam, Signal::SIGKILL, j));
        let left = wait_gone(ours, share(deadline, 0.5).max(Instant::now() + Duration::from_millis(200)).min(deadline));
        if left.is_empty() || Instant::now() >= deadline {
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

/// Whether process `pid` runs a program of the installation at `inst` (None: any installation).
pub fn in_installation_of(pid: i32, inst: Option<&Path>) -> bool {
    in_installation(Path::new("/proc"), pid, inst)
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

pub fn family_in(proc_root: &Path, qm: &str, inst: Option<&Path>) -> Vec<Proc> {
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
        if !belongs_to(&p, qm) || !in_installation(proc_root, pid, inst) {
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
        let mk = |pid: i32, cmd: &str, stat: &str| {
            let p = d.path().join(pid.to_string());
            std::fs::create_dir(&p).unwrap();
            std::fs::write(p.join("cmdline"), cmd.replace(' ', "\0") + "\0").unwrap();
            std::fs::write(p.join("stat"), stat).unwrap();
        };
        mk(100, "amqzxma0 -m QM1 -u mqm", "100 (amqzxma0) S 1 100 100");
        mk(101, "amqzmuc0 -m QM1", "101 (amq zmuc0)) S 100 100 100");
        mk(102, "amqzmuc0 -m QM10", "102 (amqzmuc0) S 1 102 102");
        mk(103, "amqzmur0 -m QM1", "103 (amqzmur0) Z 100 100 100");
        let f = family_in(d.path(), "QM1", None);
        assert_eq!(f.iter().map(|p| (p.pid, p.ppid)).collect::<Vec<_>>(), [(100, 1), (101, 100)]);
        // The same name in another installation is not ours.
        std::os::unix::fs::symlink("/opt/mqm/bin/amqzxma0", d.path().join("100/exe")).unwrap();
        std::os::unix::fs::symlink("/opt/mqm93/bin/amqzmuc0", d.path().join("101/exe")).unwrap();
        let f = family_in(d.path(), "QM1", Some(Path::new("/opt/mqm")));
        assert_eq!(f.iter().map(|p| p.pid).collect::<Vec<_>>(), [100]);
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
        fn list(&self) -> Vec<Proc> {
            read(self.0).filter(|p| self.holds(p)).into_iter().collect()
        }
        fn holds(&self, p: &Proc) -> bool {
            p.name == "sleep" && p.args.get(1).map(String::as_str) == Some("30")
        }
    }

    #[test]
    fn ending_terms_first_when_asked() {
        use std::os::unix::process::ExitStatusExt;
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let s = Sleeper(child.id() as i32);
        let end_at = Instant::now() + Duration::from_secs(5);
        while s.list().is_empty() && Instant::now() < end_at {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!s.list().is_empty(), "sleep never showed up");
        let reaper = std::thread::spawn(move || child.wait());
        let started = Instant::now();
        let (killed, left) = end(&s, Ending::TermFirst, Instant::now() + Duration::from_secs(5), &crate::qmgr::Silent);
        assert!(left.is_empty() && killed.is_empty());
        let status = reaper.join().unwrap().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
