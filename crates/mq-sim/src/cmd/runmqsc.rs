//! runmqsc: reads MQSC commands (stdin or -f), sends each to the queue manager's engine and writes
//! IBM's report (header, echo, replies, summary) with IBM's return codes (0 / 10 / 20):
//! docs/reference/mq-commands.md#runmqsc-report and #runmqsc-return-codes.
//! -c connects as an MQ client through MQSERVER (no CCDT); -v verifies syntax only, without
//! connecting. Not modelled: -n (no queue manager), -u, -w/-x/-m (indirect mode).

use crate::engine::mqsc::replies;
use crate::messages;
use crate::paths::Installation;
use crate::wire::{self, MqiBody, MqscOutcome, Request, Response, WireError};
use std::io::{BufRead, Write};

const USAGE: &str = "Usage: runmqsc [-e] [-v] [-c] [-f FileName] [QMgrName]";

/// Entry point called by the multi-call dispatch; `args` excludes argv[0].
pub fn main(args: Vec<String>) -> i32 {
    let mut echo = true;
    let mut client = false;
    let mut verify = false;
    let mut file: Option<String> = None;
    let mut qm_arg: Option<String> = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-e" => echo = false,
            "-c" => client = true,
            "-v" => verify = true,
            "-f" => match it.next() {
                Some(f) => file = Some(f),
                None => return usage(),
            },
            s if s.starts_with("-f") && s.len() > 2 => file = Some(s[2..].to_string()),
            s if s.starts_with('-') => {
                eprintln!("AMQ8154E: runmqsc option '{s}' is not supported by this installation.");
                return usage();
            }
            _ if qm_arg.is_none() => qm_arg = Some(a),
            _ => return usage(),
        }
    }
    let input: Box<dyn BufRead> = match &file {
        Some(f) => match std::fs::File::open(f) {
            Ok(h) => Box::new(std::io::BufReader::new(h)),
            Err(e) => {
                eprintln!("AMQ8117E: runmqsc cannot open file {f}: {e}");
                return 20;
            }
        },
        None => Box::new(std::io::stdin().lock()),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if verify {
        return run_verify(qm_arg, echo, input, &mut out);
    }
    run(qm_arg, echo, client, input, &mut out)
}

/// runmqsc -v: the report of a syntax check, with no connection to the queue manager.
fn run_verify(qm_arg: Option<String>, echo: bool, input: Box<dyn BufRead + '_>, out: &mut dyn Write) -> i32 {
    let inst = match Installation::current() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("runmqsc: {e}");
            return 20;
        }
    };
    let _ = writeln!(out, "5724-H72 (C) Copyright IBM Corp. 1994, {}.", copyright_year(&inst.version));
    let qm_name = qm_arg.or_else(|| inst.default_qm()).unwrap_or_default();
    let _ = writeln!(out, "Starting MQSC for queue manager {qm_name}.\n\n");
    session(Verifier, echo, input, out)
}

/// The stand-in "connection" of -v: answers each command with the syntax check alone.
struct Verifier;

trait Mqsc {
    fn mqsc(&mut self, command: &str) -> Option<(Vec<String>, MqscOutcome)>;
    fn finish(&mut self) {}
}

impl Mqsc for Verifier {
    fn mqsc(&mut self, command: &str) -> Option<(Vec<String>, MqscOutcome)> {
        Some(crate::engine::mqsc::verify(command))
    }
}

impl<S: std::io::Read + std::io::Write> Mqsc for wire::EngineConn<S> {
    fn mqsc(&mut self, command: &str) -> Option<(Vec<String>, MqscOutcome)> {
        match self.call(&Request::Mqsc { command: command.to_string() }) {
            Ok(Response::Mqsc { lines, outcome }) => Some((lines, outcome)),
            _ => None,
        }
    }
    fn finish(&mut self) {
        let _ = self.call(&Request::Disconnect);
    }
}

fn usage() -> i32 {
    eprintln!("{USAGE}");
    20
}

