//! MQI verb semantics on the engine's state: MQOPEN (local, model -> dynamic, queue manager),
//! MQCLOSE, MQPUT, MQPUT1, MQGET (with waits), MQINQ, MQCMIT, MQBACK and units of work, with IBM's
//! reason codes (docs/reference/mqi.md#reason-codes, docs/reference/mqi.md#units-of-work).

use super::objects::{ObjType, ObjectDef};
use super::{auth, Engine, Handle, Msg, Ns, QueueRt, RunState, State, Target};
use crate::wire::{MqiBody, MsgDesc, ObjectDesc, Request, Response};
use std::time::{Duration, Instant};

pub const MQCC_OK: i32 = 0;
pub const MQCC_WARNING: i32 = 1;
pub const MQCC_FAILED: i32 = 2;

pub const MQRC_ALREADY_CONNECTED: i32 = 2002;
pub const MQRC_BACKED_OUT: i32 = 2003;
pub const MQRC_SYNCPOINT_LIMIT_REACHED: i32 = 2024;
pub const MQRC_CONNECTION_BROKEN: i32 = 2009;
pub const MQRC_HCONN_ERROR: i32 = 2018;
pub const MQRC_HOBJ_ERROR: i32 = 2019;
pub const MQRC_MSG_TOO_BIG_FOR_Q: i32 = 2030;
pub const MQRC_NO_MSG_AVAILABLE: i32 = 2033;
pub const MQRC_NOT_AUTHORIZED: i32 = 2035;
pub const MQRC_NOT_OPEN_FOR_INPUT: i32 = 2037;
pub const MQRC_NOT_OPEN_FOR_INQUIRE: i32 = 2038;
pub const MQRC_NOT_OPEN_FOR_OUTPUT: i32 = 2039;
pub const MQRC_OBJECT_IN_USE: i32 = 2042;
pub const MQRC_OBJECT_TYPE_ERROR: i32 = 2043;
pub const MQRC_OPTION_NOT_VALID_FOR_TYPE: i32 = 2045;
pub const MQRC_OPTIONS_ERROR: i32 = 2046;
pub const MQRC_PERSISTENT_NOT_ALLOWED: i32 = 2048;
pub const MQRC_PUT_INHIBITED: i32 = 2051;
pub const MQRC_Q_DELETED: i32 = 2052;
pub const MQRC_Q_FULL: i32 = 2053;
pub const MQRC_Q_NOT_EMPTY: i32 = 2055;
pub const MQRC_GET_INHIBITED: i32 = 2016;
pub const MQRC_DYNAMIC_Q_NAME_ERROR: i32 = 2011;
pub const MQRC_Q_MGR_NAME_ERROR: i32 = 2058;
pub const MQRC_Q_MGR_NOT_AVAILABLE: i32 = 2059;
pub const MQRC_SELECTOR_ERROR: i32 = 2067;
pub const MQRC_SELECTOR_NOT_FOR_TYPE: i32 = 2068;
pub const MQRC_TRUNCATED_MSG_ACCEPTED: i32 = 2079;
pub const MQRC_TRUNCATED_MSG_FAILED: i32 = 2080;
pub const MQRC_UNKNOWN_OBJECT_NAME: i32 = 2085;
pub const MQRC_UNKNOWN_REMOTE_Q_MGR: i32 = 2087;
pub const MQRC_OBJECT_ALREADY_EXISTS: i32 = 2100;
pub const MQRC_RESOURCE_PROBLEM: i32 = 2102;
pub const MQRC_OBJECT_NAME_ERROR: i32 = 2152;
pub const MQRC_Q_MGR_QUIESCING: i32 = 2161;
pub const MQRC_Q_MGR_STOPPING: i32 = 2162;
pub const MQRC_CONNECTION_ERROR: i32 = 2273;
pub const MQRC_UNKNOWN_CHANNEL_NAME: i32 = 2540;

pub const MQOO_INPUT_AS_Q_DEF: i32 = 0x1;
pub const MQOO_INPUT_SHARED: i32 = 0x2;
pub const MQOO_INPUT_EXCLUSIVE: i32 = 0x4;
pub const MQOO_INPUT_ANY: i32 = 0x7;
pub const MQOO_BROWSE: i32 = 0x8;
pub const MQOO_OUTPUT: i32 = 0x10;
pub const MQOO_INQUIRE: i32 = 0x20;
pub const MQOO_SET: i32 = 0x40;

pub const MQCO_DELETE: i32 = 0x1;
pub const MQCO_DELETE_PURGE: i32 = 0x2;

pub const MQPMO_SYNCPOINT: i32 = 0x2;
pub const MQPMO_NO_SYNCPOINT: i32 = 0x4;
pub const MQPMO_NEW_MSG_ID: i32 = 0x40;
pub const MQPMO_NEW_CORREL_ID: i32 = 0x80;
pub const MQPMO_FAIL_IF_QUIESCING: i32 = 0x2000;

pub const MQGMO_WAIT: i32 = 0x1;
pub const MQGMO_SYNCPOINT: i32 = 0x2;
pub const MQGMO_NO_SYNCPOINT: i32 = 0x4;
pub const MQGMO_SYNCPOINT_IF_PERSISTENT: i32 = 0x1000;
pub const MQGMO_BROWSE_FIRST: i32 = 0x10;
pub const MQGMO_BROWSE_NEXT: i32 = 0x20;
pub const MQGMO_ACCEPT_TRUNCATED_MSG: i32 = 0x40;
pub const MQGMO_FAIL_IF_QUIESCING: i32 = 0x2000;

