//! The MQI probe against the simulated installation (mq-sim): its libmqm_r.so loaded in the probe
//! child as the mq user, a running queue manager, a stopped one, a hung one, and client
//! connections through a listener. Needs root (the probe drops to user mqm; tests/setup.sh creates
//! it) and the workspace built: `cargo build --workspace`.

use std::path::Path;
use std::time::{Duration, Instant};

use mq_core::mqi::{self, MqiError, MqiTarget, ProbeIdentity, ProbeStep, StepOutcome};
use mq_core::QmName;
use mq_testkit::{free_port, in_secs as secs, Sim, SimQm};

const TEST_QUEUE: &str = "HA.TESTQUEUE";
const CHANNEL: &str = "MQHA.SVRCONN";

/// A created queue manager `qm` in its own simulated installation (torn down on drop).
fn sim_qm(qm: &str) -> SimQm {
    SimQm::create_in(Sim::install(&[]), qm)
}

/// runmqsc's report; every command must have worked.
fn mqsc(sim: &SimQm, text: &str) -> String {
    let s = sim.mqsc(text);
    assert!(s.contains("No commands have a syntax error.") && !s.contains("could not be processed"), "runmqsc: {s}");
    s
}

/// The probe's target: this queue manager, as the mq user.
fn target_of(sim: &SimQm) -> MqiTarget {
    let mqm = ProbeIdentity::lookup("mqm").expect("user mqm: run tests/setup.sh as root first");
    MqiTarget::new(&sim.inst(), mqm, QmName::new(&sim.qm).unwrap())
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
    let sim = sim_qm("QMPROBE1");
    sim.start();
    mqsc(&sim, &format!("DEFINE QLOCAL({TEST_QUEUE}) DEFPSIST(YES)\n"));
    let target = target_of(&sim);

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
    let depth = mqsc(&sim, &format!("DISPLAY QLOCAL({TEST_QUEUE}) CURDEPTH\n"));
    assert!(depth.contains("CURDEPTH(0)"), "{depth}");
    let dyn_queues = sim.mqsc("DISPLAY QLOCAL(MQHA.*)\n");
    assert!(dyn_queues.contains("AMQ8147E") && !dyn_queues.contains("QUEUE(MQHA."), "{dyn_queues}");
    assert_eq!(probe_children_of_root(&sim.root), 0);
}

#[test]
fn a_message_of_someone_else_on_the_test_queue_is_left_alone() {
    let sim = sim_qm("QMPROBE2");
    sim.start();
    mqsc(&sim, &format!("DEFINE QLOCAL({TEST_QUEUE}) DEFPSIST(YES)\n"));
    let put = sim.sample("amqsput", &[TEST_QUEUE, &sim.qm], "not the probe's\n\n", &[]);
    assert_eq!(put.rc, 0, "amqsput: {put:?}");
    let steps = [ProbeStep::Connect, ProbeStep::PutGetPersistent { queue: TEST_QUEUE.into() }];
    mqi::run_probe(&target_of(&sim), &steps, secs(30)).expect("probe passes");
    let depth = mqsc(&sim, &format!("DISPLAY QLOCAL({TEST_QUEUE}) CURDEPTH\n"));
    assert!(depth.contains("CURDEPTH(1)"), "{depth}");
}

#[test]
fn missing_test_queue_is_2085_with_the_hint() {
    let sim = sim_qm("QMPROBE3");
    sim.start();
    let e = mqi::run_probe(&target_of(&sim), &mqi::depth20_steps(TEST_QUEUE, None), secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2085), "{e}");
    assert!(e.with_hint().contains("created at start"), "{}", e.with_hint());
}

#[test]
fn stopped_queue_manager_is_2059() {
    let sim = sim_qm("QMPROBE4");
    sim.start();
    sim.ok("endmqm", &["-i", &sim.qm]);
    let e = mqi::run_probe(&target_of(&sim), &mqi::depth10_steps(), secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2059), "{e}");
    assert!(e.to_string().contains("MQCONNX") && e.to_string().contains("MQRC_Q_MGR_NOT_AVAILABLE"), "{e}");
}

