//! The control commands' confirmed outputs and exit codes. Every expected string below is copied
//! from the public captures behind docs/reference/mq-commands.md (anchor in the comment), never from our own output.

use mq_testkit::*;

#[test]
fn unknown_queue_manager_everywhere() {
    let sim = Sim::install(&[]);
    // docs/reference/mq-commands.md#dspmq-errors: dspmq -m NOPE -> AMQ7048E, rc 72
    let r = sim.mq("dspmq", &["-m", "NOPE"]);
    assert_eq!(r.rc, 72);
    assert_eq!(r.stdout, "AMQ7048E: The queue manager name is either not valid or not known.\n");
    // docs/reference/mq-commands.md#endmqm-output: endmqm on a QM that does not exist -> AMQ8118E, rc 16
    let r = sim.mq("endmqm", &["NOPE"]);
    assert_eq!(r.rc, 16);
    assert_eq!(r.stdout, "AMQ8118E: IBM MQ queue manager does not exist.\n");
    // docs/reference/mq-commands.md#strmqm-return-codes: strmqm on a QM that does not exist -> rc 16
    assert_eq!(sim.mq("strmqm", &["NOPE"]).rc, 16);
    // docs/reference/mq-commands.md#dltmqm: dltmqm rc 16
    assert_eq!(sim.mq("dltmqm", &["NOPE"]).rc, 16);
}

#[test]
fn crtmqm_output_and_duplicate() {
    let sim = Sim::install(&[]);
    let r = sim.ok("crtmqm", &["QM1"]);
    let dir = sim.root.join("var/mqm/qmgrs/QM1");
    // docs/reference/mq-commands.md#crtmqm, 9.3 form: first line names the QM; Directory line; installation line.
    let expect_head = format!(
        "IBM MQ queue manager 'QM1' created.\nDirectory '{}' created.\nThe queue manager is associated with installation 'Installation1'.\nCreating or replacing default objects for queue manager 'QM1'.\n",
        std::fs::canonicalize(&dir).unwrap().display()
    );
    assert!(r.stdout.starts_with(&expect_head), "{}", r.stdout);
    assert!(r.stdout.contains("Default objects statistics : "), "{}", r.stdout);
    assert!(r.stdout.ends_with("Completing setup.\nSetup completed.\n"), "{}", r.stdout);
    // docs/reference/mq-commands.md#crtmqm: exists -> AMQ8110E rc 8
    let r = sim.mq("crtmqm", &["QM1"]);
    assert_eq!(r.rc, 8);
    assert_eq!(r.stdout, "AMQ8110E: IBM MQ queue manager already exists.\n");
    // docs/reference/mq-processes-and-files.md#directory-names: directory mapping '.' -> '!', '/' -> '&'
    sim.ok("crtmqm", &["SVTBRIDGE.QUEUE.MANAGER"]);
    assert!(sim.root.join("var/mqm/qmgrs/SVTBRIDGE!QUEUE!MANAGER/qm.ini").exists());
    sim.ok("crtmqm", &["a/b"]);
    assert!(sim.root.join("var/mqm/qmgrs/a&b").is_dir());
    // The data belongs to the mq user.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&dir).unwrap().uid(), User::named("mqm").uid);
}

