//! amqiclen: removes the System V IPC resources a queue manager left behind
//! (docs/reference/mq-processes-and-files.md#ipc-cleanup): `-x -m QMGR` for one queue manager, `-x`
//! for all of this installation. Prints nothing; a non-zero rc when some resource is still in use
//! (exact code UNCONFIRMED: 1 here).

use super::target;
use crate::runtime::ipc;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("amqiclen") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let mut name = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-m" => name = it.next(),
            "-x" | "-v" | "-F" | "-c" | "-q" | "-i" | "-p" | "-s" => {}
            s => {
                eprintln!("Usage: amqiclen [-x] [-m QMgrName] [-v] [-F]  (unexpected '{s}')");
                return 1;
            }
        }
    }
    let names = match name {
        Some(n) => vec![n],
        None => inst.qm_names().unwrap_or_default(),
    };
    let mut in_use = false;
    for n in names {
        let Ok(qm) = inst.qm(&n) else {
            crate::mqprintln!("{}", crate::messages::AMQ8118);
            return 1;
        };
        if ipc::remove_unused(&inst, &qm).is_err() {
            in_use = true;
        }
    }
    i32::from(in_use)
}
