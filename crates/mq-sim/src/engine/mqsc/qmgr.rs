//! The queue manager object: DISPLAY and ALTER QMGR, and DISPLAY QMSTATUS.

use super::format::{format_block, kv, Reply};
use super::parse::{requested, Token};
use super::replies;
use crate::engine::objects::{self, check_attr, Kind};
use crate::engine::{mqi, store, ComponentState, Engine, RunState, State};
use crate::wire::MqscOutcome;

fn qmgr_status_value(engine: &Engine, st: &State, attr: &str) -> String {
    let (cmdlevel, version) = mqi::version_codes(&engine.inst.version);
    match attr {
        "ALTDATE" => st.qm_dates[2].clone(),
        "ALTTIME" => st.qm_dates[3].clone(),
        "CRDATE" => st.qm_dates[0].clone(),
        "CRTIME" => st.qm_dates[1].clone(),
        "CMDLEVEL" => cmdlevel.to_string(),
        "COMMANDQ" => "SYSTEM.ADMIN.COMMAND.QUEUE".into(),
        "MAXPRTY" => "9".into(),
        "PLATFORM" => "UNIX".into(),
        "QMID" => st.qmid.clone(),
        "SYNCPT" => String::new(),
        "VERSION" => version,
        _ => String::new(),
    }
}

pub(super) fn display_qmgr(engine: &Engine, cmd: &str, rest: &[Token]) -> Reply {
    let want = match requested(rest, &[]) {
        // DISPLAY QMGR alone shows everything (ALL is its default).
        Ok(Some(w)) if w.is_empty() => None,
        Ok(w) => w,
        Err(at) => return Reply::syntax(cmd, at),
    };
    if let Some(w) = &want {
        for n in w {
            if n != "QMNAME" && !objects::QMGR.iter().any(|a| a.name == n) {
                let at = rest.iter().find(|t| &t.word == n).map(|t| t.end).unwrap_or(cmd.len());
                return Reply::syntax(cmd, at);
            }
        }
    }
    let st = engine.lock();
    let mut attrs = vec![kv("QMNAME", engine.qm_name())];
    for at in objects::QMGR {
        if want.as_ref().is_some_and(|w| !w.iter().any(|n| n == at.name)) {
            continue;
        }
        attrs.push(match (at.kind, at.name) {
            (_, "SYNCPT") => "SYNCPT".into(),
            (Kind::Status, n) => kv(n, &qmgr_status_value(engine, &st, n)),
            (_, n) => kv(n, st.qmgr.get(n).map(String::as_str).unwrap_or("")),
        });
    }
    Reply { lines: format_block(replies::AMQ8408, &attrs), outcome: MqscOutcome::Processed }
}

pub(super) fn alter_qmgr(engine: &Engine, cmd: &str, rest: &[Token]) -> Reply {
    if rest.is_empty() {
        return Reply::syntax(cmd, cmd.len());
    }
    let mut st = engine.lock();
    let mut qmgr = st.qmgr.clone();
    for t in rest {
        if t.word == "FORCE" {
            continue;
        }
        match check_attr(objects::QMGR, &t.word, t.value.as_deref()) {
            Ok((k, v)) => {
                qmgr.insert(k, v);
            }
            Err(_) => return Reply::syntax(cmd, t.end),
        }
    }
    st.qmgr = qmgr;
    let now = store::mqsc_now();
    st.qm_dates[2] = now.0;
    st.qm_dates[3] = now.1;
    if engine.save_catalogue(&st).is_err() {
        return super::lost(engine);
    }
    Reply::ok(replies::AMQ8005)
}

fn component(s: ComponentState) -> &'static str {
    match s {
        ComponentState::Stopped => "STOPPED",
        ComponentState::Starting => "STARTING",
        ComponentState::Running => "RUNNING",
        ComponentState::Stopping => "STOPPING",
    }
}

/// (size MB, use %) of the file system holding `path`.
fn fs_usage(path: &std::path::Path) -> (String, String) {
    match nix::sys::statvfs::statvfs(path) {
        Ok(s) => {
            let total = s.blocks() as u128 * s.fragment_size() as u128;
            let free = s.blocks_available() as u128 * s.fragment_size() as u128;
            let pct = (total.saturating_sub(free) * 100).checked_div(total).unwrap_or(0);
            ((total / (1024 * 1024)).to_string(), pct.to_string())
        }
        Err(_) => (String::new(), String::new()),
    }
}

