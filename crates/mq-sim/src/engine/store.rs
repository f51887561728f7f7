//! What survives a restart: object definitions in the data directory, persistent messages in
//! the log directory (one file per queue). Every write goes to a temporary file and is renamed
//! over the old one, so a killed queue manager never leaves a half-written file.

use super::objects::{AuthRec, ChlAuthRule, ObjectDef};
use super::EngineError;
use crate::wire::MsgDesc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const OBJECTS_FILE: &str = "mqsim-objects.json";
pub const MESSAGES_DIR: &str = "mqsim-messages";

/// The queue manager's object catalogue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalogue {
    pub qmgr: BTreeMap<String, String>,
    pub qm_crdate: String,
    pub qm_crtime: String,
    pub qm_altdate: String,
    pub qm_alttime: String,
    /// QMID: name + creation stamp, as MQ forms it.
    pub qmid: String,
    pub objects: Vec<ObjectDef>,
    pub chlauth: Vec<ChlAuthRule>,
    /// OAM authority records (SET AUTHREC); absent in catalogues written before they existed.
    #[serde(default)]
    pub authrecs: Vec<AuthRec>,
}

/// A message at rest; `seq` identifies it within the queue's journal epoch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredMsg {
    pub md: MsgDesc,
    pub data: Vec<u8>,
    #[serde(default)]
    pub seq: u64,
}

/// One line of a queue's journal: appended on each persistent put and get, so a put costs one
/// append instead of a rewrite of the queue; folded into the snapshot at open and at shutdown.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one record at a time, written and dropped: boxing saves nothing
pub enum JournalRecord {
    Put(StoredMsg),
    Del(u64),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io { path: path.to_path_buf(), source }
}

/// Writes `bytes` to `path` through a sibling temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("f")));
    let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

pub fn objects_path(data_dir: &Path) -> PathBuf {
    data_dir.join(OBJECTS_FILE)
}

pub fn load_catalogue(data_dir: &Path) -> Result<Catalogue, EngineError> {
    let path = objects_path(data_dir);
    let text = std::fs::read(&path).map_err(io_err(&path))?;
    serde_json::from_slice(&text).map_err(|e| EngineError::Corrupt { path, detail: e.to_string() })
}

pub fn save_catalogue(data_dir: &Path, cat: &Catalogue) -> Result<(), EngineError> {
    write_atomic(&objects_path(data_dir), &catalogue_bytes(data_dir, cat)?)
}

/// The catalogue as its file holds it.
pub fn catalogue_bytes(data_dir: &Path, cat: &Catalogue) -> Result<Vec<u8>, EngineError> {
    serde_json::to_vec_pretty(cat)
        .map_err(|e| EngineError::Corrupt { path: objects_path(data_dir), detail: e.to_string() })
}

/// File of one queue's persistent messages; queue names map to file names as MQ maps names
/// to directories (`.` -> `!`, `/` -> `&`).
pub fn queue_file(log_dir: &Path, queue: &str) -> PathBuf {
    log_dir.join(MESSAGES_DIR).join(format!("{}.json", crate::paths::qm_dir_name(queue)))
}

fn journal_file(log_dir: &Path, queue: &str) -> PathBuf {
    queue_file(log_dir, queue).with_extension("jnl")
}

/// Writes the snapshot of a queue's persistent messages and empties its journal. The snapshot
/// is renamed into place first: a crash in between replays a journal whose records are already
/// in the snapshot, which `load_queue` recognises by their sequence numbers.
pub fn save_queue(log_dir: &Path, queue: &str, msgs: &[StoredMsg]) -> Result<(), EngineError> {
    let path = queue_file(log_dir, queue);
    if msgs.is_empty() {
        if let Err(e) = std::fs::remove_file(&path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(io_err(&path)(e));
            }
        }
    } else {
        let bytes =
            serde_json::to_vec(msgs).map_err(|e| EngineError::Corrupt { path: path.clone(), detail: e.to_string() })?;
        write_atomic(&path, &bytes)?;
    }
    let jnl = journal_file(log_dir, queue);
    match std::fs::remove_file(&jnl) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(&jnl)(e)),
        _ => Ok(()),
    }
}

/// Appends one record to a queue's journal.
pub fn append_journal(log_dir: &Path, queue: &str, rec: &JournalRecord) -> Result<(), EngineError> {
    let path = journal_file(log_dir, queue);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let line = journal_line(log_dir, queue, rec)?;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io_err(&path))?;
    f.write_all(&line).map_err(io_err(&path))
}

/// A journal record as its line in the journal file, newline included.
pub fn journal_line(log_dir: &Path, queue: &str, rec: &JournalRecord) -> Result<Vec<u8>, EngineError> {
    let mut line = serde_json::to_vec(rec)
        .map_err(|e| EngineError::Corrupt { path: journal_file(log_dir, queue), detail: e.to_string() })?;
    line.push(b'\n');
    Ok(line)
}

