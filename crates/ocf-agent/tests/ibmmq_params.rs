//! Bad parameters and a badly set-up node: each gives its exit code and an ocf-exit-reason that
//! names the offending value. Stop never fails over configuration.

use mq_testkit::*;
use std::process::Command;

#[test]
fn parameter_errors_are_named() {
    let sim = Sim::install(&[]);
    type Case<'a> = (&'a [(&'a str, &'a str)], i32, &'a str);
    let cases: &[Case] = &[
        (&[], 6, "qmgr"),
        (&[("qmgr", "QM-1")], 6, "QM-1"),
        (&[("qmgr", &"Q".repeat(49))], 6, &"Q".repeat(49)),
        (&[("qmgr", "QM1;rm -rf /")], 6, "QM1;rm"),
        (&[("qmgr", "QM1$(id)")], 6, "QM1$(id)"),
        (&[("qmgr", "QM1"), ("mq_installation", "opt/mqm")], 6, "opt/mqm"),
        (
            &[("qmgr", "QM1"), ("native_ha", "true"), ("multi_instance", "true")],
            6,
            "native_ha=true and multi_instance=true",
        ),
        (&[("qmgr", "QM1"), ("native_ha_last_replica", "sometimes")], 6, "sometimes"),
    ];
    for (params, code, named) in cases {
        for action in ["start", "validate-all", "monitor"] {
            let r = sim.agent(action, params, &[]);
            assert_eq!(r.rc, *code, "{action} {params:?}: {r:?}");
            assert!(r.reason().contains(named), "{action} {params:?}: reason '{}' does not name '{named}'", r.reason());
        }
        // Stop never fails over configuration.
        let r = sim.agent("stop", params, &[]);
        assert_eq!(r.rc, 0, "stop {params:?}: {r:?}");
    }
}

/// native_ha=true runs only as a promotable clone of three: start and promote say which clone
/// attribute to set (6) before anything touches MQ; stop never fails over it.
#[test]
fn native_ha_outside_a_promotable_clone_of_three_is_refused() {
    let sim = Sim::install(&[]);
    let params: &[(&str, &str)] = &[("qmgr", "QMNHA"), ("native_ha", "true")];
    let m = |k: &str| format!("OCF_RESKEY_CRM_meta_{k}");
    let (max, node_max, promoted, promotable) =
        (m("clone_max"), m("clone_node_max"), m("promoted_max"), m("promotable"));
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![], "promotable clone of three"),
        (vec![(&max, "2")], "clone-max=2"),
        (vec![(&max, "3"), (&promoted, "2")], "promoted-max=2"),
        (vec![(&max, "3"), (&node_max, "3")], "clone-node-max=3"),
        (vec![(&max, "3"), (&promotable, "false")], "promotable=false"),
    ];
    for (env, named) in &cases {
        for action in ["start", "promote"] {
            let r = sim.agent(action, params, env);
            assert_eq!(r.rc, 6, "{action} {env:?}: {r:?}");
            assert!(r.reason().contains(named), "{action} {env:?}: reason '{}' lacks '{named}'", r.reason());
        }
        let r = sim.agent("stop", params, env);
        assert_eq!(r.rc, 0, "stop {env:?}: {r:?}");
    }
}

