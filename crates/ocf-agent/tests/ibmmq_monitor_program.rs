//! monitor_program: the site's own check runs as the mq user with the queue manager's name, in
//! the monitors deep enough for it and never in a probe; its exit decides the monitor, its first
//! line is the reason; one that overruns is killed with everything it started; one that root
//! cannot trust is refused with exit 6 naming it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mq_testkit::*;

/// A directory whose whole path is root's and not writable by others (/run is root's, 0755), as a
/// program's must be; the mq user may enter it.
fn trusted_dir() -> tempfile::TempDir {
    let d = tempfile::Builder::new().prefix("mqha-monprog-").tempdir_in("/run").expect("tempdir in /run");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

/// A directory the program (the mq user) writes what it saw into.
fn drop_box() -> tempfile::TempDir {
    let d = tempfile::Builder::new().prefix("mqha-monprog-out-").tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    d
}

/// Installs shell script `body` as `dir/name` with `mode`, written by `install` (a child), so no
/// descriptor of this process holds it open for writing while the agent executes it (ETXTBSY).
fn program(dir: &Path, name: &str, body: &str, mode: u32) -> PathBuf {
    let src = dir.join(format!(".{name}.src"));
    std::fs::write(&src, format!("#!/bin/sh\n{body}\n")).unwrap();
    let dst = dir.join(name);
    let r = run(Command::new("install").arg("-m").arg(format!("{mode:o}")).arg(&src).arg(&dst));
    assert_eq!(r.rc, 0, "install {}: {r:?}", dst.display());
    dst
}

fn recurring(ocf: Ocf, depth: u32) -> Ocf {
    ocf.with(&[("OCF_RESKEY_CRM_meta_interval", "20000"), ("OCF_CHECK_LEVEL", &depth.to_string())])
}

fn lines(f: &Path) -> Vec<String> {
    std::fs::read_to_string(f).unwrap_or_default().lines().map(str::to_string).collect()
}

/// The value of `key=` in the program's record.
fn field(record: &[String], key: &str) -> String {
    record
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {record:?}"))
        .to_string()
}

#[test]
fn a_passing_program_runs_as_the_mq_user_with_the_name_and_env_file_and_leaves_nothing() {
    let q = SimQm::create("MPOK");
    let dir = trusted_dir();
    let out = drop_box();
    let rec = out.path().join("record");
    let runs = out.path().join("runs");
    let body = format!(
        r#"echo run >> {runs}
sleep 300 &
{{
echo uid=$(id -u)
echo gid=$(id -g)
echo groups=$(id -G)
echo arg="$*"
echo site=$MONPROG_SITE
echo stdin=$(readlink /proc/$$/fd/0)
echo path=$PATH
echo bg=$!
grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/$$/status | tr -d '\t' | sed 's/:/=/'
}} > {rec}
echo all well"#,
        runs = runs.display(),
        rec = rec.display()
    );
    let prog = program(dir.path(), "check_app", &body, 0o755);
    let env = dir.path().join("qm.env");
    std::fs::write(&env, "MONPROG_SITE=blue green\n").unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).unwrap();
    let ocf = q.ocf(&q.qm).param("monitor_program", &prog).param("env_file", &env);
    let r = ocf.run("start");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(lines(&runs).is_empty(), "start ran it");

    let r = recurring(ocf.clone(), 10).run("monitor");
    assert_eq!(r.rc, 0, "{r:?}");
    let record = lines(&rec);
    let (uid, gid) = ids("mqm");
    assert_eq!(field(&record, "uid"), uid.to_string(), "{record:?}");
    assert_eq!(field(&record, "gid"), gid.to_string(), "{record:?}");
    let want_groups = run(Command::new("id").args(["-G", "mqm"])).stdout.trim().to_string();
    assert_eq!(field(&record, "groups"), want_groups, "{record:?}");
    assert_eq!(field(&record, "arg"), q.qm, "its one argument is the queue manager's name");
    assert_eq!(field(&record, "site"), "blue green", "env_file's variable, as written");
    assert_eq!(field(&record, "stdin"), "/dev/null");
    assert!(field(&record, "path").starts_with(&q.inst().join("bin").display().to_string()), "{record:?}");
    assert_eq!(field(&record, "CapEff"), "0000000000000000", "{record:?}");
    assert_eq!(field(&record, "CapPrm"), "0000000000000000", "{record:?}");
    assert_eq!(field(&record, "NoNewPrivs"), "1", "{record:?}");
    // What it left in the background was killed with its group when it exited.
    let bg: i32 = field(&record, "bg").parse().unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    while alive(bg) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(bg), "the program's background child {bg} is still running");
    assert_eq!(lines(&runs).len(), 1);

    // Not in a probe, not in a depth-0 monitor (default monitor_program_level=10); a depth-20
    // monitor runs it, and so does depth 0 with monitor_program_level=0.
    let ok = |o: Ocf, want: i32| {
        let r = o.run("monitor");
        assert_eq!(r.rc, want, "{r:?}");
    };
    ok(ocf.clone(), 0);
    ok(recurring(ocf.clone(), 0), 0);
    assert_eq!(lines(&runs).len(), 1, "a probe or a depth-0 monitor ran it");
    ok(recurring(ocf.clone(), 20), 0);
    assert_eq!(lines(&runs).len(), 2, "the depth-20 monitor did not run it");
    ok(recurring(ocf.clone().param("monitor_program_level", "0"), 0), 0);
    assert_eq!(lines(&runs).len(), 3, "monitor_program_level=0: the depth-0 monitor did not run it");
    ok(recurring(ocf.clone().param("monitor_program_level", "20"), 10), 0);
    assert_eq!(lines(&runs).len(), 3, "monitor_program_level=20: the depth-10 monitor ran it");

    // Stopped: a probe and a monitor say 7 and do not run it, nor does stop.
    assert_eq!(ocf.run("stop").rc, 0);
    ok(ocf.clone(), 7);
    ok(recurring(ocf.clone(), 10), 7);
    assert_eq!(lines(&runs).len(), 3, "ran where the queue manager was stopped, or in stop");
}

