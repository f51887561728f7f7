//! The Native HA stanzas of qm.ini (docs/reference/native-ha.md#local-instance-stanza,
//! #instance-stanzas, #ports): `Log: LogType=REPLICATED`, one `NativeHALocalInstance:` naming this
//! instance, and exactly three `NativeHAInstance:` stanzas (`Name=`, `ReplicationAddress=host(port)`),
//! the local one among them. A start with anything else is refused before any process is spawned.
//!
//! Only the missing-stanza text (AMQ3205E) is seen in public output; the texts for the other
//! faults (extra or duplicate stanzas, a local `Name` matching none, a port missing) are
//! UNCONFIRMED: written in AMQ3205E's form, each naming the offending value, and refused as
//! strictly as a missing stanza. TLS between the instances is not simulated: its keys are refused
//! with a message saying so, never silently run in plain text.

use crate::ini::{IniFile, Stanza};
use std::path::{Path, PathBuf};

pub const LOCAL_STANZA: &str = "NativeHALocalInstance";
pub const INSTANCE_STANZA: &str = "NativeHAInstance";
/// The `Log: LogType` value of a Native HA queue manager (crtmqm -lr).
pub const LOG_TYPE_REPLICATED: &str = "REPLICATED";

/// `NativeHALocalInstance` keys for TLS on the replication links (and cross-region replication):
/// documented by IBM, not simulated.
const NOT_SIMULATED: &[&str] = &[
    "KeyRepository",
    "KeyRepositoryPassword",
    "InitialKeyFile",
    "CertificateLabel",
    "CipherSpec",
    "SSLFipsRequired",
    "GroupName",
    "GroupRole",
    "GroupLocalAddress",
    "GroupCipherSpec",
    "GroupCertificateLabel",
];

/// One `NativeHAInstance` stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NhaInstance {
    pub name: String,
    /// The host part of `ReplicationAddress` (name, IPv4 or IPv6 literal), as dspmq's REPLADDR shows it.
    pub host: String,
    pub port: u16,
}

impl NhaInstance {
    /// `host:port` for `ToSocketAddrs` (IPv6 literals in brackets).
    pub fn socket_addr_text(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The parsed and validated Native HA configuration of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NhaConfig {
    /// `NativeHALocalInstance: Name=`: which of `instances` this one is.
    pub local: String,
    /// The three `NativeHAInstance` stanzas in file order (the local one among them).
    pub instances: Vec<NhaInstance>,
    /// `NativeHALocalInstance: LocalAddress=[addr][(port)]`: the address part (None: all interfaces).
    pub local_address: Option<String>,
    /// ... and its port (None: the local `NativeHAInstance` stanza's port).
    pub local_port: Option<u16>,
}

#[derive(Debug, thiserror::Error)]
pub enum NhaConfigError {
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("AMQ3205E: A required stanza of type '{0}' was not found in the Native HA configuration data in qm.ini.")]
    MissingStanza(&'static str),
    // UNCONFIRMED texts from here on (docs/reference/native-ha.md#instance-stanzas).
    #[error(
        "AMQ3205E: The Native HA configuration data in qm.ini has {0} stanzas of type 'NativeHAInstance'; exactly 3 are required."
    )]
    InstanceCount(usize),
    #[error(
        "AMQ3205E: The Native HA configuration data in qm.ini has {0} stanzas of type 'NativeHALocalInstance'; exactly 1 is required."
    )]
    LocalCount(usize),
    #[error("AMQ3205E: The stanza of type '{stanza}' in qm.ini has no '{attr}' attribute, which is required.")]
    MissingAttr { stanza: &'static str, attr: &'static str },
    #[error("AMQ3205E: The Native HA instance name '{0}' in qm.ini is not valid (1-48 of A-Z a-z 0-9 . _ % -).")]
    BadName(String),
    #[error(
        "AMQ3205E: The Native HA instance name '{0}' appears in more than one 'NativeHAInstance' stanza of qm.ini."
    )]
    DuplicateName(String),
    #[error("AMQ3205E: The ReplicationAddress '{value}' of Native HA instance '{instance}' in qm.ini is not valid: {reason}.")]
    BadAddress { instance: String, value: String, reason: &'static str },
    #[error("AMQ3205E: Native HA instances '{0}' and '{1}' in qm.ini have the same ReplicationAddress '{2}'.")]
    DuplicateAddress(String, String, String),
    #[error("AMQ3205E: The LocalAddress '{0}' of the 'NativeHALocalInstance' stanza in qm.ini is not valid: {1}.")]
    BadLocalAddress(String, &'static str),
    #[error(
        "AMQ3205E: The local Native HA instance name '{0}' does not match the Name of any 'NativeHAInstance' stanza in qm.ini."
    )]
    LocalNotFound(String),
    #[error(
        "AMQ3205E: The Native HA configuration data in qm.ini is not valid: 'Log' stanza LogType is '{0}', not 'REPLICATED'."
    )]
    LogType(String),
    #[error(
        "mq-sim: attribute '{0}' of the 'NativeHALocalInstance' stanza in qm.ini is not simulated (TLS and cross-region replication between Native HA instances are not part of this simulator); remove it."
    )]
    NotSimulated(String),
}

