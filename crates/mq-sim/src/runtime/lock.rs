//! Multi-instance ownership: the active instance holds an exclusive flock on `<data>/master`;
//! a standby blocks waiting for it. Other nodes see "Running elsewhere" while it is held, and
//! (the lock-lease fault) while a dead node's lease on it has not run out.

use crate::paths::QmPaths;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub type Held = Flock<File>;

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)
}

/// Try to take the lock at once; None when someone else holds it.
pub fn try_lock(path: &Path) -> std::io::Result<Option<Held>> {
    let f = open(path)?;
    match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
        Ok(l) => Ok(Some(l)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(std::io::Error::from(e)),
    }
}

/// Block until the lock is ours (a standby waiting to take over).
pub fn lock_blocking(path: &Path) -> std::io::Result<Held> {
    let f = open(path)?;
    Flock::lock(f, FlockArg::LockExclusive).map_err(|(_, e)| std::io::Error::from(e))
}

/// Whether some process (here or on another node) holds the lock. Probing takes it for an instant.
pub fn is_held(path: &Path) -> bool {
    if !path.exists() {
        return false;
    }
    // Open read-only so a reader without write permission can still probe.
    let Ok(f) = File::open(path) else { return false };
    match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
        Ok(_l) => false,
        Err((_, e)) => e == nix::errno::Errno::EWOULDBLOCK,
    }
}

/// The active instance of `qm` runs on another node than `node`, as far as this node can tell: the
/// lock is held, or another node's NFSv4 lease on it has not run out (the lock-lease fault).
pub fn held_elsewhere(qm: &QmPaths, node: &str) -> bool {
    is_held(&qm.master_lock()) || lease_elsewhere(qm, node).is_some()
}

// The lock-lease fault. NFSv4 locks are leases the client renews; when the node holding one dies
// (or is cut off), the server keeps the lock until the lease runs out, 90 s by default on a Linux
// NFS server (docs/reference/mq-processes-and-files.md#nfsv4-lock-lease). A process killed on a
// node that still runs releases its locks at once, so this models the node's death: the active
// instance renews `<data>/master.lease` ("NODE SECS", renewed by rewriting it) while it runs and
// removes it when it ends; after a crash the file stays and counts until its mtime + SECS.
// UNCONFIRMED: what MQ itself prints meanwhile; the simulator answers as for a live active
// instance elsewhere (dspmq "Running elsewhere", strmqm rc 31/43, a standby keeps waiting).

fn lease_path(qm: &QmPaths) -> PathBuf {
    qm.data_dir.join("master.lease")
}

/// Another node's unexpired lease on the lock: (that node, time left).
pub fn lease_elsewhere(qm: &QmPaths, node: &str) -> Option<(String, Duration)> {
    let p = lease_path(qm);
    let text = std::fs::read_to_string(&p).ok()?;
    let (holder, secs) = text.trim().split_once(' ')?;
    let secs: u64 = secs.trim().parse().ok()?;
    let renewed = std::fs::metadata(&p).ok()?.modified().ok()?;
    let left = (renewed + Duration::from_secs(secs)).duration_since(SystemTime::now()).ok()?;
    (holder != node && !left.is_zero()).then(|| (holder.to_string(), left))
}

/// Writes (renews) this node's lease of `secs` seconds.
pub fn renew_lease(qm: &QmPaths, node: &str, secs: u32) {
    let p = lease_path(qm);
    let tmp = p.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, format!("{node} {secs}\n")).is_ok() {
        let _ = std::fs::rename(&tmp, &p);
    }
}

/// Removes the lease file unless another node's lease is still running (an orderly end releases
/// the lock at once; an expired lease of a dead node is simply gone).
pub fn drop_lease(qm: &QmPaths, node: &str) {
    if lease_elsewhere(qm, node).is_none() {
        let _ = std::fs::remove_file(lease_path(qm));
    }
}
