//! What the queue manager itself wrote down about a failure, for the agent's log: its error-log
//! entries (`<qm data>/errors/AMQERR01.LOG`, and `AMQERR02.LOG`/`03` when it rotated) written
//! since a given time, and the FFST files (`<DataPath>/errors/AMQnnnnn.mm.FDC`, the node's
//! system-wide errors directory) created since then for this queue manager
//! (docs/reference/mq-processes-and-files.md#error-log-entry, #error-log-rotation, #ffst-files).
//!
//! The mq user owns both directories, so their content is hostile: everything is read in a
//! forked child running as the mq user and abandoned at a deadline (shared storage may hang);
//! each directory is opened without following a symlink, each file with `openat` under that
//! directory's descriptor with `O_NOFOLLOW|O_NONBLOCK`, regular files only; only the last
//! `LOG_TAIL` bytes of a log and the first `FDC_HEAD` bytes of an FDC are read, at most
//! `FDC_READ` FDC files out of at most `DIR_SCAN` directory entries; lines are cut and
//! control characters replaced before anything reaches the cluster's log.
//!
//! "Since" is decided by the entries' own `Time(...)` stamps (UTC, milliseconds) and by the FDC
//! files' modification times, not by file offsets: a monitor asks about a window that began
//! before it ran (no offset could have been taken), rotation copies files (offsets and inodes
//! then mean nothing), and no read of the storage is needed before the action. An entry without
//! a `Time(...)` stamp (MQ before 9.0.x prints only a local, locale-dependent date) is not
//! reported: nothing proves it is new. Entries are stamped by the writer's clock; on one node
//! that is the agent's clock.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::QueueManager;
use crate::storage::{in_child, write_all, ChildFailed, LookAs};

/// Entries logged: the last ones written since the action began. A failure writes a handful
/// (the cause, then its consequences); more would flood the cluster's log on every failed
/// monitor. A constant, not a parameter: the whole log stays where it is for the administrator.
pub const ENTRIES: usize = 8;
/// FDC files logged (the earliest first: the first FDC is usually the cause).
pub const FDCS: usize = 8;
/// Bytes read from the end of each error-log file (an entry is 1-3 KiB).
pub const LOG_TAIL: usize = 64 * 1024;
/// Bytes read from the start of an FDC file: its header is about 4 KiB.
pub const FDC_HEAD: usize = 8 * 1024;
/// FDC files read at most (a queue manager in trouble can write hundreds).
pub const FDC_READ: usize = 32;
/// Directory entries of the system errors directory looked at, at most.
pub const DIR_SCAN: usize = 10_000;
/// How much older than `since` a file's modification time may be and still be read: file time
/// stamps come from the kernel's coarse clock or, on NFS, the server's clock. The entries
/// themselves are judged by their own stamps.
const MTIME_SLACK_MS: i64 = 60_000;
/// Characters of a message line or header value kept.
const LINE_MAX: usize = 160;

const LOGS: [&str; 3] = ["AMQERR01.LOG", "AMQERR02.LOG", "AMQERR03.LOG"];

/// One error-log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `AMQ5008S` (no severity letter before MQ 9.0.3).
    pub id: String,
    /// The message's first line, with its id.
    pub line: String,
    /// Its `Time(...)` stamp, milliseconds since the epoch.
    pub time_ms: i64,
    /// The file it was read from.
    pub file: &'static str,
}

impl Entry {
    /// An error or severe error (`E`, `S`, `T`): the kind that explains a failure.
    pub fn is_error(&self) -> bool {
        matches!(self.id.as_bytes().get(7), Some(b'E' | b'S' | b'T'))
    }
}

/// One FFST file's first record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fdc {
    pub path: PathBuf,
    pub probe_id: String,
    pub component: String,
    pub program: String,
    pub major: String,
    pub mtime_ms: i64,
}

/// What was found; `problems` says what could not be read, so that a missing piece is never
/// silently taken for "nothing was written".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The last `ENTRIES` entries since, oldest first.
    pub entries: Vec<Entry>,
    /// Entries since that were left out (older than the last `ENTRIES`).
    pub entries_left_out: usize,
    /// The first error entry (E/S/T) since, whether or not among `entries`.
    pub first_error: Option<Entry>,
    /// The first `FDCS` FDC files since, by modification time.
    pub fdcs: Vec<Fdc>,
    pub fdcs_left_out: usize,
    pub problems: Vec<String>,
}