const QMSTATUS_ATTRS: &[&str] = &[
    "AUTOCLUS", "CHINIT", "CHKPTCNT", "CHKPTOPS", "CHKPTSZ", "CMDSERV", "CONNS", "DATFSSZ", "DATFSUSE", "DATPATH",
    "DISKLSN", "GRPLSN", "GRPNAME", "GRPROLE", "HOSTNAME", "INSTANCE", "INSTDESC", "INSTNAME", "INSTPATH", "LDAPCONN",
    "LOGEXTSZ", "LOGFSSZ", "LOGFSUSE", "LOGINUSE", "LOGPATH", "LOGPRIM", "LOGSEC", "LOGSTRDA", "LOGSTRL", "LOGSTRTI",
    "LOGTYPE", "LOGUTIL", "QMFSSZ", "QMFSUSE", "QUORUM", "REUSESZ", "STANDBY", "STARTDA", "STARTTI", "UNICLUS",
];

pub(super) fn display_qmstatus(engine: &Engine, cmd: &str, rest: &[Token]) -> Reply {
    let mut all = false;
    let mut names: Vec<String> = Vec::new();
    for t in rest {
        if t.word == "ALL" && t.value.is_none() {
            all = true;
        } else if t.word == "TYPE" && t.value.as_deref() == Some("STATUS") {
        } else if t.value.is_none()
            && (QMSTATUS_ATTRS.contains(&t.word.as_str()) || matches!(t.word.as_str(), "STATUS" | "QMNAME" | "TYPE"))
        {
            names.push(t.word.clone());
        } else {
            return Reply::syntax(cmd, t.end);
        }
    }
    // Ask the runtime before taking the engine's lock: it may look at the engine itself.
    let rt = &engine.runtime;
    let (chinit, cmdserv, standby) = (component(rt.chinit()), component(rt.cmdserver()), rt.standby_permitted());
    let (startda, startti) = rt.started();
    // A Native HA instance's own view, from the status record its controller (this process) writes.
    let nha = crate::nha::status::NhaStatus::read(&crate::nha::status::NhaStatus::path(&engine.inst, &engine.qm))
        .filter(|r| r.controller_pid == std::process::id());
    let st = engine.lock();
    let status = match st.run {
        RunState::Running => "RUNNING",
        RunState::Quiescing | RunState::Stopping => "QUIESCING",
    };
    let (datsz, datuse) = fs_usage(&engine.qm.data_dir);
    let (logsz, loguse) = fs_usage(&engine.qm.log_dir);
    let log_path = format!("{}/active/", engine.qm.log_dir.display().to_string().trim_end_matches('/'));
    let value = |a: &str| -> String {
        match a {
            "AUTOCLUS" => kv(a, "NONE"),
            "CHINIT" => kv(a, chinit),
            "CMDSERV" => kv(a, cmdserv),
            "CHKPTCNT" | "CHKPTOPS" | "CHKPTSZ" | "LOGEXTSZ" | "LOGINUSE" | "LOGUTIL" | "REUSESZ" => kv(a, "0"),
            "CONNS" => kv(a, &st.conns.len().to_string()),
            "DATFSSZ" | "QMFSSZ" => kv(a, &datsz),
            "DATFSUSE" | "QMFSUSE" => kv(a, &datuse),
            "LOGFSSZ" => kv(a, &logsz),
            "LOGFSUSE" => kv(a, &loguse),
            "DATPATH" => kv(a, &engine.qm.data_dir.display().to_string()),
            "DISKLSN" | "LOGSTRL" => kv(a, "<0:0:0:0>"),
            // Native HA without cross-region replication: LIVE (UNCONFIRMED in MQSC, seen as
            // GRPROLE(Live) in dspmq, docs/reference/native-ha.md#dspmq-o-nativeha).
            "GRPROLE" if nha.is_some() => kv(a, "LIVE"),
            "GRPROLE" => kv(a, "NOTCONFIG"),
            "INSTANCE" => kv(a, nha.as_ref().map(|r| r.instance.as_str()).unwrap_or_default()),
            "QUORUM" => kv(a, &nha.as_ref().map(|r| format!("{}/{}", r.quorum.0, r.quorum.1)).unwrap_or_default()),
            "HOSTNAME" => kv(a, &engine.inst.node),
            "INSTNAME" => kv(a, &engine.inst.name),
            "INSTPATH" => kv(a, &engine.inst.inst_path.display().to_string()),
            "LDAPCONN" => kv(a, "INACTIVE"),
            "LOGPATH" => kv(a, &log_path),
            "LOGPRIM" => kv(a, "3"),
            "LOGSEC" => kv(a, "2"),
            "LOGSTRDA" | "STARTDA" => kv(a, &startda),
            "LOGSTRTI" | "STARTTI" => kv(a, &startti),
            "LOGTYPE" if nha.is_some() => kv(a, "REPLICATED"),
            "LOGTYPE" => kv(a, "CIRCULAR"),
            "STANDBY" => kv(a, if standby { "PERMIT" } else { "NOPERMIT" }),
            _ => kv(a, ""),
        }
    };
    let mut attrs = vec![kv("QMNAME", engine.qm_name())];
    if all {
        attrs.push("TYPE(QMGR)".into());
        attrs.push(kv("STATUS", status));
        attrs.extend(QMSTATUS_ATTRS.iter().map(|a| value(a)));
    } else {
        if names.iter().any(|n| n == "TYPE") {
            attrs.push("TYPE(QMGR)".into());
        }
        attrs.push(kv("STATUS", status));
        for a in QMSTATUS_ATTRS {
            if names.iter().any(|n| n == a) {
                attrs.push(value(a));
            }
        }
    }
    Reply { lines: format_block(replies::AMQ8705, &attrs), outcome: MqscOutcome::Processed }
}

