//! The process family below the execution controller. Every process is this binary run under an
//! IBM program name from ROOT/opt/mqm/bin, with IBM's arguments
//! (docs/reference/mq-processes-and-files.md#process-family). A child learns of its
//! parent's death the way MQ's do in effect — it ends — through a socket pair on fd 3 whose other
//! end only the parent holds; with the `leave-children` crash fault it survives instead.

use crate::faults::{self, Fault};
use crate::paths::{Installation, QmPaths};
use crate::runtime::ipc;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

/// fd on which a child finds the link to its parent.
pub const PARENT_FD: i32 = 3;
pub const PARENT_FD_ENV: &str = "MQSIM_PARENT_FD";

/// A spawned child: its pid and our end of its parent link.
pub struct ChildLink {
    pub pid: u32,
    pub link: UnixStream,
}

/// Spawns ROOT/opt/mqm/bin/<prog> with argv[0] = the full path (`full`) or the bare name, as the
/// reference's ps listing shows each program.
pub fn spawn(inst: &Installation, prog: &str, full: bool, args: &[String]) -> std::io::Result<ChildLink> {
    let (ours, theirs) = UnixStream::pair()?;
    let fd = theirs.as_raw_fd();
    let path = inst.bin_dir.join(prog);
    let mut cmd = Command::new(&path);
    if full {
        cmd.arg0(&path);
    } else {
        cmd.arg0(prog);
    }
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    cmd.env(PARENT_FD_ENV, PARENT_FD.to_string());
    unsafe {
        cmd.pre_exec(move || {
            if fd == PARENT_FD {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            } else if libc::dup2(fd, PARENT_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    drop(theirs);
    Ok(ChildLink { pid: child.id(), link: ours })
}

/// This process's link to its parent, when it was spawned by the family.
pub fn parent_link() -> Option<UnixStream> {
    use std::os::fd::FromRawFd;
    let fd: i32 = std::env::var(PARENT_FD_ENV).ok()?.parse().ok()?;
    std::env::remove_var(PARENT_FD_ENV);
    // Our own children get their own link; keep this one out of them.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    Some(unsafe { UnixStream::from_raw_fd(fd) })
}

/// Reaps exited children (the family never waits on a particular one).
pub fn start_reaper() {
    std::thread::spawn(|| loop {
        loop {
            match nix::sys::wait::waitpid(None, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
                Ok(nix::sys::wait::WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => continue,
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    });
}

/// Makes orphaned descendants (a grandchild whose parent ended first) ours to reap, so an ended
/// queue manager leaves no zombies behind even where init does not reap.
pub fn become_subreaper() {
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// Reaps every child that has exited or exits within `within` (until none are left).
pub fn reap_all(within: Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        match nix::sys::wait::waitpid(None, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
            Err(_) => return, // ECHILD: no children left
            Ok(nix::sys::wait::WaitStatus::StillAlive) => {
                if std::time::Instant::now() > deadline {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(_) => {}
        }
    }
}

/// After the parent is gone: end, or (crash fault) live on as an orphan holding the QM's IPC.
pub fn on_parent_death(inst: &Installation, qm: &QmPaths) -> ! {
    if faults::is_set(inst, qm, Fault::LeaveChildren) {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    std::process::exit(0)
}

/// Blocks until the parent link reaches end of file (the parent died or closed it).
pub fn wait_parent(link: &UnixStream) {
    use std::io::Read;
    let mut buf = [0u8; 64];
    let mut r = link;
    while let Ok(n) = r.read(&mut buf) {
        if n == 0 {
            return;
        }
    }
}

/// The queue-manager name in a family member's arguments (`-m QM`, `-mQM`, or positional).
pub fn qm_arg(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-m" {
            return it.next().cloned();
        }
        if let Some(rest) = a.strip_prefix("-m") {
            if !rest.is_empty() {
                return Some(rest.to_string());
            }
        }
    }
    args.iter().find(|a| !a.starts_with('-')).cloned()
}

/// The plain family members: attach the QM's IPC, start their own children, live while the parent does.
pub fn member_main(prog: &str, args: Vec<String>) -> i32 {
    let Some(name) = qm_arg(&args) else {
        eprintln!("{prog}: no queue manager name in arguments {args:?}");
        return 20;
    };
    let (inst, qm) = match crate::paths::Installation::current().and_then(|i| i.qm(&name).map(|q| (i, q))) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{prog}: {e}");
            return 20;
        }
    };
    ipc::attach(&inst, &qm);
    start_reaper();
    // amqzmuf0 -> amqfqpub -> amqfcxba, as the ps listing in
    // docs/reference/mq-processes-and-files.md#process-family shows the parents.
    let mut kids = Vec::new();
    let sub: Option<(&str, bool, Vec<String>)> = match prog {
        "amqzmuf0" => Some(("amqfqpub", false, vec![format!("-m{name}")])),
        "amqfqpub" => Some(("amqfcxba", false, vec!["-m".into(), name.clone()])),
        _ => None,
    };
    if let Some((p, full, a)) = sub {
        if let Ok(k) = spawn(&inst, p, full, &a) {
            kids.push(k);
        }
    }
    match parent_link() {
        Some(link) => {
            wait_parent(&link);
            on_parent_death(&inst, &qm)
        }
        None => {
            // Started by hand: live while the queue manager's controller does.
            while super::procs::controller(&inst, &qm).is_some() {
                std::thread::sleep(Duration::from_millis(300));
            }
            0
        }
    }
}

/// amqzmgr0, the process controller: starts and stops the command server, channel initiator and
/// listeners on request of the execution controller (lines on its parent link).
pub fn amqzmgr0_main(args: Vec<String>) -> i32 {
    let Some(name) = qm_arg(&args) else { return 20 };
    let Ok(inst) = Installation::current() else { return 20 };
    let Ok(qm) = inst.qm(&name) else { return 20 };
    ipc::attach(&inst, &qm);
    start_reaper();
    let Some(link) = parent_link() else {
        eprintln!("amqzmgr0: must be started by the execution controller");
        return 20;
    };
    let mut kids: Vec<ChildLink> = Vec::new();
    let mut reader = BufReader::new(link.try_clone().expect("clone parent link"));
    let mut w = &link;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => {
                drop(kids);
                on_parent_death(&inst, &qm)
            }
            Ok(_) => {}
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words.as_slice() {
            ["LSR", port, ip, backlog] => {
                let mut a: Vec<String> = vec![
                    "-r".into(),
                    "-m".into(),
                    name.clone(),
                    "-t".into(),
                    "TCP".into(),
                    "-p".into(),
                    port.to_string(),
                ];
                if *ip != "-" {
                    a.extend(["-i".into(), ip.to_string()]);
                }
                if *backlog != "0" {
                    a.extend(["-b".into(), backlog.to_string()]);
                }
                spawn_reply(&inst, "runmqlsr", true, &a, &mut kids)
            }
            ["CSV"] => spawn_reply(&inst, "amqpcsea", true, std::slice::from_ref(&name), &mut kids),
            ["CHI"] => spawn_reply(
                &inst,
                "runmqchi",
                false,
                &["-m".into(), name.clone(), "-q".into(), "SYSTEM.CHANNEL.INITQ".into(), "-r".into()],
                &mut kids,
            ),
            ["STOP", pid] => {
                let pid: i32 = pid.parse().unwrap_or(0);
                if let Some(pos) = kids.iter().position(|k| k.pid as i32 == pid) {
                    kids.remove(pos);
                }
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
                "OK".to_string()
            }
            _ => format!("ERR unknown request {line:?}"),
        };
        let _ = w.write_all(format!("{reply}\n").as_bytes());
    }
}

fn spawn_reply(inst: &Installation, prog: &str, full: bool, args: &[String], kids: &mut Vec<ChildLink>) -> String {
    match spawn(inst, prog, full, args) {
        Ok(k) => {
            let pid = k.pid;
            kids.push(k);
            format!("OK {pid}")
        }
        Err(e) => format!("ERR {e}"),
    }
}

/// Sends SIGTERM to `pids`, then SIGKILL to what is left after `grace`.
pub fn terminate(pids: &[i32], grace: Duration) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    for p in pids {
        let _ = kill(Pid::from_raw(*p), Signal::SIGTERM);
    }
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline && pids.iter().any(|p| super::procs::alive(*p)) {
        std::thread::sleep(Duration::from_millis(10));
    }
    for p in pids {
        if super::procs::alive(*p) {
            let _ = kill(Pid::from_raw(*p), Signal::SIGKILL);
        }
    }
}
