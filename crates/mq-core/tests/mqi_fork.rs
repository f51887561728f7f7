//! The probe's machinery against a scripted MQI library built with gcc here (tests/mqi_fake_mqm.c):
//! fork and identity drop, struct contents as the library sees them at IBM's offsets, result
//! decoding, reason codes, a hang killed at the deadline with nothing left behind, a crash.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mq_core::mqi::{self, MqiError, MqiTarget, ProbeIdentity, ProbeStep, StepOutcome};
use mq_core::QmName;
use mq_testkit::{in_secs as secs, pid_exists};

struct FakeLib {
    dir: tempfile::TempDir,
}

impl FakeLib {
    fn build(extra: &[&str]) -> FakeLib {
        let dir = tempfile::tempdir().expect("tempdir");
        // The probe may run as another user: it must read the library and write calls.log.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mqi_fake_mqm.c");
        let out = dir.path().join("libmqm_r.so");
        let st = Command::new("gcc")
            .args(["-shared", "-fPIC", "-O1", "-Wall", "-o"])
            .arg(&out)
            .arg(&src)
            .args(extra)
            .status()
            .expect("gcc must be installed to build the fake MQI library");
        assert!(st.success(), "gcc failed on {}", src.display());
        FakeLib { dir }
    }

    fn script(&self, text: &str) {
        fs::write(self.dir.path().join("script"), text).unwrap();
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("calls.log")).unwrap_or_default()
    }

    fn target(&self, qm: &str) -> MqiTarget {
        MqiTarget {
            lib_dir: self.dir.path().to_path_buf(),
            identity: ProbeIdentity::current(),
            qmgr: QmName::new(qm).unwrap(),
            credentials: None,
        }
    }

    /// The pid the library logged at MQCONNX (the probe child).
    fn probe_pid(&self) -> i32 {
        let log = self.log();
        let line = log.lines().find(|l| l.starts_with("MQCONNX")).expect("MQCONNX logged");
        field(line, "pid").parse().unwrap()
    }
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
}

#[test]
fn depth20_round_trips_pass_and_pass_the_right_structures() {
    let lib = FakeLib::build(&[]);
    let steps = mqi::depth20_steps("HA.TESTQUEUE", None);
    let report = mqi::run_probe(&lib.target("QM1"), &steps, secs(20)).expect("probe passes");
    eprintln!("depth-20 probe against the scripted library: {:?} (fork, dlopen, 11 MQI calls, reap)", report.elapsed);
    let outcomes: Vec<_> = report.steps.iter().map(|s| s.outcome.clone()).collect();
    assert_eq!(outcomes[0], StepOutcome::Connected);
    assert_eq!(outcomes[1], StepOutcome::QmName("QM1".into()));
    assert!(matches!(&outcomes[2], StepOutcome::MessageRoundTrip { msg_id } if msg_id.starts_with("414d512046414b45")));
    assert_eq!(outcomes[3], StepOutcome::TempDynQueue { name: "MQHA.FAKE0001".into() });

    let log = lib.log();
    let lines: Vec<&str> = log.lines().collect();
    let connx = lines[0];
    assert_eq!((field(connx, "qm"), field(connx, "strucid"), field(connx, "opts")), ("QM1", "CNO", "0"));
    assert_eq!(field(connx, "comm"), "mqha-mqi-probe");
    // The queue-manager object: MQOT_Q_MGR (5), MQOO_INQUIRE | MQOO_FAIL_IF_QUIESCING.
    assert!(log.contains("MQOPEN hconn=7 type=5 name= dyn=AMQ.* opts=8224"), "{log}");
    assert!(log.contains("MQINQ nsel=1 sel0=2015 nint=0 clen=48"), "{log}");
    // The test queue opened shared for input and output, a persistent MQSTR put outside syncpoint
    // with a new MsgId, got back by that MsgId with a bounded wait.
    assert!(log.contains("MQOPEN hconn=7 type=1 name=HA.TESTQUEUE dyn=AMQ.* opts=8210"), "{log}");
    assert!(log.contains("MQPUT pers=1 fmt=MQSTR    pmo_opts=8260"), "{log}");
    let get = lines.iter().find(|l| l.starts_with("MQGET")).unwrap();
    assert_eq!((field(get, "msgid_match"), field(get, "msgid_any")), ("1", "0"));
    assert_eq!(field(get, "gmo_opts"), "8197");
    let wait: i32 = field(get, "wait").parse().unwrap();
    assert!(wait > 0 && wait <= 10_000, "{wait}");
    // The model queue with the MQHA.* prefix, exclusive input; a non-persistent message.
    assert!(log.contains("name=SYSTEM.DEFAULT.MODEL.QUEUE dyn=MQHA.* opts=8212"), "{log}");
    assert!(log.contains("MQPUT pers=0 fmt=MQSTR"), "{log}");
    // Closed with MQCO_DELETE_PURGE: deleted whatever DEFTYPE the model has.
    assert!(log.contains("MQCLOSE hobj=11 opts=2"), "{log}");
    assert_eq!(log.matches("MQCLOSE").count(), 3, "{log}");
    assert!(lines.last().unwrap().starts_with("MQDISC hconn=7"), "{log}");
    // The child ran in its own process group and is gone.
    let pid = lib.probe_pid();
    assert_eq!(field(connx, "pgid"), pid.to_string());
    assert!(!pid_exists(pid));
}

