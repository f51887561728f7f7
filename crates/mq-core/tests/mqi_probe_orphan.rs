//! The MQI probe child must die with the process that forked it, even after dropping to the mq
//! user (which clears a parent-death signal armed before it), and must not inherit that
//! process's environment. A helper process (this test binary, re-run for one test) forks a probe
//! that hangs in MQCONNX of a library built here (as on a hung queue manager during a depth-10
//! check); the test SIGKILLs the helper and watches the probe.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mq_core::mqi::{self, MqiTarget, ProbeIdentity};
use mq_core::QmName;

const HELPER_ENV: &str = "MQHA_ORPHAN_TEST_LIB";

/// Not a test on its own: the helper's body, run only in the child process the test starts.
#[test]
fn probe_helper() {
    let Ok(dir) = std::env::var(HELPER_ENV) else { return };
    let target = MqiTarget {
        lib_dir: dir.into(),
        identity: ProbeIdentity::lookup("mqm").expect("user mqm"),
        qmgr: QmName::new("QM1").unwrap(),
        credentials: None,
    };
    let _ = mqi::run_probe(&target, &mqi::depth10_steps(), Instant::now() + Duration::from_secs(120));
}

/// A library whose MQCONNX writes `pid=N` and the environment it sees to `env.log` beside it,
/// then hangs: a probe stuck in the MQI, as on a hung queue manager.
const HANGING_MQI: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
extern char **environ;
void MQCONNX(void) {
    Dl_info i;
    char dir[4096], tmp[4200], log[4200];
    dladdr((void *)MQCONNX, &i);
    snprintf(dir, sizeof dir, "%s", i.dli_fname);
    *strrchr(dir, '/') = 0;
    snprintf(tmp, sizeof tmp, "%s/env.tmp", dir);
    snprintf(log, sizeof log, "%s/env.log", dir);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "pid=%d\n", (int)getpid());
        for (char **e = environ; e && *e; e++) fprintf(f, "%s\n", *e);
        fclose(f);
        rename(tmp, log);
    }
    for (;;) pause();
}
"#;

/// The verbs the probe resolves besides MQCONNX, which these libraries never get past.
const OTHER_VERBS: &str = "void MQDISC(void) {}\nvoid MQOPEN(void) {}\nvoid MQCLOSE(void) {}\nvoid MQPUT(void) {}\nvoid MQGET(void) {}\nvoid MQINQ(void) {}\n";

/// Builds `libmqm_r.so` in `dir` from `source` (its MQCONNX) and the other verbs as stubs.
fn build_library(dir: &Path, source: &str) {
    // The probe runs as the mq user: it must read the library and write env.log here.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o777)).unwrap();
    let src = dir.join("mqi.c");
    fs::write(&src, format!("{source}{OTHER_VERBS}")).unwrap();
    let st = Command::new("gcc")
        .args(["-shared", "-fPIC", "-O1", "-o"])
        .arg(dir.join("libmqm_r.so"))
        .arg(&src)
        .status()
        .expect("gcc must be installed to build the test MQI library");
    assert!(st.success(), "gcc failed on {}", src.display());
}

/// The probe's pid and environment, once its MQCONNX reported them.
fn reported(log: &Path, until: Instant) -> Option<(i32, Vec<String>)> {
    while Instant::now() < until {
        if let Ok(text) = fs::read_to_string(log) {
            let mut lines = text.lines();
            let pid = lines.next()?.strip_prefix("pid=")?.parse().ok()?;
            return Some((pid, lines.map(str::to_string).collect()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Gone, or a zombie waiting for init: either way no longer running.
fn dead(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')).unwrap_or(true),
    }
}

#[test]
fn no_probe_child_survives_its_killed_parent_and_none_sees_its_environment() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root to drop to the mq user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    build_library(dir.path(), HANGING_MQI);
    let mut helper = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "probe_helper", "--test-threads=1"])
        .env(HELPER_ENV, dir.path())
        .env("MQSERVER", "EVIL.SVRCONN/TCP/192.0.2.1(1414)")
        .env("MQCHLLIB", "/tmp/evil")
        .env("HOME", "/root")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let Some((pid, vars)) = reported(&dir.path().join("env.log"), Instant::now() + Duration::from_secs(20)) else {
        let _ = helper.kill();
        panic!("the probe never reached MQCONNX");
    };

    helper.kill().unwrap(); // SIGKILL, as Pacemaker kills an agent past its timeout
    helper.wait().unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    while !dead(pid) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let survived = !dead(pid);
    if survived {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    assert!(!survived, "probe child {pid} survived its parent's SIGKILL");

    let home = nix::unistd::User::from_name("mqm").unwrap().unwrap().dir;
    assert!(vars.contains(&format!("HOME={}", home.display())), "{vars:?}");
    let bin = dir.path().parent().unwrap().join("bin");
    assert!(vars.contains(&format!("PATH={}:/usr/bin:/bin", bin.display())), "{vars:?}");
    let leaked: Vec<&String> =
        vars.iter().filter(|v| v.starts_with("MQ") || v.starts_with(HELPER_ENV) || *v == "HOME=/root").collect();
    assert!(leaked.is_empty(), "the agent's environment reached the probe: {leaked:?}");
}

/// A library that floods the probe's record pipe (fd 3) with one endless line.
const FLOODING_MQI: &str = r#"
#include <string.h>
#include <unistd.h>
void MQCONNX(void) {
    char junk[65536];
    memset(junk, 'x', sizeof junk);
    for (;;) if (write(3, junk, sizeof junk) < 0) _exit(9);
}
"#;

#[test]
fn a_library_flooding_the_record_pipe_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    build_library(dir.path(), FLOODING_MQI);
    let target = MqiTarget {
        lib_dir: dir.path().to_path_buf(),
        identity: ProbeIdentity::current(),
        qmgr: QmName::new("QM1").unwrap(),
        credentials: None,
    };
    let t0 = Instant::now();
    let e = mqi::run_probe(&target, &mqi::depth10_steps(), Instant::now() + Duration::from_secs(30)).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(e.to_string().contains("garbled result"), "{e}");
}
