//! Where an installation and its queue managers live: the installation found from the running
//! program's own path (ROOT/PREFIX/bin/X, PREFIX `opt/mqm` unless installed elsewhere), the
//! installation registry (ROOT/etc/opt/mqm/mqinst.ini) shared by every installation under ROOT,
//! the queue-manager name <-> directory mapping, and the QueueManager stanzas of mqs.ini (one data
//! root, ROOT/var/mqm, for every installation, as /var/mqm is on a real machine). No knowledge of
//! processes or state here.

use crate::ini::{IniFile, Stanza};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error(
        "cannot tell which installation {0} belongs to (no mqsim.ini above it: expected ROOT/<prefix>/bin/<command>)"
    )]
    NotInInstallation(PathBuf),
    #[error("{0} is not an installation root (no {1})")]
    NoInstallation(PathBuf, PathBuf),
    #[error("queue manager name '{0}' is not valid (1-48 of A-Z a-z 0-9 . / _ %)")]
    BadName(String),
    #[error("queue manager '{0}' is not defined in {1}")]
    NotDefined(String, PathBuf),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// FNV-1a 64: a stable hash both the commands and the C library can compute (socket names).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// One simulated installation: ROOT/PREFIX (code) + ROOT/var/mqm (data, shared) + ROOT/etc/opt/mqm
/// (the registry, shared).
#[derive(Debug, Clone)]
pub struct Installation {
    pub root: PathBuf,
    /// Where the code lives under ROOT: `opt/mqm` unless `mqsim install --prefix` said otherwise.
    pub prefix: PathBuf,
    /// ROOT/PREFIX, what dspmqver prints as InstPath.
    pub inst_path: PathBuf,
    pub bin_dir: PathBuf,
    pub lib64_dir: PathBuf,
    pub samp_bin_dir: PathBuf,
    /// ROOT/var/mqm, what dspmqver prints as DataPath.
    pub data_root: PathBuf,
    pub user: String,
    pub group: String,
    pub version: String,
    /// Installation name (Installation1).
    pub name: String,
    /// The host name this installation stands for (dspmq -x INSTANCE); several "nodes" share a machine.
    pub node: String,
}

/// The simulator's own record of how the installation was made (prefix, name, user, group,
/// version, node), in the installation's directory.
pub const SIM_INSTALL_FILE: &str = "mqsim.ini";

/// Where the code lives under ROOT when no prefix is given, as `/opt/mqm` on a real machine.
pub const DEFAULT_PREFIX: &str = "opt/mqm";

/// The installation registry under ROOT (docs/reference/mq-processes-and-files.md#mqinst-ini).
pub const REGISTRY: &str = "etc/opt/mqm/mqinst.ini";

/// Where `setmqinst -i` puts the primary installation's command links under ROOT
/// (docs/reference/mq-processes-and-files.md#primary-installation).
pub const PRIMARY_BIN: &str = "usr/bin";
/// ... and its library links.
pub const PRIMARY_LIB: &str = "usr/lib64";

/// One `Installation:` stanza of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub name: String,
    pub description: String,
    pub identifier: u32,
    pub path: PathBuf,
}

/// The registry of the installations under `root` (empty when there is none yet).
pub fn registry(root: &Path) -> Vec<Registered> {
    let Ok(ini) = IniFile::read(&root.join(REGISTRY)) else { return vec![] };
    ini.all("Installation")
        .filter_map(|s| {
            Some(Registered {
                name: s.get("Name")?.to_string(),
                description: s.get("Description").unwrap_or_default().to_string(),
                identifier: s.get("Identifier").and_then(|i| i.parse().ok()).unwrap_or(0),
                path: PathBuf::from(s.get("FilePath")?),
            })
        })
        .collect()
}

/// The primary installation's path under `root`: the target of ROOT/usr/bin/dspmq
/// (ROOT/PREFIX/bin/dspmq) made by `setmqinst -i`, if any.
pub fn primary_path(root: &Path) -> Option<PathBuf> {
    let target = std::fs::read_link(root.join(PRIMARY_BIN).join("dspmq")).ok()?;
    Some(target.parent()?.parent()?.to_path_buf())
}

impl Installation {
    /// The installation of the running program: /proc/self/exe is ROOT/opt/mqm/bin/X or
    /// ROOT/opt/mqm/samp/bin/X (hard links, so the path names the installation).
    pub fn current() -> Result<Installation, PathError> {
        let exe =
            std::fs::read_link("/proc/self/exe").map_err(|e| PathError::Io(PathBuf::from("/proc/self/exe"), e))?;
        Installation::from_program(&exe)
    }

    pub fn from_program(exe: &Path) -> Result<Installation, PathError> {
        let mut dir = exe.parent();
        while let Some(d) = dir {
            if d.join(SIM_INSTALL_FILE).is_file() {
                return Installation::at_path(d);
            }
            dir = d.parent();
        }
        Err(PathError::NotInInstallation(exe.to_path_buf()))
    }

