//! Helpers shared by the MQSC and MQI tests (SIM-B): a started queue manager on a throw-away
//! installation (support::Sim tears it down), commands fed on stdin with a deadline, and the
//! C library's presence checked up front.
#![allow(dead_code)]

use super::support::Sim;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// A running QM1 on a fresh installation of `version`.
pub fn started(version: &str) -> Sim {
    let sim = Sim::install(&["--version", version]);
    assert!(
        sim.root.join("opt/mqm/lib64/libmqm_r.so").exists(),
        "no libmqm_r.so in the installation: build first: cargo build --workspace [--release]"
    );
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    sim
}

/// Runs `path args` with `input` on stdin and `env`; kills it (process group) after `limit`.
pub fn run_with(path: &std::path::Path, args: &[&str], input: &str, env: &[(&str, &str)], limit: Duration) -> Out {
    run_as_with(None, path, args, input, env, limit)
}

/// As `run_with`, as user `who` = (uid, gid) when given.
pub fn run_as_with(
    who: Option<(u32, u32)>,
    path: &std::path::Path,
    args: &[&str],
    input: &str,
    env: &[(&str, &str)],
    limit: Duration,
) -> Out {
    use std::os::unix::process::CommandExt;
    let start = Instant::now();
    let mut cmd = Command::new(path);
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    // cargo test puts target/<profile> on LD_LIBRARY_PATH, which ld.so searches before a
    // program's RUNPATH: a user's program would load the installation's library, so must ours.
    cmd.env_remove("LD_LIBRARY_PATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some((uid, gid)) = who {
        cmd.uid(uid).gid(gid).current_dir("/");
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", path.display()));
    let mut stdin = child.stdin.take().unwrap();
    let text = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(text.as_bytes());
    });
    // Drain both pipes while the child runs, so a large output cannot stall it.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = String::new();
        out_pipe.read_to_string(&mut v).ok();
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = String::new();
        err_pipe.read_to_string(&mut v).ok();
        v
    });
    let code = wait_deadline(&mut child, limit);
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Out { code, stdout, stderr, elapsed: start.elapsed() }
}

/// Waits for `child` at most `limit`; on expiry kills its process group and returns None.
pub fn wait_deadline(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return st.code();
        }
        if Instant::now() >= deadline {
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn runmqsc(sim: &Sim, args: &[&str], input: &str) -> Out {
    run_with(&sim.bin("runmqsc"), args, input, &[], Duration::from_secs(20))
}

pub fn sample(sim: &Sim, name: &str, args: &[&str], input: &str, env: &[(&str, &str)]) -> Out {
    run_with(&sim.root.join("opt/mqm/samp/bin").join(name), args, input, env, Duration::from_secs(40))
}

/// Runs MQSC that must all succeed (rc 0).
pub fn mqsc_ok(sim: &Sim, input: &str) -> String {
    let o = runmqsc(sim, &["QM1"], input);
    assert_eq!(o.code, Some(0), "runmqsc failed: {o:?}");
    o.stdout
}