pub const MQOT_Q: i32 = 1;
pub const MQOT_Q_MGR: i32 = 5;

pub const MQPER_PERSISTENT: i32 = 1;
pub const MQPER_PERSISTENCE_AS_Q_DEF: i32 = 2;

pub fn ok(body: MqiBody) -> Response {
    Response::Mqi { cc: MQCC_OK, reason: 0, body }
}
pub fn warn(reason: i32, body: MqiBody) -> Response {
    Response::Mqi { cc: MQCC_WARNING, reason, body }
}
pub fn fail(reason: i32) -> Response {
    Response::Mqi { cc: MQCC_FAILED, reason, body: MqiBody::None }
}

/// Dispatches one verb of connection `id`.
pub fn call(engine: &Engine, id: u64, req: Request) -> Response {
    let mut st = engine.lock();
    // Native HA: the instance lost the right to write; its connections are broken.
    if engine.fenced().is_some() {
        return fail(MQRC_CONNECTION_BROKEN);
    }
    if st.run == RunState::Stopping {
        return fail(MQRC_Q_MGR_STOPPING);
    }
    if !st.conns.contains_key(&id) {
        return fail(MQRC_HCONN_ERROR);
    }
    match req {
        Request::Open { od, options } => open(engine, &mut st, id, &od, options),
        Request::Close { hobj, options } => close(engine, &mut st, id, hobj, options),
        Request::Put { hobj, md, pmo_options, data } => {
            let h = match st.conns[&id].handles.get(&hobj) {
                Some(h) => h.clone(),
                None => return fail(MQRC_HOBJ_ERROR),
            };
            if h.options & MQOO_OUTPUT == 0 {
                return fail(MQRC_NOT_OPEN_FOR_OUTPUT);
            }
            let Target::Queue(q) = &h.target else { return fail(MQRC_NOT_OPEN_FOR_OUTPUT) };
            let r = put(engine, &mut st, id, q, md, pmo_options, data);
            drop(st);
            engine.changed.notify_all();
            r
        }
        Request::Put1 { od, md, pmo_options, data } => {
            let opened = open(engine, &mut st, id, &od, MQOO_OUTPUT);
            let hobj = match opened {
                Response::Mqi { cc: MQCC_OK, body: MqiBody::Opened { hobj, .. }, .. } => hobj,
                other => return other,
            };
            let q = match &st.conns[&id].handles[&hobj].target {
                Target::Queue(q) => q.clone(),
                Target::Qmgr => String::new(),
            };
            let r = put(engine, &mut st, id, &q, md, pmo_options, data);
            close(engine, &mut st, id, hobj, 0);
            drop(st);
            engine.changed.notify_all();
            r
        }
        Request::Get { hobj, md, gmo_options, match_options, wait_ms, buffer_len } => {
            get(engine, st, id, hobj, md, gmo_options, match_options, wait_ms, buffer_len)
        }
        Request::Inq { hobj, selectors } => inq(engine, &st, id, hobj, &selectors),
        Request::Commit => {
            let r = commit(engine, &mut st, id);
            drop(st);
            engine.changed.notify_all();
            r
        }
        Request::Backout => {
            let r = backout(engine, &mut st, id);
            drop(st);
            engine.changed.notify_all();
            r
        }
        Request::Connect { .. } | Request::Mqsc { .. } | Request::Disconnect => fail(MQRC_OPTIONS_ERROR),
    }
}

fn open(engine: &Engine, st: &mut State, id: u64, od: &ObjectDesc, options: i32) -> Response {
    let qm = engine.qm_name().to_string();
    if !od.object_qmgr_name.is_empty() && od.object_qmgr_name != qm {
        return fail(MQRC_UNKNOWN_REMOTE_Q_MGR);
    }
    let input = options & MQOO_INPUT_ANY;
    if input.count_ones() > 1 {
        return fail(MQRC_OPTIONS_ERROR);
    }
    let (target, created_dynamic, name) = match od.object_type {
        MQOT_Q_MGR => {
            if !od.object_name.is_empty() && od.object_name != qm {
                return fail(MQRC_OBJECT_NAME_ERROR);
            }
            if options & (MQOO_INPUT_ANY | MQOO_OUTPUT | MQOO_BROWSE) != 0 {
                return fail(MQRC_OPTION_NOT_VALID_FOR_TYPE);
            }
            // The OAM's +inq on the queue manager, for a client connection's user outside the mq
            // group (bindings users outside it are refused at connect already).
            if let Some(c) = st.conns.get(&id).filter(|c| c.channel.is_some()) {
                if options & MQOO_INQUIRE != 0
                    && !auth::is_mq_group_member(&c.user, &engine.inst)
                    && !auth::has_authority(st, &c.user, "INQ")
                {
                    let text = auth::oam_denied(&c.user, "inq", st);
                    crate::runtime::controller::error_log(&engine.inst, &engine.qm, &text);
                    return fail(MQRC_NOT_AUTHORIZED);
                }
            }
            (Target::Qmgr, false, qm.clone())
        }
        MQOT_Q => {
            let def = match st.queue_def(&od.object_name) {
                Some(d) => d.clone(),
                None => return fail(MQRC_UNKNOWN_OBJECT_NAME),
            };
            if def.otype == ObjType::QModel {
                match create_dynamic(engine, st, id, &def, &od.dynamic_q_name) {
                    Ok(name) => (Target::Queue(name.clone()), true, name),
                    Err(rc) => return fail(rc),
                }
            } else {
                // Exclusive input conflicts with any other input handle, and vice versa.
                let exclusive = input == MQOO_INPUT_EXCLUSIVE
                    || (input == MQOO_INPUT_AS_Q_DEF && def.get("DEFSOPT") == "EXCL")
                    || (input != 0 && def.get("SHARE") == "NOSHARE");
                if input != 0 {
                    let others = input_holders(st, &def.name);
                    if others.iter().any(|ex| *ex) || (exclusive && !others.is_empty()) {
                        return fail(MQRC_OBJECT_IN_USE);
                    }
                }
                let effective =
                    if exclusive && input != 0 { (options & !MQOO_INPUT_ANY) | MQOO_INPUT_EXCLUSIVE } else { options };
                let hobj = add_handle(st, id, Target::Queue(def.name.clone()), effective, false);
                return ok(MqiBody::Opened { hobj, object_name: def.name, object_qmgr_name: qm });
            }
        }
        _ => return fail(MQRC_OBJECT_TYPE_ERROR),
    };
    let hobj = add_handle(st, id, target, options, created_dynamic);
    ok(MqiBody::Opened { hobj, object_name: name, object_qmgr_name: qm })
}