impl NhaConfig {
    /// The Native HA configuration of a queue manager: `path` is its data directory or its qm.ini.
    /// `Ok(None)` when it is not a Native HA queue manager (no REPLICATED log and no Native HA stanza).
    pub fn load(path: &Path) -> Result<Option<NhaConfig>, NhaConfigError> {
        let ini_path = if path.is_dir() { path.join("qm.ini") } else { path.to_path_buf() };
        let ini = IniFile::read(&ini_path).map_err(|e| NhaConfigError::Io(ini_path.clone(), e))?;
        NhaConfig::from_ini(&ini)
    }

    pub fn from_ini(ini: &IniFile) -> Result<Option<NhaConfig>, NhaConfigError> {
        let log_type = ini.first("Log").and_then(|s| s.get("LogType")).map(str::to_string);
        let replicated = log_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(LOG_TYPE_REPLICATED));
        let locals: Vec<&Stanza> = ini.all(LOCAL_STANZA).collect();
        let instances: Vec<&Stanza> = ini.all(INSTANCE_STANZA).collect();
        if !replicated && locals.is_empty() && instances.is_empty() {
            return Ok(None);
        }
        // Native HA stanzas on a queue manager whose log is not replicated: refused (UNCONFIRMED).
        if !replicated {
            return Err(NhaConfigError::LogType(log_type.unwrap_or_default()));
        }
        let local = match locals.as_slice() {
            [] => return Err(NhaConfigError::MissingStanza(LOCAL_STANZA)),
            [one] => *one,
            many => return Err(NhaConfigError::LocalCount(many.len())),
        };
        if let Some((k, _)) = local.attrs.iter().find(|(k, _)| NOT_SIMULATED.iter().any(|n| n.eq_ignore_ascii_case(k)))
        {
            return Err(NhaConfigError::NotSimulated(k.clone()));
        }
        let local_name = local
            .get("Name")
            .filter(|n| !n.is_empty())
            .ok_or(NhaConfigError::MissingAttr { stanza: LOCAL_STANZA, attr: "Name" })?
            .to_string();
        let (local_address, local_port) = match local.get("LocalAddress") {
            Some(v) => parse_local_address(v)?,
            None => (None, None),
        };
        // Fewer than three: one is missing, as AMQ3205E says; more: UNCONFIRMED, refused too.
        if instances.len() < 3 {
            return Err(NhaConfigError::MissingStanza(INSTANCE_STANZA));
        }
        if instances.len() > 3 {
            return Err(NhaConfigError::InstanceCount(instances.len()));
        }
        let mut parsed: Vec<NhaInstance> = Vec::with_capacity(3);
        for s in instances {
            let name = s
                .get("Name")
                .filter(|n| !n.is_empty())
                .ok_or(NhaConfigError::MissingAttr { stanza: INSTANCE_STANZA, attr: "Name" })?;
            validate_instance_name(name)?;
            let addr = s
                .get("ReplicationAddress")
                .filter(|a| !a.is_empty())
                .ok_or(NhaConfigError::MissingAttr { stanza: INSTANCE_STANZA, attr: "ReplicationAddress" })?;
            let (host, port) = parse_replication_address(name, addr)?;
            if let Some(other) = parsed.iter().find(|p| p.name.eq_ignore_ascii_case(name)) {
                return Err(NhaConfigError::DuplicateName(other.name.clone()));
            }
            if let Some(other) = parsed.iter().find(|p| p.host.eq_ignore_ascii_case(&host) && p.port == port) {
                return Err(NhaConfigError::DuplicateAddress(other.name.clone(), name.to_string(), addr.to_string()));
            }
            parsed.push(NhaInstance { name: name.to_string(), host, port });
        }
        // Instance names compare exactly (UNCONFIRMED whether MQ folds case: the stricter reading).
        if !parsed.iter().any(|p| p.name == local_name) {
            return Err(NhaConfigError::LocalNotFound(local_name));
        }
        Ok(Some(NhaConfig { local: local_name, instances: parsed, local_address, local_port }))
    }

    /// This instance's own stanza.
    pub fn local_instance(&self) -> &NhaInstance {
        self.instances.iter().find(|i| i.name == self.local).expect("validated: the local name is one of the three")
    }

    /// The other two instances, in stanza order.
    pub fn peers(&self) -> impl Iterator<Item = &NhaInstance> {
        self.instances.iter().filter(move |i| i.name != self.local)
    }

    /// Where this instance accepts replication traffic: `LocalAddress` (all interfaces when it
    /// names none) and its port, else the local stanza's port.
    pub fn listen_addr_text(&self) -> String {
        let port = self.local_port.unwrap_or(self.local_instance().port);
        match self.local_address.as_deref() {
            Some(h) if h.contains(':') => format!("[{h}]:{port}"),
            Some(h) => format!("{h}:{port}"),
            None => format!("0.0.0.0:{port}"),
        }
    }

    /// The index of an instance in stanza order (dspmq prints them in this order).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.instances.iter().position(|i| i.name == name)
    }
}

