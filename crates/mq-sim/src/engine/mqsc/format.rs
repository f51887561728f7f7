//! The MQSC reply formatter: a command's reply lines with its outcome, the AMQ8405I syntax-error
//! segment, and runmqsc's attribute layout. runmqsc itself writes the echo and the summary.

use super::replies;
use crate::wire::MqscOutcome;

/// One command's reply lines and the outcome runmqsc counts it under.
pub(super) struct Reply {
    pub(super) lines: Vec<String>,
    pub(super) outcome: MqscOutcome,
}

impl Reply {
    pub(super) fn ok(line: &str) -> Reply {
        Reply { lines: vec![line.to_string()], outcome: MqscOutcome::Processed }
    }
    pub(super) fn failed(line: String) -> Reply {
        Reply { lines: vec![line], outcome: MqscOutcome::Failed }
    }
    pub(super) fn syntax(cmd: &str, at: usize) -> Reply {
        let seg = cmd.get(..at.min(cmd.len())).unwrap_or(cmd).trim_end();
        Reply { lines: vec![replies::AMQ8405.into(), seg.to_string()], outcome: MqscOutcome::SyntaxError }
    }
    pub(super) fn not_found(name: &str) -> Reply {
        Reply::failed(replies::amq8147(name))
    }
}

/// Attribute block layout of runmqsc: 3 blanks, two attributes per line, the second at offset 43;
/// an attribute that does not leave room for a neighbour gets a line of its own.
pub(super) fn format_block(header: &str, attrs: &[String]) -> Vec<String> {
    let mut lines = vec![header.to_string()];
    let mut pending: Option<&String> = None;
    for a in attrs {
        if a.len() > 37 {
            if let Some(p) = pending.take() {
                lines.push(format!("   {p}"));
            }
            lines.push(format!("   {a}"));
            continue;
        }
        match pending.take() {
            None => pending = Some(a),
            Some(p) => lines.push(format!("   {p:<40}{a}")),
        }
    }
    if let Some(p) = pending {
        lines.push(format!("   {p}"));
    }
    lines
}

pub(super) fn kv(name: &str, value: &str) -> String {
    if value.is_empty() {
        format!("{name}( )")
    } else {
        format!("{name}({value})")
    }
}

pub(super) fn yes_no(b: bool) -> &'static str {
    if b {
        "YES"
    } else {
        "NO"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_layout_matches_reference() {
        // docs/reference/mq-commands.md#runmqsc-report: "   QMNAME(QM1)                             TYPE(QMGR)" —
        // second slot at offset 43.
        let lines = format_block(replies::AMQ8705, &["QMNAME(QM1)".into(), "TYPE(QMGR)".into()]);
        assert_eq!(lines[1], "   QMNAME(QM1)                             TYPE(QMGR)");
        assert_eq!(lines[1].find("TYPE").unwrap(), 43);
        let long =
            format_block("h", &["CONNAUTH(SYSTEM.DEFAULT.AUTHINFO.IDPWOS)".into(), "A(1)".into(), "B(2)".into()]);
        assert_eq!(long[1], "   CONNAUTH(SYSTEM.DEFAULT.AUTHINFO.IDPWOS)");
        assert_eq!(long[2].find("B(2)"), Some(43));
    }
}
