//! Multi-instance ownership: the active instance holds an exclusive flock on `<data>/master`;
//! a standby blocks waiting for it. Other nodes see "Running elsewhere" while it is held.

use crate::paths::QmPaths;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::path::Path;

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

/// The active instance of `qm` runs somewhere (the caller has checked it is not here).
pub fn held_elsewhere(qm: &QmPaths) -> bool {
    is_held(&qm.master_lock())
}
