//! MQSC: parse one command, execute it on the engine, and format IBM's reply (reference §10:
//! reply ids with severity letter, attribute blocks two per line in 40-column slots).

mod format;
mod parse;
pub mod replies;

use super::objects::{self, check_attr, generic_match, AttrError, ChlAuthRule, Kind, ObjType, ObjectDef};
use super::{listener_spec, mqi, ns_of, store, ComponentState, Engine, Ns, RunState, State, Target};
use crate::wire::MqscOutcome;
use format::{format_block, kv, yes_no, Reply};
use parse::{object_word, requested, split_list, tokenize, valid_name, verb, Token};

/// Executes one MQSC command and returns the reply lines (without the echo) and the outcome.
pub fn execute(engine: &Engine, cmd: &str) -> (Vec<String>, MqscOutcome) {
    let r = run(engine, cmd.trim());
    (r.lines, r.outcome)
}

/// runmqsc -v: checks one command's syntax without executing it (no queue manager needed):
/// verb, object keyword, and for DEFINE/ALTER every attribute against the object's schema.
pub fn verify(cmd: &str) -> (Vec<String>, MqscOutcome) {
    let cmd = cmd.trim();
    let r = verify_reply(cmd);
    (r.lines, r.outcome)
}

fn verify_reply(cmd: &str) -> Reply {
    let toks = match tokenize(cmd) {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => return Reply::syntax(cmd, cmd.len()),
        Err(e) => return Reply::syntax(cmd, e.at),
    };
    let Some(v) = verb(&toks[0].word) else { return Reply::syntax(cmd, toks[0].end) };
    let Some(obj_tok) = toks.get(1) else { return Reply::syntax(cmd, cmd.len()) };
    let Some(obj) = object_word(&obj_tok.word) else { return Reply::syntax(cmd, obj_tok.end) };
    let schema: Option<&[objects::Attr]> = match obj {
        "QLOCAL" => Some(ObjType::QLocal.schema()),
        "QMODEL" => Some(ObjType::QModel.schema()),
        "LISTENER" => Some(ObjType::Listener.schema()),
        "CHANNEL" => Some(ObjType::Channel.schema()),
        "AUTHINFO" => Some(ObjType::AuthInfo.schema()),
        "QMGR" => Some(objects::QMGR),
        _ => None,
    };
    if let (true, Some(schema)) = (matches!(v, "DEFINE" | "ALTER"), schema) {
        for t in &toks[2..] {
            if matches!(t.word.as_str(), "REPLACE" | "NOREPLACE" | "LIKE" | "FORCE" | "TYPE") {
                continue;
            }
            match check_attr(schema, &t.word, t.value.as_deref()) {
                Ok(_) => {}
                Err(AttrError::Unknown(_)) => return Reply::syntax(cmd, t.word_end),
                Err(AttrError::BadValue(_)) => return Reply::syntax(cmd, t.end),
            }
        }
    }
    Reply { lines: Vec::new(), outcome: MqscOutcome::Processed }
}

