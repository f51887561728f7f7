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

/// Every process whose executable lies under `dir`.
pub fn programs_under(dir: &Path) -> Vec<(i32, PathBuf)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else { return out };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        if let Ok(exe) = std::fs::read_link(e.path().join("exe")) {
            if exe.starts_with(dir) {
                out.push((pid, exe));
            }
        }
    }
    out
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
    programs_under(&inst.inst_path)
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
        .filter(|p| {
            std::fs::read_link(format!("/proc/{}/exe", p.pid)).map(|e| e.starts_with(&inst.bin_dir)).unwrap_or(false)
        })
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
    programs_under(&inst.bin_dir)
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
