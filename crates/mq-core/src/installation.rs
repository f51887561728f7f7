//! An MQ installation: where its commands are (InstPath) and where its data lives (DataPath), and
//! which installation a queue manager belongs to when the resource names none: the one its
//! `mqs.ini` stanza names (`InstallationName`, looked up in the registry
//! /etc/opt/mqm/mqinst.ini), else the primary installation (the root-owned links `setmqinst -i`
//! makes in /usr/bin), else /opt/mqm (docs/reference/mq-processes-and-files.md#mqinst-ini,
//! #primary-installation, #mqs-ini). The data path comes from what the installation itself says
//! (`dspmqver`), as a real installation prints /var/mqm.

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
/// The link `setmqinst -i` makes for the primary installation's dspmq.
pub const PRIMARY_LINK: &str = "/usr/bin/dspmq";
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

/// One `Installation:` stanza of the registry (its `Name=` and `FilePath=`; the key names are
/// UNCONFIRMED, docs/reference/mq-processes-and-files.md#mqinst-ini).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub name: String,
    pub path: PathBuf,
}

/// The installations an mqinst.ini lists, in file order.
pub fn registered(ini: &IniFile) -> Vec<Registered> {
    ini.stanzas
        .iter()
        .filter(|s| s.name == "Installation")
        .filter_map(|s| {
            let path = PathBuf::from(s.get("FilePath")?);
            Some(Registered { name: s.get("Name")?.to_string(), path }).filter(|r| r.path.is_absolute())
        })
        .collect()
}

/// The path as /proc/PID/exe shows it (symlinks resolved): every comparison of installation paths
/// goes through here, so an installation reached through a symlink is still itself.
pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether `md` (of the registry or its directory) could have been written by anyone but root:
/// owned by another user, writable by others, or writable by a group other than root's.
fn writable_by_others(md: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let mode = md.mode() & 0o7777;
    if md.uid() != 0 {
        Some(format!("is owned by uid {}, not root", md.uid()))
    } else if mode & 0o002 != 0 {
        Some(format!("is writable by every user (mode {mode:04o})"))
    } else if mode & 0o020 != 0 && md.gid() != 0 {
        Some(format!("is writable by group {} (mode {mode:04o})", crate::user::group_name(md.gid())))
    } else {
        None
    }
}

/// The registry at `path` (root's file: /etc/opt/mqm/mqinst.ini), read through the bounded reader;
/// None when there is none. Refused, naming why, when it or its directory could have been written
/// by anyone but root: the agent runs as root and takes installation paths from it.
pub fn read_registry(path: &Path) -> Result<Option<Vec<Registered>>, MqError> {
    let refused = |why: String| {
        MqError::Node(format!(
            "installation registry {} {why}: refusing to take installation paths from it (IBM's installer leaves it root's; set mq_installation= or fix its owner and mode)",
            path.display()
        ))
    };
    if let Some(dir) = path.parent() {
        match std::fs::symlink_metadata(dir) {
            Ok(md) => {
                if let Some(why) = writable_by_others(&md) {
                    return Err(refused(format!("is in {}, which {why}", dir.display())));
                }
            }
            Err(_) => return Ok(None),
        }
    }
    let file = match std::fs::symlink_metadata(path) {
        Ok(md) => md,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(MqError::File { what: "installation registry", path: path.to_path_buf(), source: e }),
    };
    if let Some(why) = writable_by_others(&file) {
        return Err(refused(why));
    }
    let ini = IniFile::read(path).map_err(|source| MqError::File {
        what: "installation registry",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Some(registered(&ini)))
}

/// The primary installation: the registered installation whose `bin/dspmq` the root-owned link
/// `link` (/usr/bin/dspmq) points at. Only the link itself is read (one readlink, never followed
/// further), and a link nobody registered, or one root does not own, names nothing.
pub fn primary_from_link(link: &Path, registry: &[Registered]) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::symlink_metadata(link).ok()?;
    if !md.file_type().is_symlink() || md.uid() != 0 {
        return None;
    }
    let target = std::fs::read_link(link).ok()?;
    if !target.is_absolute() || target.file_name()? != "dspmq" || target.parent()?.file_name()? != "bin" {
        return None;
    }
    let inst = canonical(target.parent()?.parent()?);
    registry.iter().find(|r| canonical(&r.path) == inst).map(|r| r.path.clone())
}

/// The registry's name for the installation at `path`, compared canonically.
pub fn name_of(path: &Path, registry: &[Registered]) -> Option<String> {
    let path = canonical(path);
    registry.iter().find(|r| canonical(&r.path) == path).map(|r| r.name.clone())
}

/// How the installation of a queue manager was chosen on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub path: PathBuf,
    /// Said in the log: "InstallationName=Installation2 in mqs.ini", "the primary installation", ...
    pub why: String,
    /// The registry's entries (empty when there is none).
    pub registry: Vec<Registered>,
}

