//! Who may run the installation's commands, and as whom its programs run: root is an MQ
//! administrator only in the mq group (docs/reference/mq-processes-and-files.md#mq-group-authority),
//! and the programs are set-user-id/set-group-id mq user as IBM installs them (#setuid-programs),
//! so a queue manager started by root in the group or by another member of the group runs with
//! the mq user as its effective user while the kernel keeps its /proc files root's.

use mq_testkit::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

const AMQ7077: &str = "AMQ7077E: You are not authorized to perform the requested operation.\n";

#[test]
fn root_outside_the_mq_group_is_refused_by_every_control_command() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    for (prog, args) in [
        ("crtmqm", &["QM2"][..]),
        ("strmqm", &["QM1"]),
        ("endmqm", &["QM1"]),
        ("dltmqm", &["QM1"]),
        ("dspmq", &[]),
        ("dspmqver", &[]),
        ("runmqsc", &["QM1"]),
        ("dspmqinf", &["QM1"]),
        ("amqiclen", &["-x", "-m", "QM1"]),
    ] {
        let r = sim.run(prog, args);
        assert_eq!((r.rc, r.stdout.as_str()), (119, AMQ7077), "{prog} by root (not in group mqm): {r:?}");
    }
    // Nothing happened: QM2 does not exist and QM1 is still there, ended.
    assert_eq!(sim.mq("dspmq", &["-m", "QM2"]).rc, 72);
    assert_eq!(sim.status("QM1"), "ENDED IMMEDIATELY");
    // mqconfig is not a queue-manager command (IBM runs it as root).
    assert_eq!(sim.run("mqconfig", &[]).rc, 0);
    // Root in the mq group (a supplementary group of this command only) is an administrator.
    let r = sim.run_as_root_in_group("strmqm", &["QM1"]);
    assert_eq!(r.rc, 0, "strmqm by root in group mqm: {r:?}");
    let r = sim.run_as_root_in_group("endmqm", &["-i", "QM1"]);
    assert_eq!(r.rc, 0, "endmqm by root in group mqm: {r:?}");
}

#[test]
fn programs_are_installed_set_user_id_mq_user_as_ibm_installs_them() {
    let sim = Sim::install(&[]);
    let mqm = User::named("mqm");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let owner = |p: &std::path::Path| {
        let m = std::fs::metadata(p).unwrap();
        (m.uid(), m.gid())
    };
    for prog in ["crtmqm", "strmqm", "endmqm", "dspmq", "runmqsc", "runmqlsr"] {
        assert_eq!(mode(&sim.bin(prog)), 0o6555, "{prog}");
        assert_eq!(owner(&sim.bin(prog)), (mqm.uid, mqm.gid), "{prog}");
    }
    // IBM's technote: -r-sr-s--- mqm mqm for addmqinf and the queue manager's processes.
    for prog in ["addmqinf", "amqzxma0", "amqzmgr0", "amqfcxba", "amqzlaa0"] {
        assert_eq!(mode(&sim.bin(prog)), 0o6550, "{prog}");
        assert_eq!(owner(&sim.bin(prog)), (mqm.uid, mqm.gid), "{prog}");
    }
    assert_eq!(mode(&sim.bin("mqconfig")), 0o555);
    for prog in ["amqsput", "amqsgetc", "mqsimapp"] {
        assert_eq!(mode(&sim.samp(prog)), 0o555, "{prog} runs as its caller");
    }
    let bin = sim.inst().join("bin");
    assert_eq!((mode(&bin), owner(&bin)), (0o555, (mqm.uid, mqm.gid)));
    // The build's own binary is not one of the installation's files: untouched.
    let exe = mqsim_exe();
    assert_eq!(mode(&exe) & 0o6000, 0, "{} became set-user-id", exe.display());
    assert_eq!(owner(&exe).0, 0);
    // A user outside the group cannot run a queue-manager process at all...
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let nobody = User { uid: nobody.uid.as_raw(), gid: nobody.gid.as_raw() };
    let r = spawn_error(nobody.apply(&mut Command::new(sim.bin("amqzxma0"))).args(["-m", "QM1"]));
    assert_eq!(r, Some(libc::EACCES), "amqzxma0 by nobody");
    // ...nor make a command behave as one by naming it so (the file decides, not argv[0]).
    let r = run(nobody.apply(&mut Command::new(sim.bin("dspmq"))).arg0("amqzxma0").args(["-m", "QM1"]));
    assert_eq!((r.rc, r.stdout.as_str()), (119, AMQ7077), "{r:?}");
}

