//! Test support for the simulator's own integration tests: a throw-away installation under a
//! temporary ROOT, torn down (every process under ROOT killed) when the guard drops, even when the
//! test fails. Commands run as installed (ROOT/opt/mqm/bin/<name>), as users would run them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn mqsim_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mqsim"))
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// One simulated installation; Drop runs `mqsim cleanup ROOT`.
pub struct Sim {
    pub root: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Sim {
    pub fn install(extra: &[&str]) -> Sim {
        let dir = tempfile::Builder::new().prefix("mqsim-test-").tempdir().expect("tempdir");
        let root = dir.path().join("root");
        let out = Command::new(mqsim_exe()).arg("install").arg(&root).args(extra).output().expect("run mqsim install");
        assert!(out.status.success(), "mqsim install failed: {}", String::from_utf8_lossy(&out.stderr));
        Sim { root, _dir: Some(dir) }
    }

    /// A second installation in the same temporary directory (a second "node").
    pub fn install_beside(&self, name: &str, extra: &[&str]) -> Sim {
        let root = self.root.parent().unwrap().join(name);
        let out = Command::new(mqsim_exe()).arg("install").arg(&root).args(extra).output().expect("run mqsim install");
        assert!(out.status.success(), "mqsim install failed: {}", String::from_utf8_lossy(&out.stderr));
        Sim { root, _dir: None }
    }

    pub fn bin(&self, prog: &str) -> PathBuf {
        self.root.join("opt/mqm/bin").join(prog)
    }

    pub fn run(&self, prog: &str, args: &[&str]) -> Run {
        Run::from(Command::new(self.bin(prog)).args(args).stdin(Stdio::null()).output().expect("run command"))
    }

    /// Runs a command as another user (uid, gid), as that user would from a shell.
    pub fn run_as(&self, uid: u32, gid: u32, prog: &str, args: &[&str]) -> Run {
        use std::os::unix::process::CommandExt;
        Run::from(
            Command::new(self.bin(prog))
                .args(args)
                .uid(uid)
                .gid(gid)
                .stdin(Stdio::null())
                .output()
                .expect("run command"),
        )
    }

    pub fn mqsim(&self, args: &[&str]) -> Run {
        let mut a: Vec<String> = vec![args[0].to_string(), self.root.display().to_string()];
        a.extend(args[1..].iter().map(|s| s.to_string()));
        Run::from(Command::new(mqsim_exe()).args(&a).output().expect("run mqsim"))
    }

    pub fn ok(&self, prog: &str, args: &[&str]) -> Run {
        let r = self.run(prog, args);
        assert_eq!(r.code, 0, "{prog} {args:?} failed: {r:?}");
        r
    }

    /// dspmq -n -m QM's STATUS value.
    pub fn status(&self, qm: &str) -> String {
        let r = self.run("dspmq", &["-n", "-m", qm]);
        let line = r.stdout.lines().next().unwrap_or_default().to_string();
        line.split("STATUS(").nth(1).and_then(|s| s.split(')').next()).unwrap_or_default().to_string()
    }

    /// Waits (bounded) until dspmq -n shows `want`.
    pub fn wait_status(&self, qm: &str, want: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.status(qm) == want {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Live (non-zombie) processes whose executable is under ROOT: (pid, ppid, uid, comm, cmdline).
    pub fn processes(&self) -> Vec<Proc> {
        processes_under(&self.root)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = Command::new(mqsim_exe()).arg("cleanup").arg(&self.root).output();
    }
}

#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    pub uid: u32,
    pub comm: String,
    pub cmdline: Vec<String>,
}

pub fn processes_under(root: &Path) -> Vec<Proc> {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        let Ok(exe) = std::fs::read_link(e.path().join("exe")) else { continue };
        if !exe.starts_with(&root) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        let close = stat.rfind(')').unwrap();
        let comm = stat[stat.find('(').unwrap() + 1..close].to_string();
        let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if rest[0] == "Z" {
            continue;
        }
        let ppid = rest[1].parse().unwrap();
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        let uid = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|u| u.parse().ok())
            .unwrap_or(u32::MAX);
        let cmdline = std::fs::read(e.path().join("cmdline"))
            .unwrap_or_default()
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        out.push(Proc { pid, ppid, uid, comm, cmdline });
    }
    out
}

pub fn uid_of(user: &str) -> u32 {
    nix::unistd::User::from_name(user)
        .unwrap()
        .unwrap_or_else(|| panic!("user {user} missing: run tests/setup.sh"))
        .uid
        .as_raw()
}

pub fn gid_of(group: &str) -> u32 {
    nix::unistd::Group::from_name(group)
        .unwrap()
        .unwrap_or_else(|| panic!("group {group} missing: run tests/setup.sh"))
        .gid
        .as_raw()
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
