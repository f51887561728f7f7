//! What a probe asks of the queue manager, step by step, and what each step found. Validated in
//! the parent before anything is forked, so a bad name is an error naming it, not an MQ reason.

use std::time::Duration;

use super::error::MqiError;
use super::reason::{ConnectionKind, ProbeObject};

/// DynamicQName prefix of the probe's temporary dynamic queues: `MQHA.` then the queue manager's
/// unique suffix, so an administrator seeing one in DISPLAY QSTATUS knows whose it is.
pub const TEMP_DYN_PREFIX: &str = "MQHA.*";

/// One MQI action of a probe. Steps after a connect use that connection; a later connect step
/// ends the earlier connection first; the probe disconnects at its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeStep {
    /// MQCONNX in bindings mode (standard binding) to the target queue manager.
    Connect,
    /// MQCONNX as an MQ client through a server-connection channel at `conname` = `host(port)`
    /// (an MQCD passed through MQCNO.ClientConnPtr, MQCNO_CLIENT_BINDING).
    ClientConnect { channel: String, conname: String },
    /// MQOPEN of the queue-manager object for inquiry, MQINQ MQCA_Q_MGR_NAME: must be the target.
    InquireQmName,
    /// A persistent message put on `queue` and got back by the MsgId the put returned: the only
    /// message the probe ever reads from a permanent queue is the one it just put.
    PutGetPersistent { queue: String },
    /// MQOPEN of `model_queue` (a temporary dynamic model) with DynamicQName `MQHA.*`, a
    /// non-persistent put and get by MsgId, MQCLOSE (which deletes the queue).
    TempDynRoundTrip { model_queue: String },
}

impl ProbeStep {
    /// The step as an administrator reads it in an exit reason.
    pub fn label(&self) -> String {
        match self {
            ProbeStep::Connect => "MQI connect (bindings)".into(),
            ProbeStep::ClientConnect { channel, conname } => {
                format!("MQI client connect through channel {channel} at {conname}")
            }
            ProbeStep::InquireQmName => "inquiry of the queue manager name".into(),
            ProbeStep::PutGetPersistent { queue } => {
                format!("persistent put and get on {queue}")
            }
            ProbeStep::TempDynRoundTrip { model_queue } => {
                format!("temporary dynamic queue round trip (model {model_queue})")
            }
        }
    }

    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, ProbeStep::Connect | ProbeStep::ClientConnect { .. })
    }

    /// The object an MQ failure of this step concerns, for hints.
    pub fn object(&self) -> Option<ProbeObject> {
        match self {
            ProbeStep::Connect | ProbeStep::InquireQmName => None,
            ProbeStep::ClientConnect { channel, .. } => Some(ProbeObject::Channel(channel.clone())),
            ProbeStep::PutGetPersistent { queue } => Some(ProbeObject::TestQueue(queue.clone())),
            ProbeStep::TempDynRoundTrip { model_queue } => Some(ProbeObject::ModelQueue(model_queue.clone())),
        }
    }
}

/// The label of step `idx` of `steps`, including the probe's own phases around them.
pub(crate) fn phase_label(steps: &[ProbeStep], idx: Option<usize>) -> String {
    match idx {
        None => "preparation (identity change, loading the MQI library)".into(),
        Some(i) if i < steps.len() => steps[i].label(),
        Some(_) => "MQI disconnect".into(),
    }
}

/// The connection kind in force at step `idx` (the last connect at or before it).
pub(crate) fn connection_kind_at(steps: &[ProbeStep], idx: usize) -> ConnectionKind {
    // idx comes from the child's records: any number, and steps may be empty.
    steps[..steps.len().min(idx.saturating_add(1))]
        .iter()
        .rev()
        .find_map(|s| match s {
            ProbeStep::Connect => Some(ConnectionKind::Bindings),
            ProbeStep::ClientConnect { .. } => Some(ConnectionKind::Client),
            _ => None,
        })
        .unwrap_or(ConnectionKind::Bindings)
}

fn check_mq_name(what: &str, value: &str, max: usize) -> Result<(), MqiError> {
    if value.is_empty() {
        return Err(MqiError::InvalidRequest(format!("{what} is empty")));
    }
    if value.len() > max {
        return Err(MqiError::InvalidRequest(format!(
            "{what} '{value}' is {} characters long; MQ allows at most {max}",
            value.len()
        )));
    }
    if let Some(c) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || "._/%".contains(*c))) {
        return Err(MqiError::InvalidRequest(format!(
            "{what} '{value}' contains '{c}'; only A-Z a-z 0-9 . / _ % are allowed"
        )));
    }
    Ok(())
}

