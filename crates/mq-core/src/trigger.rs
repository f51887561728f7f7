//! A trigger monitor of a queue manager (runmqtrm on an initiation queue), as /proc shows it,
//! and the command that starts one. runmqtrm is not one of the queue manager's own programs:
//! it is found by program name plus exact `-m QM` and `-q INITQ` arguments.

use crate::listener::option_value;
use crate::procs::{self, Proc};

pub const RUNMQTRM: &str = "runmqtrm";
/// runmqtrm's initiation queue when none is given (reference §14).
pub const DEFAULT_INITQ: &str = "SYSTEM.DEFAULT.INITIATION.QUEUE";

/// Whether `p` is a runmqtrm of `qm` reading `initq`.
pub fn is_trigger_monitor_of(p: &Proc, qm: &str, initq: &str) -> bool {
    p.name == RUNMQTRM
        && procs::names_queue_manager(&p.args, qm)
        && option_value(&p.args, "-q").unwrap_or(DEFAULT_INITQ) == initq
}

/// The runmqtrm processes of `qm` on `initq` on this host.
pub fn trigger_monitors_of(qm: &str, initq: &str) -> Vec<Proc> {
    crate::listener::processes_named(RUNMQTRM).into_iter().filter(|p| is_trigger_monitor_of(p, qm, initq)).collect()
}

/// runmqtrm's arguments (reference §14).
pub fn runmqtrm_args(qm: &str, initq: &str) -> Vec<String> {
    vec!["-m".into(), qm.into(), "-q".into(), initq.into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc_of(args: &[&str]) -> Proc {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Proc { pid: 10, ppid: 1, uid: 999, name: args[0].rsplit('/').next().unwrap().to_string(), args }
    }

    #[test]
    fn matching() {
        let t = proc_of(&["/opt/mqm/bin/runmqtrm", "-m", "QM1", "-q", "APP.INITQ"]);
        assert!(is_trigger_monitor_of(&t, "QM1", "APP.INITQ"));
        assert!(!is_trigger_monitor_of(&t, "QM1", DEFAULT_INITQ));
        assert!(!is_trigger_monitor_of(&t, "QM", "APP.INITQ"));
        let d = proc_of(&["runmqtrm", "-mQM1"]);
        assert!(is_trigger_monitor_of(&d, "QM1", DEFAULT_INITQ));
        let joined = proc_of(&["runmqtrm", "-m", "QM1", "-qAPP.INITQ"]);
        assert!(is_trigger_monitor_of(&joined, "QM1", "APP.INITQ"));
        assert!(!is_trigger_monitor_of(&proc_of(&["runmqlsr", "-m", "QM1"]), "QM1", DEFAULT_INITQ));
        assert_eq!(runmqtrm_args("QM1", "Q"), ["-m", "QM1", "-q", "Q"]);
    }
}
