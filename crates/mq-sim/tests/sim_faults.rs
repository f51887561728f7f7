//! Every fault switch of `mqsim fault`, as a test (and the agent) meets it.

use mq_testkit::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn slow_start_shows_starting_then_running() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    assert_eq!(sim.mqsim(&["fault", "QM1", "set", "slow-start", "2"]).rc, 0);
    let t = Instant::now();
    let mut child = Spawned::start(
        User::named(&sim.user).apply(&mut Command::new(sim.bin("strmqm"))).arg("QM1").stdout(Stdio::null()),
    );
    sim.wait_status("QM1", "STARTING", Duration::from_secs(2));
    assert_eq!(child.wait_within(Duration::from_secs(10)), Some(0));
    assert!(t.elapsed() >= Duration::from_secs(2));
    assert_eq!(sim.status("QM1"), "RUNNING");
    sim.ok("endmqm", &["-i", "QM1"]);
}

#[test]
fn log_replay_keeps_starting_and_strmqm_prints_its_progress() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    assert_eq!(sim.mqsim(&["fault", "QM1", "set", "log-replay", "3"]).rc, 0);
    let t = Instant::now();
    let mut c = Command::new(sim.bin("strmqm"));
    User::named(&sim.user).apply(&mut c).arg("QM1").stdout(Stdio::piped());
    let child = c.spawn().unwrap();
    // dspmq shows Starting while the log is replayed, with the execution controller already there.
    sim.wait_status("QM1", "STARTING", Duration::from_secs(2));
    assert!(sim.processes().iter().any(|p| p.comm == "amqzxma0"), "no controller while Starting");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // strmqm returns only when the queue manager runs (IBM: it does not return before).
    assert!(t.elapsed() >= Duration::from_secs(3), "strmqm returned during the replay: {:?}", t.elapsed());
    assert_eq!(sim.status("QM1"), "RUNNING");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let counts: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_suffix(" log records accessed on queue manager 'QM1' during the log replay phase."))
        .map(|n| n.parse().unwrap())
        .collect();
    // Intermittent progress (about one a second), growing, then the end of the replay.
    assert!(counts.len() >= 2, "{text}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{text}");
    let after: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("Log replay")).collect();
    assert_eq!(after[0], "Log replay for queue manager 'QM1' complete.", "{text}");
    assert_eq!(after[1], "Transaction manager state recovered for queue manager 'QM1'.", "{text}");
    // The error log records the same with IBM's message ids.
    let log = std::fs::read_to_string(sim.data().join("qmgrs/QM1/errors/AMQERR01.LOG")).unwrap();
    for id in ["AMQ7229I: ", "AMQ7230I: ", "AMQ7231I: ", "AMQ7232I: "] {
        assert!(log.contains(id), "{id} missing from the error log");
    }
    sim.ok("endmqm", &["-i", "QM1"]);
    // The old name still works.
    assert_eq!(sim.mqsim(&["fault", "QM1", "clear", "slow-start"]).rc, 0);
    assert!(!sim.mqsim(&["fault", "QM1", "list"]).stdout.contains("log-replay"));
}

#[test]
fn slow_endmqm_stays_ending_and_p_cuts_it_short() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    assert_eq!(sim.mqsim(&["fault", "QM1", "set", "slow-endmqm", "3"]).rc, 0);
    // endmqm -w waits out the slow end.
    let t = Instant::now();
    assert_eq!(ends_within(&sim, &["-w", "QM1"], Duration::from_secs(20)), Some(0));
    assert!(t.elapsed() >= Duration::from_secs(3), "the end was not slow: {:?}", t.elapsed());
    assert_eq!(sim.status("QM1"), "ENDED NORMALLY");
    // endmqm -c returns at once and the queue manager stays Quiescing for the time set.
    sim.ok("strmqm", &["QM1"]);
    let t = Instant::now();
    sim.ok("endmqm", &["-c", "QM1"]);
    assert!(t.elapsed() < Duration::from_secs(2));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sim.status("QM1"), "QUIESCING");
    // endmqm -i meanwhile: Ending immediately, still slow; -p ends it at once.
    let t = Instant::now();
    let mut i = Spawned::start(
        User::named(&sim.user).apply(&mut Command::new(sim.bin("endmqm"))).args(["-i", "QM1"]).stdout(Stdio::null()),
    );
    sim.wait_status("QM1", "ENDING IMMEDIATELY", Duration::from_secs(2));
    assert_eq!(ends_within(&sim, &["-p", "QM1"], Duration::from_secs(10)), Some(0));
    assert_eq!(i.wait_within(Duration::from_secs(10)), Some(0));
    assert!(t.elapsed() < Duration::from_secs(3), "-p did not cut the slow end short: {:?}", t.elapsed());
    assert!(sim.processes().is_empty());
}

#[test]
fn strmqm_rc_fault() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    assert_eq!(sim.mqsim(&["fault", "QM1", "set", "strmqm-rc", "23"]).rc, 0);
    assert_eq!(sim.mq("strmqm", &["QM1"]).rc, 23);
    assert_eq!(sim.status("QM1"), "ENDED IMMEDIATELY");
    assert!(sim.processes().is_empty());
    // A bad value is refused when set.
    assert_ne!(sim.mqsim(&["fault", "QM1", "set", "strmqm-rc", "x"]).rc, 0);
    sim.mqsim(&["fault", "QM1", "clear", "strmqm-rc"]);
    sim.ok("strmqm", &["QM1"]);
    sim.ok("endmqm", &["-i", "QM1"]);
}