#[test]
fn client_connect_passes_an_mqcd_through_the_mqcno() {
    let lib = FakeLib::build(&[]);
    let steps = [
        ProbeStep::ClientConnect { channel: "APP.SVRCONN".into(), conname: "127.0.0.1(14140)".into() },
        ProbeStep::InquireQmName,
    ];
    mqi::run_probe(&lib.target("QM1"), &steps, secs(20)).expect("probe passes");
    let log = lib.log();
    let connx = log.lines().find(|l| l.starts_with("MQCONNX")).unwrap();
    assert_eq!((field(connx, "ver"), field(connx, "opts")), ("2", "2048"), "{log}");
    let cd = log.lines().find(|l| l.starts_with("MQCD")).expect("MQCD read through ClientConnPtr");
    assert_eq!((field(cd, "ver"), field(cd, "type"), field(cd, "transport")), ("6", "6", "2"));
    assert_eq!((field(cd, "chl"), field(cd, "conn")), ("APP.SVRCONN", "127.0.0.1(14140)"));
}

#[test]
fn reason_codes_come_back_with_verb_step_and_hint() {
    let lib = FakeLib::build(&[]);
    lib.script("MQCONNX rc 2059\n");
    let e = mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), secs(20)).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("MQCONNX failed during MQI connect (bindings)"), "{text}");
    assert!(text.contains("completion code 2 MQCC_FAILED, reason 2059 MQRC_Q_MGR_NOT_AVAILABLE"), "{text}");
    assert_eq!(e.class(), Some(mqi::ReasonClass::Unavailable));

    lib.script("MQOPEN:HA.TESTQUEUE rc 2085\n");
    let steps = mqi::depth20_steps("HA.TESTQUEUE", None);
    let e = mqi::run_probe(&lib.target("QM1"), &steps, secs(20)).unwrap_err();
    assert_eq!(e.reason(), Some(2085));
    let text = e.with_hint();
    assert!(text.contains("MQOPEN failed during persistent put and get on HA.TESTQUEUE"), "{text}");
    assert!(text.contains("HA.TESTQUEUE") && text.contains("created at start"), "{text}");
    // A failed step still disconnects.
    assert!(lib.log().lines().last().unwrap().starts_with("MQDISC"), "{}", lib.log());

    lib.script("MQCONNX rc 2035\n");
    let steps = [ProbeStep::ClientConnect { channel: "APP.SVRCONN".into(), conname: "127.0.0.1(1)".into() }];
    let e = mqi::run_probe(&lib.target("QM1"), &steps, secs(20)).unwrap_err();
    assert!(e.with_hint().contains("client_user") && e.with_hint().contains("AMQ9776E"), "{}", e.with_hint());
}

#[test]
fn a_hung_call_times_out_naming_the_step_and_leaves_no_child() {
    let lib = FakeLib::build(&[]);
    lib.script("MQINQ hang\n");
    let t0 = Instant::now();
    let e = mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), Instant::now() + Duration::from_millis(1500))
        .unwrap_err();
    let took = t0.elapsed();
    match &e {
        MqiError::Timeout { step, .. } => assert_eq!(step, "inquiry of the queue manager name"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(took >= Duration::from_millis(1400) && took < Duration::from_millis(2500), "{took:?}");
    assert!(!pid_exists(lib.probe_pid()), "the hung probe child was left behind");
}

#[test]
fn a_crash_in_the_library_is_reported_with_the_step() {
    let lib = FakeLib::build(&[]);
    lib.script("MQOPEN crash\n");
    let e = mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), secs(20)).unwrap_err();
    match &e {
        MqiError::ChildDied { step, status } => {
            assert_eq!(step, "inquiry of the queue manager name");
            assert!(status.contains("SIGABRT"), "{status}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_queue_manager_and_foreign_messages_are_failures() {
    let lib = FakeLib::build(&[]);
    lib.script("QMNAME QM2\n");
    let e = mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), secs(20)).unwrap_err();
    assert_eq!(e, MqiError::WrongQmName { expected: "QM1".into(), got: "QM2".into() });

    lib.script("CORRUPT\n");
    let steps = [ProbeStep::Connect, ProbeStep::PutGetPersistent { queue: "HA.TESTQUEUE".into() }];
    let e = mqi::run_probe(&lib.target("QM1"), &steps, secs(20)).unwrap_err();
    assert!(matches!(&e, MqiError::MessageMismatch { queue } if queue.starts_with("HA.TESTQUEUE")), "{e:?}");

    // No MsgId back from the put: the probe must not get "any message" from the queue.
    lib.script("NOMSGID\n");
    fs::remove_file(lib.dir.path().join("calls.log")).unwrap();
    let e = mqi::run_probe(&lib.target("QM1"), &steps, secs(20)).unwrap_err();
    assert!(matches!(e, MqiError::MessageMismatch { .. }), "{e:?}");
    assert!(!lib.log().contains("MQGET"), "{}", lib.log());
}

