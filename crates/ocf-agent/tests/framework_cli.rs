//! The framework's contract with Pacemaker, checked on the built binary: dispatch on the name it
//! is called by, action handling and exit codes, layer-1 validation with exit reasons naming the
//! bad value, and ocf_log-style log lines.

use mq_testkit::*;

#[test]
fn unknown_and_unsupported_actions_exit_3_with_a_reason() {
    let links = Links::new();
    for agent in AGENTS {
        for action in ["frobnicate", "migrate_to", "migrate_from", "reload", "promote", "demote", "notify"] {
            let o = links.run(agent, action, &[("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "1414")]);
            assert_eq!(o.rc, 3, "{agent} {action}: {}", o.stderr);
            let r = o.exit_reason().unwrap_or_default();
            assert!(r.contains(action), "{agent} {action}: reason '{r}'");
        }
    }
    // reload-agent exists where parameters are reloadable: in all three, trace_ra and trace_file.
    for agent in ["ibmmq-listener", "ibmmq-trigger"] {
        let o = links.run(
            agent,
            "reload-agent",
            &[("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "1"), ("OCF_RESKEY_initq", "Q")],
        );
        assert_eq!(o.rc, 0, "{agent} reload-agent: {}", o.stderr);
    }
}

#[test]
fn usage_help_and_version_succeed() {
    let links = Links::new();
    for agent in AGENTS {
        for a in ["usage", "help"] {
            let o = links.run(agent, a, NO_ENV);
            assert_eq!(o.rc, 0);
            assert!(o.stdout.starts_with(&format!("usage: {agent} {{")), "{}", o.stdout);
        }
        let o = links.run(agent, "--version", NO_ENV);
        assert_eq!(o.rc, 0);
        assert!(o.stdout.starts_with(&format!("{agent} (mqha) ")), "{}", o.stdout);
        // No action at all is a misuse: usage on stderr, 2.
        let o = run_with_env(&links.path(agent), &[], NO_ENV);
        assert_eq!(o.rc, 2);
        assert!(o.stderr.contains("usage:"));
    }
}

#[test]
fn extra_arguments_are_ignored() {
    let links = Links::new();
    let o = run_with_env(&links.path("ibmmq"), &["meta-data", "--bogus", "x"], NO_ENV);
    assert_eq!(o.rc, 0);
    assert!(o.stdout.contains("<resource-agent name=\"ibmmq\""));
}

#[test]
fn an_unknown_program_name_is_not_installed() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ibmmq-frob");
    std::os::unix::fs::symlink(agent_exe(), &bad).unwrap();
    let o = run_with_env(&bad, &["meta-data"], NO_ENV);
    assert_eq!(o.rc, 5);
    assert!(o.exit_reason().unwrap().contains("'ibmmq-frob'"), "{}", o.stderr);
}

fn validate(links: &Links, agent: &str, env: &[(&str, &str)]) -> (i32, String) {
    let o = links.run(agent, "validate-all", env);
    (o.rc, o.exit_reason().unwrap_or_default())
}

#[test]
fn validate_all_level_0_checks_parameters_only() {
    let links = Links::new();
    // Nothing on this machine is looked at: a non-existent installation path still validates.
    assert_eq!(
        validate(&links, "ibmmq", &[("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_mq_installation", "/nonexistent/mqm")]).0,
        0
    );
    assert_eq!(
        validate(
            &links,
            "ibmmq-listener",
            &[("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "1414"), ("OCF_RESKEY_ipaddr", "192.0.2.7")]
        )
        .0,
        0
    );
    assert_eq!(validate(&links, "ibmmq-trigger", &[("OCF_RESKEY_qmgr", "QM.A/B_%")]).0, 0);
}

#[test]
fn bad_parameters_exit_6_naming_the_value() {
    let links = Links::new();
    let long = "Q".repeat(49);
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);
    let cases: Vec<Case> = vec![
        ("ibmmq", vec![], "parameter 'qmgr' is required".into()),
        ("ibmmq", vec![("OCF_RESKEY_qmgr", "QM 1")], "qmgr='QM 1' has ' ' at position 3".into()),
        (
            "ibmmq",
            vec![("OCF_RESKEY_qmgr", "QM1;touch /tmp/mqha-pwned")],
            "qmgr='QM1;touch /tmp/mqha-pwned' has ';'".into(),
        ),
        ("ibmmq", vec![("OCF_RESKEY_qmgr", "$(reboot)")], "qmgr='$(reboot)' has '$' at position 1".into()),
        ("ibmmq", vec![("OCF_RESKEY_qmgr", &long)], format!("qmgr='{long}' is 49 characters long")),
        (
            "ibmmq",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_mq_installation", "opt/mqm")],
            "mq_installation='opt/mqm' is not an absolute path".into(),
        ),
        (
            "ibmmq",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_mq_user", "mq user")],
            "mq_user='mq user' is not a valid user name".into(),
        ),
        ("ibmmq", vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_strmqm_options", "-c")], "strmqm_options='-c'".into()),
        (
            "ibmmq",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_strmqm_options", "-x")],
            "strmqm_options has -x".into(),
        ),
        (
            "ibmmq",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_stop_mode", "gently")],
            "stop_mode='gently' is not one of immediate, controlled, wait".into(),
        ),
        (
            "ibmmq",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_ipc_cleanup", "perhaps")],
            "ipc_cleanup='perhaps' is not a boolean".into(),
        ),
        ("ibmmq-listener", vec![("OCF_RESKEY_qmgr", "QM1")], "parameter 'port' is required".into()),
        (
            "ibmmq-listener",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "0")],
            "port='0' is out of range 1-65535".into(),
        ),
        (
            "ibmmq-listener",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "70000")],
            "port='70000' is out of range 1-65535".into(),
        ),
        (
            "ibmmq-listener",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "fourteen")],
            "port='fourteen' is not a whole number".into(),
        ),
        (
            "ibmmq-listener",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "1414"), ("OCF_RESKEY_ipaddr", "mq.example.com")],
            "ipaddr='mq.example.com' is not a numeric".into(),
        ),
        (
            "ibmmq-listener",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_port", "1414"), ("OCF_RESKEY_backlog", "-5")],
            "backlog='-5' is out of range".into(),
        ),
        (
            "ibmmq-trigger",
            vec![("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_initq", "INIT Q")],
            "initq='INIT Q' has ' '".into(),
        ),
    ];
    for (agent, env, want) in cases {
        for action in ["validate-all", "start", "monitor"] {
            let o = links.run(agent, action, &env);
            assert_eq!(o.rc, 6, "{agent} {action} {env:?}: {}", o.stderr);
            let r = o.exit_reason().unwrap_or_default();
            assert!(r.starts_with(&want) || r.contains(&want), "{agent} {action} {env:?}: reason '{r}', want '{want}'");
            assert!(r.chars().count() <= 127);
        }
    }
    assert!(!std::path::Path::new("/tmp/mqha-pwned").exists());
}