#[test]
fn a_failing_program_fails_the_monitor_with_its_first_line() {
    let q = SimQm::create("MPBAD");
    // Started by the agent: the depth-20 monitor's test queue is made at start.
    assert_eq!(q.ocf(&q.qm).run("start").rc, 0);
    let dir = trusted_dir();
    let prog = program(
        dir.path(),
        "check_app",
        "printf '\\n\\033[31mAPP1: 5000 messages waiting on APP1.IN\\033[0m\\nsecond line\\n'; echo on stderr >&2; exit 3",
        0o755,
    );
    let ocf = q.ocf(&q.qm).param("monitor_program", &prog);
    let r = recurring(ocf.clone(), 10).run("monitor");
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.reason().starts_with("APP1: 5000 messages waiting on APP1.IN (monitor_program "), "{}", r.reason());
    assert!(r.reason().contains("exited 3"), "{}", r.reason());
    assert!(!r.reason().contains('\u{1b}') && !r.reason().contains("second line"), "{}", r.reason());
    // Nothing on stdout: stderr's first line.
    let prog = program(dir.path(), "check_err", "echo 'channel TO.HUB is RETRYING' >&2; exit 1", 0o755);
    let r = recurring(q.ocf(&q.qm).param("monitor_program", &prog), 20).run("monitor");
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.reason().starts_with("channel TO.HUB is RETRYING"), "{}", r.reason());
    // A long first line is cut.
    let prog = program(dir.path(), "check_long", &format!("echo {}; exit 2", "x".repeat(3000)), 0o755);
    let r = recurring(q.ocf(&q.qm).param("monitor_program", &prog), 10).run("monitor");
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.reason().len() < 400, "{}", r.reason());
}

#[test]
fn a_program_past_the_monitor_budget_is_killed_with_its_children() {
    let q = SimQm::create("MPSLOW");
    assert_eq!(q.ocf(&q.qm).run("start").rc, 0);
    let dir = trusted_dir();
    let out = drop_box();
    let pids = out.path().join("pids");
    let prog = program(
        dir.path(),
        "check_slow",
        &format!("sleep 300 &\necho $! > {p}\necho $$ >> {p}\nsleep 300", p = pids.display()),
        0o755,
    );
    let timeout = Duration::from_secs(8);
    let ocf = q
        .ocf(&q.qm)
        .param("monitor_program", &prog)
        .set("OCF_RESKEY_CRM_meta_timeout", timeout.as_millis().to_string());
    let r = recurring(ocf, 10).run("monitor");
    assert_eq!(r.rc, 1, "{r:?}");
    assert!(r.elapsed < timeout, "the monitor took {:?}, past its timeout {timeout:?}", r.elapsed);
    assert!(r.reason().contains(&format!("monitor_program {} did not finish within", prog.display())), "{r:?}");
    let left: Vec<i32> = lines(&pids).iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    for pid in left {
        assert!(!alive(pid), "process {pid} of the program survived the monitor");
    }
}