/// Checks a connection name `host(port)` (or a comma list of them, as MQ allows).
fn check_conname(conname: &str) -> Result<(), MqiError> {
    let bad = |why: &str| Err(MqiError::InvalidRequest(format!("connection name '{conname}' {why}")));
    if conname.is_empty() {
        return bad("is empty");
    }
    if conname.len() > 264 {
        return bad("is longer than MQ's 264 characters");
    }
    if conname.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains white space or control characters");
    }
    for part in conname.split(',') {
        let Some((host, rest)) = part.split_once('(') else {
            if part.is_empty() {
                return bad("has an empty entry");
            }
            continue; // host alone: MQ uses port 1414
        };
        let Some(port) = rest.strip_suffix(')') else {
            return bad("has no closing ')' after the port");
        };
        if host.is_empty() {
            return bad("has no host before '('");
        }
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return bad(&format!("has port '{port}', not a number 1-65535")),
        }
    }
    Ok(())
}

/// Rejects a step list the child could not run, naming the offending value.
pub fn validate_steps(steps: &[ProbeStep]) -> Result<(), MqiError> {
    match steps.first() {
        None => return Err(MqiError::InvalidRequest("no probe steps given".into())),
        Some(s) if !s.is_connect() => {
            return Err(MqiError::InvalidRequest(format!("the first probe step must connect, not '{}'", s.label())))
        }
        _ => {}
    }
    for step in steps {
        match step {
            ProbeStep::Connect | ProbeStep::InquireQmName => {}
            ProbeStep::ClientConnect { channel, conname } => {
                check_mq_name("channel name", channel, 20)?;
                check_conname(conname)?;
            }
            ProbeStep::PutGetPersistent { queue } => check_mq_name("queue name", queue, 48)?,
            ProbeStep::TempDynRoundTrip { model_queue } => check_mq_name("model queue name", model_queue, 48)?,
        }
    }
    Ok(())
}

/// What a step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    Connected,
    /// The name MQINQ returned (equal to the target's, or the probe failed).
    QmName(String),
    /// The persistent round trip's MsgId, in hex.
    MessageRoundTrip {
        msg_id: String,
    },
    /// The name the queue manager gave the temporary dynamic queue.
    TempDynQueue {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    pub step: ProbeStep,
    pub outcome: StepOutcome,
    /// Wall time of the step's MQI calls, measured in the child.
    pub elapsed: Duration,
}

/// Every step passed: their outcomes and the probe's wall time (fork to reaped child).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    pub steps: Vec<StepReport>,
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_must_connect() {
        let e = validate_steps(&[ProbeStep::InquireQmName]).unwrap_err();
        assert!(e.to_string().contains("must connect"), "{e}");
        assert!(validate_steps(&[]).is_err());
        assert!(validate_steps(&[ProbeStep::Connect, ProbeStep::InquireQmName]).is_ok());
    }

    #[test]
    fn bad_names_are_named() {
        let e = validate_steps(&[ProbeStep::Connect, ProbeStep::PutGetPersistent { queue: "HA;rm -rf".into() }])
            .unwrap_err();
        assert!(e.to_string().contains("'HA;rm -rf'") && e.to_string().contains("';'"), "{e}");
        let long = "Q".repeat(49);
        let e = validate_steps(&[ProbeStep::Connect, ProbeStep::PutGetPersistent { queue: long.clone() }]).unwrap_err();
        assert!(e.to_string().contains(&long) && e.to_string().contains("49"), "{e}");
        let e = validate_steps(&[ProbeStep::ClientConnect {
            channel: "A.CHANNEL.NAME.TOO.LONG".into(),
            conname: "127.0.0.1(1414)".into(),
        }])
        .unwrap_err();
        assert!(e.to_string().contains("A.CHANNEL.NAME.TOO.LONG"), "{e}");
    }

    #[test]
    fn connection_names() {
        assert!(check_conname("127.0.0.1(1414)").is_ok());
        assert!(check_conname("host1(1414),host2(1415)").is_ok());
        assert!(check_conname("mqhost").is_ok());
        for bad in ["", "127.0.0.1(0)", "127.0.0.1(99999)", "(1414)", "h(1414", "h (1)", "h(x)"] {
            let e = check_conname(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("'{bad}'")), "{e}");
        }
    }

    #[test]
    fn phases_and_kinds() {
        let steps = vec![
            ProbeStep::Connect,
            ProbeStep::InquireQmName,
            ProbeStep::ClientConnect { channel: "C".into(), conname: "h(1)".into() },
            ProbeStep::InquireQmName,
        ];
        assert!(phase_label(&steps, None).contains("preparation"));
        assert_eq!(phase_label(&steps, Some(1)), "inquiry of the queue manager name");
        assert_eq!(phase_label(&steps, Some(4)), "MQI disconnect");
        assert_eq!(connection_kind_at(&steps, 1), ConnectionKind::Bindings);
        assert_eq!(connection_kind_at(&steps, 3), ConnectionKind::Client);
        assert_eq!(connection_kind_at(&steps, 9), ConnectionKind::Client);
    }
}
