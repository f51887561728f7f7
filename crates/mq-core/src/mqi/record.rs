//! The result record the probe child writes to its pipe, one line per event, and its decoding in
//! the parent. A line per step start lets the parent name the step that hung when it must kill
//! the child. Free text is percent-escaped so a line never splits.

use std::time::Duration;

use super::error::MqiError;
use super::step::{connection_kind_at, phase_label, ProbeReport, ProbeStep, StepOutcome, StepReport};

/// One line from the child. Step index `steps.len()` is the final disconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Begin(usize),
    Ok { idx: usize, elapsed: Duration, outcome: StepOutcome },
    Failed { idx: usize, verb: String, cc: i32, reason: i32 },
    WrongQmName { idx: usize, expected: String, got: String },
    MessageMismatch { idx: usize, queue: String },
    Unavailable { path: String, detail: String },
    Identity { user: String, detail: String },
    Done,
}

/// Percent-escapes everything but printable ASCII other than '%' and space.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push_str("%00"); // an empty field still takes a place
    }
    out
}

pub fn unescape(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(|| format!("truncated escape in '{s}'"))?;
            let b = u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape in '{s}'"))?;
            if b != 0 {
                out.push(b);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("escaped text in '{s}' is not UTF-8"))
}

impl Record {
    /// The line (with its newline) the child writes.
    pub fn encode(&self) -> String {
        let body = match self {
            Record::Begin(i) => format!("B {i}"),
            Record::Ok { idx, elapsed, outcome } => {
                let us = elapsed.as_micros();
                let what = match outcome {
                    StepOutcome::Connected => "conn".to_string(),
                    StepOutcome::QmName(n) => format!("qmname {}", escape(n)),
                    StepOutcome::MessageRoundTrip { msg_id } => format!("msg {}", escape(msg_id)),
                    StepOutcome::TempDynQueue { name } => format!("tempdyn {}", escape(name)),
                };
                format!("O {idx} {us} {what}")
            }
            Record::Failed { idx, verb, cc, reason } => format!("F {idx} {verb} {cc} {reason}"),
            Record::WrongQmName { idx, expected, got } => {
                format!("W {idx} {} {}", escape(expected), escape(got))
            }
            Record::MessageMismatch { idx, queue } => format!("X {idx} {}", escape(queue)),
            Record::Unavailable { path, detail } => format!("U {} {}", escape(path), escape(detail)),
            Record::Identity { user, detail } => format!("I {} {}", escape(user), escape(detail)),
            Record::Done => "D".into(),
        };
        body + "\n"
    }

    pub fn decode(line: &str) -> Result<Record, String> {
        let f: Vec<&str> = line.split(' ').collect();
        let num = |i: usize| -> Result<i64, String> {
            f.get(i)
                .ok_or_else(|| format!("short record '{line}'"))?
                .parse::<i64>()
                .map_err(|_| format!("bad number in record '{line}'"))
        };
        let idx = |i: usize| num(i).and_then(|n| usize::try_from(n).map_err(|_| format!("bad index in '{line}'")));
        let text = |i: usize| -> Result<String, String> {
            unescape(f.get(i).ok_or_else(|| format!("short record '{line}'"))?)
        };
        Ok(match f[0] {
            "B" => Record::Begin(idx(1)?),
            "O" => {
                let outcome = match f.get(3).copied() {
                    Some("conn") => StepOutcome::Connected,
                    Some("qmname") => StepOutcome::QmName(text(4)?),
                    Some("msg") => StepOutcome::MessageRoundTrip { msg_id: text(4)? },
                    Some("tempdyn") => StepOutcome::TempDynQueue { name: text(4)? },
                    _ => return Err(format!("unknown outcome in record '{line}'")),
                };
                let us = u64::try_from(num(2)?).map_err(|_| format!("bad time in '{line}'"))?;
                Record::Ok { idx: idx(1)?, elapsed: Duration::from_micros(us), outcome }
            }
            "F" => Record::Failed {
                idx: idx(1)?,
                verb: f.get(2).ok_or_else(|| format!("short record '{line}'"))?.to_string(),
                cc: num(3)? as i32,
                reason: num(4)? as i32,
            },
            "W" => Record::WrongQmName { idx: idx(1)?, expected: text(2)?, got: text(3)? },
            "X" => Record::MessageMismatch { idx: idx(1)?, queue: text(2)? },
            "U" => Record::Unavailable { path: text(1)?, detail: text(2)? },
            "I" => Record::Identity { user: text(1)?, detail: text(2)? },
            "D" => Record::Done,
            _ => return Err(format!("unknown record '{line}'")),
        })
    }
}

