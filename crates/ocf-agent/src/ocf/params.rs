//! The declarative parameter tables: each agent describes its parameters once (name, type,
//! default, required, unique group, reloadable, descriptions) and parsing from OCF_RESKEY_*,
//! the first validation layer, the meta-data and the man page are all derived from that table.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use mq_core::{QmName, QmNameError};

/// What a parameter holds and how its text is checked. Only `Integer` and `Boolean` appear as
/// such in the meta-data: everything else is a `string` there (ra-api-1.dtd knows no `select`),
/// with the rule spelled out in the long description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// Free text.
    String,
    Integer {
        min: i64,
        max: i64,
    },
    /// yes/no, true/false, 1/0, on/off (any case).
    Boolean,
    /// One of the listed words (any case; normalised to the listed spelling).
    Choice(&'static [&'static str]),
    /// A queue-manager name (mq_core::QmName).
    QmName,
    /// An MQ object name: A-Z a-z 0-9 . / _ %, at most `max` characters.
    MqObjectName {
        max: usize,
    },
    /// An absolute file-system path.
    AbsolutePath,
    /// A user name as the system's user database accepts it.
    UserName,
    /// A numeric IPv4 or IPv6 address.
    IpAddress,
    /// An MQ connection name: `host(port)`, or a comma-separated list of them.
    Conname,
    /// strmqm options, checked token by token against the ones that make sense under a cluster.
    StrmqmOptions,
}

impl ParamType {
    /// The OCF content type in the meta-data.
    pub fn ocf_type(&self) -> &'static str {
        match self {
            ParamType::Integer { .. } => "integer",
            ParamType::Boolean => "boolean",
            _ => "string",
        }
    }

    /// A sentence the meta-data and the man page add to the long description, derived from the
    /// type so the documented rule is the checked rule.
    pub fn rule(&self) -> Option<String> {
        match self {
            ParamType::Integer { min, max } => Some(format!("An integer from {min} to {max}.")),
            ParamType::Boolean => Some("One of: true, false (also yes/no, 1/0, on/off).".to_string()),
            ParamType::Choice(c) => Some(format!("One of: {}.", c.join(", "))),
            ParamType::QmName => Some("1 to 48 characters of A-Z a-z 0-9 . / _ %, case-sensitive.".to_string()),
            ParamType::MqObjectName { max } => {
                Some(format!("An MQ object name: 1 to {max} characters of A-Z a-z 0-9 . / _ %."))
            }
            ParamType::AbsolutePath => Some("An absolute path.".to_string()),
            ParamType::UserName => None,
            ParamType::IpAddress => Some("A numeric IPv4 or IPv6 address (no host name).".to_string()),
            ParamType::Conname => Some("host(port), or several separated by commas, as in an MQ CONNAME.".to_string()),
            ParamType::StrmqmOptions => Some(format!("Allowed options: {}.", STRMQM_ALLOWED.join(" "))),
            ParamType::String => None,
        }
    }
}

/// One parameter of an agent.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
    /// The default used when the parameter is unset or empty, and advertised in the meta-data.
    /// None: no default, or one computed on the node (the long description says how).
    pub default: Option<&'static str>,
    pub required: bool,
    /// OCF 1.1 unique-group: pcs refuses two resources with the same values of this group.
    pub unique_group: Option<&'static str>,
    /// Changing it needs no restart: Pacemaker calls reload-agent instead.
    pub reloadable: bool,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
}

/// One action advertised in the meta-data, with its advised timeout and interval in seconds.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub timeout_s: u32,
    pub interval_s: Option<u32>,
    pub depth: Option<u32>,
    /// `Promoted` or `Unpromoted` for a monitor of one role of a promotable clone.
    pub role: Option<&'static str>,
}

/// Everything public about an agent: what the meta-data and the man page show.
#[derive(Debug, Clone, Copy)]
pub struct AgentSpec {
    /// The type name (`ibmmq`, `ibmmq-listener`, `ibmmq-trigger`).
    pub name: &'static str,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
    pub params: &'static [ParamSpec],
    pub actions: &'static [ActionSpec],
}

impl AgentSpec {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn advertises(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.name == action)
    }

    /// Layer-1 validation: reads OCF_RESKEY_<name> through `get`, applies defaults and checks
    /// every value against its type. Looks at nothing on the node, so it gives the same answer
    /// everywhere (what validate-all at level 0 and `pcs --agent-validation` need).
    pub fn parse(&self, get: impl Fn(&str) -> Option<String>) -> Result<Values, ParamError> {
        let mut values = BTreeMap::new();
        for p in self.params {
            let raw = get(&format!("OCF_RESKEY_{}", p.name)).filter(|v| !v.is_empty());
            let text = match (raw, p.default) {
                (Some(v), _) => v,
                (None, _) if p.required => return Err(ParamError::Missing { name: p.name }),
                (None, Some(d)) => d.to_string(),
                (None, None) => continue,
            };
            let v = check(p, &text)?;
            values.insert(p.name, v);
        }
        Ok(Values(values))
    }
}

