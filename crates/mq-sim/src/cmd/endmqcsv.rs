//! endmqcsv: ends the command server of a queue manager (-c controlled, default; -i immediate).
//! rc 0 / 10 / 20 (docs/reference/mq-commands.md#command-server); output texts UNCONFIRMED.

use super::target;
use crate::runtime::control;
use std::time::Duration;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("endmqcsv") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [name] = names.as_slice() else {
        eprintln!("Usage: endmqcsv [-c | -i] QMgrName");
        return 20;
    };
    let qm = match target::qm(&inst, name, crate::messages::AMQ8118, 20) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    match control::request(&inst, &qm, "CSV STOP", Duration::from_secs(10)).as_deref() {
        Ok("STOPPED") => {
            crate::mqprintln!("IBM MQ command server ended.");
            0
        }
        Ok(_) => {
            crate::mqprintln!("IBM MQ command server not running.");
            10
        }
        Err(_) => {
            crate::mqprintln!("{}", crate::messages::AMQ8146);
            20
        }
    }
}