/// The step the child last began (None before the first): what it was doing if it hung.
pub fn last_begun(records: &[Record]) -> Option<usize> {
    records.iter().rev().find_map(|r| match r {
        Record::Begin(i) => Some(*i),
        _ => None,
    })
}

/// Turns a finished child's records into the probe's result. `status` describes how the child
/// ended, for the case it left no verdict.
pub fn verdict(
    steps: &[ProbeStep],
    records: &[Record],
    elapsed: Duration,
    status: &str,
) -> Result<ProbeReport, MqiError> {
    let mut reports = Vec::new();
    for r in records {
        match r {
            Record::Begin(_) => {}
            Record::Ok { idx, elapsed, outcome } => {
                let step = steps.get(*idx).cloned().ok_or_else(|| MqiError::ChildDied {
                    step: phase_label(steps, Some(*idx)),
                    status: format!("result for unknown step {idx}"),
                })?;
                reports.push(StepReport { step, outcome: outcome.clone(), elapsed: *elapsed });
            }
            Record::Failed { idx, verb, cc, reason } => {
                return Err(MqiError::Call {
                    step: phase_label(steps, Some(*idx)),
                    verb: verb.clone(),
                    cc: *cc,
                    reason: *reason,
                    kind: connection_kind_at(steps, *idx),
                    object: steps.get(*idx).and_then(|s| s.object()),
                })
            }
            Record::WrongQmName { expected, got, .. } => {
                return Err(MqiError::WrongQmName { expected: expected.clone(), got: got.clone() })
            }
            Record::MessageMismatch { queue, .. } => return Err(MqiError::MessageMismatch { queue: queue.clone() }),
            Record::Unavailable { path, detail } => {
                return Err(MqiError::Unavailable { path: path.into(), detail: detail.clone() })
            }
            Record::Identity { user, detail } => {
                return Err(MqiError::Identity { user: user.clone(), detail: detail.clone() })
            }
            Record::Done => return Ok(ProbeReport { steps: reports, elapsed }),
        }
    }
    Err(MqiError::ChildDied { step: phase_label(steps, last_begun(records)), status: status.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps() -> Vec<ProbeStep> {
        vec![ProbeStep::Connect, ProbeStep::InquireQmName, ProbeStep::PutGetPersistent { queue: "HA.TESTQUEUE".into() }]
    }

    #[test]
    fn every_record_round_trips() {
        let all = vec![
            Record::Begin(0),
            Record::Ok { idx: 0, elapsed: Duration::from_micros(1234), outcome: StepOutcome::Connected },
            Record::Ok { idx: 1, elapsed: Duration::ZERO, outcome: StepOutcome::QmName("QM 1%".into()) },
            Record::Ok {
                idx: 2,
                elapsed: Duration::from_micros(7),
                outcome: StepOutcome::MessageRoundTrip { msg_id: "414d51".into() },
            },
            Record::Ok {
                idx: 3,
                elapsed: Duration::ZERO,
                outcome: StepOutcome::TempDynQueue { name: "MQHA.X".into() },
            },
            Record::Failed { idx: 1, verb: "MQINQ".into(), cc: 2, reason: 2059 },
            Record::WrongQmName { idx: 1, expected: "QM1".into(), got: "".into() },
            Record::MessageMismatch { idx: 2, queue: "Q".into() },
            Record::Unavailable {
                path: "/opt/mqm/lib64/libmqm_r.so".into(),
                detail: "cannot open: no such file\nx".into(),
            },
            Record::Identity { user: "mqm".into(), detail: "setuid: EPERM".into() },
            Record::Done,
        ];
        for r in all {
            let line = r.encode();
            assert!(line.ends_with('\n') && line.matches('\n').count() == 1, "{line:?}");
            assert_eq!(Record::decode(line.trim_end_matches('\n')).unwrap(), r, "{line}");
        }
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "Z 1", "B x", "O 1 2 nonsense", "F 1 MQCONNX 2", "W 1 %G0 x", "U %4"] {
            assert!(Record::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn success_needs_done() {
        let recs = vec![
            Record::Begin(0),
            Record::Ok { idx: 0, elapsed: Duration::from_millis(1), outcome: StepOutcome::Connected },
            Record::Begin(1),
            Record::Ok { idx: 1, elapsed: Duration::from_millis(1), outcome: StepOutcome::QmName("QM1".into()) },
        ];
        let e = verdict(&steps(), &recs, Duration::ZERO, "killed by SIGSEGV").unwrap_err();
        assert_eq!(
            e,
            MqiError::ChildDied {
                step: "inquiry of the queue manager name".into(),
                status: "killed by SIGSEGV".into()
            }
        );
        let mut done = recs.clone();
        done.push(Record::Begin(3));
        done.push(Record::Done);
        let rep = verdict(&steps(), &done, Duration::from_millis(5), "exit 0").unwrap();
        assert_eq!(rep.steps.len(), 2);
        assert_eq!(rep.steps[1].outcome, StepOutcome::QmName("QM1".into()));
    }

    #[test]
    fn failure_carries_step_verb_and_object() {
        let recs = vec![
            Record::Begin(0),
            Record::Ok { idx: 0, elapsed: Duration::ZERO, outcome: StepOutcome::Connected },
            Record::Begin(2),
            Record::Failed { idx: 2, verb: "MQOPEN".into(), cc: 2, reason: 2085 },
            Record::Done,
        ];
        let e = verdict(&steps(), &recs, Duration::ZERO, "exit 0").unwrap_err();
        assert_eq!(e.reason(), Some(2085));
        let s = e.with_hint();
        assert!(s.contains("MQOPEN failed during persistent put and get on HA.TESTQUEUE"), "{s}");
        assert!(s.contains("2085 MQRC_UNKNOWN_OBJECT_NAME") && s.contains("created at start"), "{s}");
    }

    #[test]
    fn last_begun_names_the_hung_step() {
        assert_eq!(last_begun(&[]), None);
        assert_eq!(last_begun(&[Record::Begin(0), Record::Begin(1)]), Some(1));
    }

    // The records come from the probe child, which runs the installation's library as the mq
    // user: whatever it writes to the pipe must come back as an error, never a panic.
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn any_line_decodes_or_errs_and_any_records_give_a_verdict(
            lines in proptest::collection::vec("[BOFWXUID] ([0-9]{1,20}|-?[0-9]{1,3}|[ -~]{0,12})( [ -~%]{0,16}){0,4}|.{0,40}", 1..6)
        ) {
            let records: Vec<Record> = lines.iter().filter_map(|l| Record::decode(l).ok()).collect();
            let _ = verdict(&steps(), &records, Duration::ZERO, "exit status 0");
            let _ = verdict(&[], &records, Duration::ZERO, "exit status 0");
            let _ = last_begun(&records);
        }

        #[test]
        fn escape_round_trips(s in "[^\\x00]{0,40}") {
            proptest::prop_assert_eq!(unescape(&escape(&s)).unwrap(), s);
        }
    }
}
