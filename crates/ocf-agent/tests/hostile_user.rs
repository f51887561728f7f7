//! The mq user is not root: what it controls must not make the root agent run its code as root.
//! The built agent against a simulated installation whose mq user replaced programs of the
//! installation by scripts that record who ran them. Run as root.

use mq_testkit::*;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Replaces `bin/<prog>` by a script that appends `<prog> <uid> <euid>` to `log`, then runs the
/// real program (kept as a hard link under bin/.real, so it still knows its installation).
fn replace_by_recorder(sim: &Sim, prog: &str, log: &Path) {
    let real_dir = sim.inst().join("bin/.real");
    std::fs::create_dir_all(&real_dir).unwrap();
    let real = real_dir.join(prog);
    std::fs::rename(sim.bin(prog), &real).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"{prog} $(id -u) $(id -u -r)\" >> '{}'\nexec '{}' \"$@\"\n",
        log.display(),
        real.display()
    );
    std::fs::write(sim.bin(prog), script).unwrap();
    std::fs::set_permissions(sim.bin(prog), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mqm = User::named("mqm");
    std::os::unix::fs::chown(sim.bin(prog), Some(mqm.uid), Some(mqm.gid)).unwrap();
}

/// A log every user can append to, and `dspmqver` and `dspmq` replaced by recorders writing to it.
fn plant_recorders(sim: &Sim) -> PathBuf {
    let log = sim.root.join("uids.log");
    std::fs::write(&log, "").unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).unwrap();
    for prog in ["dspmqver", "dspmq"] {
        replace_by_recorder(sim, prog, &log);
    }
    log
}

/// The recorders ran, never as root; and the simulator's own record (`UID EUID PROGRAM ARGS`)
/// shows no program of the installation run with uid or euid 0.
fn assert_never_root(sim: &Sim, log: &Path, expected: &[&str]) {
    let recorded = std::fs::read_to_string(log).unwrap();
    for prog in expected {
        assert!(recorded.lines().any(|l| l.starts_with(&format!("{prog} "))), "{prog} never ran:\n{recorded}");
    }
    let as_root: Vec<&str> = recorded.lines().filter(|l| l.split(' ').skip(1).any(|id| id == "0")).collect();
    assert!(as_root.is_empty(), "replaced programs ran as root:\n{}", as_root.join("\n"));
    let ran = std::fs::read_to_string(sim.root.join(".mqsim/commands.log")).expect("the simulator's command log");
    assert!(!ran.is_empty());
    let by_root: Vec<&str> = ran.lines().filter(|l| l.split(' ').take(2).any(|id| id == "0")).collect();
    assert!(by_root.is_empty(), "installation programs run by root:\n{}", by_root.join("\n"));
}

#[test]
fn no_program_the_mq_user_replaced_runs_as_root() {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QM1").rc, 0);
    let log = plant_recorders(&sim);

    let r = sim.act("validate-all", "QM1");
    assert_eq!(r.rc, 0, "validate-all: {r:?}");
    assert_eq!(sim.probe("QM1").rc, 7, "probe of a stopped QM");
    let r = sim.act("start", "QM1");
    assert_eq!(r.rc, 0, "start: {r:?}");
    let r = sim.monitor("QM1", 10);
    assert_eq!(r.rc, 0, "monitor depth 10: {r:?}");
    let r = sim.act("stop", "QM1");
    assert_eq!(r.rc, 0, "stop: {r:?}");
    assert_eq!(sim.probe("QM1").rc, 7, "probe after stop");
    let ran = std::fs::read_to_string(sim.root.join(".mqsim/commands.log")).unwrap();
    assert!(ran.lines().any(|l| l.split(' ').nth(2) == Some("strmqm")), "{ran}");
    assert_never_root(&sim, &log, &["dspmqver", "dspmq"]);
}

#[test]
fn listener_and_trigger_agents_run_no_replaced_program_as_root() {
    let links = Links::new();
    let sim = SimQm::create("HU");
    sim.start();
    let log = plant_recorders(&sim);
    let ps = free_port().to_string();
    let listener = sim.env(&[("OCF_RESKEY_port", &ps)]);
    let trigger = sim.env(&[]);
    for (agent, env) in [("ibmmq-listener", &listener), ("ibmmq-trigger", &trigger)] {
        for (action, want) in [("validate-all", 0), ("monitor", 7), ("start", 0), ("monitor", 0), ("stop", 0)] {
            let r = links.run(agent, action, env);
            assert_eq!(r.rc, want, "{agent} {action}: {r:?}");
        }
    }
    assert_never_root(&sim, &log, &["dspmqver"]);
}

/// Pacemaker passes the environment it has; a variable that is not UTF-8 (any local user's
/// resource parameter can be) must not panic the agent: a stop that exits 101 gets the node fenced.
#[test]
fn a_non_utf8_environment_variable_is_no_panic() {
    use std::os::unix::ffi::OsStrExt;
    let sim = Sim::started("9.3.0.0", "QMU");
    let bad = std::ffi::OsStr::from_bytes(b"caf\xe9");
    for (key, action, want) in [
        ("MQHA_SOMETHING_ELSE", "stop", 0),
        ("OCF_RESKEY_CRM_meta_notify_type", "stop", 0),
        ("OCF_RESKEY_CRM_meta_timeout", "stop", 0),
        ("MQHA_SOMETHING_ELSE", "monitor", 7),
    ] {
        let run = sim.ocf("QMU").set(key, bad).run(action);
        assert_eq!(run.rc, want, "{action} with {key} not UTF-8: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{action} with {key}: {}", run.stderr);
    }
}

/// Pacemaker SIGKILLs an agent whose operation overran; the MQI probe child it forked (running as
/// the mq user) must not outlive it, or the next strmqm finds it attached to the queue manager.
#[test]
fn no_mqi_probe_outlives_a_killed_agent() {
    let sim = Sim::started("9.3.0.0", "QMK");
    sim.fault("QMK", "hang", None);
    let mut agent =
        sim.ocf("QMK").set("OCF_CHECK_LEVEL", "10").set("OCF_RESKEY_CRM_meta_interval", "20000").spawn("monitor");
    let agent_pid = agent.pid();
    let probe_of = |parent: i32| {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .find(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                let ppid = stat.rsplit(") ").next().and_then(|r| r.split(' ').nth(1)).and_then(|p| p.parse().ok());
                comm.trim() == "mqha-mqi-probe" && ppid == Some(parent)
            })
    };
    let probe = eventually("the agent's MQI probe child", std::time::Duration::from_secs(10), || probe_of(agent_pid));
    // Only the agent, as a timeout of its own operation would: not its process group.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(agent_pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    let _ = agent.child.wait();
    eventually("the probe child to end with its parent", std::time::Duration::from_secs(5), || {
        !std::path::Path::new(&format!("/proc/{probe}")).exists()
            || std::fs::read_to_string(format!("/proc/{probe}/stat")).unwrap_or_default().contains(") Z")
    });
    sim.clear_fault("QMK", "hang");
}