#[test]
fn stop_never_fails_over_configuration() {
    let links = Links::new();
    for agent in AGENTS {
        let o = links.run(agent, "stop", &[("OCF_RESKEY_qmgr", "bad name"), ("OCF_RESKEY_CRM_meta_timeout", "soon")]);
        assert_eq!(o.rc, 0, "{agent} stop with bad parameters: {}", o.stderr);
    }
}

#[test]
fn bad_op_environment_is_named() {
    let links = Links::new();
    let o = links.run("ibmmq", "monitor", &[("OCF_RESKEY_qmgr", "QM1"), ("OCF_CHECK_LEVEL", "deep")]);
    assert_eq!(o.rc, 6);
    assert_eq!(o.exit_reason().unwrap(), "OCF_CHECK_LEVEL='deep' is not a number");
    let o = links.run("ibmmq", "start", &[("OCF_RESKEY_qmgr", "QM1"), ("OCF_RESKEY_CRM_meta_timeout", "60s")]);
    assert_eq!(o.rc, 6);
    assert!(o.exit_reason().unwrap().contains("'60s'"));
}

#[test]
fn exit_reason_prefix_is_honoured() {
    let links = Links::new();
    let o = links.run("ibmmq", "validate-all", &[("OCF_EXIT_REASON_PREFIX", "REASON>")]);
    assert_eq!(o.rc, 6);
    assert_eq!(o.stderr.lines().last().unwrap(), "REASON>parameter 'qmgr' is required");
}

