//! Native HA replication of the engine's durable writes (docs/reference/native-ha.md#in-sync,
//! #persistent-messages).
//!
//! Everything the engine writes that a restarted queue manager reads back — a queue's journal
//! line (persistent MQPUT/MQGET outside a unit of work, the records of an MQCMIT), a queue's
//! snapshot (journal fold, CLEAR QLOCAL, DELETE QLOCAL, expiry, shutdown), the object catalogue
//! (DEFINE/ALTER/DELETE, SET AUTHREC/CHLAUTH, ALTER QMGR, a permanent dynamic queue) — becomes
//! one [`ReplRecord`]. On an active instance of a Native HA queue manager the engine hands the
//! record to the runtime's [`Replicator`] FIRST and writes its own files only once the record is
//! acknowledged ("writing needs quorum"); a replica writes the same files with [`apply_at`].
//! Leader and replica go through the same function, so their files are the same bytes.
//!
//! Non-persistent messages, uncommitted units of work and temporary dynamic queues are never
//! written, so never replicated: a failover loses them, as a restart does.

use super::store::{self, JournalRecord, StoredMsg};
use super::EngineError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Log sequence number of a replication record: assigned by the replicator, strictly increasing
/// over the life of the queue manager (across elections), 0 = nothing applied yet.
pub type Lsn = u64;

/// File, in the log directory, holding the LSN of the last record applied there (leader and
/// replica alike). Absent on a queue manager that never replicated.
pub const APPLIED_LSN_FILE: &str = "mqsim-repl.lsn";

/// One durable write of the engine.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one record at a time, sent and dropped
pub enum ReplRecord {
    /// A line appended to a queue's journal.
    Journal { queue: String, rec: JournalRecord },
    /// A queue's persistent messages replace its snapshot and empty its journal (`msgs` empty:
    /// both files removed).
    Snapshot { queue: String, msgs: Vec<StoredMsg> },
    /// The object catalogue, the bytes of `<data>/mqsim-objects.json` (sent as text: a third
    /// of the size of a JSON array of numbers).
    Catalogue {
        #[serde(with = "utf8")]
        bytes: Vec<u8>,
    },
    /// The whole durable state: the catalogue and the messages of every local queue; message
    /// files of any other queue are removed. Written by a leader when it opens the engine (the
    /// start of its term: it also folds every journal) and usable to rebase a replica.
    Full {
        #[serde(with = "utf8")]
        catalogue: Vec<u8>,
        queues: Vec<(String, Vec<StoredMsg>)>,
    },
    /// The writes of one MQI call or command, in order (an MQCMIT's journal lines, a put and the
    /// fold it triggered): one LSN, acknowledged or refused as a whole.
    Batch { records: Vec<ReplRecord> },
}

/// The catalogue's bytes (JSON, so UTF-8) as a JSON string.
mod utf8 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(std::str::from_utf8(bytes).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        String::deserialize(d).map(String::into_bytes)
    }
}

/// Why a record could not be made durable on a quorum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplError {
    /// This instance is no longer (or not yet) the active instance.
    #[error("this instance is not the active instance")]
    NotLeader,
    /// No replica acknowledged within the replicator's deadline.
    #[error("no quorum to write the recovery log: {0}")]
    NoQuorum(String),
}

/// What the engine asks of the Native HA runtime (src/nha implements it).
pub trait Replicator: Send + Sync {
    /// Called by the engine for every durable write, BEFORE the MQI call returns success and
    /// before the engine writes its own files; blocks until at least one replica has
    /// acknowledged the record (quorum to write) or fails. Must return within a bounded time
    /// (the engine's lock is held meanwhile, so records are offered in the order they are
    /// applied). The returned LSN is the one the replicas were given for this record.
    fn replicate(&self, rec: &ReplRecord) -> Result<Lsn, ReplError>;
}