#[test]
fn a_program_root_cannot_trust_or_the_mq_user_cannot_run_is_refused_naming_it() {
    let q = SimQm::create("MPCONF");
    let dir = trusted_dir();
    let d = dir.path();
    let ok = program(d, "ok", "exit 0", 0o755);
    let open_dir = d.join("open");
    std::fs::create_dir(&open_dir).unwrap();
    let in_open = program(&open_dir, "check", "exit 0", 0o755);
    std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mqm_owned = program(d, "mine", "exit 0", 0o755);
    let (uid, gid) = ids("mqm");
    std::os::unix::fs::chown(&mqm_owned, Some(uid), Some(gid)).unwrap();
    let link = d.join("link");
    std::os::unix::fs::symlink(&ok, &link).unwrap();
    let cases: Vec<(PathBuf, String)> = vec![
        (d.join("missing"), "does not exist".into()),
        (program(d, "noexec", "exit 0", 0o644), "is not executable by the mq user mqm (mode 0644)".into()),
        (program(d, "rootonly", "exit 0", 0o700), "is not executable by the mq user mqm (mode 0700)".into()),
        (mqm_owned, format!("is owned by uid {uid}, not root")),
        (program(d, "grpw", "exit 0", 0o775), "is writable by group or others (mode 0775)".into()),
        (program(d, "othw", "exit 0", 0o757), "is writable by group or others (mode 0757)".into()),
        (in_open, format!("directory {} is writable by group or others (mode 0777)", open_dir.display())),
        (link, format!("{} is a symbolic link", d.join("link").display())),
        (program(d, "suid", "exit 0", 0o4755), "is set-user-id or set-group-id (mode 4755)".into()),
        (d.to_path_buf(), "is not a regular file".into()),
    ];
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("agent.log");
    for (prog, why) in &cases {
        let named = format!("monitor_program={}: {why}", prog.display());
        for (action, depth) in [("start", "0"), ("validate-all", "10")] {
            let _ = std::fs::remove_file(&log);
            let r = q
                .ocf(&q.qm)
                .param("monitor_program", prog)
                .set("OCF_CHECK_LEVEL", depth)
                .set("HA_LOGFILE", &log)
                .run(action);
            assert_eq!(r.rc, 6, "{action} {}: {r:?}", prog.display());
            // The exit reason is cut at 128 characters; the log has it whole.
            assert!(r.reason().starts_with("monitor_program="), "{action}: {}", r.reason());
            let logged = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(logged.contains(&named), "{action}: the log does not say '{named}': {logged}");
        }
        assert!(q.qm_pids(&q.qm).is_empty(), "start ran the queue manager with a refused monitor_program");
    }
    // Text the parameter check refuses everywhere, so pcs --agent-validation too (validate-all at
    // depth 0 checks only the parameters).
    for (value, why) in [("check_app", "is not an absolute path"), ("/usr/bin/check QM1", "without arguments")] {
        let r = q.ocf(&q.qm).param("monitor_program", value).run("validate-all");
        assert_eq!(r.rc, 6, "{value}: {r:?}");
        assert!(
            r.reason().contains(&format!("monitor_program='{value}'")) && r.reason().contains(why),
            "{}",
            r.reason()
        );
    }
    let r = q.ocf(&q.qm).param("monitor_program_level", "5").run("validate-all");
    assert_eq!(r.rc, 6, "{r:?}");
    assert!(r.reason().contains("monitor_program_level='5'"), "{}", r.reason());

    // Running, and the program made group-writable since: the monitor and reload refuse it (6)
    // without running it.
    let ocf = q.ocf(&q.qm).param("monitor_program", &ok).set("HA_LOGFILE", &log);
    assert_eq!(ocf.run("start").rc, 0);
    std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o775)).unwrap();
    let r = recurring(ocf.clone(), 10).run("monitor");
    assert_eq!(r.rc, 6, "{r:?}");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains(&format!("monitor_program={}: is writable", ok.display())), "{logged}");
    let r = ocf.run("reload-agent");
    assert_eq!(r.rc, 6, "{r:?}");
    assert_eq!(ocf.run("stop").rc, 0);
    assert!(q.qm_pids(&q.qm).is_empty());
}

