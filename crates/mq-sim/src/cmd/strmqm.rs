//! strmqm: starts a queue manager as the installation's mq user, detached (own session, stdio on
//! /dev/null), and returns when it is Running (or a standby, with -x). Output and return codes
//! per docs/reference/mq-commands.md#strmqm-output, #strmqm-return-codes and #multi-instance.

use super::target;
use crate::authority;
use crate::faults::{self, Fault};
use crate::messages::{self, version_at_least};
use crate::nha::{
    self,
    config::NhaConfig,
    status::{NhaRole, NhaStatus},
};
use crate::paths::{Installation, QmPaths};
use crate::runtime::{controller, lock, procs};
use crate::status::{self, QmState};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str =
    "strmqm [-z] [-a | -c | -r | -x | -e CMDLEVEL=Level] [-d Information] [-f] [-ns] [-si | -ss] [QMgrName]";

/// How long strmqm waits for its controller to report (slow starts included).
const START_DEADLINE: Duration = Duration::from_secs(600);

pub fn main(args: Vec<String>) -> i32 {
    let inst = match target::installation("strmqm") {
        Ok(i) => i,
        Err(rc) => return rc,
    };
    let (mut permit_standby, mut no_services, mut quiet) = (false, false, false);
    let mut name = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-x" => permit_standby = true,
            "-ns" => no_services = true,
            "-z" => quiet = true,
            // Accepted; their recovery/backup effects are not simulated.
            "-c" | "-r" | "-a" | "-f" | "-si" | "-ss" => {}
            "-d" | "-e" => {
                if it.next().is_none() {
                    return messages::usage(USAGE);
                }
            }
            s if s.starts_with('-') => {
                eprintln!("strmqm: unknown flag '{s}'");
                return messages::usage(USAGE);
            }
            _ if name.is_none() => name = Some(a),
            _ => return messages::usage(USAGE),
        }
    }
    let Some(name) = target::name_or_default(&inst, name) else {
        crate::mqprintln!("{}", messages::AMQ8118);
        return 16;
    };
    let qm = match target::qm(&inst, &name, messages::AMQ8118, 16) {
        Ok(q) => q,
        Err(rc) => return rc,
    };
    let say = |s: &str| {
        if !quiet {
            crate::mqprintln!("{s}");
        }
    };
    if let Some(rc) = faults::number(&inst, &qm, Fault::StrmqmRc) {
        fault_evidence(&inst, &qm, rc as i32);
        say(&fault_text(rc as i32, &name));
        return rc as i32;
    }
    if !status::storage_available(&inst, &qm) {
        // UNCONFIRMED text: MQ reports the missing/unreadable directory and rc 69 (storage not available).
        say(&format!("AMQ6235E: Directory '{}' missing.", qm.data_dir.display()));
        return 69;
    }
    let state = status::qm_state(&inst, &qm);
    match state {
        // A Native HA instance already running here, replica or active: rc 5 (UNCONFIRMED for a
        // replica, docs/reference/native-ha.md#strmqm).
        QmState::Running | QmState::Starting | QmState::Replica => {
            say(messages::QM_RUNNING);
            return 5;
        }
        QmState::Quiescing | QmState::EndingImmediately | QmState::EndingPreemptively => {
            // rc 49 per docs/reference/mq-commands.md#strmqm-return-codes (text UNCONFIRMED).
            say(&format!("IBM MQ queue manager '{name}' ending."));
            return 49;
        }
        QmState::RunningAsStandby => {
            say("The queue manager already has the maximum number of standby instances.");
            return 47;
        }
        QmState::RunningElsewhere => return elsewhere(&inst, &qm, permit_standby, &say),
        _ => {}
    }
    // A Native HA queue manager's stanzas are checked before anything is spawned.
    let native_ha = match NhaConfig::load(&qm.qm_ini) {
        Ok(c) => c,
        Err(e) => return refuse_native_ha(&inst, &qm, &e.to_string()),
    };
    if native_ha.is_some() && !nha::supported(&inst.version) {
        let text = format!("Native HA queue manager '{name}' cannot run on IBM MQ {} (from 9.4.4).", inst.version);
        return refuse_native_ha(&inst, &qm, &text);
    }
    // Leftovers of a previous instance still attached: refuse with the AMQ8041 block
    // (docs/reference/mq-processes-and-files.md#leftover-processes).
    let left = procs::holders(&inst, &qm);
    if !left.is_empty() {
        crate::mqprintln!("{}", messages::amq8041(&left));
        return 24;
    }
    let product = messages::product(&inst.version);
    say(&format!("{product} queue manager '{name}' starting."));
    say(&format!("The queue manager is associated with installation '{}'.", inst.name));
    let replay_line =
        |records: u64| format!("{records} log records accessed on queue manager '{name}' during the log replay phase.");
    let mut replayed = None;
    let mut progress = |records: u64| {
        replayed = Some(records);
        say(&replay_line(records));
    };
    if let Some(cfg) = &native_ha {
        // -x is accepted and means nothing here (IBM's container passes it).
        return match start_native_ha(&inst, &qm, no_services, &mut progress) {
            Ok(NhaRole::Active) => {
                if replayed.is_none() {
                    say(&replay_line(5 + u64::from(std::process::id() % 7)));
                }
                say(&format!("Log replay for queue manager '{name}' complete."));
                say(&format!("Transaction manager state recovered for queue manager '{name}'."));
                say("Plain text communication is enabled.");
                say(&format!("{product} queue manager '{name}' started using V{}.", inst.version));
                0
            }
            Ok(_) => {
                say("Plain text communication is enabled.");
                // UNCONFIRMED text: IBM documents none for a replica start (docs/reference/native-ha.md#strmqm).
                say(&format!(
                    "{product} queue manager '{name}' Native HA instance '{}' started as a replica.",
                    cfg.local
                ));
                94
            }
            Err(e) => {
                crate::mqprintln!("{}", messages::AMQ7018);
                eprintln!("strmqm: {e}");
                71
            }
        };
    }
    let outcome = match spawn_controller(&inst, &qm, permit_standby, no_services, &mut progress) {
        Ok(o) => o,
        Err(e) => {
            crate::mqprintln!("AMQ7018E: The queue manager operation cannot be completed.");
            eprintln!("strmqm: {e}");
            return 71;
        }
    };
    match outcome.as_str() {
        "running" => {
            // A long replay has printed its progress; a short one prints its one count line.
            if replayed.is_none() {
                say(&replay_line(5 + u64::from(std::process::id() % 7)));
            }
            say(&format!("Log replay for queue manager '{name}' complete."));
            say(&format!("Transaction manager state recovered for queue manager '{name}'."));
            if version_at_least(&inst.version, 9, 3) {
                say("Plain text communication is enabled.");
            }
            if version_at_least(&inst.version, 7, 5) {
                say(&format!("{product} queue manager '{name}' started using V{}.", inst.version));
            } else {
                say(&format!("{product} queue manager '{name}' started."));
            }
            0
        }
        "standby" => {
            if version_at_least(&inst.version, 9, 3) {
                say("Plain text communication is enabled.");
            }
            say(&standby_text(&name));
            30
        }
        "elsewhere" => elsewhere(&inst, &qm, permit_standby, &say),
        "standby-exists" => {
            say("The queue manager already has the maximum number of standby instances.");
            47
        }
        other => {
            crate::mqprintln!("{}", messages::AMQ7018);
            eprintln!("strmqm: {}", other.strip_prefix("error ").unwrap_or(other));
            71
        }
    }
}

