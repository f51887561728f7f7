//! pcs reads the meta-data the way an administrator meets it: `pcs resource create` enforces the
//! unique groups (ibmmq's qmgr, the listener's ipaddr + port) and `--agent-validation` shows the
//! agent's reason for a bad value. pcs and crm_resource find agents only under
//! /usr/lib/ocf/resource.d, so each runs in its own mount namespace where that directory holds
//! just this build's agents; the machine's own directory is never touched.

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use mq_testkit::*;

const OCF_DIR: &str = "/usr/lib/ocf/resource.d";

struct Pcs {
    agents: tempfile::TempDir,
    cib: std::path::PathBuf,
    _work: tempfile::TempDir,
}

impl Pcs {
    fn new() -> Pcs {
        assert!(Path::new("/usr/sbin/pcs").exists(), "pcs is missing: run tests/setup.sh");
        assert!(Path::new(OCF_DIR).is_dir(), "{OCF_DIR} is missing: run tests/setup.sh (resource-agents)");
        let agents = tempfile::tempdir().unwrap();
        let mqha = agents.path().join("mqha");
        std::fs::create_dir(&mqha).unwrap();
        for d in [agents.path(), mqha.as_path()] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::copy(agent_exe(), mqha.join("ibmmq")).unwrap();
        std::fs::set_permissions(mqha.join("ibmmq"), std::fs::Permissions::from_mode(0o755)).unwrap();
        for a in ["ibmmq-listener", "ibmmq-trigger"] {
            std::os::unix::fs::symlink("ibmmq", mqha.join(a)).unwrap();
        }
        let work = tempfile::tempdir().unwrap();
        let cib = work.path().join("cib.xml");
        let o = Command::new("cibadmin").arg("--empty").output().expect("cibadmin (pacemaker-cli-utils)");
        assert!(o.status.success(), "cibadmin --empty: {}", String::from_utf8_lossy(&o.stderr));
        std::fs::write(&cib, &o.stdout).unwrap();
        Pcs { agents, cib, _work: work }
    }

    /// `pcs -f CIB args`, in a mount namespace where OCF_DIR is this build's agents only.
    fn run(&self, args: &[&str]) -> Output {
        let src = CString::new(self.agents.path().to_str().unwrap()).unwrap();
        let mut c = Command::new("/usr/sbin/pcs");
        c.arg("-f").arg(&self.cib).args(args).stdin(Stdio::null());
        // SAFETY: only system calls between fork and exec; the strings were built before.
        unsafe {
            c.pre_exec(move || {
                let none = std::ptr::null::<libc::c_char>();
                let ok = |rc: libc::c_int| if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) };
                ok(libc::unshare(libc::CLONE_NEWNS))?;
                ok(libc::mount(none, c"/".as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()))?;
                ok(libc::mount(
                    src.as_ptr(),
                    c"/usr/lib/ocf/resource.d".as_ptr(),
                    none,
                    libc::MS_BIND,
                    std::ptr::null(),
                ))
            });
        }
        c.output().expect("pcs")
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn pcs_enforces_the_unique_groups() {
    let pcs = Pcs::new();
    let ok = |args: &[&str]| {
        let o = pcs.run(args);
        assert!(o.status.success(), "pcs {args:?}:\n{}", text(&o));
    };
    let refused = |args: &[&str], want: &str| {
        let o = pcs.run(args);
        assert!(!o.status.success(), "pcs accepted {args:?}");
        assert!(text(&o).contains(want), "pcs {args:?}:\n{}", text(&o));
    };
    ok(&["resource", "create", "qm1", "ocf:mqha:ibmmq", "qmgr=QM1", "--no-default-ops"]);
    refused(
        &["resource", "create", "qm1b", "ocf:mqha:ibmmq", "qmgr=QM1", "--no-default-ops"],
        "option 'qmgr' is not unique",
    );
    ok(&[
        "resource",
        "create",
        "l1",
        "ocf:mqha:ibmmq-listener",
        "qmgr=QM1",
        "port=1414",
        "ipaddr=192.0.2.1",
        "--no-default-ops",
    ]);
    // Another queue manager on the same port number is fine on another address...
    ok(&[
        "resource",
        "create",
        "l2",
        "ocf:mqha:ibmmq-listener",
        "qmgr=QM2",
        "port=1414",
        "ipaddr=192.0.2.2",
        "--no-default-ops",
    ]);
    // ... but not on the same one.
    refused(
        &[
            "resource",
            "create",
            "l3",
            "ocf:mqha:ibmmq-listener",
            "qmgr=QM3",
            "port=1414",
            "ipaddr=192.0.2.1",
            "--no-default-ops",
        ],
        "(group 'endpoint') is not unique",
    );
    refused(&["resource", "create", "l4", "ocf:mqha:ibmmq-listener", "qmgr=QM1", "--no-default-ops"], "port");
}

#[test]
fn agent_validation_shows_the_agents_reason() {
    let pcs = Pcs::new();
    let o = pcs.run(&[
        "resource",
        "create",
        "l1",
        "ocf:mqha:ibmmq-listener",
        "qmgr=QM1",
        "port=70000",
        "--agent-validation",
    ]);
    assert!(!o.status.success(), "pcs accepted port=70000:\n{}", text(&o));
    assert!(text(&o).contains("ocf-exit-reason:port='70000' is out of range 1-65535"), "{}", text(&o));
    let o = pcs.run(&["resource", "create", "t1", "ocf:mqha:ibmmq-trigger", "qmgr=QM1", "--agent-validation"]);
    assert!(o.status.success(), "{}", text(&o));
    // The advertised operations became the resource's, monitors with their depth.
    let o = pcs.run(&["resource", "config", "t1"]);
    let cfg = text(&o);
    assert!(
        cfg.contains("interval=20s") && cfg.contains("interval=60s") && cfg.contains("OCF_CHECK_LEVEL=10"),
        "{cfg}"
    );
}