#[test]
fn hung_queue_manager_times_out_and_leaves_no_probe_behind() {
    let sim = sim_qm("QMPROBE5");
    sim.start();
    let target = target_of(&sim);
    mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).expect("healthy before the fault");
    sim.fault(&sim.qm, "hang", None);
    let t0 = Instant::now();
    let e = mqi::run_probe(&target, &mqi::depth10_steps(), Instant::now() + Duration::from_secs(2)).unwrap_err();
    let took = t0.elapsed();
    assert!(matches!(e, MqiError::Timeout { .. }), "{e:?}");
    eprintln!("hung queue manager: the probe returned after {took:?} for a 2 s deadline: {e}");
    assert!(took < Duration::from_millis(3500), "the probe took {took:?} for a 2 s deadline");
    assert_eq!(probe_children_of_root(&sim.root), 0, "a probe child was left behind");
}

#[test]
fn client_checks_through_the_listener() {
    let sim = sim_qm("QMPROBE6");
    sim.start();
    mqsc(
        &sim,
        &format!(
            "DEFINE QLOCAL({TEST_QUEUE}) DEFPSIST(YES)\nDEFINE CHANNEL({CHANNEL}) CHLTYPE(SVRCONN) TRPTYPE(TCP)\n"
        ),
    );
    let target = target_of(&sim);

    // Nothing listens yet: 2538.
    let nobody = format!("127.0.0.1({})", free_port());
    let steps = [ProbeStep::ClientConnect { channel: CHANNEL.into(), conname: nobody }];
    let e = mqi::run_probe(&target, &steps, secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2538), "{e}");

    let (_listener, port) = sim.listen();
    let conname = format!("127.0.0.1({port})");
    // Unknown channel: 2540.
    let steps = [ProbeStep::ClientConnect { channel: "NO.SUCH.CHANNEL".into(), conname: conname.clone() }];
    let e = mqi::run_probe(&target, &steps, secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2540), "{e}");

    // The mq user is an administrator: refused by the default channel authentication.
    let steps = mqi::depth20_steps(TEST_QUEUE, Some((CHANNEL, &conname)));
    let client_steps = &steps[4..];
    let e = mqi::run_probe(&target, client_steps, secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2035), "{e}");
    assert!(e.with_hint().contains("client_user"), "{}", e.with_hint());

    // The same client check run as a non-administrative user is let in by the default rules
    // once the OAM grants it connect and inq: the probe really runs as the identity it is given.
    let mut as_app = target_of(&sim);
    as_app.identity = ProbeIdentity::lookup("mqm2").expect("user mqm2: run tests/setup.sh as root first");
    let e = mqi::run_probe(&as_app, &mqi::client_steps(CHANNEL, &conname), secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2035), "no +connect yet: {e}");
    mqsc(&sim, "SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('mqm2') AUTHADD(CONNECT,INQ)\n");
    mqi::run_probe(&as_app, &mqi::client_steps(CHANNEL, &conname), secs(30)).expect("a non-admin client is allowed");

    // The mq user's process presenting mqm2's MQCSP credentials: authenticated and adopted.
    let shadow = sim.root.join(".mqsim/shadow");
    std::fs::create_dir_all(shadow.parent().unwrap()).unwrap();
    std::fs::write(&shadow, format!("mqm2:{SECRET_HASH}:19000:0:99999:7:::\n")).unwrap();
    let mut with_csp = target_of(&sim);
    with_csp.credentials = Some(mqi::Credentials::new("mqm2".into(), "wrong".into()));
    let e = mqi::run_probe(&with_csp, &mqi::client_steps(CHANNEL, &conname), secs(30)).unwrap_err();
    assert_eq!(e.reason(), Some(2035), "a wrong password: {e}");
    with_csp.credentials = Some(mqi::Credentials::new("mqm2".into(), "secret".into()));
    mqi::run_probe(&with_csp, &mqi::client_steps(CHANNEL, &conname), secs(30)).expect("MQCSP credentials of mqm2");

    // For the test only, as real MQ needs: the channel's own BLOCKUSER rule and CHCKCLNT(OPTIONAL).
    mqsc(
        &sim,
        &format!(
            "SET CHLAUTH({CHANNEL}) TYPE(BLOCKUSER) USERLIST('nobody')\n\
             ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)\nREFRESH SECURITY\n"
        ),
    );
    let r = mqi::run_probe(&target, &steps, secs(30)).expect("bindings and client checks pass");
    assert_eq!(r.steps.len(), 8);
    assert_eq!(r.steps[5].outcome, StepOutcome::QmName(sim.qm.clone()));
}

