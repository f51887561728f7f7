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
    /// The object catalogue, the bytes of `<data>/mqsim-objects.json`.
    Catalogue { bytes: Vec<u8> },
    /// The whole durable state: the catalogue and the messages of every local queue; message
    /// files of any other queue are removed. Written by a leader when it opens the engine (the
    /// start of its term: it also folds every journal) and usable to rebase a replica.
    Full { catalogue: Vec<u8>, queues: Vec<(String, Vec<StoredMsg>)> },
    /// The writes of one MQI call or command, in order (an MQCMIT's journal lines, a put and the
    /// fold it triggered): one LSN, acknowledged or refused as a whole.
    Batch { records: Vec<ReplRecord> },
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
/// Applying a record twice leaves the files as applying it once did (a journal line already in
/// the queue's journal or snapshot is not appended again; the other records replace whole files).
pub fn apply(data_dir: &Path, log_dir: &Path, rec: &ReplRecord) -> Result<(), EngineError> {
    write(data_dir, log_dir, rec, true)
}

/// The engine's own write of a record it just made (and the replicas acknowledged as `lsn`; 0
/// when nothing replicates): the same files as `apply`, without looking for a duplicate.
pub(crate) fn write_own(data_dir: &Path, log_dir: &Path, lsn: Lsn, rec: &ReplRecord) -> Result<(), EngineError> {
    write(data_dir, log_dir, rec, false)?;
    mark_applied(log_dir, lsn)
}

fn mark_applied(log_dir: &Path, lsn: Lsn) -> Result<(), EngineError> {
    if lsn == 0 {
        return Ok(());
    }
    store::write_atomic(&applied_lsn_path(log_dir), lsn.to_string().as_bytes())
}

fn write(data_dir: &Path, log_dir: &Path, rec: &ReplRecord, dedup: bool) -> Result<(), EngineError> {
    match rec {
        ReplRecord::Journal { queue, rec } => {
            if !(dedup && store::journal_has(log_dir, queue, rec)?) {
                store::append_journal(log_dir, queue, rec)?;
            }
            Ok(())
        }
        ReplRecord::Snapshot { queue, msgs } => store::save_queue(log_dir, queue, msgs),
        ReplRecord::Catalogue { bytes } => {
            check_catalogue(data_dir, bytes)?;
            store::write_atomic(&store::objects_path(data_dir), bytes)
        }
        ReplRecord::Full { catalogue, queues } => {
            check_catalogue(data_dir, catalogue)?;
            store::write_atomic(&store::objects_path(data_dir), catalogue)?;
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
        // Every member is attempted (a queue whose file cannot be written does not keep the
        // others from theirs); the first error is reported.
        ReplRecord::Batch { records } => {
            records.iter().map(|r| write(data_dir, log_dir, r, dedup)).fold(Ok(()), |acc, r| acc.and(r))
        }
    }
}

/// A catalogue record must parse as one: a replica never replaces its catalogue with bytes a
/// restarted engine could not load.
fn check_catalogue(data_dir: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    serde_json::from_slice::<store::Catalogue>(bytes)
        .map(|_| ())
        .map_err(|e| EngineError::Corrupt { path: store::objects_path(data_dir), detail: e.to_string() })
}
