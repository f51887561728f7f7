//! env_file: the administrator's variables reach the queue manager's processes and the commands
//! the agent runs; a file or line that could undo the agent's guarantees is refused, naming it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use mq_testkit::*;

/// NAME=value pairs of /proc/PID/environ.
fn environ(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// The first process of `qm` whose program is `program`.
fn process(sim: &Sim, qm: &str, program: &str) -> i32 {
    let pids = sim.qm_pids(qm);
    *pids
        .iter()
        .find(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .map(|c| c.split(|b| *b == 0).next().is_some_and(|a| a.ends_with(program.as_bytes())))
                .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("no {program} of {qm} among {pids:?}"))
}

/// A root-owned env file in `dir` with `text` and `mode`.
fn env_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
    f
}

#[test]
fn env_file_variables_reach_the_execution_controller_and_the_commands_the_agent_runs() {
    let q = SimQm::create("ENV");
    // SCHINIT(MANUAL): the channel initiator is then started by the agent (runmqchi), not by the
    // queue manager, so its environment is that of a command the agent ran.
    q.start();
    q.mqsc("ALTER QMGR SCHINIT(MANUAL)\n");
    q.stop();
    let dir = tempfile::tempdir().unwrap();
    let f = env_file(dir.path(), "qm.env", "# XA: Db2\nDB2INSTANCE=db2inst1\n\nAMQ_TEST_TUNING=a b $(id)\n", 0o600);
    let ocf = q.ocf(&q.qm).param("env_file", &f);
    let r = ocf.run("start");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(r.stderr.contains("starting the channel initiator"), "{r:?}");
    for program in ["amqzxma0", "runmqchi"] {
        let env = environ(process(&q, &q.qm, program));
        assert!(env.contains(&"DB2INSTANCE=db2inst1".to_string()), "{program}: {env:?}");
        // Taken as written: no shell ran.
        assert!(env.contains(&"AMQ_TEST_TUNING=a b $(id)".to_string()), "{program}: {env:?}");
        // The agent's own variables are still its.
        assert!(env.iter().any(|v| v.starts_with("PATH=") && v.contains(&q.inst().display().to_string())), "{env:?}");
    }

    // Made writable by others while the queue manager runs: monitor and start refuse it (6),
    // stop still stops the queue manager with endmqm.
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
    let r = ocf.clone().with(&[("OCF_RESKEY_CRM_meta_interval", "20000")]).run("monitor");
    assert_eq!(r.rc, 6, "{r:?}");
    assert!(r.reason().contains("qm.env") && r.reason().contains("writable by group or others"), "{}", r.reason());
    let r = ocf.run("stop");
    assert_eq!(r.rc, 0, "{r:?}");
    assert!(q.qm_pids(&q.qm).is_empty(), "left: {:?}", q.qm_pids(&q.qm));
    let log = std::fs::read_to_string(q.root.join(".mqsim/commands.log")).unwrap_or_default();
    assert!(log.contains("endmqm"), "stop did not run endmqm: {log}");
}

#[test]
fn a_bad_env_file_is_refused_naming_the_file_and_line() {
    let q = SimQm::create("ENVBAD");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let link = d.join("link.env");
    std::os::unix::fs::symlink(env_file(d, "real.env", "A=1\n", 0o600), &link).unwrap();
    let cases: Vec<(PathBuf, i32, String)> = vec![
        (
            env_file(d, "line.env", "A=1\nexport B=2\n", 0o600),
            6,
            "line.env: line 2: 'export B' is not a variable name".into(),
        ),
        (
            env_file(d, "preload.env", "# x\nLD_PRELOAD=/tmp/x.so\n", 0o600),
            6,
            "preload.env: line 2: LD_PRELOAD may not be set".into(),
        ),
        (env_file(d, "path.env", "PATH=/tmp\n", 0o600), 6, "path.env: line 1: PATH may not be set".into()),
        (env_file(d, "open.env", "A=1\n", 0o620), 6, "open.env: is writable by group or others (mode 0620)".into()),
        (link, 6, "link.env: is a symbolic link".into()),
        (d.join("missing.env"), 5, "missing.env: does not exist on this node".into()),
    ];
    for (f, code, named) in &cases {
        // validate-all at depth 10 checks the node (depth 0, what pcs runs, only the parameters).
        for action in ["start", "validate-all"] {
            let r = q.ocf(&q.qm).param("env_file", f).set("OCF_CHECK_LEVEL", "10").run(action);
            assert_eq!(r.rc, *code, "{action} {}: {r:?}", f.display());
            assert!(r.reason().contains(named.as_str()), "{action}: '{}' does not say '{named}'", r.reason());
        }
        // Nothing runs: a probe says stopped, stop succeeds.
        assert_eq!(q.ocf(&q.qm).param("env_file", f).run("monitor").rc, 7, "probe {}", f.display());
        assert_eq!(q.ocf(&q.qm).param("env_file", f).run("stop").rc, 0, "stop {}", f.display());
    }
    assert!(q.qm_pids(&q.qm).is_empty());
    // Not root's: refused too.
    let f = env_file(d, "mqm.env", "A=1\n", 0o600);
    let (uid, gid) = ids("mqm");
    std::os::unix::fs::chown(&f, Some(uid), Some(gid)).unwrap();
    let r = q.ocf(&q.qm).param("env_file", &f).run("start");
    assert_eq!(r.rc, 6, "{r:?}");
    assert!(r.reason().contains(&format!("mqm.env: is owned by uid {uid}, not root")), "{}", r.reason());
    // A relative path is refused by the parameter check.
    let r = q.ocf(&q.qm).param("env_file", "qm.env").run("start");
    assert_eq!(r.rc, 6, "{r:?}");
    assert!(r.reason().contains("env_file='qm.env'"), "{}", r.reason());
}
