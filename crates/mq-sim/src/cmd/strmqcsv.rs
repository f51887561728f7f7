//! strmqcsv: starts the command server (amqpcsea, under amqzmgr0) of a running queue manager.
//! rc 0 / 10 / 20 (docs/reference/mq-commands.md#command-server); output texts UNCONFIRMED.

use super::target;
use crate::runtime::control;
use crate::status::{self, QmState};
use std::time::Duration;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("strmqcsv") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let name = args.iter().find(|a| !a.starts_with('-')).cloned();
    let qm = match target::component_qm(&inst, name) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    if status::qm_state(&inst, &qm) != QmState::Running {
        crate::mqprintln!("{}", crate::messages::AMQ8146);
        return 20;
    }
    match control::request(&inst, &qm, "CSV START", Duration::from_secs(10)).as_deref() {
        Ok("STARTED") => {
            crate::mqprintln!("IBM MQ command server started.");
            0
        }
        Ok("ALREADY") => {
            crate::mqprintln!("IBM MQ command server already running.");
            10
        }
        _ => {
            crate::mqprintln!("{}", crate::messages::AMQ8146);
            20
        }
    }
}
