//! dspmqcsv: the command server's status (Running / Stopped ...), docs/reference/mq-commands.md#command-server.
//! Line shape `AMQ8027I: IBM MQ Command Server Status ..: Running` is UNCONFIRMED (commonly seen).

use super::target;
use crate::runtime::procs;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("dspmqcsv") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let name = args.iter().find(|a| !a.starts_with('-')).cloned();
    let qm = match target::component_qm(&inst, name) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    let running = !procs::component(&inst, &qm, "amqpcsea").is_empty();
    crate::mqprintln!(
        "AMQ8027I: {} Command Server Status ..: {}",
        crate::messages::product(&inst.version),
        if running { "Running" } else { "Stopped" }
    );
    0
}
