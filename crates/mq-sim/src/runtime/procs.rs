//! The queue manager's processes as /proc shows them: programs of THIS installation (exe under
//! ROOT/opt/mqm) whose arguments name the queue manager (`-m QM`, `-mQM`, or positional `QM`).
//! This is how dspmq, strmqm's leftover check and endmqm -p find them; pids alone are not trusted.

use crate::paths::{Installation, QmPaths};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmProcess {
    pub pid: i32,
    pub ppid: i32,
    pub uid: u32,
    /// Program name (basename of the exe, as comm shows it).
    pub name: String,
    pub argv: Vec<String>,
}

/// Every process of installation `inst` whose executable lies under `dir`.
pub fn programs_under(inst: &Installation, dir: &Path) -> Vec<(i32, PathBuf)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else { return out };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        if let Some(exe) = exe_of(inst, pid) {
            if exe.starts_with(dir) {
                out.push((pid, exe));
            }
        }
    }
    out
}

/// Every process whose /proc/PID/exe lies under `dir`, as root sees them (`mqsim cleanup`).
pub fn exes_under(dir: &Path) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else { return Vec::new() };
    rd.flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<i32>().ok()?;
            std::fs::read_link(e.path().join("exe")).ok()?.starts_with(dir).then_some(pid)
        })
        .collect()
}

/// The executable of `pid`. /proc/PID/exe, when the caller may read it; otherwise (a process
/// that changed identity through a set-user-id exec is not dumpable, and only root may read its
/// exe and maps, proc(5)) what the process registered for itself when it started, as MQ keeps its
/// own record of its processes: believed only when the registration was written by the process's
/// own effective user, that user is the mq user, and it names the process's start time.
pub fn exe_of(inst: &Installation, pid: i32) -> Option<PathBuf> {
    match std::fs::read_link(format!("/proc/{pid}/exe")) {
        Ok(exe) => Some(exe),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            // Most such processes are other users' and never registered: one stat, no user lookup.
            std::fs::symlink_metadata(registry_dir(inst).join(pid.to_string())).ok()?;
            registered(inst, pid, mq_uid(inst)?).map(|r| r.exe)
        }
        Err(_) => None,
    }
}

/// The mq user's uid, looked up once per process (a /proc scan asks for it per process).
fn mq_uid(inst: &Installation) -> Option<u32> {
    static UID: std::sync::OnceLock<Option<(String, u32)>> = std::sync::OnceLock::new();
    let cached = UID.get_or_init(|| {
        nix::unistd::User::from_name(&inst.user).ok().flatten().map(|u| (inst.user.clone(), u.uid.as_raw()))
    });
    match cached {
        Some((user, uid)) if *user == inst.user => Some(*uid),
        _ => nix::unistd::User::from_name(&inst.user).ok().flatten().map(|u| u.uid.as_raw()),
    }
}

/// A program's own record of itself: `ROOT/.mqsim/run/pids/<pid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub exe: PathBuf,
    /// The SysV segments (`/SYSV<key>`) it attached.
    pub attached: Vec<String>,
}

pub fn registry_dir(inst: &Installation) -> PathBuf {
    inst.sim_dir().join("run/pids")
}

/// The start time of `pid` (field 22 of /proc/PID/stat), which tells a reused pid apart.
fn start_time(pid: &str) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19).map(str::to_string)
}

/// The effective uid of `pid` (second field of the Uid: line).
pub fn euid(pid: i32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Uid:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// The registration of `pid`, when it is genuine (see `exe_of`) and written by `owner`.
pub fn registered(inst: &Installation, pid: i32, owner: u32) -> Option<Registration> {
    use std::os::unix::fs::MetadataExt;
    let path = registry_dir(inst).join(pid.to_string());
    let md = std::fs::symlink_metadata(&path).ok()?;
    if !md.is_file() || md.uid() != owner || euid(pid)? != owner {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let mut lines = text.lines();
    let (started, exe) = lines.next()?.split_once(' ')?;
    if Some(started.to_string()) != start_time(&pid.to_string()) {
        return None;
    }
    let attached = lines.filter_map(|l| l.strip_prefix("attached ")).map(str::to_string).collect();
    Some(Registration { exe: PathBuf::from(exe), attached })
}

/// Records this process (a program of the installation at `exe`) in its installation's
/// registry; silent when it cannot (an installation made before the registry existed).
pub fn register_self(exe: &Path) {
    let Ok(inst) = Installation::from_program(exe) else { return };
    let Some(started) = start_time("self") else { return };
    let path = registry_dir(&inst).join(std::process::id().to_string());
    let _ = std::fs::remove_file(&path); // a dead process's record with our pid (sticky dir: ours or nothing)
    let _ = std::fs::write(&path, format!("{started} {}\n", exe.display()));
}

/// Adds a SysV segment this process attached to its registration.
pub fn register_attached(inst: &Installation, needle: &str) {
    use std::io::Write;
    let path = registry_dir(inst).join(std::process::id().to_string());
    if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path) {
        let _ = f.write_all(format!("attached {needle}\n").as_bytes());
    }
}

pub fn read_process(pid: i32) -> Option<QmProcess> {
    let base = PathBuf::from(format!("/proc/{pid}"));
    let raw = std::fs::read(base.join("cmdline")).ok()?;
    let argv: Vec<String> =
        raw.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
    let stat = std::fs::read_to_string(base.join("stat")).ok()?;
    // comm may hold spaces or parentheses: fields after the LAST ')'.
    let close = stat.rfind(')')?;
    let name = stat[stat.find('(')? + 1..close].to_string();
    let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    if rest.first() == Some(&"Z") {
        return None; // a zombie holds nothing; its parent just has not reaped it
    }
    let ppid = rest.get(1)?.parse().ok()?;
    let status = std::fs::read_to_string(base.join("status")).ok()?;
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse().ok())?;
    Some(QmProcess { pid, ppid, uid, name, argv })
}

