//! `mqsim install ROOT` (as root): lays out a complete installation as the MQ packages would: every
//! command and process name in ROOT/opt/mqm/bin as a HARD LINK of one of three copies of this
//! binary (so /proc/self/exe names the installation), owned by the mq user and group, set-user-id
//! and set-group-id as IBM installs them (docs/reference/mq-processes-and-files.md#setuid-programs),
//! the MQI libraries, the samples, the data root and the installation registry.

use crate::authority;
use crate::cmdlog;
use crate::ini::{IniFile, Stanza};
use crate::paths::{Installation, SIM_INSTALL_FILE};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Control commands and queue-manager processes installed in ROOT/opt/mqm/bin.
pub const BIN_PROGRAMS: &[&str] = &[
    // control commands
    "crtmqm", "dltmqm", "strmqm", "endmqm", "dspmq", "dspmqver", "dspmqinf", "addmqinf", "rmvmqinf", "runmqsc",
    "runmqlsr", "endmqlsr", "strmqcsv", "endmqcsv", "dspmqcsv", "runmqchi", "runmqtrm", "amqiclen", "mqconfig",
    "dmpmqmsg", // processes of a running queue manager (docs/reference/mq-processes-and-files.md#process-family)
    "amqzxma0", "amqzfuma", "amqzmuc0", "amqzmur0", "amqzmuf0", "amqrrmfa", "amqzmgr0", "amqzlaa0", "amqpcsea",
    "amqfqpub", "amqfcxba",
];

/// Programs of ROOT/opt/mqm/bin that only the mq user, its group and root may execute:
/// `-r-sr-s---` (6550) mq user:mq group, as IBM's technote lists `addmqinf`, `amqcrsta` and
/// `amqfcxba` (docs/reference/mq-processes-and-files.md#setuid-programs). That every
/// queue-manager process is in this class is UNCONFIRMED (the technote's list is cut short).
pub const GROUP_ONLY_PROGRAMS: &[&str] = &[
    "addmqinf", "amqzxma0", "amqzfuma", "amqzmuc0", "amqzmur0", "amqzmuf0", "amqrrmfa", "amqzmgr0", "amqzlaa0",
    "amqpcsea", "amqfqpub", "amqfcxba",
];

/// Programs of ROOT/opt/mqm/bin that are not set-user-id: `mqconfig` (IBM's example runs it as
/// root and reads the caller's own limits). Mode 0555, mq user:mq group.
pub const PLAIN_PROGRAMS: &[&str] = &["mqconfig"];

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
    #[error("mqsim install must run as root: the installation's programs belong to the mq user and are set-user-id, as IBM installs them")]
    NotRoot,
}

#[derive(Debug, Clone)]
pub struct InstallOptions {
    pub version: String,
    pub user: String,
    pub group: String,
    /// Host name this installation stands for (dspmq -x INSTANCE); default: the machine's.
    pub node: Option<String>,
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
    let opt = root.join("opt/mqm");
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
            for name in ["libmqm_r.so", "libmqic_r.so", "libmqm.so", "libmqic.so"] {
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
    let sim = IniFile {
        header: vec!["# Written by mqsim install: how this simulated installation was made.".into()],
        stanzas: vec![Stanza::new("Installation")
            .with("Name", "Installation1")
            .with("Version", opts.version.clone())
            .with("User", opts.user.clone())
            .with("Group", opts.group.clone())
            .with("Node", opts.node.clone().unwrap_or_default())],
    };
    io(&root.join(SIM_INSTALL_FILE), sim.write(&root.join(SIM_INSTALL_FILE)))?;

    let etc = root.join("etc/opt/mqm");
    mkdir(&etc, 0o755)?;
    let mqinst = IniFile {
        header: vec![],
        stanzas: vec![Stanza::new("Installation")
            .with("Name", "Installation1")
            .with("Description", "")
            .with("Identifier", "1")
            .with("FilePath", opt.display().to_string())
            .with("Primary", "Yes")],
    };
    io(&etc.join("mqinst.ini"), mqinst.write(&etc.join("mqinst.ini")))?;

    let inst = Installation::at(root)
        .map_err(|e| InstallError::Io(root.to_path_buf(), std::io::Error::other(e.to_string())))?;
    let var = root.join("var/mqm");
    for d in ["", "qmgrs", "log", "errors", "trace", "sockets", "shared", "exits", "exits64", "conv", "config"] {
        mkdir(&var.join(d), if d == "errors" || d == "trace" { 0o3777 } else { 0o2775 })?;
    }
    let mqs = var.join("mqs.ini");
    if !mqs.exists() {
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
    io(&var, authority::chown_tree(&var, &ids))?;
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
