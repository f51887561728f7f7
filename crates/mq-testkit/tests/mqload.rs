//! The load client `mqload` against a simulated queue manager (loopback only): a producer and a
//! consumer run as the mq user through a client channel while the queue manager is ended
//! immediately and restarted, or crashes and is restarted; the report then finds every
//! acknowledged message delivered exactly once. And the report's verdict on planted journals.

use mq_testkit::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const QM: &str = "QM1";

fn mqload() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mqload"))
}

fn now_ms() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// A running QM1 with a CONTROL(QMGR) listener (so strmqm brings it back), an application
/// channel the mq group may use (CHLAUTH and CHCKCLNT relaxed, as tests/mqi_client.rs shows
/// they must be for it), and the queue LOADQ.
fn queue_manager() -> (Sim, u16) {
    let sim = Sim::started("9.3.0.0", QM);
    let port = free_port();
    sim.mqsc_ok(
        QM,
        &format!(
            "DEFINE LISTENER(L1) TRPTYPE(TCP) PORT({port}) IPADDR(127.0.0.1) CONTROL(QMGR)\nSTART LISTENER(L1)\n\
             DEFINE CHANNEL(LOAD.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP)\nDEFINE QLOCAL(LOADQ)\n\
             ALTER QMGR CHLAUTH(DISABLED)\n\
             ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)\n\
             REFRESH SECURITY TYPE(CONNAUTH)\n"
        ),
    );
    eventually(&format!("the listener to bind {port}"), Duration::from_secs(10), || port_open(port));
    (sim, port)
}