fn run(engine: &Engine, cmd: &str) -> Reply {
    let toks = match tokenize(cmd) {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => return Reply::syntax(cmd, cmd.len()),
        Err(e) => return Reply::syntax(cmd, e.at),
    };
    let Some(v) = verb(&toks[0].word) else { return Reply::syntax(cmd, toks[0].end) };
    if toks[0].value.is_some() {
        return Reply::syntax(cmd, toks[0].end);
    }
    let Some(obj_tok) = toks.get(1) else { return Reply::syntax(cmd, cmd.len()) };
    let Some(obj) = object_word(&obj_tok.word) else { return Reply::syntax(cmd, obj_tok.end) };
    let rest = &toks[2..];
    let name = obj_tok.value.clone();
    match (v, obj) {
        ("PING", "QMGR") if rest.is_empty() => Reply::ok(replies::AMQ8415),
        ("REFRESH", "SECURITY") => {
            if rest.iter().any(|t| t.word != "TYPE") {
                return Reply::syntax(cmd, rest[0].end);
            }
            let mut st = engine.lock();
            st.effective_chckclnt = st.configured_chckclnt();
            Reply::ok(replies::AMQ8560)
        }
        ("DEFINE", "QLOCAL") => define(engine, cmd, ObjType::QLocal, name, rest, obj_tok.end),
        ("DEFINE", "QMODEL") => define(engine, cmd, ObjType::QModel, name, rest, obj_tok.end),
        ("DEFINE", "LISTENER") => define(engine, cmd, ObjType::Listener, name, rest, obj_tok.end),
        ("DEFINE", "CHANNEL") => define(engine, cmd, ObjType::Channel, name, rest, obj_tok.end),
        ("DEFINE", "AUTHINFO") => define(engine, cmd, ObjType::AuthInfo, name, rest, obj_tok.end),
        ("ALTER", "QLOCAL") => alter(engine, cmd, ObjType::QLocal, name, rest, obj_tok.end),
        ("ALTER", "QMODEL") => alter(engine, cmd, ObjType::QModel, name, rest, obj_tok.end),
        ("ALTER", "LISTENER") => alter(engine, cmd, ObjType::Listener, name, rest, obj_tok.end),
        ("ALTER", "CHANNEL") => alter(engine, cmd, ObjType::Channel, name, rest, obj_tok.end),
        ("ALTER", "AUTHINFO") => alter(engine, cmd, ObjType::AuthInfo, name, rest, obj_tok.end),
        ("ALTER", "QMGR") if name.is_none() => alter_qmgr(engine, cmd, rest),
        ("DELETE", "QLOCAL") => delete(engine, cmd, ObjType::QLocal, name, rest, obj_tok.end),
        ("DELETE", "QMODEL") => delete(engine, cmd, ObjType::QModel, name, rest, obj_tok.end),
        ("DELETE", "LISTENER") => delete(engine, cmd, ObjType::Listener, name, rest, obj_tok.end),
        ("DELETE", "CHANNEL") => delete(engine, cmd, ObjType::Channel, name, rest, obj_tok.end),
        ("DELETE", "AUTHINFO") => delete(engine, cmd, ObjType::AuthInfo, name, rest, obj_tok.end),
        ("CLEAR", "QLOCAL") => clear(engine, cmd, name, rest, obj_tok.end),
        ("DISPLAY", "QLOCAL") => display(engine, cmd, &[ObjType::QLocal], name, rest, obj_tok.end),
        ("DISPLAY", "QMODEL") => display(engine, cmd, &[ObjType::QModel], name, rest, obj_tok.end),
        ("DISPLAY", "QUEUE") => display(engine, cmd, &[ObjType::QLocal, ObjType::QModel], name, rest, obj_tok.end),
        ("DISPLAY", "LISTENER") => display(engine, cmd, &[ObjType::Listener], name, rest, obj_tok.end),
        ("DISPLAY", "CHANNEL") => display(engine, cmd, &[ObjType::Channel], name, rest, obj_tok.end),
        ("DISPLAY", "AUTHINFO") => display(engine, cmd, &[ObjType::AuthInfo], name, rest, obj_tok.end),
        ("DISPLAY", "QMGR") if name.is_none() => display_qmgr(engine, cmd, rest),
        ("DISPLAY", "QMSTATUS") if name.is_none() => display_qmstatus(engine, cmd, rest),
        ("DISPLAY", "LSSTATUS") => display_lsstatus(engine, cmd, name, rest, obj_tok.end),
        ("DISPLAY", "SVSTATUS") | ("DISPLAY", "SERVICE") => match name {
            // No SERVICE objects are modelled: every name is unknown (reply UNCONFIRMED, §21).
            Some(n) => Reply::not_found(&n),
            None => Reply::syntax(cmd, obj_tok.end),
        },
        ("DISPLAY", "CHSTATUS") => display_chstatus(engine, cmd, name, rest, obj_tok.end),
        ("DISPLAY", "QSTATUS") => display_qstatus(engine, cmd, name, rest, obj_tok.end),
        ("DISPLAY", "CHLAUTH") => display_chlauth(engine, cmd, name, rest, obj_tok.end),
        ("SET", "CHLAUTH") => set_chlauth(engine, cmd, name, rest, obj_tok.end),
        ("START", "LISTENER") => start_listener(engine, cmd, name, rest, obj_tok.end),
        ("STOP", "LISTENER") => stop_listener(engine, cmd, name, rest, obj_tok.end),
        _ => Reply::syntax(cmd, obj_tok.end),
    }
}

fn name_limit(t: ObjType) -> usize {
    if t == ObjType::Channel {
        20
    } else {
        48
    }
}

fn created_msg(t: ObjType) -> &'static str {
    match t {
        ObjType::QLocal | ObjType::QModel => replies::AMQ8006,
        ObjType::Channel => replies::AMQ8014,
        ObjType::Listener => replies::AMQ8626,
        ObjType::AuthInfo => replies::AMQ8563,
    }
}

fn changed_msg(t: ObjType) -> &'static str {
    match t {
        ObjType::QLocal | ObjType::QModel => replies::AMQ8008,
        ObjType::Channel => replies::AMQ8016,
        ObjType::Listener => replies::AMQ8627,
        ObjType::AuthInfo => replies::AMQ8567,
    }
}

fn deleted_msg(t: ObjType) -> &'static str {
    match t {
        ObjType::QLocal | ObjType::QModel => replies::AMQ8007,
        ObjType::Channel => replies::AMQ8015,
        ObjType::Listener => replies::AMQ8628,
        ObjType::AuthInfo => replies::AMQ8564,
    }
}