impl Evidence {
    /// Log lines for the administrator, one per entry and FDC.
    pub fn lines(&self, qm: &str, what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.entries {
            out.push(format!("{qm}: error log since {what} ({}, {}): {}", e.file, stamp(e.time_ms), e.line));
        }
        if self.entries_left_out > 0 {
            out.push(format!("{qm}: {} earlier error-log entries since {what} not shown", self.entries_left_out));
        }
        for f in &self.fdcs {
            out.push(format!(
                "{qm}: FDC since {what}: {} Probe Id {} Component {} Program {} Major Errorcode {}",
                f.path.display(),
                f.probe_id,
                f.component,
                f.program,
                f.major
            ));
        }
        if self.fdcs_left_out > 0 {
            out.push(format!("{qm}: {} more FDC files since {what} not shown", self.fdcs_left_out));
        }
        for p in &self.problems {
            out.push(format!("{qm}: {p}"));
        }
        out
    }

    /// `reason`, led by the first error id found (`AMQ7017S: ...`) unless it already begins with it.
    pub fn lead(&self, reason: &str) -> String {
        match &self.first_error {
            Some(e) if !reason.starts_with(&e.id) => format!("{}: {reason}", e.id),
            _ => reason.to_string(),
        }
    }
}

/// `2026-12-03T12:00:01.123Z` for milliseconds since the epoch.
fn stamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3600, rem % 3600 / 60, rem % 60, ms.rem_euclid(1000))
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch of an ISO stamp `YYYY-MM-DDTHH:MM:SS[.fff]Z`; None for anything else.
pub fn iso_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d, h, mi, sec) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let rest = s.get(19..)?;
    let frac = match rest.strip_prefix('.') {
        Some(f) => {
            let digits: String = f.chars().take_while(char::is_ascii_digit).take(3).collect();
            if !f.ends_with('Z') || digits.is_empty() {
                return None;
            }
            format!("{digits:0<3}").parse::<i64>().ok()?
        }
        None if rest == "Z" => 0,
        None => return None,
    };
    Some(((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec) * 1000) + frac)
}

