//! runmqtrm: the trigger monitor. Connects with local bindings, keeps the initiation queue open
//! for input (so DISPLAY QSTATUS TYPE(HANDLE) shows it), and consumes trigger messages until the
//! queue manager ends. rc per docs/reference/mq-commands.md#runmqtrm: 0 ended because the QM ended
//! (9.2+), 10 interrupted by an error, 20 not run. Starting the triggered applications is not simulated.

use super::target;
use crate::runtime::ipc;
use crate::wire::{self, MqiBody, MsgDesc, ObjectDesc, Request, Response};

const MQOT_Q: i32 = 1;
const MQOO_INPUT_SHARED: i32 = 2;
const MQOO_FAIL_IF_QUIESCING: i32 = 8192;
const MQGMO_WAIT: i32 = 1;
const MQGMO_FAIL_IF_QUIESCING: i32 = 8192;
const MQRC_NO_MSG_AVAILABLE: i32 = 2033;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("runmqtrm") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let (mut name, mut initq) = (None, "SYSTEM.DEFAULT.INITIATION.QUEUE".to_string());
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-m" => name = it.next(),
            "-q" => initq = it.next().unwrap_or(initq),
            "-u" => {
                it.next();
            }
            s => {
                eprintln!("runmqtrm: unexpected argument '{s}'\nUsage: runmqtrm [-m QMgrName] [-q InitQ] [-u UserId]");
                return 20;
            }
        }
    }
    let qm = match target::component_qm(&inst, name) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    let (mut conn, reply) = match wire::connect_bindings(&inst, &qm, "runmqtrm") {
        Ok(x) => x,
        Err(_) => {
            crate::mqprintln!("{}", crate::messages::AMQ8146);
            return 20;
        }
    };
    if let Response::Mqi { cc, reason, .. } = reply {
        if cc == 2 {
            crate::mqprintln!("MQCONN ended with reason code {reason}");
            return 20;
        }
    }
    ipc::attach(&inst, &qm);
    let od = ObjectDesc {
        object_type: MQOT_Q,
        object_name: initq.clone(),
        object_qmgr_name: String::new(),
        dynamic_q_name: String::new(),
    };
    let hobj = match conn.call(&Request::Open { od, options: MQOO_INPUT_SHARED | MQOO_FAIL_IF_QUIESCING }) {
        Ok(Response::Mqi { cc: 0 | 1, body: MqiBody::Opened { hobj, .. }, .. }) => hobj,
        Ok(Response::Mqi { reason, .. }) => {
            crate::mqprintln!("MQOPEN of initiation queue {initq} ended with reason code {reason}.");
            return 20;
        }
        _ => return 20,
    };
    crate::mqprintln!("Waiting for a trigger message");
    loop {
        let req = Request::Get {
            hobj,
            md: MsgDesc::default(),
            gmo_options: MQGMO_WAIT | MQGMO_FAIL_IF_QUIESCING,
            match_options: 0,
            wait_ms: 5000,
            buffer_len: 4096,
        };
        match conn.call(&req) {
            Ok(Response::Mqi { cc: 0 | 1, .. }) => continue,
            Ok(Response::Mqi { reason: MQRC_NO_MSG_AVAILABLE, .. }) => continue,
            // Quiescing, stopping, broken: the queue manager is ending.
            Ok(_) | Err(_) => return 0,
        }
    }
}
