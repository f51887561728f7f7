//! The mq user owns `mqs.ini` and `qm.ini`: whatever it puts there (a FIFO, a symlink to
//! /dev/zero, bytes that are not UTF-8) must not hang or crash a probe or a stop of the root
//! agent. Each action gets a 20 s timeout and must answer with a quarter of it to spare (an
//! agent that runs to its own deadline was cut off, not answering; and a loaded node needs the
//! margin), with the code it owes Pacemaker: a probe 7 when nothing of the queue manager runs,
//! a stop 0.

use mq_testkit::*;

use std::path::Path;
use std::time::Duration;

/// The OCF timeout every action here is given.
const TIMEOUT_MS: u32 = 20_000;

#[derive(Clone, Copy, Debug)]
enum Hostile {
    Fifo,
    DevZero,
    NotUtf8,
}

const ALL: [Hostile; 3] = [Hostile::Fifo, Hostile::DevZero, Hostile::NotUtf8];

/// Replaces `path` by the hostile kind of file, owned by the mq user as it could make it;
/// returns what was there.
fn plant(path: &Path, how: Hostile) -> Vec<u8> {
    let text = std::fs::read(path).unwrap_or_default();
    std::fs::remove_file(path).unwrap();
    match how {
        Hostile::Fifo => nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap(),
        Hostile::DevZero => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
        Hostile::NotUtf8 => {
            let mut bytes = b"# caf\xe9\n".to_vec();
            bytes.extend_from_slice(&text);
            std::fs::write(path, bytes).unwrap();
        }
    }
    let mqm = User::named("mqm");
    std::os::unix::fs::lchown(path, Some(mqm.uid), Some(mqm.gid)).unwrap();
    text
}

fn within_timeout(run: &Run, what: &str, want: i32) {
    eprintln!("{what}: rc={} after {:?}", run.rc, run.elapsed);
    assert!(!run.timed_out, "{what}: killed at the test's limit: {run:?}");
    let limit = Duration::from_millis(TIMEOUT_MS as u64) * 3 / 4;
    assert!(run.elapsed < limit, "{what}: answered after {limit:?}, three quarters of its timeout: {run:?}");
    assert_eq!(run.rc, want, "{what}: {run:?}");
    assert!(!run.stderr.contains("panicked"), "{what}: {run:?}");
}

fn probe_and_stop_answer(file: &str, how: Hostile) {
    let qm = "QMH";
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm(qm).rc, 0);
    let path = sim.data().join(file.replace("QM", qm));
    let text = plant(&path, how);
    let ocf = Ocf::new("test_qm", TIMEOUT_MS)
        .set("OCF_RESOURCE_TYPE", "ibmmq")
        .param("mq_installation", sim.inst())
        .param("qmgr", qm);
    within_timeout(&ocf.run("monitor"), &format!("probe with {file} {how:?}"), 7);
    within_timeout(&ocf.run("stop"), &format!("stop with {file} {how:?}"), 0);
    // The simulator's own clean-up reads the file as plainly as MQ does.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, text).unwrap();
}

#[test]
fn a_hostile_mqs_ini_neither_hangs_nor_crashes_probe_or_stop() {
    std::thread::scope(|s| {
        for how in ALL {
            s.spawn(move || probe_and_stop_answer("mqs.ini", how));
        }
    });
}

#[test]
fn a_hostile_qm_ini_neither_hangs_nor_crashes_probe_or_stop() {
    std::thread::scope(|s| {
        for how in ALL {
            s.spawn(move || probe_and_stop_answer("qmgrs/QM/qm.ini", how));
        }
    });
}

/// The listener and trigger agents read mqs.ini only to place the mq user: their probes and stops
/// answer as promptly.
#[test]
fn a_hostile_mqs_ini_neither_hangs_nor_crashes_the_component_agents() {
    let links = Links::new();
    std::thread::scope(|s| {
        for how in ALL {
            let links = &links;
            s.spawn(move || {
                let qm = "QMC";
                let sim = Sim::install(&[]);
                assert_eq!(sim.crtmqm(qm).rc, 0);
                let path = sim.data().join("mqs.ini");
                let text = plant(&path, how);
                let base = Ocf::new("test_c", TIMEOUT_MS).param("mq_installation", sim.inst()).param("qmgr", qm);
                let port = free_port().to_string();
                for (agent, ocf) in
                    [("ibmmq-listener", base.clone().param("port", &port)), ("ibmmq-trigger", base.clone())]
                {
                    for (action, want) in [("monitor", 7), ("stop", 0)] {
                        within_timeout(
                            &links.run(agent, action, &ocf.vars),
                            &format!("{agent} {action} with mqs.ini {how:?}"),
                            want,
                        );
                    }
                }
                std::fs::remove_file(&path).unwrap();
                std::fs::write(&path, text).unwrap();
            });
        }
    });
}