    /// The installation at ROOT/opt/mqm (the default prefix).
    pub fn at(root: &Path) -> Result<Installation, PathError> {
        let root = std::fs::canonicalize(root).map_err(|e| PathError::Io(root.to_path_buf(), e))?;
        Installation::at_path(&root.join(DEFAULT_PREFIX))
    }

    /// The installation whose code is in `dir` (ROOT/PREFIX, holding mqsim.ini).
    pub fn at_path(dir: &Path) -> Result<Installation, PathError> {
        let dir = std::fs::canonicalize(dir).map_err(|e| PathError::Io(dir.to_path_buf(), e))?;
        let sim = dir.join(SIM_INSTALL_FILE);
        let ini = IniFile::read(&sim).map_err(|_| PathError::NoInstallation(dir.clone(), sim.clone()))?;
        let s = ini.first("Installation").cloned().unwrap_or_else(|| Stanza::new("Installation"));
        let prefix = PathBuf::from(s.get("Prefix").filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PREFIX));
        let depth = prefix.components().count();
        let root = dir.ancestors().nth(depth).unwrap_or(Path::new("/")).to_path_buf();
        let inst_path = dir;
        let node = s.get("Node").map(str::to_string).filter(|n| !n.is_empty()).unwrap_or_else(this_host);
        Ok(Installation {
            prefix,
            bin_dir: inst_path.join("bin"),
            lib64_dir: inst_path.join("lib64"),
            samp_bin_dir: inst_path.join("samp/bin"),
            data_root: root.join("var/mqm"),
            user: s.get("User").unwrap_or("mqm").to_string(),
            group: s.get("Group").unwrap_or("mqm").to_string(),
            version: s.get("Version").unwrap_or("9.3.0.0").to_string(),
            name: s.get("Name").unwrap_or("Installation1").to_string(),
            inst_path,
            node,
            root,
        })
    }

    pub fn mqs_ini(&self) -> PathBuf {
        self.data_root.join("mqs.ini")
    }

    /// Whether `setmqinst -i` made this installation the primary one (its links in ROOT/usr/bin).
    pub fn is_primary(&self) -> bool {
        primary_path(&self.root).is_some_and(|p| p == self.inst_path)
    }

    /// This installation's entry in the registry.
    pub fn registered(&self) -> Option<Registered> {
        registry(&self.root).into_iter().find(|r| r.path == self.inst_path)
    }

    /// The installation a queue manager is associated with (its stanza's InstallationName,
    /// through the registry); this one when the stanza names none or it cannot be found.
    pub fn owner_of(&self, qm: &QmPaths) -> Installation {
        match &qm.installation {
            Some(n) if !n.eq_ignore_ascii_case(&self.name) => registry(&self.root)
                .into_iter()
                .find(|r| r.name.eq_ignore_ascii_case(n))
                .and_then(|r| Installation::at_path(&r.path).ok())
                .unwrap_or_else(|| self.clone()),
            _ => self.clone(),
        }
    }

    pub fn read_mqs_ini(&self) -> Result<IniFile, PathError> {
        IniFile::read(&self.mqs_ini()).map_err(|e| PathError::Io(self.mqs_ini(), e))
    }

    /// Node-local simulator state (faults, runtime files): under ROOT, never in the QM data dir,
    /// so lost storage cannot hide it and two nodes sharing a DataPath do not share it.
    pub fn sim_dir(&self) -> PathBuf {
        self.root.join(".mqsim")
    }

    /// Node-local runtime directory of one queue manager (role of the local instance, pids).
    pub fn run_dir(&self, qm: &QmPaths) -> PathBuf {
        self.sim_dir().join("run").join(&qm.dir_name)
    }

    /// Every queue manager in this installation's mqs.ini, in file order.
    pub fn qm_names(&self) -> Result<Vec<String>, PathError> {
        let ini = self.read_mqs_ini()?;
        Ok(ini.all("QueueManager").filter_map(|s| s.get("Name").map(str::to_string)).collect())
    }

    pub fn default_qm(&self) -> Option<String> {
        let ini = self.read_mqs_ini().ok()?;
        ini.first("DefaultQueueManager").and_then(|s| s.get("Name")).map(str::to_string)
    }

    /// A queue manager of this installation, from its QueueManager stanza (DataPath honoured).
    pub fn qm(&self, name: &str) -> Result<QmPaths, PathError> {
        validate_qm_name(name)?;
        let ini = self.read_mqs_ini()?;
        let s = ini
            .find("QueueManager", "Name", name)
            .ok_or_else(|| PathError::NotDefined(name.to_string(), self.mqs_ini()))?;
        Ok(QmPaths::from_stanza(self, s))
    }

    /// The ipc key family of a QM (SysV shm/sem), derived like a socket name: root + data dir.
    pub fn qm_hash(&self, qm: &QmPaths) -> u64 {
        let mut b = self.root.as_os_str().as_encoded_bytes().to_vec();
        b.push(0);
        let data = std::fs::canonicalize(&qm.data_dir).unwrap_or_else(|_| qm.data_dir.clone());
        b.extend_from_slice(data.as_os_str().as_encoded_bytes());
        fnv1a64(&b)
    }
}

