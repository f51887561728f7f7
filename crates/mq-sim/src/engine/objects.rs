//! MQ object definitions as MQSC sees them: one schema per object type (attribute names in
//! DISPLAY order, their kind, IBM's default), and the definitions themselves as name -> value
//! maps checked against that schema. Values are kept in their MQSC text form.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum ObjType {
    QLocal,
    QModel,
    Listener,
    Channel,
    AuthInfo,
}

impl ObjType {
    /// The keyword of DISPLAY output (QUEUE for both queue types).
    pub fn name_keyword(self) -> &'static str {
        match self {
            ObjType::QLocal | ObjType::QModel => "QUEUE",
            ObjType::Listener => "LISTENER",
            ObjType::Channel => "CHANNEL",
            ObjType::AuthInfo => "AUTHINFO",
        }
    }

    pub fn schema(self) -> &'static [Attr] {
        match self {
            ObjType::QLocal => QLOCAL,
            ObjType::QModel => QMODEL,
            ObjType::Listener => LISTENER,
            ObjType::Channel => SVRCONN,
            ObjType::AuthInfo => AUTHINFO,
        }
    }

    pub fn is_queue(self) -> bool {
        matches!(self, ObjType::QLocal | ObjType::QModel)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Character value up to N characters; prints `NAME(value)`, empty as `NAME( )`.
    Str(usize),
    Int(i64, i64),
    Keyword(&'static [&'static str]),
    /// Keyword-only pair, printed bare: (on, off). The stored value is the keyword itself.
    Flag(&'static str, &'static str),
    /// Computed by the queue manager (CURDEPTH, ALTDATE ...): cannot be set by DEFINE/ALTER.
    Status,
}

#[derive(Debug, Clone, Copy)]
pub struct Attr {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
}

const fn a(name: &'static str, kind: Kind, default: &'static str) -> Attr {
    Attr { name, kind, default }
}

const YN: Kind = Kind::Keyword(&["YES", "NO"]);
const ED: Kind = Kind::Keyword(&["ENABLED", "DISABLED"]);
const QMGR_ON_OFF: Kind = Kind::Keyword(&["QMGR", "ON", "OFF", "NONE"]);
const NAME48: Kind = Kind::Str(48);

