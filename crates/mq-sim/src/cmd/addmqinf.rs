//! addmqinf: adds a QueueManager stanza to this node's mqs.ini (the second node of a
//! multi-instance pair, from `dspmqinf -o command` on the first).

use super::target;
use crate::ini::Stanza;
use crate::paths::validate_qm_name;

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("addmqinf") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-s" => {
                if it.next().as_deref() != Some("QueueManager") {
                    return usage();
                }
            }
            "-v" => match it.next().as_deref().and_then(|v| v.split_once('=')) {
                Some((k, v)) => attrs.push((k.to_string(), v.to_string())),
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    let get = |k: &str| attrs.iter().find(|(a, _)| a.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
    let Some(name) = get("Name") else {
        eprintln!("addmqinf: -v Name=QMgrName is required");
        return usage();
    };
    if validate_qm_name(&name).is_err() {
        crate::mqprintln!("{}", crate::messages::AMQ7048);
        return 72;
    }
    let mut mqs = match inst.read_mqs_ini() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("addmqinf: {e}");
            return 71;
        }
    };
    if mqs.find("QueueManager", "Name", &name).is_some() {
        // UNCONFIRMED text; rc 8 as crtmqm's "already exists".
        crate::mqprintln!("IBM MQ configuration information already exists.");
        return 8;
    }
    let mut s = Stanza::new("QueueManager").with("Name", name.clone());
    s = s.with("Prefix", get("Prefix").unwrap_or_else(|| inst.data_root.display().to_string()));
    s = s.with("Directory", get("Directory").unwrap_or_else(|| crate::paths::qm_dir_name(&name)));
    if let Some(dp) = get("DataPath") {
        s = s.with("DataPath", dp);
    }
    s = s.with("InstallationName", inst.name.clone());
    mqs.stanzas.push(s);
    if let Err(e) = mqs.write(&inst.mqs_ini()) {
        eprintln!("addmqinf: {e}");
        return 71;
    }
    crate::mqprintln!("IBM MQ configuration information added.");
    0
}

fn usage() -> i32 {
    eprintln!(
        "Usage: addmqinf -s QueueManager -v Name=QMgrName [-v Directory=Dir] [-v Prefix=Path] [-v DataPath=Path]"
    );
    39
}
