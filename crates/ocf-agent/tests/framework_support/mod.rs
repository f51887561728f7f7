//! Helpers shared by the framework, meta-data, listener and trigger test files: the built agent
//! under each of its names, run with exactly the environment a test gives it.
#![allow(dead_code)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const AGENTS: [&str; 3] = ["ibmmq", "ibmmq-listener", "ibmmq-trigger"];

/// The agent binary cargo built for this test run.
pub fn agent_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ibmmq"))
}

/// A directory holding links named like the installed agents (as the RPM lays them out).
pub struct Links {
    pub dir: tempfile::TempDir,
}

impl Links {
    pub fn new() -> Links {
        let dir = tempfile::tempdir().expect("tempdir");
        for a in AGENTS {
            symlink(agent_bin(), dir.path().join(a)).expect("symlink");
        }
        Links { dir }
    }

    pub fn path(&self, agent: &str) -> PathBuf {
        self.dir.path().join(agent)
    }

    /// Runs `agent action` with only `env` in its environment.
    pub fn run(&self, agent: &str, action: &str, env: &[(&str, &str)]) -> Output {
        run_with_env(&self.path(agent), &[action], env)
    }
}

pub fn run_with_env(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(bin);
    c.args(args).env_clear().stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The reason Pacemaker would show: the last `ocf-exit-reason:` line on stderr.
pub fn exit_reason(o: &Output) -> Option<String> {
    stderr(o).lines().rev().find_map(|l| l.strip_prefix("ocf-exit-reason:").map(str::to_string))
}

/// xmllint is installed by tests/setup.sh; a missing one is a broken test machine, not a skip.
pub fn xmllint() -> &'static str {
    let ok = Command::new("xmllint").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    assert!(ok, "xmllint is missing: run tests/setup.sh as root (it installs libxml2-utils, pcs and resource-agents)");
    "xmllint"
}

pub mod sim;