/// Attributes shared by local and model queues, in the order DISPLAY QLOCAL(..) ALL shows them
/// (MQ 9.x order; ALTDATE/ALTTIME etc. are status attributes filled by the engine).
const QLOCAL: &[Attr] = &[
    a("ACCTQ", QMGR_ON_OFF, "QMGR"),
    a("ALTDATE", Kind::Status, ""),
    a("ALTTIME", Kind::Status, ""),
    a("BOQNAME", NAME48, ""),
    a("BOTHRESH", Kind::Int(0, 999_999_999), "0"),
    a("CLUSNL", NAME48, ""),
    a("CLUSTER", NAME48, ""),
    a("CLCHNAME", NAME48, ""),
    a("CLWLPRTY", Kind::Int(0, 9), "0"),
    a("CLWLRANK", Kind::Int(0, 9), "0"),
    a("CLWLUSEQ", Kind::Keyword(&["QMGR", "ANY", "LOCAL"]), "QMGR"),
    a("CRDATE", Kind::Status, ""),
    a("CRTIME", Kind::Status, ""),
    a("CURDEPTH", Kind::Status, ""),
    a("CUSTOM", Kind::Str(128), ""),
    a("DEFBIND", Kind::Keyword(&["OPEN", "NOTFIXED", "GROUP"]), "OPEN"),
    a("DEFPRTY", Kind::Int(0, 9), "0"),
    a("DEFPSIST", YN, "NO"),
    a("DEFPRESP", Kind::Keyword(&["SYNC", "ASYNC"]), "SYNC"),
    a("DEFREADA", Kind::Keyword(&["NO", "YES", "DISABLED"]), "NO"),
    a("DEFSOPT", Kind::Keyword(&["SHARED", "EXCL"]), "SHARED"),
    a("DEFTYPE", Kind::Keyword(&["PREDEFINED", "PERMDYN", "TEMPDYN"]), "PREDEFINED"),
    a("DESCR", Kind::Str(64), ""),
    a("DISTL", YN, "NO"),
    a("GET", ED, "ENABLED"),
    a("HARDENBO", Kind::Flag("HARDENBO", "NOHARDENBO"), "HARDENBO"),
    a("INITQ", NAME48, ""),
    a("IPPROCS", Kind::Status, ""),
    a("MAXDEPTH", Kind::Int(0, 999_999_999), "5000"),
    a("MAXMSGL", Kind::Int(0, 104_857_600), "4194304"),
    a("MONQ", Kind::Keyword(&["QMGR", "OFF", "LOW", "MEDIUM", "HIGH"]), "QMGR"),
    a("MSGDLVSQ", Kind::Keyword(&["PRIORITY", "FIFO"]), "PRIORITY"),
    a("TRIGGER", Kind::Flag("TRIGGER", "NOTRIGGER"), "NOTRIGGER"),
    a("NPMCLASS", Kind::Keyword(&["NORMAL", "HIGH"]), "NORMAL"),
    a("OPPROCS", Kind::Status, ""),
    a("PROCESS", NAME48, ""),
    a("PUT", ED, "ENABLED"),
    a("PROPCTL", Kind::Keyword(&["COMPAT", "NONE", "ALL", "FORCE", "V6COMPAT"]), "COMPAT"),
    a("QDEPTHHI", Kind::Int(0, 100), "80"),
    a("QDEPTHLO", Kind::Int(0, 100), "20"),
    a("QDPHIEV", ED, "DISABLED"),
    a("QDPLOEV", ED, "DISABLED"),
    a("QDPMAXEV", ED, "ENABLED"),
    a("QSVCIEV", Kind::Keyword(&["NONE", "HIGH", "OK"]), "NONE"),
    a("QSVCINT", Kind::Int(0, 999_999_999), "999999999"),
    a("RETINTVL", Kind::Int(0, 999_999_999), "999999999"),
    a("SCOPE", Kind::Keyword(&["QMGR", "CELL"]), "QMGR"),
    a("SHARE", Kind::Flag("SHARE", "NOSHARE"), "SHARE"),
    a("STATQ", QMGR_ON_OFF, "QMGR"),
    a("TRIGDATA", Kind::Str(64), ""),
    a("TRIGDPTH", Kind::Int(1, 999_999_999), "1"),
    a("TRIGMPRI", Kind::Int(0, 9), "0"),
    a("TRIGTYPE", Kind::Keyword(&["FIRST", "EVERY", "DEPTH", "NONE"]), "FIRST"),
    a("USAGE", Kind::Keyword(&["NORMAL", "XMITQ"]), "NORMAL"),
];

/// Model queues: the local-queue attributes minus the run-time ones, DEFTYPE TEMPDYN|PERMDYN.
const QMODEL: &[Attr] = &[
    a("ACCTQ", QMGR_ON_OFF, "QMGR"),
    a("ALTDATE", Kind::Status, ""),
    a("ALTTIME", Kind::Status, ""),
    a("BOQNAME", NAME48, ""),
    a("BOTHRESH", Kind::Int(0, 999_999_999), "0"),
    a("CUSTOM", Kind::Str(128), ""),
    a("DEFPRTY", Kind::Int(0, 9), "0"),
    a("DEFPSIST", YN, "NO"),
    a("DEFPRESP", Kind::Keyword(&["SYNC", "ASYNC"]), "SYNC"),
    a("DEFREADA", Kind::Keyword(&["NO", "YES", "DISABLED"]), "NO"),
    a("DEFSOPT", Kind::Keyword(&["SHARED", "EXCL"]), "EXCL"),
    a("DEFTYPE", Kind::Keyword(&["TEMPDYN", "PERMDYN"]), "TEMPDYN"),
    a("DESCR", Kind::Str(64), ""),
    a("DISTL", YN, "NO"),
    a("GET", ED, "ENABLED"),
    a("HARDENBO", Kind::Flag("HARDENBO", "NOHARDENBO"), "NOHARDENBO"),
    a("INITQ", NAME48, ""),
    a("MAXDEPTH", Kind::Int(0, 999_999_999), "5000"),
    a("MAXMSGL", Kind::Int(0, 104_857_600), "4194304"),
    a("MONQ", Kind::Keyword(&["QMGR", "OFF", "LOW", "MEDIUM", "HIGH"]), "QMGR"),
    a("MSGDLVSQ", Kind::Keyword(&["PRIORITY", "FIFO"]), "PRIORITY"),
    a("TRIGGER", Kind::Flag("TRIGGER", "NOTRIGGER"), "NOTRIGGER"),
    a("NPMCLASS", Kind::Keyword(&["NORMAL", "HIGH"]), "NORMAL"),
    a("PROCESS", NAME48, ""),
    a("PUT", ED, "ENABLED"),
    a("PROPCTL", Kind::Keyword(&["COMPAT", "NONE", "ALL", "FORCE", "V6COMPAT"]), "COMPAT"),
    a("QDEPTHHI", Kind::Int(0, 100), "80"),
    a("QDEPTHLO", Kind::Int(0, 100), "20"),
    a("QDPHIEV", ED, "DISABLED"),
    a("QDPLOEV", ED, "DISABLED"),
    a("QDPMAXEV", ED, "ENABLED"),
    a("QSVCIEV", Kind::Keyword(&["NONE", "HIGH", "OK"]), "NONE"),
    a("QSVCINT", Kind::Int(0, 999_999_999), "999999999"),
    a("RETINTVL", Kind::Int(0, 999_999_999), "999999999"),
    a("SHARE", Kind::Flag("SHARE", "NOSHARE"), "SHARE"),
    a("STATQ", QMGR_ON_OFF, "QMGR"),
    a("TRIGDATA", Kind::Str(64), ""),
    a("TRIGDPTH", Kind::Int(1, 999_999_999), "1"),
    a("TRIGMPRI", Kind::Int(0, 9), "0"),
    a("TRIGTYPE", Kind::Keyword(&["FIRST", "EVERY", "DEPTH", "NONE"]), "FIRST"),
    a("USAGE", Kind::Keyword(&["NORMAL", "XMITQ"]), "NORMAL"),
];