/// For each input handle on `queue`: whether it is exclusive.
fn input_holders(st: &State, queue: &str) -> Vec<bool> {
    st.conns
        .values()
        .flat_map(|c| c.handles.values())
        .filter(|h| h.target == Target::Queue(queue.to_string()) && h.options & MQOO_INPUT_ANY != 0)
        .map(|h| h.options & MQOO_INPUT_EXCLUSIVE != 0)
        .collect()
}

fn add_handle(st: &mut State, id: u64, target: Target, options: i32, created_dynamic: bool) -> i32 {
    let hobj = st.next_hobj;
    st.next_hobj = st.next_hobj.wrapping_add(1).max(1);
    if let Some(c) = st.conns.get_mut(&id) {
        c.handles.insert(hobj, Handle { target, options, created_dynamic, browse_after: 0 });
    }
    hobj
}

/// MQOPEN of a model queue: a local queue named from DynamicQName (prefix + `*`), with the
/// model's attributes. The suffix format on Linux is UNCONFIRMED
/// (docs/reference/mqi.md#temporary-dynamic-queues): 16 hex digits.
fn create_dynamic(engine: &Engine, st: &mut State, id: u64, model: &ObjectDef, dyn_name: &str) -> Result<String, i32> {
    let dyn_name = dyn_name.trim_end();
    if dyn_name.is_empty() {
        return Err(MQRC_DYNAMIC_Q_NAME_ERROR);
    }
    let name = match dyn_name.find('*') {
        Some(pos) => {
            if pos != dyn_name.len() - 1 || pos > 32 {
                return Err(MQRC_DYNAMIC_Q_NAME_ERROR);
            }
            let prefix = &dyn_name[..pos];
            let mut candidate;
            loop {
                st.seq += 1;
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let suffix = format!("{:08X}{:08X}", stamp as u32, st.seq as u32);
                candidate = format!("{prefix}{suffix}");
                candidate.truncate(48);
                if st.queue_def(&candidate).is_none() {
                    break;
                }
            }
            candidate
        }
        None => {
            if dyn_name.len() > 48 {
                return Err(MQRC_DYNAMIC_Q_NAME_ERROR);
            }
            if st.queue_def(dyn_name).is_some() {
                return Err(MQRC_OBJECT_ALREADY_EXISTS);
            }
            dyn_name.to_string()
        }
    };
    let now = super::store::mqsc_now();
    let mut def = ObjectDef::new(ObjType::QLocal, &name, &now);
    for (k, v) in &model.attrs {
        if def.attrs.contains_key(k) {
            def.attrs.insert(k.clone(), v.clone());
        }
    }
    let temp = model.get("DEFTYPE") != "PERMDYN";
    def.attrs.insert("DEFTYPE".into(), if temp { "TEMPDYN".into() } else { "PERMDYN".into() });
    st.objects.insert((Ns::Queue, name.clone()), def);
    st.queues.insert(name.clone(), QueueRt { temp_owner: temp.then_some(id), ..Default::default() });
    if !temp && engine.save_catalogue(st).is_err() {
        st.objects.remove(&(Ns::Queue, name.clone()));
        st.queues.remove(&name);
        return Err(MQRC_CONNECTION_BROKEN);
    }
    Ok(name)
}

fn close(engine: &Engine, st: &mut State, id: u64, hobj: i32, options: i32) -> Response {
    let h = match st.conns.get(&id).and_then(|c| c.handles.get(&hobj)) {
        Some(h) => h.clone(),
        None => return fail(MQRC_HOBJ_ERROR),
    };
    if options & (MQCO_DELETE | MQCO_DELETE_PURGE) != 0 {
        let Target::Queue(q) = &h.target else { return fail(MQRC_OPTION_NOT_VALID_FOR_TYPE) };
        let dynamic = st.queue_def(q).map(|d| d.get("DEFTYPE").to_string()).unwrap_or_default();
        match dynamic.as_str() {
            "TEMPDYN" if h.created_dynamic => {}
            "PERMDYN" => {
                let depth = st.queues.get(q).map(|r| r.msgs.len()).unwrap_or(0);
                if options & MQCO_DELETE != 0 && depth > 0 {
                    return fail(MQRC_Q_NOT_EMPTY);
                }
                let others = st
                    .conns
                    .values()
                    .flat_map(|c| c.handles.iter())
                    .filter(|(k, o)| o.target == h.target && **k != hobj)
                    .count();
                if others > 0 {
                    return fail(MQRC_OBJECT_IN_USE);
                }
                st.conns.get_mut(&id).map(|c| c.handles.remove(&hobj));
                if delete_queue(engine, st, q).is_err() {
                    return fail(MQRC_CONNECTION_BROKEN);
                }
                return ok(MqiBody::None);
            }
            _ => return fail(MQRC_OPTION_NOT_VALID_FOR_TYPE),
        }
    }
    st.conns.get_mut(&id).map(|c| c.handles.remove(&hobj));
    release_handle(engine, st, id, &h);
    ok(MqiBody::None)
}