/// Copyright year of the header by release (9.4.2 prints 2025, docs/reference/mq-commands.md#runmqsc-report; earlier
/// releases' years are UNCONFIRMED approximations).
fn copyright_year(version: &str) -> &'static str {
    match version.get(..3) {
        Some("9.0") => "2016",
        Some("9.1") => "2018",
        Some("9.2") => "2020",
        Some("9.3") => "2022",
        _ => "2025",
    }
}

/// The whole session, written to `out`; returns the exit code.
pub fn run(qm_arg: Option<String>, echo: bool, client: bool, input: Box<dyn BufRead + '_>, out: &mut dyn Write) -> i32 {
    let inst = match Installation::current() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("runmqsc: {e}");
            return 20;
        }
    };
    if client {
        return run_client(&inst, qm_arg, echo, input, out);
    }
    run_in(&inst, qm_arg, echo, input, out)
}

/// runmqsc -c: the same session over a client connection found through MQSERVER.
fn run_client(
    inst: &Installation,
    qm_arg: Option<String>,
    echo: bool,
    input: Box<dyn BufRead + '_>,
    out: &mut dyn Write,
) -> i32 {
    let _ = writeln!(out, "5724-H72 (C) Copyright IBM Corp. 1994, {}.", copyright_year(&inst.version));
    let qm_name = qm_arg.unwrap_or_default();
    let _ = writeln!(out, "Starting MQSC for queue manager {qm_name}.\n\n");
    let Some(ch) = std::env::var("MQSERVER").ok().and_then(|v| wire::parse_mqserver(&v)) else {
        return not_available(out, messages::AMQ8146);
    };
    let Some(tcp) = wire::connect_conname(&ch.conname, std::time::Duration::from_secs(20)) else {
        return not_available(out, messages::AMQ8146);
    };
    // The user who ran runmqsc (its real uid): the program is set-user-id mq user, but the client
    // flows its caller's identity, as a client-only installation's runmqsc would (UNCONFIRMED).
    let user = nix::unistd::User::from_uid(nix::unistd::getuid()).ok().flatten().map(|u| u.name).unwrap_or_default();
    let mut conn = wire::EngineConn::new(tcp);
    let reply = conn.call(&Request::Connect {
        qm_name: qm_name.clone(),
        mode: wire::ConnectMode::Client {
            hbint: ch.hbint,
            channel: ch.channel,
            asserted_user: user,
            csp_user: None,
            csp_password: None,
        },
        appl_name: "runmqsc".into(),
        pid: std::process::id(),
    });
    match reply {
        Ok(Response::Mqi { cc: 0, .. }) => session(conn, echo, input, out),
        Ok(Response::Mqi { reason: 2035, .. }) => not_available(out, replies::AMQ8135),
        _ => not_available(out, messages::AMQ8146),
    }
}

pub fn run_in(
    inst: &Installation,
    qm_arg: Option<String>,
    echo: bool,
    input: Box<dyn BufRead + '_>,
    out: &mut dyn Write,
) -> i32 {
    let qm_name = qm_arg.or_else(|| inst.default_qm());
    let _ = writeln!(out, "5724-H72 (C) Copyright IBM Corp. 1994, {}.", copyright_year(&inst.version));
    let Some(qm_name) = qm_name else {
        // No name and no default queue manager.
        return not_available(out, messages::AMQ8146);
    };
    let _ = writeln!(out, "Starting MQSC for queue manager {qm_name}.\n\n");
    let qm = match inst.qm(&qm_name) {
        Ok(q) => q,
        Err(_) => return not_available(out, messages::AMQ8118),
    };
    // Only the associated installation's runmqsc administers it (docs/reference/mq-commands.md#wrong-installation).
    if let Some(other) = qm.installation.as_ref().filter(|n| !n.eq_ignore_ascii_case(&inst.name)) {
        return not_available(out, &messages::amq5691(&qm.name, other));
    }
    let conn = match wire::connect_bindings(inst, &qm, "runmqsc") {
        Ok((c, Response::Mqi { cc: 0, body: MqiBody::Connected { .. }, .. })) => c,
        Ok((_, Response::Mqi { reason: 2035, .. })) => {
            // UNCONFIRMED text for a user without authority.
            return not_available(out, replies::AMQ8135);
        }
        Ok(_) | Err(WireError::NotRunning(_)) | Err(_) => return not_available(out, messages::AMQ8146),
    };
    session(conn, echo, input, out)
}

