//! Talking MQSC through `runmqsc QM` (stdin script, report on stdout; docs/reference/mq-commands.md#runmqsc-report)
//! and reading the report: one section per command echo, each with its AMQ replies and their attributes.

/// One reply message of a command: `AMQ8409I: Display Queue details.` plus its attribute block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The message id with its severity letter when there is one, e.g. `AMQ8409I`.
    pub id: String,
    pub text: String,
    pub attrs: Vec<(String, String)>,
}

impl Reply {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    /// Compares the numeric part only: 7.5/8.0 print `AMQ8409`, 9.x `AMQ8409I`.
    pub fn is(&self, number: &str) -> bool {
        self.id.trim_end_matches(|c: char| c.is_ascii_alphabetic()).ends_with(number)
    }
}

/// The replies to one command of the script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    pub command: String,
    pub replies: Vec<Reply>,
}

impl Section {
    pub fn find(&self, number: &str) -> Option<&Reply> {
        self.replies.iter().find(|r| r.is(number))
    }
}

/// A whole runmqsc report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Replies printed before any command echo (e.g. AMQ8146E when the queue manager is down).
    pub preamble: Vec<Reply>,
    pub sections: Vec<Section>,
}

impl Report {
    /// The reply that says runmqsc could not reach the queue manager at all, if there is one:
    /// AMQ8146E not available, AMQ8118E does not exist.
    pub fn unavailable(&self) -> Option<&Reply> {
        self.preamble
            .iter()
            .chain(self.sections.iter().flat_map(|s| s.replies.iter()))
            .find(|r| r.is("AMQ8146") || r.is("AMQ8118"))
    }

    /// The reply `number` (e.g. "8409") to `command` of the script, found by the command's echo,
    /// so a script's replies are read by what was asked, not by position.
    pub fn answer(&self, command: &str, number: &str) -> Option<&Reply> {
        let words = |c: &str| c.split_whitespace().map(str::to_ascii_uppercase).collect::<Vec<_>>();
        let want = words(command);
        self.sections.iter().find(|s| words(&s.command) == want).and_then(|s| s.find(number))
    }

    /// The first error reply (severity E) and the command it answers.
    pub fn first_error(&self) -> Option<(&Section, &Reply)> {
        self.sections.iter().find_map(|s| s.replies.iter().find(|r| r.id.ends_with('E')).map(|r| (s, r)))
    }
}

fn parse_attrs(line: &str, out: &mut Vec<(String, String)>) {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i == start {
            i += 1; // not an attribute character; skip it
            continue;
        }
        let key = line[start..i].to_string();
        if i < b.len() && b[i] == b'(' {
            // Values nest parentheses, e.g. CONNAME(127.0.0.1(1414)).
            let vstart = i + 1;
            let mut depth = 1;
            i += 1;
            while i < b.len() && depth > 0 {
                match b[i] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            let vend = if depth == 0 { i - 1 } else { i };
            out.push((key, line[vstart..vend].trim().to_string()));
        } else {
            out.push((key, String::new()));
        }
    }
}

/// `AMQnnnnX: text` -> (`AMQnnnnX`, `text`). Checked on bytes: a line such as `AMQ12é:` from a
/// command's output must not split a character (a panic in stop is a fenced node).
fn message_id(line: &str) -> Option<(&str, &str)> {
    let l = line.trim_start();
    let rest = l.strip_prefix("AMQ")?;
    let colon = l.find(':')?;
    let id = &l[..colon];
    let digits = rest.as_bytes().get(..4)?;
    if id.len() < 7 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((id, l[colon + 1..].trim()))
}

/// The command text of an echo line `     1 : DISPLAY QMGR`, if `line` is one.
fn echo(line: &str) -> Option<&str> {
    let (num, cmd) = line.split_once(" : ")?;
    let num = num.trim();
    if !num.is_empty() && num.bytes().all(|c| c.is_ascii_digit()) {
        Some(cmd.trim())
    } else {
        None
    }
}

/// Parses a runmqsc report (run without -e, so that command echoes delimit the sections).
pub fn parse(output: &str) -> Report {
    let mut report = Report::default();
    let mut current: Option<Section> = None;
    for line in output.lines() {
        if let Some(cmd) = echo(line) {
            if let Some(s) = current.take() {
                report.sections.push(s);
            }
            current = Some(Section { command: cmd.to_string(), replies: vec![] });
            continue;
        }
        let replies = match current.as_mut() {
            Some(s) => &mut s.replies,
            None => &mut report.preamble,
        };
        if let Some((id, text)) = message_id(line) {
            replies.push(Reply { id: id.to_string(), text: text.to_string(), attrs: vec![] });
        } else if line.starts_with("   ") && !line.trim().is_empty() {
            if let Some(r) = replies.last_mut() {
                parse_attrs(line, &mut r.attrs);
            }
        }
    }
    if let Some(s) = current.take() {
        report.sections.push(s);
    }
    report
}