/// Applies attribute tokens to a definition; returns the syntax-error offset on failure.
fn apply_attrs(def: &mut ObjectDef, rest: &[Token], allow: &[&str]) -> Result<(), usize> {
    for t in rest {
        if allow.contains(&t.word.as_str()) {
            continue;
        }
        if t.word == "TYPE" && def.otype.is_queue() {
            continue;
        }
        match check_attr(def.otype.schema(), &t.word, t.value.as_deref()) {
            Ok((k, v)) => {
                def.attrs.insert(k, v);
            }
            Err(AttrError::Unknown(_)) => return Err(t.word_end),
            Err(AttrError::BadValue(_)) => return Err(t.end),
        }
    }
    Ok(())
}

fn define(engine: &Engine, cmd: &str, t: ObjType, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(name) = name.filter(|n| valid_name(n, name_limit(t))) else { return Reply::syntax(cmd, name_end) };
    let mut st = engine.lock();
    let now = store::mqsc_now();
    let replace = rest.iter().any(|t| t.word == "REPLACE" && t.value.is_none());
    let like = rest.iter().find(|t| t.word == "LIKE").and_then(|t| t.value.clone());
    if t == ObjType::Channel {
        match rest.iter().find(|x| x.word == "CHLTYPE").and_then(|x| x.value.as_deref()) {
            Some("SVRCONN") => {}
            // Only server-connection channels are modelled.
            _ => {
                return Reply::syntax(
                    cmd,
                    rest.iter().find(|x| x.word == "CHLTYPE").map(|x| x.end).unwrap_or(cmd.len()),
                )
            }
        }
    }
    if t == ObjType::Listener && !rest.iter().any(|x| x.word == "TRPTYPE") {
        return Reply::syntax(cmd, cmd.len());
    }
    let key = (ns_of(t), name.clone());
    let existing = st.objects.get(&key).cloned();
    if let Some(e) = &existing {
        if !replace || e.otype != t {
            return Reply::failed(replies::AMQ8150.into());
        }
    }
    let mut def = match like.as_ref().and_then(|l| st.objects.get(&(ns_of(t), l.clone()))) {
        Some(src) if src.otype == t => {
            let mut d = src.clone();
            d.name = name.clone();
            d.crdate = now.0.clone();
            d.crtime = now.1.clone();
            d
        }
        Some(_) | None if like.is_some() => return Reply::not_found(like.as_deref().unwrap_or("")),
        // Without LIKE, MQ takes the attributes of the SYSTEM.DEFAULT object of the type, so an
        // administrator's ALTER of that object changes later definitions.
        _ => {
            match default_template(t).and_then(|n| st.objects.get(&(ns_of(t), n.to_string()))).filter(|d| d.otype == t)
            {
                Some(src) => {
                    let mut d = ObjectDef::new(t, &name, &now);
                    d.attrs = src.attrs.clone();
                    d
                }
                None => ObjectDef::new(t, &name, &now),
            }
        }
    };
    if let Err(at) = apply_attrs(&mut def, rest, &["REPLACE", "NOREPLACE", "LIKE"]) {
        return Reply::syntax(cmd, at);
    }
    if let Some(e) = existing {
        def.crdate = e.crdate;
        def.crtime = e.crtime;
    }
    def.altdate = now.0;
    def.alttime = now.1;
    if t == ObjType::QLocal {
        st.queues.entry(name.clone()).or_default();
    }
    st.objects.insert(key, def);
    engine.save_catalogue(&st);
    Reply::ok(created_msg(t))
}

fn default_template(t: ObjType) -> Option<&'static str> {
    match t {
        ObjType::QLocal => Some("SYSTEM.DEFAULT.LOCAL.QUEUE"),
        ObjType::QModel => Some("SYSTEM.DEFAULT.MODEL.QUEUE"),
        ObjType::Listener => Some("SYSTEM.DEFAULT.LISTENER.TCP"),
        ObjType::Channel => Some("SYSTEM.DEF.SVRCONN"),
        ObjType::AuthInfo => None,
    }
}

fn alter(engine: &Engine, cmd: &str, t: ObjType, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(name) = name else { return Reply::syntax(cmd, name_end) };
    let mut st = engine.lock();
    let key = (ns_of(t), name.clone());
    let Some(mut def) = st.objects.get(&key).cloned().filter(|d| d.otype == t) else { return Reply::not_found(&name) };
    if let Err(at) = apply_attrs(&mut def, rest, &["FORCE"]) {
        return Reply::syntax(cmd, at);
    }
    let now = store::mqsc_now();
    def.altdate = now.0;
    def.alttime = now.1;
    st.objects.insert(key, def);
    engine.save_catalogue(&st);
    Reply::ok(changed_msg(t))
}

