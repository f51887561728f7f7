//! dspmqinf: a queue manager's QueueManager stanza (default) or, with -o command, the addmqinf
//! line that defines it on another node (docs/reference/mq-commands.md#dspmqinf). rc 44 when it is not defined.

use super::target;
use crate::messages;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("dspmqinf") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let mut command = false;
    let mut name = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-o" => match it.next().as_deref() {
                Some("command") => command = true,
                Some("stanza") => command = false,
                _ => return usage(),
            },
            "-s" => {
                if it.next().as_deref() != Some("QueueManager") {
                    return usage();
                }
            }
            s if s.starts_with('-') => return usage(),
            _ if name.is_none() => name = Some(a),
            _ => return usage(),
        }
    }
    let Some(name) = name else { return usage() };
    let qm = match inst.qm(&name) {
        Ok(q) => q,
        Err(crate::paths::PathError::BadName(_)) => {
            crate::mqprintln!("{}", messages::AMQ7048);
            return 72;
        }
        Err(_) => {
            // rc 44: stanza does not exist (docs/reference/mq-commands.md#dspmqinf); text UNCONFIRMED.
            crate::mqprintln!("AMQ7048E: The queue manager name is either not valid or not known.");
            return 44;
        }
    };
    let s = qm.stanza(&inst);
    if command {
        let mut line = String::from("addmqinf -s QueueManager");
        for k in ["Name", "Directory", "Prefix", "DataPath"] {
            if let Some(v) = s.get(k) {
                line.push_str(&format!(" -v {k}={v}"));
            }
        }
        crate::mqprintln!("{line}");
    } else {
        crate::mqprintln!("QueueManager:");
        for k in ["Name", "Directory", "Prefix", "DataPath", "InstallationName"] {
            if let Some(v) = s.get(k) {
                crate::mqprintln!("   {k}={v}");
            }
        }
    }
    0
}

fn usage() -> i32 {
    eprintln!("Usage: dspmqinf [-s QueueManager] [-o stanza | -o command] QMgrName");
    39
}