#[test]
fn unknown_user_wrong_owner_missing_stanza_missing_installation() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMP").rc, 0);

    let r = sim.agent("start", &[("qmgr", "QMP"), ("mq_user", "nosuchmquser")], &[]);
    assert_eq!(r.rc, 2, "unknown user: {r:?}");
    assert!(r.reason().contains("nosuchmquser"), "{}", r.reason());
    assert!(qm_pids(&sim.root, "QMP").is_empty(), "started despite the bad user");

    // An alternate user outside the mq group.
    let r = sim.agent("start", &[("qmgr", "QMP"), ("mq_user", "mqm2")], &[]);
    assert_eq!(r.rc, 5, "user outside group mqm: {r:?}");
    assert!(r.reason().contains("mqm2"), "{}", r.reason());

    // Data directory owned by someone else.
    let data = sim.data().join("qmgrs/QMP");
    let (uid2, gid2) = ids("mqm2");
    let (uid, gid) = ids("mqm");
    std::os::unix::fs::chown(&data, Some(uid2), Some(gid2)).unwrap();
    let r = sim.agent("start", &[("qmgr", "QMP"), ("mq_user", "mqm")], &[]);
    assert_eq!(r.rc, 5, "wrong owner: {r:?}");
    assert!(r.reason().contains("qmgrs/QMP"), "{}", r.reason());
    std::os::unix::fs::chown(&data, Some(uid), Some(gid)).unwrap();

    // Without mq_user, data owned by a uid no user here has (the mq user's uid differs from the
    // node that created the data): the reason says what was found and what to do, 5.
    let mut stray = 42_4242u32;
    while Command::new("getent").args(["passwd", &stray.to_string()]).output().unwrap().status.success() {
        stray += 1;
    }
    std::os::unix::fs::chown(&data, Some(stray), Some(gid)).unwrap();
    let r = sim.act("start", "QMP");
    std::os::unix::fs::chown(&data, Some(uid), Some(gid)).unwrap();
    assert_eq!(r.rc, 5, "data owned by an unknown uid: {r:?}");
    let why = r.reason();
    assert!(
        why.contains(&format!("QMP data dir owned by uid {stray}, no user on this node (mqm here has uid {uid})")),
        "{why}"
    );
    assert!(why.contains("the same on all nodes"), "{why}");
    assert!(!why.contains(&format!("'{stray}'")), "{why}");
    assert!(qm_pids(&sim.root, "QMP").is_empty(), "started despite the unknown owner");

    // A queue manager this node's mqs.ini does not know.
    let r = sim.act("start", "NOTHERE");
    assert_eq!(r.rc, 5, "unknown QM: {r:?}");
    assert!(r.reason().contains("NOTHERE"), "{}", r.reason());
    assert_eq!(sim.probe("NOTHERE").rc, 7, "probe of a QM unknown here");
    assert_eq!(sim.act("stop", "NOTHERE").rc, 0);

    // An installation path that has no MQ: start 5 naming it, probe 7, stop 0.
    let p = [("qmgr", "QMP"), ("mq_installation", "/nonexistent/mqm")];
    let r = sim.agent("start", &p, &[]);
    assert_eq!(r.rc, 5, "{r:?}");
    assert!(r.reason().contains("/nonexistent/mqm"), "{}", r.reason());
    assert_eq!(sim.agent("monitor", &p, &[]).rc, 7);
    assert_eq!(sim.agent("stop", &p, &[]).rc, 0);
}

#[test]
fn alternate_admin_in_the_mq_group_can_run_it() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMA").rc, 0);
    let r = sim.agent("start", &[("qmgr", "QMA"), ("mq_user", "mqadmin")], &[]);
    assert_eq!(r.rc, 0, "start as mqadmin (group mqm): {r:?}");
    assert_eq!(sim.agent("stop", &[("qmgr", "QMA"), ("mq_user", "mqadmin")], &[]).rc, 0);
}

#[test]
fn add_mqs_ini_restores_a_missing_stanza() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMS").rc, 0);
    let r = sim.mq("rmvmqinf", &["QMS"]);
    assert_eq!(r.rc, 0, "rmvmqinf: {r:?}");
    let r = sim.act("start", "QMS");
    assert_eq!(r.rc, 5, "missing stanza without add_mqs_ini: {r:?}");
    assert!(r.reason().contains("QMS"), "{}", r.reason());
    let r = sim.agent("start", &[("qmgr", "QMS"), ("add_mqs_ini", "true")], &[]);
    assert_eq!(r.rc, 0, "start with add_mqs_ini: {r:?}");
    let ini = std::fs::read_to_string(sim.data().join("mqs.ini")).unwrap();
    assert!(ini.contains("Name=QMS"), "{ini}");
    assert_eq!(sim.act("stop", "QMS").rc, 0);
}

#[test]
fn storage_not_mounted_here_is_stopped_for_a_probe_and_a_node_error_for_start() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMU").rc, 0);
    // The shared data directory is not mounted on this node: the stanza is there, the data not.
    let data = sim.data().join("qmgrs/QMU");
    let away = sim.data().join("qmgrs/QMU.elsewhere");
    std::fs::rename(&data, &away).unwrap();
    let r = sim.probe("QMU");
    assert_eq!(r.rc, 7, "probe without the shared storage: {r:?}");
    let r = sim.act("start", "QMU");
    assert_eq!(r.rc, 5, "start without the shared storage: {r:?}");
    assert!(r.reason().contains("qmgrs/QMU"), "{}", r.reason());
    assert_eq!(sim.act("stop", "QMU").rc, 0);
    // Mounted again: starts.
    std::fs::rename(&away, &data).unwrap();
    assert_eq!(sim.act("start", "QMU").rc, 0);
    assert_eq!(sim.act("stop", "QMU").rc, 0);
}