/// Text safe for a log line: control characters replaced, at most `LINE_MAX` characters.
fn clean(s: &str) -> String {
    s.trim().chars().take(LINE_MAX).map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// `AMQnnnn` or `AMQnnnnX` followed by `:` at the start of `line`: the id.
fn message_id(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    if b.len() < 8 || !line.starts_with("AMQ") || !b[3..7].iter().all(u8::is_ascii_digit) {
        return None;
    }
    match (b[7], b.get(8)) {
        (b':', _) => Some(&line[..7]),
        (c, Some(b':')) if c.is_ascii_uppercase() => Some(&line[..8]),
        _ => None,
    }
}

/// An entry being read: its stamp and its (id, first line) once seen.
struct Partial {
    time: Option<i64>,
    msg: Option<(String, String)>,
}

/// The entries of error-log text (any bytes, decoded lossily by the caller): an entry begins at
/// its stamp line (`... - Process(...) ... Program(...)`: the date before it is local and
/// locale-dependent, so it is not read), has its `Time(...)` stamp and its message line, and
/// ends at the dashed separator or the next stamp line. A partial first entry (the tail began
/// inside it) has no stamp line and is skipped.
pub fn parse_entries(text: &str, file: &'static str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut cur: Option<Partial> = None;
    let finish = |cur: &mut Option<Partial>, out: &mut Vec<Entry>| {
        if let Some(Partial { time: Some(t), msg: Some((id, line)) }) = cur.take() {
            out.push(Entry { id, line, time_ms: t, file });
        }
    };
    for raw in text.lines() {
        let line = raw.trim_end();
        if line.contains(" - Process(") && line.contains("Program(") {
            finish(&mut cur, &mut out);
            cur = Some(Partial { time: None, msg: None });
            continue;
        }
        let Some(Partial { time, msg }) = cur.as_mut() else { continue };
        if line.starts_with("-----") {
            finish(&mut cur, &mut out);
            continue;
        }
        let t = line.trim_start();
        if time.is_none() {
            if let Some(v) = t.strip_prefix("Time(").and_then(|v| v.strip_suffix(')')) {
                *time = iso_ms(v);
                continue;
            }
        }
        if msg.is_none() {
            if let Some(id) = message_id(line) {
                *msg = Some((id.to_string(), clean(line)));
            }
        }
    }
    finish(&mut cur, &mut out);
    out
}

/// The header fields of an FDC file's first record: `| Key :- value |` lines.
pub fn parse_fdc_header(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines().take(200) {
        let Some(body) = line.trim().strip_prefix('|') else { continue };
        let body = body.strip_suffix('|').unwrap_or(body);
        let Some((k, v)) = body.split_once(":-") else { continue };
        out.push((k.trim().to_string(), clean(v)));
    }
    out
}

/// Whether `name` is an FFST file's name: `AMQ<digits>.<digits>.FDC`.
pub fn is_fdc_name(name: &[u8]) -> bool {
    let Some(rest) = name.strip_prefix(b"AMQ").and_then(|r| r.strip_suffix(b".FDC")) else { return false };
    let mut parts = rest.split(|c| *c == b'.');
    let ok = |p: Option<&[u8]>| p.is_some_and(|p| !p.is_empty() && p.len() <= 10 && p.iter().all(u8::is_ascii_digit));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// What the reading child answered, before any interpretation.
#[derive(Debug, Default)]
struct Raw {
    /// (file index, tail bytes) for each error-log file read, newest file first.
    logs: Vec<(usize, Vec<u8>)>,
    /// (name, mtime ms, head bytes) of each FDC file modified since.
    fdcs: Vec<(String, i64, Vec<u8>)>,
    problems: Vec<String>,
}

const REC_LOG: u8 = b'L';
const REC_FDC: u8 = b'F';
const REC_DIR: u8 = b'D';
const REC_CUT: u8 = b'T';
const ST_OK: u8 = 0;
const ST_ERRNO: u8 = 1;
const ST_NOT_REGULAR: u8 = 2;

fn errno() -> i32 {
    // SAFETY: reads this thread's errno.
    unsafe { *libc::__errno_location() }
}

fn mtime_ms(st: &libc::stat) -> i64 {
    st.st_mtime * 1000 + st.st_mtime_nsec / 1_000_000
}

/// pread of up to `buf.len()` bytes at `off`; the count read.
unsafe fn pread_all(fd: libc::c_int, buf: &mut [u8], off: i64) -> usize {
    let mut n = 0usize;
    while n < buf.len() {
        let k = libc::pread(fd, buf.as_mut_ptr().add(n).cast(), buf.len() - n, off + n as i64);
        if k < 0 && errno() == libc::EINTR {
            continue;
        }
        if k <= 0 {
            break;
        }
        n += k as usize;
    }
    n
}

/// Reads, as `who` in a child abandoned at `deadline`, the tails of the error logs in `qm_errors`
/// and the heads of the FDC files in `sys_errors` modified at or after `since_ms`.
fn read_raw(qm_errors: &Path, sys_errors: &Path, since_ms: i64, who: Option<&LookAs>, deadline: Instant) -> Raw {
    let mut raw = Raw::default();
    let (Ok(qdir), Ok(sdir)) = (cstring(qm_errors), cstring(sys_errors)) else {
        raw.problems.push("an errors directory's path contains a NUL byte".into());
        return raw;
    };
    let names: Vec<CString> = LOGS.iter().map(|n| CString::new(*n).expect("no NUL")).collect();
    // Every buffer the child uses is allocated here, before the fork.
    let mut tail = vec![0u8; LOG_TAIL];
    let mut head = vec![0u8; FDC_HEAD];
    let mut dents = vec![0u8; 32 * 1024];
    let max = 3 * (LOG_TAIL + 64) + FDC_READ * (FDC_HEAD + 300) + 64;
    let fresh_from = since_ms - MTIME_SLACK_MS;
    let got = in_child(who, max, deadline, move |wr| unsafe {
        let dflags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let fflags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
        let dfd = libc::open(qdir.as_ptr(), dflags);
        if dfd < 0 {
            let mut h = [REC_DIR, 0, 0, 0, 0, 0, 0, 0];
            h[4..8].copy_from_slice(&errno().to_ne_bytes());
            write_all(wr, &h);
        } else {
            for (i, name) in names.iter().enumerate() {
                let mut h = [0u8; 36];
                h[0] = REC_LOG;
                h[1] = i as u8;
                let fd = libc::openat(dfd, name.as_ptr(), fflags);
                let mut st: libc::stat = std::mem::zeroed();
                if fd < 0 || libc::fstat(fd, &mut st) != 0 {
                    h[2] = ST_ERRNO;
                    h[4..8].copy_from_slice(&errno().to_ne_bytes());
                    write_all(wr, &h);
                    break;
                }
                if st.st_mode & libc::S_IFMT != libc::S_IFREG {
                    h[2] = ST_NOT_REGULAR;
                    h[4..8].copy_from_slice(&st.st_mode.to_ne_bytes());
                    write_all(wr, &h);
                    libc::close(fd);
                    break;
                }
                let size = st.st_size.max(0) as u64;
                let off = size.saturating_sub(LOG_TAIL as u64);
                // Nothing since in a file last written before `since`: nor in the older ones.
                let fresh = mtime_ms(&st) >= fresh_from;
                let n = if fresh { pread_all(fd, &mut tail[..(size - off) as usize], off as i64) } else { 0 };
                libc::close(fd);
                h[2] = ST_OK;
                h[8..16].copy_from_slice(&size.to_ne_bytes());
                h[16..24].copy_from_slice(&off.to_ne_bytes());
                h[24..32].copy_from_slice(&mtime_ms(&st).to_ne_bytes());
                h[32..36].copy_from_slice(&(n as u32).to_ne_bytes());
                write_all(wr, &h);
                write_all(wr, &tail[..n]);
                // A file not read whole reaches back far enough; an older one is needed only
                // when this one was (it rotated recently).
                if !fresh || off > 0 {
                    break;
                }
            }
            libc::close(dfd);
        }
        let sfd = libc::open(sdir.as_ptr(), dflags);
        if sfd < 0 {
            let mut h = [REC_DIR, 1, 0, 0, 0, 0, 0, 0];
            h[4..8].copy_from_slice(&errno().to_ne_bytes());
            write_all(wr, &h);
            return;
        }
        let (mut scanned, mut read) = (0usize, 0usize);
        'scan: loop {
            let n = libc::syscall(libc::SYS_getdents64, sfd, dents.as_mut_ptr(), dents.len());
            if n <= 0 {
                break;
            }
            let mut pos = 0usize;
            while pos + 19 < n as usize {
                let reclen = u16::from_ne_bytes([dents[pos + 16], dents[pos + 17]]) as usize;
                if reclen == 0 {
                    break 'scan;
                }
                let name_at = pos + 19;
                let mut end = name_at;
                while end < pos + reclen && end < n as usize && dents[end] != 0 {
                    end += 1;
                }
                pos += reclen;
                scanned += 1;
                if scanned > DIR_SCAN || read >= FDC_READ {
                    let mut h = [REC_CUT, 0, 0, 0, 0, 0, 0, 0];
                    h[4..8].copy_from_slice(&(scanned as u32).to_ne_bytes());
                    write_all(wr, &h);
                    break 'scan;
                }
                let name = &dents[name_at..end];
                if name.len() > 64 || !is_fdc_name(name) {
                    continue;
                }
                let fd = libc::openat(sfd, dents.as_ptr().add(name_at).cast(), fflags);
                if fd < 0 {
                    continue;
                }
                let mut st: libc::stat = std::mem::zeroed();
                if libc::fstat(fd, &mut st) != 0
                    || st.st_mode & libc::S_IFMT != libc::S_IFREG
                    || mtime_ms(&st) < fresh_from
                {
                    libc::close(fd);
                    continue;
                }
                let k = pread_all(fd, &mut head, 0);
                libc::close(fd);
                read += 1;
                let mut h = [0u8; 16];
                h[0] = REC_FDC;
                h[1] = name.len() as u8;
                h[4..12].copy_from_slice(&mtime_ms(&st).to_ne_bytes());
                h[12..16].copy_from_slice(&(k as u32).to_ne_bytes());
                write_all(wr, &h);
                write_all(wr, &dents[name_at..end]);
                write_all(wr, &head[..k]);
            }
        }
        libc::close(sfd);
    });
    let buf = match got {
        Ok(b) => b,
        Err(ChildFailed::Hung) => {
            raw.problems.push(format!(
                "the errors directories ({}, {}) gave no answer in time: error log and FDC files not read",
                qm_errors.display(),
                sys_errors.display()
            ));
            return raw;
        }
        Err(ChildFailed::Other(e)) => {
            raw.problems.push(format!("error log and FDC files not read: {e}"));
            return raw;
        }
    };
    decode(&buf, qm_errors, sys_errors, &mut raw);
    raw
}

fn cstring(p: &Path) -> Result<CString, std::ffi::NulError> {
    CString::new(p.as_os_str().as_encoded_bytes())
}

fn errno_text(e: i32) -> String {
    match e {
        libc::ELOOP => crate::fsread::SYMLINK_REFUSED.to_string(),
        e => std::io::Error::from_raw_os_error(e).to_string(),
    }
}

/// Reads the child's records; a record cut short ends the reading.
fn decode(buf: &[u8], qm_errors: &Path, sys_errors: &Path, raw: &mut Raw) {
    let u32_at = |b: &[u8], i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let i64_at = |b: &[u8], i: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[i..i + 8]);
        i64::from_ne_bytes(x)
    };
    let mut pos = 0usize;
    while pos < buf.len() {
        let rest = &buf[pos..];
        match rest[0] {
            REC_DIR if rest.len() >= 8 => {
                let dir = if rest[1] == 0 { qm_errors } else { sys_errors };
                let e = u32_at(rest, 4) as i32;
                let why = match e {
                    // O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR.
                    libc::ELOOP | libc::ENOTDIR => {
                        "is a symbolic link, which is not followed, or not a directory".into()
                    }
                    e => errno_text(e),
                };
                if e != libc::ENOENT || rest[1] == 0 {
                    raw.problems.push(format!("cannot open {}: {why}", dir.display()));
                }
                pos += 8;
            }
            REC_CUT if rest.len() >= 8 => {
                raw.problems.push(format!(
                    "{}: stopped looking for FDC files after {} entries",
                    sys_errors.display(),
                    u32_at(rest, 4)
                ));
                pos += 8;
            }
            REC_LOG if rest.len() >= 36 => {
                let idx = usize::from(rest[1]).min(2);
                let n = u32_at(rest, 32) as usize;
                match rest[2] {
                    ST_OK if rest.len() >= 36 + n => raw.logs.push((idx, rest[36..36 + n].to_vec())),
                    ST_OK => return,
                    ST_ERRNO => {
                        let e = u32_at(rest, 4) as i32;
                        // A log not written yet (or no older one) is no problem.
                        if e != libc::ENOENT {
                            raw.problems.push(format!("{}: {}", qm_errors.join(LOGS[idx]).display(), errno_text(e)));
                        }
                    }
                    _ => raw.problems.push(format!(
                        "{}: {}",
                        qm_errors.join(LOGS[idx]).display(),
                        crate::fsread::not_regular(u32_at(rest, 4))
                    )),
                }
                pos += 36 + if rest[2] == ST_OK { n } else { 0 };
            }
            REC_FDC if rest.len() >= 16 => {
                let (nl, k) = (usize::from(rest[1]), u32_at(rest, 12) as usize);
                if rest.len() < 16 + nl + k {
                    return;
                }
                let name = String::from_utf8_lossy(&rest[16..16 + nl]).into_owned();
                raw.fdcs.push((name, i64_at(rest, 4), rest[16 + nl..16 + nl + k].to_vec()));
                pos += 16 + nl + k;
            }
            _ => return,
        }
    }
}

