//! Security: REFRESH SECURITY and the channel authentication records (SET and DISPLAY CHLAUTH).

use super::format::{format_block, kv, Reply};
use super::parse::{requested, split_list, Command, Token};
use super::replies;
use crate::engine::objects::{generic_match, ChlAuthRule};
use crate::engine::{store, Engine};
use crate::wire::MqscOutcome;

pub(super) fn refresh_security(engine: &Engine, cmd: &str, rest: &[Token]) -> Reply {
    if rest.iter().any(|t| t.word != "TYPE") {
        return Reply::syntax(cmd, rest[0].end);
    }
    let mut st = engine.lock();
    st.effective_chckclnt = st.configured_chckclnt();
    Reply::ok(replies::AMQ8560)
}

pub(super) fn display_chlauth(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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

pub(super) fn set_chlauth(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, name, name_end, rest } = c;
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
