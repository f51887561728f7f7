//! Security: REFRESH SECURITY and the channel authentication records (SET and DISPLAY CHLAUTH).

use super::format::{format_block, kv, Reply};
use super::parse::{requested, split_list, Command, Token};
use super::replies;
use crate::engine::objects::{generic_match, AuthRec, ChlAuthRule};
use crate::engine::{store, Engine};
use crate::wire::MqscOutcome;

pub(super) fn refresh_security(engine: &Engine, cmd: &str, rest: &[Token]) -> Reply {
    if rest.iter().any(|t| t.word != "TYPE") {
        return Reply::syntax(cmd, rest[0].end);
    }
    let mut st = engine.lock();
    st.refresh_connauth();
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
            if r.rule_type == "USERMAP" {
                attrs.push(kv("CLNTUSER", &r.clntuser));
            }
            attrs.push(kv("ADDRESS", &r.address));
            attrs.push(kv("USERSRC", &r.usersrc));
            if r.usersrc == "MAP" {
                attrs.push(kv("MCAUSER", &r.mcauser));
            }
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
        clntuser: String::new(),
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
            "CLNTUSER" => rule.clntuser = v,
            "DESCR" => rule.descr = v,
            "WARN" | "CHCKCLNT" | "CUSTOM" => {}
            _ => return Reply::syntax(cmd, t.end),
        }
    }
    let Some(rule_type) = rule_type else { return Reply::syntax(cmd, cmd.len()) };
    // IBM: USERMAP needs CLNTUSER; USERSRC(MAP) needs MCAUSER (SET CHLAUTH syntax notes).
    let action_adds = matches!(action.as_str(), "ADD" | "REPLACE");
    if action_adds && rule_type == "USERMAP" && rule.clntuser.is_empty() {
        return Reply::syntax(cmd, cmd.len());
    }
    if action_adds && rule_type != "BLOCKUSER" && rule.usersrc == "MAP" && rule.mcauser.is_empty() {
        return Reply::syntax(cmd, cmd.len());
    }
    rule.rule_type = rule_type.clone();
    if rule_type == "BLOCKUSER" {
        rule.usersrc.clear();
    }
    let mut st = engine.lock();
    let same = |r: &ChlAuthRule| {
        r.profile == profile
            && r.rule_type == rule_type
            && (rule_type == "BLOCKUSER" || (r.address == rule.address && r.clntuser == rule.clntuser))
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
    if engine.save_catalogue(&st).is_err() {
        return super::lost(engine);
    }
    Reply::ok(replies::AMQ8877)
}

/// SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('user') | GROUP('group') AUTHADD(...) | AUTHRMV(...): the
/// MQSC form of `setmqaut -t qmgr`. Only queue-manager records are modelled (what the MQI checks
/// here: +connect at connect, +inq at MQOPEN of the queue manager for inquiry). A principal's
/// grant is held by its primary group, as the OAM's default group-based policy on Linux does.
pub(super) fn set_authrec(engine: &Engine, c: Command<'_>) -> Reply {
    let Command { text: cmd, rest, .. } = c;
    let (mut objtype, mut principal, mut group, mut add, mut rmv) = (None, None, None, Vec::new(), Vec::new());
    const AUTHS: &[&str] = &["CONNECT", "INQ", "SET", "DSP", "ALTUSR", "SETALL", "SETID", "CHG", "ALL", "NONE"];
    for t in rest {
        let v = t.value.clone().unwrap_or_default();
        match t.word.as_str() {
            "OBJTYPE" if v == "QMGR" => objtype = Some(v),
            "PROFILE" => {}
            "PRINCIPAL" if !v.is_empty() => principal = Some(v),
            "GROUP" if !v.is_empty() => group = Some(v),
            "AUTHADD" | "AUTHRMV" => {
                let list = split_list(&v);
                if list.is_empty() || list.iter().any(|a| !AUTHS.contains(&a.to_ascii_uppercase().as_str())) {
                    return Reply::syntax(cmd, t.end);
                }
                let upper = list.into_iter().map(|a| a.to_ascii_uppercase());
                if t.word == "AUTHADD" {
                    add.extend(upper)
                } else {
                    rmv.extend(upper)
                }
            }
            _ => return Reply::syntax(cmd, t.end),
        }
    }
    if objtype.is_none() || principal.is_some() == group.is_some() || (add.is_empty() && rmv.is_empty()) {
        return Reply::syntax(cmd, cmd.len());
    }
    let group = match (principal, group) {
        (Some(p), _) => match nix::unistd::User::from_name(&p).ok().flatten() {
            Some(u) => match nix::unistd::Group::from_gid(u.gid).ok().flatten() {
                Some(g) => g.name,
                None => return Reply::failed(format!("AMQ8155E: IBM MQ principal '{p}' has no primary group.")),
            },
            // UNCONFIRMED wording; IBM refuses an unknown principal.
            None => return Reply::failed(format!("AMQ8073E: Authorization failed because '{p}' is not known.")),
        },
        (None, Some(g)) => {
            if nix::unistd::Group::from_name(&g).ok().flatten().is_none() {
                return Reply::failed(format!("AMQ8073E: Authorization failed because '{g}' is not known."));
            }
            g
        }
        _ => return Reply::syntax(cmd, cmd.len()),
    };
    let profile = engine.qm_name().to_string();
    let mut st = engine.lock();
    let idx = match st.authrecs.iter().position(|r| r.objtype == "QMGR" && r.profile == profile && r.group == group) {
        Some(i) => i,
        None => {
            st.authrecs.push(AuthRec { objtype: "QMGR".into(), profile, group, auths: Vec::new() });
            st.authrecs.len() - 1
        }
    };
    let rec = &mut st.authrecs[idx];
    for a in add {
        if !rec.auths.contains(&a) {
            rec.auths.push(a);
        }
    }
    rec.auths.retain(|a| !rmv.contains(a) && !rmv.iter().any(|r| r == "ALL"));
    if engine.save_catalogue(&st).is_err() {
        return super::lost(engine);
    }
    Reply::ok(replies::AMQ8862)
}