/// Quotes an MQ object name for MQSC so that its case is kept (unquoted names are upper-cased).
/// The name must already be validated (no quote characters can occur in a valid name).
pub fn quoted(name: &str) -> String {
    format!("'{name}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/reference/mq-commands.md#runmqsc-report (MQ 9.4.2 output published by Instana), trimmed attribute block.
    const QMSTATUS: &str = r#"5724-H72 (C) Copyright IBM Corp. 1994, 2025.
Starting MQSC for queue manager QM1.


     1 : DISPLAY QMSTATUS CMDSERV CHINIT
AMQ8705I: Display Queue Manager Status Details.
   QMNAME(QM1)                             STATUS(RUNNING)
   CHINIT(RUNNING)                         CMDSERV(STOPPED)
     2 : DISPLAY QLOCAL('HA.TESTQUEUE') DEFPSIST
AMQ8147E: IBM MQ object HA.TESTQUEUE not found.
     3 : DISPLAY CHANNEL(X) CONNAME
AMQ8414I: Display Channel details.
   CHANNEL(X)                              CHLTYPE(SDR)
   CONNAME(127.0.0.1(1414))                DESCR( )
   CURRENT
3 MQSC commands read.
No commands have a syntax error.
One valid MQSC command could not be processed.
"#;

    #[test]
    fn sections_replies_and_attributes() {
        let r = parse(QMSTATUS);
        assert_eq!(r.sections.len(), 3);
        let s = &r.sections[0];
        assert_eq!(s.command, "DISPLAY QMSTATUS CMDSERV CHINIT");
        let rep = s.find("8705").unwrap();
        assert_eq!(rep.attr("CMDSERV"), Some("STOPPED"));
        assert_eq!(rep.attr("CHINIT"), Some("RUNNING"));
        assert!(r.sections[1].find("8147").is_some());
        let ch = r.sections[2].find("8414").unwrap();
        assert_eq!(ch.attr("CONNAME"), Some("127.0.0.1(1414)"));
        assert_eq!(ch.attr("DESCR"), Some(""));
        assert_eq!(ch.attr("CURRENT"), Some(""));
        assert!(r.unavailable().is_none());
        assert_eq!(
            r.answer("display qmstatus  CMDSERV CHINIT", "8705").and_then(|r| r.attr("CHINIT")),
            Some("RUNNING")
        );
        assert!(r.answer("DISPLAY QLOCAL('HA.TESTQUEUE') DEFPSIST", "8147").is_some());
        assert!(r.answer("DISPLAY QLOCAL('HA.TESTQUEUE') DEFPSIST", "8409").is_none());
        assert!(r.answer("DISPLAY QMGR", "8408").is_none());
    }

    #[test]
    fn queue_manager_not_available_mq8_and_mq9() {
        // Checkmk fixture (MQ 8 wording, no severity letter) and the 9.x form.
        for line in
            ["AMQ8146: WebSphere MQ queue manager not available.", "AMQ8146E: IBM MQ queue manager not available."]
        {
            let out = format!("5724-H72 (C) Copyright IBM Corp. 1994, 2011.  ALL RIGHTS RESERVED.\nStarting MQSC for queue manager QM1.\n\n\n{line}\n\nNo MQSC commands read.\nNo commands have a syntax error.\nAll valid MQSC commands were processed.\n");
            let r = parse(&out);
            assert!(r.unavailable().is_some(), "{line}");
            assert!(r.sections.is_empty());
        }
    }

    #[test]
    fn quoting_keeps_case() {
        assert_eq!(quoted("ha.test"), "'ha.test'");
    }

    #[test]
    fn a_message_id_with_a_multibyte_character_is_not_a_reply() {
        for line in ["AMQ123\u{e9}: x", "AMQ12\u{e9}: x", "AMQ\u{e9}\u{e9}1: x", "AMQ1:", "AMQ"] {
            assert_eq!(message_id(line), None, "{line}");
        }
        let r = parse("     1 : DISPLAY QMGR\nAMQ123\u{e9}: odd\nAMQ8409I: Display Queue details.\n");
        assert_eq!(r.sections[0].replies.len(), 1);
    }
}
