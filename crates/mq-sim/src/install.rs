//! `mqsim install ROOT [--prefix P] [--name N]`: lays out a complete installation as the MQ packages
//! would: every command and process name as a HARD LINK of this binary in ROOT/P/bin (P is
//! `opt/mqm` unless given; so /proc/self/exe names the installation), the MQI libraries, the
//! samples, its entry in the installation registry, and the data root ROOT/var/mqm that every
//! installation under ROOT shares (as /var/mqm on a real machine). Like IBM's packages on Linux it
//! makes no installation primary: that is `setmqinst -i` (docs/reference/mq-processes-and-files.md#primary-installation).

use crate::authority;
use crate::cmdlog;
use crate::ini::{IniFile, Stanza};
use crate::paths::{self, Installation, DEFAULT_PREFIX, REGISTRY, SIM_INSTALL_FILE};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Control commands and queue-manager processes installed in ROOT/opt/mqm/bin.
pub const BIN_PROGRAMS: &[&str] = &[
    // control commands
    "crtmqm",
    "dltmqm",
    "strmqm",
    "endmqm",
    "dspmq",
    "dspmqver",
    "dspmqinf",
    "addmqinf",
    "rmvmqinf",
    "runmqsc",
    "runmqlsr",
    "endmqlsr",
    "strmqcsv",
    "endmqcsv",
    "dspmqcsv",
    "runmqchi",
    "runmqtrm",
    "amqiclen",
    "mqconfig",
    "dmpmqmsg",
    "setmqinst",
    "dspmqinst",
    "setmqm", // processes of a running queue manager (docs/reference/mq-processes-and-files.md#process-family)
    "amqzxma0",
    "amqzfuma",
    "amqzmuc0",
    "amqzmur0",
    "amqzmuf0",
    "amqrrmfa",
    "amqzmgr0",
    "amqzlaa0",
    "amqpcsea",
    "amqfqpub",
    "amqfcxba",
];

/// The MQI libraries in ROOT/PREFIX/lib64 (and, for the primary installation, linked from ROOT/usr/lib64).
pub const LIBRARIES: &[&str] = &["libmqm_r.so", "libmqic_r.so", "libmqm.so", "libmqic.so"];

pub const SAMPLE_PROGRAMS: &[&str] = &["amqsput", "amqsget", "amqsputc", "amqsgetc", "mqsimapp"];

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(transparent)]
    Authority(#[from] authority::AuthorityError),
    #[error("bad version '{0}' (expected four numbers, e.g. 9.3.0.0)")]
    BadVersion(String),
    #[error("bad prefix '{0}' (expected a relative path below ROOT such as opt/mqm94)")]
    BadPrefix(String),
    #[error("bad installation name '{0}' (1-16 of a-z A-Z 0-9, unique regardless of case)")]
    BadName(String),
    #[error(
        "version '{0}' is not a release the simulator knows the texts of (its version.release must be one of {1})"
    )]
    UnknownRelease(String, String),
}

/// The releases whose outputs the simulator reproduces (docs/reference/mq-commands.md#dspmqver-by-version,
/// #message-ids-by-version); any modification and fix level of them is accepted.
pub const RELEASES: &[(u32, u32)] = &[(7, 5), (8, 0), (9, 0), (9, 1), (9, 2), (9, 3), (9, 4), (10, 0)];

#[derive(Debug, Clone)]
pub struct InstallOptions {
    pub version: String,
    pub user: String,
    pub group: String,
    /// Host name this installation stands for (dspmq -x INSTANCE); default: the machine's.
    pub node: Option<String>,
    /// Where the code goes under ROOT; default `opt/mqm`.
    pub prefix: Option<String>,
    /// Installation name; default the next free of Installation1, Installation2, ... (crtmqinst).
    pub name: Option<String>,
}

impl InstallOptions {
    /// Version 9.3.0.0, mq user and group `mqm`, ROOT/opt/mqm, the next free name.
    pub fn new() -> InstallOptions {
        InstallOptions {
            version: "9.3.0.0".into(),
            user: "mqm".into(),
            group: "mqm".into(),
            node: None,
            prefix: None,
            name: None,
        }
    }
}

impl Default for InstallOptions {
    fn default() -> InstallOptions {
        InstallOptions::new()
    }
}

