//! crash_watch=true (docs/ibmmq.md, "Crash watch"): the built agent against the simulator, with a
//! stand-in crm_resource found the way the agent finds the real one (first in PATH, root's own),
//! which records who ran it with what. Run as root; the watcher runs as Pacemaker's hacluster.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mq_testkit::*;

/// A directory with a crm_resource that appends "SECONDS UID ARGS" to `calls` for each run.
struct FakePacemaker {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    calls: PathBuf,
    log: PathBuf,
}

impl FakePacemaker {
    fn new() -> FakePacemaker {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("sbin");
        let out = dir.path().join("out");
        std::fs::create_dir(&bin).unwrap();
        std::fs::create_dir(&out).unwrap();
        // The watcher (hacluster) runs the tool and writes its record and its log here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).unwrap();
        let calls = out.join("calls");
        let script = format!(
            "#!/bin/sh\nprintf '%s %s %s\\n' \"$(date +%s.%N)\" \"$(id -u)\" \"$*\" >> '{}'\nexit 0\n",
            calls.display()
        );
        std::fs::write(bin.join("crm_resource"), script).unwrap();
        std::fs::set_permissions(bin.join("crm_resource"), std::fs::Permissions::from_mode(0o755)).unwrap();
        // As Pacemaker's own log is (hacluster:haclient, 0660): the agent and the watcher write it.
        let log = out.join("agent.log");
        std::fs::write(&log, "").unwrap();
        std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).unwrap();
        FakePacemaker { log, _dir: dir, bin, calls }
    }

    /// Each run: (when, uid, arguments).
    fn calls(&self) -> Vec<(f64, u32, String)> {
        let text = std::fs::read_to_string(&self.calls).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut w = l.splitn(3, ' ');
                Some((w.next()?.parse().ok()?, w.next()?.parse().ok()?, w.next()?.to_string()))
            })
            .collect()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn resource(sim: &Sim, pm: &FakePacemaker, watch: bool) -> Ocf {
    sim.ocf("QM1")
        .param("crash_watch", if watch { "true" } else { "false" })
        .set("PATH", format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", pm.bin.display()))
        .set("OCF_RESKEY_CRM_meta_on_node", "node1")
        .set("HA_LOGFILE", &pm.log)
}

fn recurring(o: Ocf) -> Ocf {
    o.set("OCF_RESKEY_CRM_meta_interval", "30000")
}

/// A watcher process of `sim`'s QM1: pid, the /proc/PID/status text and its state file.
#[derive(Debug)]
struct Watcher {
    pid: i32,
    status: String,
    state_file: PathBuf,
}

fn watchers(sim: &Sim) -> Vec<Watcher> {
    let inst = sim.inst().display().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> =
            raw.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
        let flag = |n: &str| args.iter().position(|a| a == n).and_then(|i| args.get(i + 1)).cloned();
        if args.get(1).map(String::as_str) != Some("watch") || flag("--installation").as_deref() != Some(&inst) {
            continue;
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if status.lines().any(|l| l.starts_with("State:") && l.contains('Z')) {
            continue;
        }
        let fd = flag("--state-fd").unwrap_or_default();
        let state_file = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap_or_default();
        out.push(Watcher { pid, status, state_file });
    }
    out
}

fn one_watcher(sim: &Sim) -> Watcher {
    eventually("one watcher of QM1", Duration::from_secs(5), || {
        let mut w = watchers(sim);
        if w.len() == 1 {
            Ok(w.remove(0))
        } else {
            Err(format!("{w:?}"))
        }
    })
}

fn no_watcher_within(sim: &Sim, within: Duration) {
    eventually("no watcher of QM1", within, || {
        let w = watchers(sim);
        if w.is_empty() {
            Ok(())
        } else {
            Err(format!("{w:?}"))
        }
    })
}

fn status_field<'a>(status: &'a str, key: &str) -> &'a str {
    status.lines().find_map(|l| l.strip_prefix(key)).map(str::trim).unwrap_or("")
}

fn hacluster_uid() -> u32 {
    let r = run(std::process::Command::new("id").args(["-u", "hacluster"]));
    assert_eq!(r.rc, 0, "tests/setup.sh installs Pacemaker, whose user is hacluster: {r:?}");
    r.stdout.trim().parse().unwrap()
}

