//! data_path: a queue manager created with `crtmqm -md DIR` on one node is registered by
//! add_mqs_ini on another node that has no stanza for it, with IBM's `addmqinf -v DataPath=`.

use mq_testkit::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Shared storage both "nodes" see: qmgrs/ and log/ owned by the mq user, as an administrator
/// prepares them for crtmqm -md / -ld.
fn shared_storage() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("mqha-san-").tempdir_in("/tmp").expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (uid, gid) = ids("mqm");
    for sub in ["qmgrs", "log"] {
        let d = dir.path().join(sub);
        std::fs::create_dir(&d).unwrap();
        std::os::unix::fs::chown(&d, Some(uid), Some(gid)).unwrap();
    }
    dir
}

fn create_on_a(a: &Sim, san: &Path, qm: &str) {
    let md = san.join("qmgrs");
    let ld = san.join("log");
    let r = a.mq("crtmqm", &["-md", md.to_str().unwrap(), "-ld", ld.to_str().unwrap(), qm]);
    assert_eq!(r.rc, 0, "crtmqm -md on A: {r:?}");
}

#[test]
fn add_mqs_ini_with_data_path_registers_and_runs_on_a_second_node() {
    let san = shared_storage();
    let a = Sim::install(&[]);
    let b = Sim::install(&["--node", "other"]);
    create_on_a(&a, san.path(), "QMX");
    let data = san.path().join("qmgrs/QMX");
    assert!(data.join("qm.ini").is_file(), "crtmqm -md put no qm.ini at {}", data.display());
    let ini_b = b.data().join("mqs.ini");
    assert!(!std::fs::read_to_string(&ini_b).unwrap().contains("Name=QMX"), "B must not know QMX yet");

    let params = [("qmgr", "QMX"), ("add_mqs_ini", "true"), ("data_path", data.to_str().unwrap())];
    let r = b.agent("start", &params, &[]);
    assert_eq!(r.rc, 0, "start on B with data_path: {r:?}");
    let inf = b.mq("dspmqinf", &["QMX"]);
    assert_eq!(inf.rc, 0, "dspmqinf on B: {inf:?}");
    assert!(inf.stdout.contains(&format!("DataPath={}", data.display())), "dspmqinf on B:\n{}", inf.stdout);
    assert!(!qm_pids(&b.root, "QMX").is_empty(), "no process of QMX from installation B");
    let r = b.agent("monitor", &params, &[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", "0")]);
    assert_eq!(r.rc, 0, "monitor on B: {r:?}");
    // The stanza now rules: a data_path that disagrees is warned about, not fatal.
    let other = san.path().join("qmgrs/ELSEWHERE");
    let r = b.agent(
        "validate-all",
        &[("qmgr", "QMX"), ("data_path", other.to_str().unwrap())],
        &[("OCF_CHECK_LEVEL", "10")],
    );
    assert_eq!(r.rc, 0, "validate-all with a disagreeing data_path: {r:?}");
    assert!(
        r.stderr.contains(other.to_str().unwrap()) && r.stderr.contains(data.to_str().unwrap()),
        "warning names both:\n{}",
        r.stderr
    );
    let r = b.agent("stop", &params, &[]);
    assert_eq!(r.rc, 0, "stop on B: {r:?}");
    assert!(qm_pids(&b.root, "QMX").is_empty(), "QMX processes left after stop");
}

#[test]
fn add_mqs_ini_without_data_path_names_where_it_looked() {
    let san = shared_storage();
    let a = Sim::install(&[]);
    let b = Sim::install(&["--node", "other"]);
    create_on_a(&a, san.path(), "QMY");
    let r = b.agent("start", &[("qmgr", "QMY"), ("add_mqs_ini", "true")], &[]);
    assert_eq!(r.rc, 5, "start on B without data_path: {r:?}");
    let looked = b.data().join("qmgrs/QMY");
    assert!(r.reason().contains(looked.to_str().unwrap()), "reason does not name {}: {}", looked.display(), r.reason());
    assert!(
        !std::fs::read_to_string(b.data().join("mqs.ini")).unwrap().contains("Name=QMY"),
        "B must still not know QMY"
    );
    assert_eq!(b.agent("stop", &[("qmgr", "QMY"), ("add_mqs_ini", "true")], &[]).rc, 0);
}

#[test]
fn relative_data_path_is_a_configuration_error_naming_it() {
    let sim = Sim::install(&[]);
    for action in ["start", "validate-all", "monitor"] {
        let r = sim.agent(action, &[("qmgr", "QM1"), ("data_path", "MQHA/qmgrs/QM1")], &[]);
        assert_eq!(r.rc, 6, "{action}: {r:?}");
        assert!(r.reason().contains("MQHA/qmgrs/QM1"), "{action}: reason '{}' does not name the value", r.reason());
    }
    assert_eq!(sim.agent("stop", &[("qmgr", "QM1"), ("data_path", "MQHA/qmgrs/QM1")], &[]).rc, 0);
}
