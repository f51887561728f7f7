//! What a queue manager leaves for an administrator when something goes wrong, in IBM's formats:
//! entries of its error log (`<qm data>/errors/AMQERR01.LOG`, rotated to 02 and 03) and FFST
//! records (`<DataPath>/errors/AMQnnnnn.mm.FDC`, the node's system-wide errors directory). The
//! formats are described in docs/reference/mq-processes-and-files.md#error-log-entry and
//! #ffst-files; what is not confirmed there is marked UNCONFIRMED here and in the README.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::paths::{Installation, QmPaths};
use crate::runtime::clock;

/// Size at which AMQERR01.LOG is copied to AMQERR02.LOG (and 02 to 03): IBM's default, 32 MiB
/// (ErrorLogSize in qm.ini's QMErrorLog stanza changes it, which the simulator does not read:
/// docs/reference/mq-processes-and-files.md#error-log-rotation).
const ROTATE_AT: u64 = 32 * 1024 * 1024;

/// One error-log entry: who wrote it, the message with its id (`AMQnnnnX: text`), the inserts
/// of its stamp block, and the EXPLANATION / ACTION texts.
pub struct Entry<'a> {
    pub program: &'a str,
    pub pid: u32,
    pub message: &'a str,
    pub arith: &'a [u64],
    pub comments: &'a [&'a str],
    pub explanation: &'a str,
    pub action: &'a str,
    /// The source file named on the dashed separator line that ends an entry.
    pub source: &'a str,
}

impl Entry<'_> {
    /// An entry with the generic texts the simulator used before it knew IBM's for the message.
    pub fn plain<'a>(program: &'a str, pid: u32, message: &'a str) -> Entry<'a> {
        Entry {
            program,
            pid,
            message,
            arith: &[],
            comments: &[],
            explanation: "See the message text.",
            action: "None.",
            source: "amqzxma0.c",
        }
    }
}

/// Milliseconds since the epoch, now.
fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Words of `text` in lines of at most `width` characters, as MQ wraps its message texts (78 columns in IBM's samples).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + w.len() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    out.push_str(&line);
    out
}

/// The text of one entry as MQ writes it (docs/reference/mq-processes-and-files.md#error-log-entry):
/// the stamp line (local date and time, Process(pid.thread), User, Program), Host and
/// Installation, VRMF and QMgr, the ISO `Time(...)` stamp in UTC, the inserts, a blank line, the
/// message, EXPLANATION:, ACTION: and the dashed separator naming the source file.
pub fn entry_text(inst: &Installation, qm: &str, e: &Entry, ms: u64) -> String {
    let (y, mo, d, h, mi, sec) = clock::civil(ms / 1000);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    let pad = "                    ";
    let mut s = format!(
        "{mo:02}/{d:02}/{y} {h12:02}:{mi:02}:{sec:02} {ampm} - Process({}.1) User({}) Program({})\n",
        e.pid, inst.user, e.program
    );
    s += &format!("{pad}Host({}) Installation({})\n", inst.node, inst.name);
    s += &format!("{pad}VRMF({}) QMgr({qm})\n", inst.version);
    s += &format!("{pad}Time({y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}.{:03}Z)\n", ms % 1000);
    for (i, a) in e.arith.iter().enumerate() {
        s += &format!("{pad}ArithInsert{}({a})\n", i + 1);
    }
    for (i, c) in e.comments.iter().enumerate() {
        s += &format!("{pad}CommentInsert{}({c})\n", i + 1);
    }
    s += &format!(
        "{pad}\n{}\n\nEXPLANATION:\n{}\nACTION:\n{}\n",
        wrap(e.message, 78),
        wrap(e.explanation, 78),
        wrap(e.action, 78)
    );
    let head = format!("----- {} : {} ", e.source, 100 + e.pid % 900);
    s += &format!("{head}{}\n", "-".repeat(79usize.saturating_sub(head.len())));
    s
}

