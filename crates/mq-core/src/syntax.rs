//! The syntax of what an administrator types for MQ: queue-manager and object names, connection
//! names, strmqm options. Each check answers Ok or why the text is refused, worded to follow
//! "<parameter>='<value>'", and each has its rule in one sentence for the documentation.

use crate::name::{QmName, QmNameError};

/// The rule `check_qm_name` enforces, in words.
pub const QM_NAME_RULE: &str = "1 to 48 characters of A-Z a-z 0-9 . / _ %, case-sensitive.";
/// The rule `check_object_name` enforces (queues, listeners), in words.
pub const OBJECT_NAME_RULE: &str = "An MQ object name: 1 to 48 characters of A-Z a-z 0-9 . / _ %.";
/// The rule `check_channel_name` enforces, in words.
pub const CHANNEL_NAME_RULE: &str = "An MQ object name: 1 to 20 characters of A-Z a-z 0-9 . / _ %.";
/// The rule `check_conname` enforces, in words.
pub const CONNAME_RULE: &str = "host(port), or several separated by commas, as in an MQ CONNAME.";
/// The rule `check_strmqm_options` enforces, in words: the options an HA start may use (the agent
/// adds the queue-manager name; -c, -r, -a, -e start something other than a normal run).
pub const STRMQM_OPTIONS_RULE: &str = "Allowed options: -ns -z -x -f -si -ss -d Information|All|Minimal.";

/// A queue-manager name (see [`QmName`]).
pub fn check_qm_name(text: &str) -> Result<(), String> {
    QmName::new(text).map(drop).map_err(|e| match e {
        QmNameError::Empty => "is empty".to_string(),
        QmNameError::TooLong { len, .. } => format!("is {len} characters long; MQ allows at most 48"),
        QmNameError::BadChar { ch, pos, .. } => {
            format!("has '{}' at position {pos}; only A-Z a-z 0-9 . / _ % are allowed", ch.escape_default())
        }
    })
}

/// A queue or other object name: at most 48 characters.
pub fn check_object_name(text: &str) -> Result<(), String> {
    check_name(text, 48)
}

/// A channel name: at most 20 characters.
pub fn check_channel_name(text: &str) -> Result<(), String> {
    check_name(text, 20)
}

fn check_name(text: &str, max: usize) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '%');
    if let Some((pos, ch)) = text.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        return Err(format!(
            "has '{}' at position {}; only A-Z a-z 0-9 . / _ % are allowed",
            ch.escape_default(),
            pos + 1
        ));
    }
    if text.len() > max {
        return Err(format!("is {} characters long; at most {max} are allowed", text.len()));
    }
    Ok(())
}

/// A CONNAME: `host(port)`, or a comma-separated list of them.
pub fn check_conname(text: &str) -> Result<(), String> {
    text.split(',').try_for_each(|part| check_conname_entry(part.trim()))
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

/// strmqm options, token by token, against the ones that make sense under a cluster.
pub fn check_strmqm_options(text: &str) -> Result<(), String> {
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        match word {
            "-ns" | "-z" | "-x" | "-f" | "-si" | "-ss" => {}
            "-d" => match words.next() {
                Some("Information" | "All" | "Minimal") => {}
                Some(v) => return Err(format!("has '-d {v}'; -d takes Information, All or Minimal")),
                None => return Err("ends with -d; -d takes Information, All or Minimal".to_string()),
            },
            w => return Err(format!("has '{w}', which the agent does not pass to strmqm")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_manager_names() {
        assert_eq!(check_qm_name("QM1"), Ok(()));
        assert_eq!(check_qm_name("QM 1").unwrap_err(), "has ' ' at position 3; only A-Z a-z 0-9 . / _ % are allowed");
        assert_eq!(check_qm_name(&"A".repeat(49)).unwrap_err(), "is 49 characters long; MQ allows at most 48");
        assert_eq!(check_qm_name("").unwrap_err(), "is empty");
    }

    #[test]
    fn object_and_channel_names() {
        assert_eq!(check_object_name("SYSTEM.DEFAULT.INITIATION.QUEUE"), Ok(()));
        assert_eq!(
            check_object_name("A B").unwrap_err(),
            "has ' ' at position 2; only A-Z a-z 0-9 . / _ % are allowed"
        );
        assert_eq!(
            check_channel_name("A.VERY.LONG.CHANNEL.NAME").unwrap_err(),
            "is 24 characters long; at most 20 are allowed"
        );
        assert_eq!(check_channel_name("SYSTEM.DEF.SVRCONN"), Ok(()));
    }

    #[test]
    fn connames() {
        assert_eq!(check_conname("127.0.0.1(1414),host-b(1415),::1(1)"), Ok(()));
        assert_eq!(check_conname("host(99999)").unwrap_err(), "has a bad port '99999' (1-65535)");
        assert_eq!(check_conname("a b(1)").unwrap_err(), "has a bad host 'a b'");
        assert_eq!(check_conname("h(1").unwrap_err(), "entry 'h(1' lacks the closing ')'");
    }

    #[test]
    fn strmqm_options() {
        assert_eq!(check_strmqm_options(""), Ok(()));
        assert_eq!(check_strmqm_options("-ns  -d All -x"), Ok(()));
        assert_eq!(check_strmqm_options("-c").unwrap_err(), "has '-c', which the agent does not pass to strmqm");
        assert_eq!(
            check_strmqm_options("-d Verbose").unwrap_err(),
            "has '-d Verbose'; -d takes Information, All or Minimal"
        );
        assert_eq!(check_strmqm_options("-ns -d").unwrap_err(), "ends with -d; -d takes Information, All or Minimal");
    }
}
