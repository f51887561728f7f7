//! Why an MQI probe did not pass: the failing verb with its completion and reason code, a timeout
//! naming the step that hung, or a reason the probe could not run at all.

use std::path::PathBuf;
use std::time::Duration;

use super::reason::{self, completion_name, describe_reason, ConnectionKind, ProbeObject, ReasonClass};

fn call_text(cc: &i32, reason: &i32) -> String {
    format!("completion code {cc} {}, reason {}", completion_name(*cc), describe_reason(*reason))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MqiError {
    /// The request itself is wrong (a name too long, no connect step ...); nothing was run.
    #[error("invalid MQI probe request: {0}")]
    InvalidRequest(String),

    /// The installation's MQI library is missing or cannot be loaded.
    #[error("the MQI library {} cannot be used: {detail}", path.display())]
    Unavailable { path: PathBuf, detail: String },

    /// An MQI verb failed.
    #[error("{verb} failed during {step}: {}", call_text(.cc, .reason))]
    Call {
        step: String,
        verb: String,
        cc: i32,
        reason: i32,
        kind: ConnectionKind,
        /// The queue or channel the step named, for the hint.
        object: Option<ProbeObject>,
    },

    /// MQINQ answered with another queue manager's name: the connection reached the wrong one.
    #[error("the queue manager answered as '{got}' instead of '{expected}'")]
    WrongQmName { expected: String, got: String },

    /// The message got back by MsgId differs from the one put: not ours, or damaged.
    #[error("the message read back from {queue} differs from the one the probe put")]
    MessageMismatch { queue: String },

    /// The deadline passed; the probe's process group was killed.
    #[error("the MQI probe did not finish within {} ms: it hung during {step}; the probe process was killed", .waited.as_millis())]
    Timeout { step: String, waited: Duration },

    /// The queue manager did not answer the bounded first steps (connect, inquiry) within
    /// `bound`: it is hung (or too overloaded to serve). The probe's process group was killed.
    #[error("the queue manager did not answer within {}s: no reply to {step}; the probe process was killed", .bound.as_secs_f64())]
    NoAnswer { step: String, bound: Duration },

    /// The child could not drop to the mq user.
    #[error("the MQI probe could not run as user {user}: {detail}")]
    Identity { user: String, detail: String },

    /// fork/pipe failed.
    #[error("could not start the MQI probe process: {0}")]
    Spawn(String),

    /// The child ended without a result, e.g. killed by a signal inside the MQI library.
    #[error("the MQI probe process ended without a result ({status}) during {step}")]
    ChildDied { step: String, status: String },
}

impl MqiError {
    /// The MQ reason code, for a failed verb.
    pub fn reason(&self) -> Option<i32> {
        match self {
            MqiError::Call { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// What the reason says about the queue manager, for a failed verb.
    pub fn class(&self) -> Option<ReasonClass> {
        self.reason().map(reason::classify)
    }

    /// What an administrator should change, where that is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            MqiError::Call { reason, kind, object, .. } => reason::hint(*reason, *kind, object.as_ref()),
            MqiError::Unavailable { .. } => Some(
                "check the mq_installation parameter: its lib64 directory must hold the \
                 installation's libmqm_r.so"
                    .into(),
            ),
            MqiError::Timeout { .. } => Some(
                "the queue manager accepted the call but did not answer: it may be hung; check \
                 its error log and FDC files"
                    .into(),
            ),
            MqiError::NoAnswer { .. } => Some(
                "the queue manager accepted the connection but did not answer: it is hung; check \
                 its error log and FDC files (the agent ends it with endmqm -p and then kills it)"
                    .into(),
            ),
            MqiError::WrongQmName { .. } => Some(
                "another queue manager answered: check the client connection name and that the \
                 listener belongs to this queue manager"
                    .into(),
            ),
            _ => None,
        }
    }

    /// The error and its hint in one line, as an exit reason wants it.
    /// A short reason for queue manager `qm`: the check, the verb, the reason code and name, and
    /// what to change, first; `with_hint` has the full text.
    pub fn brief(&self, qm: &str) -> String {
        match self {
            MqiError::Call { verb, reason, kind, object, step, .. } => {
                let name = reason::reason_name(*reason).unwrap_or("").trim_start_matches("MQRC_");
                let what = match (kind, object) {
                    (ConnectionKind::Client, Some(ProbeObject::Channel(c))) => format!("client check on {c}"),
                    (ConnectionKind::Client, _) => "client check".to_string(),
                    (_, Some(o)) => format!("check on {}", o.name()),
                    _ => step.clone(),
                };
                let todo = reason::short_hint(*reason, *kind).map(|t| format!("; {t}")).unwrap_or_default();
                format!("{qm} {what}: {verb} {reason} {name}{todo}")
            }
            other => format!("{qm}: {other}"),
        }
    }

    pub fn with_hint(&self) -> String {
        match self.hint() {
            Some(h) => format!("{self}; {h}"),
            None => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_error_names_verb_codes_and_reason() {
        let e = MqiError::Call {
            step: "MQI client connect through channel APP.SVRCONN at 127.0.0.1(1414)".into(),
            verb: "MQCONNX".into(),
            cc: 2,
            reason: 2035,
            kind: ConnectionKind::Client,
            object: Some(ProbeObject::Channel("APP.SVRCONN".into())),
        };
        let s = e.to_string();
        assert!(s.starts_with("MQCONNX failed during MQI client connect"), "{s}");
        assert!(s.contains("completion code 2 MQCC_FAILED, reason 2035 MQRC_NOT_AUTHORIZED"), "{s}");
        assert_eq!(e.reason(), Some(2035));
        assert_eq!(e.class(), Some(ReasonClass::Security));
        assert!(e.with_hint().contains("CHLAUTH"));
    }

    #[test]
    fn brief_puts_code_and_remedy_first() {
        let e = MqiError::Call {
            step: "client connect".into(),
            verb: "MQCONNX".into(),
            cc: 2,
            reason: 2035,
            kind: ConnectionKind::Client,
            object: Some(ProbeObject::Channel("APP.SVRCONN".into())),
        };
        let b = e.brief("QM1");
        assert_eq!(
            b,
            "QM1 client check on APP.SVRCONN: MQCONNX 2035 NOT_AUTHORIZED; set client_user and its monitoring channel (man ocf_mqha_ibmmq)"
        );
        assert!(b.len() <= 128, "{b}");
    }

    #[test]
    fn timeout_names_the_step() {
        let e = MqiError::Timeout { step: "inquiry of the queue manager name".into(), waited: Duration::from_secs(3) };
        assert!(e.to_string().contains("within 3000 ms: it hung during inquiry of the queue manager name"), "{e}");
        assert_eq!(e.reason(), None);
    }
}