fn delete(engine: &Engine, cmd: &str, t: ObjType, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(name) = name else { return Reply::syntax(cmd, name_end) };
    let purge = rest.iter().any(|x| x.word == "PURGE");
    if let Some(bad) = rest.iter().find(|x| !matches!(x.word.as_str(), "PURGE" | "NOPURGE" | "CHLTYPE" | "AUTHTYPE")) {
        return Reply::syntax(cmd, bad.end);
    }
    let mut st = engine.lock();
    let key = (ns_of(t), name.clone());
    if st.objects.get(&key).filter(|d| d.otype == t).is_none() {
        return Reply::not_found(&name);
    }
    if t.is_queue() {
        let (i, o) = st.open_counts(&name);
        if i + o > 0 || in_use(&st, &name) {
            return Reply::failed(replies::AMQ8148.into());
        }
        let depth = st.queues.get(&name).map(|q| q.msgs.len()).unwrap_or(0);
        if depth > 0 && !purge {
            return Reply::failed(replies::AMQ8143.into());
        }
        mqi::delete_queue(engine, &mut st, &name);
    } else {
        st.objects.remove(&key);
        engine.save_catalogue(&st);
    }
    Reply::ok(deleted_msg(t))
}

fn in_use(st: &State, queue: &str) -> bool {
    st.conns.values().flat_map(|c| c.handles.values()).any(|h| h.target == Target::Queue(queue.to_string()))
}

fn clear(engine: &Engine, cmd: &str, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(name) = name else { return Reply::syntax(cmd, name_end) };
    if let Some(bad) = rest.first() {
        return Reply::syntax(cmd, bad.end);
    }
    let mut st = engine.lock();
    if st.queue_def(&name).filter(|d| d.otype == ObjType::QLocal).is_none() {
        return Reply::not_found(&name);
    }
    if in_use(&st, &name) {
        return Reply::failed(replies::AMQ8148.into());
    }
    if let Some(q) = st.queues.get_mut(&name) {
        q.msgs.clear();
    }
    engine.save_queue(&st, &name);
    Reply::ok(replies::AMQ8022)
}

fn status_value(st: &State, def: &ObjectDef, attr: &str) -> String {
    match attr {
        "ALTDATE" => def.altdate.clone(),
        "ALTTIME" => def.alttime.clone(),
        "CRDATE" => def.crdate.clone(),
        "CRTIME" => def.crtime.clone(),
        "CURDEPTH" => st.queues.get(&def.name).map(|q| q.msgs.len()).unwrap_or(0).to_string(),
        "IPPROCS" => st.open_counts(&def.name).0.to_string(),
        "OPPROCS" => st.open_counts(&def.name).1.to_string(),
        _ => String::new(),
    }
}

fn attr_text(st: &State, def: &ObjectDef, at: &objects::Attr) -> String {
    match at.kind {
        Kind::Flag(..) => def.get(at.name).to_string(),
        Kind::Status => kv(at.name, &status_value(st, def, at.name)),
        _ => kv(at.name, def.get(at.name)),
    }
}

fn display(
    engine: &Engine,
    cmd: &str,
    types: &[ObjType],
    name: Option<String>,
    rest: &[Token],
    name_end: usize,
) -> Reply {
    let Some(pattern) = name else { return Reply::syntax(cmd, name_end) };
    let type_filter = rest.iter().find(|t| t.word == "TYPE").and_then(|t| t.value.clone());
    let want = match requested(rest, &["TYPE"]) {
        Ok(w) => w,
        Err(at) => return Reply::syntax(cmd, at),
    };
    let st = engine.lock();
    // Every requested name must be an attribute of at least one displayed type.
    if let Some(w) = &want {
        for n in w {
            let known = types.iter().any(|t| {
                t.schema().iter().any(|a| a.name == n || matches!(a.kind, Kind::Flag(on, off) if on == n || off == n))
            }) || n == "TYPE";
            if !known {
                let at =
                    rest.iter().find(|t| objects::canonical_attr(&t.word) == n).map(|t| t.end).unwrap_or(cmd.len());
                return Reply::syntax(cmd, at);
            }
        }
    }
    let ns = ns_of(types[0]);
    let mut lines = Vec::new();
    for ((n, _), def) in
        st.objects.iter().filter(|((n, name), d)| *n == ns && generic_match(&pattern, name) && types.contains(&d.otype))
    {
        let _ = n;
        if let Some(tf) = &type_filter {
            let tname = if def.otype == ObjType::QLocal { "QLOCAL" } else { "QMODEL" };
            if tf != tname && tf != "ALL" {
                continue;
            }
        }
        let mut attrs = vec![kv(def.otype.name_keyword(), &def.name)];
        match def.otype {
            ObjType::QLocal => attrs.push("TYPE(QLOCAL)".into()),
            ObjType::QModel => attrs.push("TYPE(QMODEL)".into()),
            ObjType::Channel => attrs.push(kv("CHLTYPE", def.get("CHLTYPE"))),
            ObjType::AuthInfo => attrs.push(kv("AUTHTYPE", def.get("AUTHTYPE"))),
            ObjType::Listener => {}
        }
        for at in def.otype.schema() {
            if matches!(at.name, "CHLTYPE") || (def.otype == ObjType::AuthInfo && at.name == "AUTHTYPE") {
                continue;
            }
            let wanted = match &want {
                None => true,
                Some(w) => {
                    w.iter().any(|n| n == at.name || matches!(at.kind, Kind::Flag(on, off) if on == n || off == n))
                }
            };
            if wanted {
                attrs.push(attr_text(&st, def, at));
            }
        }
        let header = match def.otype {
            ObjType::QLocal | ObjType::QModel => replies::AMQ8409,
            ObjType::Channel => replies::AMQ8414,
            ObjType::Listener => replies::AMQ8630,
            ObjType::AuthInfo => replies::AMQ8566,
        };
        lines.extend(format_block(header, &attrs));
    }
    if lines.is_empty() {
        return Reply::not_found(&pattern);
    }
    Reply { lines, outcome: MqscOutcome::Processed }
}

