//! `ibmmq check QM`: the node checks a start makes, for an administrator, before the queue
//! manager goes under Pacemaker. Read-only: it adds no mqs.ini stanza, publishes no attribute and
//! starts nothing. The checks are mq-core's (`QueueManager::readiness`, the steps of
//! `node_checks`); this module only resolves the queue manager as the agent does and prints.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use mq_core::placement::{Placement, Wanted};
use mq_core::qmgr::checks::{Finding, NodeCheckOptions, Verdict};
use mq_core::qmgr::{Level, QueueManager};
use mq_core::{Deadline, QmName};

use crate::pacemaker::Pacemaker;

/// How long the whole check may take: the waits inside share it, as an action's do.
const BUDGET: Duration = Duration::from_secs(60);

#[derive(Parser, Debug)]
#[command(
    name = "ibmmq check",
    about = "Checks, read-only, whether this node is ready to run a queue manager under ocf:mqha:ibmmq",
    long_about = "Runs every node check the agent makes before a start (installation, mq user and group, \
uid/gid against the other nodes, mqs.ini stanza, data and log directories, boot-time start, mqconfig, and with \
--monitor-program the program's owner and modes, without running it) and prints \
one line per check: PASS, WARN or FAIL with what to do. Exit status 0 when nothing failed, 1 otherwise, 2 on bad \
arguments. Changes nothing."
)]
struct Args {
    /// The queue manager's name, as dspmq shows it.
    qmgr: String,
    /// The installation path (the resource's mq_installation); default as the agent chooses it.
    #[arg(long)]
    mq_installation: Option<PathBuf>,
    /// The user MQ commands run as (the resource's mq_user); default as the agent derives it.
    #[arg(long)]
    mq_user: Option<String>,
    /// The data directory when crtmqm -md put it elsewhere (the resource's data_path).
    #[arg(long)]
    data_path: Option<PathBuf>,
    /// The resource will have add_mqs_ini=true: a missing stanza is a warning, not a failure.
    #[arg(long)]
    add_mqs_ini: bool,
    /// The resource's monitor_program: checked as start checks it (owner, modes, path), not run.
    #[arg(long)]
    monitor_program: Option<PathBuf>,
    /// One JSON object instead of lines, for tools.
    #[arg(long)]
    json: bool,
}

/// Runs `ibmmq check` with `args` (what follows "check") and returns the exit status.
pub fn main(args: &[std::ffi::OsString]) -> u8 {
    let argv = std::iter::once(std::ffi::OsString::from("ibmmq check")).chain(args.iter().cloned());
    let a = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let findings = findings(&a);
    print!("{}", if a.json { as_json(&a.qmgr, &findings) } else { as_lines(&findings) });
    u8::from(findings.iter().any(|f| matches!(f.verdict, Verdict::Fail(_))))
}

fn findings(a: &Args) -> Vec<Finding> {
    let deadline = Instant::now() + BUDGET;
    let quiet = |_: Level, _: &str| {};
    let qm = match QmName::new(&a.qmgr) {
        Ok(q) => q,
        Err(e) => return vec![fail("queue manager name", format!("'{}': {e}", a.qmgr.escape_default()))],
    };
    let mq_user = a.mq_user.clone();
    let inst = a.mq_installation.clone();
    let want =
        Wanted { mq_user: mq_user.as_deref(), mq_installation: inst.as_deref(), data_path: a.data_path.as_deref() };
    let placed = match Placement::resolve(&qm, &want, Deadline::at(deadline), &quiet) {
        Ok(p) => p,
        Err(e) => return vec![fail("installation and mq user", e.to_string())],
    };
    let mut out = vec![Finding {
        check: "installation",
        verdict: Verdict::Pass(format!(
            "InstPath {}, DataPath {}, mq user {}",
            placed.installation.path.display(),
            placed.installation.data_path.display(),
            placed.user.name
        )),
    }];
    let qm = QueueManager::new(qm, placed.installation, placed.user);
    let version =
        match qm.run("dspmqver", &["-b", "-f", "2"], None, deadline.min(Instant::now() + Duration::from_secs(15))) {
            Ok(o) if o.rc == 0 && !o.stdout.trim().is_empty() => {
                Verdict::Pass(format!("MQ {}", o.stdout.lines().next().unwrap_or("").trim()))
            }
            Ok(o) => Verdict::Fail(format!("dspmqver -b -f 2 exited {}: {}", o.rc, o.explaining_line())),
            Err(e) => Verdict::Fail(format!("dspmqver: {e}")),
        };
    out.push(Finding { check: "MQ version", verdict: version });
    let opts = NodeCheckOptions { add_mqs_ini: a.add_mqs_ini, data_path: a.data_path.clone() };
    out.extend(qm.readiness(&opts, Some(&Pacemaker::this_node()), deadline, &quiet));
    if let Some(prog) = &a.monitor_program {
        let verdict = match qm.check_monitor_program(prog, deadline) {
            Ok(()) => Verdict::Pass(format!("{}: root's, executable by {}", prog.display(), qm.user.name)),
            Err(e) => Verdict::Fail(e.to_string()),
        };
        out.push(Finding { check: "monitor program", verdict });
    }
    out
}

fn fail(check: &'static str, why: String) -> Finding {
    Finding { check, verdict: Verdict::Fail(why) }
}

fn as_lines(findings: &[Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        s.push_str(&format!("{:<5} {:<26} {}\n", f.verdict.word(), f.check, f.verdict.text()));
    }
    let count = |w| findings.iter().filter(|f| f.verdict.word() == w).count();
    s.push_str(&format!("{} passed, {} warnings, {} failed\n", count("PASS"), count("WARN"), count("FAIL")));
    s
}

/// `{"qmgr": "...", "ready": bool, "checks": [{"check": "...", "result": "PASS", "detail": "..."}]}`
fn as_json(qmgr: &str, findings: &[Finding]) -> String {
    let ready = !findings.iter().any(|f| matches!(f.verdict, Verdict::Fail(_)));
    let checks: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{{\"check\":{},\"result\":\"{}\",\"detail\":{}}}",
                json_str(f.check),
                f.verdict.word(),
                json_str(f.verdict.text())
            )
        })
        .collect();
    format!("{{\"qmgr\":{},\"ready\":{ready},\"checks\":[{}]}}\n", json_str(qmgr), checks.join(","))
}

/// A JSON string literal (RFC 8259: quote, backslash and control characters escaped).
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_what_rfc_8259_requires() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }

    #[test]
    fn lines_and_json_say_the_same() {
        let f = vec![
            Finding { check: "mqs.ini stanza", verdict: Verdict::Pass("ok".into()) },
            Finding { check: "boot-time start", verdict: Verdict::Warn("unit".into()) },
            Finding { check: "data and log directories", verdict: Verdict::Fail("owned by root".into()) },
        ];
        let lines = as_lines(&f);
        assert!(lines.contains("FAIL  data and log directories   owned by root\n"), "{lines}");
        assert!(lines.ends_with("1 passed, 1 warnings, 1 failed\n"), "{lines}");
        let json = as_json("QM1", &f);
        assert!(
            json.starts_with(
                "{\"qmgr\":\"QM1\",\"ready\":false,\"checks\":[{\"check\":\"mqs.ini stanza\",\"result\":\"PASS\""
            ),
            "{json}"
        );
    }
}
