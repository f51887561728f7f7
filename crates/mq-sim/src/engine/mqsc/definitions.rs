//! DEFINE, ALTER, DELETE and DISPLAY of the defined object types (QLOCAL, QMODEL, CHANNEL,
//! LISTENER, AUTHINFO): one code path over `ObjType`, as they differ only in schema, name
//! length, default template and reply ids.

use super::format::{format_block, kv, Reply};
use super::parse::{requested, valid_name, Command, Token};
use super::queues::in_use;
use super::replies;
use crate::engine::objects::{self, check_attr, generic_match, AttrError, Kind, ObjType, ObjectDef};
use crate::engine::{mqi, ns_of, store, Engine, State};
use crate::wire::MqscOutcome;

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

pub(super) fn define(engine: &Engine, t: ObjType, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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
    if engine.save_catalogue(&st).is_err() {
        return super::lost(engine);
    }
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

pub(super) fn alter(engine: &Engine, t: ObjType, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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
    if engine.save_catalogue(&st).is_err() {
        return super::lost(engine);
    }
    Reply::ok(changed_msg(t))
}

pub(super) fn delete(engine: &Engine, t: ObjType, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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
        if mqi::delete_queue(engine, &mut st, &name).is_err() {
            return super::lost(engine);
        }
    } else {
        st.objects.remove(&key);
        if engine.save_catalogue(&st).is_err() {
            return super::lost(engine);
        }
    }
    Reply::ok(deleted_msg(t))
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

pub(super) fn display(engine: &Engine, types: &[ObjType], c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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