fn standby_text(name: &str) -> String {
    format!("A standby instance of queue manager '{name}' has been started. The active instance\nis running elsewhere.")
}

/// Another node holds the queue manager: standby (-x, when permitted) or rc 31 / 43 / 47.
fn elsewhere(inst: &Installation, qm: &QmPaths, permit_standby: bool, say: &dyn Fn(&str)) -> i32 {
    let active_permits =
        controller::read_status(qm).and_then(|s| s.get("PermitStandby").map(|v| v == "Yes")).unwrap_or(false);
    let standbys = std::fs::read_dir(&qm.data_dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("standby."))
                .filter(|e| lock::is_held(&e.path()))
                .count()
        })
        .unwrap_or(0);
    // Message texts for 31/43/47 are UNCONFIRMED; the codes are from docs/reference/mq-commands.md#strmqm-return-codes.
    match elsewhere_decision(active_permits, permit_standby, standbys) {
        Elsewhere::Refuse(43) => {
            say(&format!(
                "IBM MQ queue manager '{}' is already running elsewhere and does not permit standby instances.",
                qm.name
            ));
            return 43;
        }
        Elsewhere::Refuse(31) => {
            say(&format!("IBM MQ queue manager '{}' already has an active instance; it permits standby instances (use strmqm -x).", qm.name));
            return 31;
        }
        Elsewhere::Refuse(rc) => {
            say("The queue manager already has the maximum number of standby instances.");
            return rc;
        }
        Elsewhere::StartStandby => {}
    }
    say(&format!("{} queue manager '{}' starting.", messages::product(&inst.version), qm.name));
    say(&format!("The queue manager is associated with installation '{}'.", inst.name));
    // A standby that takes over at once replays its log like any start.
    let mut progress = |records: u64| {
        say(&format!("{records} log records accessed on queue manager '{}' during the log replay phase.", qm.name))
    };
    match spawn_controller(inst, qm, true, false, &mut progress).as_deref() {
        Ok("standby") => {
            if version_at_least(&inst.version, 9, 3) {
                say("Plain text communication is enabled.");
            }
            say(&standby_text(&qm.name));
            30
        }
        Ok("running") => {
            say(&format!(
                "{} queue manager '{}' started using V{}.",
                messages::product(&inst.version),
                qm.name,
                inst.version
            ));
            0
        }
        Ok("standby-exists") => {
            say("The queue manager already has the maximum number of standby instances.");
            47
        }
        Ok(o) => {
            crate::mqprintln!("{}", messages::AMQ7018);
            eprintln!("strmqm: {o}");
            71
        }
        Err(e) => {
            crate::mqprintln!("{}", messages::AMQ7018);
            eprintln!("strmqm: {e}");
            71
        }
    }
}