impl ReplRecord {
    /// Number of records it carries (a batch counts its members), for logs and tests.
    pub fn len(&self) -> usize {
        match self {
            ReplRecord::Batch { records } => records.iter().map(ReplRecord::len).sum(),
            _ => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io { path: path.to_path_buf(), source }
}

fn applied_lsn_path(log_dir: &Path) -> PathBuf {
    log_dir.join(APPLIED_LSN_FILE)
}

/// LSN of the last record applied to this instance's files (0 when none was).
pub fn applied_lsn(log_dir: &Path) -> Lsn {
    std::fs::read_to_string(applied_lsn_path(log_dir)).ok().and_then(|t| t.trim().parse().ok()).unwrap_or(0)
}

/// Applies record `lsn` unless a record at or after it was applied already (a record re-sent
/// after a reconnect); returns whether it was applied. A replica calls it for what it receives.
pub fn apply_at(data_dir: &Path, log_dir: &Path, lsn: Lsn, rec: &ReplRecord) -> Result<bool, EngineError> {
    if lsn != 0 && lsn <= applied_lsn(log_dir) {
        return Ok(false);
    }
    write(data_dir, log_dir, rec, true)?;
    mark_applied(log_dir, lsn)?;
    Ok(true)
}

/// Writes the files the record describes, exactly as the engine that made it wrote its own.
/// Applying a record twice in a row leaves the files as applying it once did (its journal lines
/// already at the end of a queue's journal are not appended again; the other records replace
/// whole files). An older record re-sent after later ones is `apply_at`'s case (by LSN).
pub fn apply(data_dir: &Path, log_dir: &Path, rec: &ReplRecord) -> Result<(), EngineError> {
    write(data_dir, log_dir, rec, true)
}

/// The engine's own write of a record it just made (and the replicas acknowledged as `lsn`; 0
/// when nothing replicates): the same files as `apply`, without looking for a duplicate.
pub(crate) fn write_own(data_dir: &Path, log_dir: &Path, lsn: Lsn, rec: &ReplRecord) -> Result<(), EngineError> {
    write(data_dir, log_dir, rec, false)?;
    mark_applied(log_dir, lsn)
}

/// Notes `lsn` as applied: 20 digits and a newline written in place at the start of the file
/// (one small write, no rename: it is done for every record on every instance, and a rename
/// costs a millisecond on some file systems). An unreadable mark reads as 0.
fn mark_applied(log_dir: &Path, lsn: Lsn) -> Result<(), EngineError> {
    use std::os::unix::fs::FileExt;
    if lsn == 0 {
        return Ok(());
    }
    let path = applied_lsn_path(log_dir);
    let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io_err(&path))?;
    f.write_all_at(format!("{lsn:020}\n").as_bytes(), 0).map_err(io_err(&path))
}

fn write(data_dir: &Path, log_dir: &Path, rec: &ReplRecord, dedup: bool) -> Result<(), EngineError> {
    // Applied again: per queue, the record's journal lines already at the end of the journal
    // are not appended a second time.
    let mut skip: BTreeMap<String, usize> = BTreeMap::new();
    if dedup {
        let mut lines: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
        for r in leaves(rec) {
            if let ReplRecord::Journal { queue, rec } = r {
                lines.entry(queue).or_default().push(store::journal_line(log_dir, queue, rec)?);
            }
        }
        for (queue, lines) in lines {
            skip.insert(queue.to_string(), store::journal_tail_matches(log_dir, queue, &lines)?);
        }
    }
    // Every member of a batch is attempted (a queue whose file cannot be written does not keep
    // the others from theirs); the first error is reported.
    let mut first = Ok(());
    for r in leaves(rec) {
        let done = match r {
            ReplRecord::Journal { queue, rec } => match skip.get_mut(queue.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    Ok(())
                }
                _ => store::append_journal(log_dir, queue, rec),
            },
            ReplRecord::Snapshot { queue, msgs } => store::save_queue(log_dir, queue, msgs),
            ReplRecord::Catalogue { bytes } => write_catalogue(data_dir, bytes),
            ReplRecord::Full { catalogue, queues } => write_full(data_dir, log_dir, catalogue, queues),
            ReplRecord::Batch { .. } => Ok(()),
        };
        if first.is_ok() {
            first = done;
        }
    }
    first
}

/// The records a record stands for, batches flattened, in order.
fn leaves(rec: &ReplRecord) -> Vec<&ReplRecord> {
    match rec {
        ReplRecord::Batch { records } => records.iter().flat_map(leaves).collect(),
        other => vec![other],
    }
}

fn write_catalogue(data_dir: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    check_catalogue(data_dir, bytes)?;
    store::write_atomic(&store::objects_path(data_dir), bytes)
}

