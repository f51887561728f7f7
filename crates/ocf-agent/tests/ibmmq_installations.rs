//! Two installations side by side, as during a 9.3 -> 9.4 migration: the agent runs a queue
//! manager with the programs of the installation it is associated with (InstallationName in
//! mqs.ini, through the registry /etc/opt/mqm/mqinst.ini), else the primary installation (the
//! root-owned /usr/bin links setmqinst -i makes), else /opt/mqm; never from a Primary= key
//! (docs/reference/mq-processes-and-files.md#mqinst-ini, #primary-installation). The agent runs in
//! a mount namespace where the simulated ROOT's /etc/opt and /usr/bin are the node's.

use std::os::unix::fs::PermissionsExt;

use mq_testkit::*;

/// ROOT/opt/mqm (Installation1, 9.3, made primary) and ROOT/opt/mqm94 (Installation2, 9.4).
fn migration_node() -> (Sim, Sim) {
    let one = Sim::install(&[]);
    let two = one.install_in_root("opt/mqm94", &["--name", "Installation2", "--version", "9.4.0.0"]);
    // setmqinst is root's (it writes /usr/bin), not the mq user's.
    let r = one.run("setmqinst", &["-i", "-n", "Installation1"]);
    assert_eq!(r.rc, 0, "{r:?}");
    (one, two)
}

fn qm_name(tag: &str) -> String {
    format!("IN{tag}{}", std::process::id())
}

/// The resource of `qm` with no mq_installation: the agent chooses.
fn resource(qm: &str) -> Ocf {
    Ocf::new("test_qm", 60000).set("OCF_RESOURCE_TYPE", "ibmmq").param("qmgr", qm)
}

/// validate-all at depth 10: the node's set-up (depth 0 checks the parameters alone).
fn validate(res: &Ocf, root: &std::path::Path) -> Run {
    res.clone().set("OCF_CHECK_LEVEL", "10").run_on_node(root, "validate-all")
}

/// (program, installation) of every line of the simulator's command log for `prog`.
fn ran(sim: &Sim, prog: &str) -> Vec<String> {
    let log = std::fs::read_to_string(sim.root.join(".mqsim/commands.log")).unwrap();
    log.lines()
        .filter(|l| l.split(' ').nth(2) == Some(prog))
        .map(|l| l.split(' ').nth(3).unwrap().to_string())
        .collect()
}

