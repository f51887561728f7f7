//! The declarative parameter tables: each agent describes its parameters once (name, type,
//! default, required, unique group, reloadable, descriptions) and parsing from OCF_RESKEY_*,
//! the first validation layer, the meta-data and the man page are all derived from that table.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;

/// What a parameter holds and how its text is checked. Only `Integer` and `Boolean` appear as
/// such in the meta-data: everything else is a `string` there (ra-api-1.dtd knows no `select`),
/// with the rule spelled out in the long description.
#[derive(Debug, Clone, Copy)]
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
    /// An absolute file-system path.
    AbsolutePath,
    /// A user name as the system's user database accepts it.
    UserName,
    /// A numeric IPv4 or IPv6 address.
    IpAddress,
    /// Text checked by a rule of the agent's (a product's name syntax, say); held as `Value::Str`.
    Custom(Custom),
}

/// A value rule the runtime does not know, supplied by the agent's table.
#[derive(Debug, Clone, Copy)]
pub struct Custom {
    /// Ok, or why the text is refused: the end of `<name>='<value>' <why>`.
    pub check: fn(&str) -> Result<(), String>,
    /// The rule in one sentence, added to the long description in the meta-data.
    pub rule: &'static str,
    /// Whether a refused value is shown escaped (`escape_default`), or as it was given.
    pub escape_value: bool,
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
            ParamType::AbsolutePath => Some("An absolute path.".to_string()),
            ParamType::UserName => None,
            ParamType::IpAddress => Some("A numeric IPv4 or IPv6 address (no host name).".to_string()),
            ParamType::Custom(c) => Some(c.rule.to_string()),
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
    /// The type name: the last part of `ocf:<provider>:<name>`.
    pub name: &'static str,
    /// The agent's own version, shown as `<resource-agent version=...>`.
    pub version: &'static str,
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

    /// What is wrong with the table itself (for the agent's tests): each entry names the agent
    /// and the parameter or action at fault; empty when the table is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut found = Vec::new();
        let names: BTreeSet<_> = self.params.iter().map(|p| p.name).collect();
        if names.len() != self.params.len() {
            found.push(format!("{}: duplicate parameter", self.name));
        }
        for p in self.params {
            let at = format!("{}.{}", self.name, p.name);
            if p.shortdesc.is_empty() || p.longdesc.is_empty() {
                found.push(format!("{at} lacks a description"));
            }
            if !p.name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                found.push(format!("{at} is not lower_snake_case"));
            }
            // Every advertised default must pass the parameter's own check ("" only means unset,
            // except to a custom rule, which may have to accept it).
            if let Some(d) = p.default.filter(|d| !d.is_empty() || matches!(p.ty, ParamType::Custom(_))) {
                if let Err(e) = check(p, d) {
                    found.push(format!("{at} default: {e}"));
                }
            }
            if p.required && p.default.is_some() {
                found.push(format!("{at} is required and has a default"));
            }
        }
        for a in ["start", "stop", "monitor", "validate-all", "meta-data"] {
            if !self.advertises(a) {
                found.push(format!("{} does not advertise {a}", self.name));
            }
        }
        // Monitors must differ in interval or Pacemaker refuses the second one.
        let intervals: Vec<_> = self.actions.iter().filter(|a| a.name == "monitor").map(|a| a.interval_s).collect();
        if intervals.iter().collect::<BTreeSet<_>>().len() != intervals.len() {
            found.push(format!("{}: two monitors with one interval", self.name));
        }
        for a in self.actions.iter().filter(|a| a.timeout_s < 5) {
            found.push(format!("{}: {} advises a timeout under 5 s", self.name, a.name));
        }
        found
    }

    /// Layer-1 validation: reads `OCF_RESKEY_<name>` through `get`, applies defaults and checks
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
    Path(PathBuf),
    Ip(IpAddr),
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

