//! A simulated MQ installation under a private temporary root, and a queue manager in it. Drop
//! runs `mqsim cleanup ROOT`: every process running a program of that root is killed (queue
//! manager, listeners, trigger monitors, applications), also when the test failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::bins::mqsim_exe;
use crate::procs::{free_port, port_open, processes_under, qm_pids, Proc};
use crate::run::{run, run_input, Run, Spawned, User};
use crate::wait::eventually;

/// runmqsc and the samples: their own deadline, so a hung queue manager cannot hang a test.
const MQSC_LIMIT: Duration = Duration::from_secs(60);

/// One simulated installation ("node").
pub struct Sim {
    pub root: PathBuf,
    /// The installation's mq user (`mqsim install --user`).
    pub user: String,
    /// Where its code is under ROOT (`mqsim install --prefix`, default `opt/mqm`).
    pub prefix: String,
    _dir: Option<tempfile::TempDir>,
}

impl Sim {
    /// An installation made with `mqsim install ROOT options` (e.g. `--version 9.3.0.0`,
    /// `--node other.example.com`, `--user mqm2 --group mqm2`).
    pub fn install(options: &[&str]) -> Sim {
        let dir = tempfile::Builder::new().prefix("mqha-sim-").tempdir_in("/tmp").expect("tempdir");
        // The mq user must be able to traverse to its data.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let root = dir.path().join("root");
        let mut sim = Sim::install_at(root, options);
        sim._dir = Some(dir);
        sim
    }

    /// Installation `version` with queue manager `qm` created and started (by the mq user), and the MQI
    /// library in place.
    pub fn started(version: &str, qm: &str) -> Sim {
        let sim = Sim::install(&["--version", version]);
        assert!(
            sim.inst().join("lib64/libmqm_r.so").exists(),
            "no libmqm_r.so in the installation: build first: cargo build --workspace [--release]"
        );
        sim.ok("crtmqm", &[qm]);
        sim.ok("strmqm", &[qm]);
        sim
    }

    /// A second installation in the same temporary directory (a second "node"); it has its own
    /// Drop, the directory goes with the first.
    pub fn install_beside(&self, name: &str, options: &[&str]) -> Sim {
        Sim::install_at(self.root.parent().unwrap().join(name), options)
    }

    /// Two "nodes" (nodea.example.com, nodeb.example.com) sharing the data and logs of queue
    /// manager `qm` in DIR/shared: crtmqm -md/-ld on A, addmqinf on B, both as the mq user.
    pub fn multi_instance(qm: &str) -> (Sim, Sim) {
        Sim::multi_instance_of("9.3.0.0", qm)
    }

    /// `multi_instance` with both installations at MQ `version` (e.g. 9.4.0.0).
    pub fn multi_instance_of(version: &str, qm: &str) -> (Sim, Sim) {
        let a = Sim::install(&["--node", "nodea.example.com", "--version", version]);
        let b = a.install_beside("nodeb", &["--node", "nodeb.example.com", "--version", version]);
        let shared = a.dir().join("shared");
        let mqm = User::named(&a.user);
        for d in [shared.clone(), shared.join("qmgrs"), shared.join("logs")] {
            std::fs::create_dir_all(&d).unwrap();
            std::os::unix::fs::chown(&d, Some(mqm.uid), Some(mqm.gid)).unwrap();
        }
        let s = |d: &str| shared.join(d).to_str().unwrap().to_string();
        let r = a.mq("crtmqm", &["-ld", &s("logs"), "-md", &s("qmgrs"), qm]);
        assert_eq!(r.rc, 0, "crtmqm on A: {r:?}");
        let line = a.mq("dspmqinf", &["-o", "command", qm]).stdout;
        let args: Vec<&str> = line.trim_end().split(' ').skip(1).collect();
        let r = b.mq("addmqinf", &args);
        assert_eq!(r.rc, 0, "addmqinf on B: {r:?}");
        (a, b)
    }

