//! Reading `dspmq -n -m QM` (untranslated form, docs/reference/mq-commands.md#dspmq-states): the queue manager's
//! state as MQ itself reports it. Decisions on what a state means belong to the caller.

use std::fmt;

pub mod nativeha;

/// A queue manager's state as `dspmq -n` prints it in STATUS(...), plus "not known here".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QmState {
    Starting,
    Running,
    RunningAsStandby,
    RunningElsewhere,
    /// A Native HA replica instance runs here (`STATUS(Replica)`, under -n `REPLICA`;
    /// docs/reference/native-ha.md#dspmq-status-native-ha). Never "Running as replica".
    Replica,
    Quiescing,
    EndingImmediately,
    EndingPreemptively,
    EndedNormally,
    EndedImmediately,
    EndedPreemptively,
    EndedUnexpectedly,
    StatusNotAvailable,
    /// dspmq does not know the queue manager on this node (AMQ7048E, rc 72).
    Unknown,
    /// Any other STATUS text (a CRR recovery-group leader, future releases), kept verbatim.
    Other(String),
}

impl QmState {
    /// Maps the STATUS value of `dspmq -n` (or the translated form) to a state.
    pub fn from_status(s: &str) -> QmState {
        let norm: String = s.trim().to_ascii_uppercase().replace('-', "");
        match norm.as_str() {
            "STARTING" => QmState::Starting,
            "RUNNING" => QmState::Running,
            "RUNNING AS STANDBY" => QmState::RunningAsStandby,
            "RUNNING ELSEWHERE" => QmState::RunningElsewhere,
            "REPLICA" => QmState::Replica,
            "QUIESCING" => QmState::Quiescing,
            "ENDING IMMEDIATELY" => QmState::EndingImmediately,
            // "PRE-EMPTIVELY" from MQ 8 on, "PREEMPTIVELY" in 7.5 (the '-' was removed above)
            "ENDING PREEMPTIVELY" => QmState::EndingPreemptively,
            "ENDED NORMALLY" => QmState::EndedNormally,
            "ENDED IMMEDIATELY" => QmState::EndedImmediately,
            "ENDED PREEMPTIVELY" => QmState::EndedPreemptively,
            "ENDED UNEXPECTEDLY" => QmState::EndedUnexpectedly,
            "STATUS NOT AVAILABLE" | "NOT AVAILABLE" => QmState::StatusNotAvailable,
            _ => QmState::Other(s.trim().to_string()),
        }
    }

    /// The queue manager ended and says so; whether processes are left is for /proc to tell.
    pub fn is_ended(&self) -> bool {
        matches!(
            self,
            QmState::EndedNormally
                | QmState::EndedImmediately
                | QmState::EndedPreemptively
                | QmState::EndedUnexpectedly
        )
    }

    /// A state MQ passes through on its own: starting or ending.
    pub fn is_transitional(&self) -> bool {
        matches!(
            self,
            QmState::Starting | QmState::Quiescing | QmState::EndingImmediately | QmState::EndingPreemptively
        )
    }
}

impl fmt::Display for QmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            QmState::Starting => "Starting",
            QmState::Running => "Running",
            QmState::RunningAsStandby => "Running as standby",
            QmState::RunningElsewhere => "Running elsewhere",
            QmState::Replica => "Replica",
            QmState::Quiescing => "Quiescing",
            QmState::EndingImmediately => "Ending immediately",
            QmState::EndingPreemptively => "Ending pre-emptively",
            QmState::EndedNormally => "Ended normally",
            QmState::EndedImmediately => "Ended immediately",
            QmState::EndedPreemptively => "Ended pre-emptively",
            QmState::EndedUnexpectedly => "Ended unexpectedly",
            QmState::StatusNotAvailable => "Status not available",
            QmState::Unknown => "not known on this node",
            QmState::Other(s) => return write!(f, "{s}"),
        };
        f.write_str(s)
    }
}

/// One instance line of `dspmq -x` (multi-instance): host and mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub host: String,
    pub mode: String,
}

/// What `dspmq -n [-x] -m QM` said about one queue manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DspmqReport {
    pub name: String,
    pub state: QmState,
    pub instances: Vec<Instance>,
}

/// Why dspmq's answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DspmqError {
    #[error("dspmq exited {rc}: {line}")]
    Failed { rc: i32, line: String },
    #[error("dspmq printed no line for queue manager '{qm}': {output}")]
    NoLine { qm: String, output: String },
}

/// The value of `KEY(value)` in a dspmq or MQSC line; values may contain blanks and commas.
pub fn attr<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    if key.is_empty() {
        return None; // nothing to look for, and the search below would not advance
    }
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(pos) = line[from..].find(key) {
        let at = from + pos;
        let end = at + key.len();
        let boundary = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        if boundary && bytes.get(end) == Some(&b'(') {
            let rest = &line[end + 1..];
            return rest.find(')').map(|close| &rest[..close]);
        }
        from = end;
    }
    None
}

/// Parses the output and exit code of `dspmq -n [-x] -m QM`.
pub fn parse(qm: &str, rc: i32, output: &str) -> Result<DspmqReport, DspmqError> {
    // AMQ7048E (rc 72): name not valid or not known; AMQ8919E: no matching names.
    if rc == 72 || output.contains("AMQ7048") || output.contains("AMQ8919") {
        return Ok(DspmqReport { name: qm.to_string(), state: QmState::Unknown, instances: vec![] });
    }
    let mut report: Option<DspmqReport> = None;
    for line in output.lines() {
        if let Some(name) = attr(line, "QMNAME") {
            if name != qm {
                // Without -m every queue manager is listed; only ours counts.
                if report.is_some() {
                    break;
                }
                continue;
            }
            let status = attr(line, "STATUS").unwrap_or("");
            report =
                Some(DspmqReport { name: name.to_string(), state: QmState::from_status(status), instances: vec![] });
        } else if let (Some(r), Some(host)) = (report.as_mut(), attr(line, "INSTANCE")) {
            r.instances.push(Instance { host: host.to_string(), mode: attr(line, "MODE").unwrap_or("").to_string() });
        }
    }
    match report {
        Some(r) => Ok(r),
        None if rc != 0 => Err(DspmqError::Failed { rc, line: explaining(output) }),
        None => Err(DspmqError::NoLine { qm: qm.to_string(), output: explaining(output) }),
    }
}

