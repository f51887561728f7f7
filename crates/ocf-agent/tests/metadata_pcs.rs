//! pcs reads the meta-data the way an administrator meets it: `pcs resource create` enforces the
//! unique groups (ibmmq's qmgr, the listener's ipaddr + port) and `--agent-validation` shows the
//! agent's reason for a bad value; `pcs resource debug-start --full` with `trace_ra=1` leaves the
//! trace. pcs and crm_resource find agents only under
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
    work: tempfile::TempDir,
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
        Pcs { agents, cib, work }
    }

    /// `pcs -f CIB args`, in a mount namespace where OCF_DIR is this build's agents only.
    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["-f", self.cib.to_str().unwrap()];
        all.extend(args);
        self.in_ns("/usr/sbin/pcs", &all)
    }

    /// What `pcs resource debug-<action> --full RSC` runs (pcs/resource.py, resource_force_action), with the
    /// file CIB as CIB_file: pcs itself refuses -f for debug actions.
    fn debug_full(&self, force_action: &str, rsc: &str) -> Output {
        self.in_ns("crm_resource", &["-r", rsc, force_action, "--verbose", "--verbose"])
    }

    /// `program args` with CIB_file set, in a mount namespace where OCF_DIR is this build's agents only.
    fn in_ns(&self, program: &str, args: &[&str]) -> Output {
        let src = CString::new(self.agents.path().to_str().unwrap()).unwrap();
        let mut c = Command::new(program);
        c.args(args).env("CIB_file", &self.cib).stdin(Stdio::null());
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
        c.output().unwrap_or_else(|e| panic!("{program}: {e}"))
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

/// The production parameters of ocf:mqha:ibmmq (limits, env_file, planned stops): pcs shows the
/// agent's reason for a bad value, and creates the resource with good ones.
#[test]
fn agent_validation_refuses_bad_production_parameters() {
    let pcs = Pcs::new();
    let refused = |param: &str, reason: &str| {
        let o = pcs.run(&["resource", "create", "q1", "ocf:mqha:ibmmq", "qmgr=QM1", param, "--agent-validation"]);
        assert!(!o.status.success(), "pcs accepted {param}:\n{}", text(&o));
        assert!(text(&o).contains(&format!("ocf-exit-reason:{reason}")), "{param}: {}", text(&o));
    };
    refused("limits=nofile=lots", "limits='nofile=lots' has 'nofile=lots': the value must be");
    refused("limits=nofile=10:5", "limits='nofile=10:5' has 'nofile=10:5': the hard limit 5 is below");
    refused("env_file=etc/qm.env", "env_file='etc/qm.env'");
    refused("reconnect_clients=maybe", "reconnect_clients='maybe'");
    let o = pcs.run(&[
        "resource",
        "create",
        "q2",
        "ocf:mqha:ibmmq",
        "qmgr=QM2",
        "limits=nofile=65536 core=unlimited",
        "env_file=/etc/mqha/QM2.env",
        "reconnect_clients=true",
        "--agent-validation",
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

/// `pcs resource debug-start --full` on a resource configured with `trace_ra=1 trace_file=…` leaves the trace
/// naming the action and the commands run; crm_resource -V -V sets HA_debug=1, OCF_TRACE_RA=1 and, unless
/// set, OCF_TRACE_FILE=/dev/stderr for the agent (docs/logging.md#tracing). No cluster daemon runs.
#[test]
fn debug_start_full_with_trace_ra_leaves_the_trace_file() {
    let pcs = Pcs::new();
    let sim = SimQm::create("DS");
    let trace = pcs.work.path().join("qm.trace");

    let create = [
        "resource",
        "create",
        "qm",
        "ocf:mqha:ibmmq",
        &format!("qmgr={}", sim.qm),
        &format!("mq_installation={}", sim.inst().display()),
        "trace_ra=1",
        &format!("trace_file={}", trace.display()),
        "--no-default-ops",
        // pcs offers trace_ra/trace_file itself only for ocf:heartbeat and ocf:pacemaker agents, which
        // declare neither (pcs lib/resource_agent/facade.py); ours are undeclared too, as docs/logging.md says.
        "--force",
    ];
    let o = pcs.run(&create);
    assert!(o.status.success(), "pcs resource create:\n{}", text(&o));

    let o = pcs.debug_full("--force-start", "qm");
    let out = text(&o);
    assert!(o.status.success(), "crm_resource -r qm --force-start -V -V:\n{out}");
    sim.wait_status(&sim.qm, "RUNNING", std::time::Duration::from_secs(10));

    let t = std::fs::read_to_string(&trace).unwrap_or_else(|e| panic!("no trace file ({e}); pcs said:\n{out}"));
    assert!(t.contains("trace of ibmmq start on qm"), "{t}");
    // crm_resource's own settings are recorded, then the commands and decisions of the start.
    assert!(t.contains("env OCF_TRACE_RA=1"), "{t}");
    assert!(t.contains(&format!("running strmqm {}", sim.qm)), "{t}");
    assert!(t.contains("DEBUG: start"), "{t}");
    assert!(t.lines().last().unwrap().ends_with("ibmmq start exits 0 (OCF_SUCCESS)"), "{t}");

    // Without trace_file the trace goes where crm_resource points OCF_TRACE_FILE: its stderr, which pcs shows.
    let o = pcs.run(&["resource", "update", "qm", "trace_file=", "--force"]);
    assert!(o.status.success(), "pcs resource update:\n{}", text(&o));
    let o = pcs.debug_full("--force-stop", "qm");
    let out = text(&o);
    assert!(o.status.success(), "crm_resource -r qm --force-stop -V -V:\n{out}");
    assert!(out.contains("trace of ibmmq stop on qm"), "{out}");
    assert!(out.contains("ibmmq stop exits 0 (OCF_SUCCESS)"), "{out}");
}