/// A directory the mq user may write its journals in.
fn journal_dir() -> tempfile::TempDir {
    let d = tempfile::Builder::new().prefix("mqload-").tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(d.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    d
}

fn conn_args(sim: &Sim, port: u16) -> Vec<String> {
    [
        "--mq-installation",
        &sim.inst().display().to_string(),
        "--qmgr",
        QM,
        "--channel",
        "LOAD.SVRCONN",
        "--conn",
        &format!("127.0.0.1({port})"),
        "--queue",
        "LOADQ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn start_as_mq_user(args: &[String]) -> Spawned {
    let mut c = Command::new(mqload());
    c.args(args).env_remove("LD_LIBRARY_PATH").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    User::named("mqm").apply(&mut c);
    Spawned::start(&mut c)
}

fn count_lines(path: &Path, event: &str) -> usize {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter(|l| l.split(' ').nth(1) == Some(event)).count()
}

/// Runs producer and consumer, applies `fault` once some messages are acknowledged, and returns
/// the report (with --drain and --fault-at) and the producer's journal.
fn load_through(fault: impl FnOnce(&Sim)) -> (Run, String) {
    let (sim, port) = queue_manager();
    let dir = journal_dir();
    let produced = dir.path().join("produced");
    let consumed = dir.path().join("consumed");
    let conn = conn_args(&sim, port);
    let mut p_args = vec!["produce".to_string()];
    p_args.extend(conn.iter().cloned());
    p_args.extend(
        ["--count", "300", "--seconds", "60", "--rate", "60", "--journal", &produced.display().to_string()]
            .map(String::from),
    );
    let mut c_args = vec!["consume".to_string()];
    c_args.extend(conn.iter().cloned());
    c_args.extend(["--seconds", "90", "--journal", &consumed.display().to_string()].map(String::from));
    let mut producer = start_as_mq_user(&p_args);
    let mut consumer = start_as_mq_user(&c_args);
    eventually("30 acknowledged and 10 delivered messages", Duration::from_secs(30), || {
        let (a, d) = (count_lines(&produced, "ack"), count_lines(&consumed, "deliver"));
        if a >= 30 && d >= 10 {
            Ok(())
        } else {
            Err(format!("{a} acknowledged, {d} delivered"))
        }
    });
    let fault_at = now_ms();
    fault(&sim);
    assert_eq!(producer.wait_within(Duration::from_secs(90)), Some(0), "the producer ends by its count");
    // Let the consumer catch up, then end it as a test harness would.
    let t = Instant::now();
    while count_lines(&consumed, "deliver") < 300 && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(200));
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(consumer.pid()), nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(consumer.wait_within(Duration::from_secs(15)), Some(0), "the consumer ends cleanly on SIGTERM");
    let journal = std::fs::read_to_string(&produced).unwrap();
    let mut r_args = vec![
        "report".to_string(),
        "--produced".into(),
        produced.display().to_string(),
        "--consumed".into(),
        consumed.display().to_string(),
        "--fault-at".into(),
        fault_at.to_string(),
        "--drain".into(),
        "--drain-seconds".into(),
        "30".into(),
    ];
    r_args.extend(conn);
    let report = sim.program(Some(User::named("mqm")), &mqload(), &to_str(&r_args), "", &[], Duration::from_secs(60));
    (report, journal)
}

fn to_str(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn assert_nothing_lost(report: &Run, journal: &str) {
    eprintln!("{}", report.stdout);
    assert_eq!(report.rc, 0, "{report:?}\nproducer journal:\n{journal}");
    assert!(report.stdout.contains("messages: 300 acknowledged, 300 delivered, 0 lost, 0 duplicated\n"), "{report:?}");
    let outage = report.stdout.lines().find(|l| l.starts_with("outage: ")).expect("an outage line");
    assert!(
        outage.starts_with("outage: last success before the fault +") && outage.contains(" ms, outage "),
        "{report:?}"
    );
    // The fault was felt: the producer lost its connection and reconnected.
    assert!(journal.lines().any(|l| l.contains(" fail ")), "{journal}");
    assert!(journal.lines().filter(|l| l.ends_with(" connect ok")).count() >= 2, "{journal}");
}

#[test]
fn load_across_an_immediate_restart_loses_and_duplicates_nothing() {
    let (report, journal) = load_through(|sim| {
        sim.ok("endmqm", &["-i", QM]);
        sim.ok("strmqm", &[QM]);
    });
    assert_nothing_lost(&report, &journal);
}

#[test]
fn load_across_a_crash_loses_and_duplicates_nothing() {
    let (report, journal) = load_through(|sim| {
        sim.crash(QM, false);
        sim.wait_status(QM, "ENDED UNEXPECTEDLY", Duration::from_secs(10));
        // strmqm restarts the queue manager and its CONTROL(QMGR) listener.
        sim.ok("strmqm", &[QM]);
    });
    assert_nothing_lost(&report, &journal);
}

fn report_of(produced: &str, consumed: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (p, c) = (dir.path().join("p"), dir.path().join("c"));
    std::fs::write(&p, produced).unwrap();
    std::fs::write(&c, consumed).unwrap();
    run(Command::new(mqload()).args(["report", "--produced"]).arg(&p).arg("--consumed").arg(&c))
}

#[test]
fn report_fails_on_a_lost_or_duplicated_message() {
    let produced = "100 start produce\n110 ack 1\n120 ack 2\n130 ack 3\n";
    let ok = report_of(produced, "100 start consume\n115 deliver 1\n125 deliver 2\n135 deliver 3\n");
    assert_eq!(ok.rc, 0, "{ok:?}");
    assert!(ok.stdout.starts_with("messages: 3 acknowledged, 3 delivered, 0 lost, 0 duplicated\n"), "{ok:?}");
    assert!(ok.stdout.contains("outage: no fault time given"), "{ok:?}");
    let lost = report_of(produced, "100 start consume\n115 deliver 1\n135 deliver 3\n");
    assert_eq!(lost.rc, 1, "{lost:?}");
    assert!(
        lost.stdout.starts_with("messages: 3 acknowledged, 2 delivered, 1 lost, 0 duplicated\nlost: 2\n"),
        "{lost:?}"
    );
    let dup = report_of(produced, "100 start consume\n115 deliver 1\n125 deliver 2\n126 deliver 2\n135 deliver 3\n");
    assert_eq!(dup.rc, 1, "{dup:?}");
    assert!(dup.stdout.contains("3 delivered, 0 lost, 1 duplicated\nduplicated: 2\n"), "{dup:?}");
}

#[test]
fn a_duplicate_after_an_in_doubt_commit_is_reported_and_only_it_passes() {
    // 2's commit failed with the outcome unknown (2009) and 2 was put again: both copies arrive.
    let produced = "100 start produce\n110 ack 1\n120 indoubt 2 MQCMIT 2009\n130 ack 2\n140 ack 3\n";
    let twice = "100 start consume\n115 deliver 1\n125 deliver 2\n135 deliver 2\n145 deliver 3\n";
    let r = report_of(produced, twice);
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.stdout.starts_with("messages: 3 acknowledged, 3 delivered, 0 lost, 1 duplicated\n"), "{r:?}");
    assert!(r.stdout.contains("duplicated after the producer's in-doubt commit of the same number"), "{r:?}");
    assert!(!r.stdout.contains("\nduplicated: "), "{r:?}");
    // Three copies: one more than the single in-doubt commit explains.
    let thrice = "100 start consume\n115 deliver 1\n125 deliver 2\n135 deliver 2\n136 deliver 2\n145 deliver 3\n";
    let r = report_of(produced, thrice);
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.stdout.contains("\nduplicated: 2\n"), "{r:?}");
    // A duplicate of a number whose commit was never in doubt.
    let other = "100 start consume\n115 deliver 1\n116 deliver 1\n125 deliver 2\n145 deliver 3\n";
    let r = report_of(produced, other);
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.stdout.contains("\nduplicated: 1\n"), "{r:?}");
}

