//! trace_ra as resource-agents has it: with `trace_ra=1` (OCF_RESKEY_trace_ra, as `pcs resource
//! update … trace_ra=1` or `crm resource trace` sets it) each action leaves a trace at
//! `<trace_dir>/<type>/<instance>.<action>.<%F.%T>`, or at `trace_file`, naming the action, the
//! environment, every line the agent logs at debug level and the exit code (docs/logging.md#tracing).

use mq_testkit::*;

fn traces_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir).map(|r| r.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    v.sort();
    v
}

#[test]
fn trace_ra_writes_the_default_path_with_the_action_and_its_decisions() {
    let sim = SimQm::create("TR");
    let dir = tempfile::tempdir().unwrap();
    let trace_dir = dir.path().join("trace_ra");
    let log = dir.path().join("agent.log");
    let env = sim.ocf_base().param("qmgr", &sim.qm).with(&[
        ("OCF_RESKEY_trace_ra", "1"),
        ("OCF_RESKEY_trace_dir", trace_dir.to_str().unwrap()),
        ("HA_LOGFILE", log.to_str().unwrap()),
    ]);
    let o = env.run("start");
    assert_eq!(o.rc, 0, "{}", o.stderr);
    let o = env.run("stop");
    assert_eq!(o.rc, 0, "{}", o.stderr);

    // One file per action, named <instance>.<action>.<YYYY-MM-DD.hh:mm:ss> under <type>/.
    let files = traces_in(&trace_dir.join("ibmmq"));
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    for (name, action) in names.iter().zip(["start", "stop"]) {
        let stamp = name.strip_prefix(&format!("test_qm.{action}.")).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(stamp.len(), 19, "{name}");
        assert_eq!((&stamp[4..5], &stamp[10..11], &stamp[13..14]), ("-", ".", ":"), "{name}");
    }
    let start = files.iter().find(|p| p.to_string_lossy().contains(".start.")).unwrap();
    let text = std::fs::read_to_string(start).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(start).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(text.lines().next().unwrap().contains("trace of ibmmq start on test_qm"), "{text}");
    assert!(text.contains(&format!("env OCF_RESKEY_qmgr={}", sim.qm)), "{text}");
    // Debug lines (the action's decisions) are in the trace though HA_debug is off...
    assert!(text.contains("DEBUG: start (check level 0"), "{text}");
    assert!(text.lines().last().unwrap().ends_with("ibmmq start exits 0 (OCF_SUCCESS)"), "{text}");
    // Every command the action ran, with its argv, its user, its exit code and how long it took.
    let strmqm = text
        .lines()
        .find(|l| l.contains("DEBUG: command ") && l.contains("/bin/strmqm "))
        .unwrap_or_else(|| panic!("no strmqm command line in the trace:\n{text}"));
    assert!(strmqm.contains(&format!(" {} as ", sim.qm)), "{strmqm}");
    assert!(strmqm.contains(" (uid ") && strmqm.contains("): exit 0 in ") && strmqm.ends_with(" ms"), "{strmqm}");
    assert!(!strmqm.contains("(uid 0)"), "an MQ command ran as root: {strmqm}");
    assert!(text.contains("/bin/dspmq "), "{text}");
    // ...and not in the log file, which keeps its ocf_log level.
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!logged.contains("DEBUG:"), "{logged}");
    // Every line the log file has, one of the two traces has too.
    let both: String = files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    for l in logged.lines() {
        let msg = l.split_once("]:    ").map(|(_, m)| m).unwrap_or(l);
        assert!(both.contains(msg), "{msg} missing from the traces:\n{both}");
    }
}

#[test]
fn trace_file_and_ocf_trace_file_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let links = Links::new();
    let file = dir.path().join("my.trace");
    let o = links.run(
        "ibmmq",
        "validate-all",
        &[
            ("OCF_RESOURCE_INSTANCE", "qm9"),
            ("OCF_RESKEY_qmgr", "QM9"),
            ("OCF_RESKEY_trace_ra", "yes"),
            ("OCF_RESKEY_trace_file", file.to_str().unwrap()),
            ("HA_VARLIB", dir.path().to_str().unwrap()),
        ],
    );
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("no trace ({e}): {}", o.stderr));
    assert!(text.contains("trace of ibmmq validate-all on qm9"), "{text}");
    assert!(text.contains(&format!("validate-all exits {}", o.rc)), "{text}");
    // With a trace_file nothing goes to the default directory.
    assert!(!dir.path().join("trace_ra").exists());

    // OCF_TRACE_RA/OCF_TRACE_FILE, ocf-shellfuncs' own names, work without the parameters.
    let other = dir.path().join("other.trace");
    links.run(
        "ibmmq",
        "validate-all",
        &[
            ("OCF_RESOURCE_INSTANCE", "qm9"),
            ("OCF_RESKEY_qmgr", "QM9"),
            ("OCF_TRACE_RA", "1"),
            ("OCF_TRACE_FILE", other.to_str().unwrap()),
        ],
    );
    assert!(std::fs::read_to_string(&other).unwrap().contains("validate-all"));
}

#[test]
fn without_trace_ra_nothing_is_traced() {
    let dir = tempfile::tempdir().unwrap();
    let links = Links::new();
    let o = links.run(
        "ibmmq",
        "validate-all",
        &[
            ("OCF_RESOURCE_INSTANCE", "qm9"),
            ("OCF_RESKEY_qmgr", "QM9"),
            ("OCF_RESKEY_trace_ra", "0"),
            ("HA_VARLIB", dir.path().to_str().unwrap()),
        ],
    );
    assert!(!o.stderr.contains("DEBUG:"), "{}", o.stderr);
    assert!(traces_in(dir.path()).is_empty());
}
