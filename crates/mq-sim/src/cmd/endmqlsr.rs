//! endmqlsr: ends every listener (runmqlsr) of a queue manager in this installation; -w waits.
//! rc 0 / 10 / 20 per docs/reference/mq-commands.md#runmqlsr.

use super::target;
use crate::runtime::{family, procs};
use std::time::Duration;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("endmqlsr") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let mut name = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-m" => name = it.next(),
            "-w" => {}
            s => {
                eprintln!("endmqlsr: unexpected argument '{s}'\nUsage: endmqlsr [-w] [-m QMgrName]");
                return 20;
            }
        }
    }
    let qm = match target::component_qm(&inst, name) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    let pids: Vec<i32> = procs::component(&inst, &qm, "runmqlsr").iter().map(|p| p.pid).collect();
    family::terminate(&pids, Duration::from_secs(5));
    if pids.iter().any(|p| procs::alive(*p)) {
        return 10;
    }
    0
}
