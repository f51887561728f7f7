//! dspmq: one line per queue manager, `QMNAME(name)` padded so the next field starts at column 59
//! (docs/reference/mq-commands.md#dspmq-output), fields per -o, instance lines with -x, untranslated values with -n.

use super::target;
use crate::messages::{self, version_at_least};
use crate::nha::config::{self as nha_config, NhaConfig};
use crate::nha::status::{NhaPeer, NhaRole, NhaStatus};
use crate::paths::{Installation, QmPaths};
use crate::runtime::{controller, lock};
use crate::status::{self, QmState};

const USAGE: &str = "dspmq [-m QMgrName] [-s | -o all | -o default | -o installation | -o nativeha | -o status | -o standby] [-x] [-n] [-a]";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    Status,
    All,
    Default,
    Installation,
    Standby,
    NativeHa,
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
                // HA / DR fields belong to RDQM, which is not simulated.
                Some("ha") | Some("dr") => shows.push(Show::Status),
                // Native HA fields exist from 9.2 (docs/reference/native-ha.md#dspmq-o-nativeha).
                Some("nativeha") if version_at_least(&inst.version, 9, 2) => shows.push(Show::NativeHa),
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
    let nha = NhaView::of(owner, qm, state);
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
                    fields.extend(nha_fields(&inst.version, &nha, raw));
                } else if version_at_least(&inst.version, 9, 1) {
                    fields.extend(["HA()", "DRROLE()"].map(String::from));
                }
            }
            Show::NativeHa => fields.extend(nha_fields(&inst.version, &nha, raw)),
        }
    }
    let head = format!("QMNAME({})", qm.name);
    // Next field at 0-based offset 58; at least one space for long names (padding rule UNCONFIRMED).
    let pad = if head.len() < 58 { 58 - head.len() } else { 1 };
    let mut out = format!("{head}{}{}\n", " ".repeat(pad), fields.join(" "));
    if instances && shows.contains(&Show::NativeHa) {
        for line in nha_instance_lines(&inst.version, &nha, raw) {
            out.push_str(&line);
            out.push('\n');
        }
    } else if instances {
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

/// What dspmq knows of a queue manager's Native HA side, on this node only.
enum NhaView {
    /// Not a Native HA queue manager.
    NotConfigured,
    /// A Native HA instance that is not running here (or has not written its record yet): `local`
    /// is its instance name as qm.ini gives it (empty when the stanza is unreadable).
    Stopped { local: String },
    /// The running local instance's own view (its status record; a replica's may be stale).
    Running(NhaStatus),
}

impl NhaView {
    fn of(owner: &Installation, qm: &QmPaths, state: QmState) -> NhaView {
        let local = match NhaConfig::load(&qm.qm_ini) {
            Ok(None) => return NhaView::NotConfigured,
            Ok(Some(c)) => c.local,
            Err(_) => crate::ini::IniFile::read(&qm.qm_ini)
                .ok()
                .and_then(|f| f.first(nha_config::LOCAL_STANZA).and_then(|s| s.get("Name")).map(str::to_string))
                .unwrap_or_default(),
        };
        // A record is believed only while its writer is this node's live controller.
        match state.is_local_instance().then(|| NhaStatus::read_live(owner, qm)).flatten() {
            Some(rec) => NhaView::Running(rec),
            None => NhaView::Stopped { local },
        }
    }
}

fn yes_no(raw: bool, b: bool) -> String {
    val(raw, if b { "yes" } else { "no" })
}

/// `ROLE(x)`; from 10.0 `ROLE(Active)` carries one more blank, aligning with `ROLE(Replica)` as in
/// IBM's 10.0.0.0 output; a public 9.4.x sample shows no such blank (padding UNCONFIRMED,
/// docs/reference/native-ha.md#dspmq-o-nativeha).
fn role_field(version: &str, role: NhaRole, raw: bool) -> String {
    let text = if raw { role.untranslated() } else { role.text() };
    let pad = if role == NhaRole::Active && version_at_least(version, 10, 0) { " " } else { "" };
    format!("ROLE({text}){pad}")
}

fn lsn(text: &str) -> &str {
    if text.is_empty() {
        "<0:0:0:0>"
    } else {
        text
    }
}

/// The Native HA fields of the queue manager's line (`-o nativeha`, and within `-o all`):
/// `ROLE INSTANCE INSYNC QUORUM`, and from 9.4 `GRPLSN GRPNAME GRPROLE` (GRPROLE(Live) for a Native
/// HA queue manager without cross-region replication, as seen on 9.4.5).
fn nha_fields(version: &str, nha: &NhaView, raw: bool) -> Vec<String> {
    let grp = version_at_least(version, 9, 4);
    let mut f = Vec::new();
    match nha {
        NhaView::NotConfigured => {
            f.push(format!("ROLE({})", val(raw, "Not configured")));
            f.extend(["INSTANCE()", "INSYNC()", "QUORUM()"].map(String::from));
            if grp {
                f.extend(["GRPLSN()", "GRPNAME()"].map(String::from));
                f.push(format!("GRPROLE({})", val(raw, "Not configured")));
            }
        }
        // A stopped instance has no view of the group: Unknown, 0/3 (UNCONFIRMED, the stricter
        // reading: nothing in it may look like a running member).
        NhaView::Stopped { local } => {
            f.push(role_field(version, NhaRole::Unknown, raw));
            f.push(format!("INSTANCE({local})"));
            f.push(format!("INSYNC({})", yes_no(raw, false)));
            f.push("QUORUM(0/3)".into());
            if grp {
                f.extend(["GRPLSN()", "GRPNAME()"].map(String::from));
                f.push(format!("GRPROLE({})", val(raw, "Live")));
            }
        }
        NhaView::Running(r) => {
            f.push(role_field(version, r.role, raw));
            f.push(format!("INSTANCE({})", r.instance));
            f.push(format!("INSYNC({})", yes_no(raw, r.insync)));
            f.push(format!("QUORUM({}/{})", r.quorum.0, r.quorum.1));
            if grp {
                let group_lsn = r.local_peer().map(|p| p.acklsn.as_str()).unwrap_or_default();
                f.push(format!("GRPLSN({})", lsn(group_lsn)));
                f.push("GRPNAME()".into());
                f.push(format!("GRPROLE({})", val(raw, "Live")));
            }
        }
    }
    f
}

/// `dspmq -o nativeha -x`: one line per configured instance, in stanza order, each with one
/// leading blank: `INSTANCE ROLE REPLADDR CONNACTV INSYNC BACKLOG CONNINST`, then `ACKLSN` (10.0),
/// `HASTATUS` (9.4.4+), `SYNCTIME` (10.0), `ALTDATE ALTTIME`. Whether 9.4.x prints ACKLSN and
/// SYNCTIME is UNCONFIRMED: the simulator leaves them out there, so that nothing may depend on
/// them. A stopped instance prints no instance lines (it has no view; UNCONFIRMED).
fn nha_instance_lines(version: &str, nha: &NhaView, raw: bool) -> Vec<String> {
    let NhaView::Running(r) = nha else { return Vec::new() };
    let ten = version_at_least(version, 10, 0);
    r.peers
        .iter()
        .map(|p: &NhaPeer| {
            let mut f = vec![
                format!("INSTANCE({})", p.name),
                role_field(version, p.role, raw),
                format!("REPLADDR({})", p.repladdr),
                format!("CONNACTV({})", yes_no(raw, p.connactv)),
                format!("INSYNC({})", yes_no(raw, p.insync)),
                format!("BACKLOG({})", p.backlog_kb),
                format!("CONNINST({})", yes_no(raw, p.conninst)),
            ];
            if ten {
                f.push(format!("ACKLSN({})", lsn(&p.acklsn)));
            }
            f.push(format!("HASTATUS({})", val(raw, "Normal")));
            if ten {
                f.push(format!("SYNCTIME({})", p.synctime));
            }
            f.push(format!("ALTDATE({})", p.altdate));
            f.push(format!("ALTTIME({})", p.alttime));
            format!(" {}", f.join(" "))
        })
        .collect()
}
