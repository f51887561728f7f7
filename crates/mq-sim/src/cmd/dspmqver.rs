//! dspmqver: the version block of docs/reference/mq-commands.md#dspmqver (labels padded to 13 columns), -b bare values,
//! -f field mask (1 Name, 2 Version, 4 Level, 8 BuildType confirmed; 8192 LicenseType; the
//! others follow the printed order — that mapping is UNCONFIRMED).

use super::target;
use crate::messages::{self, version_at_least};

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("dspmqver") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let (mut bare, mut mask) = (false, u32::MAX);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-b" => bare = true,
            "-f" => match it.next().and_then(|v| v.parse().ok()) {
                Some(m) => mask = m,
                None => return messages::usage("dspmqver [-a] [-b] [-f Fields] [-i] [-p Components] [-v]"),
            },
            "-a" | "-i" | "-v" => {}
            "-p" => {
                it.next();
            }
            s => {
                eprintln!("dspmqver: unexpected argument '{s}'");
                return messages::usage("dspmqver [-a] [-b] [-f Fields] [-i] [-p Components] [-v]");
            }
        }
    }
    let v: Vec<u32> = inst.version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    let vrm = format!("{}{}{}", v[0], v[1], v[2]);
    let uname = nix::sys::utsname::uname().ok();
    let os = uname
        .as_ref()
        .map(|u| format!("{} {}", u.sysname().to_string_lossy(), u.release().to_string_lossy()))
        .unwrap_or_else(|| "Linux".into());
    let details = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|s| s.trim_matches('"').to_string())))
        .unwrap_or_else(|| "Linux".into());
    let mut rows: Vec<(u32, &str, String)> = vec![
        (1, "Name", messages::product(&inst.version).to_string()),
        (2, "Version", inst.version.clone()),
        (4, "Level", format!("p{vrm}-L220606")),
        (8, "BuildType", "IKAP - (Production)".into()),
        (16, "Platform", format!("{} for Linux (x86-64 platform)", messages::product(&inst.version))),
        (32, "Mode", "64-bit".into()),
        (64, "O/S", os),
    ];
    if version_at_least(&inst.version, 9, 2) {
        rows.push((128, "O/S Details", details));
    }
    rows.extend([
        (256, "InstName", inst.name.clone()),
        (512, "InstDesc", String::new()),
        // Primary: whether setmqinst -i made this one primary (its links in ROOT/usr/bin).
        (1024, "Primary", if inst.is_primary() { "Yes" } else { "No" }.into()),
        (2048, "InstPath", inst.inst_path.display().to_string()),
        (4096, "DataPath", inst.data_root.display().to_string()),
        // MaxCmdLevel has no confirmed bit; LicenseType is 8192 (mq-container).
        (1 << 14, "MaxCmdLevel", vrm.clone()),
    ]);
    rows.push((8192, "LicenseType", "Production".into()));
    for (bit, label, value) in rows {
        if mask != u32::MAX && mask & bit == 0 {
            continue;
        }
        if bare {
            crate::mqprintln!("{value}");
        } else {
            let l = format!("{label}:");
            if value.is_empty() {
                crate::mqprintln!("{l}");
            } else {
                crate::mqprintln!("{l:<13}{value}");
            }
        }
    }
    0
}
