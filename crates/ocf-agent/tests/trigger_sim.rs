//! ocf:mqha:ibmmq-trigger against a simulated MQ installation: the lifecycle with both monitor
//! depths, a killed trigger monitor, a missing initiation queue, and a queue manager that is down.

use mq_testkit::*;

const T: &str = "ibmmq-trigger";

fn check(o: &Run, want: i32, what: &str) {
    assert_eq!(o.rc, want, "{what}: exit {} (want {want})\nstderr:\n{}", o.rc, o.stderr);
}

fn runmqtrm_count(qm: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| {
            let args: Vec<String> = c.split(|b| *b == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
            args.first().is_some_and(|a| a.ends_with("runmqtrm")) && args.iter().any(|a| a == qm)
        })
        .count()
}

#[test]
fn lifecycle_probe_start_monitor_stop() {
    let links = Links::new();
    let sim = SimQm::create("TL");
    sim.start();
    let env = sim.env(&[]);
    let recurring = sim.env(&[("OCF_RESKEY_CRM_meta_interval", "20000")]);
    let deep = sim.env(&[("OCF_RESKEY_CRM_meta_interval", "60000"), ("OCF_CHECK_LEVEL", "10")]);
    check(&links.run(T, "monitor", &env), 7, "probe before start");
    check(&links.run(T, "start", &env), 0, "start");
    assert_eq!(runmqtrm_count(&sim.qm), 1);
    check(&links.run(T, "monitor", &recurring), 0, "monitor depth 0");
    check(&links.run(T, "monitor", &deep), 0, "monitor depth 10");
    check(&links.run(T, "start", &env), 0, "start again");
    assert_eq!(runmqtrm_count(&sim.qm), 1, "a second start must not add a second runmqtrm");
    check(&links.run(T, "stop", &env), 0, "stop");
    assert_eq!(runmqtrm_count(&sim.qm), 0);
    check(&links.run(T, "monitor", &recurring), 7, "monitor after stop");
    check(&links.run(T, "stop", &env), 0, "stop again");
}

#[test]
fn a_killed_trigger_monitor_is_reported() {
    let links = Links::new();
    let sim = SimQm::create("TK");
    sim.start();
    let env = sim.env(&[]);
    check(&links.run(T, "start", &env), 0, "start");
    sim.kill("trigger");
    let o = links.run(T, "monitor", &sim.env(&[("OCF_RESKEY_CRM_meta_interval", "20000")]));
    check(&o, 7, "monitor after mqsim kill trigger");
    assert!(o.exit_reason().unwrap_or_default().contains("no runmqtrm"), "{}", o.stderr);
    check(&links.run(T, "start", &env), 0, "restart");
    check(&links.run(T, "stop", &env), 0, "stop");
}

#[test]
fn a_missing_initiation_queue_fails_start_naming_it() {
    let links = Links::new();
    let sim = SimQm::create("TQ");
    sim.start();
    let o = links.run(T, "start", &sim.env(&[("OCF_RESKEY_initq", "NO.SUCH.INITQ")]));
    check(&o, 1, "start on a missing initiation queue");
    assert!(o.exit_reason().unwrap_or_default().contains("NO.SUCH.INITQ"), "{}", o.stderr);
    assert_eq!(runmqtrm_count(&sim.qm), 0);
}

#[test]
fn start_before_the_queue_manager_fails_and_probe_is_7() {
    let links = Links::new();
    let sim = SimQm::create("TD");
    let env = sim.env(&[]);
    check(&links.run(T, "monitor", &env), 7, "probe");
    let o = links.run(T, "start", &env);
    check(&o, 1, "start with the queue manager down");
    assert!(o.exit_reason().unwrap_or_default().contains("is not running"), "{}", o.stderr);
}

#[test]
fn a_node_without_the_installation_is_not_installed() {
    let links = Links::new();
    let sim = SimQm::create("TN");
    let o = links.run(T, "start", &sim.env(&[("OCF_RESKEY_mq_installation", "/nonexistent/mqm")]));
    check(&o, 5, "start without an installation");
    assert!(o.exit_reason().unwrap_or_default().contains("/nonexistent/mqm"), "{}", o.stderr);
    // A probe there is still "not running" (ocf-tester's OCF_TESTER_FAIL_HAVE_BINARY too).
    check(
        &links.run(
            T,
            "monitor",
            &sim.env(&[("OCF_RESKEY_mq_installation", "/nonexistent/mqm"), ("OCF_TESTER_FAIL_HAVE_BINARY", "1")]),
        ),
        7,
        "probe",
    );
}

#[test]
fn the_mq_user_defaults_to_the_data_directory_owner() {
    let links = Links::new();
    // mqadmin: a member of group mqm that is not mqm (a derived user outside the group is refused).
    let sim = SimQm::create_as("TU", "mqadmin");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("agent.log");
    let env = sim.env(&[("OCF_CHECK_LEVEL", "10"), ("HA_debug", "1"), ("HA_DEBUGLOG", log.to_str().unwrap())]);
    check(&links.run(T, "validate-all", &env), 0, "validate-all level 10");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains(", mq user mqadmin (uid "), "{text}");
    // An explicit mq_user wins, and one that does not exist is named.
    let o =
        links.run(T, "validate-all", &sim.env(&[("OCF_CHECK_LEVEL", "10"), ("OCF_RESKEY_mq_user", "nosuchmquser")]));
    check(&o, 2, "validate-all with an unknown mq_user");
    assert!(o.exit_reason().unwrap_or_default().contains("'nosuchmquser'"), "{}", o.stderr);
}