/// How many of `lines` (in order) the queue's journal already ends with: a record written once
/// and applied again (a replica that crashed before noting its LSN) finds its own lines, or a
/// first part of them, at the end of the journal. Reads only the journal's last bytes. A torn
/// last line (killed mid-write) is cut off first, so that lines appended after it are read.
pub fn journal_tail_matches(log_dir: &Path, queue: &str, lines: &[Vec<u8>]) -> Result<usize, EngineError> {
    use std::os::unix::fs::FileExt;
    let path = journal_file(log_dir, queue);
    let f = match std::fs::OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err(&path)(e)),
    };
    let mut len = f.metadata().map_err(io_err(&path))?.len();
    let mut last = [0u8; 1];
    if len > 0 && f.read_exact_at(&mut last, len - 1).is_ok() && last[0] != b'\n' {
        // Back to the end of the last whole line, 64 KiB at a time.
        let mut end = len;
        let mut cut = 0;
        while end > 0 {
            let start = end.saturating_sub(64 * 1024);
            let mut chunk = vec![0u8; (end - start) as usize];
            f.read_exact_at(&mut chunk, start).map_err(io_err(&path))?;
            if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
                cut = start + i as u64 + 1;
                break;
            }
            end = start;
        }
        f.set_len(cut).map_err(io_err(&path))?;
        len = cut;
    }
    let want: u64 = lines.iter().map(|l| l.len() as u64).sum::<u64>().min(len);
    let mut tail = vec![0u8; want as usize];
    f.read_exact_at(&mut tail, len - want).map_err(io_err(&path))?;
    for j in (1..=lines.len()).rev() {
        if tail.ends_with(&lines[..j].concat()) {
            return Ok(j);
        }
    }
    Ok(0)
}

/// Snapshot plus journal. A torn last journal line (killed mid-write) is ignored.
pub fn load_queue(log_dir: &Path, queue: &str) -> Result<Vec<StoredMsg>, EngineError> {
    let path = queue_file(log_dir, queue);
    let mut msgs: Vec<StoredMsg> = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| EngineError::Corrupt { path: path.clone(), detail: e.to_string() })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_err(&path)(e)),
    };
    let jnl = journal_file(log_dir, queue);
    match std::fs::read_to_string(&jnl) {
        Ok(text) => {
            for line in text.lines() {
                match serde_json::from_str::<JournalRecord>(line) {
                    Ok(JournalRecord::Put(m)) => {
                        if !msgs.iter().any(|x| x.seq == m.seq) {
                            msgs.push(m);
                        }
                    }
                    Ok(JournalRecord::Del(seq)) => msgs.retain(|x| x.seq != seq),
                    Err(_) => break,
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(&jnl)(e)),
    }
    Ok(msgs)
}

/// Local date and time as MQSC prints them: ("2026-11-22", "00.38.51").
pub fn mqsc_now() -> (String, String) {
    let t = tm(false);
    (
        format!("{:04}-{:02}-{:02}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday),
        format!("{:02}.{:02}.{:02}", t.tm_hour, t.tm_min, t.tm_sec),
    )
}

/// MQMD PutDate/PutTime: GMT, "YYYYMMDD" and "HHMMSSTH" (hundredths).
pub fn md_now() -> (String, String) {
    let t = tm(true);
    let hundredths =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_millis() / 10).unwrap_or(0);
    (
        format!("{:04}{:02}{:02}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday),
        format!("{:02}{:02}{:02}{:02}", t.tm_hour, t.tm_min, t.tm_sec, hundredths),
    )
}

fn tm(utc: bool) -> libc::tm {
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    // SAFETY: tm is plain data; the *_r variants write only into it.
    let mut out: libc::tm = unsafe { std::mem::zeroed() };
    unsafe {
        if utc {
            libc::gmtime_r(&now, &mut out);
        } else {
            libc::localtime_r(&now, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: u64) -> StoredMsg {
        StoredMsg { md: MsgDesc::default(), data: vec![seq as u8], seq }
    }

    #[test]
    fn journal_replays_over_the_snapshot_and_save_compacts() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path();
        save_queue(log, "Q.A", &[msg(1), msg(2)]).unwrap();
        append_journal(log, "Q.A", &JournalRecord::Put(msg(3))).unwrap();
        append_journal(log, "Q.A", &JournalRecord::Del(1)).unwrap();
        // A record already in the snapshot (crash between snapshot and journal removal).
        append_journal(log, "Q.A", &JournalRecord::Put(msg(2))).unwrap();
        let got: Vec<u64> = load_queue(log, "Q.A").unwrap().iter().map(|m| m.seq).collect();
        assert_eq!(got, vec![2, 3]);
        std::fs::OpenOptions::new()
            .append(true)
            .open(journal_file(log, "Q.A"))
            .unwrap()
            .write_all(b"{\"Put\":{\"md")
            .unwrap();
        assert_eq!(load_queue(log, "Q.A").unwrap().len(), 2, "torn line ignored");
        save_queue(log, "Q.A", &load_queue(log, "Q.A").unwrap()).unwrap();
        assert!(!journal_file(log, "Q.A").exists());
        assert_eq!(load_queue(log, "Q.A").unwrap().len(), 2);
        save_queue(log, "Q.A", &[]).unwrap();
        assert!(load_queue(log, "Q.A").unwrap().is_empty());
    }
}