/// SIGKILL of the execution controller, as a crash; the wall-clock second it was sent.
fn kill_controller(sim: &Sim) -> f64 {
    let ctl = sim.processes().into_iter().find(|p| p.comm == "amqzxma0").expect("QM1's amqzxma0 runs");
    let at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(ctl.pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    at
}

fn started(watch: bool) -> (Sim, FakePacemaker) {
    let sim = Sim::install(&[]);
    assert_eq!(sim.crtmqm("QM1").rc, 0);
    let pm = FakePacemaker::new();
    let r = resource(&sim, &pm, watch).run("start");
    assert_eq!(r.rc, 0, "start: {r:?}");
    (sim, pm)
}

#[test]
fn a_crash_is_reported_to_pacemaker_at_once_by_an_unprivileged_watcher() {
    let (sim, pm) = started(true);
    let w = one_watcher(&sim);
    // Least privilege: Pacemaker's user, no capability, no way back up, detached from the agent.
    let uid = hacluster_uid();
    assert_eq!(status_field(&w.status, "Uid:").split_whitespace().collect::<Vec<_>>(), vec![uid.to_string(); 4]);
    for cap in ["CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"] {
        assert_eq!(status_field(&w.status, cap), "0000000000000000", "{cap} of the watcher: {}", w.status);
    }
    assert_eq!(status_field(&w.status, "NoNewPrivs:"), "1");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", w.pid)).unwrap();
    let session: i32 = stat[stat.rfind(')').unwrap() + 1..].split_whitespace().nth(3).unwrap().parse().unwrap();
    assert_eq!(session, w.pid, "a session of its own");
    for fd in 0..3 {
        assert_eq!(std::fs::read_link(format!("/proc/{}/fd/{fd}", w.pid)).unwrap(), Path::new("/dev/null"));
    }
    assert!(w.state_file.to_string_lossy().starts_with("/run/mqha/watch-"), "{:?}", w.state_file);
    assert!(pm.calls().is_empty(), "nothing asked while QM1 runs: {:?}", pm.calls());

    let killed = kill_controller(&sim);
    let (when, who, args) = eventually("the fail request", Duration::from_secs(10), || pm.calls().pop());
    let after = when - killed;
    println!("crash watch: controller SIGKILLed -> crm_resource --fail ran after {:.3} s", after);
    assert!(after < 1.0, "the watcher asked {after:.3} s after the crash");
    assert_eq!(who, uid, "crm_resource ran as hacluster");
    assert_eq!(args, "--fail --resource test_qm --node node1");
    // It asks once and exits.
    no_watcher_within(&sim, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(pm.calls().len(), 1, "{:?}", pm.calls());
    assert!(pm.log().contains("ended without a stop"), "the watcher logs what it does: {}", pm.log());

    let r = resource(&sim, &pm, true).run("stop");
    assert_eq!(r.rc, 0, "stop after the crash: {r:?}");
    assert!(!w.state_file.exists(), "state file left: {}", w.state_file.display());
}

#[test]
fn a_stop_ends_the_watcher_first_and_is_never_reported() {
    for mode in ["immediate", "controlled"] {
        let (sim, pm) = started(true);
        let w = one_watcher(&sim);
        let r = resource(&sim, &pm, true).param("stop_mode", mode).run("stop");
        assert_eq!(r.rc, 0, "stop ({mode}): {r:?}");
        assert!(watchers(&sim).is_empty(), "a watcher outlived the stop: {:?}", watchers(&sim));
        assert!(!w.state_file.exists(), "state file left: {}", w.state_file.display());
        assert!(sim.qm_pids("QM1").is_empty());
        std::thread::sleep(Duration::from_millis(1500));
        assert!(pm.calls().is_empty(), "the stop ({mode}) was reported as a failure: {:?}", pm.calls());
        // Stopping again finds nothing to end.
        assert_eq!(resource(&sim, &pm, true).run("stop").rc, 0);
    }
}

#[test]
fn a_stop_by_processes_alone_ends_the_watcher_first_too() {
    // A stop that cannot use the installation or the user (here: a named mq_user that does not
    // exist) ends the queue manager by /proc alone; the watcher still goes first.
    let (sim, pm) = started(true);
    let w = one_watcher(&sim);
    let r = resource(&sim, &pm, true).param("mq_user", "nosuchuser").run("stop");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.stderr.contains("by its processes alone") || pm.log().contains("by its processes alone"), "{r:?}");
    assert!(watchers(&sim).is_empty(), "{:?}", watchers(&sim));
    assert!(!w.state_file.exists());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(pm.calls().is_empty(), "the stop was reported as a failure: {:?}", pm.calls());
}

#[test]
fn a_monitor_rearms_a_missing_watcher_and_it_still_reports() {
    let (sim, pm) = started(true);
    let old = one_watcher(&sim);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(old.pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    no_watcher_within(&sim, Duration::from_secs(5));
    let r = recurring(resource(&sim, &pm, true)).run("monitor");
    assert_eq!(r.rc, 0, "monitor: {r:?}");
    let new = one_watcher(&sim);
    assert_ne!(new.pid, old.pid);
    // A monitor that finds it in place leaves it alone.
    assert_eq!(recurring(resource(&sim, &pm, true)).run("monitor").rc, 0);
    assert_eq!(one_watcher(&sim).pid, new.pid, "a second monitor replaced a healthy watcher");
    kill_controller(&sim);
    eventually("the fail request", Duration::from_secs(10), || pm.calls().pop());
    assert_eq!(pm.calls().len(), 1);
    assert_eq!(resource(&sim, &pm, true).run("stop").rc, 0);
}

#[test]
fn without_crash_watch_a_crash_waits_for_the_monitor() {
    let (sim, pm) = started(false);
    assert!(watchers(&sim).is_empty(), "no watcher without crash_watch: {:?}", watchers(&sim));
    kill_controller(&sim);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(pm.calls().is_empty(), "{:?}", pm.calls());
    let r = recurring(resource(&sim, &pm, false)).run("monitor");
    assert_eq!(r.rc, 1, "the monitor finds it crashed: {r:?}");
    assert_eq!(resource(&sim, &pm, false).run("stop").rc, 0);
}

#[test]
fn a_watcher_no_longer_wanted_exits_without_asking() {
    // Its state file removed (the resource stopped without this watcher being reached, a reboot
    // of /run): it exits by itself, and a crash afterwards is not reported by it.
    let (sim, pm) = started(true);
    let w = one_watcher(&sim);
    std::fs::remove_file(&w.state_file).unwrap();
    no_watcher_within(&sim, Duration::from_secs(5));
    kill_controller(&sim);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(pm.calls().is_empty(), "{:?}", pm.calls());
    assert_eq!(resource(&sim, &pm, true).run("stop").rc, 0);

    // crash_watch turned off (a reload): the next monitor ends the watcher.
    let r = resource(&sim, &pm, true).run("start");
    assert_eq!(r.rc, 0, "{r:?}");
    one_watcher(&sim);
    assert_eq!(recurring(resource(&sim, &pm, false)).run("monitor").rc, 0);
    assert!(watchers(&sim).is_empty(), "crash_watch=false left a watcher: {:?}", watchers(&sim));
    // ... and reload-agent (pcs resource update of a reloadable parameter) at once, both ways.
    assert_eq!(resource(&sim, &pm, true).run("reload-agent").rc, 0);
    one_watcher(&sim);
    assert_eq!(resource(&sim, &pm, false).run("reload-agent").rc, 0);
    assert!(watchers(&sim).is_empty(), "reload-agent with crash_watch=false left a watcher");
    assert_eq!(resource(&sim, &pm, false).run("stop").rc, 0);
    assert!(pm.calls().is_empty(), "{:?}", pm.calls());
}

#[test]
fn a_stop_signals_only_the_recorded_watcher_by_pid_start_time_and_command_line() {
    // A state file naming another process (a pid reused, or written by mistake) never gets it
    // signalled: its start time or its command line gives it away.
    let (sim, pm) = started(true);
    let w = one_watcher(&sim);
    let name = w.state_file.file_name().unwrap().to_string_lossy().into_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("watch"), "sleep 30\n").unwrap();
    // The command line a watcher of this state file has: sh watch --state NAME.
    let mut lookalike = std::process::Command::new("/bin/sh")
        .current_dir(dir.path())
        .args(["watch", "--state", &name])
        .spawn()
        .unwrap();
    let mut plain = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    let ticks = |pid: u32| -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        stat[stat.rfind(')').unwrap() + 1..].split_whitespace().nth(19).unwrap().parse().unwrap()
    };
    eventually("the look-alike's command line", Duration::from_secs(5), || {
        std::fs::read(format!("/proc/{}/cmdline", lookalike.id())).is_ok_and(|c| c.starts_with(b"/bin/sh\0watch"))
    });
    let r = resource(&sim, &pm, true).run("stop");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(watchers(&sim).is_empty(), "the real watcher is gone: {:?}", watchers(&sim));
    let (l_ticks, p_ticks) = (ticks(lookalike.id()), ticks(plain.id()));
    let cases = [
        (&mut lookalike, l_ticks + 1, "its command line, another start time"),
        (&mut plain, p_ticks, "its start time, another command line"),
    ];
    for (child, t, what) in cases {
        let ctl = "controller 1 1\n".to_string();
        std::fs::write(&w.state_file, format!("{ctl}watcher {} {t}\n", child.id())).unwrap();
        let r = resource(&sim, &pm, true).run("stop");
        assert_eq!(r.rc, 0, "{r:?}");
        assert!(!w.state_file.exists());
        assert!(child.try_wait().unwrap().is_none(), "the stop signalled a process with {what}");
    }
    for c in [&mut lookalike, &mut plain] {
        let _ = c.kill();
        let _ = c.wait();
    }
    assert!(pm.calls().is_empty(), "{:?}", pm.calls());
}

