//! Shared by the ibmmq_* integration tests: a simulated MQ installation in a private root (torn
//! down by Drop even when a test fails) and the BUILT agent binary run as Pacemaker runs it.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// target/<profile>, from this test binary's own path (target/<profile>/deps/<test>).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf()
}

pub fn built(name: &str) -> PathBuf {
    let p = profile_dir().join(name);
    assert!(p.is_file(), "{} is missing: build first: cargo build --workspace [--release]", p.display());
    p
}

pub struct Run {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// The last ocf-exit-reason line, as Pacemaker reads it.
    pub fn reason(&self) -> String {
        self.stderr.lines().rev().find_map(|l| l.strip_prefix("ocf-exit-reason:")).unwrap_or("").to_string()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rc={} after {:?}\n--stdout--\n{}\n--stderr--\n{}", self.rc, self.elapsed, self.stdout, self.stderr)
    }
}

fn run(mut cmd: Command) -> Run {
    let t = Instant::now();
    let o: Output = cmd.stdin(Stdio::null()).output().expect("spawn");
    Run {
        rc: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        elapsed: t.elapsed(),
    }
}

/// A simulated installation under a fresh temporary root.
pub struct Sim {
    pub root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Sim {
    pub fn new() -> Sim {
        Sim::install(&[])
    }

    /// An installation made with extra `mqsim install` options (e.g. `--node other`: a second host).
    pub fn install(options: &[&str]) -> Sim {
        let dir = tempfile::Builder::new().prefix("mqha-ibmmq-").tempdir_in("/tmp").expect("tempdir");
        // The mq user must be able to traverse to its data.
        let _ = std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755));
        let root = dir.path().to_path_buf();
        let mut c = Command::new(built("mqsim"));
        c.arg("install").arg(&root).args(options);
        let r = run(c);
        assert_eq!(r.rc, 0, "mqsim install: {r:?}");
        Sim { root, _dir: dir }
    }

    pub fn inst(&self) -> PathBuf {
        self.root.join("opt/mqm")
    }

    pub fn data(&self) -> PathBuf {
        self.root.join("var/mqm")
    }

    pub fn bin(&self, cmd: &str) -> PathBuf {
        self.inst().join("bin").join(cmd)
    }

    /// Runs an installation command as the mq user (uid/gid of mqm), as an administrator would.
    pub fn mq(&self, cmd: &str, args: &[&str]) -> Run {
        let mut c = Command::new(self.bin(cmd));
        c.args(args);
        let (uid, gid) = ids("mqm");
        c.uid(uid).gid(gid);
        run(c)
    }

    pub fn crtmqm(&self, qm: &str) -> Run {
        self.mq("crtmqm", &[qm])
    }

    pub fn tool(&self, args: &[&str]) -> Run {
        let mut c = Command::new(built("mqsim"));
        c.args(args.iter().map(|a| if *a == "ROOT" { self.root.to_str().unwrap() } else { a }));
        run(c)
    }

    pub fn fault(&self, qm: &str, name: &str, value: Option<&str>) {
        let mut a = vec!["fault", "ROOT", qm, "set", name];
        if let Some(v) = value {
            a.push(v);
        }
        let r = self.tool(&a);
        assert_eq!(r.rc, 0, "mqsim fault: {r:?}");
    }

    pub fn clear_fault(&self, qm: &str, name: &str) {
        let r = self.tool(&["fault", "ROOT", qm, "clear", name]);
        assert_eq!(r.rc, 0, "mqsim fault clear: {r:?}");
    }

    /// The agent, with the resource's parameters, as Pacemaker calls it.
    pub fn agent(&self, action: &str, params: &[(&str, &str)], extra_env: &[(&str, &str)]) -> Run {
        let mut c = Command::new(built("ibmmq"));
        c.arg(action).env_clear();
        c.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("OCF_ROOT", "/usr/lib/ocf")
            .env("OCF_RA_VERSION_MAJOR", "1")
            .env("OCF_RA_VERSION_MINOR", "1")
            .env("OCF_RESOURCE_INSTANCE", "test_qm")
            .env("OCF_RESOURCE_TYPE", "ibmmq")
            .env("OCF_RESOURCE_PROVIDER", "mqha")
            .env("OCF_EXIT_REASON_PREFIX", "ocf-exit-reason:")
            .env("OCF_RESKEY_CRM_meta_timeout", "60000");
        let has_inst = params.iter().any(|(k, _)| *k == "mq_installation");
        if !has_inst {
            c.env("OCF_RESKEY_mq_installation", self.inst());
        }
        for (k, v) in params {
            c.env(format!("OCF_RESKEY_{k}"), v);
        }
        for (k, v) in extra_env {
            c.env(k, v);
        }
        run(c)
    }

    /// A plain resource of queue manager `qm` in this installation.
    pub fn act(&self, action: &str, qm: &str) -> Run {
        self.agent(action, &[("qmgr", qm)], &[])
    }

    /// A recurring monitor (interval set) at `depth`.
    pub fn monitor(&self, qm: &str, depth: u32) -> Run {
        let d = depth.to_string();
        self.agent("monitor", &[("qmgr", qm)], &[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", &d)])
    }

    /// A probe: monitor without an interval.
    pub fn probe(&self, qm: &str) -> Run {
        self.agent("monitor", &[("qmgr", qm)], &[])
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // Kills every process running a program of this root only; then the directory goes.
        let mut c = Command::new(profile_dir().join("mqsim"));
        c.arg("cleanup").arg(&self.root).stdout(Stdio::null()).stderr(Stdio::null());
        let _ = c.status();
    }
}

pub fn ids(user: &str) -> (u32, u32) {
    let out = Command::new("id").arg("-u").arg(user).output().unwrap();
    let uid = String::from_utf8_lossy(&out.stdout).trim().parse().expect("run tests/setup.sh first: user missing");
    let out = Command::new("id").arg("-g").arg(user).output().unwrap();
    let gid = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    (uid, gid)
}

/// Pids of processes whose argv names queue manager `qm` with `-m QM`/`-mQM` and whose program
/// lives under `root` (read straight from /proc, independent of the agent's own matching).
pub fn qm_pids(root: &Path, qm: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        let Ok(raw) = std::fs::read(e.path().join("cmdline")) else { continue };
        let args: Vec<String> =
            raw.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
        let Ok(exe) = std::fs::read_link(e.path().join("exe")) else { continue };
        let ours =
            exe.starts_with(root) || args.first().map(|a| a.starts_with(root.to_str().unwrap())).unwrap_or(false);
        let names = args.windows(2).any(|w| w[0] == "-m" && w[1] == qm) || args.iter().any(|a| a == &format!("-m{qm}"));
        if ours && names {
            out.push(pid);
        }
    }
    out
}

/// Waits (bounded) until `f` holds.
pub fn eventually(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while t.elapsed() < limit {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what}: not within {limit:?}");
}
