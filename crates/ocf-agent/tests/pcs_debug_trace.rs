//! `pcs resource debug-start --full` on a resource configured with `trace_ra=1 trace_file=… --force` leaves
//! the trace, naming the action and the commands the agent ran. pcs runs `crm_resource -r RSC
//! --force-start --verbose --verbose`, which sets HA_debug=1, OCF_TRACE_RA=1 and (unless set)
//! OCF_TRACE_FILE=/dev/stderr for the agent (docs/logging.md#tracing). Here pcs configures a file CIB
//! (`pcs -f`), crm_resource runs what debug-start runs with CIB_file, and no cluster daemon runs; the agents are found under
//! /usr/lib/ocf/resource.d only inside the command's own mount namespace.

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use mq_testkit::*;

/// `program args` with CIB_file=cib, where /usr/lib/ocf/resource.d is `agents` alone.
fn in_ns(program: &str, agents: &Path, cib: &Path, args: &[&str]) -> Output {
    let src = CString::new(agents.to_str().unwrap()).unwrap();
    let mut c = Command::new(program);
    c.args(args).env("CIB_file", cib).stdin(Stdio::null());
    // SAFETY: only system calls between fork and exec; the strings were built before.
    unsafe {
        c.pre_exec(move || {
            let none = std::ptr::null::<libc::c_char>();
            let ok = |rc: libc::c_int| if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) };
            ok(libc::unshare(libc::CLONE_NEWNS))?;
            ok(libc::mount(none, c"/".as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()))?;
            ok(libc::mount(src.as_ptr(), c"/usr/lib/ocf/resource.d".as_ptr(), none, libc::MS_BIND, std::ptr::null()))
        });
    }
    c.output().unwrap_or_else(|e| panic!("{program}: {e}"))
}

/// `pcs -f cib args`.
fn pcs(agents: &Path, cib: &Path, args: &[&str]) -> Output {
    let mut all = vec!["-f", cib.to_str().unwrap()];
    all.extend(args);
    in_ns("/usr/sbin/pcs", agents, cib, &all)
}

/// What `pcs resource debug-<action> --full RSC` runs (pcs/resource.py, resource_force_action); pcs itself
/// refuses -f there, so the command is run as pcs would with the file CIB.
fn debug_full(agents: &Path, cib: &Path, force_action: &str, rsc: &str) -> Output {
    in_ns("crm_resource", agents, cib, &["-r", rsc, force_action, "--verbose", "--verbose"])
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn debug_start_full_with_trace_ra_leaves_the_trace_file() {
    assert!(Path::new("/usr/sbin/pcs").exists(), "pcs is missing: run tests/setup.sh");
    let sim = SimQm::create("DS");
    let work = tempfile::tempdir().unwrap();
    let agents = work.path().join("resource.d");
    let mqha = agents.join("mqha");
    std::fs::create_dir_all(&mqha).unwrap();
    for d in [agents.as_path(), mqha.as_path()] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::copy(agent_exe(), mqha.join("ibmmq")).unwrap();
    let cib = work.path().join("cib.xml");
    let o = Command::new("cibadmin").arg("--empty").output().expect("cibadmin (pacemaker-cli-utils)");
    std::fs::write(&cib, &o.stdout).unwrap();
    let trace = work.path().join("qm.trace");

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
    let o = pcs(&agents, &cib, &create);
    assert!(o.status.success(), "pcs resource create:\n{}", text(&o));

    let o = debug_full(&agents, &cib, "--force-start", "qm");
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
    let o = pcs(&agents, &cib, &["resource", "update", "qm", "trace_file=", "--force"]);
    assert!(o.status.success(), "pcs resource update:\n{}", text(&o));
    let o = debug_full(&agents, &cib, "--force-stop", "qm");
    let out = text(&o);
    assert!(o.status.success(), "crm_resource -r qm --force-stop -V -V:\n{out}");
    assert!(out.contains("trace of ibmmq stop on qm"), "{out}");
    assert!(out.contains("ibmmq stop exits 0 (OCF_SUCCESS)"), "{out}");
}
