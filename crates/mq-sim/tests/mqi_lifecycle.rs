//! Applications while the queue manager ends: a controlled end (endmqm -c) fails a waiting
//! MQGET that asked for MQGMO_FAIL_IF_QUIESCING with 2161 and then completes; an immediate end
//! (endmqm -i) breaks the application's calls (2162 / 2009). Run as root.

use mq_testkit::{eventually, Sim, Spawned};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts amqsget (MQGMO_WAIT 15 s with FAIL_IF_QUIESCING) and waits until its handle is open.
fn waiting_getter(sim: &Sim) -> Spawned {
    sim.mqsc_ok("QM1", "DEFINE QLOCAL(WAITQ)\n");
    let child = Spawned::start(
        Command::new(sim.samp("amqsget"))
            .args(["WAITQ", "QM1"])
            .env_remove("LD_LIBRARY_PATH")
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
    );
    eventually("amqsget to open WAITQ", Duration::from_secs(10), || {
        let out = sim.mqsc_ok("QM1", "DISPLAY QSTATUS(WAITQ) TYPE(QUEUE)\n");
        if out.contains("IPPROCS(1)") {
            Ok(())
        } else {
            Err(out)
        }
    });
    child
}

#[test]
fn controlled_end_fails_a_quiescing_get_with_2161_and_completes() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let mut getter = waiting_getter(&sim);
    let t0 = Instant::now();
    let end = sim.mq("endmqm", &["-w", "QM1"]);
    assert_eq!(end.rc, 0, "{end:?}");
    let code = getter.wait_within(Duration::from_secs(10));
    assert_eq!(code, Some(0), "amqsget did not end");
    assert!(t0.elapsed() < Duration::from_secs(10), "quiesce waited for the 15 s get: {:?}", t0.elapsed());
    let mut out = String::new();
    getter.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(out.contains("MQGET ended with reason code 2161"), "{out}");
    sim.wait_status("QM1", "ENDED NORMALLY", Duration::from_secs(10));
}

#[test]
fn immediate_end_breaks_a_connected_application() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let mut getter = waiting_getter(&sim);
    let end = sim.mq("endmqm", &["-i", "QM1"]);
    assert_eq!(end.rc, 0, "{end:?}");
    let code = getter.wait_within(Duration::from_secs(10));
    assert_eq!(code, Some(0), "amqsget did not end");
    let mut out = String::new();
    getter.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(
        out.contains("MQGET ended with reason code 2162") || out.contains("MQGET ended with reason code 2009"),
        "{out}"
    );
    sim.wait_status("QM1", "ENDED IMMEDIATELY", Duration::from_secs(10));
}