/// A handle goes away (MQCLOSE, MQDISC, process death): a temporary dynamic queue goes with the
/// handle that created it.
pub(crate) fn release_handle(engine: &Engine, st: &mut State, id: u64, h: &Handle) {
    if let Target::Queue(q) = &h.target {
        let temp_of_conn = st.queues.get(q).and_then(|r| r.temp_owner) == Some(id);
        if h.created_dynamic && temp_of_conn {
            // A temporary dynamic queue was never written: nothing to make durable.
            let _ = delete_queue(engine, st, q);
        }
    }
}

/// Removes a queue with its messages: the catalogue without it and its emptied files are one
/// durable write. On a refused replication the engine is fenced (its memory is not served again).
pub(crate) fn delete_queue(engine: &Engine, st: &mut State, q: &str) -> Result<(), crate::engine::repl::ReplError> {
    let was_temp = st.queues.get(q).is_some_and(|r| r.temp_owner.is_some());
    st.objects.remove(&(Ns::Queue, q.to_string()));
    st.queues.remove(q);
    if was_temp {
        return Ok(());
    }
    let mut recs: Vec<_> = engine.catalogue_record(st).into_iter().collect();
    recs.push(engine.snapshot_record(st, q));
    engine.persist(recs)
}

fn generate_id(qm: &str, seq: u64) -> [u8; 24] {
    // MQ's form: "AMQ " + the first 12 characters of the QM name, blank-padded, + 8 unique bytes.
    let mut id = [b' '; 24];
    id[..4].copy_from_slice(b"AMQ ");
    for (i, b) in qm.bytes().take(12).enumerate() {
        id[4 + i] = b;
    }
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let uniq = (nanos & 0xFFFF_FFFF_0000_0000) | (seq & 0xFFFF_FFFF);
    id[16..].copy_from_slice(&uniq.to_be_bytes());
    id
}

fn put(engine: &Engine, st: &mut State, id: u64, q: &str, mut md: MsgDesc, pmo: i32, data: Vec<u8>) -> Response {
    if pmo & MQPMO_SYNCPOINT != 0 && pmo & MQPMO_NO_SYNCPOINT != 0 {
        return fail(MQRC_OPTIONS_ERROR);
    }
    // Neither option: outside any unit of work, as on every platform but z/OS
    // (docs/reference/mqi.md#units-of-work).
    let syncpoint = pmo & MQPMO_SYNCPOINT != 0;
    if st.run == RunState::Quiescing && pmo & MQPMO_FAIL_IF_QUIESCING != 0 {
        return fail(MQRC_Q_MGR_QUIESCING);
    }
    if syncpoint && over_maxumsgs(st, id) {
        return fail(MQRC_SYNCPOINT_LIMIT_REACHED);
    }
    let def = match st.queue_def(q) {
        Some(d) => d.clone(),
        None => return fail(MQRC_Q_DELETED),
    };
    if def.get("PUT") == "DISABLED" {
        return fail(MQRC_PUT_INHIBITED);
    }
    if md.persistence == MQPER_PERSISTENCE_AS_Q_DEF {
        md.persistence = if def.get("DEFPSIST") == "YES" { 1 } else { 0 };
    }
    let persistent = md.persistence == MQPER_PERSISTENT;
    if persistent && def.get("DEFTYPE") == "TEMPDYN" {
        // Temporary dynamic queues hold non-persistent messages only; 2048 is UNCONFIRMED
        // (docs/reference/mqi.md#temporary-dynamic-queues).
        return fail(MQRC_PERSISTENT_NOT_ALLOWED);
    }
    if data.len() as i64 > def.int("MAXMSGL") {
        return fail(MQRC_MSG_TOO_BIG_FOR_Q);
    }
    let depth = st.queues.get(q).map(|r| r.msgs.len()).unwrap_or(0);
    if depth as i64 >= def.int("MAXDEPTH") {
        return fail(MQRC_Q_FULL);
    }
    if persistent && engine.log_full() {
        // A full recovery log: MQ refuses persistent work with MQRC_RESOURCE_PROBLEM (UNCONFIRMED
        // which exact reason a put sees; 2102 is the one IBM documents for log-full conditions).
        return fail(MQRC_RESOURCE_PROBLEM);
    }
    if md.priority < 0 {
        md.priority = def.int("DEFPRTY") as i32;
    }
    st.seq += 1;
    let seq = st.seq;
    if pmo & MQPMO_NEW_MSG_ID != 0 || md.msg_id == [0; 24] {
        md.msg_id = generate_id(engine.qm_name(), seq);
    }
    if pmo & MQPMO_NEW_CORREL_ID != 0 {
        md.correl_id = generate_id(engine.qm_name(), seq);
    }
    let conn = &st.conns[&id];
    let (date, time) = super::store::md_now();
    md.put_date = date;
    md.put_time = time;
    md.user_identifier = conn.user.chars().take(12).collect();
    md.put_appl_name = conn.appl_tag.chars().take(28).collect();
    md.put_appl_type = 6; // MQAT_UNIX
    let now = super::store::mqsc_now();
    // Under syncpoint the message reaches the log only at MQCMIT: a crash before it loses it, as
    // a restart backs out every unit of work still open.
    let rec = (persistent && !syncpoint)
        .then(|| super::store::JournalRecord::Put(super::store::StoredMsg { md: md.clone(), data: data.clone(), seq }));
    let rt = st.queues.entry(q.to_string()).or_default();
    let mut msg = Msg::new(md.clone(), data, seq);
    msg.uncommitted = syncpoint.then_some(id);
    rt.msgs.push_back(msg);
    rt.last_put = now;
    if syncpoint {
        if let Some(c) = st.conns.get_mut(&id) {
            c.uow.puts.push((q.to_string(), seq));
        }
    }
    if let Some(rec) = rec {
        // Native HA: not confirmed to the application before a replica has it
        // (docs/reference/native-ha.md#persistent-messages; UNCONFIRMED per call, the stricter
        // reading). Refused: the message is taken off again and the connection is broken
        // (2009, docs/reference/mqi.md#reason-codes; UNCONFIRMED which reason IBM gives).
        if engine.journal(st, vec![(q.to_string(), rec)]).is_err() {
            if let Some(rt) = st.queues.get_mut(q) {
                rt.msgs.retain(|m| m.seq != seq);
            }
            return fail(MQRC_CONNECTION_BROKEN);
        }
    }
    ok(MqiBody::Put { md, resolved_q: q.to_string() })
}