fn ends_within(sim: &Sim, args: &[&str], within: Duration) -> Option<i32> {
    Spawned::start(User::named(&sim.user).apply(&mut Command::new(sim.bin("endmqm"))).args(args).stdout(Stdio::null()))
        .wait_within(within)
}

#[test]
fn ignore_endmqm_only_preemptive_ends_it() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    sim.mqsim(&["fault", "QM1", "set", "ignore-endmqm"]);
    assert_eq!(sim.mq("endmqm", &["-c", "QM1"]).rc, 0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sim.status("QM1"), "RUNNING");
    assert_eq!(ends_within(&sim, &["-i", "QM1"], Duration::from_secs(2)), None, "endmqm -i must not complete");
    assert_eq!(sim.status("QM1"), "RUNNING");
    assert_eq!(ends_within(&sim, &["-p", "QM1"], Duration::from_secs(10)), Some(0));
    assert_eq!(sim.status("QM1"), "ENDED PRE-EMPTIVELY");
    assert!(sim.processes().is_empty(), "{:#?}", sim.processes());
}

#[test]
fn hung_queue_manager_still_shows_running_and_dies_by_preemptive_end() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    sim.mqsim(&["fault", "QM1", "set", "hang"]);
    assert_eq!(sim.status("QM1"), "RUNNING");
    assert!(sim.processes().iter().any(|p| p.comm == "amqzxma0"));
    assert_eq!(ends_within(&sim, &["-i", "QM1"], Duration::from_secs(2)), None);
    assert_eq!(ends_within(&sim, &["-p", "QM1"], Duration::from_secs(10)), Some(0));
    assert!(sim.processes().is_empty());
}

#[test]
fn lost_storage_is_status_not_available() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.mqsim(&["fault", "QM1", "set", "storage-lost"]);
    // docs/reference/mq-commands.md#dspmq-states "Status not available"
    let r = sim.ok("dspmq", &["-m", "QM1"]);
    assert!(r.stdout.contains("STATUS(Status not available)"), "{}", r.stdout);
    assert_eq!(sim.status("QM1"), "STATUS NOT AVAILABLE");
    let r = sim.mq("strmqm", &["QM1"]);
    assert_eq!(r.rc, 69, "{r:?}");
    assert!(sim.processes().is_empty());
    sim.mqsim(&["fault", "QM1", "clear", "storage-lost"]);
    assert_eq!(sim.status("QM1"), "ENDED IMMEDIATELY");
}

/// The `ipcs -m -s` lines of this queue manager's own key: other tests of this binary run queue
/// managers of their own at the same time, so a before/after diff of all of IPC is not ours alone.
fn ipc_lines_of(sim: &Sim, qm: &str) -> Vec<String> {
    let inst = mq_sim::paths::Installation::at(&sim.root).expect("installation");
    let key = mq_sim::runtime::ipc::key(&inst, &inst.qm(qm).expect("queue manager paths"));
    let out = std::process::Command::new("ipcs").args(["-m", "-s"]).output().expect("ipcs");
    let needle = format!("0x{:08x} ", key);
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with(&needle)).map(str::to_string).collect()
}

#[test]
fn leftover_ipc_is_removed_by_amqiclen() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    assert_eq!(ipc_lines_of(&sim, "QM1"), Vec::<String>::new(), "no IPC before the fault");
    assert_eq!(sim.mqsim(&["fault", "QM1", "set", "leftover-ipc"]).rc, 0);
    let during = ipc_lines_of(&sim, "QM1");
    assert_eq!(during.len(), 2, "one segment and one semaphore set expected: {during:?}");
    assert!(during.iter().all(|l| l.split_whitespace().nth(2) == Some("mqm")), "owned by mqm: {during:?}");
    // amqiclen -x -m QM prints nothing, rc 0, resources gone.
    let r = sim.ok("amqiclen", &["-x", "-m", "QM1"]);
    assert_eq!(r.stdout, "");
    assert_eq!(ipc_lines_of(&sim, "QM1"), Vec::<String>::new(), "IPC left after amqiclen");
}

#[test]
fn dead_listener_fault_via_kill() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    let port = free_port().to_string();
    let mut child = Spawned::start(
        User::named(&sim.user)
            .apply(&mut Command::new(sim.bin("runmqlsr")))
            .args(["-t", "tcp", "-p", &port, "-m", "QM1"]),
    );
    eventually("runmqlsr to run", Duration::from_secs(5), || sim.processes().iter().any(|p| p.comm == "runmqlsr"));
    sim.kill("QM1", &format!("listener:{port}"));
    assert!(child.wait_within(Duration::from_secs(10)).is_some(), "runmqlsr outlived its kill");
    assert!(!sim.processes().iter().any(|p| p.comm == "runmqlsr"));
    assert_eq!(sim.status("QM1"), "RUNNING");
    assert_eq!(sim.mqsim(&["kill", "QM1", "listener"]).rc, 1, "nothing left to kill");
    sim.ok("endmqm", &["-i", "QM1"]);
}
