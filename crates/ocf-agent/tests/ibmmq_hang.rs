//! A hung queue manager, or one whose storage is gone, handled fast (docs/ibmmq.md, "Hung queue
//! manager"): the monitor reports a hang within hang_timeout, the stop skips the orderly endmqm
//! that cannot finish, and a queue manager that is merely busy is not called hung.

use mq_testkit::*;
use std::time::Duration;

fn started(sim: &Sim, qm: &str) {
    assert_eq!(sim.crtmqm(qm).rc, 0);
    let r = sim.act("start", qm);
    assert_eq!(r.rc, 0, "start {qm}: {r:?}");
}

/// A recurring monitor at `depth` with a 60 s timeout and these parameters.
fn monitor(sim: &Sim, depth: &str, params: &[(&str, &str)]) -> Run {
    sim.agent(
        "monitor",
        params,
        &[
            ("OCF_RESKEY_CRM_meta_interval", "20000"),
            ("OCF_CHECK_LEVEL", depth),
            ("OCF_RESKEY_CRM_meta_timeout", "60000"),
        ],
    )
}

/// The endmqm commands a stop ran, from its log ("running endmqm ...").
fn endmqm_steps(r: &Run) -> Vec<String> {
    r.stderr
        .lines()
        .filter_map(|l| l.split("running endmqm ").nth(1))
        .map(|rest| format!("endmqm {}", rest.split_whitespace().next().unwrap_or("")))
        .collect()
}

#[test]
fn monitor_reports_a_hung_queue_manager_within_hang_timeout() {
    let sim = Sim::install(&[]);
    started(&sim, "QMHT");
    sim.fault("QMHT", "hang", None);
    // Margin: the agent's own start, depth 0 (/proc and dspmq), the probe child's fork and kill.
    let margin = Duration::from_secs(4);
    for (depth, bound) in [("10", "2"), ("20", "2"), ("10", "5")] {
        let r = monitor(&sim, depth, &[("qmgr", "QMHT"), ("hang_timeout", bound)]);
        assert_eq!(r.rc, 1, "depth {depth}, hang_timeout={bound} on a hung QM: {r:?}");
        let want = format!("hang_timeout={bound}s");
        assert!(r.reason().contains("QMHT hung") && r.reason().contains(&want), "{}", r.reason());
        let limit = Duration::from_secs(bound.parse().unwrap()) + margin;
        assert!(r.elapsed < limit, "depth {depth}: hung reported after {:?}, not within {limit:?}", r.elapsed);
    }
    sim.clear_fault("QMHT", "hang");
    assert_eq!(monitor(&sim, "10", &[("qmgr", "QMHT")]).rc, 0, "answering again");
    assert_eq!(sim.act("stop", "QMHT").rc, 0);
}

#[test]
fn hang_timeout_must_be_below_the_monitor_timeout() {
    let sim = Sim::install(&[]);
    started(&sim, "QMHV");
    for bad in ["60", "90"] {
        let r = monitor(&sim, "10", &[("qmgr", "QMHV"), ("hang_timeout", bad)]);
        assert_eq!(r.rc, 6, "hang_timeout={bad} with a 60 s monitor: {r:?}");
        assert!(r.reason().contains(&format!("hang_timeout={bad}s")) && r.reason().contains("60s"), "{}", r.reason());
    }
    for bad in ["0", "-1", "2.5", "soon"] {
        let r = monitor(&sim, "10", &[("qmgr", "QMHV"), ("hang_timeout", bad)]);
        assert_eq!(r.rc, 6, "hang_timeout={bad}: {r:?}");
        assert!(r.reason().contains("hang_timeout") && r.reason().contains(bad), "{}", r.reason());
    }
    assert_eq!(monitor(&sim, "10", &[("qmgr", "QMHV"), ("hang_timeout", "29")]).rc, 0);
    assert_eq!(sim.act("stop", "QMHV").rc, 0);
}

