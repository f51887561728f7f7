//! runmqchi: the channel initiator. Started by amqzmgr0 when SCHINIT(QMGR), or by hand (then it
//! runs in the foreground until the queue manager ends). rc 0 / 10 / 20 (docs/reference/mq-commands.md#runmqchi).

use super::target;
use crate::runtime::{family, ipc, procs};
use std::time::Duration;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("runmqchi") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let mut name = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-m" => name = it.next(),
            "-q" => {
                it.next();
            }
            "-r" => {}
            s => {
                eprintln!("runmqchi: unexpected argument '{s}'\nUsage: runmqchi [-q InitQ] [-m QMgrName]");
                return 20;
            }
        }
    }
    let qm = match target::component_qm(&inst, name) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    match family::parent_link() {
        Some(link) => {
            ipc::attach(&inst, &qm);
            family::wait_parent(&link);
            family::on_parent_death(&inst, &qm)
        }
        None => {
            if procs::controller(&inst, &qm).is_none() {
                crate::mqprintln!("{}", crate::messages::AMQ8146);
                return 20;
            }
            ipc::attach(&inst, &qm);
            while procs::controller(&inst, &qm).is_some() {
                std::thread::sleep(Duration::from_millis(300));
            }
            0
        }
    }
}