/// Whether one more message would pass the queue manager's MAXUMSGS for this unit of work.
fn over_maxumsgs(st: &State, id: u64) -> bool {
    let max = st.qmgr.get("MAXUMSGS").and_then(|v| v.parse::<usize>().ok()).unwrap_or(10_000);
    st.conns.get(&id).is_some_and(|c| c.uow.len() >= max)
}

/// MQCMIT (and a normal MQDISC): puts become visible and, when persistent, logged; gets become
/// final. With a full log and persistent work, nothing can be logged: the unit of work is backed
/// out and the call warns 2003 MQRC_BACKED_OUT (IBM documents 2003 on MQCMIT/MQDISC for a commit
/// that fails; that a full log is such a failure at commit time is UNCONFIRMED: the stricter choice).
pub(crate) fn commit(engine: &Engine, st: &mut State, id: u64) -> Response {
    let Some(c) = st.conns.get_mut(&id) else { return fail(MQRC_HCONN_ERROR) };
    let uow = std::mem::take(&mut c.uow);
    let persistent_work = uow.gets.iter().any(|(_, m)| m.persistent())
        || uow
            .puts
            .iter()
            .any(|(q, seq)| st.queues.get(q).is_some_and(|r| r.msgs.iter().any(|m| m.seq == *seq && m.persistent())));
    if persistent_work && engine.log_full() {
        if let Some(c) = st.conns.get_mut(&id) {
            c.uow = uow;
        }
        backout(engine, st, id);
        return warn(MQRC_BACKED_OUT, MqiBody::None);
    }
    let mut lines = Vec::new();
    for (q, seq) in &uow.puts {
        let Some(rt) = st.queues.get_mut(q) else { continue };
        let Some(m) = rt.msgs.iter_mut().find(|m| m.seq == *seq) else { continue };
        m.uncommitted = None;
        if m.persistent() {
            let rec = super::store::JournalRecord::Put(super::store::StoredMsg {
                md: m.md.clone(),
                data: m.data.clone(),
                seq: m.seq,
            });
            lines.push((q.clone(), rec));
        }
    }
    for (q, m) in &uow.gets {
        if m.persistent() && st.queues.contains_key(q) {
            lines.push((q.clone(), super::store::JournalRecord::Del(m.seq)));
        }
    }
    // The whole unit of work is one durable write. Native HA, refused: nothing of it was
    // written, it is backed out here and the connection is broken (2009; the application cannot
    // know whether the commit happened, as for any connection broken during MQCMIT).
    if engine.journal(st, lines).is_err() {
        if let Some(c) = st.conns.get_mut(&id) {
            c.uow = uow;
        }
        backout(engine, st, id);
        return fail(MQRC_CONNECTION_BROKEN);
    }
    ok(MqiBody::None)
}

/// MQBACK (and the end of a connection without MQDISC, and a queue manager ending): puts are
/// removed; gets are reinstated in their place with BackoutCount + 1.
pub(crate) fn backout(_engine: &Engine, st: &mut State, id: u64) -> Response {
    let Some(c) = st.conns.get_mut(&id) else { return fail(MQRC_HCONN_ERROR) };
    let uow = std::mem::take(&mut c.uow);
    for (q, seq) in &uow.puts {
        if let Some(rt) = st.queues.get_mut(q) {
            rt.msgs.retain(|m| m.seq != *seq);
        }
    }
    for (q, mut m) in uow.gets {
        let Some(rt) = st.queues.get_mut(&q) else { continue };
        m.md.backout_count = m.md.backout_count.saturating_add(1);
        let at = rt.msgs.iter().position(|x| x.seq > m.seq).unwrap_or(rt.msgs.len());
        rt.msgs.insert(at, m);
    }
    ok(MqiBody::None)
}