#[test]
fn report_measures_the_outage_around_the_fault() {
    let dir = tempfile::tempdir().unwrap();
    let (p, c) = (dir.path().join("p"), dir.path().join("c"));
    std::fs::write(&p, "1000 start produce\n1100 ack 1\n1200 fail 2 MQPUT 2009\n2900 ack 2\n").unwrap();
    std::fs::write(&c, "1000 start consume\n1150 deliver 1\n3000 deliver 2\n").unwrap();
    let r = run(Command::new(mqload())
        .args(["report", "--fault-at", "1180", "--produced"])
        .arg(&p)
        .arg("--consumed")
        .arg(&c));
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("outage: last success before the fault +150 ms, first success after +1900 ms, outage 1750 ms\n"),
        "{r:?}"
    );
}

#[test]
fn bad_input_is_refused_naming_the_value() {
    let r = run(Command::new(mqload()).args(["produce", "--count", "0"]));
    assert_eq!(r.rc, 2, "{r:?}");
    assert!(r.stderr.contains("--count 0"), "{r:?}");
    let r = run(Command::new(mqload()).args(["consume", "--seconds", "soon"]));
    assert_eq!(r.rc, 2, "{r:?}");
    assert!(r.stderr.contains("\"soon\""), "{r:?}");
    let r = run(Command::new(mqload()).args([
        "produce",
        "--mq-installation",
        "/nonexistent",
        "--qmgr",
        "QM1",
        "--channel",
        "C",
        "--conn",
        "127.0.0.1(1)",
        "--queue",
        "Q",
        "--count",
        "1",
        "--seconds",
        "1",
        "--journal",
        "/dev/null",
    ]));
    assert_eq!(r.rc, 2, "{r:?}");
    assert!(r.stderr.contains("/nonexistent"), "{r:?}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p");
    std::fs::write(&p, "100 start produce\n110 ack one\n").unwrap();
    let r = run(Command::new(mqload()).args(["report", "--consumed"]).arg(&p).arg("--produced").arg(&p));
    assert_eq!(r.rc, 2, "{r:?}");
    assert!(r.stderr.contains(":2: not a journal line"), "{r:?}");
}

#[test]
fn a_drain_that_cannot_reach_the_queue_manager_is_an_error_not_a_verdict() {
    let sim = Sim::install(&["--version", "9.3.0.0"]);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p");
    std::fs::write(&p, "100 start produce\n110 ack 1\n").unwrap();
    // Nothing listens on this port: every connect fails with 2538 until --drain-seconds.
    let port = free_port();
    let mut args = vec!["report".to_string(), "--drain".into(), "--drain-seconds".into(), "2".into()];
    args.extend(["--produced".to_string(), p.display().to_string(), "--consumed".into(), p.display().to_string()]);
    args.extend(conn_args(&sim, port));
    let r = run(Command::new(mqload()).args(&args).env_remove("LD_LIBRARY_PATH"));
    assert_eq!(r.rc, 2, "{r:?}");
    assert!(r.stderr.contains("--drain: the queue was not emptied within 2 s"), "{r:?}");
    assert!(r.stderr.contains("MQCONNX 2538"), "{r:?}");
    assert!(!r.stdout.contains("messages:"), "no verdict without the drain: {r:?}");
}