fn invalid(p: &ParamSpec, value: &str, why: impl Into<String>) -> ParamError {
    ParamError::Invalid { name: p.name, value: value.to_string(), why: why.into() }
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
        ParamType::Custom(c) => match (c.check)(text) {
            Ok(()) => Ok(Value::Str(text.to_string())),
            Err(why) if c.escape_value => Err(invalid(p, &text.escape_default().to_string(), why)),
            Err(why) => Err(invalid(p, text, why)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A rule of the kind an agent plugs in: lowercase letters only.
    fn lowercase(text: &str) -> Result<(), String> {
        match text.chars().position(|c| !c.is_ascii_lowercase()) {
            Some(i) => Err(format!("has a character other than a-z at position {}", i + 1)),
            None => Ok(()),
        }
    }

    const fn row(name: &'static str, ty: ParamType, default: Option<&'static str>) -> ParamSpec {
        ParamSpec {
            name,
            ty,
            default,
            required: false,
            unique_group: None,
            reloadable: false,
            shortdesc: "",
            longdesc: "",
        }
    }

    const PARAMS: &[ParamSpec] = &[
        ParamSpec { required: true, unique_group: Some("name"), ..row("name", ParamType::String, None) },
        row("port", ParamType::Integer { min: 1, max: 65535 }, Some("1414")),
        row("flag", ParamType::Boolean, Some("false")),
        row("mode", ParamType::Choice(&["auto", "yes", "no"]), Some("auto")),
        row("inst", ParamType::AbsolutePath, None),
        row("ip", ParamType::IpAddress, None),
        row("user", ParamType::UserName, None),
        row(
            "word",
            ParamType::Custom(Custom { check: lowercase, rule: "Lowercase letters.", escape_value: true }),
            Some(""),
        ),
        row("raw", ParamType::Custom(Custom { check: lowercase, rule: "", escape_value: false }), None),
    ];
    const SPEC: AgentSpec =
        AgentSpec { name: "t", version: "1", shortdesc: "", longdesc: "", params: PARAMS, actions: &[] };

    fn parse(vars: &[(&str, &str)]) -> Result<Values, ParamError> {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string())).collect();
        SPEC.parse(|k| m.get(k).cloned())
    }

    fn err(vars: &[(&str, &str)]) -> String {
        parse(vars).unwrap_err().to_string()
    }

    #[test]
    fn defaults_and_types() {
        let v = parse(&[("name", "n1")]).unwrap();
        assert_eq!(v.str("name"), Some("n1"));
        assert_eq!(v.int("port"), Some(1414));
        assert_eq!(v.bool("flag"), Some(false));
        assert_eq!(v.str("mode"), Some("auto"));
        assert_eq!(v.str("word"), Some(""));
        assert!(v.get("inst").is_none());
        let v = parse(&[
            ("name", "n1"),
            ("flag", "YES"),
            ("mode", "No"),
            ("inst", "/opt/app"),
            ("ip", "::1"),
            ("word", "abc"),
        ])
        .unwrap();
        assert_eq!(v.bool("flag"), Some(true));
        assert_eq!(v.str("mode"), Some("no"));
        assert_eq!(v.path("inst").unwrap(), &PathBuf::from("/opt/app"));
        assert_eq!(v.ip("ip"), Some("::1".parse().unwrap()));
        assert_eq!(v.str("word"), Some("abc"));
    }

    #[test]
    fn empty_means_unset() {
        assert_eq!(err(&[("name", "")]), "parameter 'name' is required");
        assert_eq!(parse(&[("name", "n"), ("port", "")]).unwrap().int("port"), Some(1414));
    }

    #[test]
    fn errors_name_the_parameter_and_value() {
        assert_eq!(err(&[]), "parameter 'name' is required");
        assert_eq!(err(&[("name", "a\u{1}b")]), "name='a\\u{1}b' contains a control character");
        assert_eq!(err(&[("name", "n"), ("port", "0")]), "port='0' is out of range 1-65535");
        assert_eq!(err(&[("name", "n"), ("port", "70000")]), "port='70000' is out of range 1-65535");
        assert_eq!(err(&[("name", "n"), ("port", "abc")]), "port='abc' is not a whole number");
        assert_eq!(err(&[("name", "n"), ("flag", "maybe")]), "flag='maybe' is not a boolean (true or false)");
        assert_eq!(err(&[("name", "n"), ("mode", "sometimes")]), "mode='sometimes' is not one of auto, yes, no");
        assert_eq!(err(&[("name", "n"), ("inst", "opt/app")]), "inst='opt/app' is not an absolute path");
        assert_eq!(err(&[("name", "n"), ("ip", "myhost")]), "ip='myhost' is not a numeric IPv4 or IPv6 address");
        assert_eq!(err(&[("name", "n"), ("user", "-rf")]), "user='-rf' is not a valid user name");
        assert_eq!(err(&[("name", "n"), ("user", "app$(id)")]), "user='app$(id)' is not a valid user name");
        assert_eq!(parse(&[("name", "n"), ("user", "app_1")]).unwrap().str("user"), Some("app_1"));
    }

    #[test]
    fn custom_rules_complete_the_message() {
        assert_eq!(
            err(&[("name", "n"), ("word", "ab'c")]),
            "word='ab\\'c' has a character other than a-z at position 3"
        );
        assert_eq!(err(&[("name", "n"), ("raw", "ab'c")]), "raw='ab'c' has a character other than a-z at position 3");
    }

    #[test]
    fn a_sound_table_has_no_problems_and_a_broken_one_names_them() {
        const fn action(name: &'static str, interval_s: Option<u32>, timeout_s: u32) -> ActionSpec {
            ActionSpec { name, timeout_s, interval_s, depth: None, role: None }
        }
        const SOUND: &[ActionSpec] = &[
            action("start", None, 20),
            action("stop", None, 20),
            action("monitor", Some(10), 20),
            action("monitor", Some(30), 20),
            action("validate-all", None, 20),
            action("meta-data", None, 5),
        ];
        const DESCRIBED: ParamSpec =
            ParamSpec { shortdesc: "s", longdesc: "l", ..row("name", ParamType::String, None) };
        let sound = AgentSpec { params: &[DESCRIBED], actions: SOUND, ..SPEC };
        assert_eq!(sound.problems(), Vec::<String>::new());
        const BROKEN_PARAMS: &[ParamSpec] = &[
            ParamSpec { name: "Bad", required: true, ..DESCRIBED },
            ParamSpec { ty: ParamType::Integer { min: 1, max: 2 }, default: Some("3"), ..DESCRIBED },
        ];
        const BROKEN_ACTIONS: &[ActionSpec] =
            &[action("start", None, 20), action("monitor", Some(10), 2), action("monitor", Some(10), 20)];
        let broken = AgentSpec { params: BROKEN_PARAMS, actions: BROKEN_ACTIONS, ..SPEC };
        assert_eq!(
            broken.problems(),
            [
                "t.Bad is not lower_snake_case",
                "t.name default: name='3' is out of range 1-2",
                "t does not advertise stop",
                "t does not advertise validate-all",
                "t does not advertise meta-data",
                "t: two monitors with one interval",
                "t: monitor advises a timeout under 5 s",
            ]
        );
    }

    #[test]
    fn rules_are_derived_from_types() {
        assert_eq!(ParamType::Integer { min: 1, max: 65535 }.rule().unwrap(), "An integer from 1 to 65535.");
        assert_eq!(ParamType::Choice(&["a", "b"]).rule().unwrap(), "One of: a, b.");
        assert_eq!(PARAMS[7].ty.rule().unwrap(), "Lowercase letters.");
        assert_eq!(ParamType::Integer { min: 1, max: 2 }.ocf_type(), "integer");
        assert_eq!(ParamType::Choice(&["a"]).ocf_type(), "string");
        assert_eq!(PARAMS[7].ty.ocf_type(), "string");
    }
}