/// Index of the message an MQGET selects: highest priority first (MSGDLVSQ(PRIORITY)), then FIFO.
fn select(rt: &QueueRt, md: &MsgDesc, match_options: i32, fifo: bool, after: Option<u64>) -> Option<usize> {
    let want_msg = match_options & 1 != 0 && md.msg_id != [0; 24];
    let want_correl = match_options & 2 != 0 && md.correl_id != [0; 24];
    let mut best: Option<(usize, i32, u64)> = None;
    for (i, m) in rt.msgs.iter().enumerate() {
        // An uncommitted put is seen by no get or browse, its own connection's included (IBM says
        // "other programs"; that the putter cannot get it either is UNCONFIRMED: the stricter choice).
        if m.uncommitted.is_some() {
            continue;
        }
        if (want_msg && m.md.msg_id != md.msg_id) || (want_correl && m.md.correl_id != md.correl_id) {
            continue;
        }
        if let Some(a) = after {
            if m.seq <= a {
                continue;
            }
            // Browsing walks in arrival order.
            return Some(i);
        }
        let prio = if fifo { 0 } else { m.md.priority };
        if best.is_none_or(|(_, p, s)| prio > p || (prio == p && m.seq < s)) {
            best = Some((i, prio, m.seq));
        }
    }
    best.map(|b| b.0)
}

#[allow(clippy::too_many_arguments)]
fn get(
    engine: &Engine,
    mut st: std::sync::MutexGuard<'_, State>,
    id: u64,
    hobj: i32,
    md: MsgDesc,
    gmo: i32,
    match_options: i32,
    wait_ms: i32,
    buffer_len: i32,
) -> Response {
    let h = match st.conns[&id].handles.get(&hobj) {
        Some(h) => h.clone(),
        None => return fail(MQRC_HOBJ_ERROR),
    };
    let browse = gmo & (MQGMO_BROWSE_FIRST | MQGMO_BROWSE_NEXT) != 0;
    let sync_opts = gmo & (MQGMO_SYNCPOINT | MQGMO_NO_SYNCPOINT | MQGMO_SYNCPOINT_IF_PERSISTENT);
    if sync_opts.count_ones() > 1 {
        return fail(MQRC_OPTIONS_ERROR);
    }
    if browse && h.options & MQOO_BROWSE == 0 {
        return fail(crate::engine::mqi::MQRC_OPTIONS_ERROR);
    }
    if !browse && h.options & MQOO_INPUT_ANY == 0 {
        return fail(MQRC_NOT_OPEN_FOR_INPUT);
    }
    let Target::Queue(q) = h.target.clone() else { return fail(MQRC_NOT_OPEN_FOR_INPUT) };
    let deadline = if gmo & MQGMO_WAIT != 0 && wait_ms != 0 {
        if wait_ms < 0 {
            None
        } else {
            Some(Instant::now() + Duration::from_millis(wait_ms as u64))
        }
    } else {
        Some(Instant::now())
    };
    loop {
        match st.run {
            RunState::Stopping => return fail(MQRC_Q_MGR_STOPPING),
            RunState::Quiescing if gmo & MQGMO_FAIL_IF_QUIESCING != 0 => return fail(MQRC_Q_MGR_QUIESCING),
            _ => {}
        }
        let Some(def) = st.queue_def(&q).cloned() else { return fail(MQRC_Q_DELETED) };
        if !browse && def.get("GET") == "DISABLED" {
            return fail(MQRC_GET_INHIBITED);
        }
        // Expired messages are discarded when a get meets them, as MQ does.
        let now = Instant::now();
        let expired_persistent = st.queues.get_mut(&q).map(|rt| {
            let before = rt.msgs.iter().filter(|m| m.persistent()).count();
            rt.msgs.retain(|m| !m.expired(now));
            before != rt.msgs.iter().filter(|m| m.persistent()).count()
        });
        if expired_persistent == Some(true) && engine.save_queue(&st, &q).is_err() {
            return fail(MQRC_CONNECTION_BROKEN);
        }
        let fifo = def.get("MSGDLVSQ") == "FIFO";
        let after = if browse { Some(if gmo & MQGMO_BROWSE_FIRST != 0 { 0 } else { h.browse_after }) } else { None };
        let found = st.queues.get(&q).and_then(|rt| select(rt, &md, match_options, fifo, after));
        if let Some(i) = found {
            // Neither option: outside any unit of work, as on every platform but z/OS
            // (docs/reference/mqi.md#units-of-work).
            let syncpoint = !browse
                && (gmo & MQGMO_SYNCPOINT != 0
                    || (gmo & MQGMO_SYNCPOINT_IF_PERSISTENT != 0
                        && st.queues.get(&q).is_some_and(|rt| rt.msgs[i].persistent())));
            if syncpoint && over_maxumsgs(&st, id) {
                return fail(MQRC_SYNCPOINT_LIMIT_REACHED);
            }
            let rt = st.queues.get_mut(&q).expect("queue present");
            let m = rt.msgs[i].clone();
            let full = m.data.len() as i32;
            let fits = full <= buffer_len.max(0);
            let truncated_ok = gmo & MQGMO_ACCEPT_TRUNCATED_MSG != 0;
            let mut data = m.data.clone();
            data.truncate(buffer_len.max(0) as usize);
            if browse {
                if let Some(c) = st.conns.get_mut(&id) {
                    if let Some(hh) = c.handles.get_mut(&hobj) {
                        hh.browse_after = m.seq;
                    }
                }
            } else if fits || truncated_ok {
                rt.msgs.remove(i);
                rt.last_get = super::store::mqsc_now();
                if syncpoint {
                    // Off the queue for everyone; logged as gone only at MQCMIT.
                    if let Some(c) = st.conns.get_mut(&id) {
                        c.uow.gets.push((q.clone(), m.clone()));
                    }
                } else if m.persistent()
                    && engine.journal(&mut st, vec![(q.clone(), super::store::JournalRecord::Del(m.seq))]).is_err()
                {
                    // Native HA, refused: the message stays where it was; the connection is broken.
                    if let Some(rt) = st.queues.get_mut(&q) {
                        rt.msgs.insert(i.min(rt.msgs.len()), m);
                    }
                    return fail(MQRC_CONNECTION_BROKEN);
                }
            }
            let body = MqiBody::Got { md: m.md, data, data_length: full };
            return if fits {
                ok(body)
            } else if truncated_ok {
                warn(MQRC_TRUNCATED_MSG_ACCEPTED, body)
            } else {
                warn(MQRC_TRUNCATED_MSG_FAILED, body)
            };
        }
        let now = Instant::now();
        // Wake at least every 200 ms to notice a caller that died while waiting.
        let slice = Duration::from_millis(200);
        match deadline {
            Some(d) if now >= d => return fail(MQRC_NO_MSG_AVAILABLE),
            Some(d) => {
                st = engine.changed.wait_timeout(st, (d - now).min(slice)).unwrap_or_else(|p| p.into_inner()).0;
            }
            None => {
                st = engine.changed.wait_timeout(st, slice).unwrap_or_else(|p| p.into_inner()).0;
            }
        }
        match st.conns.get(&id) {
            None => return fail(MQRC_HCONN_ERROR),
            Some(c) if super::peer_gone(c.fd) => return fail(MQRC_CONNECTION_BROKEN),
            Some(_) if engine.fenced().is_some() => return fail(MQRC_CONNECTION_BROKEN),
            Some(_) => {}
        }
    }
}