#[test]
fn a_queue_manager_of_the_second_installation_runs_with_that_installations_programs() {
    let (one, two) = migration_node();
    let qm = qm_name("B");
    assert_eq!(two.mq("crtmqm", &[&qm]).rc, 0);
    let res = resource(&qm);
    let r = validate(&res, &one.root);
    assert_eq!(r.rc, 0, "validate-all: {r:?}");
    let r = res.run_on_node(&one.root, "start");
    assert_eq!(r.rc, 0, "start: {r:?}");
    assert_eq!(one.status(&qm), "RUNNING");
    let controller = one.processes().into_iter().find(|p| p.comm == "amqzxma0").expect("its execution controller");
    let exe = std::fs::read_link(format!("/proc/{}/exe", controller.pid)).unwrap();
    assert!(exe.starts_with(std::fs::canonicalize(two.inst()).unwrap()), "{exe:?}");
    for depth in ["0", "10"] {
        let r = res
            .clone()
            .with(&[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", depth)])
            .run_on_node(&one.root, "monitor");
        assert_eq!(r.rc, 0, "monitor at depth {depth}: {r:?}");
    }
    let r = res.run_on_node(&one.root, "stop");
    assert_eq!(r.rc, 0, "stop: {r:?}");
    assert_eq!(res.run_on_node(&one.root, "monitor").rc, 7, "probe after stop");
    assert!(one.qm_pids(&qm).is_empty());
    // strmqm and endmqm of Installation2 only, never the primary's (which would refuse it).
    for prog in ["strmqm", "endmqm"] {
        let by = ran(&one, prog);
        assert!(!by.is_empty() && by.iter().all(|i| i == "Installation2"), "{prog} run from {by:?}");
    }
}

#[test]
fn without_an_installation_name_the_primary_installation_is_used_and_no_primary_key_is_needed() {
    let one = Sim::install(&[]);
    let two = one.install_in_root("opt/mqm94", &["--name", "Installation2", "--version", "9.4.0.0"]);
    // setmqinst is root's (it writes /usr/bin), not the mq user's.
    let r = one.run("setmqinst", &["-i", "-n", "Installation2"]);
    assert_eq!(r.rc, 0, "{r:?}");
    let qm = qm_name("P");
    assert_eq!(two.mq("crtmqm", &[&qm]).rc, 0);
    // A stanza that names no installation (as before MQ 7.1): only the primary links can tell.
    let mqs = one.data().join("mqs.ini");
    let text = std::fs::read_to_string(&mqs).unwrap().replace("   InstallationName=Installation2\n", "");
    std::fs::write(&mqs, text).unwrap();
    let registry = std::fs::read_to_string(one.root.join("etc/opt/mqm/mqinst.ini")).unwrap();
    assert!(!registry.contains("Primary"), "{registry}");
    let res = resource(&qm);
    let r = res.run_on_node(&one.root, "start");
    assert_eq!(r.rc, 0, "start: {r:?}");
    let r = res.run_on_node(&one.root, "stop");
    assert_eq!(r.rc, 0, "stop: {r:?}");
    assert_eq!(ran(&one, "strmqm"), ["Installation2"]);
}

#[test]
fn naming_an_installation_the_queue_manager_is_not_associated_with_is_a_configuration_error() {
    let (one, two) = migration_node();
    let qm = qm_name("W");
    assert_eq!(two.mq("crtmqm", &[&qm]).rc, 0);
    let res = resource(&qm).param("mq_installation", one.inst());
    let r = validate(&res, &one.root);
    assert_eq!(r.rc, 6, "{r:?}");
    let reason = r.exit_reason().unwrap_or_default();
    assert!(reason.contains("Installation1") && reason.contains("Installation2"), "{reason}");
    let r = res.run_on_node(&one.root, "start");
    assert_eq!(r.rc, 6, "{r:?}");
    assert!(one.qm_pids(&qm).is_empty());
    assert!(ran(&one, "strmqm").is_empty(), "strmqm must not be tried");
    // The right one named explicitly works.
    let res = resource(&qm).param("mq_installation", two.inst());
    assert_eq!(validate(&res, &one.root).rc, 0);
}

#[test]
fn a_registry_other_users_could_write_is_refused() {
    let (one, two) = migration_node();
    let qm = qm_name("R");
    assert_eq!(two.mq("crtmqm", &[&qm]).rc, 0);
    let registry = one.root.join("etc/opt/mqm/mqinst.ini");
    std::fs::set_permissions(&registry, std::fs::Permissions::from_mode(0o666)).unwrap();
    let r = validate(&resource(&qm), &one.root);
    assert_eq!(r.rc, 5, "{r:?}");
    let reason = r.exit_reason().unwrap_or_default();
    assert!(reason.contains("mqinst.ini") && reason.contains("writable by every user"), "{reason}");
    assert_eq!(resource(&qm).run_on_node(&one.root, "monitor").rc, 7, "a probe still answers");
}

#[test]
fn a_listener_of_a_queue_manager_of_the_second_installation_is_found_on_a_fresh_node() {
    // Started by hand, not by the agent: nothing is cached about these installations yet (as
    // after a reboot, /run/mqha is gone).
    let (one, two) = migration_node();
    let qm = qm_name("L");
    assert_eq!(two.mq("crtmqm", &[&qm]).rc, 0);
    assert_eq!(two.mq("strmqm", &[&qm]).rc, 0);
    let links = Links::new();
    let port = free_port().to_string();
    let res = Ocf::new("test_lsn", 30000).param("qmgr", &qm).param("port", &port);
    let lsn = links.path("ibmmq-listener");
    let r = res.run_on_node_as(&lsn, &one.root, "start");
    assert_eq!(r.rc, 0, "start: {r:?}");
    let recurring = res.clone().set("OCF_RESKEY_CRM_meta_interval", "10000");
    assert_eq!(recurring.run_on_node_as(&lsn, &one.root, "monitor").rc, 0);
    assert_eq!(ran(&one, "runmqlsr"), ["Installation2"]);
    let r = res.run_on_node_as(&lsn, &one.root, "stop");
    assert_eq!(r.rc, 0, "stop: {r:?}");
    assert!(!port_open(port.parse().unwrap()), "the listener is gone");
    assert_eq!(two.mq("endmqm", &["-i", &qm]).rc, 0);
}