/// The evidence in `raw` for queue manager `qm` since `since_ms`.
fn assemble(raw: Raw, qm: &str, sys_errors: &Path, since_ms: i64) -> Evidence {
    let mut ev = Evidence { problems: raw.problems, ..Evidence::default() };
    let mut all: Vec<Entry> = Vec::new();
    // Oldest file first, so that the entries come in the order they were written.
    let mut logs = raw.logs;
    logs.sort_by_key(|l| std::cmp::Reverse(l.0));
    for (idx, bytes) in logs {
        let text = String::from_utf8_lossy(&bytes);
        all.extend(parse_entries(&text, LOGS[idx]).into_iter().filter(|e| e.time_ms >= since_ms));
    }
    ev.first_error = all.iter().find(|e| e.is_error()).cloned();
    ev.entries_left_out = all.len().saturating_sub(ENTRIES);
    ev.entries = all.split_off(ev.entries_left_out);
    let mut fdcs: Vec<Fdc> = Vec::new();
    for (name, mtime_ms, head) in raw.fdcs {
        let fields = parse_fdc_header(&String::from_utf8_lossy(&head));
        let field = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        // The directory serves every queue manager of the node: only this one's records count.
        if field("QueueManager").as_deref() != Some(qm) {
            continue;
        }
        // Created since: the first record's "UTC Time" (seconds.micro), else the file's time.
        let created = field("UTC Time").and_then(|t| utc_time_ms(&t)).unwrap_or(mtime_ms);
        if created < since_ms {
            continue;
        }
        fdcs.push(Fdc {
            path: sys_errors.join(&name),
            probe_id: field("Probe Id").unwrap_or_else(|| "?".into()),
            component: field("Component").unwrap_or_else(|| "?".into()),
            program: field("Program Name").unwrap_or_else(|| "?".into()),
            major: field("Major Errorcode").unwrap_or_else(|| "?".into()),
            mtime_ms,
        });
    }
    fdcs.sort_by(|a, b| (a.mtime_ms, &a.path).cmp(&(b.mtime_ms, &b.path)));
    ev.fdcs_left_out = fdcs.len().saturating_sub(FDCS);
    fdcs.truncate(FDCS);
    ev.fdcs = fdcs;
    ev
}

