//! rmvmqinf: removes a queue manager's stanza from this node's mqs.ini, leaving its data (the
//! reverse of addmqinf). Refused while an instance runs here.

use super::target;
use crate::status;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("rmvmqinf") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [name] = names.as_slice() else {
        eprintln!("Usage: rmvmqinf QMgrName");
        return 39;
    };
    let qm = match target::qm(&inst, name, "AMQ7048E: The queue manager name is either not valid or not known.", 44) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    if status::qm_state(&inst, &qm).is_local_instance() {
        crate::mqprintln!("{}", crate::messages::QM_RUNNING);
        return 5;
    }
    let mut mqs = match inst.read_mqs_ini() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rmvmqinf: {e}");
            return 71;
        }
    };
    mqs.remove("QueueManager", "Name", name);
    if let Err(e) = mqs.write(&inst.mqs_ini()) {
        eprintln!("rmvmqinf: {e}");
        return 71;
    }
    crate::mqprintln!("IBM MQ configuration information removed.");
    0
}