#[test]
fn start_end_cycle_outputs_and_codes() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    // docs/reference/mq-commands.md#endmqm-output: not running -> endmqm AMQ8146E rc 40
    let r = sim.mq("endmqm", &["QM1"]);
    assert_eq!((r.rc, r.stdout.as_str()), (40, "AMQ8146E: IBM MQ queue manager not available.\n"));
    // docs/reference/mq-commands.md#strmqm-output start sequence
    let r = sim.ok("strmqm", &["QM1"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], "IBM MQ queue manager 'QM1' starting.");
    assert_eq!(lines[1], "The queue manager is associated with installation 'Installation1'.");
    assert!(lines[2].ends_with(" log records accessed on queue manager 'QM1' during the log replay phase."));
    assert_eq!(lines[3], "Log replay for queue manager 'QM1' complete.");
    assert_eq!(lines[4], "Transaction manager state recovered for queue manager 'QM1'.");
    assert_eq!(*lines.last().unwrap(), "IBM MQ queue manager 'QM1' started using V9.3.0.0.");
    // docs/reference/mq-commands.md#strmqm-output already running -> rc 5
    let r = sim.mq("strmqm", &["QM1"]);
    assert_eq!((r.rc, r.stdout.as_str()), (5, "IBM MQ queue manager running.\n"));
    // docs/reference/mq-commands.md#dspmq-output column 59 layout and #dspmq-states values
    let r = sim.ok("dspmq", &[]);
    assert_eq!(r.stdout, "QMNAME(QM1)                                               STATUS(Running)\n");
    assert_eq!(r.stdout.find("STATUS(").unwrap(), 58);
    assert_eq!(sim.status("QM1"), "RUNNING");
    // docs/reference/mq-commands.md#dltmqm: dltmqm on a running QM -> rc 5
    assert_eq!(sim.mq("dltmqm", &["QM1"]).rc, 5);
    // docs/reference/mq-commands.md#endmqm-output default/-c: two lines, rc 0
    let r = sim.mq("endmqm", &["QM1"]);
    assert_eq!(r.rc, 0);
    assert_eq!(
        r.stdout,
        "Quiesce request accepted. The queue manager will stop when all outstanding work\nis complete.\n"
    );
    sim.wait_status("QM1", "ENDED NORMALLY", std::time::Duration::from_secs(10));
    // docs/reference/mq-commands.md#endmqm-output -w: waiting line then ended line
    sim.ok("strmqm", &["QM1"]);
    let r = sim.ok("endmqm", &["-w", "QM1"]);
    assert!(r.stdout.starts_with("Waiting for queue manager 'QM1' to end.\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with("IBM MQ queue manager 'QM1' ended.\n"), "{}", r.stdout);
    assert_eq!(sim.status("QM1"), "ENDED NORMALLY");
    // -i: ending line first (docs/reference/mq-commands.md#endmqm-output), Ended immediately
    sim.ok("strmqm", &["QM1"]);
    let r = sim.ok("endmqm", &["-i", "QM1"]);
    assert!(r.stdout.starts_with("IBM MQ queue manager 'QM1' ending.\n"), "{}", r.stdout);
    assert_eq!(sim.status("QM1"), "ENDED IMMEDIATELY");
    // -p: Ended pre-emptively (MQ 8+ spelling, docs/reference/mq-commands.md#dspmq-states)
    sim.ok("strmqm", &["QM1"]);
    sim.ok("endmqm", &["-p", "QM1"]);
    assert_eq!(sim.status("QM1"), "ENDED PRE-EMPTIVELY");
    let r = sim.ok("dspmq", &["-m", "QM1"]);
    assert!(r.stdout.contains("STATUS(Ended pre-emptively)"), "{}", r.stdout);
    assert!(sim.processes().is_empty(), "processes left: {:?}", sim.processes());
    // dltmqm
    sim.ok("dltmqm", &["QM1"]);
    assert_eq!(sim.mq("dspmq", &["-m", "QM1"]).rc, 72);
}

#[test]
fn dspmq_output_forms() {
    let sim = Sim::install(&["--node", "host1.example.com"]);
    sim.ok("crtmqm", &["-q", "QM1"]);
    sim.ok("crtmqm", &["QM2"]);
    sim.ok("strmqm", &["QM1"]);
    let r = sim.ok("dspmq", &["-o", "all"]);
    let inst_path = std::fs::canonicalize(sim.root.join("opt/mqm")).unwrap();
    // docs/reference/mq-commands.md#dspmq-output 9.2.3 -o all field order (version 9.3 here: same field set).
    let expect = format!(
        "QMNAME(QM1)                                               STATUS(Running) DEFAULT(yes) STANDBY(Not permitted) INSTNAME(Installation1) INSTPATH({}) INSTVER(9.3.0.0) ROLE(Not configured) INSTANCE() INSYNC() QUORUM()\n",
        inst_path.display()
    );
    assert_eq!(r.stdout.lines().next().unwrap(), expect.trim_end());
    assert!(
        r.stdout.lines().nth(1).unwrap().contains("STATUS(Ended immediately) DEFAULT(no) STANDBY(Not applicable)"),
        "{}",
        r.stdout
    );
    // -n: upper case values (docs/reference/mq-commands.md#dspmq-syntax)
    let r = sim.ok("dspmq", &["-n", "-o", "all", "-m", "QM1"]);
    assert!(r.stdout.contains("STATUS(RUNNING) DEFAULT(YES) STANDBY(NOT PERMITTED)"), "{}", r.stdout);
    // -x: instance line indented 4 (docs/reference/mq-commands.md#dspmq-instances)
    let r = sim.ok("dspmq", &["-x", "-m", "QM1"]);
    assert_eq!(r.stdout.lines().nth(1).unwrap(), "    INSTANCE(host1.example.com) MODE(Active)");
    // -o installation: the 4th token is INSTVER(...) (mqstart.sh's awk '{print $4}')
    let r = sim.ok("dspmq", &["-o", "inst", "-m", "QM1"]);
    assert_eq!(r.stdout.split_whitespace().nth(3).unwrap(), "INSTVER(9.3.0.0)");
    // -a: only running ones, rc 5 (docs/reference/mq-commands.md#dspmq-syntax)
    let r = sim.mq("dspmq", &["-a"]);
    assert_eq!(r.rc, 5);
    assert!(r.stdout.contains("QMNAME(QM1)") && !r.stdout.contains("QM2"), "{}", r.stdout);
    sim.ok("endmqm", &["-i", "QM1"]);
}

#[test]
fn dspmqver_layout() {
    let sim = Sim::install(&["--version", "9.2.0.0"]);
    let r = sim.ok("dspmqver", &[]);
    // docs/reference/mq-commands.md#dspmqver: labels padded to 13 columns; values as the real output shows them.
    assert!(r.stdout.starts_with("Name:        IBM MQ\nVersion:     9.2.0.0\nLevel:       p920-"), "{}", r.stdout);
    assert!(r.stdout.contains("\nMode:        64-bit\n"));
    assert!(r.stdout.contains("\nInstName:    Installation1\n"));
    assert!(r.stdout.contains("\nInstDesc:\n"));
    let root = std::fs::canonicalize(&sim.root).unwrap();
    assert!(r.stdout.contains(&format!("\nInstPath:    {}/opt/mqm\n", root.display())));
    assert!(r.stdout.contains(&format!("\nDataPath:    {}/var/mqm\n", root.display())));
    assert!(r.stdout.contains("\nMaxCmdLevel: 920\n"));
    // mq-container: dspmqver -b -f 2 -> bare version
    assert_eq!(sim.ok("dspmqver", &["-b", "-f", "2"]).stdout, "9.2.0.0\n");
    assert_eq!(sim.ok("dspmqver", &["-b", "-f", "8192"]).stdout, "Production\n");
}

#[test]
fn dspmqinf_addmqinf_rmvmqinf() {
    let sim = Sim::install(&[]);
    let shared = sim.root.parent().unwrap().join("shared");
    std::fs::create_dir_all(shared.join("qmgrs")).unwrap();
    std::fs::create_dir_all(shared.join("logs")).unwrap();
    // The administrator gives the shared directories to the mq user, who runs crtmqm.
    let mqm = User::named(&sim.user);
    for d in [shared.clone(), shared.join("qmgrs"), shared.join("logs")] {
        std::os::unix::fs::chown(&d, Some(mqm.uid), Some(mqm.gid)).unwrap();
    }
    let md = shared.join("qmgrs");
    sim.ok("crtmqm", &["-ld", shared.join("logs").to_str().unwrap(), "-md", md.to_str().unwrap(), "QM1"]);
    let prefix = std::fs::canonicalize(sim.root.join("var/mqm")).unwrap();
    // docs/reference/mq-commands.md#dspmqinf stanza form (key order of the mq-container fixture) with DataPath
    let r = sim.ok("dspmqinf", &["QM1"]);
    assert_eq!(
        r.stdout,
        format!("QueueManager:\n   Name=QM1\n   Directory=QM1\n   Prefix={}\n   DataPath={}/QM1\n   InstallationName=Installation1\n", prefix.display(), md.display())
    );
    // docs/reference/mq-commands.md#dspmqinf command form
    let r = sim.ok("dspmqinf", &["-o", "command", "QM1"]);
    let line = r.stdout.trim_end().to_string();
    assert_eq!(
        line,
        format!(
            "addmqinf -s QueueManager -v Name=QM1 -v Directory=QM1 -v Prefix={} -v DataPath={}/QM1",
            prefix.display(),
            md.display()
        )
    );
    // Second node: addmqinf with that line -> "IBM MQ configuration information added."
    let node2 = sim.install_beside("node2", &[]);
    let args: Vec<&str> = line.split(' ').skip(1).collect();
    let r = node2.ok("addmqinf", &args);
    assert_eq!(r.stdout, "IBM MQ configuration information added.\n");
    assert_eq!(node2.status("QM1"), "ENDED IMMEDIATELY");
    assert_eq!(node2.ok("rmvmqinf", &["QM1"]).stdout, "IBM MQ configuration information removed.\n");
    assert_eq!(node2.mq("dspmq", &["-m", "QM1"]).rc, 72);
    // Data stays for the first node.
    assert!(md.join("QM1/qm.ini").exists());
    // dspmqinf on an unknown QM: rc 44 (stanza does not exist)
    assert_eq!(sim.mq("dspmqinf", &["NOPE"]).rc, 44);
}

#[test]
fn non_admin_is_refused() {
    let sim = Sim::install(&[]);
    sim.ok("crtmqm", &["QM1"]);
    // nobody is not in group mqm: AMQ7077E (docs/reference/mq-processes-and-files.md#mq-group-authority)
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let r = sim.run_as(User { uid: nobody.uid.as_raw(), gid: nobody.gid.as_raw() }, "strmqm", &["QM1"]);
    assert_eq!(r.stdout, "AMQ7077E: You are not authorized to perform the requested operation.\n");
    assert_ne!(r.rc, 0);
    // an alternate admin in group mqm may
    let r = sim.run_as(User::named("mqadmin").with_group("mqm"), "dspmq", &["-m", "QM1"]);
    assert_eq!(r.rc, 0, "{r:?}");
}

#[test]
fn texts_follow_the_installed_version() {
    // docs/reference/mq-commands.md#dspmq-output 9.4.2 -o all (Instana's published output): the GRP* fields follow
    // QUORUM().
    let sim = Sim::install(&["--version", "9.4.2.0"]);
    sim.ok("crtmqm", &["QM1"]);
    sim.ok("strmqm", &["QM1"]);
    let inst_path = std::fs::canonicalize(sim.root.join("opt/mqm")).unwrap();
    let r = sim.ok("dspmq", &["-o", "all"]);
    assert_eq!(
        r.stdout,
        format!(
            "QMNAME(QM1)                                               STATUS(Running) DEFAULT(no) STANDBY(Not permitted) INSTNAME(Installation1) INSTPATH({}) INSTVER(9.4.2.0) ROLE(Not configured) INSTANCE() INSYNC() QUORUM() GRPLSN() GRPNAME() GRPROLE(Not configured)\n",
            inst_path.display()
        )
    );
    sim.ok("endmqm", &["-i", "QM1"]);

    // docs/reference/mq-commands.md#crtmqm 9.1: "IBM MQ queue manager created." without the name; #strmqm-output 9.1
    // start without "Plain text".
    let sim = Sim::install(&["--version", "9.1.0.0"]);
    let r = sim.ok("crtmqm", &["QMA"]);
    assert!(r.stdout.starts_with("IBM MQ queue manager created.\n"), "{}", r.stdout);
    let r = sim.ok("strmqm", &["QMA"]);
    assert!(!r.stdout.contains("Plain text communication"), "{}", r.stdout);
    assert!(r.stdout.ends_with("IBM MQ queue manager 'QMA' started using V9.1.0.0.\n"), "{}", r.stdout);
    sim.ok("endmqm", &["-i", "QMA"]);

    // docs/reference/mq-commands.md#strmqm-output old releases: "WebSphere MQ queue manager 'X' starting." ... "started
    // using V7.5.0.2."
    let sim = Sim::install(&["--version", "7.5.0.2"]);
    sim.ok("crtmqm", &["QM7"]);
    let r = sim.ok("strmqm", &["QM7"]);
    assert!(r.stdout.starts_with("WebSphere MQ queue manager 'QM7' starting.\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with("WebSphere MQ queue manager 'QM7' started using V7.5.0.2.\n"), "{}", r.stdout);
    assert!(sim.ok("dspmqver", &[]).stdout.starts_with("Name:        WebSphere MQ\n"));
    sim.ok("endmqm", &["-i", "QM7"]);

    // docs/reference/mq-commands.md#message-ids-by-version MQ 8 wording (Checkmk test fixture): no severity letter,
    // WebSphere MQ.
    let sim = Sim::install(&["--version", "8.0.0.6"]);
    sim.ok("crtmqm", &["QM8"]);
    let r = sim.mq("endmqm", &["QM8"]);
    assert_eq!((r.rc, r.stdout.as_str()), (40, "AMQ8146: WebSphere MQ queue manager not available.\n"));
}

#[test]
fn endmqm_target_times_only_from_9_2() {
    // docs/reference/mq-commands.md#endmqm-target-time: documented from 9.2; an older endmqm
    // refusing them (usage, rc 36) is the simulator's UNCONFIRMED stricter reading.
    let old = Sim::install(&["--version", "9.1.0.0"]);
    old.ok("crtmqm", &["QMT"]);
    old.ok("strmqm", &["QMT"]);
    let r = old.mq("endmqm", &["-i", "-tp", "5", "QMT"]);
    assert_eq!(r.rc, 36, "{r:?}");
    assert_eq!(old.status("QMT"), "RUNNING");
    old.ok("endmqm", &["-i", "-r", "QMT"]);
    let new = Sim::install(&["--version", "9.2.0.0"]);
    new.ok("crtmqm", &["QMT"]);
    new.ok("strmqm", &["QMT"]);
    new.ok("endmqm", &["-i", "-r", "-tp", "5", "QMT"]);
}

/// dspmqver's block without the lines that come from the host (O/S, O/S Details), the ROOT
/// (InstPath, DataPath) or the installation registry (Primary).
fn dspmqver_fixed_lines(version: &str) -> Vec<String> {
    let sim = Sim::install(&["--version", version]);
    let out = sim.ok("dspmqver", &[]).stdout;
    out.lines()
        .filter(|l| !["O/S:", "O/S Details:", "Primary:", "InstPath:", "DataPath:"].iter().any(|p| l.starts_with(p)))
        .map(String::from)
        .collect()
}

// docs/reference/mq-commands.md#dspmqver-by-version: the block of each release as public output
// shows it (Level of a first build and of a fix pack; MaxCmdLevel VRM, 8.0 fix packs 801/802;
// ReleaseType from 9.4, after LicenseType; WebSphere MQ up to 8.0).
#[test]
fn dspmqver_by_version() {
    let block = |name: &str, version: &str, level: &str, cmdlevel: &str, release: Option<&str>| {
        let mut v: Vec<String> = [
            format!("Name:        {name}"),
            format!("Version:     {version}"),
            format!("Level:       {level}"),
            "BuildType:   IKAP - (Production)".into(),
            format!("Platform:    {name} for Linux (x86-64 platform)"),
            "Mode:        64-bit".into(),
            "InstName:    Installation1".into(),
            "InstDesc:".into(),
            format!("MaxCmdLevel: {cmdlevel}"),
            "LicenseType: Production".into(),
        ]
        .into();
        if let Some(r) = release {
            v.push(format!("ReleaseType: {r}"));
        }
        v
    };
    let lts_cd = Some("Long Term Support (LTS) and Continuous Delivery (CD)");
    for (version, name, level, cmdlevel, release) in [
        ("8.0.0.4", "WebSphere MQ", "p800-004-260605", "802", None),
        ("9.2.0.0", "IBM MQ", "p920-L200710", "920", None),
        ("9.3.0.0", "IBM MQ", "p930-L220607", "930", None),
        ("9.4.0.0", "IBM MQ", "p940-L240605.1", "940", lts_cd),
        ("9.4.0.10", "IBM MQ", "p940-010-260605", "940", Some("Long Term Support (LTS)")),
        ("9.4.4.1", "IBM MQ", "p944-001-260605", "944", Some("Continuous Delivery (CD)")),
        ("10.0.0.0", "IBM MQ", "p1000-L260605", "1000", lts_cd),
    ] {
        assert_eq!(dspmqver_fixed_lines(version), block(name, version, level, cmdlevel, release), "{version}");
    }
    // O/S Details from 9.2 (a 9.1 block has none).
    let sim = Sim::install(&["--version", "9.4.0.0"]);
    assert!(sim.ok("dspmqver", &[]).stdout.contains("\nO/S Details: "));
    assert_eq!(sim.ok("dspmqver", &["-b", "-f", "2"]).stdout, "9.4.0.0\n");
}

// docs/reference/mq-commands.md#crtmqm, #strmqm-output by version: the texts of 9.2 to 10.0, and
// of 8.0 as a public 8.0.0.4 transcript shows them ("WebSphere MQ", ids without a severity
// letter), although IBM's 8.0 documentation already writes "IBM MQ".
#[test]
fn crtmqm_and_strmqm_texts_by_version() {
    for version in ["9.2.0.0", "9.3.0.0", "9.4.0.0", "10.0.0.0"] {
        let sim = Sim::install(&["--version", version]);
        let r = sim.ok("crtmqm", &["QMV"]);
        assert!(r.stdout.starts_with("IBM MQ queue manager 'QMV' created.\nDirectory '"), "{version}: {}", r.stdout);
        assert!(r.stdout.ends_with("Completing setup.\nSetup completed.\n"), "{version}: {}", r.stdout);
        let r = sim.ok("strmqm", &["QMV"]);
        assert!(r.stdout.starts_with("IBM MQ queue manager 'QMV' starting.\n"), "{version}: {}", r.stdout);
        assert_eq!(r.stdout.contains("\nPlain text communication is enabled.\n"), version != "9.2.0.0", "{version}");
        assert!(
            r.stdout.ends_with(&format!("IBM MQ queue manager 'QMV' started using V{version}.\n")),
            "{version}: {}",
            r.stdout
        );
        sim.ok("endmqm", &["-i", "QMV"]);
    }
    let sim = Sim::install(&["--version", "8.0.0.4"]);
    let r = sim.ok("crtmqm", &["QM1"]);
    assert!(r.stdout.starts_with("WebSphere MQ queue manager created.\nDirectory '"), "{}", r.stdout);
    let r = sim.ok("strmqm", &["QM1"]);
    assert!(r.stdout.starts_with("WebSphere MQ queue manager 'QM1' starting.\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with("WebSphere MQ queue manager 'QM1' started using V8.0.0.4.\n"), "{}", r.stdout);
    let r = sim.ok("dspmq", &["-o", "all", "-m", "QM1"]);
    assert!(!r.stdout.contains("ROLE(") && !r.stdout.contains("HA("), "{}", r.stdout);
    sim.ok("endmqm", &["-i", "QM1"]);
}

// --version takes only releases whose texts the simulator reproduces: a typo (9.5, 11.0) fails
// the install instead of silently printing another release's texts.
#[test]
fn install_refuses_an_unknown_release() {
    let dir = tempfile::tempdir().unwrap();
    for v in ["9.5.0.0", "11.0.0.0", "9.4"] {
        let r = run(std::process::Command::new(mqsim_exe())
            .arg("install")
            .arg(dir.path().join("r"))
            .args(["--version", v]));
        assert_ne!(r.rc, 0, "{v}: {r:?}");
        assert!(r.stderr.contains(&format!("'{v}'")), "{v}: {r:?}");
    }
}