fn qmgr_status_value(engine: &Engine, st: &State, attr: &str) -> String {
    let (cmdlevel, version) = mqi::version_codes(&engine.inst.version);
    match attr {
        "ALTDATE" => st.qm_dates[2].clone(),
        "ALTTIME" => st.qm_dates[3].clone(),
        "CRDATE" => st.qm_dates[0].clone(),
        "CRTIME" => st.qm_dates[1].clone(),
        "CMDLEVEL" => cmdlevel.to_string(),
        "COMMANDQ" => "SYSTEM.ADMIN.COMMAND.QUEUE".into(),
        "MAXPRTY" => "9".into(),
        "PLATFORM" => "UNIX".into(),
        "QMID" => st.qmid.clone(),
        "SYNCPT" => String::new(),
        "VERSION" => version,
        _ => String::new(),
    }
}

fn display_qmgr(engine: &Engine, cmd: &str, rest: &[Token]) -> Reply {
    let want = match requested(rest, &[]) {
        // DISPLAY QMGR alone shows everything (ALL is its default).
        Ok(Some(w)) if w.is_empty() => None,
        Ok(w) => w,
        Err(at) => return Reply::syntax(cmd, at),
    };
    if let Some(w) = &want {
        for n in w {
            if n != "QMNAME" && !objects::QMGR.iter().any(|a| a.name == n) {
                let at = rest.iter().find(|t| &t.word == n).map(|t| t.end).unwrap_or(cmd.len());
                return Reply::syntax(cmd, at);
            }
        }
    }
    let st = engine.lock();
    let mut attrs = vec![kv("QMNAME", engine.qm_name())];
    for at in objects::QMGR {
        if want.as_ref().is_some_and(|w| !w.iter().any(|n| n == at.name)) {
            continue;
        }
        attrs.push(match (at.kind, at.name) {
            (_, "SYNCPT") => "SYNCPT".into(),
            (Kind::Status, n) => kv(n, &qmgr_status_value(engine, &st, n)),
            (_, n) => kv(n, st.qmgr.get(n).map(String::as_str).unwrap_or("")),
        });
    }
    Reply { lines: format_block(replies::AMQ8408, &attrs), outcome: MqscOutcome::Processed }
}

fn alter_qmgr(engine: &Engine, cmd: &str, rest: &[Token]) -> Reply {
    if rest.is_empty() {
        return Reply::syntax(cmd, cmd.len());
    }
    let mut st = engine.lock();
    let mut qmgr = st.qmgr.clone();
    for t in rest {
        if t.word == "FORCE" {
            continue;
        }
        match check_attr(objects::QMGR, &t.word, t.value.as_deref()) {
            Ok((k, v)) => {
                qmgr.insert(k, v);
            }
            Err(_) => return Reply::syntax(cmd, t.end),
        }
    }
    st.qmgr = qmgr;
    let now = store::mqsc_now();
    st.qm_dates[2] = now.0;
    st.qm_dates[3] = now.1;
    engine.save_catalogue(&st);
    Reply::ok(replies::AMQ8005)
}

fn component(s: ComponentState) -> &'static str {
    match s {
        ComponentState::Stopped => "STOPPED",
        ComponentState::Starting => "STARTING",
        ComponentState::Running => "RUNNING",
        ComponentState::Stopping => "STOPPING",
    }
}

/// (size MB, use %) of the file system holding `path`.
fn fs_usage(path: &std::path::Path) -> (String, String) {
    match nix::sys::statvfs::statvfs(path) {
        Ok(s) => {
            let total = s.blocks() as u128 * s.fragment_size() as u128;
            let free = s.blocks_available() as u128 * s.fragment_size() as u128;
            let pct = if total > 0 { (total - free) * 100 / total } else { 0 };
            ((total / (1024 * 1024)).to_string(), pct.to_string())
        }
        Err(_) => (String::new(), String::new()),
    }
}