fn spawn_error(cmd: &mut Command) -> Option<i32> {
    match cmd.spawn() {
        Ok(mut c) => {
            let _ = c.kill();
            let _ = c.wait();
            None
        }
        Err(e) => e.raw_os_error(),
    }
}

/// The effective uid and real uid of `pid` from its status, and the owner of /proc/PID/status.
fn identity(pid: i32) -> (u32, u32, u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let ids: Vec<u32> = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap()
        .split_whitespace()
        .map(|u| u.parse().unwrap())
        .collect();
    let owner = std::fs::metadata(format!("/proc/{pid}/status")).unwrap().uid();
    (ids[0], ids[1], owner)
}

fn controller_pid(sim: &Sim, qm: &str) -> i32 {
    let procs = sim.processes();
    procs
        .iter()
        .find(|p| p.comm == "amqzxma0" && p.cmdline.iter().any(|a| a == qm))
        .unwrap_or_else(|| panic!("no execution controller of {qm}: {procs:?}"))
        .pid
}

/// A queue manager started through `start` runs as the mq user, its /proc files root's (not
/// dumpable after the set-user-id exec); the mq user's own commands see it and end it.
fn started_by_another_member_runs_as_mq_user(start: impl Fn(&Sim) -> Run, starter_uid: u32) {
    let sim = Sim::install(&[]);
    let mqm = User::named("mqm");
    sim.ok("crtmqm", &["QM1"]);
    let r = start(&sim);
    assert_eq!(r.rc, 0, "strmqm: {r:?}");
    let pid = controller_pid(&sim, "QM1");
    assert_eq!(identity(pid), (starter_uid, mqm.uid, 0), "amqzxma0: (real uid, effective uid, /proc owner)");
    for p in sim.processes() {
        assert_eq!(identity(p.pid), (starter_uid, mqm.uid, 0), "every process of the queue manager: {p:?}");
    }
    let log = mq_sim::cmdlog::read(&sim.root).unwrap();
    let rec = log.iter().find(|r| r.program == "amqzxma0").expect("amqzxma0 in commands.log");
    assert_eq!((rec.uid, rec.euid), (starter_uid, mqm.uid));
    // The mq user's commands, which cannot read those processes' /proc/PID/exe, still find them.
    assert_eq!(sim.status("QM1"), "RUNNING");
    let r = sim.mq("strmqm", &["QM1"]);
    assert_eq!(r.rc, 5, "already running: {r:?}");
    let r = sim.mq("endmqm", &["-i", "QM1"]);
    assert_eq!(r.rc, 0, "{r:?}");
    eventually("the queue manager's processes to end", Duration::from_secs(10), || {
        let left = sim.processes();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("{left:?}"))
        }
    });
    assert_eq!(sim.status("QM1"), "ENDED IMMEDIATELY");
}

#[test]
fn queue_manager_started_by_root_in_the_mq_group_runs_as_mq_user_with_root_owned_proc() {
    started_by_another_member_runs_as_mq_user(|sim| sim.run_as_root_in_group("strmqm", &["QM1"]), 0);
}

#[test]
fn queue_manager_started_by_an_alternate_member_runs_as_mq_user_with_root_owned_proc() {
    let mqadmin = User::named("mqadmin");
    started_by_another_member_runs_as_mq_user(|sim| sim.run_as(mqadmin, "strmqm", &["QM1"]), mqadmin.uid);
}