/// Milliseconds since the epoch of an FDC's `UTC Time` field (`1716143803.505000`).
fn utc_time_ms(v: &str) -> Option<i64> {
    let v = v.split_whitespace().next()?;
    let (s, frac) = v.split_once('.').unwrap_or((v, "0"));
    let ms: String = frac.chars().take(3).collect();
    let ms = format!("{ms:0<3}");
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|c| c.is_ascii_digit()) || !ms.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some(s.parse::<i64>().ok()? * 1000 + ms.parse::<i64>().ok()?)
}

/// Milliseconds since the epoch of `t`.
pub fn epoch_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

impl QueueManager {
    /// The queue manager's error-log entries and FDC files written at or after `since`, read as
    /// the mq user within `deadline`.
    pub fn evidence(&self, since: SystemTime, deadline: Instant) -> Evidence {
        let sys = self.inst.data_path.join("errors");
        let Some(data) = self.data_dir() else {
            return Evidence {
                problems: vec!["its data directory is not known (no stanza in mqs.ini): error log not read".into()],
                ..Evidence::default()
            };
        };
        let since_ms = epoch_ms(since);
        let who = LookAs::user(&self.user);
        let raw = read_raw(&data.join("errors"), &sys, since_ms, Some(&who), deadline);
        assemble(raw, self.name.as_str(), &sys, since_ms)
    }
}

