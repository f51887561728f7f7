//! Benchmark of the ibmmq agent against the simulator (ignored by default; it measures, it does
//! not judge). Prints, per monitor depth, the agent's wall time, the simulator's own dspmq time,
//! the processes the agent spawned (counted by strace -f: every execve and every fork), and the
//! start/stop latency above the simulator's own strmqm/endmqm.
//!
//!   cargo build --release --workspace
//!   cargo test --release -p ocf-agent --test ibmmq_bench -- --ignored --nocapture

use mq_testkit::*;
use std::process::Command;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p90(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 9 / 10).min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (programs executed, processes forked) by the agent and its descendants, from strace -f.
fn spawned(sim: &Sim, depth: u32) -> (usize, usize) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-e", "trace=execve,fork,vfork,clone,clone3", "-o"]).arg(out.path());
    c.arg(agent_exe()).arg("monitor").env_clear();
    c.env("OCF_RESKEY_qmgr", "QMB")
        .env("OCF_RESKEY_mq_installation", sim.inst())
        .env("OCF_RESKEY_CRM_meta_timeout", "60000")
        .env("OCF_RESKEY_CRM_meta_interval", "20000")
        .env("OCF_CHECK_LEVEL", depth.to_string());
    let st = c.output().expect("strace (apt-get install strace)");
    assert!(st.status.success(), "monitor under strace: {}", String::from_utf8_lossy(&st.stderr));
    let trace = std::fs::read_to_string(out.path()).unwrap();
    // The first execve is the agent itself.
    let execs = trace.lines().filter(|l| l.contains("execve(") && !l.contains("resumed>")).count().saturating_sub(1);
    // A fork is a clone without CLONE_THREAD that returned a pid (threads are not processes).
    let forks = trace
        .lines()
        .filter(|l| {
            (l.contains("clone(")
                || l.contains("clone3(")
                || l.contains("fork(")
                || l.contains("clone resumed>")
                || l.contains("clone3 resumed>"))
                && !l.contains("CLONE_THREAD")
                && l.rsplit(" = ")
                    .next()
                    .map(|r| r.trim().parse::<i32>().map(|n| n > 0).unwrap_or(false))
                    .unwrap_or(false)
        })
        .count();
    (execs, forks)
}

fn timed(n: usize, mut f: impl FnMut() -> i32, want: i32) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            let rc = f();
            assert_eq!(rc, want);
            t.elapsed()
        })
        .collect()
}

#[test]
#[ignore]
fn bench() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QMB").rc, 0);
    let r = sim.act("start", "QMB");
    assert_eq!(r.rc, 0, "start: {r:?}");
    let n = 30;

    let dspmq = median(timed(n, || sim.mq("dspmq", &["-n", "-m", "QMB"]).rc, 0));
    println!("\nsimulator's own dspmq -n -m QMB (as mqm): median {:.2} ms", ms(dspmq));
    println!(
        "{:<8} {:>12} {:>12} {:>16} {:>10} {:>8}",
        "depth", "median ms", "p90 ms", "over dspmq ms", "execve", "forks"
    );
    for depth in [0u32, 10, 20] {
        let runs = timed(n, || sim.monitor("QMB", depth).rc, 0);
        let (execs, forks) = spawned(&sim, depth);
        let med = median(runs.clone());
        println!(
            "{:<8} {:>12.2} {:>12.2} {:>16.2} {:>10} {:>8}",
            depth,
            ms(med),
            ms(p90(runs)),
            ms(med.saturating_sub(dspmq)),
            execs,
            forks
        );
    }

    // Start/stop: the agent's, and the simulator's own (strmqm until dspmq says RUNNING;
    // endmqm -i until no process is left).
    let mut agent_start = Vec::new();
    let mut agent_stop = Vec::new();
    let mut sim_start = Vec::new();
    let mut sim_stop = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(sim.act("stop", "QMB").rc, 0);
        agent_stop.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(sim.act("start", "QMB").rc, 0);
        agent_start.push(t.elapsed());
        assert_eq!(sim.mq("endmqm", &["-i", "QMB"]).rc, 0);
        eventually("QMB gone", Duration::from_secs(30), || qm_pids(&sim.root, "QMB").is_empty());
        let t = Instant::now();
        assert_eq!(sim.mq("strmqm", &["QMB"]).rc, 0);
        eventually("QMB running", Duration::from_secs(30), || {
            sim.mq("dspmq", &["-n", "-m", "QMB"]).stdout.contains("(RUNNING)")
        });
        sim_start.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(sim.mq("endmqm", &["-i", "QMB"]).rc, 0);
        eventually("QMB gone", Duration::from_secs(30), || qm_pids(&sim.root, "QMB").is_empty());
        sim_stop.push(t.elapsed());
        assert_eq!(sim.act("start", "QMB").rc, 0);
    }
    let (a1, s1, a2, s2) = (median(agent_start), median(sim_start), median(agent_stop), median(sim_stop));
    println!(
        "start: agent {:.1} ms, simulator strmqm->RUNNING {:.1} ms, above the simulator {:.1} ms",
        ms(a1),
        ms(s1),
        ms(a1.saturating_sub(s1))
    );
    println!(
        "stop:  agent {:.1} ms, simulator endmqm -i->gone {:.1} ms, above the simulator {:.1} ms",
        ms(a2),
        ms(s2),
        ms(a2.saturating_sub(s2))
    );
    assert_eq!(sim.act("stop", "QMB").rc, 0);
}