// MQINQ selectors (cmqc.h).
pub const MQIA_CODED_CHAR_SET_ID: i32 = 2;
pub const MQIA_CURRENT_Q_DEPTH: i32 = 3;
pub const MQIA_DEF_INPUT_OPEN_OPTION: i32 = 4;
pub const MQIA_DEF_PERSISTENCE: i32 = 5;
pub const MQIA_DEF_PRIORITY: i32 = 6;
pub const MQIA_DEFINITION_TYPE: i32 = 7;
pub const MQIA_INHIBIT_GET: i32 = 9;
pub const MQIA_INHIBIT_PUT: i32 = 10;
pub const MQIA_MAX_HANDLES: i32 = 11;
pub const MQIA_USAGE: i32 = 12;
pub const MQIA_MAX_MSG_LENGTH: i32 = 13;
pub const MQIA_MAX_PRIORITY: i32 = 14;
pub const MQIA_MAX_Q_DEPTH: i32 = 15;
pub const MQIA_MSG_DELIVERY_SEQUENCE: i32 = 16;
pub const MQIA_OPEN_INPUT_COUNT: i32 = 17;
pub const MQIA_OPEN_OUTPUT_COUNT: i32 = 18;
pub const MQIA_Q_TYPE: i32 = 20;
pub const MQIA_SHAREABILITY: i32 = 23;
pub const MQIA_TRIGGER_CONTROL: i32 = 24;
pub const MQIA_SYNCPOINT: i32 = 30;
pub const MQIA_COMMAND_LEVEL: i32 = 31;
pub const MQIA_PLATFORM: i32 = 32;
pub const MQIA_CMD_SERVER_CONTROL: i32 = 120;
pub const MQIA_CHINIT_CONTROL: i32 = 119;

pub const MQCA_COMMAND_INPUT_Q_NAME: i32 = 2003;
pub const MQCA_CREATION_DATE: i32 = 2004;
pub const MQCA_CREATION_TIME: i32 = 2005;
pub const MQCA_DEAD_LETTER_Q_NAME: i32 = 2006;
pub const MQCA_Q_DESC: i32 = 2013;
pub const MQCA_Q_MGR_DESC: i32 = 2014;
pub const MQCA_Q_MGR_NAME: i32 = 2015;
pub const MQCA_Q_NAME: i32 = 2016;
pub const MQCA_Q_MGR_IDENTIFIER: i32 = 2032;
pub const MQCA_VERSION: i32 = 2120;

/// Fixed length of a character attribute in MQINQ's CharAttrs buffer (cmqc.h MQ_*_LENGTH).
pub fn char_attr_length(selector: i32) -> Option<usize> {
    match selector {
        MQCA_Q_MGR_NAME | MQCA_Q_NAME | MQCA_Q_MGR_IDENTIFIER | MQCA_DEAD_LETTER_Q_NAME | MQCA_COMMAND_INPUT_Q_NAME => {
            Some(48)
        }
        MQCA_Q_DESC | MQCA_Q_MGR_DESC => Some(64),
        MQCA_CREATION_DATE => Some(12),
        MQCA_CREATION_TIME => Some(8),
        MQCA_VERSION => Some(8),
        _ => None,
    }
}

/// "9.3.0.0" -> (930, "09030000").
pub fn version_codes(version: &str) -> (i32, String) {
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    let p = |i: usize| parts.get(i).copied().unwrap_or(0);
    ((p(0) * 100 + p(1) * 10 + p(2)) as i32, format!("{:02}{:02}{:02}{:02}", p(0), p(1), p(2), p(3)))
}

