//! MQSC: parse one command, execute it on the engine, and format IBM's reply
//! (docs/reference/mq-commands.md#runmqsc-report:
//! reply ids with severity letter, attribute blocks two per line in 40-column slots).
//! This module only dispatches a parsed command to its object family's handlers.

mod channels;
mod definitions;
mod format;
mod listeners;
mod parse;
mod qmgr;
mod queues;
pub mod replies;
mod security;

use super::objects::{self, check_attr, AttrError, ObjType};
use super::Engine;
use crate::wire::MqscOutcome;
use channels::display_chstatus;
use definitions::{alter, define, delete, display};
use format::Reply;
use listeners::{display_lsstatus, start_listener, stop_listener};
use parse::{object_word, tokenize, verb, Command};
use qmgr::{alter_qmgr, display_qmgr, display_qmstatus};
use queues::{clear, display_qstatus};
use security::{display_chlauth, refresh_security, set_authrec, set_chlauth};

/// Executes one MQSC command and returns the reply lines (without the echo) and the outcome.
pub fn execute(engine: &Engine, cmd: &str) -> (Vec<String>, MqscOutcome) {
    let r = run(engine, cmd.trim());
    (r.lines, r.outcome)
}

/// The reply to a command whose change could not be made durable (Native HA: the replicator
/// refused it; the engine is fenced and breaks the connection after this reply). runmqsc prints
/// the text it prints when the queue manager goes away under it (UNCONFIRMED what IBM prints).
fn lost(engine: &Engine) -> Reply {
    Reply::failed(crate::messages::localize_for(&engine.inst.version, crate::messages::AMQ8146))
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
    let c = Command { text: cmd, name: obj_tok.value.clone(), name_end: obj_tok.end, rest };
    match (v, obj) {
        ("PING", "QMGR") if rest.is_empty() => Reply::ok(replies::AMQ8415),
        ("REFRESH", "SECURITY") => refresh_security(engine, cmd, rest),
        ("DEFINE", "QLOCAL") => define(engine, ObjType::QLocal, c),
        ("DEFINE", "QMODEL") => define(engine, ObjType::QModel, c),
        ("DEFINE", "LISTENER") => define(engine, ObjType::Listener, c),
        ("DEFINE", "CHANNEL") => define(engine, ObjType::Channel, c),
        ("DEFINE", "AUTHINFO") => define(engine, ObjType::AuthInfo, c),
        ("ALTER", "QLOCAL") => alter(engine, ObjType::QLocal, c),
        ("ALTER", "QMODEL") => alter(engine, ObjType::QModel, c),
        ("ALTER", "LISTENER") => alter(engine, ObjType::Listener, c),
        ("ALTER", "CHANNEL") => alter(engine, ObjType::Channel, c),
        ("ALTER", "AUTHINFO") => alter(engine, ObjType::AuthInfo, c),
        ("ALTER", "QMGR") if c.name.is_none() => alter_qmgr(engine, cmd, rest),
        ("DELETE", "QLOCAL") => delete(engine, ObjType::QLocal, c),
        ("DELETE", "QMODEL") => delete(engine, ObjType::QModel, c),
        ("DELETE", "LISTENER") => delete(engine, ObjType::Listener, c),
        ("DELETE", "CHANNEL") => delete(engine, ObjType::Channel, c),
        ("DELETE", "AUTHINFO") => delete(engine, ObjType::AuthInfo, c),
        ("CLEAR", "QLOCAL") => clear(engine, c),
        ("DISPLAY", "QLOCAL") => display(engine, &[ObjType::QLocal], c),
        ("DISPLAY", "QMODEL") => display(engine, &[ObjType::QModel], c),
        ("DISPLAY", "QUEUE") => display(engine, &[ObjType::QLocal, ObjType::QModel], c),
        ("DISPLAY", "LISTENER") => display(engine, &[ObjType::Listener], c),
        ("DISPLAY", "CHANNEL") => display(engine, &[ObjType::Channel], c),
        ("DISPLAY", "AUTHINFO") => display(engine, &[ObjType::AuthInfo], c),
        ("DISPLAY", "QMGR") if c.name.is_none() => display_qmgr(engine, cmd, rest),
        ("DISPLAY", "QMSTATUS") if c.name.is_none() => display_qmstatus(engine, cmd, rest),
        ("DISPLAY", "LSSTATUS") => display_lsstatus(engine, c),
        ("DISPLAY", "SVSTATUS") | ("DISPLAY", "SERVICE") => match c.name {
            // No SERVICE objects are modelled: every name is unknown (reply UNCONFIRMED,
            // docs/reference/mq-commands.md#display-svstatus).
            Some(n) => Reply::not_found(&n),
            None => Reply::syntax(cmd, obj_tok.end),
        },
        ("DISPLAY", "CHSTATUS") => display_chstatus(engine, c),
        ("DISPLAY", "QSTATUS") => display_qstatus(engine, c),
        ("DISPLAY", "CHLAUTH") => display_chlauth(engine, c),
        ("SET", "CHLAUTH") => set_chlauth(engine, c),
        ("SET", "AUTHREC") if c.name.is_none() => set_authrec(engine, c),
        ("START", "LISTENER") => start_listener(engine, c),
        ("STOP", "LISTENER") => stop_listener(engine, c),
        _ => Reply::syntax(cmd, obj_tok.end),
    }
}