/// A checked parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Qm(QmName),
    Path(PathBuf),
    Ip(IpAddr),
    Words(Vec<String>),
}

/// The checked values of one agent's parameters, by name; unset optional ones are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(BTreeMap<&'static str, Value>);

impl Values {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.0.get(name) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.0.get(name) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    pub fn qm(&self, name: &str) -> Option<&QmName> {
        match self.0.get(name) {
            Some(Value::Qm(q)) => Some(q),
            _ => None,
        }
    }
    pub fn path(&self, name: &str) -> Option<&PathBuf> {
        match self.0.get(name) {
            Some(Value::Path(p)) => Some(p),
            _ => None,
        }
    }
    pub fn ip(&self, name: &str) -> Option<IpAddr> {
        match self.0.get(name) {
            Some(Value::Ip(a)) => Some(*a),
            _ => None,
        }
    }
    pub fn words(&self, name: &str) -> Option<&[String]> {
        match self.0.get(name) {
            Some(Value::Words(w)) => Some(w),
            _ => None,
        }
    }
}

/// Why the parameters are unusable anywhere; each names the parameter and its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("parameter '{name}' is required")]
    Missing { name: &'static str },
    #[error("{name}='{value}' {why}")]
    Invalid { name: &'static str, value: String, why: String },
    #[error("{0}")]
    Conflict(String),
}

/// strmqm options an HA start may use; the agent itself adds the queue-manager name.
/// -c, -r, -a, -e start something other than a normal run (or stop again) and are refused.
pub const STRMQM_ALLOWED: &[&str] = &["-ns", "-z", "-x", "-f", "-si", "-ss", "-d Information|All|Minimal"];

fn invalid(p: &ParamSpec, value: &str, why: impl Into<String>) -> ParamError {
    ParamError::Invalid { name: p.name, value: value.to_string(), why: why.into() }
}

fn is_mq_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '%')
}

/// Checks one value against its parameter's type.
pub fn check(p: &ParamSpec, text: &str) -> Result<Value, ParamError> {
    match p.ty {
        ParamType::String => {
            if text.chars().any(|c| c.is_control()) {
                return Err(invalid(p, &text.escape_default().to_string(), "contains a control character"));
            }
            Ok(Value::Str(text.to_string()))
        }
        ParamType::Integer { min, max } => {
            let n: i64 = text.trim().parse().map_err(|_| invalid(p, text, "is not a whole number"))?;
            if n < min || n > max {
                return Err(invalid(p, text, format!("is out of range {min}-{max}")));
            }
            Ok(Value::Int(n))
        }
        ParamType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(Value::Bool(true)),
            "false" | "no" | "0" | "off" => Ok(Value::Bool(false)),
            _ => Err(invalid(p, text, "is not a boolean (true or false)")),
        },
        ParamType::Choice(choices) => {
            let t = text.trim();
            choices
                .iter()
                .find(|c| c.eq_ignore_ascii_case(t))
                .map(|c| Value::Str(c.to_string()))
                .ok_or_else(|| invalid(p, text, format!("is not one of {}", choices.join(", "))))
        }
        ParamType::QmName => QmName::new(text).map(Value::Qm).map_err(|e| {
            let why = match e {
                QmNameError::Empty => "is empty".to_string(),
                QmNameError::TooLong { len, .. } => format!("is {len} characters long; MQ allows at most 48"),
                QmNameError::BadChar { ch, pos, .. } => {
                    format!("has '{}' at position {pos}; only A-Z a-z 0-9 . / _ % are allowed", ch.escape_default())
                }
            };
            invalid(p, &text.escape_default().to_string(), why)
        }),
        ParamType::MqObjectName { max } => {
            if let Some((pos, ch)) = text.chars().enumerate().find(|(_, c)| !is_mq_name_char(*c)) {
                return Err(invalid(
                    p,
                    &text.escape_default().to_string(),
                    format!(
                        "has '{}' at position {}; only A-Z a-z 0-9 . / _ % are allowed",
                        ch.escape_default(),
                        pos + 1
                    ),
                ));
            }
            if text.len() > max {
                return Err(invalid(p, text, format!("is {} characters long; at most {max} are allowed", text.len())));
            }
            Ok(Value::Str(text.to_string()))
        }
        ParamType::AbsolutePath => {
            if !text.starts_with('/') {
                return Err(invalid(p, text, "is not an absolute path"));
            }
            if text.chars().any(|c| c.is_control()) {
                return Err(invalid(p, &text.escape_default().to_string(), "contains a control character"));
            }
            Ok(Value::Path(PathBuf::from(text)))
        }
        ParamType::UserName => {
            let ok_first = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            let ok_rest = text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !ok_first || !ok_rest || text.len() > 32 {
                return Err(invalid(p, &text.escape_default().to_string(), "is not a valid user name"));
            }
            Ok(Value::Str(text.to_string()))
        }
        ParamType::IpAddress => text
            .trim()
            .parse::<IpAddr>()
            .map(Value::Ip)
            .map_err(|_| invalid(p, &text.escape_default().to_string(), "is not a numeric IPv4 or IPv6 address")),
        ParamType::Conname => {
            for part in text.split(',') {
                check_conname_entry(part.trim()).map_err(|why| invalid(p, &text.escape_default().to_string(), why))?;
            }
            Ok(Value::Str(text.to_string()))
        }
        ParamType::StrmqmOptions => check_strmqm_options(text).map(Value::Words).map_err(|why| invalid(p, text, why)),
    }
}

