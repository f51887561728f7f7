//! A start's polls of dspmq and runmqsc stay within the deadline they are given: an MQ command
//! that hangs (on hung storage, on a FIFO as mqs.ini) is cut at the deadline, with no floor of its
//! own past it (they took at least 0.5 s and 1 s before).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use mq_core::installation::Installation;
use mq_core::qmgr::start::Components;
use mq_core::qmgr::{QueueManager, Silent};
use mq_core::user::MqUser;
use mq_core::QmName;

/// An installation whose `hanging` programs sleep and whose others exit 0 at once, run as mqm.
fn queue_manager(dir: &Path, hanging: &[&str], quick: &[&str]) -> QueueManager {
    let bin = dir.join("opt/mqm/bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (names, body) in [(hanging, "exec sleep 30"), (quick, "exit 0")] {
        for n in names {
            let f = bin.join(n);
            std::fs::write(&f, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    for d in [dir, &dir.join("opt"), &dir.join("opt/mqm")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let inst = Installation { path: dir.join("opt/mqm"), data_path: dir.join("var/mqm") };
    QueueManager::new(QmName::new("QM1").unwrap(), inst, MqUser::lookup("mqm").expect("test user mqm (tests/setup.sh)"))
}

#[test]
fn waiting_for_a_state_to_settle_never_passes_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let qm = queue_manager(dir.path(), &["dspmq"], &[]);
    let deadline = Instant::now() + Duration::from_millis(100);
    let r = qm.wait_settled(deadline, &Silent);
    let over = Instant::now().saturating_duration_since(deadline);
    assert!(r.is_err(), "{r:?}");
    assert!(over < Duration::from_millis(250), "wait_settled ran {over:?} past its deadline");
}

#[test]
fn waiting_for_the_other_instance_never_passes_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let qm = queue_manager(dir.path(), &["dspmq"], &[]);
    let deadline = Instant::now() + Duration::from_millis(150);
    let r = qm.wait_released(deadline, &Silent);
    let over = Instant::now().saturating_duration_since(deadline);
    assert!(r.is_err(), "{r:?}");
    assert!(over < Duration::from_millis(250), "wait_released ran {over:?} past its deadline");
}

#[test]
fn waiting_for_the_components_never_passes_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let qm = queue_manager(dir.path(), &["runmqsc"], &["strmqcsv"]);
    let comps = Components { command_server: true, channel_initiator: false };
    let deadline = Instant::now() + Duration::from_millis(300);
    let r = qm.ensure_components(comps, None, None, deadline, &Silent);
    let over = Instant::now().saturating_duration_since(deadline);
    assert!(r.is_err(), "{r:?}");
    assert!(over < Duration::from_millis(300), "ensure_components ran {over:?} past its deadline");
}
