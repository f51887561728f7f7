//! The role Pacemaker last gave this node's clone instance, kept in a small file in HA_RSCTMP
//! (default /run/resource-agents, cleared by a reboot): start and demote write unpromoted,
//! promote writes promoted, stop removes it.

use std::path::PathBuf;

use mq_core::qmgr::QueueManager;

use crate::component::Failure;
use crate::ocf::OcfExit;
use crate::spec::ibmmq::IbmmqParams;

/// The role Pacemaker last gave this node's clone instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Unpromoted,
    Promoted,
}

/// The role file of this queue manager of this installation.
pub struct RoleFile(PathBuf);

impl RoleFile {
    pub fn of(p: &IbmmqParams, qm: &QueueManager) -> RoleFile {
        let dir = std::env::var_os("HA_RSCTMP")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| "/run/resource-agents".into());
        // Keyed by the installation too (FNV-1a of its path): a host may hold the same queue
        // manager name in two installations, as two nodes sharing one host do in the tests.
        let h = qm
            .inst
            .path
            .to_string_lossy()
            .bytes()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
        RoleFile(dir.join(format!("mqha-ibmmq-{}-{h:016x}.role", p.qmgr.directory())))
    }

    pub fn read(&self) -> Option<Role> {
        match std::fs::read_to_string(&self.0).ok()?.trim() {
            "promoted" => Some(Role::Promoted),
            "unpromoted" => Some(Role::Unpromoted),
            _ => None,
        }
    }

    pub fn write(&self, role: Role) -> Result<(), Failure> {
        let text = if role == Role::Promoted { "promoted\n" } else { "unpromoted\n" };
        let tmp = self.0.with_extension("tmp");
        let r = self
            .0
            .parent()
            .map(std::fs::create_dir_all)
            .unwrap_or(Ok(()))
            .and_then(|_| std::fs::write(&tmp, text))
            .and_then(|_| std::fs::rename(&tmp, &self.0));
        r.map_err(|e| {
            Failure(
                OcfExit::ErrGeneric,
                format!(
                    "cannot record the clone role in {}: {e} (set HA_RSCTMP to a writable directory)",
                    self.0.display()
                ),
            )
        })
    }

    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