/// crypt(3) SHA-512 hash of "secret" (openssl passwd -6 -salt abcdefgh secret).
const SECRET_HASH: &str =
    "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.";

#[test]
fn a_permanent_dynamic_model_leaves_no_queue_behind() {
    // An administrator made the default model PERMDYN: the probe must still not leave an MQHA.*
    // queue behind on every depth-20 monitor.
    let sim = sim_qm("QMPROBE8");
    sim.start();
    mqsc(&sim, "ALTER QMODEL(SYSTEM.DEFAULT.MODEL.QUEUE) DEFTYPE(PERMDYN)\n");
    let steps = [ProbeStep::Connect, ProbeStep::TempDynRoundTrip { model_queue: mqi::DEFAULT_MODEL_QUEUE.into() }];
    for _ in 0..3 {
        mqi::run_probe(&target_of(&sim), &steps, secs(30)).expect("round trip passes");
    }
    let left = sim.mqsc("DISPLAY QLOCAL(MQHA.*)\n");
    assert!(left.contains("AMQ8147E") && !left.contains("QUEUE(MQHA."), "{left}");
}

#[test]
fn a_full_log_fails_the_persistent_round_trip_but_not_depth_10() {
    let sim = sim_qm("QMPROBE9");
    sim.start();
    mqsc(&sim, &format!("DEFINE QLOCAL({TEST_QUEUE}) DEFPSIST(YES)\n"));
    sim.fault(&sim.qm, "log-full", None);
    let target = target_of(&sim);
    mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).expect("depth 10 still passes");
    let e = mqi::run_probe(&target, &mqi::depth20_steps(TEST_QUEUE, None), secs(30)).unwrap_err();
    assert!(e.to_string().contains("MQPUT failed during persistent put and get on HA.TESTQUEUE"), "{e}");
    assert_eq!(e.reason(), Some(2102), "{e}");
    assert!(e.with_hint().contains("log"), "{}", e.with_hint());
}

#[test]
fn a_crashed_queue_manager_is_unavailable() {
    let sim = sim_qm("QMPROBE10");
    sim.start();
    let target = target_of(&sim);
    mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).expect("healthy before the crash");
    sim.crash(&sim.qm, true);
    let e = mqi::run_probe(&target, &mqi::depth10_steps(), secs(30)).unwrap_err();
    assert_eq!(e.class(), Some(mqi::ReasonClass::Unavailable), "{e}");
}

// A client check whose connection name reaches the standby instance of a multi-instance pair (a
// listener runs on the standby's node) fails with 2543, which the agent reads as "a standby
// answered", not as "the queue manager is down" (docs/reference/mqi.md#standby-reason).
#[test]
fn a_client_check_reaching_the_standby_is_classed_standby() {
    let (a, b) = Sim::multi_instance("QM1");
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    // The listener an administrator runs by hand on the standby's node.
    let (mut lsr, port) = b.listen_for("QM1", Duration::from_secs(10));
    let mqm = ProbeIdentity::lookup("mqm").expect("user mqm: run tests/setup.sh as root first");
    let target = MqiTarget::new(&b.inst(), mqm, QmName::new("QM1").unwrap());
    let steps =
        [ProbeStep::ClientConnect { channel: "SYSTEM.DEF.SVRCONN".into(), conname: format!("127.0.0.1({port})") }];
    let e = mqi::run_probe(&target, &steps, secs(30)).unwrap_err();
    lsr.kill();
    assert_eq!(e.reason(), Some(2543), "{e}");
    assert_eq!(e.class(), Some(mqi::ReasonClass::Standby), "{e}");
    assert!(e.with_hint().contains("standby instance"), "{}", e.with_hint());
}