#[test]
fn depth_10_on_a_hung_queue_manager_fails_within_the_timeout() {
    let links = Links::new();
    let sim = SimQm::create("TH");
    sim.start();
    check(&links.run(T, "start", &sim.env(&[])), 0, "start");
    sim.fault(&sim.qm, "hang", None);
    let deep = sim.env(&[
        ("OCF_RESKEY_CRM_meta_interval", "60000"),
        ("OCF_CHECK_LEVEL", "10"),
        ("OCF_RESKEY_CRM_meta_timeout", "5000"),
    ]);
    let started = std::time::Instant::now();
    let o = links.run(T, "monitor", &deep);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "monitor took {:?}", started.elapsed());
    check(&o, 1, "depth 10 on a hung queue manager");
    check(&links.run(T, "stop", &sim.env(&[])), 0, "stop while the queue manager hangs");
}

#[test]
fn ocf_tester_passes() {
    let sim = SimQm::create("TO");
    sim.start();
    let inst = sim.inst().display().to_string();
    let (rc, out) = ocf_tester(T, "trm-ocft", &[("qmgr", sim.qm.clone()), ("mq_installation", inst)]);
    assert_eq!(rc, 0, "ocf-tester:\n{out}");
    assert!(out.contains("passed all tests"), "{out}");
    assert_eq!(runmqtrm_count(&sim.qm), 0, "ocf-tester ends with a stop");
}

#[test]
fn two_trigger_monitors_on_different_queues_are_independent() {
    let links = Links::new();
    let sim = SimQm::create("T2");
    sim.start();
    let out = sim.mqsc("DEFINE QLOCAL(FW.APP.INITQ)\n");
    assert!(out.contains("AMQ8006"), "DEFINE QLOCAL: {out}");
    let def = sim.env(&[("OCF_RESOURCE_INSTANCE", "trm-default")]);
    let app = sim.env(&[("OCF_RESKEY_initq", "FW.APP.INITQ"), ("OCF_RESOURCE_INSTANCE", "trm-app")]);
    check(&links.run(T, "start", &def), 0, "start on the default initq");
    check(&links.run(T, "start", &app), 0, "start on FW.APP.INITQ");
    assert_eq!(runmqtrm_count(&sim.qm), 2);
    check(&links.run(T, "stop", &def), 0, "stop the default one");
    assert_eq!(runmqtrm_count(&sim.qm), 1);
    let deep = sim.env(&[
        ("OCF_RESKEY_initq", "FW.APP.INITQ"),
        ("OCF_RESKEY_CRM_meta_interval", "60000"),
        ("OCF_CHECK_LEVEL", "10"),
    ]);
    check(&links.run(T, "monitor", &deep), 0, "the other one still reads its queue");
    check(&links.run(T, "monitor", &sim.env(&[("OCF_RESKEY_CRM_meta_interval", "20000")])), 7, "the stopped one");
    check(&links.run(T, "stop", &app), 0, "stop the other");
}

#[test]
fn a_queue_manager_crash_is_left_to_the_queue_managers_resource() {
    let links = Links::new();
    let sim = SimQm::create("TC");
    sim.start();
    check(&links.run(T, "start", &sim.env(&[])), 0, "start");
    sim.crash(&sim.qm, false);
    let recurring = sim.env(&[("OCF_RESKEY_CRM_meta_interval", "20000")]);
    eventually("the crash to take runmqtrm down", std::time::Duration::from_secs(5), || runmqtrm_count(&sim.qm) == 0);
    check(&links.run(T, "monitor", &recurring), 0, "recurring monitor after a queue-manager crash");
    check(&links.run(T, "monitor", &sim.env(&[])), 7, "probe after the crash");
    sim.start();
    check(&links.run(T, "monitor", &recurring), 7, "recurring monitor once the queue manager runs again");
}

#[test]
fn a_hung_data_directory_does_not_hang_the_trigger_agent() {
    let links = Links::new();
    let sim = SimQm::create("TX");
    let deep = sim.env(&[("OCF_CHECK_LEVEL", "10"), ("OCF_RESKEY_CRM_meta_timeout", "10000")]);
    let limit = std::time::Duration::from_secs(13);
    let o = links.run_on_hung_storage(T, "validate-all", &deep, &sim.data_dir(), limit);
    assert!(!o.timed_out, "validate-all with the data directory hung ran past its timeout: {o:?}");
    check(&o, 0, "validate-all with the data directory hung");
}

#[test]
fn a_queue_manager_of_another_installation_is_not_ours() {
    let links = Links::new();
    let sim = SimQm::create("TI");
    let other = sim.twin();
    other.start();
    // Our queue manager is not running: a recurring monitor leaves the recovery to its resource.
    let o = links.run(T, "monitor", &sim.env(&[("OCF_RESKEY_CRM_meta_interval", "20000")]));
    check(&o, 0, "recurring monitor while only the other installation's queue manager runs");
    assert!(o.stderr.contains("leaving the recovery to the queue manager's resource"), "{}", o.stderr);
    let o = links.run(T, "start", &sim.env(&[]));
    check(&o, 1, "start while only the other installation's queue manager runs");
    assert!(o.reason().contains(&format!("queue manager {} is not running", sim.qm)), "{}", o.stderr);
    assert_eq!(runmqtrm_count(&sim.qm), 0);
}
