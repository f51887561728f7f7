//! runmqsc against a running simulated queue manager: every expected string below is copied
//! from the public captures behind docs/reference/mq-commands.md#runmqsc-report (not from the simulator's output),
//! with the return codes of docs/reference/mq-commands.md#runmqsc-return-codes. Run as root (tests/setup.sh users
//! exist).

use mq_testkit::*;

use std::time::Duration;

#[test]
fn report_layout_header_echo_block_summary() {
    // docs/reference/mq-commands.md#runmqsc-report is a capture of MQ 9.4.2; install that version so the header year is
    // comparable.
    let sim = Sim::started("9.4.2.0", "QM1");
    let o = sim.runmqsc(&["QM1"], "DISPLAY QMSTATUS ALL\n");
    assert_eq!(o.rc, 0, "{o:?}");
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "5724-H72 (C) Copyright IBM Corp. 1994, 2025.");
    assert_eq!(lines[1], "Starting MQSC for queue manager QM1.");
    assert_eq!(lines[2], "");
    assert_eq!(lines[3], "");
    assert_eq!(lines[4], "     1 : DISPLAY QMSTATUS ALL");
    assert_eq!(lines[5], "AMQ8705I: Display Queue Manager Status Details.");
    assert_eq!(lines[6], "   QMNAME(QM1)                             TYPE(QMGR)");
    assert_eq!(lines[7], "   STATUS(RUNNING)                         AUTOCLUS(NONE)");
    let n = lines.len();
    assert_eq!(
        &lines[n - 3..],
        &["One MQSC command read.", "No commands have a syntax error.", "All valid MQSC commands were processed."]
    );
    // Attributes named in docs/reference/mq-commands.md#display-qmstatus for ALL, with the values it lists for a
    // running QM.
    for attr in [
        "CHINIT(RUNNING)",
        "CMDSERV(RUNNING)",
        "INSTNAME(Installation1)",
        "LOGTYPE(CIRCULAR)",
        "STANDBY(NOPERMIT)",
        "GRPROLE(NOTCONFIG)",
    ] {
        assert!(o.stdout.contains(attr), "missing {attr}: {}", o.stdout);
    }
    let datpath = format!("DATPATH({})", sim.root.join("var/mqm/qmgrs/QM1").display());
    assert!(o.stdout.contains(&datpath), "{datpath} not in {}", o.stdout);
    let logpath = format!("LOGPATH({}/)", sim.root.join("var/mqm/log/QM1/active").display());
    assert!(o.stdout.contains(&logpath), "{logpath} not in {}", o.stdout);
}

#[test]
fn minimal_and_named_qmstatus_and_no_echo_with_e() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let o = sim.runmqsc(&["-e", "QM1"], "DISPLAY QMSTATUS\nDISPLAY QMSTATUS CHINIT CMDSERV\n");
    assert_eq!(o.rc, 0, "{o:?}");
    assert!(!o.stdout.contains(" : DISPLAY"), "-e must not echo: {}", o.stdout);
    // Minimal form: QMNAME(QM1) STATUS(RUNNING) (docs/reference/mq-commands.md#display-qmstatus).
    assert!(o.stdout.contains("   QMNAME(QM1)                             STATUS(RUNNING)\n"), "{}", o.stdout);
    assert!(o.stdout.contains("CHINIT(RUNNING)") && o.stdout.contains("CMDSERV(RUNNING)"), "{}", o.stdout);
    assert!(o.stdout.contains("2 MQSC commands read."), "{}", o.stdout);
}

