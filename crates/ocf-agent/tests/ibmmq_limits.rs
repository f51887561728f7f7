//! The queue manager runs with the resource limits of a production node: what the `limits`
//! parameter sets, else at least IBM's minimums, even when the agent itself inherits less from
//! Pacemaker; a depth-10 monitor warns about a queue manager started with less.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use mq_testkit::*;

/// The execution controller of `qm` (amqzxma0 -m QM) in /proc.
fn controller(sim: &Sim, qm: &str) -> i32 {
    let pids = sim.qm_pids(qm);
    *pids
        .iter()
        .find(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .map(|c| c.split(|b| *b == 0).next().is_some_and(|a| a.ends_with(b"amqzxma0")))
                .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("no execution controller of {qm} among {pids:?}"))
}

/// (soft, hard) of the line of /proc/PID/limits that starts with `label`.
fn proc_limit(pid: i32, label: &str) -> (String, String) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = text.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{label} in {text}"));
    let mut f = line[label.len()..].split_whitespace();
    (f.next().unwrap().to_string(), f.next().unwrap().to_string())
}

/// The agent run as pacemaker-execd would with low soft limits of its own (nofile and nproc
/// 1024), as on a node whose systemd unit gives Pacemaker no more. The hard limits are left: a
/// test machine (a container without CAP_SYS_RESOURCE) may not let even root raise them again.
fn agent_with_low_limits(ocf: &Ocf, action: &str) -> Run {
    let mut c = Command::new(agent_exe());
    c.arg(action).env_clear().envs(ocf.vars.iter().map(|(k, v)| (k, v)));
    // SAFETY: only setrlimit between fork and exec.
    unsafe {
        c.pre_exec(|| {
            for res in [libc::RLIMIT_NOFILE, libc::RLIMIT_NPROC] {
                let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
                libc::getrlimit(res, &mut rl);
                if libc::setrlimit(res, &libc::rlimit { rlim_cur: 1024, rlim_max: rl.rlim_max }) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    run_input(&mut c, None, Duration::from_secs(120))
}

#[test]
fn the_execution_controller_runs_with_the_configured_limits() {
    let q = SimQm::create("LIM");
    let ocf = q.ocf(&q.qm).param("limits", "nofile=12345:15000 nproc=5000:6000 core=unlimited stack=16384");
    let r = agent_with_low_limits(&ocf, "start");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.stderr.contains("nofile=12345:15000 (limits parameter)"), "{r:?}");
    let pid = controller(&q, &q.qm);
    assert_eq!(proc_limit(pid, "Max open files"), ("12345".into(), "15000".into()));
    assert_eq!(proc_limit(pid, "Max processes"), ("5000".into(), "6000".into()));
    assert_eq!(proc_limit(pid, "Max core file size"), ("unlimited".into(), "unlimited".into()));
    assert_eq!(proc_limit(pid, "Max stack size").0, (16384 * 1024).to_string());
    assert_eq!(agent_with_low_limits(&ocf, "stop").rc, 0);
}

#[test]
fn low_inherited_limits_are_raised_to_ibms_minimums_and_a_low_controller_is_warned_about() {
    let q = SimQm::create("LIMIN");
    let ocf = q.ocf(&q.qm);
    let r = agent_with_low_limits(&ocf, "start");
    assert_eq!(r.rc, 0, "{r:?}");
    let pid = controller(&q, &q.qm);
    let (soft, hard) = proc_limit(pid, "Max open files");
    assert!(soft.parse::<u64>().unwrap() >= 10240 && hard.parse::<u64>().unwrap() >= 10240, "{soft} {hard}");
    let (soft, _) = proc_limit(pid, "Max processes");
    assert!(soft == "unlimited" || soft.parse::<u64>().unwrap() >= 4096, "nproc {soft}");
    let depth10 = ocf.clone().with(&[("OCF_RESKEY_CRM_meta_interval", "60000"), ("OCF_CHECK_LEVEL", "10")]);
    let r = depth10.run("monitor");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(!r.stderr.contains("IBM's minimum"), "no warning expected: {r:?}");
    assert_eq!(ocf.run("stop").rc, 0);

    // Started by hand from a shell with nofile 1024: the monitor passes and says what to set.
    let mut c = Command::new(q.bin("strmqm"));
    User::named("mqm").apply(c.arg(&q.qm));
    // SAFETY: only setrlimit between fork and exec.
    unsafe {
        c.pre_exec(|| {
            let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl);
            if libc::setrlimit(libc::RLIMIT_NOFILE, &libc::rlimit { rlim_cur: 1024, rlim_max: rl.rlim_max }) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let r = run(&mut c);
    assert_eq!(r.rc, 0, "strmqm by hand: {r:?}");
    let r = depth10.run("monitor");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(
        r.stderr.contains("nofile 1024 (soft), IBM's minimum is 10240") && r.stderr.contains("set limits="),
        "{r:?}"
    );
    // Depth 0 stays cheap: no such look.
    let r = ocf.clone().with(&[("OCF_RESKEY_CRM_meta_interval", "20000")]).run("monitor");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(!r.stderr.contains("IBM's minimum"), "{r:?}");
    assert_eq!(ocf.run("stop").rc, 0);
}

#[test]
fn bad_limits_are_a_configuration_error_naming_the_value() {
    let q = SimQm::create("LIMBAD");
    for (value, named) in [
        ("nofile=lots", "nofile=lots"),
        ("files=10", "files"),
        ("nofile=10:5", "nofile=10:5"),
        ("nofile=10 nofile=20", "nofile twice"),
    ] {
        for action in ["start", "validate-all", "monitor"] {
            let r = q.ocf(&q.qm).param("limits", value).run(action);
            assert_eq!(r.rc, 6, "{action} limits={value}: {r:?}");
            assert!(r.reason().contains(named), "{action} limits={value}: {}", r.reason());
        }
        assert_eq!(q.ocf(&q.qm).param("limits", value).run("stop").rc, 0, "stop never fails over configuration");
    }
    assert!(q.qm_pids(&q.qm).is_empty());
}