/// DISPLAY LISTENER(X) ALL on Linux: CONTROL TRPTYPE PORT IPADDR BACKLOG DESCR ALTDATE ALTTIME
/// (docs/reference/mq-commands.md#display-listener).
const LISTENER: &[Attr] = &[
    a("CONTROL", Kind::Keyword(&["MANUAL", "QMGR", "STARTONLY"]), "MANUAL"),
    a("TRPTYPE", Kind::Keyword(&["TCP", "LU62", "NETBIOS", "SPX"]), "TCP"),
    a("PORT", Kind::Int(0, 65535), "0"),
    a("IPADDR", Kind::Str(48), ""),
    a("BACKLOG", Kind::Int(0, 999_999_999), "0"),
    a("DESCR", Kind::Str(64), ""),
    a("ALTDATE", Kind::Status, ""),
    a("ALTTIME", Kind::Status, ""),
];

/// SVRCONN channels (CHLTYPE is printed right after CHANNEL by the formatter).
const SVRCONN: &[Attr] = &[
    a("CHLTYPE", Kind::Keyword(&["SVRCONN"]), "SVRCONN"),
    a("ALTDATE", Kind::Status, ""),
    a("ALTTIME", Kind::Status, ""),
    a("CERTLABL", Kind::Str(64), ""),
    a("COMPHDR", Kind::Keyword(&["NONE", "SYSTEM"]), "NONE"),
    a("COMPMSG", Kind::Keyword(&["NONE", "RLE", "ZLIBFAST", "ZLIBHIGH", "ANY"]), "NONE"),
    a("DESCR", Kind::Str(64), ""),
    a("DISCINT", Kind::Int(0, 999_999), "0"),
    a("HBINT", Kind::Int(0, 999_999), "300"),
    a("KAINT", Kind::Str(8), "AUTO"),
    a("MAXINST", Kind::Int(0, 999_999_999), "999999999"),
    a("MAXINSTC", Kind::Int(0, 999_999_999), "999999999"),
    a("MAXMSGL", Kind::Int(0, 104_857_600), "4194304"),
    a("MCAUSER", Kind::Str(64), ""),
    a("MONCHL", Kind::Keyword(&["QMGR", "OFF", "LOW", "MEDIUM", "HIGH"]), "QMGR"),
    a("RCVDATA", Kind::Str(32), ""),
    a("RCVEXIT", Kind::Str(128), ""),
    a("SCYDATA", Kind::Str(32), ""),
    a("SCYEXIT", Kind::Str(128), ""),
    a("SENDDATA", Kind::Str(32), ""),
    a("SENDEXIT", Kind::Str(128), ""),
    a("SHARECNV", Kind::Int(0, 999_999_999), "10"),
    a("SSLCAUTH", Kind::Keyword(&["REQUIRED", "OPTIONAL"]), "REQUIRED"),
    a("SSLCIPH", Kind::Str(32), ""),
    a("SSLPEER", Kind::Str(1024), ""),
    a("TRPTYPE", Kind::Keyword(&["TCP", "LU62", "NETBIOS", "SPX"]), "TCP"),
];