#[test]
fn define_display_alter_delete_queue_and_names_fold_to_upper_case() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let out = sim.mqsc_ok("QM1", "DEFINE QLOCAL(q1) DEFPSIST(YES) DESCR('LifeKeeper test queue') MAXDEPTH(10)\nDISPLAY QLOCAL(Q1) DEFPSIST DESCR MAXDEPTH\n");
    assert!(out.contains("AMQ8006I: IBM MQ queue created."), "{out}");
    assert!(out.contains("AMQ8409I: Display Queue details."), "{out}");
    assert!(out.contains("QUEUE(Q1)") && out.contains("TYPE(QLOCAL)"), "{out}");
    assert!(
        out.contains("DEFPSIST(YES)") && out.contains("DESCR(LifeKeeper test queue)") && out.contains("MAXDEPTH(10)"),
        "{out}"
    );
    // A quoted lower-case name is another queue (docs/reference/mq-processes-and-files.md#qmgr-names).
    let o = sim.runmqsc(&["QM1"], "DISPLAY QLOCAL('q1')\n");
    assert_eq!(o.rc, 10, "{o:?}");
    assert!(o.stdout.contains("AMQ8147E: IBM MQ object q1 not found."), "{}", o.stdout);
    // Redefinition without REPLACE fails; with REPLACE succeeds.
    let o = sim.runmqsc(&["QM1"], "DEFINE QLOCAL(Q1)\n");
    assert_eq!(o.rc, 10, "{o:?}");
    let out = sim.mqsc_ok(
        "QM1",
        "DEFINE QLOCAL(Q1) DEFPSIST(NO) REPLACE\nALTER QLOCAL(Q1) MAXDEPTH(20)\nDISPLAY QLOCAL(Q1) ALL\n",
    );
    assert!(out.contains("AMQ8008I: IBM MQ queue changed."), "{out}");
    assert!(out.contains("DEFPSIST(NO)") && out.contains("MAXDEPTH(20)") && out.contains("CURDEPTH(0)"), "{out}");
    let out = sim.mqsc_ok(
        "QM1",
        "DEFINE QMODEL(MQHA.MODEL) DEFTYPE(TEMPDYN)\nDISPLAY QMODEL(MQHA.MODEL) DEFTYPE\nDELETE QLOCAL(Q1)\n",
    );
    assert!(out.contains("DEFTYPE(TEMPDYN)") && out.contains("TYPE(QMODEL)"), "{out}");
    let o = sim.runmqsc(&["QM1"], "DISPLAY QLOCAL(Q1)\n");
    assert_eq!(o.rc, 10, "deleted queue still shown: {o:?}");
}

#[test]
fn syntax_error_and_not_found_count_and_return_10() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let o = sim.runmqsc(&["QM1"], "DEFINE QLOCAL(X) NOSUCHATTR(1)\nDISPLAY CHSTATUS(*)\nPING QMGR\n");
    assert_eq!(o.rc, 10, "{o:?}");
    assert!(
        o.stdout.contains("AMQ8405I: Syntax error detected at or near end of command segment below:-\n"),
        "{}",
        o.stdout
    );
    // The segment shown ends at the unknown keyword (exact cut UNCONFIRMED;
    // docs/reference/mq-commands.md#runmqsc-report).
    assert!(o.stdout.contains("below:-\nDEFINE QLOCAL(X) NOSUCHATTR\n"), "{}", o.stdout);
    assert!(o.stdout.contains("AMQ8420I: Channel Status not found."), "{}", o.stdout);
    assert!(o.stdout.contains("AMQ8415I"), "{}", o.stdout);
    assert!(o.stdout.contains("3 MQSC commands read."), "{}", o.stdout);
    assert!(o.stdout.contains("One command has a syntax error."), "{}", o.stdout);
    assert!(o.stdout.contains("One valid MQSC command could not be processed."), "{}", o.stdout);
}

#[test]
fn comments_continuations_and_end() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let o = sim.runmqsc(&["QM1"], "* a comment\nDEFINE QLOCAL(C1) +\n   DESCR('joined')\nend\nDEFINE QLOCAL(NEVER)\n");
    assert_eq!(o.rc, 0, "{o:?}");
    assert!(o.stdout.contains("       : * a comment"), "{}", o.stdout);
    assert!(o.stdout.contains("     1 : DEFINE QLOCAL(C1) +"), "{}", o.stdout);
    assert!(o.stdout.contains("     2 : end"), "{}", o.stdout);
    assert!(o.stdout.contains("One MQSC command read."), "end is not counted: {}", o.stdout);
    let out = sim.mqsc_ok("QM1", "DISPLAY QLOCAL(C1) DESCR\n");
    assert!(out.contains("DESCR(joined)"), "{out}");
    assert_eq!(sim.runmqsc(&["QM1"], "DISPLAY QLOCAL(NEVER)\n").rc, 10);
}

#[test]
fn queue_manager_not_running_or_unknown_returns_20() {
    let sim = Sim::started("9.3.0.0", "QM1");
    sim.ok("endmqm", &["-i", "QM1"]);
    sim.wait_status("QM1", "ENDED IMMEDIATELY", Duration::from_secs(10));
    let o = sim.runmqsc(&["QM1"], "DISPLAY QMSTATUS\n");
    assert_eq!(o.rc, 20, "{o:?}");
    assert!(o.stdout.contains("AMQ8146E: IBM MQ queue manager not available."), "{}", o.stdout);
    assert!(
        o.stdout.contains(
            "No MQSC commands read.\nNo commands have a syntax error.\nAll valid MQSC commands were processed."
        ),
        "{}",
        o.stdout
    );
    let o = sim.runmqsc(&["NOSUCHQM"], "DISPLAY QMSTATUS\n");
    assert_eq!(o.rc, 20, "{o:?}");
    assert!(o.stdout.contains("AMQ8118E: IBM MQ queue manager does not exist."), "{}", o.stdout);
}