/// Host name as MQ prints it in dspmq -x INSTANCE(...).
pub fn this_host() -> String {
    nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_else(|| "localhost".to_string())
}

/// The files of one queue manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmPaths {
    pub name: String,
    /// Directory name after the `.`->`!`, `/`->`&` mapping.
    pub dir_name: String,
    pub prefix: PathBuf,
    /// DataPath when set (multi-instance shared storage), else Prefix/qmgrs/Directory.
    pub data_dir: PathBuf,
    pub data_path_explicit: bool,
    /// Recovery log directory (LogPath of qm.ini, or Prefix/log/Directory).
    pub log_dir: PathBuf,
    pub qm_ini: PathBuf,
    pub errors_dir: PathBuf,
    /// The stanza's InstallationName: the installation whose commands administer it.
    pub installation: Option<String>,
}

impl QmPaths {
    fn from_stanza(inst: &Installation, s: &Stanza) -> QmPaths {
        let name = s.get("Name").unwrap_or_default().to_string();
        let dir_name = s.get("Directory").map(str::to_string).unwrap_or_else(|| qm_dir_name(&name));
        let prefix = s.get("Prefix").map(PathBuf::from).unwrap_or_else(|| inst.data_root.clone());
        let (data_dir, explicit) = match s.get("DataPath") {
            Some(p) if !p.is_empty() => (PathBuf::from(p), true),
            _ => (prefix.join("qmgrs").join(&dir_name), false),
        };
        let qm_ini = data_dir.join("qm.ini");
        let log_dir = IniFile::read(&qm_ini)
            .ok()
            .and_then(|f| f.first("Log").and_then(|l| l.get("LogPath")).map(PathBuf::from))
            .unwrap_or_else(|| prefix.join("log").join(&dir_name));
        QmPaths {
            errors_dir: data_dir.join("errors"),
            installation: s.get("InstallationName").map(str::to_string),
            name,
            dir_name,
            prefix,
            data_dir,
            data_path_explicit: explicit,
            log_dir,
            qm_ini,
        }
    }

    /// The QueueManager stanza as mqs.ini / dspmqinf show it.
    pub fn stanza(&self, inst: &Installation) -> Stanza {
        let mut s = Stanza::new("QueueManager")
            .with("Name", self.name.clone())
            .with("Prefix", self.prefix.display().to_string())
            .with("Directory", self.dir_name.clone());
        if self.data_path_explicit {
            s = s.with("DataPath", self.data_dir.display().to_string());
        }
        // The installation the queue manager is associated with: the one whose crtmqm/addmqinf
        // made the stanza, or the one setmqm moved it to (docs/reference/mq-processes-and-files.md#mqs-ini).
        s.with("InstallationName", self.installation.clone().unwrap_or_else(|| inst.name.clone()))
    }

    pub fn status_file(&self) -> PathBuf {
        self.data_dir.join("qmstatus.ini")
    }

    /// Exclusive lock held by the active instance (multi-instance: who runs the QM).
    pub fn master_lock(&self) -> PathBuf {
        self.data_dir.join("master")
    }
}

/// IBM's rule: `.` -> `!`, `/` -> `&`. (`%` handling is UNCONFIRMED: kept as is;
/// docs/reference/mq-processes-and-files.md#directory-names.)
pub fn qm_dir_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '.' => '!',
            '/' => '&',
            c => c,
        })
        .collect()
}

pub fn validate_qm_name(name: &str) -> Result<(), PathError> {
    let ok = !name.is_empty()
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '%'));
    if ok {
        Ok(())
    } else {
        Err(PathError::BadName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_mapping_follows_ibm() {
        assert_eq!(qm_dir_name("queue.manager"), "queue!manager");
        assert_eq!(qm_dir_name("a/b"), "a&b");
        assert_eq!(qm_dir_name(".."), "!!");
        assert_eq!(qm_dir_name("SVTBRIDGE.QUEUE.MANAGER"), "SVTBRIDGE!QUEUE!MANAGER");
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_qm_name("QM1").is_ok());
        assert!(validate_qm_name("a.b/c_d%e").is_ok());
        assert!(validate_qm_name("").is_err());
        assert!(validate_qm_name("QM 1").is_err());
        assert!(validate_qm_name(&"Q".repeat(49)).is_err());
        assert!(validate_qm_name(&"Q".repeat(48)).is_ok());
    }

    #[test]
    fn installation_from_program_path_needs_its_record() {
        assert!(matches!(
            Installation::from_program(Path::new("/usr/bin/strmqm")),
            Err(PathError::NotInInstallation(_))
        ));
    }
}