/// Starts `amqzxma0 -m QM [-x] -u mqm` detached (as the mq user: it is set-user-id), and waits for
/// its outcome: "running", "standby", "elsewhere", "standby-exists" or "error ...". Meanwhile each
/// new count of log records the controller's replay has accessed goes to `progress` (strmqm prints
/// them, as IBM's strmqm shows "intermittent messages detailing the startup progress" of a long start).
fn spawn_controller(
    inst: &Installation,
    qm: &QmPaths,
    permit_standby: bool,
    no_services: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<String, String> {
    let mut child = launch_controller(inst, qm, permit_standby, no_services)?;
    let run = inst.run_dir(qm);
    let outcome_file = run.join(controller::OUTCOME_FILE);
    let replay_file = run.join(controller::REPLAY_FILE);
    let mut shown = None;
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Ok(o) = std::fs::read_to_string(&outcome_file) {
            if !o.is_empty() {
                return Ok(o.trim().to_string());
            }
        }
        if let Ok(Some(st)) = child.try_wait() {
            if let Ok(o) = std::fs::read_to_string(&outcome_file) {
                return Ok(o.trim().to_string());
            }
            return Err(format!("the execution controller ended before the queue manager started ({st})"));
        }
        if Instant::now() > deadline {
            return Err(format!("the queue manager did not start within {}s", START_DEADLINE.as_secs()));
        }
        report_replay(&replay_file, &mut shown, progress);
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Each new count of log records the controller's replay has accessed goes to `progress`.
fn report_replay(replay_file: &std::path::Path, shown: &mut Option<u64>, progress: &mut dyn FnMut(u64)) {
    let records = std::fs::read_to_string(replay_file).ok().and_then(|t| t.trim().parse::<u64>().ok());
    if records.is_some() && records != *shown {
        *shown = records;
        progress(records.unwrap_or(0));
    }
}

/// A Native HA start refused before anything is spawned: the reason in the error log and on
/// stderr, AMQ7018E on stdout, rc 71 (rc UNCONFIRMED, docs/reference/native-ha.md#instance-stanzas).
fn refuse_native_ha(inst: &Installation, qm: &QmPaths, text: &str) -> i32 {
    let entry = crate::diag::Entry {
        explanation: "The Native HA configuration data in qm.ini is missing or not valid, so the Native HA instance was not started.",
        action: "Correct the NativeHALocalInstance and NativeHAInstance stanzas in qm.ini, then start the instance again.",
        ..crate::diag::Entry::plain("strmqm", std::process::id(), text)
    };
    crate::diag::error_log(inst, qm, &entry);
    crate::mqprintln!("{}", messages::AMQ7018);
    eprintln!("strmqm: {text}");
    71
}

/// Starts the local Native HA instance's controller and waits until its status record (written by
/// that controller) gives it a role: Active or Replica. While it has no quorum (a first start
/// needs all three instances) it keeps waiting, for as long as the controller lives: strmqm has
/// no deadline of its own here (UNCONFIRMED, the stricter reading of
/// docs/reference/native-ha.md#strmqm: its caller must bound it).
fn start_native_ha(
    inst: &Installation,
    qm: &QmPaths,
    no_services: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<NhaRole, String> {
    let mut child = launch_controller(inst, qm, false, no_services)?;
    let run = inst.run_dir(qm);
    let outcome_file = run.join(controller::OUTCOME_FILE);
    let replay_file = run.join(controller::REPLAY_FILE);
    let record = NhaStatus::path(inst, qm);
    let mut shown = None;
    loop {
        let outcome = std::fs::read_to_string(&outcome_file).unwrap_or_default();
        if let Some(e) = outcome.trim().strip_prefix("error ") {
            return Err(e.to_string());
        }
        if let Some(rec) = NhaStatus::read(&record).filter(|r| r.controller_pid == child.id()) {
            if rec.role != NhaRole::Unknown {
                return Ok(rec.role);
            }
        }
        if let Ok(Some(st)) = child.try_wait() {
            return Err(format!("the execution controller ended before the instance joined its group ({st})"));
        }
        report_replay(&replay_file, &mut shown, progress);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts `amqzxma0 -m QM [-x] [-ns] -u mqm` detached, its outcome and replay files cleared first.
fn launch_controller(
    inst: &Installation,
    qm: &QmPaths,
    permit_standby: bool,
    no_services: bool,
) -> Result<std::process::Child, String> {
    let run = inst.run_dir(qm);
    std::fs::create_dir_all(&run).map_err(|e| format!("cannot create {}: {e}", run.display()))?;
    if nix::unistd::Uid::effective().is_root() {
        if let Ok(ids) = authority::mq_ids(inst) {
            let _ = authority::chown_tree(&run, &ids);
        }
    }
    let outcome_file = run.join(controller::OUTCOME_FILE);
    let _ = std::fs::remove_file(&outcome_file);
    let replay_file = run.join(controller::REPLAY_FILE);
    let _ = std::fs::remove_file(&replay_file);
    let exe = inst.bin_dir.join("amqzxma0");
    let mut cmd = Command::new(&exe);
    cmd.arg0(&exe).arg("-m").arg(&qm.name);
    if permit_standby {
        cmd.arg("-x");
    }
    if no_services {
        cmd.arg("-ns");
    }
    cmd.arg("-u").arg(&inst.user);
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // A daemon does not keep its starter's directory busy (or depend on it staying readable).
    cmd.current_dir(&inst.data_root);
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    // strmqm is set-user-id mq user (install.rs), so the controller it starts runs as the mq user
    // whoever called: with the caller's real uid kept, as the kernel does for a setuid program.
    if nix::unistd::Uid::effective().is_root() {
        return Err(format!(
            "{} runs as root: the installation's programs lack their set-user-id bits (reinstall it with mqsim install)",
            exe.display()
        ));
    }
    cmd.spawn().map_err(|e| format!("cannot run {}: {e}", exe.display()))
}

/// A start that fails inside the queue manager (log not available: 23; an unexpected error: 71,
/// 72) leaves an error-log entry and an FFST record, as MQ's do. The probe ids and components are
/// the simulator's own in IBM's shape (UNCONFIRMED: IBM publishes no table of them); the
/// refusals (already running, ending, not authorised, ...) leave nothing.
fn fault_evidence(inst: &crate::paths::Installation, qm: &crate::paths::QmPaths, rc: i32) {
    let (message, probe, component, major) = match rc {
        23 => ("AMQ7017S: Log not available.", "ZX000023", "zxcStartQueueManager", "hrcE_LOG_NOT_AVAILABLE"),
        71 | 72 => (messages::AMQ7018, "ZX000071", "zxcStartQueueManager", "xecF_E_UNEXPECTED_SYSTEM_RC"),
        _ => return,
    };
    let pid = std::process::id();
    let entry = crate::diag::Entry { source: "amqzxma0.c", ..crate::diag::Entry::plain("strmqm", pid, message) };
    crate::diag::error_log(inst, qm, &entry);
    let ffst = crate::diag::Ffst {
        program: "strmqm",
        pid,
        probe_id: probe,
        component,
        major,
        minor: "OK",
        probe_type: "MSGAMQ7017",
        description: message,
        arith1: Some(rc as u64),
        comment1: None,
    };
    crate::diag::ffst(
        inst,
        &qm.name,
        &crate::diag::Ffst { probe_type: if rc == 23 { "MSGAMQ7017" } else { "MSGAMQ7018" }, ..ffst },
    );
}

/// Text for a strmqm-rc fault, from docs/reference/mq-commands.md#strmqm-return-codes (texts UNCONFIRMED).
fn fault_text(rc: i32, name: &str) -> String {
    match rc {
        16 => messages::AMQ8118.to_string(),
        23 => "AMQ7017S: Log not available.".to_string(),
        24 => messages::amq8041(&[]),
        49 => format!("IBM MQ queue manager '{name}' ending."),
        69 => "AMQ6235E: Directory missing.".to_string(),
        119 => messages::AMQ7077.to_string(),
        _ => messages::AMQ7018.to_string(),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Elsewhere {
    StartStandby,
    Refuse(i32),
}

/// strmqm while the active instance runs on another node (docs/reference/mq-commands.md#multi-instance): 43 when the
/// active does not permit standbys, 31 for a start without -x, 47 when a standby already exists.
fn elsewhere_decision(active_permits: bool, want_standby: bool, standbys: usize) -> Elsewhere {
    if !active_permits {
        Elsewhere::Refuse(43)
    } else if !want_standby {
        Elsewhere::Refuse(31)
    } else if standbys > 0 {
        Elsewhere::Refuse(47)
    } else {
        Elsewhere::StartStandby
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_instance_refusals() {
        assert_eq!(elsewhere_decision(false, true, 0), Elsewhere::Refuse(43));
        assert_eq!(elsewhere_decision(false, false, 0), Elsewhere::Refuse(43));
        assert_eq!(elsewhere_decision(true, false, 0), Elsewhere::Refuse(31));
        assert_eq!(elsewhere_decision(true, true, 1), Elsewhere::Refuse(47));
        assert_eq!(elsewhere_decision(true, true, 0), Elsewhere::StartStandby);
    }
}