/// An instance name: MQ's object-name characters plus '-' (IBM's container uses host names such as
/// `mi9230-native-ha-replica-0`), at most 48 (UNCONFIRMED: IBM documents no rule).
pub fn validate_instance_name(name: &str) -> Result<(), NhaConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '-'));
    if ok {
        Ok(())
    } else {
        Err(NhaConfigError::BadName(name.to_string()))
    }
}

fn parse_port(text: &str) -> Option<u16> {
    text.trim().parse::<u16>().ok().filter(|p| *p != 0)
}

/// `host(port)`: the port is required (IBM: "must be specified"; no default port is documented).
fn parse_replication_address(instance: &str, value: &str) -> Result<(String, u16), NhaConfigError> {
    let bad = |reason| NhaConfigError::BadAddress { instance: instance.to_string(), value: value.to_string(), reason };
    let v = value.trim();
    let Some(open) = v.rfind('(') else { return Err(bad("the port in brackets is required")) };
    if !v.ends_with(')') {
        return Err(bad("expected host(port)"));
    }
    let host = v[..open].trim();
    if host.is_empty() {
        return Err(bad("the host is missing"));
    }
    if host.contains(char::is_whitespace) || host.contains('(') || host.contains(')') {
        return Err(bad("the host is not a host name or address"));
    }
    let port = parse_port(&v[open + 1..v.len() - 1]).ok_or_else(|| bad("the port is not a number from 1 to 65535"))?;
    Ok((host.trim_matches(|c| c == '[' || c == ']').to_string(), port))
}

