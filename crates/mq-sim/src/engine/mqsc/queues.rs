//! Commands on local queues alone: CLEAR QLOCAL and DISPLAY QSTATUS, and the open-handle check
//! that DELETE of a queue shares.

use super::format::{format_block, kv, yes_no, Reply};
use super::parse::{requested, Command};
use super::replies;
use crate::engine::objects::{generic_match, ObjType, ObjectDef};
use crate::engine::{mqi, Engine, Ns, State, Target};
use crate::wire::MqscOutcome;

pub(super) fn clear(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
    let Some(name) = name else { return Reply::syntax(cmd, name_end) };
    if let Some(bad) = rest.first() {
        return Reply::syntax(cmd, bad.end);
    }
    let mut st = engine.lock();
    if st.queue_def(&name).filter(|d| d.otype == ObjType::QLocal).is_none() {
        return Reply::not_found(&name);
    }
    // Open handles, or uncommitted puts or gets on it, refuse the clear (IBM: CLEAR QLOCAL fails
    // while the queue has uncommitted messages; that the reply is AMQ8148 then is UNCONFIRMED).
    let uncommitted = st.queues.get(&name).is_some_and(|q| q.msgs.iter().any(|m| m.uncommitted.is_some()))
        || st.conns.values().any(|c| c.uow.gets.iter().any(|(q, _)| *q == name));
    if in_use(&st, &name) || uncommitted {
        return Reply::failed(replies::AMQ8148.into());
    }
    if let Some(q) = st.queues.get_mut(&name) {
        q.msgs.clear();
    }
    if engine.save_queue(&st, &name).is_err() {
        return super::lost(engine);
    }
    Reply::ok(replies::AMQ8022)
}

pub(super) fn in_use(st: &State, queue: &str) -> bool {
    st.conns.values().flat_map(|c| c.handles.values()).any(|h| h.target == Target::Queue(queue.to_string()))
}

pub(super) fn display_qstatus(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
    let Some(pattern) = name else { return Reply::syntax(cmd, name_end) };
    let handle_type = match rest.iter().find(|t| t.word == "TYPE").and_then(|t| t.value.as_deref()) {
        None | Some("QUEUE") => false,
        Some("HANDLE") => true,
        Some(_) => {
            return Reply::syntax(cmd, rest.iter().find(|t| t.word == "TYPE").map(|t| t.end).unwrap_or(cmd.len()))
        }
    };
    let all = match requested(rest, &["TYPE", "OPENTYPE"]) {
        Ok(w) => w.is_none(),
        Err(at) => return Reply::syntax(cmd, at),
    };
    let st = engine.lock();
    let queues: Vec<&ObjectDef> = st
        .objects
        .iter()
        .filter(|((ns, n), d)| *ns == Ns::Queue && d.otype == ObjType::QLocal && generic_match(&pattern, n))
        .map(|(_, d)| d)
        .collect();
    if queues.is_empty() {
        return Reply::not_found(&pattern);
    }
    let mut lines = Vec::new();
    for def in queues {
        if handle_type {
            for c in st.conns.values() {
                for h in c.handles.values().filter(|h| h.target == Target::Queue(def.name.clone())) {
                    let input = if h.options & mqi::MQOO_INPUT_EXCLUSIVE != 0 {
                        "EXCL"
                    } else if h.options & mqi::MQOO_INPUT_ANY != 0 {
                        "SHARED"
                    } else {
                        "NO"
                    };
                    let attrs = vec![
                        kv("QUEUE", &def.name),
                        "TYPE(HANDLE)".to_string(),
                        kv("APPLDESC", ""),
                        kv("APPLTAG", &c.appl_tag),
                        kv("APPLTYPE", "USER"),
                        kv("BROWSE", yes_no(h.options & mqi::MQOO_BROWSE != 0)),
                        kv("CHANNEL", c.channel.as_deref().unwrap_or("")),
                        kv("CONNAME", &c.conname),
                        kv("ASTATE", "NONE"),
                        kv("HSTATE", "INACTIVE"),
                        kv("INPUT", input),
                        kv("INQUIRE", yes_no(h.options & mqi::MQOO_INQUIRE != 0)),
                        kv("OUTPUT", yes_no(h.options & mqi::MQOO_OUTPUT != 0)),
                        kv("PID", &c.pid.to_string()),
                        kv("QMURID", "0.0"),
                        kv("SET", yes_no(h.options & mqi::MQOO_SET != 0)),
                        kv("TID", "1"),
                        kv("URID", "XA_FORMATID[] XA_GTRID[] XA_BQUAL[]"),
                        kv("URTYPE", "QMGR"),
                        kv("USERID", &c.user),
                    ];
                    lines.extend(format_block(replies::AMQ8450, &attrs));
                }
            }
        } else {
            let (i, o) = st.open_counts(&def.name);
            let rt = st.queues.get(&def.name);
            let mut attrs = vec![
                kv("QUEUE", &def.name),
                "TYPE(QUEUE)".to_string(),
                kv("CURDEPTH", &rt.map(|q| q.msgs.len()).unwrap_or(0).to_string()),
                kv("IPPROCS", &i.to_string()),
                kv("OPPROCS", &o.to_string()),
            ];
            if all {
                let (lg, lp) = rt.map(|q| (q.last_get.clone(), q.last_put.clone())).unwrap_or_default();
                attrs.extend([
                    kv("LGETDATE", &lg.0),
                    kv("LGETTIME", &lg.1),
                    kv("LPUTDATE", &lp.0),
                    kv("LPUTTIME", &lp.1),
                    kv("MEDIALOG", ""),
                    kv("MONQ", "OFF"),
                    kv("MSGAGE", ""),
                    "QTIME( , )".to_string(),
                    kv("UNCOM", "NO"),
                ]);
            }
            lines.extend(format_block(replies::AMQ8450, &attrs));
        }
    }
    Reply { lines, outcome: MqscOutcome::Processed }
}
