//! Evidence on failure: a failed start, a failed monitor and a stop that had to escalate log what
//! the queue manager wrote about it (error-log entries since the action began, FDC files created
//! since then, with their probe ids), and the exit reason leads with the first AMQnnnnE/S id.
//! The simulator writes both in IBM's formats (mq-sim `diag.rs`).

use mq_testkit::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn started(sim: &Sim, qm: &str) {
    assert_eq!(sim.crtmqm(qm).rc, 0);
    let r = sim.act("start", qm);
    assert_eq!(r.rc, 0, "start {qm}: {r:?}");
}

/// The FDC files in the node's errors directory whose text contains `probe`.
fn fdcs_with(sim: &Sim, probe: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(sim.data().join("errors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "FDC"))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(probe)))
        .collect();
    out.sort();
    out
}

fn qm_errors(sim: &Sim, qm: &str) -> PathBuf {
    sim.data().join("qmgrs").join(qm).join("errors")
}

/// The agent's log lines (stderr without HA_LOGFILE) that report evidence.
fn evidence_lines(r: &Run) -> Vec<&str> {
    r.stderr.lines().filter(|l| l.contains(": error log since ") || l.contains(": FDC since ")).collect()
}

#[test]
fn a_failed_start_logs_the_error_log_entry_and_the_fdc_and_leads_with_the_amq_id() {
    let sim = Sim::install(&[]);
    // Evidence written BEFORE the start: a crash (AMQ5008S, FFST ZX005020), a restart and a stop.
    started(&sim, "QMEV");
    sim.crash("QMEV", false);
    assert_eq!(sim.act("start", "QMEV").rc, 0);
    assert_eq!(sim.act("stop", "QMEV").rc, 0);
    let old_fdc = fdcs_with(&sim, "ZX005020");
    assert_eq!(old_fdc.len(), 1, "the simulator's crash writes one FFST");
    std::thread::sleep(Duration::from_millis(20));

    sim.fault("QMEV", "strmqm-rc", Some("23"));
    let r = sim.act("start", "QMEV");
    // strmqm 23 (log not available) is this node's problem: 5.
    assert_eq!(r.rc, 5, "{r:?}");
    let lines = evidence_lines(&r);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("error log since the start began") && l.contains("AMQ7017S: Log not available.")),
        "the error-log entry is not in the start's log: {r:?}"
    );
    let fdc = fdcs_with(&sim, "ZX000023");
    assert_eq!(fdc.len(), 1, "{fdc:?}");
    let fdc_name = fdc[0].file_name().unwrap().to_str().unwrap();
    assert!(
        lines.iter().any(|l| l.contains(fdc_name) && l.contains("Probe Id ZX000023")),
        "the FDC {fdc_name} and its probe id are not in the start's log: {r:?}"
    );
    assert!(r.reason().starts_with("AMQ7017S"), "the exit reason does not lead with the id: {}", r.reason());
    // Nothing written before the start began.
    let old_name = old_fdc[0].file_name().unwrap().to_str().unwrap();
    for before in ["AMQ5008S", "AMQ8003I", "AMQ8004I", "ZX005020", old_name] {
        assert!(!lines.iter().any(|l| l.contains(before)), "{before}, written before the start, is reported: {r:?}");
    }
}

#[test]
fn a_monitor_failing_after_a_crash_logs_the_crash_evidence() {
    let sim = Sim::install(&[]);
    started(&sim, "QMEC");
    sim.crash("QMEC", false);
    let r = sim.monitor("QMEC", 0);
    assert_eq!(r.rc, 1, "{r:?}");
    let lines = evidence_lines(&r);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("AMQ5008S: An essential IBM MQ process") && l.contains("since the previous monitor")),
        "{r:?}"
    );
    let fdc = fdcs_with(&sim, "ZX005020");
    assert_eq!(fdc.len(), 1, "{fdc:?}");
    let name = fdc[0].file_name().unwrap().to_str().unwrap();
    assert!(lines.iter().any(|l| l.contains(name) && l.contains("Probe Id ZX005020")), "{r:?}");
    assert!(r.reason().starts_with("AMQ5008S"), "{}", r.reason());
    // A monitor looks back one interval and one timeout only: 2 s later, a 1.1 s window does
    // not hold the crash.
    std::thread::sleep(Duration::from_millis(2200));
    let r = sim.agent(
        "monitor",
        &[("qmgr", "QMEC")],
        &[("OCF_RESKEY_CRM_meta_interval", "100"), ("OCF_RESKEY_CRM_meta_timeout", "1000")],
    );
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(evidence_lines(&r).is_empty() && !r.reason().starts_with("AMQ"), "{r:?}");
}

#[test]
fn a_stop_that_escalates_logs_what_the_queue_manager_wrote_during_it() {
    let sim = Sim::install(&[]);
    started(&sim, "QMES");
    sim.fault("QMES", "ignore-endmqm", None);
    std::thread::sleep(Duration::from_millis(20));
    let r = sim.agent("stop", &[("qmgr", "QMES")], &[("OCF_RESKEY_CRM_meta_timeout", "8000")]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.stderr.contains("endmqm -p"), "the stop did not escalate: {r:?}");
    let lines = evidence_lines(&r);
    assert!(lines.iter().any(|l| l.contains("since the stop began") && l.contains("AMQ8004I")), "{r:?}");
    assert!(!lines.iter().any(|l| l.contains("AMQ8003I")), "the start's entry is reported by the stop: {r:?}");
    // A stop that did not escalate logs none of it.
    sim.clear_fault("QMES", "ignore-endmqm");
    assert_eq!(sim.act("start", "QMES").rc, 0);
    let r = sim.act("stop", "QMES");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(evidence_lines(&r).is_empty(), "{r:?}");
}

