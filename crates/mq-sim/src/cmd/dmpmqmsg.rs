//! dmpmqmsg: unloads a queue to a file (-i browse / -I destructive, -f file or stdout) and loads
//! a file onto a queue (-o queue -f file), or moves a queue onto another (-I q1 -o q2), in IBM's
//! qload text format (`*` comments, `N` new message, `A KEY value` descriptor fields, `X hex` /
//! `S text` data), as the ClusterLabs agent and administrators use it. Bindings only (-c, the
//! client mode, is not modelled). The summary lines' exact layout is UNCONFIRMED.

use crate::paths::Installation;
use crate::wire::{self, EngineConn, MqiBody, MsgDesc, ObjectDesc, Request, Response};
use std::io::{BufRead, Write};
use std::os::unix::net::UnixStream;

const USAGE: &str = "Usage: dmpmqmsg -m QMgrName [-i|-I InputQueue] [-o OutputQueue] [-f File]";

#[derive(Debug, Default)]
struct Opts {
    qm: Option<String>,
    input_q: Option<String>,
    destructive: bool,
    output_q: Option<String>,
    file: Option<String>,
}

fn parse(args: Vec<String>) -> Result<Opts, String> {
    let mut o = Opts::default();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let (flag, inline) = if a.len() > 2 && a.starts_with('-') {
            (a[..2].to_string(), Some(a[2..].to_string()))
        } else {
            (a.clone(), None)
        };
        let mut value = || inline.clone().or_else(|| it.next()).ok_or_else(|| format!("option {flag} needs a value"));
        match flag.as_str() {
            "-m" => o.qm = Some(value()?),
            "-i" => o.input_q = Some(value()?),
            "-I" => {
                o.input_q = Some(value()?);
                o.destructive = true;
            }
            "-o" => o.output_q = Some(value()?),
            "-f" => o.file = Some(value()?),
            other => return Err(format!("option '{other}' is not supported")),
        }
    }
    Ok(o)
}

pub fn main(args: Vec<String>) -> i32 {
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return 20;
        }
    };
    if opts.input_q.is_none() && opts.output_q.is_none() {
        eprintln!("{USAGE}");
        return 20;
    }
    let inst = match Installation::current() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("dmpmqmsg: {e}");
            return 20;
        }
    };
    let Some(qm_name) = opts.qm.clone().or_else(|| inst.default_qm()) else {
        println!("Failed to connect to queue manager ''. Reason(2058) MQRC_Q_MGR_NAME_ERROR");
        return 2058 % 256;
    };
    let conn =
        inst.qm(&qm_name).map_err(|_| 2058).and_then(|qm| match wire::connect_bindings(&inst, &qm, "dmpmqmsg") {
            Ok((c, Response::Mqi { cc: 0, .. })) => Ok(c),
            Ok((_, Response::Mqi { reason, .. })) => Err(reason),
            _ => Err(2059),
        });
    let mut conn = match conn {
        Ok(c) => c,
        Err(rc) => {
            println!("Failed to connect to queue manager '{qm_name}'. Reason({rc})");
            return rc % 256;
        }
    };
    let rc = run(&mut conn, &opts);
    let _ = conn.call(&Request::Disconnect);
    rc
}

fn call(conn: &mut EngineConn<UnixStream>, req: &Request) -> (i32, i32, MqiBody) {
    match conn.call(req) {
        Ok(Response::Mqi { cc, reason, body }) => (cc, reason, body),
        _ => (2, 2009, MqiBody::None),
    }
}

fn open(conn: &mut EngineConn<UnixStream>, q: &str, options: i32) -> Result<i32, i32> {
    let od = ObjectDesc { object_type: 1, object_name: q.to_string(), ..Default::default() };
    match call(conn, &Request::Open { od, options }) {
        (0, _, MqiBody::Opened { hobj, .. }) => Ok(hobj),
        (_, rc, _) => Err(rc),
    }
}

