//! The MQI probe against the simulated installation (mq-sim): its libmqm_r.so loaded in the probe
//! child as the mq user, a running queue manager, a stopped one, a hung one, and client
//! connections through a listener. Needs root (the probe drops to user mqm; tests/setup.sh creates
//! it) and the workspace built: `cargo build --workspace`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mq_core::mqi::{self, MqiError, MqiTarget, ProbeIdentity, ProbeStep, StepOutcome};
use mq_core::QmName;

const TEST_QUEUE: &str = "HA.TESTQUEUE";
const CHANNEL: &str = "MQHA.SVRCONN";

fn profile_dir() -> PathBuf {
    // target/<profile>/deps/<test> -> target/<profile>
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

fn mqsim() -> PathBuf {
    let p = profile_dir().join("mqsim");
    assert!(p.exists(), "{} is missing: build first: cargo build --workspace [--release]", p.display());
    p
}

/// Runs a command with a deadline; kills it when the deadline passes.
fn run(cmd: &mut Command, input: Option<&str>, limit: Duration) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    if let Some(text) = input {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let until = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > until {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{cmd:?} did not finish within {limit:?}: {}", String::from_utf8_lossy(&out.stdout));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A simulated installation with one queue manager; everything of it is killed on drop.
struct SimQm {
    root: tempfile::TempDir,
    qm: String,
    listener: Option<Child>,
}

impl SimQm {
    fn new(qm: &str) -> SimQm {
        let root = tempfile::tempdir().unwrap();
        let out = run(Command::new(mqsim()).arg("install").arg(root.path()), None, Duration::from_secs(60));
        assert!(out.status.success(), "mqsim install: {}", String::from_utf8_lossy(&out.stderr));
        let sim = SimQm { root, qm: qm.to_string(), listener: None };
        sim.ok("crtmqm", &[qm]);
        sim
    }

    fn inst(&self) -> PathBuf {
        self.root.path().join("opt/mqm")
    }

    fn cmd(&self, name: &str, args: &[&str]) -> Output {
        run(Command::new(self.inst().join("bin").join(name)).args(args), None, Duration::from_secs(60))
    }

    fn ok(&self, name: &str, args: &[&str]) {
        let out = self.cmd(name, args);
        assert!(
            out.status.success(),
            "{name} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// runmqsc's report, whatever its exit status.
    fn mqsc_any(&self, text: &str) -> String {
        let out = run(Command::new(self.inst().join("bin/runmqsc")).arg(&self.qm), Some(text), Duration::from_secs(60));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// runmqsc's report; every command must have worked.
    fn mqsc(&self, text: &str) -> String {
        let s = self.mqsc_any(text);
        assert!(
            s.contains("No commands have a syntax error.") && !s.contains("could not be processed"),
            "runmqsc: {s}"
        );
        s
    }

    fn start(&self) {
        self.ok("strmqm", &[&self.qm]);
    }

    fn target(&self) -> MqiTarget {
        let mqm = ProbeIdentity::lookup("mqm").expect("user mqm: run tests/setup.sh as root first");
        MqiTarget::new(&self.inst(), mqm, QmName::new(&self.qm).unwrap())
    }

    /// Starts runmqlsr on a free loopback port; returns the connection name.
    fn listen(&mut self) -> String {
        let port = free_port();
        let child = Command::new(self.inst().join("bin/runmqlsr"))
            .args(["-m", &self.qm, "-t", "tcp", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.listener = Some(child);
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "runmqlsr did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        format!("127.0.0.1({port})")
    }
}

impl Drop for SimQm {
    fn drop(&mut self) {
        if let Some(mut l) = self.listener.take() {
            let _ = l.kill();
            let _ = l.wait();
        }
        let _ = run(Command::new(mqsim()).arg("cleanup").arg(self.root.path()), None, Duration::from_secs(60));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn secs(n: u64) -> Instant {
    Instant::now() + Duration::from_secs(n)
}

fn probe_children_of_root(root: &Path) -> usize {
    // A probe child maps the installation's library; after the probe none may be left.
    let lib = root.join("opt/mqm/lib64").display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()))
        .filter(|e| {
            let pid: u32 = e.file_name().to_string_lossy().parse().unwrap();
            pid != std::process::id()
                && std::fs::read_to_string(e.path().join("maps")).map(|m| m.contains(&lib)).unwrap_or(false)
                && std::fs::read_link(e.path().join("exe"))
                    .map(|x| x == std::env::current_exe().unwrap())
                    .unwrap_or(false)
        })
        .count()
}

#[test]
fn running_queue_manager_passes_depth_10_and_20() {
    let sim = SimQm::new("QMPROBE1");
    sim.start();
    sim.mqsc(&format!("DEFINE QLOCAL({TEST_QUEUE}) DEFPSIST(YES)\n"));
    let target = sim.target();

    // Wall time as the agent sees it (fork, identity change, dlopen, the calls, reap): the
    // median of 10 runs per depth.
    let median = |steps: &[ProbeStep]| {
        let mut times: Vec<Duration> = (0..10)
            .map(|_| {
                let t0 = Instant::now();
                mqi::run_probe(&target, steps, secs(30)).expect("probe passes");
                t0.elapsed()
            })
            .collect();
        times.sort();
        (times[0], times[5], times[9])
    };
    let d10 = median(&mqi::depth10_steps());
    let d20 = median(&mqi::depth20_steps(TEST_QUEUE, None));
    eprintln!("MQI probe against mq-sim (min/median/max of 10): depth 10 {d10:?}, depth 20 {d20:?}");

    let r = mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).expect("depth 10 passes");
    assert_eq!(r.steps[1].outcome, StepOutcome::QmName("QMPROBE1".into()));
    let r = mqi::run_probe(&target, &mqi::depth20_steps(TEST_QUEUE, None), secs(30)).expect("depth 20 passes");
    assert!(matches!(&r.steps[2].outcome, StepOutcome::MessageRoundTrip { msg_id } if msg_id.len() == 48));
    match &r.steps[3].outcome {
        StepOutcome::TempDynQueue { name } => assert!(name.starts_with("MQHA."), "{name}"),
        o => panic!("{o:?}"),
    }

    // The probe read only its own message: the test queue is left as it was (empty), and the
    // temporary dynamic queue is gone.
    let depth = sim.mqsc(&format!("DISPLAY QLOCAL({TEST_QUEUE}) CURDEPTH\n"));
    assert!(depth.contains("CURDEPTH(0)"), "{depth}");
    let dyn_queues = sim.mqsc_any("DISPLAY QLOCAL(MQHA.*)\n");
    assert!(dyn_queues.contains("AMQ8147E") && !dyn_queues.contains("QUEUE(MQHA."), "{dyn_queues}");
    assert_eq!(probe_children_of_root(sim.root.path()), 0);
}

#[test]
fn a_message_of_someone_else_on_the_test_queue_is_left_alone() {
    let sim = SimQm::new("QMPROBE2");
    sim.start();
    sim.mqsc(&format!("DEFINE QLOCAL({TEST_QUEUE}) DEFPSIST(YES)\n"));
    let put = run(
        Command::new(sim.inst().join("samp/bin/amqsput")).args([TEST_QUEUE, &sim.qm]),
        Some("not the probe's\n\n"),
        Duration::from_secs(30),
    );
    assert!(put.status.success(), "amqsput: {}", String::from_utf8_lossy(&put.stdout));
    let steps = [ProbeStep::Connect, ProbeStep::PutGetPersistent { queue: TEST_QUEUE.into() }];
    mqi::run_probe(&sim.target(), &steps, secs(30)).expect("probe passes");
    let depth = sim.mqsc(&format!("DISPLAY QLOCAL({TEST_QUEUE}) CURDEPTH\n"));
    assert!(depth.contains("CURDEPTH(1)"), "{depth}");
}

#[test]
fn missing_test_queue_is_2085_with_the_hint() {
    let sim = SimQm::new("QMPROBE3");
    sim.start();
    let e = mqi::run_probe(&sim.target(), &mqi::depth20_steps(TEST_QUEUE, None), secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2085), "{e}");
    assert!(e.with_hint().contains("created at start"), "{}", e.with_hint());
}

#[test]
fn stopped_queue_manager_is_2059() {
    let sim = SimQm::new("QMPROBE4");
    sim.start();
    sim.ok("endmqm", &["-i", &sim.qm]);
    let e = mqi::run_probe(&sim.target(), &mqi::depth10_steps(), secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2059), "{e}");
    assert!(e.to_string().contains("MQCONNX") && e.to_string().contains("MQRC_Q_MGR_NOT_AVAILABLE"), "{e}");
}

#[test]
fn hung_queue_manager_times_out_and_leaves_no_probe_behind() {
    let sim = SimQm::new("QMPROBE5");
    sim.start();
    let target = sim.target();
    mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).expect("healthy before the fault");
    let out = run(
        Command::new(mqsim()).arg("fault").arg(sim.root.path()).args([&sim.qm, "set", "hang"]),
        None,
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "mqsim fault: {}", String::from_utf8_lossy(&out.stderr));
    let t0 = Instant::now();
    let e = mqi::run_probe(&target, &mqi::depth10_steps(), Instant::now() + Duration::from_secs(2)).unwrap_err();
    let took = t0.elapsed();
    assert!(matches!(e, MqiError::Timeout { .. }), "{e:?}");
    eprintln!("hung queue manager: the probe returned after {took:?} for a 2 s deadline: {e}");
    assert!(took < Duration::from_millis(3500), "the probe took {took:?} for a 2 s deadline");
    assert_eq!(probe_children_of_root(sim.root.path()), 0, "a probe child was left behind");
}

#[test]
fn client_checks_through_the_listener() {
    let mut sim = SimQm::new("QMPROBE6");
    sim.start();
    sim.mqsc(&format!(
        "DEFINE QLOCAL({TEST_QUEUE}) DEFPSIST(YES)\nDEFINE CHANNEL({CHANNEL}) CHLTYPE(SVRCONN) TRPTYPE(TCP)\n"
    ));
    let target = sim.target();

    // Nothing listens yet: 2538.
    let nobody = format!("127.0.0.1({})", free_port());
    let steps = [ProbeStep::ClientConnect { channel: CHANNEL.into(), conname: nobody }];
    let e = mqi::run_probe(&target, &steps, secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2538), "{e}");

    let conname = sim.listen();
    // Unknown channel: 2540.
    let steps = [ProbeStep::ClientConnect { channel: "NO.SUCH.CHANNEL".into(), conname: conname.clone() }];
    let e = mqi::run_probe(&target, &steps, secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2540), "{e}");

    // The mq user is an administrator: refused by the default channel authentication.
    let steps = mqi::depth20_steps(TEST_QUEUE, Some((CHANNEL, &conname)));
    let client_steps = &steps[4..];
    let e = mqi::run_probe(&target, client_steps, secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2035), "{e}");
    assert!(e.with_hint().contains("CHLAUTH"), "{}", e.with_hint());

    // The same client check run as a non-administrative user is let in by the default rules:
    // the probe really runs as the identity it is given.
    let mut as_app = sim.target();
    as_app.identity = ProbeIdentity::lookup("mqm2").expect("user mqm2: run tests/setup.sh as root first");
    let connect_only = [ProbeStep::ClientConnect { channel: CHANNEL.into(), conname: conname.clone() }];
    mqi::run_probe(&as_app, &connect_only, secs(30)).expect("a non-admin client is allowed");

    sim.mqsc("ALTER QMGR CHLAUTH(DISABLED)\nREFRESH SECURITY\n");
    let r = mqi::run_probe(&target, &steps, secs(30)).expect("bindings and client checks pass");
    assert_eq!(r.steps.len(), 8);
    assert_eq!(r.steps[5].outcome, StepOutcome::QmName(sim.qm.clone()));
}

#[test]
fn a_permanent_dynamic_model_leaves_no_queue_behind() {
    // An administrator made the default model PERMDYN: the probe must still not leave an MQHA.*
    // queue behind on every depth-20 monitor.
    let sim = SimQm::new("QMPROBE8");
    sim.start();
    sim.mqsc("ALTER QMODEL(SYSTEM.DEFAULT.MODEL.QUEUE) DEFTYPE(PERMDYN)\n");
    let steps = [ProbeStep::Connect, ProbeStep::TempDynRoundTrip { model_queue: mqi::DEFAULT_MODEL_QUEUE.into() }];
    for _ in 0..3 {
        mqi::run_probe(&sim.target(), &steps, secs(30)).expect("round trip passes");
    }
    let left = sim.mqsc_any("DISPLAY QLOCAL(MQHA.*)\n");
    assert!(left.contains("AMQ8147E") && !left.contains("QUEUE(MQHA."), "{left}");
}

#[test]
fn a_full_log_fails_the_persistent_round_trip_but_not_depth_10() {
    let sim = SimQm::new("QMPROBE9");
    sim.start();
    sim.mqsc(&format!("DEFINE QLOCAL({TEST_QUEUE}) DEFPSIST(YES)\n"));
    let out = run(
        Command::new(mqsim()).arg("fault").arg(sim.root.path()).args([&sim.qm, "set", "log-full"]),
        None,
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "mqsim fault: {}", String::from_utf8_lossy(&out.stderr));
    let target = sim.target();
    mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).expect("depth 10 still passes");
    let e = mqi::run_probe(&target, &mqi::depth20_steps(TEST_QUEUE, None), secs(30)).unwrap_err();
    assert!(e.to_string().contains("MQPUT failed during persistent put and get on HA.TESTQUEUE"), "{e}");
    assert_eq!(e.reason(), Some(2102), "{e}");
    assert!(e.with_hint().contains("log"), "{}", e.with_hint());
}

#[test]
fn a_crashed_queue_manager_is_unavailable() {
    let sim = SimQm::new("QMPROBE10");
    sim.start();
    let target = sim.target();
    mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).expect("healthy before the crash");
    let out = run(
        Command::new(mqsim()).arg("crash").arg(sim.root.path()).args([&sim.qm, "--leave-children"]),
        None,
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "mqsim crash: {}", String::from_utf8_lossy(&out.stderr));
    let e = mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).unwrap_err();
    assert_eq!(e.class(), Some(mqi::ReasonClass::Unavailable), "{e}");
}