fn io<T>(p: &Path, r: std::io::Result<T>) -> Result<T, InstallError> {
    r.map_err(|e| InstallError::Io(p.to_path_buf(), e))
}

fn mkdir(p: &Path, mode: u32) -> Result<(), InstallError> {
    io(p, std::fs::create_dir_all(p))?;
    io(p, std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)))
}

/// Hard link, falling back to a copy across file systems; never a symlink (the exe must name ROOT).
fn link_program(src: &Path, dst: &Path) -> Result<(), InstallError> {
    let _ = std::fs::remove_file(dst);
    if std::fs::hard_link(src, dst).is_err() {
        io(dst, std::fs::copy(src, dst))?;
        io(dst, std::fs::set_permissions(dst, std::fs::Permissions::from_mode(0o755)))?;
    }
    Ok(())
}

/// The MQI library built beside this executable (target/<profile>/libmqm_r.so).
fn built_library(exe: &Path) -> Option<PathBuf> {
    let dir = exe.parent()?;
    [dir.join("libmqm_r.so"), dir.join("../libmqm_r.so")].into_iter().find(|p| p.exists())
}

pub fn install(root: &Path, opts: &InstallOptions) -> Result<Installation, InstallError> {
    if opts.version.split('.').count() != 4 || opts.version.split('.').any(|p| p.parse::<u32>().is_err()) {
        return Err(InstallError::BadVersion(opts.version.clone()));
    }
    let vr: Vec<u32> = opts.version.split('.').take(2).map(|p| p.parse().unwrap_or(0)).collect();
    if !RELEASES.contains(&(vr[0], vr[1])) {
        let known: Vec<String> = RELEASES.iter().map(|(v, r)| format!("{v}.{r}")).collect();
        return Err(InstallError::UnknownRelease(opts.version.clone(), known.join(", ")));
    }
    let exe = io(Path::new("/proc/self/exe"), std::fs::read_link("/proc/self/exe"))?;
    // The root and its parents must be traversable by the mq user when root made them (tempdirs are 0700).
    mkdir(root, 0o755)?;
    let mut p = io(root, std::fs::canonicalize(root))?;
    while let Some(parent) = p.parent() {
        if let Ok(md) = std::fs::metadata(parent) {
            let mode = md.permissions().mode();
            if mode & 0o001 == 0 && nix::unistd::Uid::effective().is_root() {
                let _ = std::fs::set_permissions(parent, std::fs::Permissions::from_mode(mode | 0o111));
            }
        }
        p = parent.to_path_buf();
    }
    let prefix = opts.prefix.clone().unwrap_or_else(|| DEFAULT_PREFIX.to_string());
    let prefix_ok = !prefix.is_empty()
        && Path::new(&prefix).components().all(|c| matches!(c, std::path::Component::Normal(_)))
        && !prefix.starts_with("var")
        && !prefix.starts_with("etc")
        && !prefix.starts_with("usr");
    if !prefix_ok {
        return Err(InstallError::BadPrefix(prefix));
    }
    let canonical_root = io(root, std::fs::canonicalize(root))?;
    let root = canonical_root.as_path();
    let opt = root.join(&prefix);
    for d in ["bin", "lib64", "samp/bin", "inc"] {
        mkdir(&opt.join(d), 0o555 | 0o200)?;
    }
    for prog in BIN_PROGRAMS {
        link_program(&exe, &opt.join("bin").join(prog))?;
    }
    for prog in SAMPLE_PROGRAMS {
        link_program(&exe, &opt.join("samp/bin").join(prog))?;
    }
    match built_library(&exe) {
        Some(lib) => {
            for name in LIBRARIES {
                let dst = opt.join("lib64").join(name);
                let _ = std::fs::remove_file(&dst);
                io(&dst, std::fs::copy(&lib, &dst))?;
            }
        }
        None => eprintln!(
            "mqsim install: warning: no libmqm_r.so beside {} (build first: cargo build --workspace); MQI library not installed",
            exe.display()
        ),
    }
    let name = register(root, &opt, opts.name.as_deref())?;
    let sim = IniFile {
        header: vec!["# Written by mqsim install: how this simulated installation was made.".into()],
        stanzas: vec![Stanza::new("Installation")
            .with("Name", name)
            .with("Prefix", prefix.clone())
            .with("Version", opts.version.clone())
            .with("User", opts.user.clone())
            .with("Group", opts.group.clone())
            .with("Node", opts.node.clone().unwrap_or_default())],
    };
    io(&opt.join(SIM_INSTALL_FILE), sim.write(&opt.join(SIM_INSTALL_FILE)))?;

    let inst = Installation::at_path(&opt)
        .map_err(|e| InstallError::Io(root.to_path_buf(), std::io::Error::other(e.to_string())))?;
    let ids = authority::mq_ids(&inst)?;
    let var = root.join("var/mqm");
    for d in ["", "qmgrs", "log", "errors", "trace", "sockets", "shared", "exits", "exits64", "conv", "config"] {
        mkdir(&var.join(d), if d == "errors" || d == "trace" { 0o3777 } else { 0o2775 })?;
    }
    let mqs = var.join("mqs.ini");
    let new_data = !mqs.exists();
    if new_data {
        let f = IniFile {
            header: vec![
                "#*******************************************************************#".into(),
                "#* Module Name: mqs.ini                                            *#".into(),
                "#* Type       : IBM MQ Machine-wide Configuration File             *#".into(),
                "#*******************************************************************#".into(),
            ],
            stanzas: vec![
                Stanza::new("AllQueueManagers")
                    .with("DefaultPrefix", var.display().to_string())
                    .with("ConvEBCDICNewline", "NL_TO_LF"),
                Stanza::new("LogDefaults")
                    .with("LogPrimaryFiles", "3")
                    .with("LogSecondaryFiles", "2")
                    .with("LogFilePages", "4096")
                    .with("LogType", "CIRCULAR")
                    .with("LogBufferPages", "0")
                    .with("LogDefaultPath", var.join("log").display().to_string()),
            ],
        };
        io(&mqs, f.write(&mqs))?;
        io(&mqs, std::fs::set_permissions(&mqs, std::fs::Permissions::from_mode(0o664)))?;
    }
    // A second installation under ROOT shares the data root and leaves its owner alone.
    if new_data && nix::unistd::Uid::effective().is_root() {
        io(&var, authority::chown_tree(&var, &ids))?;
    }
    // Node-local simulator state: faults and run files, writable by the mq user's processes.
    for d in ["faults", "run"] {
        let p = inst.sim_dir().join(d);
        mkdir(&p, 0o1777)?;
    }
    io(&inst.sim_dir(), cmdlog::create(&inst.root))?;
    Ok(inst)
}