/// AUTHINFO AUTHTYPE(IDPWOS), the connection-authentication object.
const AUTHINFO: &[Attr] = &[
    a("AUTHTYPE", Kind::Keyword(&["IDPWOS", "IDPWLDAP", "CRLLDAP", "OCSP", "JWKS"]), "IDPWOS"),
    a("ADOPTCTX", YN, "YES"),
    a("DESCR", Kind::Str(64), ""),
    a("CHCKCLNT", Kind::Keyword(&["NONE", "OPTIONAL", "REQUIRED", "REQDADM"]), "REQDADM"),
    a("CHCKLOCL", Kind::Keyword(&["NONE", "OPTIONAL", "REQUIRED", "REQDADM"]), "OPTIONAL"),
    a("FAILDLAY", Kind::Int(0, 60), "1"),
    a("AUTHENMD", Kind::Keyword(&["OS", "PAM"]), "OS"),
    a("ALTDATE", Kind::Status, ""),
    a("ALTTIME", Kind::Status, ""),
];

/// The queue manager's own attributes (DISPLAY QMGR ALL, a Linux subset in 9.x order).
pub const QMGR: &[Attr] = &[
    a("ACCTCONO", ED, "DISABLED"),
    a("ACTIVREC", Kind::Keyword(&["MSG", "QUEUE", "DISABLED"]), "MSG"),
    a("ALTDATE", Kind::Status, ""),
    a("ALTTIME", Kind::Status, ""),
    a("AUTHOREV", ED, "DISABLED"),
    a("CCSID", Kind::Int(1, 65535), "1208"),
    a("CHAD", ED, "DISABLED"),
    a("CHLAUTH", ED, "ENABLED"),
    a("CMDLEVEL", Kind::Status, ""),
    a("COMMANDQ", Kind::Status, ""),
    a("CONNAUTH", NAME48, "SYSTEM.DEFAULT.AUTHINFO.IDPWOS"),
    a("CRDATE", Kind::Status, ""),
    a("CRTIME", Kind::Status, ""),
    a("DEADQ", NAME48, ""),
    a("DEFXMITQ", NAME48, ""),
    a("DESCR", Kind::Str(64), ""),
    a("MAXHANDS", Kind::Int(0, 999_999_999), "256"),
    a("MAXMSGL", Kind::Int(32768, 104_857_600), "4194304"),
    a("MAXPRTY", Kind::Status, ""),
    a("MAXUMSGS", Kind::Int(1, 999_999_999), "10000"),
    a("PLATFORM", Kind::Status, ""),
    a("QMID", Kind::Status, ""),
    a("SCHINIT", Kind::Keyword(&["QMGR", "MANUAL"]), "QMGR"),
    a("SCMDSERV", Kind::Keyword(&["QMGR", "MANUAL"]), "QMGR"),
    a("STATQ", Kind::Keyword(&["ON", "OFF", "NONE"]), "OFF"),
    a("SYNCPT", Kind::Status, ""),
    a("VERSION", Kind::Status, ""),
];

/// Accepted short forms of attribute keywords (IBM's documented abbreviations).
pub fn canonical_attr(word: &str) -> &str {
    match word {
        "DESC" => "DESCR",
        "NOTRIGGER" | "TRIGGER" | "SHARE" | "NOSHARE" | "HARDENBO" | "NOHARDENBO" => word,
        "TRPTYPE" | "TRPT" => "TRPTYPE",
        "CHLTYPE" | "CHLT" => "CHLTYPE",
        other => other,
    }
}

/// One object definition: its type, its (upper-case or quoted) name and attribute values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectDef {
    pub otype: ObjType,
    pub name: String,
    pub attrs: BTreeMap<String, String>,
    pub crdate: String,
    pub crtime: String,
    pub altdate: String,
    pub alttime: String,
}

