//! setmqm -m QM -n InstallationName: associates a stopped queue manager with the installation the
//! command is run from (its stanza's InstallationName). IBM: the name must be that of the issuing
//! installation, and the queue manager must not be running
//! (docs/reference/mq-commands.md#wrong-installation). Texts and return codes beyond 0 UNCONFIRMED.

use super::target;
use crate::authority;
use crate::messages;
use crate::status;

const USAGE: &str = "setmqm -m QMgrName -n InstallationName";

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("setmqm") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    if !authority::require_admin(&inst) {
        return 119;
    }
    let (mut qm_name, mut name) = (None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-m" => qm_name = it.next(),
            "-n" => name = it.next(),
            _ => return messages::usage(USAGE),
        }
    }
    let (Some(qm_name), Some(name)) = (qm_name, name) else { return messages::usage(USAGE) };
    if !name.eq_ignore_ascii_case(&inst.name) {
        crate::mqprintln!(
            "The installation name '{name}' does not match the installation '{}' this setmqm belongs to.",
            inst.name
        );
        return 59;
    }
    let qm = match target::resolve(&inst, &qm_name, messages::AMQ8118, 16) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    let owner = inst.owner_of(&qm);
    if status::qm_state(&owner, &qm).is_local_instance() {
        crate::mqprintln!("{}", messages::QM_RUNNING);
        return 5;
    }
    let mut mqs = match inst.read_mqs_ini() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("setmqm: {e}");
            return 71;
        }
    };
    let Some(s) = mqs
        .stanzas
        .iter_mut()
        .find(|s| s.key.eq_ignore_ascii_case("QueueManager") && s.get("Name") == Some(qm_name.as_str()))
    else {
        crate::mqprintln!("{}", messages::AMQ8118);
        return 16;
    };
    s.set("InstallationName", inst.name.clone());
    if let Err(e) = mqs.write(&inst.mqs_ini()) {
        eprintln!("setmqm: {e}");
        return 71;
    }
    crate::mqprintln!("The setmqm command completed successfully.");
    0
}
