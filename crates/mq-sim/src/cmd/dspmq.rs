//! dspmq: one line per queue manager, `QMNAME(name)` padded so the next field starts at column 59
//! (docs/reference/mq-commands.md#dspmq-output), fields per -o, instance lines with -x, untranslated values with -n.

use super::target;
use crate::messages::{self, version_at_least};
use crate::paths::{Installation, QmPaths};
use crate::runtime::{controller, lock};
use crate::status::{self, QmState};

const USAGE: &str =
    "dspmq [-m QMgrName] [-s | -o all | -o default | -o installation | -o status | -o standby] [-x] [-n] [-a]";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    Status,
    All,
    Default,
    Installation,
    Standby,
}

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("dspmq") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let mut only: Option<String> = None;
    let mut shows: Vec<Show> = Vec::new();
    let (mut instances, mut raw, mut active_only) = (false, false, false);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-m" => match it.next() {
                Some(v) => only = Some(v),
                None => return messages::usage(USAGE),
            },
            "-s" => shows.push(Show::Status),
            "-o" => match it.next().as_deref() {
                Some("status") => shows.push(Show::Status),
                Some("all") => shows.push(Show::All),
                Some("default") => shows.push(Show::Default),
                Some("installation") | Some("inst") => shows.push(Show::Installation),
                Some("standby") => shows.push(Show::Standby),
                // HA / DR / Native HA fields belong to RDQM and Native HA, which are not simulated.
                Some("ha") | Some("dr") | Some("nativeha") => shows.push(Show::Status),
                Some(o) => {
                    eprintln!("dspmq: '-o {o}' is not a valid option");
                    return messages::usage(USAGE);
                }
                None => return messages::usage(USAGE),
            },
            "-x" => instances = true,
            "-n" => raw = true,
            "-a" => active_only = true,
            "-c" => {}
            s if s.starts_with("-m") && s.len() > 2 => only = Some(s[2..].to_string()),
            s => {
                eprintln!("dspmq: unexpected argument '{s}'");
                return messages::usage(USAGE);
            }
        }
    }
    if shows.is_empty() {
        shows.push(Show::Status);
    }
    let names = match &only {
        Some(n) => {
            if inst.qm(n).is_err() {
                println!("{}", messages::AMQ7048);
                return 72;
            }
            vec![n.clone()]
        }
        None => inst.qm_names().unwrap_or_default(),
    };
    let mut printed = 0;
    for n in names {
        let Ok(qm) = inst.qm(&n) else { continue };
        // dspmq shows every queue manager of the machine, each as its own installation runs it;
        // -a only those of this installation (docs/reference/mq-commands.md#wrong-installation).
        let owner = inst.owner_of(&qm);
        let state = status::qm_state(&owner, &qm);
        let active = matches!(state, QmState::Running | QmState::Starting | QmState::Quiescing);
        if active_only && !(active && owner.name == inst.name) {
            continue;
        }
        print!("{}", render(&inst, &owner, &qm, state, &shows, instances, raw));
        printed += 1;
    }
    if active_only {
        // "Success for dspmq -a is indicated by return code 5" (docs/reference/mq-commands.md#dspmq-syntax).
        let _ = printed;
        return 5;
    }
    0
}

fn val(raw: bool, s: &str) -> String {
    if raw {
        s.to_uppercase()
    } else {
        s.to_string()
    }
}

/// Whether the running instance permits standbys (STANDBY field), from the shared status.
fn standby_field(qm: &QmPaths, state: QmState) -> &'static str {
    let running = matches!(
        state,
        QmState::Running
            | QmState::RunningAsStandby
            | QmState::RunningElsewhere
            | QmState::Starting
            | QmState::Quiescing
    );
    if !running {
        return "Not applicable";
    }
    let permit = controller::read_status(qm).and_then(|s| s.get("PermitStandby").map(|v| v == "Yes")).unwrap_or(false);
    if permit || state == QmState::RunningAsStandby {
        "Permitted"
    } else {
        "Not permitted"
    }
}