    /// A Native HA group of queue manager `qm`: three installations ("nodes") `nodea.example.com`,
    /// `nodeb.example.com`, `nodec.example.com` at MQ `version` (9.4.4 or later) in one temporary
    /// directory, each with its OWN data and log (nothing shared). On each, as the mq user,
    /// `crtmqm -lr INSTANCE QM` (instances `NHA_INSTANCES`, in node order), then the three
    /// `NativeHAInstance` stanzas written into each qm.ini as an administrator edits it:
    /// `ReplicationAddress=127.0.0.1(PORT)` on three free loopback ports, and
    /// `LocalAddress=127.0.0.1` so that no instance listens beyond loopback. Nothing is started.
    pub fn native_ha_of(version: &str, qm: &str) -> [Sim; 3] {
        Sim::native_ha_with(version, qm, &[])
    }

    /// `native_ha_of` with more crtmqm options on every node (e.g. `-p PORT`: the listener that
    /// starts on the elected active).
    pub fn native_ha_with(version: &str, qm: &str, crtmqm: &[&str]) -> [Sim; 3] {
        let install = |beside: Option<&Sim>, node: &str| {
            let host = format!("{node}.example.com");
            let options = ["--node", host.as_str(), "--version", version];
            match beside {
                None => Sim::install(&options),
                Some(first) => first.install_beside(node, &options),
            }
        };
        let a = install(None, NHA_INSTANCES[0]);
        let b = install(Some(&a), NHA_INSTANCES[1]);
        let c = install(Some(&a), NHA_INSTANCES[2]);
        let mut ports: Vec<u16> = Vec::new();
        while ports.len() < 3 {
            let p = free_port();
            if !ports.contains(&p) {
                ports.push(p);
            }
        }
        let group: Vec<(&str, u16)> = NHA_INSTANCES.iter().copied().zip(ports.iter().copied()).collect();
        let nodes = [a, b, c];
        for (node, instance) in nodes.iter().zip(NHA_INSTANCES) {
            let mut args = vec!["-lr", instance];
            args.extend_from_slice(crtmqm);
            args.push(qm);
            let r = node.mq("crtmqm", &args);
            assert_eq!(r.rc, 0, "crtmqm -lr {instance} {qm}: {r:?}");
            node.write_native_ha_stanzas(qm, Some("127.0.0.1"), &group);
        }
        nodes
    }

    /// The qm.ini of `qm` in this installation's data directory (names without `.` or `/`).
    pub fn qm_ini(&self, qm: &str) -> PathBuf {
        self.data().join("qmgrs").join(qm).join("qm.ini")
    }

