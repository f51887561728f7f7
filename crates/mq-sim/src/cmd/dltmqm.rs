//! dltmqm: deletes a stopped queue manager (data, logs, mqs.ini stanza). Codes per
//! docs/reference/mq-commands.md#dltmqm: 5 running, 16 does not exist, 24 processes still attached
//! (AMQ8041 block), 26 standby.

use super::target;
use crate::messages;
use crate::runtime::{ipc, procs};
use crate::status::{self, QmState};

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("dltmqm") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [name] = names.as_slice() else { return messages::usage("dltmqm [-z] QMgrName") };
    let qm = match target::qm(&inst, name, messages::AMQ8118, 16) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    match status::qm_state(&inst, &qm) {
        QmState::Running | QmState::Starting | QmState::RunningElsewhere | QmState::Replica => {
            crate::mqprintln!("{}", messages::QM_RUNNING);
            return 5;
        }
        QmState::Quiescing | QmState::EndingImmediately | QmState::EndingPreemptively => {
            crate::mqprintln!("IBM MQ queue manager '{name}' ending.");
            return 49;
        }
        QmState::RunningAsStandby => {
            crate::mqprintln!("IBM MQ queue manager '{name}' is running as a standby instance.");
            return 26;
        }
        _ => {}
    }
    let left = procs::holders(&inst, &qm);
    if !left.is_empty() {
        crate::mqprintln!("{}", messages::amq8041(&left));
        return 24;
    }
    let _ = ipc::remove_unused(&inst, &qm);
    let mut mqs = match inst.read_mqs_ini() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("dltmqm: {e}");
            return 71;
        }
    };
    mqs.remove("QueueManager", "Name", name);
    if inst.default_qm().as_deref() == Some(name.as_str()) {
        mqs.stanzas.retain(|s| !s.key.eq_ignore_ascii_case("DefaultQueueManager"));
    }
    for d in [&qm.data_dir, &qm.log_dir, &inst.run_dir(&qm), &inst.sim_dir().join("faults").join(&qm.dir_name)] {
        if let Err(e) = std::fs::remove_dir_all(d) {
            if e.kind() != std::io::ErrorKind::NotFound {
                eprintln!("dltmqm: cannot delete {}: {e}", d.display());
                return 33;
            }
        }
    }
    if let Err(e) = mqs.write(&inst.mqs_ini()) {
        eprintln!("dltmqm: {e}");
        return 71;
    }
    crate::mqprintln!("{} queue manager '{name}' deleted.", messages::product(&inst.version));
    0
}