/// A clone instance of a multi-instance queue manager on simulated node `node` (`sim`).
fn clone_instance(sim: &Sim, node: &str, pm: &FakePacemaker) -> Ocf {
    Ocf::new("mi_qm:0", 60000)
        .set("OCF_RESOURCE_TYPE", "ibmmq")
        .set("HA_RSCTMP", sim.dir().join(format!("{node}-rsctmp")))
        .set("PATH", format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", pm.bin.display()))
        .set("OCF_RESKEY_CRM_meta_on_node", node)
        .set("HA_LOGFILE", &pm.log)
        .param("qmgr", "QM1")
        .param("multi_instance", "true")
        .param("crash_watch", "true")
        .param("mq_installation", sim.inst())
}

#[test]
fn multi_instance_watches_the_active_instance_only_and_a_switchover_is_no_failure() {
    let (a, b) = Sim::multi_instance_of("9.3.0.0", "QM1");
    let pm = FakePacemaker::new();
    let act = |sim: &Sim, node: &str, action: &str| {
        let r = clone_instance(sim, node, &pm).run(action);
        assert_eq!(r.rc, 0, "{action} on {node}: {r:?}");
    };
    let monitor = |sim: &Sim, node: &str| recurring(clone_instance(sim, node, &pm)).run("monitor").rc;
    // The post-promote notify that starts B's instance as the standby.
    let post_promote_notify_makes_b_standby = || {
        let r = clone_instance(&b, "nodeb", &pm)
            .set("OCF_RESKEY_CRM_meta_notify_type", "post")
            .set("OCF_RESKEY_CRM_meta_notify_operation", "promote")
            .run("notify");
        assert_eq!(r.rc, 0, "{r:?}");
        b.wait_status("QM1", "RUNNING AS STANDBY", Duration::from_secs(10));
    };
    act(&a, "nodea", "start");
    act(&b, "nodeb", "start");
    act(&a, "nodea", "promote");
    let wa = one_watcher(&a);
    post_promote_notify_makes_b_standby();
    assert_eq!(monitor(&b, "nodeb"), 0);
    assert!(watchers(&b).is_empty(), "a standby is not watched: {:?}", watchers(&b));
    assert_eq!(monitor(&a, "nodea"), 8);
    assert_eq!(one_watcher(&a).pid, wa.pid, "the monitor of the active instance keeps its watcher");

    // Demote A: a switchover ends A's active instance; B takes over. Nobody reports a failure.
    act(&a, "nodea", "demote");
    assert!(watchers(&a).is_empty(), "demote left a watcher: {:?}", watchers(&a));
    b.wait_status("QM1", "RUNNING", Duration::from_secs(20));
    assert_eq!(monitor(&b, "nodeb"), 0, "B active, not yet promoted");
    assert!(watchers(&b).is_empty(), "an instance Pacemaker has not promoted is not watched");
    act(&b, "nodeb", "promote");
    one_watcher(&b);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(pm.calls().is_empty(), "a switchover was reported as a failure: {:?}", pm.calls());

    // The active instance crashes: reported for the clone instance on B.
    kill_controller(&b);
    let (_, _, args) = eventually("the fail request", Duration::from_secs(10), || pm.calls().pop());
    assert_eq!(args, "--fail --resource mi_qm:0 --node nodeb");

    // Stopping the active instance (a switchover to the other's standby first) is no failure.
    a.wait_status("QM1", "RUNNING", Duration::from_secs(20));
    act(&a, "nodea", "promote");
    one_watcher(&a);
    act(&b, "nodeb", "stop");
    act(&b, "nodeb", "start");
    post_promote_notify_makes_b_standby();
    act(&a, "nodea", "stop");
    b.wait_status("QM1", "RUNNING", Duration::from_secs(20));
    act(&b, "nodeb", "stop");
    assert!(watchers(&a).is_empty() && watchers(&b).is_empty());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(pm.calls().len(), 1, "{:?}", pm.calls());
}
