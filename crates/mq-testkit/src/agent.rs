//! The built agent run as Pacemaker runs it: under each of its installed names, with exactly the
//! OCF environment a test gives it, within a deadline; its exit code and `ocf-exit-reason:`.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::bins::agent_exe;
use crate::run::{run, run_input, Run, Spawned};
use crate::sim::{Sim, SimQm};

/// The names the one agent binary is installed under.
pub const AGENTS: [&str; 3] = ["ibmmq", "ibmmq-listener", "ibmmq-trigger"];

/// An empty environment (a bare `&[]` leaves the pairs' type open).
pub const NO_ENV: &[(&str, &str)] = &[];

/// An agent action outlives no test: past this the agent's process group is killed.
const AGENT_LIMIT: Duration = Duration::from_secs(180);

/// Runs `program args` with only `env` in its environment, stdin from /dev/null.
pub fn run_with_env<K: AsRef<OsStr>, V: AsRef<OsStr>>(program: &Path, args: &[&str], env: &[(K, V)]) -> Run {
    let mut c = Command::new(program);
    c.args(args).env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    run_input(&mut c, None, AGENT_LIMIT)
}

/// One resource's OCF environment, as pacemaker-execd sets it; later settings replace earlier ones.
#[derive(Debug, Clone)]
pub struct Ocf {
    pub vars: Vec<(String, OsString)>,
}

impl Ocf {
    /// Resource `instance`, the OCF 1.1 basics and an operation timeout of `timeout_ms`.
    pub fn new(instance: &str, timeout_ms: u32) -> Ocf {
        Ocf { vars: Vec::new() }
            .set("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .set("OCF_ROOT", "/usr/lib/ocf")
            .set("OCF_RA_VERSION_MAJOR", "1")
            .set("OCF_RA_VERSION_MINOR", "1")
            .set("OCF_RESOURCE_INSTANCE", instance)
            .set("OCF_RESOURCE_PROVIDER", "mqha")
            .set("OCF_EXIT_REASON_PREFIX", "ocf-exit-reason:")
            .set("OCF_RESKEY_CRM_meta_timeout", timeout_ms.to_string())
    }

    /// Sets (or replaces) one variable.
    pub fn set(mut self, key: &str, value: impl AsRef<OsStr>) -> Ocf {
        // Kept as bytes: a test may hand the agent a value that is not UTF-8, as Pacemaker can.
        let value = value.as_ref().to_os_string();
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_string(), value));
        self
    }

    /// Sets (or replaces) resource parameter `name` (OCF_RESKEY_name).
    pub fn param(self, name: &str, value: impl AsRef<OsStr>) -> Ocf {
        self.set(&format!("OCF_RESKEY_{name}"), value)
    }

    /// Sets each (variable, value) pair.
    pub fn with(self, extra: &[(&str, &str)]) -> Ocf {
        extra.iter().fold(self, |o, (k, v)| o.set(k, v))
    }

    /// Runs the agent binary (as `ibmmq`) with this environment.
    pub fn run(&self, action: &str) -> Run {
        run_with_env(&agent_exe(), &[action], &self.vars)
    }

    /// Runs the agent (as `ibmmq`) on the node the simulated installations under `root` stand for:
    /// in a mount namespace of its own where ROOT/etc/opt is seen at /etc/opt (the registry
    /// /etc/opt/mqm/mqinst.ini) and ROOT/usr/bin over /usr/bin (the primary installation's links),
    /// read-only overlays of the machine's own directories. The agent reads the real paths, as on
    /// a node where MQ is installed; nothing of the mounts reaches the machine's namespace.
    pub fn run_on_node(&self, root: &Path, action: &str) -> Run {
        self.run_on_node_as(&agent_exe(), root, action)
    }

    /// The same for the agent installed as `program` (a link of `Links`: ibmmq-listener, ...).
    pub fn run_on_node_as(&self, program: &Path, root: &Path, action: &str) -> Run {
        let cstr = |b: &[u8]| CString::new(b).expect("no NUL");
        let mut overlays = Vec::new();
        for (mine, system) in [("etc/opt", "/etc/opt"), ("usr/bin", "/usr/bin")] {
            let lower = root.join(mine);
            if lower.is_dir() {
                let opts = format!("lowerdir={}:{system}", lower.display());
                overlays.push((cstr(system.as_bytes()), cstr(opts.as_bytes())));
            }
        }
        let (slash, overlay) = (cstr(b"/"), cstr(b"overlay"));
        let mut c = Command::new(program);
        c.arg(action).env_clear().envs(self.vars.iter().map(|(k, v)| (k, v)));
        // SAFETY: only system calls between fork and exec; every string was made before the fork.
        unsafe {
            c.pre_exec(move || {
                let failed = || Err(std::io::Error::last_os_error());
                private_mount_namespace(&slash)?;
                for (target, opts) in &overlays {
                    let flags = libc::MS_RDONLY;
                    if libc::mount(overlay.as_ptr(), target.as_ptr(), overlay.as_ptr(), flags, opts.as_ptr().cast())
                        != 0
                    {
                        return failed();
                    }
                }
                Ok(())
            });
        }
        run_input(&mut c, None, AGENT_LIMIT)
    }

    /// Starts the agent in the background in its own process group (killed on Drop).
    pub fn spawn(&self, action: &str) -> Spawned {
        let mut c = Command::new(agent_exe());
        c.arg(action).env_clear().envs(self.vars.iter().map(|(k, v)| (k, v)));
        Spawned::start(c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()))
    }
}