fn explaining(output: &str) -> String {
    output
        .lines()
        .find(|l| l.trim_start().starts_with("AMQ"))
        .or_else(|| output.lines().rfind(|l| !l.trim().is_empty()))
        .unwrap_or("(no output)")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines as captured in docs/reference/mq-commands.md#dspmq-output (column 59 layout) and their -n forms.
    #[test]
    fn every_status_of_the_reference_table() {
        let cases = [
            ("STARTING", QmState::Starting),
            ("RUNNING", QmState::Running),
            ("RUNNING AS STANDBY", QmState::RunningAsStandby),
            ("RUNNING ELSEWHERE", QmState::RunningElsewhere),
            ("QUIESCING", QmState::Quiescing),
            ("ENDING IMMEDIATELY", QmState::EndingImmediately),
            ("ENDING PRE-EMPTIVELY", QmState::EndingPreemptively),
            ("ENDING PREEMPTIVELY", QmState::EndingPreemptively),
            ("ENDED NORMALLY", QmState::EndedNormally),
            ("ENDED IMMEDIATELY", QmState::EndedImmediately),
            ("ENDED PRE-EMPTIVELY", QmState::EndedPreemptively),
            ("ENDED PREEMPTIVELY", QmState::EndedPreemptively),
            ("ENDED UNEXPECTEDLY", QmState::EndedUnexpectedly),
            ("STATUS NOT AVAILABLE", QmState::StatusNotAvailable),
            ("Not available", QmState::StatusNotAvailable),
            ("Running as standby", QmState::RunningAsStandby),
            ("REPLICA", QmState::Replica),
            ("Replica", QmState::Replica),
            ("RECOVERY GROUP LEADER", QmState::Other("RECOVERY GROUP LEADER".into())),
        ];
        for (status, want) in cases {
            let line = format!("{:<58}STATUS({status})\n", "QMNAME(QM1)");
            assert_eq!(parse("QM1", 0, &line).unwrap().state, want, "{status}");
        }
    }

    #[test]
    fn unknown_queue_manager() {
        let out = "AMQ7048E: The queue manager name is either not valid or not known.\n";
        assert_eq!(parse("NOPE", 72, out).unwrap().state, QmState::Unknown);
    }

    #[test]
    fn picks_our_line_and_never_a_prefix_match() {
        let out = "QMNAME(QM10)                                              STATUS(Running)\n\
                   QMNAME(QM1)                                               STATUS(Ended normally)\n";
        assert_eq!(parse("QM1", 0, out).unwrap().state, QmState::EndedNormally);
        assert!(parse("QM", 0, out).is_err());
    }

    // `dspmq -o all` lines grow with the release (docs/reference/mq-commands.md#dspmq-output):
    // 9.4 (and 10.0, taken as 9.4) carry an empty INSTANCE() field on the QMNAME line, which is
    // not an instance line of -x.
    #[test]
    fn the_field_sets_of_9_2_to_10_0() {
        let base = "QMNAME(QM1)                                               STATUS(RUNNING) DEFAULT(NO) \
                    STANDBY(NOT PERMITTED) INSTNAME(Installation1) INSTPATH(/opt/mqm) INSTVER(9.4.0.0)";
        for extra in [
            "",
            " HA() DRROLE()",
            " ROLE(NOT CONFIGURED) INSTANCE() INSYNC() QUORUM()",
            " ROLE(NOT CONFIGURED) INSTANCE() INSYNC() QUORUM() GRPLSN() GRPNAME() GRPROLE(NOT CONFIGURED)",
        ] {
            let out = format!("{base}{extra}\n    INSTANCE(node-a) MODE(ACTIVE)\n");
            let r = parse("QM1", 0, &out).unwrap();
            assert_eq!(r.state, QmState::Running, "{extra}");
            assert_eq!(r.instances, vec![Instance { host: "node-a".into(), mode: "ACTIVE".into() }], "{extra}");
        }
    }

    #[test]
    fn instance_lines_of_dash_x() {
        let out = "QMNAME(PSAP)                                              STATUS(RUNNING)\n    INSTANCE(node-a) MODE(ACTIVE)\n    INSTANCE(node-b) MODE(STANDBY)\n";
        let r = parse("PSAP", 0, out).unwrap();
        assert_eq!(r.instances.len(), 2);
        assert_eq!(r.instances[1], Instance { host: "node-b".into(), mode: "STANDBY".into() });
    }

    #[test]
    fn attribute_reader_respects_key_boundaries() {
        let l = "QMNAME(QM1) STATUS(Running) DEFAULT(no) STANDBY(Not permitted) INSTNAME(Installation1)";
        assert_eq!(attr(l, "NAME"), None);
        assert_eq!(attr(l, "INSTNAME"), Some("Installation1"));
        assert_eq!(attr(l, "STANDBY"), Some("Not permitted"));
    }

    #[test]
    fn other_failures_carry_the_line() {
        let e = parse("QM1", 71, "AMQ6090E: IBM MQ was unable to display an error message.\n").unwrap_err();
        assert!(e.to_string().contains("AMQ6090E"), "{e}");
    }
}