fn check_conname_entry(entry: &str) -> Result<(), String> {
    let (host, port) = match entry.find('(') {
        Some(i) => {
            let rest = &entry[i + 1..];
            let port = rest.strip_suffix(')').ok_or_else(|| format!("entry '{entry}' lacks the closing ')'"))?;
            (&entry[..i], Some(port))
        }
        None => (entry, None),
    };
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':')) {
        return Err(format!("has a bad host '{host}'"));
    }
    if let Some(port) = port {
        match port.parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => {}
            _ => return Err(format!("has a bad port '{port}' (1-65535)")),
        }
    }
    Ok(())
}

fn check_strmqm_options(text: &str) -> Result<Vec<String>, String> {
    let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "-ns" | "-z" | "-x" | "-f" | "-si" | "-ss" => {}
            "-d" => {
                i += 1;
                match words.get(i).map(String::as_str) {
                    Some("Information" | "All" | "Minimal") => {}
                    Some(v) => return Err(format!("has '-d {v}'; -d takes Information, All or Minimal")),
                    None => return Err("ends with -d; -d takes Information, All or Minimal".to_string()),
                }
            }
            w => return Err(format!("has '{w}', which the agent does not pass to strmqm")),
        }
        i += 1;
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const PARAMS: &[ParamSpec] = &[
        ParamSpec {
            name: "qmgr",
            ty: ParamType::QmName,
            default: None,
            required: true,
            unique_group: Some("qmgr"),
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "port",
            ty: ParamType::Integer { min: 1, max: 65535 },
            default: Some("1414"),
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "flag",
            ty: ParamType::Boolean,
            default: Some("false"),
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "mode",
            ty: ParamType::Choice(&["auto", "yes", "no"]),
            default: Some("auto"),
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "inst",
            ty: ParamType::AbsolutePath,
            default: None,
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "ip",
            ty: ParamType::IpAddress,
            default: None,
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "opts",
            ty: ParamType::StrmqmOptions,
            default: Some(""),
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "chl",
            ty: ParamType::MqObjectName { max: 20 },
            default: None,
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "conn",
            ty: ParamType::Conname,
            default: None,
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
        ParamSpec {
            name: "user",
            ty: ParamType::UserName,
            default: None,
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        },
    ];
    const SPEC: AgentSpec = AgentSpec { name: "t", shortdesc: "", longdesc: "", params: PARAMS, actions: &[] };

    fn parse(vars: &[(&str, &str)]) -> Result<Values, ParamError> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())).collect();
        SPEC.parse(|k| m.get(k).cloned())
    }

    fn err(vars: &[(&str, &str)]) -> String {
        parse(vars).unwrap_err().to_string()
    }

    #[test]
    fn defaults_and_types() {
        let v = parse(&[("qmgr", "QM1")]).unwrap();
        assert_eq!(v.qm("qmgr").unwrap().as_str(), "QM1");
        assert_eq!(v.int("port"), Some(1414));
        assert_eq!(v.bool("flag"), Some(false));
        assert_eq!(v.str("mode"), Some("auto"));
        assert_eq!(v.words("opts"), Some(&[][..]));
        assert!(v.get("inst").is_none());
        let v = parse(&[
            ("qmgr", "QM1"),
            ("flag", "YES"),
            ("mode", "No"),
            ("inst", "/opt/mqm"),
            ("ip", "::1"),
            ("opts", "-ns  -d All"),
        ])
        .unwrap();
        assert_eq!(v.bool("flag"), Some(true));
        assert_eq!(v.str("mode"), Some("no"));
        assert_eq!(v.path("inst").unwrap(), &PathBuf::from("/opt/mqm"));
        assert_eq!(v.ip("ip"), Some("::1".parse().unwrap()));
        assert_eq!(v.words("opts").unwrap(), &["-ns".to_string(), "-d".to_string(), "All".to_string()]);
    }

    #[test]
    fn empty_means_unset() {
        assert_eq!(err(&[("qmgr", "")]), "parameter 'qmgr' is required");
        assert_eq!(parse(&[("qmgr", "Q"), ("port", "")]).unwrap().int("port"), Some(1414));
    }

    #[test]
    fn errors_name_the_parameter_and_value() {
        assert_eq!(err(&[]), "parameter 'qmgr' is required");
        assert_eq!(err(&[("qmgr", "QM 1")]), "qmgr='QM 1' has ' ' at position 3; only A-Z a-z 0-9 . / _ % are allowed");
        assert_eq!(
            err(&[("qmgr", "QM;rm")]),
            "qmgr='QM;rm' has ';' at position 3; only A-Z a-z 0-9 . / _ % are allowed"
        );
        let long = "A".repeat(49);
        assert_eq!(err(&[("qmgr", &long)]), format!("qmgr='{long}' is 49 characters long; MQ allows at most 48"));
        assert_eq!(err(&[("qmgr", "Q"), ("port", "0")]), "port='0' is out of range 1-65535");
        assert_eq!(err(&[("qmgr", "Q"), ("port", "70000")]), "port='70000' is out of range 1-65535");
        assert_eq!(err(&[("qmgr", "Q"), ("port", "abc")]), "port='abc' is not a whole number");
        assert_eq!(err(&[("qmgr", "Q"), ("flag", "maybe")]), "flag='maybe' is not a boolean (true or false)");
        assert_eq!(err(&[("qmgr", "Q"), ("mode", "sometimes")]), "mode='sometimes' is not one of auto, yes, no");
        assert_eq!(err(&[("qmgr", "Q"), ("inst", "opt/mqm")]), "inst='opt/mqm' is not an absolute path");
        assert_eq!(err(&[("qmgr", "Q"), ("ip", "myhost")]), "ip='myhost' is not a numeric IPv4 or IPv6 address");
        assert_eq!(
            err(&[("qmgr", "Q"), ("opts", "-c")]),
            "opts='-c' has '-c', which the agent does not pass to strmqm"
        );
        assert_eq!(
            err(&[("qmgr", "Q"), ("opts", "-d Verbose")]),
            "opts='-d Verbose' has '-d Verbose'; -d takes Information, All or Minimal"
        );
        assert_eq!(
            err(&[("qmgr", "Q"), ("chl", "A.VERY.LONG.CHANNEL.NAME")]),
            "chl='A.VERY.LONG.CHANNEL.NAME' is 24 characters long; at most 20 are allowed"
        );
        assert_eq!(
            err(&[("qmgr", "Q"), ("conn", "host(99999)")]),
            "conn='host(99999)' has a bad port '99999' (1-65535)"
        );
        assert_eq!(err(&[("qmgr", "Q"), ("conn", "a b(1)")]), "conn='a b(1)' has a bad host 'a b'");
        assert_eq!(err(&[("qmgr", "Q"), ("user", "-rf")]), "user='-rf' is not a valid user name");
        assert_eq!(err(&[("qmgr", "Q"), ("user", "mq$(id)")]), "user='mq$(id)' is not a valid user name");
    }

    #[test]
    fn good_connames_and_users() {
        let v = parse(&[
            ("qmgr", "Q"),
            ("conn", "127.0.0.1(1414),host-b(1415),::1(1)"),
            ("user", "mqm"),
            ("chl", "SYSTEM.DEF.SVRCONN"),
        ])
        .unwrap();
        assert_eq!(v.str("conn"), Some("127.0.0.1(1414),host-b(1415),::1(1)"));
        assert_eq!(v.str("user"), Some("mqm"));
    }

    #[test]
    fn rules_are_derived_from_types() {
        assert_eq!(ParamType::Integer { min: 1, max: 65535 }.rule().unwrap(), "An integer from 1 to 65535.");
        assert_eq!(ParamType::Choice(&["a", "b"]).rule().unwrap(), "One of: a, b.");
        assert_eq!(ParamType::Integer { min: 1, max: 2 }.ocf_type(), "integer");
        assert_eq!(ParamType::Choice(&["a"]).ocf_type(), "string");
    }
}