const QMSTATUS_ATTRS: &[&str] = &[
    "AUTOCLUS", "CHINIT", "CHKPTCNT", "CHKPTOPS", "CHKPTSZ", "CMDSERV", "CONNS", "DATFSSZ", "DATFSUSE", "DATPATH",
    "DISKLSN", "GRPLSN", "GRPNAME", "GRPROLE", "HOSTNAME", "INSTANCE", "INSTDESC", "INSTNAME", "INSTPATH", "LDAPCONN",
    "LOGEXTSZ", "LOGFSSZ", "LOGFSUSE", "LOGINUSE", "LOGPATH", "LOGPRIM", "LOGSEC", "LOGSTRDA", "LOGSTRL", "LOGSTRTI",
    "LOGTYPE", "LOGUTIL", "QMFSSZ", "QMFSUSE", "QUORUM", "REUSESZ", "STANDBY", "STARTDA", "STARTTI", "UNICLUS",
];

fn display_qmstatus(engine: &Engine, cmd: &str, rest: &[Token]) -> Reply {
    let mut all = false;
    let mut names: Vec<String> = Vec::new();
    for t in rest {
        if t.word == "ALL" && t.value.is_none() {
            all = true;
        } else if t.word == "TYPE" && t.value.as_deref() == Some("STATUS") {
        } else if t.value.is_none()
            && (QMSTATUS_ATTRS.contains(&t.word.as_str()) || matches!(t.word.as_str(), "STATUS" | "QMNAME" | "TYPE"))
        {
            names.push(t.word.clone());
        } else {
            return Reply::syntax(cmd, t.end);
        }
    }
    // Ask the runtime before taking the engine's lock: it may look at the engine itself.
    let rt = &engine.runtime;
    let (chinit, cmdserv, standby) = (component(rt.chinit()), component(rt.cmdserver()), rt.standby_permitted());
    let (startda, startti) = rt.started();
    let st = engine.lock();
    let status = match st.run {
        RunState::Running => "RUNNING",
        RunState::Quiescing | RunState::Stopping => "QUIESCING",
    };
    let (datsz, datuse) = fs_usage(&engine.qm.data_dir);
    let (logsz, loguse) = fs_usage(&engine.qm.log_dir);
    let log_path = format!("{}/active/", engine.qm.log_dir.display().to_string().trim_end_matches('/'));
    let value = |a: &str| -> String {
        match a {
            "AUTOCLUS" => kv(a, "NONE"),
            "CHINIT" => kv(a, chinit),
            "CMDSERV" => kv(a, cmdserv),
            "CHKPTCNT" | "CHKPTOPS" | "CHKPTSZ" | "LOGEXTSZ" | "LOGINUSE" | "LOGUTIL" | "REUSESZ" => kv(a, "0"),
            "CONNS" => kv(a, &st.conns.len().to_string()),
            "DATFSSZ" | "QMFSSZ" => kv(a, &datsz),
            "DATFSUSE" | "QMFSUSE" => kv(a, &datuse),
            "LOGFSSZ" => kv(a, &logsz),
            "LOGFSUSE" => kv(a, &loguse),
            "DATPATH" => kv(a, &engine.qm.data_dir.display().to_string()),
            "DISKLSN" | "LOGSTRL" => kv(a, "<0:0:0:0>"),
            "GRPROLE" => kv(a, "NOTCONFIG"),
            "HOSTNAME" => kv(a, &engine.inst.node),
            "INSTNAME" => kv(a, &engine.inst.name),
            "INSTPATH" => kv(a, &engine.inst.inst_path.display().to_string()),
            "LDAPCONN" => kv(a, "INACTIVE"),
            "LOGPATH" => kv(a, &log_path),
            "LOGPRIM" => kv(a, "3"),
            "LOGSEC" => kv(a, "2"),
            "LOGSTRDA" | "STARTDA" => kv(a, &startda),
            "LOGSTRTI" | "STARTTI" => kv(a, &startti),
            "LOGTYPE" => kv(a, "CIRCULAR"),
            "STANDBY" => kv(a, if standby { "PERMIT" } else { "NOPERMIT" }),
            _ => kv(a, ""),
        }
    };
    let mut attrs = vec![kv("QMNAME", engine.qm_name())];
    if all {
        attrs.push("TYPE(QMGR)".into());
        attrs.push(kv("STATUS", status));
        attrs.extend(QMSTATUS_ATTRS.iter().map(|a| value(a)));
    } else {
        if names.iter().any(|n| n == "TYPE") {
            attrs.push("TYPE(QMGR)".into());
        }
        attrs.push(kv("STATUS", status));
        for a in QMSTATUS_ATTRS {
            if names.iter().any(|n| n == a) {
                attrs.push(value(a));
            }
        }
    }
    Reply { lines: format_block(replies::AMQ8705, &attrs), outcome: MqscOutcome::Processed }
}

