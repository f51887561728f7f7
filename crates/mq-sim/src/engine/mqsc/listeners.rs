//! Listeners at run time: START and STOP LISTENER and DISPLAY LSSTATUS; their definitions are
//! handled with the other object types in `definitions`.

use super::format::{format_block, kv, Reply};
use super::parse::{requested, Command};
use super::replies;
use crate::engine::objects::generic_match;
use crate::engine::{listener_spec, Engine, Ns};
use crate::wire::MqscOutcome;

pub(super) fn start_listener(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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

pub(super) fn stop_listener(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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

pub(super) fn display_lsstatus(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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
        // No running listener matches: UNCONFIRMED reply (docs/reference/mq-commands.md#display-listener), MQ's "not
        // found".
        return Reply::not_found(&pattern);
    }
    Reply { lines, outcome: MqscOutcome::Processed }
}
