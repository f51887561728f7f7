//! An MQ installation: where its commands are (InstPath) and where its data lives (DataPath).
//! The primary installation comes from /etc/opt/mqm/mqinst.ini; the data path from what the
//! installation itself says (`dspmqver`), as a real installation prints /var/mqm.

use std::path::{Path, PathBuf};
use std::time::Instant;

use std::os::unix::ffi::OsStrExt;

use crate::error::MqError;
use crate::exec::{Identity, Runner};
use crate::ini::IniFile;
use crate::state_dir::{self, StateDir};
use crate::user::MqUser;

pub const MQINST_INI: &str = "/etc/opt/mqm/mqinst.ini";
pub const DEFAULT_INSTALLATION: &str = "/opt/mqm";
/// Where learned data paths are remembered until reboot, so a monitor need not ask dspmqver:
/// root's own state, in a root-only directory (see `state_dir`).
pub const CACHE_DIR: &str = "/run/mqha";

/// An installation of MQ on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// InstPath, e.g. /opt/mqm.
    pub path: PathBuf,
    /// DataPath, e.g. /var/mqm (holds mqs.ini, qmgrs/, log/).
    pub data_path: PathBuf,
}

/// The primary installation named by an mqinst.ini: the stanza marked primary, else the only one.
pub fn primary_from_mqinst(ini: &IniFile) -> Option<PathBuf> {
    let insts: Vec<_> = ini.stanzas.iter().filter(|s| s.name == "Installation").collect();
    let marked =
        insts.iter().find(|s| s.get("Primary").map(|v| v.eq_ignore_ascii_case("yes") || v == "1").unwrap_or(false));
    let chosen = marked.or(if insts.len() == 1 { insts.first() } else { None })?;
    chosen.get("FilePath").map(PathBuf::from)
}

/// The installation to use when the resource names none: the primary one, else /opt/mqm.
pub fn default_path() -> PathBuf {
    IniFile::read(Path::new(MQINST_INI))
        .ok()
        .and_then(|ini| primary_from_mqinst(&ini))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_INSTALLATION))
}

/// (InstPath, DataPath) from `dspmqver` output (docs/reference/mq-commands.md#dspmqver).
pub fn parse_dspmqver(out: &str) -> (Option<PathBuf>, Option<PathBuf>) {
    let field = |label: &str| {
        out.lines().find_map(|l| l.strip_prefix(label)).map(|v| v.trim()).filter(|v| !v.is_empty()).map(PathBuf::from)
    };
    (field("InstPath:"), field("DataPath:"))
}

/// The cache entry of an installation: keyed by its canonical path, escaped so that no two
/// paths share a file; None when the key would not fit in a file name (the cache is skipped).
fn cache_name(inst: &Path) -> Option<String> {
    let canonical = std::fs::canonicalize(inst).unwrap_or_else(|_| inst.to_path_buf());
    let name = format!("datapath{}", state_dir::path_key(&canonical));
    (name.len() <= 240).then_some(name)
}

/// The identity `Installation::open` runs `dspmqver` as when the caller has none yet: the `mqm`
/// user if it exists, else `nobody`; never root, since the mq user can replace `dspmqver`.
/// A caller that is not root runs it as itself (it has nothing to drop, and cannot switch).
pub fn unprivileged_identity() -> Result<Identity, MqError> {
    let me = nix::unistd::geteuid();
    if !me.is_root() {
        let name = nix::unistd::User::from_uid(me).ok().flatten().map(|u| u.name);
        return MqUser::lookup(&name.unwrap_or_else(|| me.to_string())).map(|u| u.identity());
    }
    let mut tried = Vec::new();
    for name in ["mqm", "nobody"] {
        match MqUser::lookup(name) {
            Ok(u) if u.uid != 0 => return Ok(u.identity()),
            Ok(u) => tried.push(format!("{name} has uid {}", u.uid)),
            Err(e) => tried.push(e.to_string()),
        }
    }
    Err(MqError::Node(format!("no unprivileged user to run dspmqver as ({})", tried.join("; "))))
}

impl Installation {
    pub fn bin(&self, program: &str) -> PathBuf {
        self.path.join("bin").join(program)
    }

    pub fn has(&self, program: &str) -> bool {
        self.bin(program).is_file()
    }

    pub fn mqs_ini(&self) -> PathBuf {
        self.data_path.join("mqs.ini")
    }

    /// Opens the installation at `path` as [`unprivileged_identity`]; see [`Installation::open_as`].
    pub fn open(path: &Path, deadline: Instant) -> Result<Installation, MqError> {
        // The identity is looked up (an NSS lookup in a child) only when the cache cannot answer.
        Installation::open_with(path, unprivileged_identity, deadline)
    }

    /// Opens the installation at `path`: its data path from the cache written by an earlier
    /// action, else from `dspmqver` run as `identity` (one exec). Root is refused: the
    /// installation's programs belong to the mq user, who could replace them.
    pub fn open_as(path: &Path, identity: &Identity, deadline: Instant) -> Result<Installation, MqError> {
        Installation::open_with(path, || Ok(identity.clone()), deadline)
    }