fn run(conn: &mut EngineConn<UnixStream>, o: &Opts) -> i32 {
    // Gather the messages: from the input queue, or from the file.
    let mut messages: Vec<(MsgDesc, Vec<u8>)> = Vec::new();
    if let Some(q) = &o.input_q {
        // MQOO_INPUT_SHARED or MQOO_BROWSE, + FAIL_IF_QUIESCING.
        let options = if o.destructive { 0x2 } else { 0x8 } | 0x2000;
        let hobj = match open(conn, q, options) {
            Ok(h) => h,
            Err(rc) => {
                println!("Failed to open queue '{q}'. Reason({rc})");
                return rc % 256;
            }
        };
        let mut first = true;
        loop {
            let gmo = if o.destructive {
                0x4
            } else if first {
                0x10
            } else {
                0x20
            }; // NO_SYNCPOINT | BROWSE_FIRST/NEXT
            first = false;
            let req = Request::Get {
                hobj,
                md: MsgDesc::default(),
                gmo_options: gmo | 0x2000,
                match_options: 0,
                wait_ms: 0,
                buffer_len: 104_857_600,
            };
            match call(conn, &req) {
                (0, _, MqiBody::Got { md, data, .. }) => messages.push((md, data)),
                (_, 2033, _) => break,
                (_, rc, _) => {
                    println!("Failed to get message from queue '{q}'. Reason({rc})");
                    return rc % 256;
                }
            }
        }
        let _ = call(conn, &Request::Close { hobj, options: 0 });
    } else if let Some(f) = &o.file {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                println!("Failed to open file '{f}': {e}");
                return 20;
            }
        };
        match parse_file(&text) {
            Ok(m) => messages = m,
            Err(e) => {
                println!("File '{f}': {e}");
                return 20;
            }
        }
    }
    let bytes: usize = messages.iter().map(|m| m.1.len()).sum();
    // Deliver them: onto the output queue, or into the file / stdout.
    if let Some(q) = &o.output_q {
        let hobj = match open(conn, q, 0x10 | 0x2000) {
            Ok(h) => h,
            Err(rc) => {
                println!("Failed to open queue '{q}'. Reason({rc})");
                return rc % 256;
            }
        };
        for (md, data) in &messages {
            let req = Request::Put { hobj, md: md.clone(), pmo_options: 0x4 | 0x2000, data: data.clone() };
            let (cc, rc, _) = call(conn, &req);
            if cc == 2 {
                println!("Failed to put message to queue '{q}'. Reason({rc})");
                return rc % 256;
            }
        }
        let _ = call(conn, &Request::Close { hobj, options: 0 });
    } else {
        let text = render(o, &messages);
        match o.file.as_deref() {
            None | Some("stdout") => print!("{text}"),
            Some(f) => {
                // An empty queue unloads successfully without writing a file.
                if !messages.is_empty() {
                    if std::path::Path::new(f).exists() && !confirm_overwrite(f) {
                        println!("Read    - Files:   0  Messages: {:>5}  Bytes: {bytes:>9}", messages.len());
                        return 71;
                    }
                    if let Err(e) = std::fs::write(f, text) {
                        println!("Failed to write file '{f}': {e}");
                        return 20;
                    }
                }
            }
        }
    }
    let (rf, wf) = (u8::from(o.input_q.is_none()), u8::from(o.output_q.is_none() && o.file.is_some()));
    println!("Read    - Files: {rf:>3}  Messages: {:>5}  Bytes: {bytes:>9}", messages.len());
    println!("Written - Files: {wf:>3}  Messages: {:>5}  Bytes: {bytes:>9}", messages.len());
    let _ = std::io::stdout().flush();
    0
}