#[test]
fn stop_of_a_hung_queue_manager_goes_straight_to_endmqm_p() {
    let sim = Sim::install(&[]);
    started(&sim, "QMHS");
    sim.fault("QMHS", "hang", None);
    // No monitor ran: the stop's own look (an MQI connect within hang_timeout) finds it hung.
    let stop =
        || sim.agent("stop", &[("qmgr", "QMHS"), ("hang_timeout", "2")], &[("OCF_RESKEY_CRM_meta_timeout", "60000")]);
    let r = stop();
    assert_eq!(r.rc, 0, "stop of a hung QM: {r:?}");
    assert_eq!(endmqm_steps(&r), ["endmqm -p"], "{}", r.stderr);
    assert!(r.stderr.contains("skipping endmqm -i"), "the log does not say why: {}", r.stderr);
    // The orderly step would have had 30 s of the 60: the stop took the look and -p.
    assert!(r.elapsed < Duration::from_secs(10), "stop of a hung QM took {:?}", r.elapsed);
    assert!(sim.qm_pids("QMHS").is_empty(), "processes left: {:?}", sim.qm_pids("QMHS"));

    // A monitor's fresh verdict: the stop believes it without looking again.
    sim.clear_fault("QMHS", "hang");
    assert_eq!(sim.act("start", "QMHS").rc, 0);
    sim.fault("QMHS", "hang", None);
    assert_eq!(monitor(&sim, "10", &[("qmgr", "QMHS"), ("hang_timeout", "2")]).rc, 1);
    let r = stop();
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(endmqm_steps(&r), ["endmqm -p"], "{}", r.stderr);
    assert!(r.stderr.contains("a monitor found QMHS hung"), "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(5), "a stop after the monitor's verdict took {:?}", r.elapsed);
    assert!(sim.qm_pids("QMHS").is_empty());
    sim.clear_fault("QMHS", "hang");

    // The verdict was of that controller: a healthy new instance is ended in order.
    assert_eq!(sim.act("start", "QMHS").rc, 0);
    let r = stop();
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(endmqm_steps(&r), ["endmqm -i"], "{}", r.stderr);
    assert!(sim.qm_pids("QMHS").is_empty());
}

#[test]
fn stop_with_its_storage_gone_goes_straight_to_endmqm_p() {
    // The simulator's switch: dspmq says "Status not available" while the processes run.
    let sim = Sim::install(&[]);
    started(&sim, "QMSG");
    sim.fault("QMSG", "storage-lost", None);
    let r = sim.agent("stop", &[("qmgr", "QMSG")], &[("OCF_RESKEY_CRM_meta_timeout", "60000")]);
    assert_eq!(r.rc, 0, "stop with lost storage: {r:?}");
    assert_eq!(endmqm_steps(&r), ["endmqm -p"], "{}", r.stderr);
    assert!(r.stderr.contains("Status not available"), "the log does not say why: {}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(10), "stop with lost storage took {:?}", r.elapsed);
    assert!(sim.qm_pids("QMSG").is_empty(), "processes left: {:?}", sim.qm_pids("QMSG"));
    sim.clear_fault("QMSG", "storage-lost");

    // Real storage that does not answer: the data directory is a mount nobody serves, in the
    // stop's own mount namespace (the queue manager's processes still see theirs).
    let q = SimQm::create("HSTG");
    q.start();
    let links = Links::new();
    let env = q.env(&[("OCF_RESKEY_CRM_meta_timeout", "60000"), ("OCF_RESKEY_hang_timeout", "2")]);
    let r = links.run_on_hung_storage("ibmmq", "stop", &env, &q.data_dir(), Duration::from_secs(65));
    assert!(!r.timed_out, "stop on hung storage ran past its timeout: {r:?}");
    assert_eq!(r.rc, 0, "stop on hung storage: {r:?}");
    assert!(r.stderr.contains("did not answer within 2s"), "the log does not say why: {}", r.stderr);
    assert!(!endmqm_steps(&r).contains(&"endmqm -i".to_string()), "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(12), "stop on hung storage took {:?}", r.elapsed);
    assert!(q.pids().is_empty(), "processes left: {:?}", q.pids());
}

#[test]
fn a_busy_queue_manager_is_not_reported_hung() {
    let sim = Sim::install(&[]);
    started(&sim, "QMBZ");
    // Busy: every request answered 250 ms late. The connect and inquiry fit in hang_timeout=3;
    // the whole depth-20 check (messages, a temporary queue) takes longer, and must pass.
    sim.fault("QMBZ", "slow", Some("250"));
    let r = monitor(&sim, "20", &[("qmgr", "QMBZ"), ("hang_timeout", "3")]);
    assert_eq!(r.rc, 0, "depth 20 on a busy QM: {r:?}");
    assert!(r.elapsed > Duration::from_secs(3), "the load did not outlast hang_timeout ({:?}): no proof", r.elapsed);
    let r = monitor(&sim, "10", &[("qmgr", "QMBZ"), ("hang_timeout", "3"), ("command_server", "yes")]);
    assert_eq!(r.rc, 0, "depth 10 (MQI and runmqsc) on a busy QM: {r:?}");
    // Stopped in order: busy is not hung.
    let r = sim.agent("stop", &[("qmgr", "QMBZ"), ("hang_timeout", "3")], &[("OCF_RESKEY_CRM_meta_timeout", "60000")]);
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(endmqm_steps(&r)[0], "endmqm -i", "{}", r.stderr);
    assert!(sim.qm_pids("QMBZ").is_empty());
}