/// `[addr][(port)]`.
fn parse_local_address(value: &str) -> Result<(Option<String>, Option<u16>), NhaConfigError> {
    let bad = |reason| NhaConfigError::BadLocalAddress(value.to_string(), reason);
    let v = value.trim();
    let (host, port) = match v.rfind('(') {
        Some(open) => {
            if !v.ends_with(')') {
                return Err(bad("expected [addr][(port)]"));
            }
            let port =
                parse_port(&v[open + 1..v.len() - 1]).ok_or_else(|| bad("the port is not a number from 1 to 65535"))?;
            (v[..open].trim(), Some(port))
        }
        None => (v, None),
    };
    if host.contains(char::is_whitespace) || host.contains(')') {
        return Err(bad("the address is not a host name or address"));
    }
    let host = host.trim_matches(|c| c == '[' || c == ']');
    Ok(((!host.is_empty()).then(|| host.to_string()), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "Log:\n   LogPrimaryFiles=3\n   LogType=REPLICATED\n\
        NativeHALocalInstance:\n   Name=beta\n\
        NativeHAInstance:\n   Name=alpha\n   ReplicationAddress=10.0.0.1(9414)\n\
        NativeHAInstance:\n   Name=beta\n   ReplicationAddress=10.0.0.2(9414)\n\
        NativeHAInstance:\n   Name=gamma\n   ReplicationAddress=gamma.example.com(9414)\n";

    fn parse(text: &str) -> Result<Option<NhaConfig>, NhaConfigError> {
        NhaConfig::from_ini(&IniFile::parse(text))
    }

    fn err(text: &str) -> String {
        parse(text).expect_err("must be refused").to_string()
    }

    #[test]
    fn parses_the_three_instances_in_stanza_order() {
        let c = parse(GOOD).unwrap().unwrap();
        assert_eq!(c.local, "beta");
        let names: Vec<&str> = c.instances.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "gamma"]);
        assert_eq!(c.instances[2], NhaInstance { name: "gamma".into(), host: "gamma.example.com".into(), port: 9414 });
        assert_eq!(c.local_instance().host, "10.0.0.2");
        assert_eq!(c.peers().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["alpha", "gamma"]);
        assert_eq!(c.listen_addr_text(), "0.0.0.0:9414");
        assert_eq!(c.index_of("gamma"), Some(2));
    }

    #[test]
    fn not_native_ha_is_none() {
        let t = "Log:\n   LogType=CIRCULAR\nChannels:\n";
        assert!(parse(t).unwrap().is_none());
        assert!(parse("").unwrap().is_none());
    }

    #[test]
    fn missing_stanzas_are_amq3205e() {
        let no_local = GOOD.replace("NativeHALocalInstance:\n   Name=beta\n", "");
        assert_eq!(
            err(&no_local),
            "AMQ3205E: A required stanza of type 'NativeHALocalInstance' was not found in the Native HA configuration data in qm.ini."
        );
        let two = GOOD.replace("NativeHAInstance:\n   Name=gamma\n   ReplicationAddress=gamma.example.com(9414)\n", "");
        assert_eq!(
            err(&two),
            "AMQ3205E: A required stanza of type 'NativeHAInstance' was not found in the Native HA configuration data in qm.ini."
        );
        // A replicated log alone (the stanzas not written yet) is refused, not run as an ordinary QM.
        assert!(err("Log:\n   LogType=REPLICATED\n").contains("'NativeHALocalInstance' was not found"));
    }

    #[test]
    fn extra_and_duplicate_stanzas_are_refused() {
        let four = format!("{GOOD}NativeHAInstance:\n   Name=delta\n   ReplicationAddress=10.0.0.4(9414)\n");
        assert!(err(&four).contains("has 4 stanzas of type 'NativeHAInstance'; exactly 3"), "{}", err(&four));
        let two_locals = format!("{GOOD}NativeHALocalInstance:\n   Name=alpha\n");
        assert!(err(&two_locals).contains("2 stanzas of type 'NativeHALocalInstance'"));
        let dup = GOOD.replace("Name=gamma", "Name=alpha");
        assert!(err(&dup).contains("'alpha' appears in more than one"), "{}", err(&dup));
        let same_addr = GOOD.replace("gamma.example.com(9414)", "10.0.0.1(9414)");
        assert!(err(&same_addr).contains("'alpha' and 'gamma'"), "{}", err(&same_addr));
        // Same host, other port: three instances on one machine, as the tests run them.
        let same_host = GOOD.replace("gamma.example.com(9414)", "10.0.0.1(9415)");
        assert_eq!(parse(&same_host).unwrap().unwrap().instances[2].port, 9415);
    }

    #[test]
    fn port_is_required_and_checked() {
        for (addr, why) in [
            ("10.0.0.2", "the port in brackets is required"),
            ("10.0.0.2()", "not a number"),
            ("10.0.0.2(0)", "not a number"),
            ("10.0.0.2(70000)", "not a number"),
            ("(9414)", "the host is missing"),
            ("10.0.0.2(9414", "expected host(port)"),
        ] {
            let t = GOOD.replace("10.0.0.2(9414)", addr);
            let e = err(&t);
            assert!(e.contains(&format!("ReplicationAddress '{addr}' of Native HA instance 'beta'")), "{e}");
            assert!(e.contains(why), "{addr}: {e}");
        }
        let no_addr = GOOD.replace("   ReplicationAddress=10.0.0.2(9414)\n", "");
        assert!(err(&no_addr).contains("no 'ReplicationAddress' attribute"));
        let v6 = GOOD.replace("10.0.0.2(9414)", "::1(4444)");
        let c = parse(&v6).unwrap().unwrap();
        assert_eq!((c.instances[1].host.as_str(), c.instances[1].port), ("::1", 4444));
        assert_eq!(c.instances[1].socket_addr_text(), "[::1]:4444");
    }

    #[test]
    fn local_name_must_match_one_instance() {
        let t = GOOD.replace("NativeHALocalInstance:\n   Name=beta", "NativeHALocalInstance:\n   Name=delta");
        assert_eq!(
            err(&t),
            "AMQ3205E: The local Native HA instance name 'delta' does not match the Name of any 'NativeHAInstance' stanza in qm.ini."
        );
        // Exact match (stricter than folding case).
        let t = GOOD.replace("NativeHALocalInstance:\n   Name=beta", "NativeHALocalInstance:\n   Name=BETA");
        assert!(err(&t).contains("'BETA' does not match"));
        let t = GOOD.replace("NativeHALocalInstance:\n   Name=beta", "NativeHALocalInstance:\n   Name=");
        assert!(err(&t).contains("no 'Name' attribute"));
    }

    #[test]
    fn tls_keys_are_refused_as_not_simulated() {
        for key in ["KeyRepository", "CipherSpec", "CertificateLabel", "KeyRepositoryPassword", "GroupName"] {
            let t = GOOD.replace(
                "NativeHALocalInstance:\n   Name=beta\n",
                &format!("NativeHALocalInstance:\n   Name=beta\n   {key}=x\n"),
            );
            let e = err(&t);
            assert!(e.contains(&format!("attribute '{key}'")) && e.contains("not simulated"), "{e}");
        }
    }

    #[test]
    fn local_address_forms() {
        let with = |v: &str| {
            GOOD.replace(
                "   Name=beta\nNativeHAInstance",
                &format!("   Name=beta\n   LocalAddress={v}\nNativeHAInstance"),
            )
        };
        let c = parse(&with("127.0.0.1")).unwrap().unwrap();
        assert_eq!((c.local_address.as_deref(), c.local_port), (Some("127.0.0.1"), None));
        assert_eq!(c.listen_addr_text(), "127.0.0.1:9414");
        let c = parse(&with("(5555)")).unwrap().unwrap();
        assert_eq!(c.listen_addr_text(), "0.0.0.0:5555");
        let c = parse(&with("127.0.0.1(5555)")).unwrap().unwrap();
        assert_eq!(c.listen_addr_text(), "127.0.0.1:5555");
        assert!(err(&with("127.0.0.1(x)")).contains("LocalAddress '127.0.0.1(x)'"));
    }

    #[test]
    fn names_and_log_type() {
        let t = GOOD.replace("Name=gamma", "Name=gam ma");
        assert!(err(&t).contains("'gam ma' in qm.ini is not valid"), "{}", err(&t));
        let long = "a".repeat(49);
        assert!(err(&GOOD.replace("Name=gamma", &format!("Name={long}"))).contains("is not valid"));
        assert!(parse(&GOOD.replace("Name=gamma", "Name=mi9230-native-ha-replica-0")).is_ok());
        let t = GOOD.replace("LogType=REPLICATED", "LogType=LINEAR");
        assert!(err(&t).contains("LogType is 'LINEAR'"));
    }
}