fn write_full(
    data_dir: &Path,
    log_dir: &Path,
    catalogue: &[u8],
    queues: &[(String, Vec<StoredMsg>)],
) -> Result<(), EngineError> {
    write_catalogue(data_dir, catalogue)?;
    let keep: std::collections::BTreeSet<String> = queues
        .iter()
        .flat_map(|(q, _)| {
            let f = store::queue_file(log_dir, q);
            [f.clone(), f.with_extension("jnl")]
        })
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
        .collect();
    for (q, msgs) in queues {
        store::save_queue(log_dir, q, msgs)?;
    }
    let dir = log_dir.join(store::MESSAGES_DIR);
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    for entry in std::fs::read_dir(&dir).map_err(io_err(&dir))? {
        let entry = entry.map_err(io_err(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.ends_with(".json") || name.ends_with(".jnl");
        if ours && !keep.contains(&name) {
            let p = entry.path();
            std::fs::remove_file(&p).map_err(io_err(&p))?;
        }
    }
    Ok(())
}

/// A catalogue record must parse as one: a replica never replaces its catalogue with bytes a
/// restarted engine could not load.
fn check_catalogue(data_dir: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    serde_json::from_slice::<store::Catalogue>(bytes)
        .map(|_| ())
        .map_err(|e| EngineError::Corrupt { path: store::objects_path(data_dir), detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::MsgDesc;

    fn put(seq: u64) -> ReplRecord {
        ReplRecord::Journal {
            queue: "Q.A".into(),
            rec: JournalRecord::Put(StoredMsg { md: MsgDesc::default(), data: vec![seq as u8], seq }),
        }
    }

    fn journal(log: &Path) -> String {
        std::fs::read_to_string(store::queue_file(log, "Q.A").with_extension("jnl")).unwrap()
    }

    #[test]
    fn a_batch_written_in_part_before_a_crash_is_completed_not_doubled() {
        let dir = tempfile::tempdir().unwrap();
        let (data, log) = (dir.path().join("data"), dir.path().join("log"));
        apply(&data, &log, &put(1)).unwrap();
        let batch = ReplRecord::Batch { records: vec![put(2), put(3), put(4)] };
        // Killed after the first line of the batch, the second torn.
        apply(&data, &log, &put(2)).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(store::queue_file(&log, "Q.A").with_extension("jnl"))
            .unwrap();
        std::io::Write::write_all(&mut f, b"{\"Put\":{\"md").unwrap();
        drop(f);
        assert!(apply_at(&data, &log, 7, &batch).unwrap());
        let once = journal(&log);
        assert_eq!(once.lines().count(), 4, "{once}");
        assert!(!apply_at(&data, &log, 7, &batch).unwrap(), "LSN 7 already applied");
        apply(&data, &log, &batch).unwrap();
        assert_eq!(journal(&log), once, "applied again in a row: unchanged");
        let seqs: Vec<u64> = store::load_queue(&log, "Q.A").unwrap().iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
        assert_eq!(applied_lsn(&log), 7);
    }

    #[test]
    fn a_full_record_leaves_only_the_queues_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let (data, log) = (dir.path().join("data"), dir.path().join("log"));
        apply(&data, &log, &put(1)).unwrap();
        store::save_queue(&log, "OLD.Q", &[StoredMsg { md: MsgDesc::default(), data: vec![1], seq: 9 }]).unwrap();
        let cat = store::Catalogue {
            qmgr: Default::default(),
            qm_crdate: String::new(),
            qm_crtime: String::new(),
            qm_altdate: String::new(),
            qm_alttime: String::new(),
            qmid: "QM_x".into(),
            objects: Vec::new(),
            chlauth: Vec::new(),
            authrecs: Vec::new(),
        };
        let full = ReplRecord::Full {
            catalogue: store::catalogue_bytes(&data, &cat).unwrap(),
            queues: vec![("Q.A".into(), vec![StoredMsg { md: MsgDesc::default(), data: vec![5], seq: 1 }])],
        };
        let wire: ReplRecord = serde_json::from_slice(&serde_json::to_vec(&full).unwrap()).unwrap();
        assert_eq!(wire, full);
        apply(&data, &log, &wire).unwrap();
        assert_eq!(store::load_catalogue(&data).unwrap().qmid, "QM_x");
        assert_eq!(store::load_queue(&log, "Q.A").unwrap()[0].data, vec![5]);
        assert!(store::load_queue(&log, "OLD.Q").unwrap().is_empty(), "a queue the leader does not have is gone");
        let bad = ReplRecord::Catalogue { bytes: b"{}".to_vec() };
        assert!(apply(&data, &log, &bad).is_err(), "a catalogue a restart could not load is refused");
        assert_eq!(store::load_catalogue(&data).unwrap().qmid, "QM_x");
    }
}