    /// Writes `instances` as the `NativeHAInstance` stanzas of `qm`'s qm.ini (replacing any there)
    /// and, when given, `LocalAddress` into its `NativeHALocalInstance` stanza; the file keeps its
    /// owner (the mq user).
    pub fn write_native_ha_stanzas(&self, qm: &str, local_address: Option<&str>, instances: &[(&str, u16)]) {
        let path = self.qm_ini(qm);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Drop the NativeHAInstance stanzas (a key line and its indented attributes).
        let mut out = String::new();
        let (mut skipping, mut in_local) = (false, false);
        for line in text.lines() {
            let indented = line.starts_with(' ') || line.starts_with('\t');
            if !indented && line.trim_end().ends_with(':') {
                skipping = line.trim() == "NativeHAInstance:";
                in_local = line.trim() == "NativeHALocalInstance:";
            }
            if skipping || (in_local && local_address.is_some() && line.trim().starts_with("LocalAddress=")) {
                continue;
            }
            out.push_str(line);
            out.push('\n');
            if let (Some(addr), true, true) = (local_address, in_local, line.trim().starts_with("Name=")) {
                out.push_str(&format!("   LocalAddress={addr}\n"));
            }
        }
        for (name, port) in instances {
            out.push_str(&format!("NativeHAInstance:\n   Name={name}\n   ReplicationAddress=127.0.0.1({port})\n"));
        }
        std::fs::write(&path, out).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// The ROLE of `dspmq -n -o nativeha -m QM` on this node (ACTIVE, REPLICA, UNKNOWN, NOT CONFIGURED).
    pub fn nha_role(&self, qm: &str) -> String {
        let r = self.mq("dspmq", &["-n", "-o", "nativeha", "-m", qm]);
        r.stdout.split("ROLE(").nth(1).and_then(|s| s.split(')').next()).unwrap_or_default().to_string()
    }

    /// Waits until this node's dspmq shows ROLE `want` (ACTIVE, REPLICA, UNKNOWN) for `qm`.
    pub fn wait_role(&self, qm: &str, want: &str, within: Duration) {
        eventually(&format!("{qm} to have ROLE({want})"), within, || match self.nha_role(qm) {
            s if s == want => Ok(()),
            s => Err(s),
        })
    }

    /// Which of the three nodes dspmq calls ACTIVE, when exactly one does (each asked on its own node).
    pub fn active_of(nodes: &[Sim; 3], qm: &str) -> Option<usize> {
        let active: Vec<usize> = (0..3).filter(|i| nodes[*i].nha_role(qm) == "ACTIVE").collect();
        match active.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Another installation under this same ROOT, in ROOT/`prefix` (`mqsim install ROOT --prefix
    /// PREFIX options`, e.g. `--name Installation2 --version 9.4.0.0`): it shares ROOT/var/mqm, the
    /// registry and the command log, as a second MQ version does on one machine. Its Drop cleans
    /// up ROOT too.
    pub fn install_in_root(&self, prefix: &str, options: &[&str]) -> Sim {
        let mut all = vec!["--prefix", prefix];
        all.extend_from_slice(options);
        Sim::install_at(self.root.clone(), &all)
    }

    fn install_at(root: PathBuf, options: &[&str]) -> Sim {
        let r = run(Command::new(mqsim_exe()).arg("install").arg(&root).args(options));
        assert_eq!(r.rc, 0, "mqsim install {options:?}: {r:?}");
        let opt = |name: &str| options.windows(2).find(|w| w[0] == name).map(|w| w[1].to_string());
        let user = opt("--user").unwrap_or_else(|| "mqm".into());
        let prefix = opt("--prefix").unwrap_or_else(|| "opt/mqm".into());
        Sim { root, user, prefix, _dir: None }
    }

    /// The temporary directory holding this root (and any installed beside it).
    pub fn dir(&self) -> &Path {
        self.root.parent().unwrap()
    }

    /// ROOT/opt/mqm (or ROOT/PREFIX): the installation's directory.
    pub fn inst(&self) -> PathBuf {
        self.root.join(&self.prefix)
    }

    /// ROOT/var/mqm: the data directory.
    pub fn data(&self) -> PathBuf {
        self.root.join("var/mqm")
    }

    pub fn bin(&self, prog: &str) -> PathBuf {
        self.inst().join("bin").join(prog)
    }

    /// A sample program (amqsput, amqsgetc, ...).
    pub fn samp(&self, prog: &str) -> PathBuf {
        self.inst().join("samp/bin").join(prog)
    }

    /// A command of the installation, run by the test's own user (root).
    pub fn run(&self, prog: &str, args: &[&str]) -> Run {
        run(Command::new(self.bin(prog)).args(args))
    }

    /// A command of the installation as `user`, as that user would run it from a shell.
    pub fn run_as(&self, user: User, prog: &str, args: &[&str]) -> Run {
        run(user.apply(Command::new(self.bin(prog)).args(args)))
    }

    /// A command of the installation as root in the mq group (a supplementary group of this
    /// command only).
    pub fn run_as_root_in_group(&self, prog: &str, args: &[&str]) -> Run {
        let group = self.group();
        run(User::root_in_group(&group, Command::new(self.bin(prog)).args(args)))
    }

    /// The installation's mq group (the mq user's primary group).
    pub fn group(&self) -> String {
        let gid = User::named(&self.user).gid;
        nix::unistd::Group::from_gid(gid.into()).unwrap().expect("the mq user's group").name
    }

    /// A command of the installation as its mq user, as an administrator would run it.
    pub fn mq(&self, prog: &str, args: &[&str]) -> Run {
        self.run_as(User::named(&self.user), prog, args)
    }

    /// crtmqm QM as the mq user.
    pub fn crtmqm(&self, qm: &str) -> Run {
        self.mq("crtmqm", &[qm])
    }

    /// A command that must succeed, run by the mq user as an administrator does (root outside
    /// the mq group is refused with AMQ7077E, as by MQ).
    pub fn ok(&self, prog: &str, args: &[&str]) -> Run {
        let r = self.mq(prog, args);
        assert_eq!(r.rc, 0, "{prog} {args:?} failed: {r:?}");
        r
    }

    /// runmqlsr for `qm` (by the mq user) on a free loopback port, once it accepts connections
    /// (within `within`); killed on Drop of the Spawned. On a standby's node it is the listener an
    /// administrator runs there by hand.
    pub fn listen_for(&self, qm: &str, within: Duration) -> (Spawned, u16) {
        let port = free_port();
        let lsr = Spawned::start(
            User::named(&self.user)
                .apply(&mut Command::new(self.bin("runmqlsr")))
                .args(["-m", qm, "-t", "tcp", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        eventually(&format!("runmqlsr of {qm} to listen on {port}"), within, || port_open(port));
        (lsr, port)
    }

    /// `mqsim VERB ROOT REST...`.
    pub fn mqsim(&self, args: &[&str]) -> Run {
        run(Command::new(mqsim_exe()).arg(args[0]).arg(&self.root).args(&args[1..]))
    }

    fn mqsim_ok(&self, args: &[&str]) -> Run {
        let r = self.mqsim(args);
        assert_eq!(r.rc, 0, "mqsim {args:?}: {r:?}");
        r
    }

    /// Sets simulator fault `name` (with its value) on `qm`.
    pub fn fault(&self, qm: &str, name: &str, value: Option<&str>) {
        let mut a = vec!["fault", qm, "set", name];
        a.extend(value);
        self.mqsim_ok(&a);
    }

    pub fn clear_fault(&self, qm: &str, name: &str) {
        self.mqsim_ok(&["fault", qm, "clear", name]);
    }

    /// Kills the execution controller of `qm` (and, unless `leave_children`, lets its children follow).
    pub fn crash(&self, qm: &str, leave_children: bool) {
        let mut a = vec!["crash", qm];
        a.extend(leave_children.then_some("--leave-children"));
        self.mqsim_ok(&a);
    }

    /// `mqsim kill ROOT QM COMPONENT` (listener[:PORT], cmdserver, chinit, trigger).
    pub fn kill(&self, qm: &str, component: &str) {
        self.mqsim_ok(&["kill", qm, component]);
    }

    /// Starts an application bound to `qm` as `user` (attached to its IPC and connected); its pid.
    pub fn app(&self, qm: &str, user: Option<User>) -> i32 {
        let mut c = Command::new(mqsim_exe());
        c.arg("app").arg(&self.root).arg(qm);
        if let Some(u) = user {
            u.apply(&mut c);
        }
        let r = run(&mut c);
        assert_eq!(r.rc, 0, "mqsim app {qm}: {r:?}");
        r.stdout.trim().parse().expect("mqsim app prints the pid")
    }

    /// `dspmq -n -m QM`'s STATUS value, as the mq user sees it.
    pub fn status(&self, qm: &str) -> String {
        let r = self.mq("dspmq", &["-n", "-m", qm]);
        r.stdout.split("STATUS(").nth(1).and_then(|s| s.split(')').next()).unwrap_or_default().to_string()
    }

    /// Waits until `dspmq` shows `want` for `qm`; panics naming the last status at `within`.
    pub fn wait_status(&self, qm: &str, want: &str, within: Duration) {
        eventually(&format!("{qm} to be {want}"), within, || match self.status(qm) {
            s if s == want => Ok(()),
            s => Err(s),
        })
    }

    /// Live processes running programs of this root.
    pub fn processes(&self) -> Vec<Proc> {
        processes_under(&self.root)
    }

    /// Pids of this root's processes naming `qm` with -m.
    pub fn qm_pids(&self, qm: &str) -> Vec<i32> {
        qm_pids(&self.root, qm)
    }

    /// runmqsc ARGS with `input` on stdin, by the mq user, within its deadline.
    pub fn runmqsc(&self, args: &[&str], input: &str) -> Run {
        self.program(Some(User::named(&self.user)), &self.bin("runmqsc"), args, input, &[], MQSC_LIMIT)
    }

    /// MQSC that must all succeed (rc 0) on `qm`; the report.
    pub fn mqsc_ok(&self, qm: &str, input: &str) -> String {
        let r = self.runmqsc(&[qm], input);
        assert_eq!(r.rc, 0, "runmqsc {qm} failed: {r:?}");
        r.stdout
    }

    /// A sample program with `input` on stdin and `env`, by root.
    pub fn sample(&self, name: &str, args: &[&str], input: &str, env: &[(&str, &str)]) -> Run {
        self.program(None, &self.samp(name), args, input, env, MQSC_LIMIT)
    }

    /// Any program, by `who` (None: root), as a user's program would run: loading the
    /// installation's library through its RUNPATH, not the one on cargo's LD_LIBRARY_PATH (ld.so
    /// searches that first); killed (with its process group) after `limit`.
    pub fn program(
        &self,
        who: Option<User>,
        path: &Path,
        args: &[&str],
        input: &str,
        env: &[(&str, &str)],
        limit: Duration,
    ) -> Run {
        let mut c = Command::new(path);
        c.args(args).env_remove("LD_LIBRARY_PATH").envs(env.iter().copied());
        if let Some(u) = who {
            u.apply(&mut c);
        }
        run_input(&mut c, Some(input), limit)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = run(Command::new(mqsim_exe()).arg("cleanup").arg(&self.root));
        // The owner of the directory also cleans up the installations beside it, whatever the
        // order of the drops: once the directory is gone, their processes could not be found.
        if let Some(dir) = &self._dir {
            for e in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
                if e.path() != self.root && e.path().join("opt/mqm").is_dir() {
                    let _ = run(Command::new(mqsim_exe()).arg("cleanup").arg(e.path()));
                }
            }
        }
    }
}

/// The Native HA instance names of `Sim::native_ha_of`'s nodes, in node order.
pub const NHA_INSTANCES: [&str; 3] = ["nodea", "nodeb", "nodec"];

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A created queue manager in its own installation. Its name is unique per test process and
/// call, because /proc is shared with every other test (and engineer) on the machine.
pub struct SimQm {
    pub sim: Sim,
    pub qm: String,
}

impl std::ops::Deref for SimQm {
    type Target = Sim;
    fn deref(&self) -> &Sim {
        &self.sim
    }
}

impl SimQm {
    /// Installs (mq user `mqm`) and creates, as the mq user, a queue manager named after `tag`.
    pub fn create(tag: &str) -> SimQm {
        SimQm::create_as(tag, "mqm")
    }

    /// The same with another mq user (and its primary group) for the installation.
    pub fn create_as(tag: &str, user: &str) -> SimQm {
        let gid = User::named(user).gid;
        let group = nix::unistd::Group::from_gid(gid.into()).unwrap().expect("the mq user's group").name;
        let sim = Sim::install(&["--user", user, "--group", &group]);
        let qm = format!("FW{tag}{}X{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        SimQm::create_in(sim, &qm)
    }

    /// Creates `qm` (crtmqm as the mq user) in `sim`.
    pub fn create_in(sim: Sim, qm: &str) -> SimQm {
        let r = sim.mq("crtmqm", &[qm]);
        assert_eq!(r.rc, 0, "crtmqm {qm}: {r:?}");
        SimQm { sim, qm: qm.to_string() }
    }

    /// The same queue manager name created in another installation, as a second MQ version has it.
    pub fn twin(&self) -> SimQm {
        SimQm::create_in(Sim::install(&[]), &self.qm)
    }

    /// Its data directory (the installation's data path, qmgrs/QM).
    pub fn data_dir(&self) -> PathBuf {
        self.data().join("qmgrs").join(&self.qm)
    }

    /// endmqm -i as the mq user; it must end.
    pub fn stop(&self) {
        let r = self.mq("endmqm", &["-i", &self.qm]);
        assert_eq!(r.rc, 0, "endmqm -i {}: {r:?}", self.qm);
    }

    /// strmqm as the mq user; it must start.
    pub fn start(&self) {
        let r = self.mq("strmqm", &[&self.qm]);
        assert_eq!(r.rc, 0, "strmqm {}: {r:?}", self.qm);
    }

    /// runmqsc on this queue manager as the mq user; the report, whatever its exit code.
    pub fn mqsc(&self, script: &str) -> String {
        let mut c = Command::new(self.bin("runmqsc"));
        User::named(&self.user).apply(c.arg(&self.qm));
        run_input(&mut c, Some(script), MQSC_LIMIT).stdout
    }

    /// `mqsim kill ROOT QM COMPONENT`.
    pub fn kill(&self, component: &str) {
        self.sim.kill(&self.qm, component)
    }

    /// runmqlsr (by the mq user) on a free loopback port, once it accepts connections; killed on Drop
    /// of the Spawned.
    pub fn listen(&self) -> (Spawned, u16) {
        self.sim.listen_for(&self.qm, Duration::from_secs(20))
    }

    /// Pids of this queue manager's processes.
    pub fn pids(&self) -> Vec<i32> {
        self.sim.qm_pids(&self.qm)
    }
}