impl ObjectDef {
    /// A definition with IBM's defaults (the SYSTEM.DEFAULT.* object of its type supplies them
    /// in real MQ; the schema's defaults are those objects' shipped values).
    pub fn new(otype: ObjType, name: &str, now: &(String, String)) -> ObjectDef {
        let attrs = otype
            .schema()
            .iter()
            .filter(|at| at.kind != Kind::Status)
            .map(|at| (at.name.to_string(), at.default.to_string()))
            .collect();
        ObjectDef {
            otype,
            name: name.to_string(),
            attrs,
            crdate: now.0.clone(),
            crtime: now.1.clone(),
            altdate: now.0.clone(),
            alttime: now.1.clone(),
        }
    }

    pub fn get(&self, attr: &str) -> &str {
        self.attrs.get(attr).map(String::as_str).unwrap_or("")
    }

    pub fn int(&self, attr: &str) -> i64 {
        self.get(attr).parse().unwrap_or(0)
    }
}

/// Why an attribute value was refused (becomes an AMQ8405I syntax error or a value error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrError {
    Unknown(String),
    BadValue(String),
}

/// Checks one `NAME(value)` or bare keyword against a schema and returns the (name, stored value).
pub fn check_attr(schema: &[Attr], word: &str, value: Option<&str>) -> Result<(String, String), AttrError> {
    let word = canonical_attr(word);
    // Bare flag keywords: TRIGGER / NOTRIGGER and friends.
    if value.is_none() {
        for at in schema {
            if let Kind::Flag(on, off) = at.kind {
                if word == on || word == off {
                    return Ok((at.name.to_string(), word.to_string()));
                }
            }
        }
        return Err(AttrError::Unknown(word.to_string()));
    }
    let value = value.unwrap_or("");
    let at = schema.iter().find(|at| at.name == word).ok_or_else(|| AttrError::Unknown(word.to_string()))?;
    match at.kind {
        Kind::Str(max) => {
            if value.chars().count() > max {
                return Err(AttrError::BadValue(format!("{word}({value})")));
            }
            Ok((at.name.to_string(), value.to_string()))
        }
        Kind::Int(lo, hi) => match value.trim().parse::<i64>() {
            Ok(n) if n >= lo && n <= hi => Ok((at.name.to_string(), n.to_string())),
            _ => Err(AttrError::BadValue(format!("{word}({value})"))),
        },
        Kind::Keyword(allowed) => {
            let v = value.trim().to_ascii_uppercase();
            if allowed.contains(&v.as_str()) {
                Ok((at.name.to_string(), v))
            } else {
                Err(AttrError::BadValue(format!("{word}({value})")))
            }
        }
        Kind::Flag(..) | Kind::Status => Err(AttrError::Unknown(word.to_string())),
    }
}

/// IBM's default objects of a new queue manager (the subset the simulator models).
pub fn default_objects(now: &(String, String)) -> Vec<ObjectDef> {
    let mut v = Vec::new();
    let q = |name: &str, descr: &str| {
        let mut d = ObjectDef::new(ObjType::QLocal, name, now);
        d.attrs.insert("DESCR".into(), descr.into());
        d
    };
    v.push(q("SYSTEM.DEFAULT.LOCAL.QUEUE", ""));
    v.push(q("SYSTEM.DEFAULT.INITIATION.QUEUE", ""));
    v.push(q("SYSTEM.DEAD.LETTER.QUEUE", "IBM MQ Default Dead Letter Queue"));
    let mut cmdq = q("SYSTEM.ADMIN.COMMAND.QUEUE", "IBM MQ Admin Command Queue");
    cmdq.attrs.insert("MAXDEPTH".into(), "3000".into());
    v.push(cmdq);
    v.push(q("SYSTEM.CHANNEL.INITQ", ""));
    v.push(q("SYSTEM.CLUSTER.TRANSMIT.QUEUE", ""));
    let mut model = ObjectDef::new(ObjType::QModel, "SYSTEM.DEFAULT.MODEL.QUEUE", now);
    // UNCONFIRMED (commonly TEMPDYN; docs/reference/mqi.md#temporary-dynamic-queues): the shipped model
    // queue is temporary dynamic.
    model.attrs.insert("DEFTYPE".into(), "TEMPDYN".into());
    v.push(model);
    let mut admin_model = ObjectDef::new(ObjType::QModel, "SYSTEM.MQSC.REPLY.QUEUE", now);
    admin_model.attrs.insert("DESCR".into(), "IBM MQ MQSC Reply Queue".into());
    v.push(admin_model);
    v.push(ObjectDef::new(ObjType::Listener, "SYSTEM.DEFAULT.LISTENER.TCP", now));
    v.push(ObjectDef::new(ObjType::Channel, "SYSTEM.DEF.SVRCONN", now));
    // SYSTEM.AUTO.SVRCONN exists in real MQ too (used only with CHAD): defined for fidelity.
    v.push(ObjectDef::new(ObjType::Channel, "SYSTEM.AUTO.SVRCONN", now));
    v.push(ObjectDef::new(ObjType::AuthInfo, "SYSTEM.DEFAULT.AUTHINFO.IDPWOS", now));
    v
}