#[test]
fn listener_define_start_status_stop() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let port = free_port();
    let out = sim.mqsc_ok("QM1", &format!("DEFINE LISTENER(MQHA.LSTR) TRPTYPE(TCP) PORT({port}) IPADDR(127.0.0.1) CONTROL(QMGR) BACKLOG(50)\nSTART LISTENER(MQHA.LSTR)\n"),
    );
    assert!(out.contains("AMQ8626I: IBM MQ listener created."), "{out}");
    assert!(out.contains("AMQ8021I: Request to start IBM MQ listener accepted."), "{out}");
    // The port really accepts connections (bounded wait for runmqlsr to bind).
    eventually(&format!("the listener to bind {port}"), Duration::from_secs(10), || port_open(port));
    let out = sim.mqsc_ok("QM1", "DISPLAY LISTENER(MQHA.LSTR) ALL\nDISPLAY LSSTATUS(MQHA.LSTR) PORT\n");
    assert!(out.contains("AMQ8630I: Display listener information details."), "{out}");
    assert!(
        out.contains("CONTROL(QMGR)") && out.contains("TRPTYPE(TCP)") && out.contains(&format!("PORT({port})")),
        "{out}"
    );
    assert!(out.contains("AMQ8631I: Display listener status details."), "{out}");
    assert!(out.contains("STATUS(RUNNING)") && out.contains("PID("), "{out}");
    let out = sim.mqsc_ok("QM1", "STOP LISTENER(MQHA.LSTR)\n");
    assert!(out.contains("AMQ8706I"), "{out}");
    eventually(&format!("the listener to leave {port}"), Duration::from_secs(10), || !port_open(port));
}

#[test]
fn qmgr_and_authinfo_security_commands() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let out = sim.mqsc_ok("QM1", "DISPLAY QMGR CHLAUTH CONNAUTH SCMDSERV SCHINIT\nALTER QMGR CHLAUTH(DISABLED) SCMDSERV(MANUAL)\nDISPLAY AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) CHCKCLNT\nALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)\nREFRESH SECURITY TYPE(CONNAUTH)\nDISPLAY QMGR CHLAUTH SCMDSERV\n",
    );
    assert!(out.contains("AMQ8408I: Display Queue Manager details."), "{out}");
    // A 39-character attribute takes a line of its own (docs/reference/mq-commands.md#runmqsc-report).
    assert!(out.contains("\n   CONNAUTH(SYSTEM.DEFAULT.AUTHINFO.IDPWOS)\n"), "{out}");
    assert!(
        out.contains("CHLAUTH(ENABLED)") && out.contains("SCMDSERV(QMGR)") && out.contains("SCHINIT(QMGR)"),
        "{out}"
    );
    assert!(out.contains("AMQ8005I: IBM MQ queue manager changed."), "{out}");
    assert!(out.contains("CHCKCLNT(REQDADM)"), "8.0+ default (docs/reference/mqi.md#client-channel-security): {out}");
    assert!(out.contains("AMQ8567I: IBM MQ authentication information changed."), "{out}");
    assert!(out.contains("AMQ8560I: IBM MQ security cache refreshed."), "{out}");
    assert!(out.contains("CHLAUTH(DISABLED)") && out.contains("SCMDSERV(MANUAL)"), "{out}");
}

#[test]
fn channel_definitions() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let out = sim.mqsc_ok(
        "QM1",
        "DEFINE CHANNEL(MQHA.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP) MCAUSER('mqm')\nDISPLAY CHANNEL(MQHA.*) ALL\n",
    );
    assert!(out.contains("AMQ8014I: IBM MQ channel created."), "{out}");
    assert!(out.contains("AMQ8414I: Display Channel details."), "{out}");
    assert!(
        out.contains("CHANNEL(MQHA.SVRCONN)") && out.contains("CHLTYPE(SVRCONN)") && out.contains("MCAUSER(mqm)"),
        "{out}"
    );
    // A name longer than a channel's 20 characters is refused.
    let o = sim.runmqsc(&["QM1"], "DEFINE CHANNEL(ABCDEFGHIJKLMNOPQRSTU) CHLTYPE(SVRCONN)\n");
    assert_eq!(o.rc, 10, "{o:?}");
}