/// Adds the installation at `path` to the registry (ROOT/etc/opt/mqm/mqinst.ini, root's, 0644) as
/// the packages do: `Installation:` with Name, Description, Identifier and FilePath, no other key
/// (docs/reference/mq-processes-and-files.md#mqinst-ini). Installing again at the same path keeps
/// its entry. Returns the installation's name.
fn register(root: &Path, path: &Path, wanted: Option<&str>) -> Result<String, InstallError> {
    let file = root.join(REGISTRY);
    mkdir(file.parent().expect("registry has a directory"), 0o755)?;
    let mut ini = if file.exists() { io(&file, IniFile::read(&file))? } else { IniFile::default() };
    let existing = paths::registry(root);
    if let Some(r) = existing.iter().find(|r| r.path == path) {
        if wanted.is_some_and(|w| w != r.name) {
            return Err(InstallError::BadName(format!(
                "{} ({} is already {})",
                wanted.unwrap(),
                path.display(),
                r.name
            )));
        }
        return Ok(r.name.clone());
    }
    let taken = |n: &str| existing.iter().any(|r| r.name.eq_ignore_ascii_case(n));
    let name = match wanted {
        Some(n) => {
            // crtmqinst: up to 16 of a-z A-Z 0-9, unique regardless of case.
            if n.is_empty() || n.len() > 16 || !n.chars().all(|c| c.is_ascii_alphanumeric()) || taken(n) {
                return Err(InstallError::BadName(n.to_string()));
            }
            n.to_string()
        }
        None => (1..).map(|i| format!("Installation{i}")).find(|n| !taken(n)).expect("a free name"),
    };
    let id = existing.iter().map(|r| r.identifier).max().unwrap_or(0) + 1;
    ini.stanzas.push(
        Stanza::new("Installation")
            .with("Name", name.clone())
            .with("Description", "")
            .with("Identifier", id.to_string())
            .with("FilePath", path.display().to_string()),
    );
    io(&file, ini.write(&file))?;
    io(&file, std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)))?;
    Ok(name)
}