/// `Mon DD HH:MM:SS` as ocf_log's default HA_DATEFMT writes it.
fn is_ocf_log_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 15
        && b[..3].iter().all(u8::is_ascii_alphabetic)
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[9] == b':'
        && b[12] == b':'
}

#[test]
fn log_file_lines_look_like_ocf_log() {
    let links = Links::new();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("agent.log");
    let logs = log.to_str().unwrap();
    let o = links.run("ibmmq", "validate-all", &[("HA_LOGFILE", logs), ("OCF_RESOURCE_INSTANCE", "qm1")]);
    assert_eq!(o.rc, 6);
    let text = std::fs::read_to_string(&log).expect("HA_LOGFILE written");
    let line = text.lines().find(|l| l.contains("ERROR:")).unwrap_or_else(|| panic!("no ERROR line in {text}"));
    assert!(is_ocf_log_date(&line[..15]), "date in '{line}'");
    let rest = &line[16..];
    let tag_end = rest.find(":    ").unwrap_or_else(|| panic!("no tag in '{line}'"));
    let tag = &rest[..tag_end];
    assert!(tag.starts_with("ibmmq(qm1)[") && tag.ends_with(']'), "tag '{tag}'");
    let pid = &tag["ibmmq(qm1)[".len()..tag.len() - 1];
    assert!(pid.parse::<u32>().is_ok(), "pid '{pid}'");
    assert_eq!(&rest[tag_end..], ":    ERROR: parameter 'qmgr' is required");
    // The reason is logged to the file, not repeated on stderr as a log line.
    assert_eq!(o.stderr.trim_end(), "ocf-exit-reason:parameter 'qmgr' is required");
}

#[test]
fn debug_lines_only_when_asked_for() {
    let links = Links::new();
    let dir = tempfile::tempdir().unwrap();
    for (debug, want) in [
        (None, false),
        (Some(("HA_debug", "0")), false),
        (Some(("HA_debug", "1")), true),
        (Some(("HA_debug", "")), false),
    ] {
        let log = dir.path().join(format!("d-{want}-{}.log", debug.map(|d| d.0).unwrap_or("none")));
        let mut env = vec![
            // pacemaker-execd in debug mode points both at its log file; ha_debug writes only HA_DEBUGLOG.
            ("HA_LOGFILE", log.to_str().unwrap()),
            ("HA_DEBUGLOG", log.to_str().unwrap()),
            ("OCF_RESKEY_qmgr", "QM1"),
            ("OCF_RESKEY_CRM_meta_timeout", "30000"),
        ];
        env.extend(debug);
        let o = links.run("ibmmq-trigger", "validate-all", &env);
        assert_eq!(o.rc, 0, "{}", o.stderr);
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(text.contains("DEBUG: validate-all (check level 0, timeout 30000 ms)"), want, "{debug:?}: {text}");
    }
}

#[test]
fn without_log_destinations_lines_go_to_stderr() {
    let links = Links::new();
    let o = links.run("ibmmq", "monitor", &[("OCF_RESKEY_qmgr", "QM1"), ("HA_debug", "1")]);
    let err = o.stderr;
    let line = err.lines().find(|l| l.contains("DEBUG:")).unwrap_or_else(|| panic!("no DEBUG on stderr: {err}"));
    assert!(is_ocf_log_date(&line[..15]), "{line}");
    assert!(line.ends_with("DEBUG: monitor (check level 0, probe, timeout 20000 ms)"), "{line}");
}