/// The installation of queue manager `qm` when the resource names none: the one its stanza in
/// mqs.ini names (InstallationName, through the registry at `mqinst`), else the primary one (the
/// link `primary_link`), else /opt/mqm. `data_path` answers where an installation keeps mqs.ini
/// (from the cache, or by opening it); the installations share it, so the first that answers is
/// asked. A name the registry does not list is an error naming both.
pub fn choose(
    qm: &str,
    mqinst: &Path,
    primary_link: &Path,
    data_path: &mut dyn FnMut(&Path) -> Option<PathBuf>,
) -> Result<Choice, MqError> {
    let registry = read_registry(mqinst)?.unwrap_or_default();
    let primary = primary_from_link(primary_link, &registry);
    let mut candidates: Vec<PathBuf> = primary.iter().cloned().collect();
    candidates.extend(registry.iter().map(|r| r.path.clone()));
    candidates.push(PathBuf::from(DEFAULT_INSTALLATION));
    let named = candidates.iter().filter(|c| c.join("bin").join("dspmq").is_file()).find_map(|c| {
        let ini = IniFile::read(&data_path(c)?.join("mqs.ini")).ok()?;
        Some(ini.queue_manager(qm).and_then(|s| s.installation))
    });
    if let Some(Some(name)) = named {
        return match registry.iter().find(|r| r.name.eq_ignore_ascii_case(&name)) {
            Some(r) => Ok(Choice {
                path: r.path.clone(),
                why: format!("InstallationName={name} of {qm} in mqs.ini"),
                registry: registry.clone(),
            }),
            None => Err(MqError::Node(format!(
                "{qm} is associated with installation {name} (InstallationName in mqs.ini), which {} does not list; set mq_installation= to its path, or associate {qm} with an installation here (setmqm)",
                mqinst.display()
            ))),
        };
    }
    Ok(match primary {
        Some(p) => Choice { path: p, why: "the primary installation".into(), registry },
        None => Choice {
            path: PathBuf::from(DEFAULT_INSTALLATION),
            why: format!("no InstallationName for {qm} and no primary installation"),
            registry,
        },
    })
}

/// The data path an earlier action cached for the installation at `inst` (no program is run).
pub fn cached_data_path(inst: &Path) -> Option<PathBuf> {
    let cache = StateDir::open(Path::new(CACHE_DIR)).ok()?;
    let bytes = cache.read(&cache_name(inst)?).ok().flatten()?;
    let dp = PathBuf::from(String::from_utf8(bytes).ok()?.trim());
    (dp.is_absolute() && dp.join("mqs.ini").is_file()).then_some(dp)
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
    let name = format!("datapath{}", state_dir::path_key(&canonical(inst)));
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
        // Best effort throughout: without the cache an action costs one dspmqver more.
        if let Some(dp) = cached_data_path(path) {
            return Ok(Installation { path: path.to_path_buf(), data_path: dp });
        }
        let name = cache_name(path);
        let cache = StateDir::open(Path::new(CACHE_DIR)).ok();
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
    fn the_registry_has_no_primary_key() {
        let two = IniFile::parse("Installation:\n   Name=Installation1\n   Description=\n   Identifier=1\n   FilePath=/opt/mqm\nInstallation:\n   Name=Installation2\n   FilePath=/opt/mqm94\n   Primary=Yes\nInstallation:\n   Name=Relative\n   FilePath=opt/x\n");
        let r = registered(&two);
        assert_eq!(r.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Installation1", "Installation2"]);
        // A registry alone never names the primary installation: only root's /usr/bin link does.
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(primary_from_link(&dir.path().join("dspmq"), &r), None);
    }

    #[test]
    fn the_primary_is_a_registered_installation_that_a_root_owned_link_names() {
        let dir = tempfile::tempdir().unwrap();
        let inst = dir.path().join("opt/mqm94");
        std::fs::create_dir_all(inst.join("bin")).unwrap();
        let reg = vec![Registered { name: "Installation2".into(), path: inst.clone() }];
        let link = dir.path().join("dspmq");
        std::os::unix::fs::symlink(inst.join("bin/dspmq"), &link).unwrap();
        if nix::unistd::geteuid().is_root() {
            assert_eq!(primary_from_link(&link, &reg), Some(inst.clone()));
            // A link another user owns names nothing.
            std::os::unix::fs::lchown(&link, Some(65534), None).unwrap();
            assert_eq!(primary_from_link(&link, &reg), None);
        }
        // An unregistered target or a relative link names nothing.
        let other = dir.path().join("dspmq2");
        std::os::unix::fs::symlink("/tmp/evil/bin/dspmq", &other).unwrap();
        assert_eq!(primary_from_link(&other, &reg), None);
        let rel = dir.path().join("dspmq3");
        std::os::unix::fs::symlink("opt/mqm94/bin/dspmq", &rel).unwrap();
        assert_eq!(primary_from_link(&rel, &reg), None);
    }

    #[test]
    fn a_registry_others_could_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let p = dir.path().join("mqinst.ini");
        assert_eq!(read_registry(&p).unwrap(), None);
        std::fs::write(&p, "Installation:\n   Name=Installation1\n   FilePath=/opt/mqm\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        if !nix::unistd::geteuid().is_root() {
            return; // the file must be root's
        }
        assert_eq!(read_registry(&p).unwrap().unwrap().len(), 1);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        let e = read_registry(&p).unwrap_err().to_string();
        assert!(e.contains("writable by every user") && e.contains("mqinst.ini"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::chown(&p, Some(65534), None).unwrap();
        let e = read_registry(&p).unwrap_err().to_string();
        assert!(e.contains("owned by uid 65534"), "{e}");
        std::os::unix::fs::chown(&p, Some(0), None).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = read_registry(&p).unwrap_err().to_string();
        assert!(e.contains("writable by every user"), "{e}");
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