fn display_lsstatus(engine: &Engine, cmd: &str, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(pattern) = name else { return Reply::syntax(cmd, name_end) };
    const ATTRS: &[&str] = &["STARTDA", "STARTTI", "DESCR", "TRPTYPE", "CONTROL", "IPADDR", "PORT", "BACKLOG"];
    let want = match requested(rest, &[]) {
        Ok(w) => w,
        Err(at) => return Reply::syntax(cmd, at),
    };
    if let Some(w) = &want {
        if let Some(bad) = w.iter().find(|n| !ATTRS.contains(&n.as_str()) && !matches!(n.as_str(), "STATUS" | "PID")) {
            let at = rest.iter().find(|t| &t.word == bad).map(|t| t.end).unwrap_or(cmd.len());
            return Reply::syntax(cmd, at);
        }
    }
    let running = engine.runtime.listeners();
    let st = engine.lock();
    let mut lines = Vec::new();
    for l in running.iter().filter(|l| generic_match(&pattern, &l.name)) {
        let def = st.objects.get(&(Ns::Listener, l.name.clone()));
        let mut attrs = vec![kv("LISTENER", &l.name), kv("STATUS", "RUNNING"), kv("PID", &l.pid.to_string())];
        for a in ATTRS {
            if want.as_ref().is_some_and(|w| !w.iter().any(|n| n == a)) {
                continue;
            }
            attrs.push(match *a {
                "STARTDA" => kv(a, &l.start_date),
                "STARTTI" => kv(a, &l.start_time),
                "DESCR" => kv(a, def.map(|d| d.get("DESCR")).unwrap_or("")),
                "TRPTYPE" => kv(a, "TCP"),
                "CONTROL" => kv(a, def.map(|d| d.get("CONTROL")).unwrap_or("MANUAL")),
                "IPADDR" => kv(a, if l.ipaddr.is_empty() { "*" } else { &l.ipaddr }),
                "PORT" => kv(a, &l.port.to_string()),
                "BACKLOG" => kv(a, &l.backlog.to_string()),
                _ => continue,
            });
        }
        lines.extend(format_block(replies::AMQ8631, &attrs));
    }
    if lines.is_empty() {
        // No running listener matches: UNCONFIRMED reply (reference §21), MQ's "not found".
        return Reply::not_found(&pattern);
    }
    Reply { lines, outcome: MqscOutcome::Processed }
}

fn display_chstatus(engine: &Engine, cmd: &str, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(pattern) = name else { return Reply::syntax(cmd, name_end) };
    let want = match requested(rest, &["CHLTYPE", "CURRENT", "TYPE"]) {
        Ok(w) => w,
        Err(at) => return Reply::syntax(cmd, at),
    };
    let st = engine.lock();
    let mut lines = Vec::new();
    for c in st.conns.values() {
        let Some(ch) = &c.channel else { continue };
        if !generic_match(&pattern, ch) {
            continue;
        }
        let mut attrs = vec![
            kv("CHANNEL", ch),
            kv("CHLTYPE", "SVRCONN"),
            kv("CONNAME", &c.conname),
            "CURRENT".to_string(),
            kv("RQMNAME", ""),
            kv("STATUS", "RUNNING"),
            kv("SUBSTATE", "RECEIVE"),
            kv("XMITQ", ""),
        ];
        if want.is_none() {
            attrs.push(kv("MCAUSER", &c.user));
            attrs.push(kv("RAPPLTAG", &c.appl_tag));
            attrs.push(kv("CHSTADA", &c.started.0));
            attrs.push(kv("CHSTATI", &c.started.1));
        }
        lines.extend(format_block(replies::AMQ8417, &attrs));
    }
    if lines.is_empty() {
        return Reply { lines: vec![replies::AMQ8420.into()], outcome: MqscOutcome::Failed };
    }
    Reply { lines, outcome: MqscOutcome::Processed }
}

