//! Another local user runs a look-alike of a queue-manager process: a world-executable program
//! under the installation, with the right program name and `-m QM` in its argv, but that user's
//! effective uid. It is not the queue manager's: stop leaves it alone, a probe says 7, start still
//! works, and it is never taken for the mq user. Run as root.
//!
//! The simulator's own programs exit at once when a user outside the mq group runs them, so the
//! look-alike is a copy of dash placed in the installation: `dash -m QM ARGS` reads the script file
//! `QM` from its working directory and keeps running it, and /proc shows the exe under the
//! installation and the argv `NAME -m QM ARGS`.

use mq_testkit::*;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// A look-alike `name -m qm rest...` run by `user` from a world-executable file of `sim`'s
/// installation (outside bin/, so the simulator's own checks of its bin/ do not see it). Killed
/// with its process group when dropped.
struct Lookalike {
    proc: Spawned,
    _cwd: tempfile::TempDir,
}

impl Lookalike {
    fn run(sim: &Sim, user: &str, name: &str, qm: &str, rest: &[&str]) -> Lookalike {
        let dir = sim.inst().join("lookalike");
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("prog");
        if !exe.exists() {
            std::fs::copy("/bin/dash", &exe).unwrap();
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cwd = tempfile::tempdir().unwrap();
        std::fs::set_permissions(cwd.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(cwd.path().join(qm), "while :; do sleep 1; done\n").unwrap();
        std::fs::set_permissions(cwd.path().join(qm), std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut cmd = Command::new(&exe);
        User::named(user).apply(&mut cmd);
        cmd.current_dir(cwd.path()).arg0(name).arg("-m").arg(qm).args(rest);
        let proc = Spawned::start(&mut cmd);
        let want: Vec<String> = [name, "-m", qm].iter().chain(rest.iter()).map(|s| s.to_string()).collect::<Vec<_>>();
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let argv = std::fs::read(format!("/proc/{}/cmdline", proc.pid())).unwrap_or_default();
            let argv: Vec<String> =
                argv.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into()).collect();
            let exe_now = std::fs::read_link(format!("/proc/{}/exe", proc.pid())).unwrap_or_default();
            if argv == want && exe_now == exe {
                break;
            }
            assert!(Instant::now() < until, "look-alike {want:?} never showed up (argv {argv:?})");
            std::thread::sleep(Duration::from_millis(20));
        }
        Lookalike { proc, _cwd: cwd }
    }

    fn alive(&self) -> bool {
        alive(self.proc.pid())
    }
}

/// The uids that ran `program` according to the simulator's command log.
fn ran_as(sim: &Sim, program: &str) -> Vec<u32> {
    let ran = std::fs::read_to_string(sim.root.join(".mqsim/commands.log")).unwrap_or_default();
    ran.lines()
        .filter(|l| l.split(' ').nth(2) == Some(program))
        .filter_map(|l| l.split(' ').nth(1).and_then(|e| e.parse().ok()))
        .collect()
}

/// The simulator's record (`UID EUID PROGRAM ARGS` per command) shows nothing run as root.
fn assert_nothing_ran_as_root(sim: &Sim) {
    let ran = std::fs::read_to_string(sim.root.join(".mqsim/commands.log")).unwrap_or_default();
    let by_root: Vec<&str> = ran.lines().filter(|l| l.split(' ').take(2).any(|id| id == "0")).collect();
    assert!(by_root.is_empty(), "installation programs run as root:\n{}", by_root.join("\n"));
}

#[test]
fn a_lookalike_execution_controller_is_left_alone_and_not_taken_for_the_mq_user() {
    let sim = SimQm::create("LQ");
    let fake = Lookalike::run(&sim, "nobody", "amqzxma0", &sim.qm, &[]);
    assert_eq!(sim.probe(&sim.qm).rc, 7, "probe with only the look-alike here");
    let r = sim.act("stop", &sim.qm);
    assert_eq!(r.rc, 0, "stop with only the look-alike here: {r:?}");
    assert!(fake.alive(), "stop killed another user's look-alike");

    let r = sim.act("start", &sim.qm);
    assert_eq!(r.rc, 0, "start with a look-alike present: {r:?}");
    let mqm = User::named("mqm").uid;
    let strmqm = ran_as(&sim, "strmqm");
    assert!(!strmqm.is_empty() && strmqm.iter().all(|u| *u == mqm), "strmqm run by {strmqm:?}, not mqm ({mqm})");
    assert_eq!(sim.monitor(&sim.qm, 0).rc, 0);
    let r = sim.act("stop", &sim.qm);
    assert_eq!(r.rc, 0, "stop: {r:?}");
    assert!(fake.alive(), "stop of the real queue manager killed the look-alike");
    assert_eq!(sim.probe(&sim.qm).rc, 7, "probe after stop");
}

#[test]
fn a_lookalike_of_a_user_outside_the_mq_group_is_not_ours_either() {
    let sim = SimQm::create("LG");
    let fake = Lookalike::run(&sim, "mqm2", "amqzxma0", &sim.qm, &[]);
    assert_eq!(sim.probe(&sim.qm).rc, 7, "probe with only mqm2's look-alike here");
    assert_eq!(sim.act("stop", &sim.qm).rc, 0);
    assert!(fake.alive(), "stop killed mqm2's look-alike");
}

/// `agent`'s probe says 7 with only another user's look-alike `program` (args `rest`) running,
/// its stop leaves it alive, and the real component still starts, runs and stops beside it.
fn component_ignores_lookalike(agent: &str, tag: &str, program: &str, rest: &[&str], env: &[(&str, &str)]) {
    let links = Links::new();
    let sim = SimQm::create(tag);
    sim.start();
    let env = sim.env(env);
    let fake = Lookalike::run(&sim, "nobody", program, &sim.qm, rest);
    let r = links.run(agent, "monitor", &env);
    assert_eq!(r.rc, 7, "{agent} probe with only a look-alike {program}: {r:?}");
    let r = links.run(agent, "stop", &env);
    assert_eq!(r.rc, 0, "{agent} stop: {r:?}");
    assert!(fake.alive(), "{agent} stop killed another user's {program} look-alike");
    for (action, want) in [("start", 0), ("monitor", 0), ("stop", 0)] {
        let r = links.run(agent, action, &env);
        assert_eq!(r.rc, want, "{agent} {action} with a look-alike present: {r:?}");
    }
    assert!(fake.alive(), "the look-alike {program} did not survive the real one's stop");
}

#[test]
fn a_lookalike_runmqlsr_is_left_alone() {
    let port = free_port().to_string();
    component_ignores_lookalike(
        "ibmmq-listener",
        "LL",
        "runmqlsr",
        &["-t", "TCP", "-p", &port],
        &[("OCF_RESKEY_port", &port)],
    );
}

/// A spoofed runmqtrm must not make the trigger probe report the resource active here too.
#[test]
fn a_lookalike_runmqtrm_is_left_alone_and_not_reported_active() {
    component_ignores_lookalike("ibmmq-trigger", "LT", "runmqtrm", &["-q", "SYSTEM.DEFAULT.INITIATION.QUEUE"], &[]);
}

/// The data directory a symlink to a root-owned place: the owner there is root, never the mq
/// user; the agent refuses (5) and runs no program of the installation as root.
#[test]
fn a_data_directory_symlinked_to_a_root_owned_place_is_refused() {
    let sim = SimQm::create("LS");
    let data = sim.data().join("qmgrs").join(&sim.qm);
    let moved = sim.data().join("qmgrs").join(format!("{}.real", sim.qm));
    std::fs::rename(&data, &moved).unwrap();
    let rootdir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(rootdir.path(), &data).unwrap();
    for action in ["start", "validate-all"] {
        let r = sim.agent(action, &[("qmgr", &sim.qm)], &[("OCF_CHECK_LEVEL", "10")]);
        assert_eq!(r.rc, 5, "{action} with the data directory a link to root's: {r:?}");
        assert!(r.reason().contains("uid 0") && r.reason().contains("mq_user="), "{}", r.reason());
    }
    // The same cause, the same code in the listener and trigger agents.
    let links = Links::new();
    let port = free_port().to_string();
    let env = sim.env(&[("OCF_CHECK_LEVEL", "10"), ("OCF_RESKEY_port", &port)]);
    for agent in ["ibmmq-listener", "ibmmq-trigger"] {
        let r = links.run(agent, "validate-all", &env);
        assert_eq!(r.rc, 5, "{agent} validate-all with the data directory a link to root's: {r:?}");
        assert!(r.reason().contains("uid 0"), "{agent}: {}", r.reason());
    }
    assert_nothing_ran_as_root(&sim);
    assert!(sim.qm_pids(&sim.qm).is_empty(), "started despite the refusal");
}

/// An installation named through a symlink: /proc shows the real path of its programs, and the
/// queue manager is still found (the path is made canonical before comparing).
#[test]
fn an_installation_reached_through_a_symlink_still_matches() {
    let sim = SimQm::create("LP");
    sim.start();
    let links = tempfile::tempdir().unwrap();
    let link = links.path().join("mqm");
    std::os::unix::fs::symlink(sim.inst(), &link).unwrap();
    let via_link =
        |action: &str, extra: &[(&str, &str)]| sim.ocf(&sim.qm).param("mq_installation", &link).with(extra).run(action);
    let r = via_link("monitor", &[]);
    assert_eq!(r.rc, 0, "probe through the link of a running queue manager: {r:?}");
    let r = via_link("stop", &[]);
    assert_eq!(r.rc, 0, "stop through the link: {r:?}");
    assert!(sim.qm_pids(&sim.qm).is_empty(), "stop through the link left processes");
}

/// A resource that names root as its mq user is refused: no program of MQ runs as root.
#[test]
fn mq_user_root_is_refused() {
    let sim = SimQm::create("LR");
    let links = Links::new();
    let env = sim.env(&[("OCF_CHECK_LEVEL", "10"), ("OCF_RESKEY_mq_user", "root")]);
    let r = links.run("ibmmq-trigger", "validate-all", &env);
    // A named user that cannot be used here is 2 (invalid on this node) in every agent.
    assert_eq!(r.rc, 2, "trigger validate-all with mq_user=root: {r:?}");
    assert!(r.reason().contains("uid 0"), "{}", r.reason());
    let r = sim.agent("start", &[("qmgr", &sim.qm), ("mq_user", "root")], &[]);
    assert_eq!(r.rc, 2, "start with mq_user=root: {r:?}");
    assert!(r.reason().contains("uid 0"), "{}", r.reason());
    assert_nothing_ran_as_root(&sim);
}