/// Appends an entry to the queue manager's error log, copying AMQERR02.LOG to AMQERR03.LOG and
/// AMQERR01.LOG to AMQERR02.LOG first when AMQERR01.LOG has reached its size (#error-log-rotation).
pub fn error_log(inst: &Installation, qm: &QmPaths, e: &Entry) {
    let text = entry_text(inst, &qm.name, e, now_ms());
    let dir = &qm.errors_dir;
    let _ = std::fs::create_dir_all(dir);
    let first = dir.join("AMQERR01.LOG");
    if std::fs::symlink_metadata(&first).map(|m| m.len() + text.len() as u64 > ROTATE_AT).unwrap_or(false) {
        // IBM: "copied to AMQERR02 ... before the copy, AMQERR02 is copied to AMQERR03";
        // whether MQ copies or renames is not said (UNCONFIRMED): the simulator copies, which
        // keeps AMQERR01.LOG's inode, the case a reader keyed on inodes would get wrong.
        let _ = std::fs::copy(dir.join("AMQERR02.LOG"), dir.join("AMQERR03.LOG"));
        let _ = std::fs::copy(&first, dir.join("AMQERR02.LOG"));
        let _ = std::fs::OpenOptions::new().write(true).truncate(true).open(&first);
        own(&dir.join("AMQERR02.LOG"), inst);
        own(&dir.join("AMQERR03.LOG"), inst);
    }
    let opened = std::fs::OpenOptions::new().create(true).append(true).custom_flags(libc::O_NOFOLLOW).open(&first);
    if let Ok(mut f) = opened {
        let _ = f.write_all(text.as_bytes());
    }
    own(&first, inst);
}

/// One FFST record (docs/reference/mq-processes-and-files.md#ffst-files).
pub struct Ffst<'a> {
    pub program: &'a str,
    pub pid: u32,
    pub probe_id: &'a str,
    pub component: &'a str,
    pub major: &'a str,
    pub minor: &'a str,
    /// `MSGAMQnnnn` when the record reports a message, else e.g. `INCORROUT`.
    pub probe_type: &'a str,
    pub description: &'a str,
    pub arith1: Option<u64>,
    pub comment1: Option<&'a str>,
}

fn header_line(key: &str, value: &str) -> String {
    let body = format!(" {key:<18}:- {value}");
    format!("|{body:<77}|\n")
}

/// The text of one FFST record: the boxed "First Failure Symptom Report" header with its
/// `Key :- value` fields, then the function stack.
pub fn ffst_text(inst: &Installation, qm: &str, f: &Ffst, ms: u64) -> String {
    let (y, mo, d, h, mi, sec) = clock::civil(ms / 1000);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = MONTHS[(mo as usize).clamp(1, 12) - 1];
    let rule = format!("+{}+\n", "-".repeat(77));
    let blank = format!("|{:77}|\n", "");
    let title = "IBM MQ First Failure Symptom Report";
    let mut s = rule.clone();
    s += &blank;
    s += &format!("| {title:<76}|\n");
    s += &format!("| {:<76}|\n", "=".repeat(title.len()));
    s += &blank;
    s += &header_line("Date/Time", &format!("{month} {d:02} {y} {h:02}:{mi:02}:{sec:02} UTC"));
    s += &header_line("UTC Time", &format!("{}.{:06}", ms / 1000, (ms % 1000) * 1000));
    s += &header_line("UTC Time Offset", "0 (UTC)");
    s += &header_line("Host Name", &inst.node);
    s += &header_line("LVLS", &inst.version);
    s += &header_line("Product Long Name", "IBM MQ for Linux (x86-64 platform)");
    s += &header_line("Vendor", "IBM");
    s += &header_line("Data Path", &inst.data_root.display().to_string());
    s += &header_line("Installation Path", &inst.inst_path.display().to_string());
    s += &header_line("Installation Name", &format!("{} (1)", inst.name));
    s += &header_line("Probe Id", f.probe_id);
    s += &header_line("Application Name", "MQM");
    s += &header_line("Component", f.component);
    s += &header_line("Program Name", f.program);
    s += &header_line("Addressing mode", "64-bit");
    s += &header_line("Process", &f.pid.to_string());
    s += &header_line("Thread", "1");
    s += &header_line("QueueManager", qm);
    s += &header_line("Major Errorcode", f.major);
    s += &header_line("Minor Errorcode", f.minor);
    s += &header_line("Probe Type", f.probe_type);
    s += &header_line("Probe Severity", "1");
    s += &header_line("Probe Description", f.description);
    s += &header_line("FDCSequenceNumber", "0");
    if let Some(a) = f.arith1 {
        s += &header_line("Arith1", &format!("{a} (0x{a:x})"));
    }
    if let Some(c) = f.comment1 {
        s += &header_line("Comment1", c);
    }
    s += &blank;
    s += &rule;
    s += &format!("\nMQM Function Stack\n{}\n\n", f.component);
    s
}