#[test]
fn qstatus_handle_shows_the_opener_pid_and_tag() {
    let sim = Sim::started("9.3.0.0", "QM1");
    sim.mqsc_ok("QM1", "DEFINE QLOCAL(HELD)\n");
    // amqsget keeps the queue open for input while it waits 15 s for a message.
    let mut child = Spawned::start(
        std::process::Command::new(sim.samp("amqsget"))
            .args(["HELD", "QM1"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null()),
    );
    let pid = child.pid();
    let out = eventually("amqsget's handle on HELD", Duration::from_secs(10), || {
        let o = sim.runmqsc(&["-e", "QM1"], "DISPLAY QSTATUS(HELD) TYPE(HANDLE) ALL\n");
        if o.stdout.contains("TYPE(HANDLE)") {
            Ok(o.stdout)
        } else {
            Err(o.stdout)
        }
    });
    child.kill();
    assert!(out.contains("AMQ8450I: Display queue status details."), "{out}");
    assert!(out.contains(&format!("PID({pid})")), "pid {pid} not in {out}");
    assert!(out.contains("APPLTAG(amqsget)") && out.contains("INPUT(SHARED)"), "{out}");
    // The killed opener's handle disappears with its connection.
    eventually("the killed opener's handle to go (IPPROCS(0))", Duration::from_secs(10), || {
        let o = sim.runmqsc(&["-e", "QM1"], "DISPLAY QSTATUS(HELD) TYPE(QUEUE)\n");
        if o.stdout.contains("IPPROCS(0)") {
            Ok(())
        } else {
            Err(o.stdout)
        }
    });
}

#[test]
fn hung_queue_manager_blocks_runmqsc_until_cleared() {
    let sim = Sim::started("9.3.0.0", "QM1");
    assert_eq!(sim.mqsim(&["fault", "QM1", "set", "hang"]).rc, 0);
    let o = sim.program(
        Some(User::named(&sim.user)),
        &sim.bin("runmqsc"),
        &["QM1"],
        "PING QMGR\n",
        &[],
        Duration::from_millis(1500),
    );
    assert!(o.timed_out, "runmqsc answered a hung queue manager: {o:?}");
    assert_eq!(sim.mqsim(&["fault", "QM1", "clear", "hang"]).rc, 0);
    let out = sim.mqsc_ok("QM1", "PING QMGR\n");
    assert!(out.contains("AMQ8415I"), "{out}");
}

#[test]
fn chlauth_records_default_rules_and_set() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let out = sim.mqsc_ok("QM1", "DISPLAY CHLAUTH(*)\n");
    // IBM's three default records since 7.1.
    assert!(out.contains("CHLAUTH(SYSTEM.*)") && out.contains("USERSRC(NOACCESS)"), "{out}");
    assert!(
        out.contains("CHLAUTH(*)") && out.contains("TYPE(BLOCKUSER)") && out.contains("USERLIST(*MQADMIN)"),
        "{out}"
    );
    assert!(out.contains("CHLAUTH(SYSTEM.ADMIN.SVRCONN)") && out.contains("USERSRC(CHANNEL)"), "{out}");
    let out =
        sim.mqsc_ok("QM1", "SET CHLAUTH('MQHA.*') TYPE(BLOCKUSER) USERLIST('nobody')\nDISPLAY CHLAUTH('MQHA.*')\n");
    assert!(out.contains("AMQ8877I: IBM MQ channel authentication record set."), "{out}");
    assert!(out.contains("USERLIST(nobody)"), "{out}");
    let out = sim.mqsc_ok("QM1", "SET CHLAUTH('MQHA.*') TYPE(BLOCKUSER) ACTION(REMOVE)\n");
    assert!(out.contains("AMQ8877I"), "{out}");
    let o = sim.runmqsc(&["QM1"], "DISPLAY CHLAUTH('MQHA.*')\n");
    assert_eq!(o.rc, 10, "{o:?}");
}