fn display_qstatus(engine: &Engine, cmd: &str, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
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

fn display_chlauth(engine: &Engine, cmd: &str, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(pattern) = name else { return Reply::syntax(cmd, name_end) };
    let all = match requested(rest, &["TYPE", "MATCH"]) {
        Ok(w) => w.is_none(),
        Err(at) => return Reply::syntax(cmd, at),
    };
    let st = engine.lock();
    let mut lines = Vec::new();
    for r in st.chlauth.iter().filter(|r| pattern == "*" || generic_match(&pattern, &r.profile) || r.profile == pattern)
    {
        let mut attrs = vec![kv("CHLAUTH", &r.profile), kv("TYPE", &r.rule_type)];
        if r.rule_type == "BLOCKUSER" {
            attrs.push(kv("USERLIST", &r.userlist.join(",")));
        } else {
            attrs.push(kv("ADDRESS", &r.address));
            attrs.push(kv("USERSRC", &r.usersrc));
        }
        if all {
            attrs.push(kv("DESCR", &r.descr));
            attrs.push(kv("CUSTOM", ""));
            attrs.push(kv("ALTDATE", &r.altdate));
            attrs.push(kv("ALTTIME", &r.alttime));
        }
        lines.extend(format_block(replies::AMQ8878, &attrs));
    }
    if lines.is_empty() {
        return Reply::not_found(&pattern);
    }
    Reply { lines, outcome: MqscOutcome::Processed }
}

fn set_chlauth(engine: &Engine, cmd: &str, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(profile) = name else { return Reply::syntax(cmd, name_end) };
    let mut rule_type = None;
    let mut action = "ADD".to_string();
    let now = store::mqsc_now();
    let mut rule = ChlAuthRule {
        profile: profile.clone(),
        rule_type: String::new(),
        address: String::new(),
        userlist: Vec::new(),
        usersrc: "MAP".into(),
        mcauser: String::new(),
        descr: String::new(),
        altdate: now.0,
        alttime: now.1,
    };
    for t in rest {
        let v = t.value.clone().unwrap_or_default();
        match t.word.as_str() {
            "TYPE"
                if matches!(
                    v.as_str(),
                    "BLOCKUSER" | "BLOCKADDR" | "ADDRESSMAP" | "USERMAP" | "SSLPEERMAP" | "QMGRMAP"
                ) =>
            {
                rule_type = Some(v)
            }
            "ACTION" if matches!(v.as_str(), "ADD" | "REPLACE" | "REMOVE" | "REMOVEALL") => action = v,
            "USERLIST" => rule.userlist = split_list(&v),
            "ADDRESS" => rule.address = v,
            "USERSRC" if matches!(v.as_str(), "MAP" | "NOACCESS" | "CHANNEL") => rule.usersrc = v,
            "MCAUSER" => rule.mcauser = v,
            "DESCR" => rule.descr = v,
            "WARN" | "CHCKCLNT" | "CUSTOM" => {}
            _ => return Reply::syntax(cmd, t.end),
        }
    }
    let Some(rule_type) = rule_type else { return Reply::syntax(cmd, cmd.len()) };
    rule.rule_type = rule_type.clone();
    if rule_type == "BLOCKUSER" {
        rule.usersrc.clear();
    }
    let mut st = engine.lock();
    let same = |r: &ChlAuthRule| {
        r.profile == profile && r.rule_type == rule_type && (rule_type == "BLOCKUSER" || r.address == rule.address)
    };
    match action.as_str() {
        "REMOVEALL" => st.chlauth.retain(|r| !(r.profile == profile && r.rule_type == rule_type)),
        "REMOVE" => {
            let before = st.chlauth.len();
            st.chlauth.retain(|r| !same(r));
            if st.chlauth.len() == before {
                return Reply::not_found(&profile);
            }
        }
        _ => {
            st.chlauth.retain(|r| !same(r));
            st.chlauth.push(rule);
        }
    }
    engine.save_catalogue(&st);
    Reply::ok(replies::AMQ8877)
}

fn start_listener(engine: &Engine, cmd: &str, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(name) = name else { return Reply::syntax(cmd, name_end) };
    if let Some(bad) = rest.iter().find(|t| t.word != "IGNSTATE") {
        return Reply::syntax(cmd, bad.end);
    }
    let spec = {
        let st = engine.lock();
        match st.objects.get(&(Ns::Listener, name.clone())) {
            Some(d) => listener_spec(d),
            None => return Reply::not_found(&name),
        }
    };
    match engine.runtime.start_listener(&spec) {
        Ok(_) => Reply::ok(replies::AMQ8021),
        Err(msg) => Reply::failed(msg),
    }
}

fn stop_listener(engine: &Engine, cmd: &str, name: Option<String>, rest: &[Token], name_end: usize) -> Reply {
    let Some(name) = name else { return Reply::syntax(cmd, name_end) };
    if let Some(bad) = rest.iter().find(|t| t.word != "IGNSTATE") {
        return Reply::syntax(cmd, bad.end);
    }
    if !engine.lock().objects.contains_key(&(Ns::Listener, name.clone())) {
        return Reply::not_found(&name);
    }
    if !engine.runtime.listeners().iter().any(|l| l.name == name) {
        return Reply::failed(replies::AMQ8730.into());
    }
    match engine.runtime.stop_listener(&name) {
        Ok(()) => Reply::ok(replies::AMQ8706),
        Err(msg) => Reply::failed(msg),
    }
}