/// The same read for tests and tools that have no `QueueManager`: the errors directories given.
pub fn read(
    qm: &str,
    qm_errors: &Path,
    sys_errors: &Path,
    since: SystemTime,
    who: Option<&LookAs>,
    deadline: Instant,
) -> Evidence {
    let since_ms = epoch_ms(since);
    assemble(read_raw(qm_errors, sys_errors, since_ms, who, deadline), qm, sys_errors, since_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const ENTRY: &str = "12/29/2018 11:31:51 PM - Process(14223.1) User(mqm) Program(runmqchl)
                    Host(ip-172-17-1-106) Installation(Installation1)
                    VRMF(9.1.0.0) QMgr(QMR01)
                    Time(2018-12-29T23:31:51.943Z)
                    ArithInsert1(8)
                    CommentInsert1(QMR01.QM01)

AMQ9654E: Validation checks for the remote personal certificate failed. The
channel did not start.

EXPLANATION:
An SSL certificate received from the remote system was not corrupt.
ACTION:
Check which of the possible causes applies on your system.
----- amqrccca.c : 439 --------------------------------------------------------
";

    #[test]
    fn an_entry_gives_its_id_first_line_and_stamp() {
        let e = parse_entries(ENTRY, "AMQERR01.LOG");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].id, "AMQ9654E");
        assert_eq!(e[0].line, "AMQ9654E: Validation checks for the remote personal certificate failed. The");
        assert_eq!(e[0].time_ms, iso_ms("2018-12-29T23:31:51.943Z").unwrap());
        assert_eq!(stamp(e[0].time_ms), "2018-12-29T23:31:51.943Z");
        assert!(e[0].is_error());
    }

    #[test]
    fn a_partial_first_entry_and_one_without_a_stamp_are_skipped() {
        let tail = &ENTRY[200..];
        assert!(parse_entries(tail, "AMQERR01.LOG").is_empty());
        let no_time = ENTRY.replace("Time(2018-12-29T23:31:51.943Z)", "");
        assert!(parse_entries(&no_time, "AMQERR01.LOG").is_empty());
        let two = format!("{ENTRY}{}", ENTRY.replace("AMQ9654E", "AMQ8003I"));
        let ids: Vec<String> = parse_entries(&two, "AMQERR01.LOG").into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["AMQ9654E", "AMQ8003I"]);
    }

    #[test]
    fn ids_with_and_without_a_severity_letter() {
        assert_eq!(message_id("AMQ8003: started"), Some("AMQ8003"));
        assert_eq!(message_id("AMQ5008S: An essential"), Some("AMQ5008S"));
        assert_eq!(message_id("AMQ50: x"), None);
        assert_eq!(message_id("AMQ5008s: x"), None);
        assert_eq!(message_id("AMQé008S: x"), None);
    }

    #[test]
    fn iso_stamps() {
        assert_eq!(iso_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(iso_ms("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(iso_ms("2024-05-19T18:36:43.505Z"), Some(1_716_143_803_505));
        for bad in ["", "2024-05-19 18:36:43Z", "2024-13-19T18:36:43Z", "2024-05-19T18:36:43.5", "é024-05-19T18:36:43Z"]
        {
            assert_eq!(iso_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn fdc_names() {
        assert!(is_fdc_name(b"AMQ39742.0.FDC"));
        assert!(is_fdc_name(b"AMQ1.12.FDC"));
        for bad in [&b"AMQ39742.FDC"[..], b"AMQ.0.FDC", b"AMQP123.0.FDC", b"AMQ1.0.FDC.bak", b"AMQ1.0.0.FDC", b"x"] {
            assert!(!is_fdc_name(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_reason_leads_with_the_first_error_id() {
        let ev = Evidence {
            first_error: Some(Entry { id: "AMQ7017S".into(), line: String::new(), time_ms: 0, file: "AMQERR01.LOG" }),
            ..Evidence::default()
        };
        assert_eq!(ev.lead("strmqm QM1 exited 23"), "AMQ7017S: strmqm QM1 exited 23");
        assert_eq!(ev.lead("AMQ7017S: Log not available."), "AMQ7017S: Log not available.");
        assert_eq!(Evidence::default().lead("x"), "x");
    }

    fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let (q, s) = (t.path().join("qm/errors"), t.path().join("errors"));
        std::fs::create_dir_all(&q).unwrap();
        std::fs::create_dir_all(&s).unwrap();
        (t, q, s)
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    fn entry_at(ms: i64, id: &str) -> String {
        ENTRY.replace("2018-12-29T23:31:51.943Z", &stamp(ms)).replace("AMQ9654E", id)
    }

    #[test]
    fn only_entries_since_are_reported_across_a_rotation() {
        let (_t, q, s) = dirs();
        let now = epoch_ms(SystemTime::now());
        // Rotated during the action: the start of it in AMQERR02.LOG, the rest in AMQERR01.LOG.
        std::fs::write(q.join("AMQERR02.LOG"), entry_at(now - 60_000, "AMQ8003I") + &entry_at(now + 10, "AMQ7017S"))
            .unwrap();
        std::fs::write(q.join("AMQERR01.LOG"), entry_at(now + 20, "AMQ8004I")).unwrap();
        std::fs::write(q.join("AMQERR03.LOG"), entry_at(now + 30, "AMQ9999E")).unwrap();
        let ev = read("QMR01", &q, &s, UNIX_EPOCH + Duration::from_millis(now as u64), None, soon());
        let ids: Vec<&str> = ev.entries.iter().map(|e| e.id.as_str()).collect();
        // AMQERR03.LOG is read only when AMQERR02.LOG was read whole and is fresh: it was, so
        // its entry counts too (its stamp says it is new, whatever the file).
        assert_eq!(ids, ["AMQ9999E", "AMQ7017S", "AMQ8004I"], "{ev:?}");
        assert_eq!(ev.first_error.as_ref().unwrap().id, "AMQ9999E");
        assert!(ev.problems.is_empty(), "{ev:?}");
    }

    #[test]
    fn a_symlinked_log_or_directory_is_not_followed() {
        let (t, q, s) = dirs();
        let secret = t.path().join("secret");
        std::fs::write(&secret, entry_at(epoch_ms(SystemTime::now()) + 1000, "AMQ9999S")).unwrap();
        std::os::unix::fs::symlink(&secret, q.join("AMQERR01.LOG")).unwrap();
        std::os::unix::fs::symlink(&secret, s.join("AMQ1.0.FDC")).unwrap();
        let ev = read("QMR01", &q, &s, SystemTime::now() - Duration::from_secs(60), None, soon());
        assert!(ev.entries.is_empty() && ev.fdcs.is_empty(), "{ev:?}");
        assert!(ev.problems.iter().any(|p| p.contains("AMQERR01.LOG") && p.contains("symbolic link")), "{ev:?}");
        let linked = t.path().join("linked");
        std::os::unix::fs::symlink(&q, &linked).unwrap();
        let ev = read("QMR01", &linked, &s, SystemTime::now(), None, soon());
        assert!(ev.problems.iter().any(|p| p.contains("not followed")), "{ev:?}");
    }

    #[test]
    fn a_huge_garbage_log_is_read_bounded() {
        let (_t, q, s) = dirs();
        let mut junk = vec![b'\xff'; 8 * 1024 * 1024];
        junk.extend_from_slice(
            b"\n - Process(1.1) Program(x)\n Time(2999-01-01T00:00:00.000Z)\nAMQ1234E: \x1b[31mred\x07\n",
        );
        std::fs::write(q.join("AMQERR01.LOG"), &junk).unwrap();
        let t = Instant::now();
        let ev = read("QMR01", &q, &s, SystemTime::now() - Duration::from_secs(60), None, soon());
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        assert_eq!(ev.entries.len(), 1, "{ev:?}");
        assert_eq!(ev.entries[0].line, "AMQ1234E: ?[31mred?");
    }

    #[test]
    fn fdcs_of_this_queue_manager_since_are_named_with_their_probe_id() {
        let (_t, q, s) = dirs();
        let fdc = |qm: &str| {
            format!("+---+\n| Probe Id          :- ZX005020     |\n| Component         :- zxcProcessChildren |\n| Program Name      :- amqzxma0 |\n| QueueManager      :- {qm} |\n| Major Errorcode   :- zrcX_PROCESS_MISSING |\n")
        };
        std::fs::write(s.join("AMQ100.0.FDC"), fdc("QMR01")).unwrap();
        std::fs::write(s.join("AMQ200.0.FDC"), fdc("OTHER")).unwrap();
        std::fs::write(s.join("notes.txt"), fdc("QMR01")).unwrap();
        let ev = read("QMR01", &q, &s, SystemTime::now() - Duration::from_secs(60), None, soon());
        assert_eq!(ev.fdcs.len(), 1, "{ev:?}");
        assert_eq!(ev.fdcs[0].path, s.join("AMQ100.0.FDC"));
        assert_eq!(ev.fdcs[0].probe_id, "ZX005020");
        assert_eq!(ev.fdcs[0].component, "zxcProcessChildren");
        // Created before `since` by its own UTC Time: not reported.
        let old = fdc("QMR01").replace("+---+\n", "+---+\n| UTC Time          :- 1000000000.000000 |\n");
        std::fs::write(s.join("AMQ100.0.FDC"), old).unwrap();
        let ev = read("QMR01", &q, &s, SystemTime::now() - Duration::from_secs(60), None, soon());
        assert!(ev.fdcs.is_empty(), "{ev:?}");
        let ev = read("QMR01", &q, &s, SystemTime::now() + Duration::from_secs(120), None, soon());
        assert!(ev.fdcs.is_empty(), "{ev:?}");
    }
}