#[test]
fn a_library_without_a_verb_is_unavailable() {
    let lib = FakeLib::build(&["-DNO_INQ"]);
    let e = mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), secs(20)).unwrap_err();
    match &e {
        MqiError::Unavailable { detail, .. } => assert!(detail.contains("MQINQ"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_passed_deadline_runs_nothing() {
    let lib = FakeLib::build(&[]);
    let e = mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), Instant::now()).unwrap_err();
    assert!(matches!(e, MqiError::Timeout { .. }), "{e:?}");
    assert_eq!(lib.log(), "");
}

#[test]
fn the_child_drops_to_the_given_user() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to change identity");
        return;
    }
    let lib = FakeLib::build(&[]);
    let nobody = ProbeIdentity::lookup("nobody").expect("user nobody exists on Debian");
    let mut target = lib.target("QM1");
    target.identity = nobody.clone();
    mqi::run_probe(&target, &mqi::depth10_steps(), secs(20)).expect("probe passes as nobody");
    let log = lib.log();
    let connx = log.lines().find(|l| l.starts_with("MQCONNX")).unwrap();
    for (k, v) in [("uid", nobody.uid), ("euid", nobody.uid), ("gid", nobody.gid), ("egid", nobody.gid)] {
        assert_eq!(field(connx, k), v.to_string(), "{k} in {connx}");
    }
    assert_eq!(field(connx, "ngroups"), nobody.groups.len().to_string());

    let mut bad = target.clone();
    // (uid_t)-1 is not an id the kernel accepts.
    bad.identity =
        ProbeIdentity { name: "ghost".into(), uid: u32::MAX, gid: u32::MAX, groups: vec![], home: "/".into() };
    // Ids the kernel rejects give an Identity error naming the user, not an MQ reason.
    let e = mqi::run_probe(&bad, &mqi::depth10_steps(), secs(20)).unwrap_err();
    assert!(matches!(&e, MqiError::Identity { user, .. } if user == "ghost"), "{e:?}");
}

#[test]
fn many_probes_in_parallel_threads_all_finish() {
    // cargo runs tests in threads; the probe forks from a threaded process. Run several at once.
    let lib = FakeLib::build(&[]);
    let target = lib.target("QM1");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let t = target.clone();
            std::thread::spawn(move || mqi::run_probe(&t, &mqi::depth20_steps("HA.TESTQUEUE", None), secs(20)))
        })
        .collect();
    for h in handles {
        let r = h.join().unwrap().expect("probe passes");
        assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
    }
}

#[test]
fn a_helper_process_the_library_left_does_not_delay_or_survive_the_probe() {
    let lib = FakeLib::build(&[]);
    lib.script("SPAWN\n");
    let t0 = Instant::now();
    mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), secs(20)).expect("probe passes");
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    let log = lib.log();
    let spawned = log.lines().find(|l| l.starts_with("SPAWNED")).expect("helper spawned");
    let pid: i32 = field(spawned, "pid").parse().unwrap();
    // Killed with the probe's process group; it is reaped by init, so allow a moment.
    let until = Instant::now() + Duration::from_secs(5);
    while pid_exists(pid)
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).map(|s| s.contains(") Z")).unwrap_or(true)
    {
        assert!(Instant::now() < until, "helper {pid} survived the probe");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_failure_is_reported_even_when_the_disconnect_after_it_hangs() {
    let lib = FakeLib::build(&[]);
    lib.script("MQOPEN rc 2035\nMQDISC hang\n");
    let t0 = Instant::now();
    let e = mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), Instant::now() + Duration::from_millis(1000))
        .unwrap_err();
    assert_eq!(e.reason(), Some(2035), "{e:?}");
    assert!(t0.elapsed() < Duration::from_millis(2000), "{:?}", t0.elapsed());
    assert!(!pid_exists(lib.probe_pid()), "the probe child was left behind");

    // When every step passed and the final MQDISC hangs, that is the timeout's step.
    lib.script("MQDISC hang\n");
    let e = mqi::run_probe(&lib.target("QM1"), &mqi::depth10_steps(), Instant::now() + Duration::from_millis(1000))
        .unwrap_err();
    assert!(matches!(&e, MqiError::Timeout { step, .. } if step == "MQI disconnect"), "{e:?}");
}