/// IBM's prompt when the output file exists; with no answer (no terminal) nothing is written.
fn confirm_overwrite(f: &str) -> bool {
    print!("File '{f}' exists - overwrite (y)es/(n)o/(a)ll ? ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    println!();
    matches!(answer.trim(), "y" | "Y" | "a" | "A")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in '{s}'"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("bad hex '{}'", &s[i..i + 2])))
        .collect()
}

fn render(o: &Opts, messages: &[(MsgDesc, Vec<u8>)]) -> String {
    let mut s = String::from("* DMPMQMSG Version:1.0\n");
    s.push_str(&format!(
        "* Qmgr  = {}\n* Queue = {}\n\n",
        o.qm.clone().unwrap_or_default(),
        o.input_q.clone().unwrap_or_default()
    ));
    for (md, data) in messages {
        s.push_str("N\n");
        let a = |k: &str, v: String| format!("A {k} {v}\n");
        s.push_str(&a("VER", "2".into()));
        s.push_str(&a("RPT", md.report.to_string()));
        s.push_str(&a("MST", md.msg_type.to_string()));
        s.push_str(&a("EXP", md.expiry.to_string()));
        s.push_str(&a("FDB", md.feedback.to_string()));
        s.push_str(&a("ENC", md.encoding.to_string()));
        s.push_str(&a("CCS", md.ccsid.to_string()));
        s.push_str(&a("FMT", md.format.trim_end().to_string()));
        s.push_str(&a("PRI", md.priority.to_string()));
        s.push_str(&a("PER", md.persistence.to_string()));
        s.push_str(&a("MSI", hex(&md.msg_id)));
        s.push_str(&a("COI", hex(&md.correl_id)));
        s.push_str(&a("BOC", md.backout_count.to_string()));
        s.push_str(&a("RTQ", md.reply_to_q.clone()));
        s.push_str(&a("RTM", md.reply_to_qmgr.clone()));
        s.push_str(&a("USR", md.user_identifier.clone()));
        s.push_str(&a("PAT", md.put_appl_type.to_string()));
        s.push_str(&a("PAN", md.put_appl_name.clone()));
        s.push_str(&a("PTD", md.put_date.clone()));
        s.push_str(&a("PTT", md.put_time.clone()));
        for chunk in data.chunks(40) {
            s.push_str(&format!("X {}\n", hex(chunk)));
        }
        if data.is_empty() {
            s.push_str("X \n");
        }
    }
    s
}

fn parse_file(text: &str) -> Result<Vec<(MsgDesc, Vec<u8>)>, String> {
    let mut out: Vec<(MsgDesc, Vec<u8>)> = Vec::new();
    let mut current: Option<(MsgDesc, Vec<u8>)> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('*') || line.trim().is_empty() {
            continue;
        }
        let (tag, rest) = line.split_at(1);
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        match tag {
            "N" => {
                if let Some(m) = current.take() {
                    out.push(m);
                }
                current = Some((MsgDesc::default(), Vec::new()));
            }
            "A" => {
                let m = current.get_or_insert_with(|| (MsgDesc::default(), Vec::new()));
                let (k, v) = rest.split_once(' ').unwrap_or((rest, ""));
                let num = || v.trim().parse::<i32>().map_err(|_| format!("line {}: bad number '{v}'", n + 1));
                match k {
                    "RPT" => m.0.report = num()?,
                    "MST" => m.0.msg_type = num()?,
                    "EXP" => m.0.expiry = num()?,
                    "FDB" => m.0.feedback = num()?,
                    "ENC" => m.0.encoding = num()?,
                    "CCS" => m.0.ccsid = num()?,
                    "FMT" => m.0.format = format!("{:<8}", v.trim()),
                    "PRI" => m.0.priority = num()?,
                    "PER" => m.0.persistence = num()?,
                    "MSI" | "COI" => {
                        let b = unhex(v)?;
                        let mut id = [0u8; 24];
                        id[..b.len().min(24)].copy_from_slice(&b[..b.len().min(24)]);
                        if k == "MSI" {
                            m.0.msg_id = id;
                        } else {
                            m.0.correl_id = id;
                        }
                    }
                    "RTQ" => m.0.reply_to_q = v.trim().to_string(),
                    "RTM" => m.0.reply_to_qmgr = v.trim().to_string(),
                    // Other descriptor fields (VER, BOC, USR, context...) are set by the queue manager.
                    _ => {}
                }
            }
            "X" => {
                let m = current.get_or_insert_with(|| (MsgDesc::default(), Vec::new()));
                m.1.extend(unhex(rest)?);
            }
            "S" => {
                let m = current.get_or_insert_with(|| (MsgDesc::default(), Vec::new()));
                m.1.extend_from_slice(rest.trim_matches('"').as_bytes());
            }
            other => return Err(format!("line {}: unknown record type '{other}'", n + 1)),
        }
    }
    if let Some(m) = current {
        out.push(m);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusterlabs_probe_payload_loads_as_one_message() {
        // The payload heartbeat/ibmmq writes: header, A VER 2, one X line.
        let m = parse_file("* DMPMQMSG Version:1.0\nA VER 2\nX 69626D6D712D72612D70726F6265\n").unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].1, b"ibmmq-ra-probe");
    }

    #[test]
    fn render_then_parse_round_trips() {
        let md = MsgDesc { persistence: 1, format: "MQSTR   ".into(), ..Default::default() };
        let o = Opts { qm: Some("QM1".into()), input_q: Some("Q".into()), ..Default::default() };
        let text = render(&o, &[(md.clone(), b"hello".to_vec()), (MsgDesc::default(), vec![0u8; 90])]);
        let back = parse_file(&text).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].1, b"hello");
        assert_eq!(back[0].0.persistence, 1);
        assert_eq!(back[1].1.len(), 90);
    }
}