#[test]
fn a_multi_instance_queue_manager_runs_it_on_the_active_instance_only() {
    let qm = "QMMIPROG";
    let (a, b) = Sim::multi_instance(qm);
    let dir = trusted_dir();
    let out = drop_box();
    let runs = out.path().join("runs");
    let on_a = program(dir.path(), "on_a", &format!("echo a >> {}", runs.display()), 0o755);
    let on_b = program(dir.path(), "on_b", &format!("echo b >> {}", runs.display()), 0o755);
    let failing = program(dir.path(), "failing", "echo 'APP1 is down'; exit 1", 0o755);
    let rsctmp = tempfile::tempdir().unwrap();
    let node = |sim: &Sim, name: &str, prog: &Path| {
        Ocf::new("mi_qm:0", 60000)
            .set("OCF_RESOURCE_TYPE", "ibmmq")
            .set("HA_RSCTMP", rsctmp.path().join(name))
            .param("qmgr", qm)
            .param("multi_instance", "true")
            .param("mq_installation", sim.inst())
            .param("monitor_program", prog)
    };
    let (oa, ob) = (node(&a, "a", &on_a), node(&b, "b", &on_b));
    for o in [&oa, &ob] {
        let r = o.run("start");
        assert_eq!(r.rc, 0, "{r:?}");
    }
    let r = oa.run("promote");
    assert_eq!(r.rc, 0, "{r:?}");
    let notify = [("OCF_RESKEY_CRM_meta_notify_type", "post"), ("OCF_RESKEY_CRM_meta_notify_operation", "promote")];
    assert_eq!(ob.clone().with(&notify).run("notify").rc, 0);
    assert_eq!(b.status(qm), "RUNNING AS STANDBY");

    let r = recurring(oa.clone(), 10).run("monitor");
    assert_eq!(r.rc, 8, "{r:?}");
    let r = recurring(ob.clone(), 10).run("monitor");
    assert_eq!(r.rc, 0, "{r:?}");
    assert_eq!(lines(&runs), ["a"], "only the active instance runs it");
    // Failing on the promoted instance: failed promoted (9), with its line.
    let r = recurring(oa.clone().param("monitor_program", &failing), 10).run("monitor");
    assert_eq!(r.rc, 9, "{r:?}");
    assert!(r.reason().starts_with("APP1 is down"), "{}", r.reason());
    for o in [&ob, &oa] {
        let r = o.run("stop");
        assert_eq!(r.rc, 0, "{r:?}");
    }
}

#[test]
fn ibmmq_check_says_whether_a_monitor_program_would_be_accepted() {
    let q = SimQm::create("MPCHK");
    let dir = trusted_dir();
    let good = program(dir.path(), "good", "touch /tmp/mqha-monprog-must-not-run; exit 0", 0o755);
    let bad = program(dir.path(), "bad", "exit 0", 0o775);
    let check = |prog: &Path| {
        run(Command::new(agent_exe())
            .arg("check")
            .arg(&q.qm)
            .arg("--mq-installation")
            .arg(q.inst())
            .arg("--monitor-program")
            .arg(prog))
    };
    let r = check(&good);
    let line = |r: &Run, word: &str| {
        r.stdout.lines().find(|l| l.starts_with(&format!("{word:<5} {:<26} ", "monitor program"))).map(str::to_string)
    };
    assert!(line(&r, "PASS").is_some_and(|l| l.contains("executable by mqm")), "{r:?}");
    assert!(!Path::new("/tmp/mqha-monprog-must-not-run").exists(), "ibmmq check ran the program");
    let r = check(&bad);
    assert_eq!(r.rc, 1, "{r:?}");
    let l = line(&r, "FAIL").unwrap_or_else(|| panic!("{r:?}"));
    assert!(
        l.contains(&format!("monitor_program={}: is writable by group or others (mode 0775)", bad.display())),
        "{l}"
    );
}

/// What monitor_program adds to a depth-10 monitor (ignored by default; it measures, it does not
/// judge): the median and p90 wall time of the agent's monitor without it, with a trivial shell
/// script, and with /usr/bin/true.
///
///   cargo test --release -p ocf-agent --test ibmmq_monitor_program -- --ignored --nocapture
#[test]
#[ignore]
fn bench_monitor_program_cost() {
    const N: usize = 40;
    let q = SimQm::create("MPBENCH");
    assert_eq!(q.ocf(&q.qm).run("start").rc, 0);
    let dir = trusted_dir();
    let script = program(dir.path(), "check_app", "exit 0", 0o755);
    let variants: [(&str, Option<&Path>); 3] = [
        ("no monitor_program", None),
        ("a shell script", Some(&script)),
        ("/usr/bin/true", Some(Path::new("/usr/bin/true"))),
    ];
    println!("depth-10 monitor, {N} runs each (ms):");
    for (what, prog) in variants {
        let mut ocf = recurring(q.ocf(&q.qm), 10);
        if let Some(p) = prog {
            ocf = ocf.param("monitor_program", p);
        }
        let mut times: Vec<Duration> = (0..N)
            .map(|_| {
                let t = Instant::now();
                let r = ocf.run("monitor");
                assert_eq!(r.rc, 0, "{r:?}");
                t.elapsed()
            })
            .collect();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!("  {what:<20} median {:7.1}  p90 {:7.1}", ms(times[N / 2]), ms(times[N * 9 / 10]));
    }
    assert_eq!(q.ocf(&q.qm).run("stop").rc, 0);
}