/// A channel-authentication record (SET CHLAUTH).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChlAuthRule {
    /// Channel profile, may end in `*`.
    pub profile: String,
    /// BLOCKUSER | BLOCKADDR | ADDRESSMAP | USERMAP ...
    pub rule_type: String,
    pub address: String,
    pub userlist: Vec<String>,
    /// NOACCESS | CHANNEL | MAP
    pub usersrc: String,
    pub mcauser: String,
    /// USERMAP: the user id the client asserts (CLNTUSER), matched case-sensitively on Linux.
    #[serde(default)]
    pub clntuser: String,
    pub descr: String,
    pub altdate: String,
    pub alttime: String,
}

/// An OAM authority record (SET AUTHREC / setmqaut). On Linux MQ's default SecurityPolicy is
/// group-based: a grant to a principal is held by that user's primary group
/// (docs/reference/mqi.md#oam-group-grants), so only groups are stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuthRec {
    /// QMGR (the only object type whose records are checked here).
    pub objtype: String,
    pub profile: String,
    pub group: String,
    /// Upper-case MQSC names: CONNECT, INQ, ...
    pub auths: Vec<String>,
}

/// The rules crtmqm creates since 7.1 (IBM's documented defaults).
pub fn default_chlauth(now: &(String, String)) -> Vec<ChlAuthRule> {
    let rule = |profile: &str, rule_type: &str, usersrc: &str, userlist: Vec<String>, descr: &str| ChlAuthRule {
        profile: profile.into(),
        rule_type: rule_type.into(),
        address: if rule_type == "ADDRESSMAP" { "*".into() } else { String::new() },
        userlist,
        usersrc: usersrc.into(),
        mcauser: String::new(),
        clntuser: String::new(),
        descr: descr.into(),
        altdate: now.0.clone(),
        alttime: now.1.clone(),
    };
    vec![
        rule("SYSTEM.ADMIN.SVRCONN", "ADDRESSMAP", "CHANNEL", vec![], "Default rule to allow MQ Explorer access"),
        rule("SYSTEM.*", "ADDRESSMAP", "NOACCESS", vec![], "Default rule to disable all SYSTEM channels"),
        rule("*", "BLOCKUSER", "", vec!["*MQADMIN".into()], "Default rule to disallow privileged users"),
    ]
}

/// MQSC generic names: a trailing `*` matches any suffix; a lone `*` matches everything.
pub fn generic_match(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_against_the_schema() {
        assert_eq!(check_attr(QLOCAL, "DEFPSIST", Some("yes")), Ok(("DEFPSIST".into(), "YES".into())));
        assert_eq!(check_attr(QLOCAL, "MAXDEPTH", Some("10")), Ok(("MAXDEPTH".into(), "10".into())));
        assert!(matches!(check_attr(QLOCAL, "MAXDEPTH", Some("-1")), Err(AttrError::BadValue(_))));
        assert!(matches!(check_attr(QLOCAL, "FOO", Some("1")), Err(AttrError::Unknown(_))));
        assert_eq!(check_attr(QLOCAL, "NOSHARE", None), Ok(("SHARE".into(), "NOSHARE".into())));
        assert!(matches!(check_attr(QLOCAL, "CURDEPTH", Some("3")), Err(AttrError::Unknown(_))));
    }

    #[test]
    fn generic_names() {
        assert!(generic_match("*", "X"));
        assert!(generic_match("SYSTEM.*", "SYSTEM.DEF.SVRCONN"));
        assert!(!generic_match("SYSTEM.*", "APP.SVRCONN"));
        assert!(generic_match("Q1", "Q1"));
    }
}
