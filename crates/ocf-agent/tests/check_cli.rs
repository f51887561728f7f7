//! `ibmmq check QM`: the administrators' readiness check, against a simulated installation. It
//! shares its checks with the agent's start (`QueueManager::readiness` runs the steps of
//! `node_checks`), changes nothing, and answers 0 when nothing failed, 1 otherwise.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use mq_testkit::*;

fn check(args: &[&str]) -> Run {
    run(Command::new(agent_exe()).arg("check").args(args))
}

fn line<'a>(out: &'a str, word: &str, check: &str) -> Option<&'a str> {
    out.lines().find(|l| l.starts_with(&format!("{word:<5} {check:<26} ")))
}

#[test]
fn a_ready_node_passes_every_check() {
    let sim = SimQm::create("CK");
    let inst = sim.inst();
    let r = check(&[&sim.qm, "--mq-installation", inst.to_str().unwrap()]);
    assert_eq!(r.rc, 0, "{r:?}");
    for c in
        ["installation", "MQ version", "mq user and group", "mqs.ini stanza", "data and log directories", "mqconfig"]
    {
        assert!(line(&r.stdout, "PASS", c).is_some(), "no PASS for {c}: {r:?}");
    }
    assert!(r.stdout.contains("MQ 9."), "{r:?}");
    assert!(!r.stdout.contains("FAIL"), "{r:?}");
    // Off a cluster the ids cannot be compared: said, not failed.
    assert!(line(&r.stdout, "WARN", "uid and gid across nodes").is_some(), "{r:?}");
    let j = check(&[&sim.qm, "--mq-installation", inst.to_str().unwrap(), "--json"]);
    assert_eq!(j.rc, 0, "{j:?}");
    assert!(j.stdout.starts_with(&format!("{{\"qmgr\":\"{}\",\"ready\":true,\"checks\":[", sim.qm)), "{j:?}");
    assert!(j.stdout.contains("{\"check\":\"mqs.ini stanza\",\"result\":\"PASS\""), "{j:?}");
}

#[test]
fn a_data_directory_owned_by_another_user_fails_and_says_so() {
    let sim = SimQm::create("CO");
    let data = sim.data_dir();
    // Another owner (nobody) and no group access: the mq user cannot use its own data.
    std::os::unix::fs::chown(&data, Some(65534), None).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let r = check(&[&sim.qm, "--mq-installation", sim.inst().to_str().unwrap(), "--mq-user", "mqm"]);
    assert_eq!(r.rc, 1, "{r:?}");
    let l = line(&r.stdout, "FAIL", "data and log directories").unwrap_or_else(|| panic!("{r:?}"));
    assert!(l.contains(data.to_str().unwrap()), "{l}");
    // The checks after it still ran.
    assert!(line(&r.stdout, "PASS", "mqconfig").is_some(), "{r:?}");
    assert!(r.stdout.ends_with("failed\n") && r.stdout.contains(" 1 failed"), "{r:?}");
}

#[test]
fn a_missing_stanza_fails_and_is_not_added() {
    let sim = SimQm::create("CS");
    let mqs_ini = sim.sim.data().join("mqs.ini");
    let before = std::fs::read_to_string(&mqs_ini).unwrap();
    let other = format!("{}Z", sim.qm);
    let inst = sim.inst();
    let r = check(&[&other, "--mq-installation", inst.to_str().unwrap()]);
    assert_eq!(r.rc, 1, "{r:?}");
    let l = line(&r.stdout, "FAIL", "mqs.ini stanza").unwrap_or_else(|| panic!("{r:?}"));
    assert!(l.contains("addmqinf") && l.contains("add_mqs_ini=true"), "{l}");
    // With --add-mqs-ini (the resource will add it at start) it is a warning; nothing is written.
    let r = check(&[&other, "--mq-installation", inst.to_str().unwrap(), "--add-mqs-ini"]);
    assert!(line(&r.stdout, "WARN", "mqs.ini stanza").is_some(), "{r:?}");
    assert_eq!(std::fs::read_to_string(&mqs_ini).unwrap(), before, "check changed mqs.ini");
}

#[test]
fn an_mq_user_outside_the_mq_group_fails() {
    let sim = SimQm::create("CU");
    let r = check(&[&sim.qm, "--mq-installation", sim.inst().to_str().unwrap(), "--mq-user", "nobody"]);
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.stdout.lines().any(|l| l.starts_with("FAIL") && l.contains("nobody")), "{r:?}");
}

#[test]
fn a_missing_installation_and_a_bad_name_fail_and_bad_arguments_are_usage_errors() {
    let r = check(&["QM1", "--mq-installation", "/nonexistent/mqm"]);
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.stdout.starts_with("FAIL") && r.stdout.contains("/nonexistent/mqm"), "{r:?}");
    let r = check(&["bad name!"]);
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(line(&r.stdout, "FAIL", "queue manager name").is_some_and(|l| l.contains("bad name!")), "{r:?}");
    let r = check(&["QM1", "--no-such-option"]);
    assert_eq!(r.rc, 2, "{r:?}");
    assert!(r.stderr.contains("--no-such-option"), "{r:?}");
    let r = check(&[]);
    assert_eq!(r.rc, 2, "{r:?}");
}

#[test]
fn check_is_an_ibmmq_command_only() {
    // The listener name answers OCF actions only: "check" is not one of them.
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ibmmq-listener");
    std::os::unix::fs::symlink(agent_exe(), &link).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = run(Command::new(Path::new(&link)).arg("check").env_clear());
    assert_ne!(r.rc, 0, "{r:?}");
}
