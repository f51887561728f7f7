//! setmqinst: makes an installation primary (`-i`) or not (`-x`), named by `-n` or `-p`, as IBM
//! does on Linux: symbolic links to its control commands in ROOT/usr/bin and to its external
//! libraries in ROOT/usr/lib64; the registry itself keeps no primary key
//! (docs/reference/mq-processes-and-files.md#primary-installation, #mqinst-ini,
//! docs/reference/mq-commands.md#setmqinst). Root only.

use super::target;
use crate::install::{BIN_PROGRAMS, LIBRARIES};
use crate::paths::{self, Installation, Registered, PRIMARY_BIN, PRIMARY_LIB};
use std::path::{Path, PathBuf};

const USAGE: &str = "setmqinst [-i | -x] [-p InstallationPath | -n InstallationName] [-d DescriptiveText]";

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("setmqinst") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    // "Only root can run this command" (UNCONFIRMED: the refusal's text and rc).
    if !nix::unistd::Uid::effective().is_root() {
        crate::mqprintln!("{}", crate::messages::AMQ7077);
        return 119;
    }
    let (mut set, mut unset, mut name, mut path) = (false, false, None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-i" => set = true,
            "-x" => unset = true,
            "-n" => name = it.next(),
            "-p" => path = it.next().map(PathBuf::from),
            "-d" => {
                // The description is kept by the real command; not simulated.
                if it.next().is_none() {
                    return crate::messages::usage(USAGE);
                }
            }
            _ => return crate::messages::usage(USAGE),
        }
    }
    if set == unset || (name.is_none() && path.is_none()) {
        return crate::messages::usage(USAGE);
    }
    let chosen = match pick(&inst.root, name.as_deref(), path.as_deref()) {
        Ok(r) => r,
        Err(rc) => return rc,
    };
    let current = paths::primary_path(&inst.root);
    if set {
        if let Some(p) = current.filter(|p| *p != chosen.path) {
            // IBM: unset the current primary installation first. Text and rc UNCONFIRMED.
            crate::mqprintln!(
                "The primary installation is already set to '{}'. Unset it first with setmqinst -x.",
                p.display()
            );
            return 59;
        }
        let n = match links(&inst.root, &chosen.path, true) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("setmqinst: {e}");
                return 71;
            }
        };
        // Seen in public transcripts (7.5, 9.1): the task count, then the primary line.
        crate::mqprintln!("{n} of {n} tasks have been completed successfully.");
        crate::mqprintln!("'{}' ({}) set as the Primary Installation.", chosen.name, chosen.path.display());
    } else {
        if current.as_ref() != Some(&chosen.path) {
            // UNCONFIRMED text: the installation is not the primary one.
            crate::mqprintln!("'{}' ({}) is not the Primary Installation.", chosen.name, chosen.path.display());
            return 59;
        }
        let n = match links(&inst.root, &chosen.path, false) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("setmqinst: {e}");
                return 71;
            }
        };
        crate::mqprintln!("{n} of {n} tasks have been completed successfully.");
        // UNCONFIRMED text.
        crate::mqprintln!("'{}' ({}) is no longer the Primary Installation.", chosen.name, chosen.path.display());
    }
    0
}

/// The registered installation named by `-n` and/or `-p`: 44 when there is none, 59 when the two
/// name different installations (dspmqinst's and setmqinst's return codes).
pub fn pick(root: &Path, name: Option<&str>, path: Option<&Path>) -> Result<Registered, i32> {
    let reg = paths::registry(root);
    let by_name = name.map(|n| reg.iter().find(|r| r.name.eq_ignore_ascii_case(n)));
    let by_path = path.map(|p| {
        let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        reg.iter().find(|r| r.path == p)
    });
    match (by_name, by_path) {
        (Some(None), _) | (_, Some(None)) => Err(44),
        (Some(Some(a)), Some(Some(b))) if a != b => Err(59),
        (Some(Some(r)), _) | (None, Some(Some(r))) => Ok(r.clone()),
        (None, None) => Err(36),
    }
}

/// Makes (or removes) the primary links of the installation at `inst_path`; how many.
fn links(root: &Path, inst_path: &Path, make: bool) -> std::io::Result<usize> {
    let target = Installation::at_path(inst_path).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut pairs: Vec<(PathBuf, PathBuf)> = Vec::new();
    // The control commands; not the queue manager's own amq* programs.
    for p in BIN_PROGRAMS.iter().filter(|p| !p.starts_with("amq")) {
        pairs.push((root.join(PRIMARY_BIN).join(p), target.bin_dir.join(p)));
    }
    for l in LIBRARIES {
        pairs.push((root.join(PRIMARY_LIB).join(l), target.lib64_dir.join(l)));
    }
    let mut n = 0;
    for (link, to) in pairs {
        if make {
            std::fs::create_dir_all(link.parent().expect("a directory"))?;
            // Replace only a link (of an earlier primary); never a file someone put there.
            if link.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
                std::fs::remove_file(&link)?;
            }
            std::os::unix::fs::symlink(&to, &link)?;
            n += 1;
        } else if std::fs::read_link(&link).is_ok_and(|t| t == to) {
            std::fs::remove_file(&link)?;
            n += 1;
        }
    }
    Ok(n)
}