/// Reads, sends and reports commands on an established connection; returns the exit code.
fn session<M: Mqsc>(mut conn: M, echo: bool, input: Box<dyn BufRead + '_>, out: &mut dyn Write) -> i32 {
    let mut read = 0usize;
    let mut syntax = 0usize;
    let mut failed = 0usize;
    let mut seq = 0usize;
    let mut lines = input.lines();
    'commands: loop {
        // Gather one command: continuation lines end in '-' (keep leading blanks of the next
        // line) or '+' (skip them); comments start with '*'.
        let mut command = String::new();
        let mut first = true;
        loop {
            let Some(Ok(raw)) = lines.next() else {
                if !command.trim().is_empty() {
                    break;
                }
                break 'commands;
            };
            let line = raw.trim_end();
            if first && line.trim().is_empty() {
                continue;
            }
            if line.trim_start().starts_with('*') && first {
                if echo {
                    let _ = writeln!(out, "       : {line}");
                }
                continue;
            }
            if echo {
                if first {
                    seq += 1;
                    let _ = writeln!(out, "{seq:>6} : {line}");
                } else {
                    let _ = writeln!(out, "       : {line}");
                }
            }
            let continued = line.ends_with('-') || line.ends_with('+');
            let body = if continued { &line[..line.len() - 1] } else { line };
            let body = if !first && command.ends_with('\u{2}') {
                command.pop();
                body.trim_start()
            } else {
                body
            };
            command.push_str(body);
            if line.ends_with('+') {
                command.push('\u{2}');
            }
            first = false;
            if !continued {
                break;
            }
        }
        let command = command.replace('\u{2}', "");
        let trimmed = command.trim();
        if matches!(trimmed.to_ascii_uppercase().as_str(), "END" | "EXIT" | "QUIT") {
            break;
        }
        if !echo {
            seq += 1;
        }
        read += 1;
        match conn.mqsc(trimmed) {
            Some((lines, outcome)) => {
                for l in lines {
                    let _ = writeln!(out, "{l}");
                }
                match outcome {
                    MqscOutcome::Processed => {}
                    MqscOutcome::Failed => failed += 1,
                    MqscOutcome::SyntaxError => syntax += 1,
                }
            }
            _ => {
                // The queue manager went away under us.
                let _ = writeln!(out, "{}", messages::AMQ8146);
                failed += 1;
                break;
            }
        }
    }
    conn.finish();
    summary(out, read, syntax, failed);
    let _ = out.flush();
    if syntax + failed > 0 {
        10
    } else {
        0
    }
}

fn not_available(out: &mut dyn Write, line: &str) -> i32 {
    let _ = writeln!(out, "{line}\n");
    summary(out, 0, 0, 0);
    let _ = out.flush();
    20
}

/// The three summary lines (docs/reference/mq-commands.md#runmqsc-report; plural forms of the last
/// two are UNCONFIRMED).
pub fn summary(out: &mut dyn Write, read: usize, syntax: usize, failed: usize) {
    let read_line = match read {
        0 => "No MQSC commands read.".to_string(),
        1 => "One MQSC command read.".to_string(),
        n => format!("{n} MQSC commands read."),
    };
    let syntax_line = match syntax {
        0 => "No commands have a syntax error.".to_string(),
        1 => "One command has a syntax error.".to_string(),
        n => format!("{n} commands have a syntax error."),
    };
    let failed_line = match failed {
        0 => "All valid MQSC commands were processed.".to_string(),
        1 => "One valid MQSC command could not be processed.".to_string(),
        n => format!("{n} valid MQSC commands could not be processed."),
    };
    let _ = writeln!(out, "{read_line}\n{syntax_line}\n{failed_line}");
}