#[cfg(test)]
mod tests {
    use crate::engine::{create_qm_files, CreateOptions, DetachedRuntime, Engine};
    use crate::nha::status::{NhaRole, NhaStatus};
    use crate::paths::{Installation, QmPaths};
    use std::sync::Arc;

    fn engine_in(dir: &std::path::Path) -> (Installation, QmPaths, Arc<Engine>) {
        let root = dir.to_path_buf();
        let inst_path = root.join("opt/mqm");
        let inst = Installation {
            prefix: "opt/mqm".into(),
            bin_dir: inst_path.join("bin"),
            lib64_dir: inst_path.join("lib64"),
            samp_bin_dir: inst_path.join("samp/bin"),
            data_root: root.join("var/mqm"),
            user: "mqm".into(),
            group: "mqm".into(),
            version: "9.4.4.0".into(),
            name: "Installation1".into(),
            node: "nodeb.example.com".into(),
            inst_path,
            root: root.clone(),
        };
        let data_dir = root.join("var/mqm/qmgrs/QMN");
        let qm = QmPaths {
            name: "QMN".into(),
            dir_name: "QMN".into(),
            prefix: root.join("var/mqm"),
            qm_ini: data_dir.join("qm.ini"),
            errors_dir: data_dir.join("errors"),
            data_dir,
            data_path_explicit: false,
            log_dir: root.join("var/mqm/log/QMN"),
            installation: None,
        };
        std::fs::create_dir_all(&qm.data_dir).unwrap();
        create_qm_files(&inst, &qm, &CreateOptions::default()).unwrap();
        let engine = Engine::open(&inst, &qm, Arc::new(DetachedRuntime)).unwrap();
        (inst, qm, engine)
    }

    fn display(engine: &Engine) -> String {
        super::super::execute(engine, "DISPLAY QMSTATUS INSTANCE QUORUM LOGTYPE GRPROLE").0.join("\n")
    }

    /// DISPLAY QMSTATUS on a Native HA active answers INSTANCE and QUORUM from the record its own
    /// controller (this process) wrote (docs/reference/native-ha.md#display-qmstatus-native-ha).
    #[test]
    fn qmstatus_names_the_native_ha_instance_and_quorum() {
        let dir = tempfile::tempdir().unwrap();
        let (inst, qm, engine) = engine_in(dir.path());
        let plain = display(&engine);
        assert!(plain.contains("INSTANCE( )") && plain.contains("QUORUM( )"), "{plain}");
        assert!(plain.contains("LOGTYPE(CIRCULAR)") && plain.contains("GRPROLE(NOTCONFIG)"), "{plain}");
        let mut rec = NhaStatus {
            instance: "nodeb".into(),
            role: NhaRole::Active,
            quorum: (2, 3),
            insync: true,
            peers: vec![],
            controller_pid: std::process::id(),
            updated_ms: 0,
        };
        rec.write(&NhaStatus::path(&inst, &qm)).unwrap();
        let nha = display(&engine);
        assert!(nha.contains("INSTANCE(nodeb)") && nha.contains("QUORUM(2/3)"), "{nha}");
        assert!(nha.contains("LOGTYPE(REPLICATED)") && nha.contains("GRPROLE(LIVE)"), "{nha}");
        // Another process's record (a previous controller's) is not this queue manager's view.
        rec.controller_pid = 1;
        rec.write(&NhaStatus::path(&inst, &qm)).unwrap();
        assert!(display(&engine).contains("QUORUM( )"));
    }
}