#[test]
fn default_queue_manager_and_unknown_service() {
    let sim = Sim::install(&["--version", "9.3.0.0"]);
    sim.ok("crtmqm", &["-q", "DEFQM"]);
    sim.ok("strmqm", &["DEFQM"]);
    let o = sim.runmqsc(&[], "DISPLAY QMGR QMNAME\nDISPLAY SVSTATUS(NOSUCH)\n");
    assert!(o.stdout.contains("Starting MQSC for queue manager DEFQM."), "{o:?}");
    assert!(o.stdout.contains("QMNAME(DEFQM)"), "{o:?}");
    assert!(o.stdout.contains("AMQ8147E: IBM MQ object NOSUCH not found."), "{o:?}");
    assert_eq!(o.rc, 10, "{o:?}");
}

#[test]
fn commands_from_a_file_with_f() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cmds.mqsc");
    std::fs::write(&f, "DEFINE QLOCAL(FROM.FILE)\r\nDISPLAY QLOCAL(FROM.FILE)\r\n").unwrap();
    let o = sim.runmqsc(&["-f", f.to_str().unwrap(), "QM1"], "");
    assert_eq!(o.rc, 0, "{o:?}");
    assert!(o.stdout.contains("AMQ8006I: IBM MQ queue created.") && o.stdout.contains("QUEUE(FROM.FILE)"), "{o:?}");
    assert!(o.stdout.contains("2 MQSC commands read."), "{o:?}");
}

#[test]
fn new_definitions_take_the_system_default_objects_attributes() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let out = sim.mqsc_ok("QM1", "ALTER QLOCAL(SYSTEM.DEFAULT.LOCAL.QUEUE) MAXDEPTH(777)\nDEFINE QLOCAL(INHERITS)\nDEFINE QLOCAL(OWN) MAXDEPTH(5)\nDISPLAY QLOCAL(INHERITS) MAXDEPTH\nDISPLAY QLOCAL(OWN) MAXDEPTH\n");
    assert!(out.contains("QUEUE(INHERITS)") && out.contains("MAXDEPTH(777)"), "{out}");
    assert!(out.contains("MAXDEPTH(5)"), "{out}");
}

#[test]
fn delete_rules_for_queues_listeners_and_channels() {
    let sim = Sim::started("9.3.0.0", "QM1");
    sim.mqsc_ok(
        "QM1",
        "DEFINE QLOCAL(FULL)\nDEFINE LISTENER(GONE.L) TRPTYPE(TCP) PORT(1)\nDEFINE CHANNEL(GONE.C) CHLTYPE(SVRCONN)\n",
    );
    let o = sim.sample("amqsput", &["FULL", "QM1"], "m\n\n", &[]);
    assert_eq!(o.rc, 0, "{o:?}");
    // A queue with messages is not deleted without PURGE.
    let o = sim.runmqsc(&["QM1"], "DELETE QLOCAL(FULL)\n");
    assert_eq!(o.rc, 10, "{o:?}");
    let out = sim.mqsc_ok("QM1", "DELETE QLOCAL(FULL) PURGE\nDELETE LISTENER(GONE.L)\nDELETE CHANNEL(GONE.C)\n");
    assert!(out.contains("AMQ8007I") && out.contains("AMQ8628I") && out.contains("AMQ8015I"), "{out}");
    for cmd in ["DISPLAY QLOCAL(FULL)\n", "DISPLAY LISTENER(GONE.L)\n", "DISPLAY CHANNEL(GONE.C)\n"] {
        let o = sim.runmqsc(&["QM1"], cmd);
        assert_eq!(o.rc, 10, "{cmd}: {o:?}");
        assert!(o.stdout.contains("AMQ8147E"), "{cmd}: {}", o.stdout);
    }
}

#[test]
fn verify_mode_checks_syntax_without_executing() {
    let sim = Sim::started("9.3.0.0", "QM1");
    let o = sim.runmqsc(&["-v", "QM1"], "DEFINE QLOCAL(VERIFIED.ONLY) DEFPSIST(YES)\nDEFINE QLOCAL(X) BADATTR(1)\n");
    assert_eq!(o.rc, 10, "{o:?}");
    assert!(o.stdout.contains("AMQ8405I: Syntax error detected at or near end of command segment below:-"), "{o:?}");
    assert!(
        o.stdout.contains("2 MQSC commands read.") && o.stdout.contains("One command has a syntax error."),
        "{o:?}"
    );
    // Nothing was executed.
    assert_eq!(sim.runmqsc(&["QM1"], "DISPLAY QLOCAL(VERIFIED.ONLY)\n").rc, 10);
    // And no running queue manager is needed.
    sim.ok("endmqm", &["-i", "QM1"]);
    let o = sim.runmqsc(&["-v", "QM1"], "DEFINE QLOCAL(Y)\n");
    assert_eq!(o.rc, 0, "{o:?}");
}
