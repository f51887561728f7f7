//! DISPLAY CHSTATUS: one server-connection channel instance per connected client.

use super::format::{format_block, kv, Reply};
use super::parse::{requested, Command};
use super::replies;
use crate::engine::objects::generic_match;
use crate::engine::Engine;
use crate::wire::MqscOutcome;

pub(super) fn display_chstatus(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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
