//! A simulated MQ installation with one queue manager, for the listener and trigger tests.
//! Queue-manager names are unique per test process and call, because /proc is shared with every
//! other test (and engineer) on the machine; everything of the installation is killed on drop.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// target/<profile>, from this test binary's path (target/<profile>/deps/<test>).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf()
}

pub fn mqsim_bin() -> PathBuf {
    let p = profile_dir().join("mqsim");
    assert!(p.exists(), "{} is missing: build first: cargo build --workspace [--release]", p.display());
    p
}

/// A port nobody listens on right now (the kernel's choice for port 0).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct SimQm {
    pub dir: tempfile::TempDir,
    pub qm: String,
    /// The installation's mq user (`mqsim install --user`).
    pub user: String,
}

impl SimQm {
    /// Installs a simulated MQ and creates (not starts) a queue manager.
    pub fn create(tag: &str) -> SimQm {
        SimQm::create_as(tag, "mqm")
    }

    /// The same with another mq user (and its group) for the installation.
    pub fn create_as(tag: &str, user: &str) -> SimQm {
        let qm = format!("FW{tag}{}X{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        SimQm::create_named(qm, user)
    }

    /// A queue manager of the same name in another installation, as a second MQ version would have.
    pub fn twin(&self) -> SimQm {
        SimQm::create_named(self.qm.clone(), &self.user)
    }

    fn create_named(qm: String, user: &str) -> SimQm {
        let dir = tempfile::Builder::new().prefix("mqha-fw-").tempdir().unwrap();
        // The mq user must reach the data below the temp dir.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let sim = SimQm { dir, qm, user: user.to_string() };
        let group = nix::unistd::Group::from_gid(
            nix::unistd::User::from_name(user).unwrap().expect("mq user: run tests/setup.sh").gid,
        )
        .unwrap()
        .unwrap()
        .name;
        let o = Command::new(mqsim_bin())
            .arg("install")
            .arg(sim.root())
            .args(["--user", user, "--group", &group])
            .output()
            .unwrap();
        assert!(o.status.success(), "mqsim install: {}", String::from_utf8_lossy(&o.stderr));
        let o = sim.as_mqm(&sim.bin("crtmqm"), &[&sim.qm], None);
        assert!(
            o.status.success(),
            "crtmqm {}: {}{}",
            sim.qm,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        sim
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub fn installation(&self) -> PathBuf {
        self.root().join("opt/mqm")
    }

    pub fn bin(&self, cmd: &str) -> PathBuf {
        self.installation().join("bin").join(cmd)
    }

    /// Runs an installation command as its mq user, as an administrator would.
    pub fn as_mqm(&self, prog: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let u = nix::unistd::User::from_name(&self.user).unwrap().expect("mq user: run tests/setup.sh");
        let mut c = Command::new(prog);
        c.args(args).current_dir("/").stdout(Stdio::piped()).stderr(Stdio::piped());
        c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let (uid, gid) = (u.uid.as_raw(), u.gid.as_raw());
        // Groups first (root's must go), then gid, then uid, as a login as mqm would have them.
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            c.pre_exec(move || {
                if libc::setgroups(1, &gid) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = c.spawn().unwrap_or_else(|e| panic!("{}: {e}", prog.display()));
        if let (Some(s), Some(mut w)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            let _ = w.write_all(s.as_bytes());
        }
        child.wait_with_output().unwrap()
    }

    pub fn start_qm(&self) {
        let o = self.as_mqm(&self.bin("strmqm"), &[&self.qm], None);
        assert!(
            o.status.success(),
            "strmqm {}: {}{}",
            self.qm,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }

    pub fn stop_qm(&self) {
        let o = self.as_mqm(&self.bin("endmqm"), &["-i", &self.qm], None);
        assert!(o.status.success(), "endmqm -i {}: {}", self.qm, String::from_utf8_lossy(&o.stderr));
    }

    /// The queue manager's data directory (the installation's default data path).
    pub fn data_dir(&self) -> PathBuf {
        self.root().join("var/mqm/qmgrs").join(&self.qm)
    }

    pub fn mqsc(&self, script: &str) -> String {
        let o = self.as_mqm(&self.bin("runmqsc"), &[&self.qm], Some(script));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// `mqsim kill ROOT QM COMPONENT`.
    pub fn kill(&self, component: &str) {
        let o = Command::new(mqsim_bin()).arg("kill").arg(self.root()).arg(&self.qm).arg(component).output().unwrap();
        assert!(o.status.success(), "mqsim kill {component}: {}", String::from_utf8_lossy(&o.stderr));
    }

    /// The OCF environment of a resource of this queue manager, plus `extra`.
    pub fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut e = vec![
            ("OCF_ROOT".to_string(), "/usr/lib/ocf".to_string()),
            ("OCF_RESOURCE_INSTANCE".to_string(), format!("test-{}", self.qm)),
            ("OCF_RESKEY_qmgr".to_string(), self.qm.clone()),
            ("OCF_RESKEY_mq_installation".to_string(), self.installation().display().to_string()),
            ("OCF_RESKEY_CRM_meta_timeout".to_string(), "30000".to_string()),
        ];
        for (k, v) in extra {
            e.retain(|(ek, _)| ek != k);
            e.push((k.to_string(), v.to_string()));
        }
        e
    }
}

impl Drop for SimQm {
    fn drop(&mut self) {
        // Kills every process of this installation (queue manager, runmqlsr, runmqtrm).
        let _ = Command::new(mqsim_bin())
            .arg("cleanup")
            .arg(self.root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs the agent under `name` with exactly `env`.
pub fn agent(links: &super::Links, name: &str, action: &str, env: &[(String, String)]) -> Output {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    links.run(name, action, &pairs)
}

/// Runs the agent in a mount namespace of its own where `hung` is a mount point that never answers
/// (a FUSE connection nobody serves: every look below it blocks, as on a hard NFS mount whose
/// server is gone). Returns its output, or None when it was still running after `within`.
pub fn agent_on_hung_storage(
    links: &super::Links,
    name: &str,
    action: &str,
    env: &[(String, String)],
    hung: &Path,
    within: Duration,
) -> Option<Output> {
    use std::ffi::CString;
    const FD: libc::c_int = 100;
    let dev = CString::new("/dev/fuse").unwrap();
    let root = CString::new("/").unwrap();
    let target = CString::new(hung.as_os_str().as_encoded_bytes()).unwrap();
    let fstype = CString::new("fuse").unwrap();
    let source = CString::new("mqha-hung").unwrap();
    let opts = CString::new(format!("fd={FD},rootmode=40000,user_id=0,group_id=0")).unwrap();
    let mut c = Command::new(links.path(name));
    c.arg(action).env_clear().stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    // SAFETY: only system calls between fork and exec; every string was made before the fork.
    unsafe {
        c.pre_exec(move || {
            let fail = || Err(std::io::Error::last_os_error());
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return fail();
            }
            // Nothing of this mount may reach the host's namespace.
            if libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) != 0
            {
                return fail();
            }
            let fd = libc::open(dev.as_ptr(), libc::O_RDWR);
            if fd < 0 || libc::dup2(fd, FD) != FD {
                return fail();
            }
            // The agent inherits the connection and never reads it: nothing ever answers.
            if libc::mount(
                source.as_ptr(),
                target.as_ptr(),
                fstype.as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                opts.as_ptr().cast(),
            ) != 0
            {
                return fail();
            }
            Ok(())
        });
    }
    let mut child = c.spawn().unwrap_or_else(|e| panic!("cannot run {name} on hung storage: {e}"));
    let end = Instant::now() + within;
    while Instant::now() < end {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Waits (bounded) until `f` holds.
pub fn eventually(within: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + within;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
pub fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

/// Runs resource-agents' ocf-tester on `agent` with `-o` options; the agent is copied where
/// `nobody` can run it (ocf-tester runs meta-data as nobody). Returns (exit code, output).
pub fn ocf_tester(agent: &str, name: &str, options: &[(&str, String)]) -> (i32, String) {
    use std::os::unix::fs::PermissionsExt;
    let tester = Path::new("/usr/sbin/ocf-tester");
    assert!(tester.exists(), "ocf-tester is missing: run tests/setup.sh (resource-agents)");
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("ibmmq");
    std::fs::copy(super::agent_bin(), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join(agent);
    if agent != "ibmmq" {
        std::os::unix::fs::symlink(&bin, &path).unwrap();
    }
    let mut c = Command::new(tester);
    c.arg("-n").arg(name);
    for (k, v) in options {
        c.arg("-o").arg(format!("{k}={v}"));
    }
    let o = c.arg(&path).stdin(Stdio::null()).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
    )
}