/// A root-owned file outside the errors directories with a fresh entry and an FDC header in it.
fn bait(dir: &Path, name: &str, mode: u32) -> PathBuf {
    let p = dir.join(name);
    let stamp = "2999-01-01T00:00:00.000Z";
    std::fs::write(
        &p,
        format!(
            "01/01/2999 00:00:00 AM - Process(1.1) User(root) Program(x)\n    Time({stamp})\n\nAMQ9999S: ROOTSECRET line\n-----\n| Probe Id          :- ROOTSECRET |\n| QueueManager      :- QMSL |\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

#[test]
fn a_symlink_planted_in_the_errors_directories_is_not_followed() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMSL").rc, 0);
    let outside = tempfile::tempdir().unwrap();
    std::fs::set_permissions(outside.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // Readable by the mq user (only O_NOFOLLOW keeps it out) and root-only.
    let open = bait(outside.path(), "readable", 0o644);
    let private = bait(outside.path(), "private", 0o600);
    let errors = qm_errors(&sim, "QMSL");
    std::fs::create_dir_all(&errors).unwrap();
    let _ = std::fs::remove_file(errors.join("AMQERR01.LOG"));
    std::os::unix::fs::symlink(&open, errors.join("AMQERR01.LOG")).unwrap();
    std::os::unix::fs::symlink(&private, sim.data().join("errors/AMQ1.0.FDC")).unwrap();
    std::os::unix::fs::symlink(&open, sim.data().join("errors/AMQ2.0.FDC")).unwrap();
    sim.fault("QMSL", "strmqm-rc", Some("23"));
    let r = sim.act("start", "QMSL");
    assert_eq!(r.rc, 5, "{r:?}");
    assert!(!r.stderr.contains("ROOTSECRET"), "a planted symlink was followed: {r:?}");
    assert!(
        r.stderr.lines().any(|l| l.contains("AMQERR01.LOG") && l.contains("symbolic link")),
        "the planted AMQERR01.LOG is not named: {r:?}"
    );
}

#[test]
fn a_huge_log_full_of_garbage_and_fresh_entries_is_read_bounded() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMGB").rc, 0);
    let errors = qm_errors(&sim, "QMGB");
    // 20 MiB of garbage, then 500 entries stamped in the future (the mq user can write anything).
    let mut junk = vec![0xffu8; 20 * 1024 * 1024];
    for i in 0..500 {
        junk.extend_from_slice(
            format!("x - Process(1.1) Program(x)\n Time(2999-01-01T00:00:00.{:03}Z)\nAMQ{:04}E: fake {i} \x1b[2J\x07\n-----\n", i % 1000, 1000 + i)
                .as_bytes(),
        );
    }
    std::fs::write(errors.join("AMQERR01.LOG"), &junk).unwrap();
    let mq = nix::unistd::User::from_name("mqm").unwrap().unwrap();
    nix::unistd::chown(&errors.join("AMQERR01.LOG"), Some(mq.uid), Some(mq.gid)).unwrap();
    sim.fault("QMGB", "strmqm-rc", Some("23"));
    let r = sim.agent("start", &[("qmgr", "QMGB")], &[("OCF_RESKEY_CRM_meta_timeout", "10000")]);
    assert_eq!(r.rc, 5, "{r:?}");
    assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
    let entries: Vec<&str> = r.stderr.lines().filter(|l| l.contains("error log since the start began")).collect();
    assert_eq!(entries.len(), 8, "not the last 8 entries: {r:?}");
    assert!(entries.last().unwrap().contains("AMQ7017S"), "the newest entry is not last: {r:?}");
    assert!(r.stderr.contains("earlier error-log entries since the start began not shown"), "{r:?}");
    assert!(!r.stderr.contains('\x1b') && !r.stderr.contains('\x07'), "control characters reached the log");
    // The first error since is the first fake one (the mq user's log says so): the reason leads with it.
    assert!(r.reason().starts_with("AMQ1000E"), "{}", r.reason());
}

#[test]
fn a_log_that_rotates_during_the_start_still_gives_only_what_the_start_wrote() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMRO").rc, 0);
    let errors = qm_errors(&sim, "QMRO");
    // AMQERR01.LOG a few bytes short of IBM's 32 MiB, full of old entries: the failed start's
    // entry makes the simulator copy it to AMQERR02.LOG and begin AMQERR01.LOG afresh.
    let old = "01/01/2020 00:00:00 AM - Process(1.1) User(mqm) Program(amqzxma0)\n    Time(2020-01-01T00:00:00.000Z)\n\nAMQ6118S: old severe error\n-----\n";
    let mut text = old.repeat(32 * 1024 * 1024 / old.len());
    text.truncate(32 * 1024 * 1024 - 200);
    std::fs::write(errors.join("AMQERR01.LOG"), &text).unwrap();
    let mq = nix::unistd::User::from_name("mqm").unwrap().unwrap();
    nix::unistd::chown(&errors.join("AMQERR01.LOG"), Some(mq.uid), Some(mq.gid)).unwrap();
    sim.fault("QMRO", "strmqm-rc", Some("23"));
    let r = sim.act("start", "QMRO");
    assert_eq!(r.rc, 5, "{r:?}");
    assert!(std::fs::metadata(errors.join("AMQERR02.LOG")).is_ok_and(|m| m.len() > 30 * 1024 * 1024), "no rotation");
    let lines = evidence_lines(&r);
    assert!(lines.iter().any(|l| l.contains("AMQERR01.LOG") && l.contains("AMQ7017S")), "{r:?}");
    assert!(!lines.iter().any(|l| l.contains("AMQ6118S")), "an old entry of the rotated file is reported: {r:?}");
    assert!(r.reason().starts_with("AMQ7017S"), "{}", r.reason());
}