    fn open_with(
        path: &Path,
        identity: impl FnOnce() -> Result<Identity, MqError>,
        deadline: Instant,
    ) -> Result<Installation, MqError> {
        if !path.join("bin").join("dspmq").is_file() {
            return Err(MqError::Node(format!(
                "no MQ installation at {} ({}/bin/dspmq is missing)",
                path.display(),
                path.display()
            )));
        }
        let name = cache_name(path);
        // Best effort throughout: without the cache an action costs one dspmqver more.
        let cache = StateDir::open(Path::new(CACHE_DIR)).ok();
        let cached = match (&cache, &name) {
            (Some(c), Some(n)) => c.read(n).ok().flatten().and_then(|b| String::from_utf8(b).ok()),
            _ => None,
        };
        if let Some(cached) = cached {
            let dp = PathBuf::from(cached.trim());
            if dp.is_absolute() && dp.join("mqs.ini").is_file() {
                return Ok(Installation { path: path.to_path_buf(), data_path: dp });
            }
        }
        let identity = identity()?;
        if identity.uid == 0 {
            return Err(MqError::Node(format!(
                "refusing to run dspmqver of {} as {} (uid 0): installation programs never run as root",
                path.display(),
                identity.name
            )));
        }
        let runner = Runner::new(&path.join("bin"), Some(identity));
        let out = runner.run(&path.join("bin").join("dspmqver"), &[] as &[&str], None, deadline)?;
        let (_, data) = parse_dspmqver(&out.stdout);
        let data_path = match (out.rc, data) {
            (0, Some(d)) => d,
            _ => {
                return Err(MqError::Node(format!(
                    "dspmqver of {} did not print a DataPath (rc {}): {}",
                    path.display(),
                    out.rc,
                    out.explaining_line()
                )))
            }
        };
        if let (Some(c), Some(n)) = (&cache, &name) {
            let _ = c.write(n, data_path.as_os_str().as_bytes());
        }
        Ok(Installation { path: path.to_path_buf(), data_path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dspmqver_fields() {
        let out = "Name:        IBM MQ\nVersion:     9.2.0.0\nInstName:    Installation1\nInstDesc:\nPrimary:     Yes\nInstPath:    /opt/mqm\nDataPath:    /var/mqm\nMaxCmdLevel: 920\n";
        assert_eq!(parse_dspmqver(out), (Some("/opt/mqm".into()), Some("/var/mqm".into())));
        assert_eq!(parse_dspmqver("Name: IBM MQ\n"), (None, None));
        // 9.4 adds a ReleaseType line; an unzipped installation reads Primary N/A
        // (docs/reference/mq-commands.md#dspmqver-by-version); 10.0 as taken to print like 9.4.
        for (v, level, cmd, release) in [
            ("9.4.0.0", "p940-L240605.1", "940", "Long Term Support (LTS) and Continuous Delivery (CD)"),
            ("9.4.4.1", "p944-001-251203", "944", "Continuous Delivery (CD)"),
            ("10.0.0.0", "p1000-L260605", "1000", "Long Term Support (LTS) and Continuous Delivery (CD)"),
        ] {
            let out = format!(
                "Name:        IBM MQ\nVersion:     {v}\nLevel:       {level}\nBuildType:   IKAP - (Production)\n\
                 Platform:    IBM MQ for Linux (x86-64 platform)\nMode:        64-bit\n\
                 O/S:         Linux 6.8.0-86-generic\nO/S Details: Red Hat Enterprise Linux 9.7 (Plow)\n\
                 InstName:    Installation1\nInstDesc:    IBM MQ V{v} (Unzipped)\nPrimary:     N/A\n\
                 InstPath:    /opt/mqm\nDataPath:    /mnt/mqm/data\nMaxCmdLevel: {cmd}\n\
                 LicenseType: Developer\nReleaseType: {release}\n"
            );
            assert_eq!(parse_dspmqver(&out), (Some("/opt/mqm".into()), Some("/mnt/mqm/data".into())), "{v}");
        }
    }

    #[test]
    fn primary_installation() {
        let one = IniFile::parse("Installation:\n   Name=Installation1\n   Identifier=1\n   FilePath=/opt/mqm\n");
        assert_eq!(primary_from_mqinst(&one), Some("/opt/mqm".into()));
        let two = IniFile::parse("Installation:\n   Name=Installation1\n   FilePath=/opt/mqm\nInstallation:\n   Name=Installation2\n   FilePath=/opt/mqm93\n   Primary=Yes\n");
        assert_eq!(primary_from_mqinst(&two), Some("/opt/mqm93".into()));
        let ambiguous = IniFile::parse("Installation:\n   FilePath=/a\nInstallation:\n   FilePath=/b\n");
        assert_eq!(primary_from_mqinst(&ambiguous), None);
    }

    #[test]
    fn missing_installation_is_named() {
        let e = Installation::open(Path::new("/nonexistent/mqm"), Instant::now() + std::time::Duration::from_secs(1))
            .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/mqm"), "{e}");
    }

    #[test]
    fn dspmqver_never_runs_as_root() {
        let dir = tempfile::tempdir().unwrap();
        let inst = dir.path().join("opt/mqm");
        std::fs::create_dir_all(inst.join("bin")).unwrap();
        std::fs::write(inst.join("bin/dspmq"), "").unwrap();
        let script = inst.join("bin/dspmqver");
        std::fs::write(&script, "#!/bin/sh\necho \"DataPath: /nonexistent/uid$(id -u)\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let deadline = || Instant::now() + std::time::Duration::from_secs(10);
        let id = unprivileged_identity().unwrap();
        assert_ne!(id.uid, 0);
        let i = Installation::open(&inst, deadline()).unwrap();
        assert_eq!(i.data_path, PathBuf::from(format!("/nonexistent/uid{}", id.uid)));
        let mut root = id.clone();
        root.uid = 0;
        let e = Installation::open_as(&inst, &root, deadline()).unwrap_err();
        assert!(e.to_string().contains("uid 0"), "{e}");
    }
}