/// One queue manager's line(s), exactly as dspmq prints them.
/// `inst` is dspmq's own installation (its version decides the field set), `owner` the one the
/// queue manager is associated with (INSTNAME, INSTPATH, INSTVER).
fn render(
    inst: &Installation,
    owner: &Installation,
    qm: &QmPaths,
    state: QmState,
    shows: &[Show],
    instances: bool,
    raw: bool,
) -> String {
    let mut fields: Vec<String> = Vec::new();
    let is_default = inst.default_qm().as_deref() == Some(qm.name.as_str());
    let yes_no = if is_default { "yes" } else { "no" };
    for s in shows {
        match s {
            Show::Status => {
                fields.push(format!("STATUS({})", if raw { state.untranslated() } else { state.text().to_string() }))
            }
            Show::Default => fields.push(format!("DEFAULT({})", val(raw, yes_no))),
            Show::Standby => fields.push(format!("STANDBY({})", val(raw, standby_field(qm, state)))),
            Show::Installation => {
                fields.push(format!("INSTNAME({})", owner.name));
                fields.push(format!("INSTPATH({})", owner.inst_path.display()));
                fields.push(format!("INSTVER({})", owner.version));
            }
            Show::All => {
                fields.push(format!("STATUS({})", if raw { state.untranslated() } else { state.text().to_string() }));
                fields.push(format!("DEFAULT({})", val(raw, yes_no)));
                fields.push(format!("STANDBY({})", val(raw, standby_field(qm, state))));
                fields.push(format!("INSTNAME({})", owner.name));
                fields.push(format!("INSTPATH({})", owner.inst_path.display()));
                fields.push(format!("INSTVER({})", owner.version));
                // Field set by version (docs/reference/mq-commands.md#dspmq-output): 9.2+ ROLE/INSTANCE/INSYNC/QUORUM,
                // 9.4 adds GRPLSN/GRPNAME/GRPROLE, 9.1 has HA()/DRROLE(), 8.0 none.
                if version_at_least(&inst.version, 9, 2) {
                    fields.push(format!("ROLE({})", val(raw, "Not configured")));
                    fields.extend(["INSTANCE()", "INSYNC()", "QUORUM()"].map(String::from));
                    if version_at_least(&inst.version, 9, 4) {
                        fields.extend(["GRPLSN()", "GRPNAME()"].map(String::from));
                        fields.push(format!("GRPROLE({})", val(raw, "Not configured")));
                    }
                } else if version_at_least(&inst.version, 9, 1) {
                    fields.extend(["HA()", "DRROLE()"].map(String::from));
                }
            }
        }
    }
    let head = format!("QMNAME({})", qm.name);
    // Next field at 0-based offset 58; at least one space for long names (padding rule UNCONFIRMED).
    let pad = if head.len() < 58 { 58 - head.len() } else { 1 };
    let mut out = format!("{head}{}{}\n", " ".repeat(pad), fields.join(" "));
    if instances {
        for (host, mode) in instance_list(owner, qm, state) {
            out.push_str(&format!("    INSTANCE({host}) MODE({})\n", val(raw, mode)));
        }
    }
    out
}

/// (host, "Active" | "Standby") of the instances that run, active first.
fn instance_list(inst: &Installation, qm: &QmPaths, state: QmState) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    let active_somewhere = matches!(
        state,
        QmState::Running
            | QmState::Starting
            | QmState::Quiescing
            | QmState::EndingImmediately
            | QmState::EndingPreemptively
    ) || lock::held_elsewhere(qm, &inst.node);
    if active_somewhere {
        let host = if state.is_local_instance() && state != QmState::RunningAsStandby {
            inst.node.clone()
        } else {
            controller::read_status(qm).and_then(|s| s.get("ActiveNode").map(str::to_string)).unwrap_or_default()
        };
        out.push((host, "Active"));
    }
    if let Ok(rd) = std::fs::read_dir(&qm.data_dir) {
        let mut standbys: Vec<String> = rd
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                let host = n.strip_prefix("standby.")?.to_string();
                lock::is_held(&e.path()).then_some(host)
            })
            .collect();
        standbys.sort();
        out.extend(standbys.into_iter().map(|h| (h, "Standby")));
    }
    out
}
