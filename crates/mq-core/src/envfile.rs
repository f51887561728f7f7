//! The administrator's environment file (`env_file=`): `NAME=value` lines whose variables are
//! added to the clean environment of every MQ program the agent runs (strmqm, and so the queue
//! manager's processes), for what a queue manager may need from its environment: an XA resource
//! manager's (`DB2INSTANCE`, `ORACLE_HOME`, `LD_LIBRARY_PATH` for switch files) or IBM's tuning
//! variables (`AMQ_*`, `MQS_*`).
//!
//! The agent runs as root and the file decides what programs see: it must be root's (owned by
//! uid 0, not writable by group or others, not a symbolic link), it is read bounded, and its text
//! is data, never shell: no quotes, expansions or `export`. Variables that would undo what the
//! agent guarantees are refused (`REFUSED`).

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::error::MqError;

/// Real environment files are a few lines; more is a mistake, not a configuration.
pub const CAP: u64 = 64 * 1024;

/// Names the file may not set, and why (the end of the refusal).
pub const REFUSED: &[(&str, &str)] = &[
    ("PATH", "the agent sets PATH to the installation's bin directory first, so that its own commands run"),
    ("HOME", "the agent sets it to the mq user's"),
    ("USER", "the agent sets it to the mq user"),
    ("LOGNAME", "the agent sets it to the mq user"),
    ("LANG", "the agent runs MQ commands in the C locale so that their replies can be read"),
    ("LC_ALL", "the agent runs MQ commands in the C locale so that their replies can be read"),
    ("LD_PRELOAD", "it would load a library into every MQ program"),
    ("LD_AUDIT", "it would load a library into every MQ program"),
    ("MQ_CONNECT_TYPE", "it would change how MQ programs connect to the queue manager"),
    ("MQSERVER", "it would send MQ programs' connections to another queue manager"),
    ("MQCHLLIB", "it would send MQ programs' connections to another queue manager"),
    ("MQCHLTAB", "it would send MQ programs' connections to another queue manager"),
    ("MQCCDTURL", "it would send MQ programs' connections to another queue manager"),
];

/// A refused line: its number (from 1) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub why: String,
}

/// The variables of the file's text, in order; the first bad line refuses the whole file.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, BadLine> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let bad = |why: String| BadLine { line: i + 1, why };
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(bad(format!("'{}' is not NAME=value", line.escape_default())));
        };
        let valid = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(bad(format!(
                "'{}' is not a variable name (letters, digits and _, not starting with a digit; no export, no spaces)",
                name.escape_default()
            )));
        }
        if let Some((_, why)) = REFUSED.iter().find(|(n, _)| *n == name) {
            return Err(bad(format!("{name} may not be set: {why}")));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(bad(format!("the value of {name} has a control character")));
        }
        if vars.iter().any(|(n, _)| n == name) {
            return Err(bad(format!("{name} is set twice")));
        }
        vars.push((name.to_string(), value.to_string()));
    }
    Ok(vars)
}

/// Reads and parses the file at `path`: a regular file owned by root and not writable by group
/// or others, opened without following a symbolic link and checked on the open descriptor (so
/// it cannot be swapped between the check and the read). A refusal names the file (and line):
/// `Config` (exit 6) for a file or line that is wrong everywhere, `Node` (5) when this node lacks
/// it.
pub fn read(path: &Path) -> Result<Vec<(String, String)>, MqError> {
    let at = |why: String| MqError::Config(format!("env_file={}: {why}", path.display()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => at("is a symbolic link; name the file itself".into()),
            Some(libc::ENOENT) => MqError::Node(format!("env_file={}: does not exist on this node", path.display())),
            _ => MqError::Node(format!("env_file={}: cannot open it: {e}", path.display())),
        })?;
    let md = file.metadata().map_err(|e| at(format!("cannot stat it: {e}")))?;
    if !md.file_type().is_file() {
        return Err(at(crate::fsread::not_regular(md.mode())));
    }
    if md.uid() != 0 {
        return Err(at(format!("is owned by uid {}, not root; chown root and chmod 600 it", md.uid())));
    }
    if md.mode() & 0o022 != 0 {
        return Err(at(format!("is writable by group or others (mode {:04o}); chmod 600 it", md.mode() & 0o7777)));
    }
    if md.len() > CAP {
        return Err(at(crate::fsread::too_large_text(CAP)));
    }
    let mut bytes = Vec::new();
    file.take(CAP + 1).read_to_end(&mut bytes).map_err(|e| at(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > CAP {
        return Err(at(crate::fsread::too_large_text(CAP)));
    }
    let text = crate::fsread::utf8(bytes).map_err(|e| at(e.to_string()))?;
    parse(&text).map_err(|b| at(format!("line {}: {}", b.line, b.why)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_values_comments_and_blank_lines() {
        let text = "# XA\n\nDB2INSTANCE=db2inst1\n  # indented comment\nAMQ_X=a b=c $(id) 'q'\r\nEMPTY=\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                ("DB2INSTANCE".to_string(), "db2inst1".to_string()),
                ("AMQ_X".to_string(), "a b=c $(id) 'q'".to_string()),
                ("EMPTY".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn a_bad_line_is_named_by_number() {
        for (text, line, why) in [
            ("A=1\nexport B=2\n", 2, "'export B' is not a variable name"),
            ("A=1\n\nnot a variable\n", 3, "is not NAME=value"),
            ("1A=x\n", 1, "is not a variable name"),
            ("PATH=/tmp\n", 1, "PATH may not be set"),
            ("# ok\nLD_PRELOAD=/tmp/x.so\n", 2, "LD_PRELOAD may not be set"),
            ("LD_AUDIT=/tmp/x.so\n", 1, "LD_AUDIT may not be set"),
            ("MQ_CONNECT_TYPE=CLIENT\n", 1, "MQ_CONNECT_TYPE may not be set"),
            ("A=1\nA=2\n", 2, "A is set twice"),
            ("A=x\u{1b}y\n", 1, "control character"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e:?}");
            assert!(e.why.contains(why), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn the_file_must_be_roots_and_not_writable_by_others() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("mq.env");
        std::fs::write(&f, "DB2INSTANCE=db2inst1\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        let root = nix::unistd::geteuid().is_root();
        if root {
            assert_eq!(read(&f).unwrap(), vec![("DB2INSTANCE".to_string(), "db2inst1".to_string())]);
        }
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
        let e = read(&f).unwrap_err().to_string();
        assert!(e.contains("mq.env") && (e.contains("writable by group or others (mode 0666)") || !root), "{e}");
        let link = d.path().join("link.env");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        assert!(read(&link).unwrap_err().to_string().contains("is a symbolic link"));
        let e = read(&d.path().join("none.env")).unwrap_err();
        assert_eq!(e.fault(), crate::error::Fault::Node, "{e}");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&f, "A=1\nB\n").unwrap();
        if root {
            let e = read(&f).unwrap_err();
            assert_eq!(e.fault(), crate::error::Fault::Config);
            assert!(e.to_string().contains("mq.env: line 2:"), "{e}");
        }
    }
}
