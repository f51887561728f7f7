//! dspmqinst: the registry's entries as IBM prints them, labels padded to 15 columns
//! (docs/reference/mq-commands.md#dspmqinst): InstName, InstDesc, Identifier, InstPath, Version,
//! Primary, State. Root only. `-n` / `-p` select one entry (44 none, 59 when they disagree).

use super::setmqinst::pick;
use super::target;
use crate::paths::{self, Installation};
use std::path::PathBuf;

const USAGE: &str = "dspmqinst [-n InstallationName] [-p InstallationPath]";

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("dspmqinst") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    // "Only the user root can run this command" (9.0 page; the refusal's text and rc UNCONFIRMED).
    if !nix::unistd::Uid::effective().is_root() {
        crate::mqprintln!("{}", crate::messages::AMQ7077);
        return 119;
    }
    let (mut name, mut path) = (None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-n" => match it.next() {
                Some(n) => name = Some(n),
                None => return crate::messages::usage(USAGE),
            },
            "-p" => match it.next() {
                Some(p) => path = Some(PathBuf::from(p)),
                None => return crate::messages::usage(USAGE),
            },
            _ => return crate::messages::usage(USAGE),
        }
    }
    let entries = if name.is_none() && path.is_none() {
        paths::registry(&inst.root)
    } else {
        match pick(&inst.root, name.as_deref(), path.as_deref()) {
            Ok(r) => vec![r],
            Err(rc) => return rc,
        }
    };
    let primary = paths::primary_path(&inst.root);
    let blocks: Vec<String> = entries
        .iter()
        .map(|r| {
            let version = Installation::at_path(&r.path).map(|i| i.version).unwrap_or_default();
            let state = if r.path.join("bin").is_dir() { "Available" } else { "Not Available" };
            let rows = [
                ("InstName", r.name.clone()),
                ("InstDesc", r.description.clone()),
                ("Identifier", r.identifier.to_string()),
                ("InstPath", r.path.display().to_string()),
                ("Version", version),
                ("Primary", if primary.as_ref() == Some(&r.path) { "Yes" } else { "No" }.to_string()),
                ("State", state.to_string()),
            ];
            rows.iter()
                .map(|(l, v)| {
                    let l = format!("{l}:");
                    if v.is_empty() {
                        format!("{l}\n")
                    } else {
                        format!("{l:<15}{v}\n")
                    }
                })
                .collect()
        })
        .collect();
    // One entry after another, a blank line between them (UNCONFIRMED).
    print!("{}", blocks.join("\n"));
    0
}