/// Writes an FFST record to `<DataPath>/errors/AMQ<pid>.<n>.FDC`, the first free n (IBM: "starts at
/// 0 ... incremented by one until a unique FFST file name is found"); returns the file.
pub fn ffst(inst: &Installation, qm: &str, f: &Ffst) -> Option<PathBuf> {
    let dir = inst.data_root.join("errors");
    let text = ffst_text(inst, qm, f, now_ms());
    for n in 0..100 {
        let path = dir.join(format!("AMQ{}.{n}.FDC", f.pid));
        let made = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o640).open(&path);
        if let Ok(mut file) = made {
            let _ = file.write_all(text.as_bytes());
            own(&path, inst);
            return Some(path);
        }
    }
    None
}

/// Files written by root (the `mqsim` tool) belong to the mq user, as MQ's own do.
fn own(path: &Path, inst: &Installation) {
    if nix::unistd::Uid::effective().is_root() {
        if let Ok(ids) = crate::authority::mq_ids(inst) {
            let _ = std::os::unix::fs::lchown(path, Some(ids.uid.as_raw()), Some(ids.gid.as_raw()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst() -> Installation {
        Installation {
            root: "/r".into(),
            prefix: "opt/mqm".into(),
            inst_path: "/r/opt/mqm".into(),
            bin_dir: "/r/opt/mqm/bin".into(),
            lib64_dir: "/r/opt/mqm/lib64".into(),
            samp_bin_dir: "/r/opt/mqm/samp/bin".into(),
            data_root: "/r/var/mqm".into(),
            user: "mqm".into(),
            group: "mqm".into(),
            version: "9.3.0.17".into(),
            name: "Installation1".into(),
            node: "node1".into(),
        }
    }

    #[test]
    fn an_entry_has_ibms_shape() {
        let e = Entry {
            program: "amqzxma0",
            pid: 39742,
            message:
                "AMQ5008S: An essential IBM MQ process 39759 (zllCRIT) cannot be found and is assumed to be terminated.",
            arith: &[39759],
            comments: &["zllCRIT"],
            explanation: "x",
            action: "y",
            source: "amqzxmb0.c",
        };
        let t = entry_text(&inst(), "QMTEST", &e, 1_716_143_803_505);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "05/19/2024 06:36:43 PM - Process(39742.1) User(mqm) Program(amqzxma0)");
        assert_eq!(lines[1].trim(), "Host(node1) Installation(Installation1)");
        assert_eq!(lines[2].trim(), "VRMF(9.3.0.17) QMgr(QMTEST)");
        assert_eq!(lines[3].trim(), "Time(2024-05-19T18:36:43.505Z)");
        assert_eq!(lines[4].trim(), "ArithInsert1(39759)");
        assert_eq!(lines[5].trim(), "CommentInsert1(zllCRIT)");
        assert_eq!(lines[7], "AMQ5008S: An essential IBM MQ process 39759 (zllCRIT) cannot be found and is");
        assert_eq!(lines[8], "assumed to be terminated.");
        assert!(lines.contains(&"EXPLANATION:") && lines.contains(&"ACTION:"));
        let last = lines.last().unwrap();
        assert!(last.starts_with("----- amqzxmb0.c : ") && last.len() == 79, "{last}");
    }

    #[test]
    fn an_ffst_has_the_header_fields() {
        let f = Ffst {
            program: "amqzxma0",
            pid: 39742,
            probe_id: "ZX005020",
            component: "zxcProcessChildren",
            major: "zrcX_PROCESS_MISSING",
            minor: "OK",
            probe_type: "MSGAMQ5008",
            description: "AMQ5008S: An essential IBM MQ process 39759 (zllCRIT)",
            arith1: Some(39759),
            comment1: Some("zllCRIT"),
        };
        let t = ffst_text(&inst(), "QMTEST", &f, 1_716_143_803_505);
        assert!(t.lines().all(|l| l.is_empty() || l.len() == 79 || !l.starts_with('|')), "{t}");
        for want in [
            "| Probe Id          :- ZX005020",
            "| Component         :- zxcProcessChildren",
            "| Major Errorcode   :- zrcX_PROCESS_MISSING",
            "| Program Name      :- amqzxma0",
            "| Process           :- 39742",
            "| QueueManager      :- QMTEST",
            "| Arith1            :- 39759 (0x9b4f)",
        ] {
            assert!(t.contains(want), "{want} missing:\n{t}");
        }
    }
}