/// In a forked child before exec: a mount namespace of its own, with every mount private, so that
/// nothing mounted in it reaches the machine's namespace. Only system calls (async-signal-safe);
/// `slash` is "/", made before the fork.
unsafe fn private_mount_namespace(slash: &CString) -> std::io::Result<()> {
    if libc::unshare(libc::CLONE_NEWNS) != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let private = libc::MS_REC | libc::MS_PRIVATE;
    if libc::mount(std::ptr::null(), slash.as_ptr(), std::ptr::null(), private, std::ptr::null()) != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// A directory of links named like the installed agents (as the RPM lays them out).
pub struct Links {
    pub dir: tempfile::TempDir,
}

impl Default for Links {
    fn default() -> Links {
        Links::new()
    }
}

impl Links {
    pub fn new() -> Links {
        let dir = tempfile::tempdir().expect("tempdir");
        for a in AGENTS {
            symlink(agent_exe(), dir.path().join(a)).expect("symlink");
        }
        Links { dir }
    }

    pub fn path(&self, agent: &str) -> PathBuf {
        self.dir.path().join(agent)
    }

    /// Runs `agent action` with only `env` in its environment.
    pub fn run<K: AsRef<OsStr>, V: AsRef<OsStr>>(&self, agent: &str, action: &str, env: &[(K, V)]) -> Run {
        run_with_env(&self.path(agent), &[action], env)
    }

    /// Runs `agent action` in a mount namespace of its own where `hung` is a mount point that never
    /// answers (a FUSE connection nobody serves: every look below it blocks, as on a hard NFS
    /// mount whose server is gone, for every user: `allow_other`, or the kernel would refuse users
    /// other than root at once instead); past `limit` it is killed and the Run says `timed_out`.
    pub fn run_on_hung_storage(
        &self,
        agent: &str,
        action: &str,
        env: &[(String, OsString)],
        hung: &Path,
        limit: Duration,
    ) -> Run {
        const FD: libc::c_int = 100;
        let cstr = |b: &[u8]| CString::new(b).expect("no NUL");
        let (dev, root, target) = (cstr(b"/dev/fuse"), cstr(b"/"), cstr(hung.as_os_str().as_encoded_bytes()));
        let (fstype, source) = (cstr(b"fuse"), cstr(b"mqha-hung"));
        let opts = cstr(format!("fd={FD},rootmode=40000,user_id=0,group_id=0,allow_other").as_bytes());
        let mut c = Command::new(self.path(agent));
        c.arg(action).env_clear().envs(env.iter().map(|(k, v)| (k, v)));
        // SAFETY: only system calls between fork and exec; every string was made before the fork.
        unsafe {
            c.pre_exec(move || {
                let failed = || Err(std::io::Error::last_os_error());
                // Nothing of this mount may reach the machine's own namespace.
                private_mount_namespace(&root)?;
                let fd = libc::open(dev.as_ptr(), libc::O_RDWR);
                if fd < 0 || libc::dup2(fd, FD) != FD {
                    return failed();
                }
                // The agent inherits the connection and never reads it: nothing ever answers.
                let flags = libc::MS_NOSUID | libc::MS_NODEV;
                if libc::mount(source.as_ptr(), target.as_ptr(), fstype.as_ptr(), flags, opts.as_ptr().cast()) != 0 {
                    return failed();
                }
                Ok(())
            });
        }
        run_input(&mut c, None, limit)
    }
}

/// The ibmmq resource of one queue manager of an installation.
impl Sim {
    /// The environment of ibmmq resource `test_qm` in this installation, no parameter but
    /// mq_installation set.
    pub fn ocf_base(&self) -> Ocf {
        Ocf::new("test_qm", 60000).set("OCF_RESOURCE_TYPE", "ibmmq").param("mq_installation", self.inst())
    }

    /// The same for queue manager `qm`.
    pub fn ocf(&self, qm: &str) -> Ocf {
        self.ocf_base().param("qmgr", qm)
    }

    /// The agent with resource parameters `params` and extra environment.
    pub fn agent(&self, action: &str, params: &[(&str, &str)], extra_env: &[(&str, &str)]) -> Run {
        params.iter().fold(self.ocf_base(), |o, (k, v)| o.param(k, v)).with(extra_env).run(action)
    }

    /// A plain resource of queue manager `qm`.
    pub fn act(&self, action: &str, qm: &str) -> Run {
        self.ocf(qm).run(action)
    }

    /// A recurring monitor (interval set) at `depth`.
    pub fn monitor(&self, qm: &str, depth: u32) -> Run {
        self.ocf(qm)
            .with(&[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", &depth.to_string())])
            .run("monitor")
    }

    /// A probe: monitor without an interval.
    pub fn probe(&self, qm: &str) -> Run {
        self.ocf(qm).run("monitor")
    }
}

impl SimQm {
    /// The OCF environment of a resource (of any of the agents) of this queue manager, plus `extra`.
    pub fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, OsString)> {
        Ocf::new(&format!("test-{}", self.qm), 30000)
            .param("qmgr", &self.qm)
            .param("mq_installation", self.inst())
            .with(extra)
            .vars
    }
}

/// xmllint is installed by tests/setup.sh; a missing one is a broken test machine, not a skip.
pub fn xmllint() -> &'static str {
    let ok = Command::new("xmllint").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    assert!(ok, "xmllint is missing: run tests/setup.sh as root (it installs libxml2-utils, pcs and resource-agents)");
    "xmllint"
}

/// Runs resource-agents' ocf-tester on `agent` with `-o` options; the agent is copied where
/// `nobody` can run it (ocf-tester runs meta-data as nobody). Returns (exit code, output).
pub fn ocf_tester(agent: &str, name: &str, options: &[(&str, String)]) -> (i32, String) {
    let tester = Path::new("/usr/sbin/ocf-tester");
    assert!(tester.exists(), "ocf-tester is missing: run tests/setup.sh (resource-agents)");
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("ibmmq");
    std::fs::copy(agent_exe(), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join(agent);
    if agent != "ibmmq" {
        symlink(&bin, &path).unwrap();
    }
    let mut c = Command::new(tester);
    c.arg("-n").arg(name);
    for (k, v) in options {
        c.arg("-o").arg(format!("{k}={v}"));
    }
    let r = run(c.arg(&path));
    (r.rc, format!("{}{}", r.stdout, r.stderr))
}
