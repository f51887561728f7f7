//! `mqsim install ROOT [--prefix P] [--name N]` (as root): lays out a complete installation as the
//! MQ packages would: every command and process name in ROOT/P/bin (P is `opt/mqm` unless given)
//! as a HARD LINK of one of three copies of this binary (so /proc/self/exe names the
//! installation), owned by the mq user and group, set-user-id and set-group-id as IBM installs them
//! (docs/reference/mq-processes-and-files.md#setuid-programs), the MQI libraries, the samples, its
//! entry in the installation registry, and the data root ROOT/var/mqm that every installation
//! under ROOT shares (as /var/mqm on a real machine). Like IBM's packages on Linux it makes no
//! installation primary: that is `setmqinst -i` (docs/reference/mq-processes-and-files.md#primary-installation).

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

/// Programs of ROOT/opt/mqm/bin that only the mq user, its group and root may execute:
/// `-r-sr-s---` (6550) mq user:mq group, as IBM's technote lists `addmqinf`, `amqcrsta` and
/// `amqfcxba` (docs/reference/mq-processes-and-files.md#setuid-programs). That every
/// queue-manager process is in this class is UNCONFIRMED (the technote's list is cut short).
pub const GROUP_ONLY_PROGRAMS: &[&str] = &[
    "addmqinf", "amqzxma0", "amqzfuma", "amqzmuc0", "amqzmur0", "amqzmuf0", "amqrrmfa", "amqzmgr0", "amqzlaa0",
    "amqpcsea", "amqfqpub", "amqfcxba",
];

/// Programs of ROOT/opt/mqm/bin that are not set-user-id: `mqconfig` (IBM's example runs it as
/// root and reads the caller's own limits), and the root-only `setmqinst` and `dspmqinst` (they
/// must run as root to change /usr/bin; set-user-id mq user they could not). Mode 0555, mq user:mq group.
pub const PLAIN_PROGRAMS: &[&str] = &["mqconfig", "setmqinst", "dspmqinst"];

/// Set-user-id and set-group-id mq user, executable by everyone (so a user outside the group reads
/// AMQ7077E, as reported for crtmqm and strmqm): the other control commands. The exact mode of
/// each command is UNCONFIRMED.
pub const SETUID_MODE: u32 = 0o6555;
pub const GROUP_ONLY_MODE: u32 = 0o6550;
pub const PLAIN_MODE: u32 = 0o555;

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
    #[error("mqsim install must run as root: the installation's programs belong to the mq user and are set-user-id, as IBM installs them")]
    NotRoot,
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
    }
    Ok(())
}

/// The installation's own copy of this binary at `dst`, owned by the mq user and group with
/// `mode`: never the build's file itself, whose owner and mode must not change (a hard link
/// shares both). The other names of the same class are hard links to this copy, so each class
/// is one inode, as `ls -li` would show for any program of it.
fn own_copy(exe: &Path, dst: &Path, ids: &authority::MqIds, mode: u32) -> Result<(), InstallError> {
    let _ = std::fs::remove_file(dst);
    io(dst, std::fs::copy(exe, dst))?;
    // chown first: the kernel clears the set-user-id and set-group-id bits on a chown.
    io(dst, std::os::unix::fs::chown(dst, Some(ids.uid.as_raw()), Some(ids.gid.as_raw())))?;
    io(dst, std::fs::set_permissions(dst, std::fs::Permissions::from_mode(mode)))
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
    if !nix::unistd::Uid::effective().is_root() {
        return Err(InstallError::NotRoot);
    }
    let ids = authority::mq_ids_of(&opts.user, &opts.group)?;
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
    // Three files, each with the owner and mode of its class; every other name is a hard link.
    let bin = opt.join("bin");
    let (setuid, group_only, plain) = ("crtmqm", "amqzxma0", "mqconfig");
    own_copy(&exe, &bin.join(setuid), &ids, SETUID_MODE)?;
    own_copy(&exe, &bin.join(group_only), &ids, GROUP_ONLY_MODE)?;
    own_copy(&exe, &bin.join(plain), &ids, PLAIN_MODE)?;
    for prog in BIN_PROGRAMS {
        let class = if GROUP_ONLY_PROGRAMS.contains(prog) {
            group_only
        } else if PLAIN_PROGRAMS.contains(prog) {
            plain
        } else {
            setuid
        };
        if *prog != class {
            link_program(&bin.join(class), &bin.join(prog))?;
        }
    }
    // The samples run as their caller (MQ checks the caller's authority): not set-user-id.
    for prog in SAMPLE_PROGRAMS {
        link_program(&bin.join(plain), &opt.join("samp/bin").join(prog))?;
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
    if new_data {
        io(&var, authority::chown_tree(&var, &ids))?;
    }
    // IBM: "almost all directories and files" of the installation belong to mqm:mqm; bin is
    // dr-xr-xr-x (the programs' modes were set above, after their chown).
    for d in ["lib64", "samp/bin", "samp", "inc", "bin", ""] {
        let p = opt.join(d);
        io(&p, std::os::unix::fs::lchown(&p, Some(ids.uid.as_raw()), Some(ids.gid.as_raw())))?;
    }
    for e in io(&opt.join("lib64"), std::fs::read_dir(opt.join("lib64")))?.flatten() {
        io(&e.path(), std::os::unix::fs::lchown(e.path(), Some(ids.uid.as_raw()), Some(ids.gid.as_raw())))?;
    }
    io(&bin, std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o555)))?;
    // Node-local simulator state: faults and run files, writable by the mq user's processes.
    for d in ["faults", "run", "run/pids"] {
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
