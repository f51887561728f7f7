//! The role Pacemaker last gave this node's clone instance, kept in a small file under
//! HA_RSCTMP (default /run/resource-agents, cleared by a reboot): start and demote write
//! unpromoted, promote writes promoted, stop removes it. The file lives in `mqha/` there, a
//! `StateDir` (root-owned 0700, written by temp file and rename, symlinks refused): HA_RSCTMP
//! itself is shared with other agents, so its mode is not ours to narrow.

use std::path::{Path, PathBuf};

use mq_core::fsread;
use mq_core::qmgr::QueueManager;
use mq_core::state_dir::StateDir;

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
pub struct RoleFile {
    /// HA_RSCTMP; the state directory is `mqha` in it.
    rsctmp: PathBuf,
    name: String,
}

impl RoleFile {
    pub fn of(p: &IbmmqParams, qm: &QueueManager) -> RoleFile {
        let dir = std::env::var_os("HA_RSCTMP")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| "/run/resource-agents".into());
        RoleFile::in_dir(dir, &p.qmgr.directory(), &qm.inst.path)
    }

    /// The role file of queue manager directory `qm_dir` of installation `inst` under `rsctmp`.
    pub fn in_dir(rsctmp: PathBuf, qm_dir: &str, inst: &Path) -> RoleFile {
        // Keyed by the installation too (FNV-1a of its path): a host may hold the same queue
        // manager name in two installations, as two nodes sharing one host do in the tests.
        let h = inst
            .to_string_lossy()
            .bytes()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
        RoleFile { rsctmp, name: format!("mqha-ibmmq-{qm_dir}-{h:016x}.role") }
    }

    fn state_dir(&self) -> std::io::Result<StateDir> {
        std::fs::create_dir_all(&self.rsctmp)?;
        StateDir::open(&self.rsctmp.join("mqha"))
    }

    /// Where earlier versions kept the file (straight in HA_RSCTMP): still read, so a role
    /// recorded before an upgrade survives it; read without following a symlink, capped.
    fn legacy(&self) -> PathBuf {
        self.rsctmp.join(&self.name)
    }

    pub fn read(&self) -> Option<Role> {
        let bytes = match self.state_dir().and_then(|d| d.read(&self.name)) {
            Ok(Some(b)) => b,
            Ok(None) => fsread::read_capped(&self.legacy(), 64).ok()?,
            Err(_) => return None,
        };
        match std::str::from_utf8(&bytes).ok()?.trim() {
            "promoted" => Some(Role::Promoted),
            "unpromoted" => Some(Role::Unpromoted),
            _ => None,
        }
    }

    pub fn write(&self, role: Role) -> Result<(), Failure> {
        let text = if role == Role::Promoted { "promoted\n" } else { "unpromoted\n" };
        let dir = self.rsctmp.join("mqha");
        self.state_dir().and_then(|d| d.write(&self.name, text.as_bytes())).map_err(|e| {
            Failure(
                OcfExit::ErrGeneric,
                format!(
                    "cannot record the clone role in {}: {e} (set HA_RSCTMP to a writable directory)",
                    dir.join(&self.name).display()
                ),
            )
        })?;
        let _ = std::fs::remove_file(self.legacy());
        Ok(())
    }

    pub fn clear(&self) {
        if let Ok(d) = self.state_dir() {
            let _ = std::fs::remove_file(d.path().join(&self.name));
        }
        let _ = std::fs::remove_file(self.legacy());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_in(d: &Path) -> RoleFile {
        RoleFile::in_dir(d.to_path_buf(), "QM1", Path::new("/opt/mqm"))
    }

    #[test]
    fn a_role_is_written_read_and_cleared() {
        let d = tempfile::tempdir().unwrap();
        let r = file_in(d.path());
        assert_eq!(r.read(), None);
        r.write(Role::Promoted).unwrap();
        assert_eq!(r.read(), Some(Role::Promoted));
        r.write(Role::Unpromoted).unwrap();
        assert_eq!(r.read(), Some(Role::Unpromoted));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.path().join("mqha")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        r.clear();
        assert_eq!(r.read(), None);
    }

    #[test]
    fn a_role_left_by_an_earlier_version_is_still_read() {
        let d = tempfile::tempdir().unwrap();
        let r = file_in(d.path());
        std::fs::write(r.legacy(), "promoted\n").unwrap();
        assert_eq!(r.read(), Some(Role::Promoted));
        r.write(Role::Unpromoted).unwrap();
        assert!(!r.legacy().exists());
        assert_eq!(r.read(), Some(Role::Unpromoted));
    }

    #[test]
    fn a_symlink_planted_at_the_role_file_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let r = file_in(d.path());
        let victim = d.path().join("victim");
        std::fs::write(&victim, "promoted\n").unwrap();
        std::fs::create_dir_all(d.path().join("mqha")).unwrap();
        let at = d.path().join("mqha").join(&r.name);
        std::os::unix::fs::symlink(&victim, &at).unwrap();
        assert_eq!(r.read(), None, "read through a symlink");
        std::os::unix::fs::symlink(&victim, r.legacy()).unwrap();
        assert_eq!(r.read(), None, "read through a symlink at the old place");
        r.write(Role::Unpromoted).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "promoted\n", "written through a symlink");
        assert!(!std::fs::symlink_metadata(&at).unwrap().file_type().is_symlink());
        r.clear();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "promoted\n");
    }

    #[test]
    fn a_symlink_as_the_state_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), d.path().join("mqha")).unwrap();
        let r = file_in(d.path());
        let e = r.write(Role::Promoted).unwrap_err();
        assert!(e.1.contains("cannot record the clone role"), "{}", e.1);
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    }
}