fn inq(engine: &Engine, st: &State, id: u64, hobj: i32, selectors: &[i32]) -> Response {
    let Some(h) = st.conns[&id].handles.get(&hobj) else { return fail(MQRC_HOBJ_ERROR) };
    if h.options & MQOO_INQUIRE == 0 {
        return fail(MQRC_NOT_OPEN_FOR_INQUIRE);
    }
    let mut ints = Vec::new();
    let mut chars = Vec::new();
    let (cmdlevel, version) = version_codes(&engine.inst.version);
    for &sel in selectors {
        let value: Result<Result<i32, String>, i32> = match &h.target {
            Target::Qmgr => match sel {
                MQCA_Q_MGR_NAME => Ok(Err(engine.qm_name().to_string())),
                MQCA_Q_MGR_DESC => Ok(Err(st.qmgr.get("DESCR").cloned().unwrap_or_default())),
                MQCA_Q_MGR_IDENTIFIER => Ok(Err(st.qmid.clone())),
                MQCA_DEAD_LETTER_Q_NAME => Ok(Err(st.qmgr.get("DEADQ").cloned().unwrap_or_default())),
                MQCA_COMMAND_INPUT_Q_NAME => Ok(Err("SYSTEM.ADMIN.COMMAND.QUEUE".into())),
                MQCA_VERSION => Ok(Err(version.clone())),
                MQCA_CREATION_DATE => Ok(Err(st.qm_dates[0].clone())),
                MQCA_CREATION_TIME => Ok(Err(st.qm_dates[1].clone())),
                MQIA_COMMAND_LEVEL => Ok(Ok(cmdlevel)),
                MQIA_PLATFORM => Ok(Ok(3)), // MQPL_UNIX
                MQIA_CODED_CHAR_SET_ID => Ok(Ok(st.qmgr.get("CCSID").and_then(|v| v.parse().ok()).unwrap_or(1208))),
                MQIA_MAX_MSG_LENGTH => Ok(Ok(st.qmgr.get("MAXMSGL").and_then(|v| v.parse().ok()).unwrap_or(4194304))),
                MQIA_MAX_HANDLES => Ok(Ok(st.qmgr.get("MAXHANDS").and_then(|v| v.parse().ok()).unwrap_or(256))),
                MQIA_MAX_PRIORITY => Ok(Ok(9)),
                MQIA_SYNCPOINT => Ok(Ok(1)), // MQSP_AVAILABLE
                MQIA_CMD_SERVER_CONTROL => {
                    Ok(Ok(if st.qmgr.get("SCMDSERV").map(String::as_str) == Some("MANUAL") { 1 } else { 0 }))
                }
                MQIA_CHINIT_CONTROL => {
                    Ok(Ok(if st.qmgr.get("SCHINIT").map(String::as_str) == Some("MANUAL") { 1 } else { 0 }))
                }
                s if (2001..=2999).contains(&s) || (1..=999).contains(&s) => Err(MQRC_SELECTOR_NOT_FOR_TYPE),
                _ => Err(MQRC_SELECTOR_ERROR),
            },
            Target::Queue(q) => {
                let Some(def) = st.queue_def(q) else { return fail(MQRC_Q_DELETED) };
                let (ipp, opp) = st.open_counts(q);
                match sel {
                    MQCA_Q_NAME => Ok(Err(q.clone())),
                    MQCA_Q_DESC => Ok(Err(def.get("DESCR").to_string())),
                    MQCA_CREATION_DATE => Ok(Err(def.crdate.clone())),
                    MQCA_CREATION_TIME => Ok(Err(def.crtime.clone())),
                    MQIA_CURRENT_Q_DEPTH => Ok(Ok(st.queues.get(q).map(|r| r.msgs.len() as i32).unwrap_or(0))),
                    MQIA_MAX_Q_DEPTH => Ok(Ok(def.int("MAXDEPTH") as i32)),
                    MQIA_MAX_MSG_LENGTH => Ok(Ok(def.int("MAXMSGL") as i32)),
                    MQIA_OPEN_INPUT_COUNT => Ok(Ok(ipp as i32)),
                    MQIA_OPEN_OUTPUT_COUNT => Ok(Ok(opp as i32)),
                    MQIA_Q_TYPE => Ok(Ok(if def.otype == ObjType::QModel { 2 } else { 1 })),
                    MQIA_DEFINITION_TYPE => Ok(Ok(match def.get("DEFTYPE") {
                        "PERMDYN" => 2,
                        "TEMPDYN" => 3,
                        _ => 1,
                    })),
                    MQIA_DEF_PERSISTENCE => Ok(Ok(i32::from(def.get("DEFPSIST") == "YES"))),
                    MQIA_DEF_PRIORITY => Ok(Ok(def.int("DEFPRTY") as i32)),
                    MQIA_INHIBIT_GET => Ok(Ok(i32::from(def.get("GET") == "DISABLED"))),
                    MQIA_INHIBIT_PUT => Ok(Ok(i32::from(def.get("PUT") == "DISABLED"))),
                    MQIA_SHAREABILITY => Ok(Ok(i32::from(def.get("SHARE") == "SHARE"))),
                    MQIA_DEF_INPUT_OPEN_OPTION => {
                        Ok(Ok(if def.get("DEFSOPT") == "EXCL" { MQOO_INPUT_EXCLUSIVE } else { MQOO_INPUT_SHARED }))
                    }
                    MQIA_USAGE => Ok(Ok(i32::from(def.get("USAGE") == "XMITQ"))),
                    MQIA_MSG_DELIVERY_SEQUENCE => Ok(Ok(i32::from(def.get("MSGDLVSQ") == "FIFO"))),
                    MQIA_TRIGGER_CONTROL => Ok(Ok(i32::from(def.get("TRIGGER") == "TRIGGER"))),
                    s if (2001..=2999).contains(&s) || (1..=999).contains(&s) => Err(MQRC_SELECTOR_NOT_FOR_TYPE),
                    _ => Err(MQRC_SELECTOR_ERROR),
                }
            }
        };
        match value {
            Ok(Ok(n)) => ints.push(n),
            Ok(Err(s)) => chars.push((sel, s)),
            Err(rc) => return fail(rc),
        }
    }
    ok(MqiBody::Inq { ints, chars })
}