/// Whether argv names queue manager `qm` the way MQ's programs do.
pub fn names_qm(argv: &[String], qm: &str) -> bool {
    let args = argv.iter().skip(1);
    let mut prev_m = false;
    for a in args {
        if prev_m && a == qm {
            return true;
        }
        prev_m = a == "-m";
        if a.len() > 2 && a.starts_with("-m") && &a[2..] == qm {
            return true;
        }
        if a == qm {
            return true; // positional (amqpcsea QM, strmqm QM)
        }
    }
    false
}

/// Processes of this installation's programs that belong to queue manager `qm`.
pub fn qm_processes(inst: &Installation, qm: &QmPaths) -> Vec<QmProcess> {
    programs_under(inst, &inst.inst_path)
        .into_iter()
        .filter_map(|(pid, _)| read_process(pid))
        .filter(|p| names_qm(&p.argv, &qm.name))
        .collect()
}

/// The programs that make up a running queue manager (IBM's HA scripts' list,
/// docs/reference/mq-processes-and-files.md#process-family).
pub const QM_PROGRAMS: &[&str] = &[
    "amqzmuc0", "amqzxma0", "amqfcxba", "amqfqpub", "amqpcsea", "amqzlaa0", "amqzlsa0", "runmqchi", "runmqlsr",
    "amqcrsta", "amqrrmfa", "amqrmppa", "amqzfuma", "amqzmuf0", "amqzmur0", "amqzmgr0",
];

/// The queue manager's own processes in this installation (never control commands such as a
/// concurrent `dspmq -m QM`, and never the caller).
pub fn family(inst: &Installation, qm: &QmPaths) -> Vec<QmProcess> {
    let me = std::process::id() as i32;
    qm_processes(inst, qm)
        .into_iter()
        .filter(|p| p.pid != me && QM_PROGRAMS.contains(&p.name.as_str()))
        .filter(|p| exe_of(inst, p.pid).is_some_and(|e| e.starts_with(&inst.bin_dir)))
        .collect()
}

/// Everything that still holds the queue manager: its family and any process attached to its
/// IPC (locally bound applications), sorted — what AMQ8041 lists.
pub fn holders(inst: &Installation, qm: &QmPaths) -> Vec<i32> {
    let me = std::process::id() as i32;
    let mut v: Vec<i32> = family(inst, qm).iter().map(|p| p.pid).collect();
    v.extend(super::ipc::attached_pids(inst, qm).into_iter().filter(|p| *p != me));
    v.sort_unstable();
    v.dedup();
    v
}

/// The execution controller of the local instance: amqzxma0 of this installation for this QM.
pub fn controller(inst: &Installation, qm: &QmPaths) -> Option<QmProcess> {
    let exe = inst.bin_dir.join("amqzxma0");
    programs_under(inst, &inst.bin_dir)
        .into_iter()
        .filter(|(_, e)| *e == exe)
        .filter_map(|(pid, _)| read_process(pid))
        .find(|p| p.name == "amqzxma0" && names_qm(&p.argv, &qm.name))
}

/// Processes of the installation, of programs named `prog`, for `qm`.
pub fn component(inst: &Installation, qm: &QmPaths, prog: &str) -> Vec<QmProcess> {
    qm_processes(inst, qm).into_iter().filter(|p| p.name == prog).collect()
}

pub fn alive(pid: i32) -> bool {
    read_process(pid).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn argument_forms_match_mq_scripts() {
        assert!(names_qm(&v(&["amqzxma0", "-m", "QM1", "-u", "mqm"]), "QM1"));
        assert!(names_qm(&v(&["amqfqpub", "-mQM1"]), "QM1"));
        assert!(names_qm(&v(&["/opt/mqm/bin/amqpcsea", "QM1"]), "QM1"));
        assert!(!names_qm(&v(&["amqzxma0", "-m", "QM10"]), "QM1"));
        assert!(!names_qm(&v(&["amqzlaa0", "-mQM10", "-fip0"]), "QM1"));
    }
}
