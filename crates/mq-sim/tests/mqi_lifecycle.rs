//! Applications while the queue manager ends: a controlled end (endmqm -c) fails a waiting
//! MQGET that asked for MQGMO_FAIL_IF_QUIESCING with 2161 and then completes; an immediate end
//! (endmqm -i) breaks the application's calls (2162 / 2009). Run as root.

#[path = "mqi_common/mod.rs"]
mod common;
mod support;

use common::{mqsc_ok, started, wait_deadline};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts amqsget (MQGMO_WAIT 15 s with FAIL_IF_QUIESCING) and waits until its handle is open.
fn waiting_getter(sim: &support::Sim) -> std::process::Child {
    mqsc_ok(sim, "DEFINE QLOCAL(WAITQ)\n");
    let child = Command::new(sim.root.join("opt/mqm/samp/bin/amqsget"))
        .args(["WAITQ", "QM1"])
        .env_remove("LD_LIBRARY_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = mqsc_ok(sim, "DISPLAY QSTATUS(WAITQ) TYPE(QUEUE)\n");
        if out.contains("IPPROCS(1)") {
            break;
        }
        assert!(Instant::now() < deadline, "amqsget never opened WAITQ: {out}");
        std::thread::sleep(Duration::from_millis(30));
    }
    child
}

#[test]
fn controlled_end_fails_a_quiescing_get_with_2161_and_completes() {
    let sim = started("9.3.0.0");
    let mut getter = waiting_getter(&sim);
    let t0 = Instant::now();
    let end = sim.run("endmqm", &["-w", "QM1"]);
    assert_eq!(end.code, 0, "{end:?}");
    let code = wait_deadline(&mut getter, Duration::from_secs(10));
    assert_eq!(code, Some(0), "amqsget did not end");
    assert!(t0.elapsed() < Duration::from_secs(10), "quiesce waited for the 15 s get: {:?}", t0.elapsed());
    let mut out = String::new();
    getter.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(out.contains("MQGET ended with reason code 2161"), "{out}");
    assert!(sim.wait_status("QM1", "ENDED NORMALLY", Duration::from_secs(10)));
}

#[test]
fn immediate_end_breaks_a_connected_application() {
    let sim = started("9.3.0.0");
    let mut getter = waiting_getter(&sim);
    let end = sim.run("endmqm", &["-i", "QM1"]);
    assert_eq!(end.code, 0, "{end:?}");
    let code = wait_deadline(&mut getter, Duration::from_secs(10));
    assert_eq!(code, Some(0), "amqsget did not end");
    let mut out = String::new();
    getter.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(
        out.contains("MQGET ended with reason code 2162") || out.contains("MQGET ended with reason code 2009"),
        "{out}"
    );
    assert!(sim.wait_status("QM1", "ENDED IMMEDIATELY", Duration::from_secs(10)));
}
