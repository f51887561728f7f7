//! Client connections through the listener: IBM's samples amqsputc/amqsgetc (through
//! libmqic_r.so) with MQSERVER, channel authentication per the 7.1+/8.0 defaults
//! (docs/reference/mqi.md#client-channel-security), and the reason codes of
//! docs/reference/mq-commands.md#sample-programs (rc = reason % 256). Run as root.

use mq_testkit::*;
use std::time::Duration;

/// A running QM1 with a CONTROL(QMGR) listener on a free port and an application channel.
fn with_listener() -> (Sim, u16) {
    let sim = Sim::started("9.3.0.0", "QM1");
    let port = free_port();
    sim.mqsc_ok("QM1", &format!(
            "DEFINE LISTENER(L1) TRPTYPE(TCP) PORT({port}) IPADDR(127.0.0.1) CONTROL(QMGR)\nSTART LISTENER(L1)\nDEFINE CHANNEL(MQHA.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP)\nDEFINE QLOCAL(APPQ)\n"
        ),
    );
    eventually(&format!("the listener to bind {port}"), Duration::from_secs(10), || port_open(port));
    (sim, port)
}

fn mqserver(channel: &str, port: u16) -> String {
    format!("{channel}/TCP/127.0.0.1({port})")
}

fn putc(sim: &Sim, who: Option<User>, server: &str, text: &str) -> Run {
    let exe = sim.root.join("opt/mqm/samp/bin/amqsputc");
    sim.program(who, &exe, &["APPQ", "QM1"], &format!("{text}\n\n"), &[("MQSERVER", server)], Duration::from_secs(30))
}

fn assert_refused_2035(o: &Run) {
    assert!(o.stdout.contains("MQCONNX ended with reason code 2035"), "{o:?}");
    assert_eq!(o.rc, 2035 % 256, "{o:?}");
}

fn assert_put_ok(o: &Run) {
    assert_eq!(o.rc, 0, "{o:?}");
    assert!(o.stdout.contains("target queue is APPQ") && o.stdout.ends_with("Sample AMQSPUT0 end\n"), "{o:?}");
}

/// The error log's text with its lines joined: MQ wraps a message at 78 columns.
fn error_log(sim: &Sim) -> String {
    let text = std::fs::read_to_string(sim.data().join("qmgrs/QM1/errors/AMQERR01.LOG")).unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn admin_without_password_is_refused_by_either_of_the_two_defaults() {
    let (sim, port) = with_listener();
    let server = mqserver("MQHA.SVRCONN", port);
    let mqm = User::named("mqm");
    let mqadmin = User::named("mqadmin").with_group("mqm");
    // A stock queue manager: the back-stop BLOCKUSER('*MQADMIN') and CHCKCLNT(REQDADM) both apply.
    assert_refused_2035(&putc(&sim, None, &server, "from root"));
    assert_refused_2035(&putc(&sim, Some(mqm), &server, "from mqm"));
    // An alternate admin (member of group mqm) is privileged too.
    assert_refused_2035(&putc(&sim, Some(mqadmin), &server, "from mqadmin"));
    // CHLAUTH(DISABLED) alone: CHCKCLNT(REQDADM) still wants a password from a privileged user.
    sim.mqsc_ok("QM1", "ALTER QMGR CHLAUTH(DISABLED)\n");
    assert_refused_2035(&putc(&sim, Some(mqm), &server, "from mqm"));
    assert!(error_log(&sim).contains("AMQ5540E") && error_log(&sim).contains("AMQ5541E"), "{}", error_log(&sim));
    // CHCKCLNT(OPTIONAL) alone (CHLAUTH back on): the back-stop still blocks the mq group.
    sim.mqsc_ok(
        "QM1",
        "ALTER QMGR CHLAUTH(ENABLED)\nALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)\nREFRESH SECURITY TYPE(CONNAUTH)\n",
    );
    assert_refused_2035(&putc(&sim, Some(mqm), &server, "from mqm"));
    assert!(error_log(&sim).contains("AMQ9776E: Channel was blocked by userid"), "{}", error_log(&sim));
    // Both relaxed: the mq group is in. Root, outside the mq group, has no OAM authority.
    sim.mqsc_ok("QM1", "ALTER QMGR CHLAUTH(DISABLED)\n");
    assert_put_ok(&putc(&sim, Some(mqm), &server, "from mqm"));
    assert_put_ok(&putc(&sim, Some(mqadmin), &server, "from mqadmin"));
    assert_refused_2035(&putc(&sim, None, &server, "from root"));
    assert!(error_log(&sim).contains("AMQ8077W: Entity 'root'"), "{}", error_log(&sim));
    let out = sim.mqsc_ok("QM1", "DISPLAY QLOCAL(APPQ) CURDEPTH\n");
    assert!(out.contains("CURDEPTH(2)"), "{out}");
    // The messages travel back through the client library too.
    let o = sim.program(
        Some(mqm),
        &sim.samp("amqsgetc"),
        &["APPQ", "QM1"],
        "",
        &[("MQSERVER", &server)],
        Duration::from_secs(30),
    );
    assert!(o.stdout.contains("message <from mqm>") && o.stdout.contains("message <from mqadmin>"), "{o:?}");
    assert!(o.stdout.contains("no more messages"), "{o:?}");
}

#[test]
fn a_channel_rule_overrides_the_back_stop_and_chckclnt_optional_takes_effect_after_refresh() {
    let (sim, port) = with_listener();
    let server = mqserver("MQHA.SVRCONN", port);
    // The channel's own BLOCKUSER rule replaces the generic '*' one for this channel only.
    sim.mqsc_ok("QM1", "SET CHLAUTH(MQHA.SVRCONN) TYPE(BLOCKUSER) USERLIST('nobody')\n");
    sim.mqsc_ok("QM1", "ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) CHCKCLNT(OPTIONAL)\n");
    // CONNAUTH settings are cached until REFRESH SECURITY, as in MQ.
    let mqm = User::named("mqm");
    assert_refused_2035(&putc(&sim, Some(mqm), &server, "too early"));
    sim.mqsc_ok("QM1", "REFRESH SECURITY TYPE(CONNAUTH)\n");
    assert_put_ok(&putc(&sim, Some(mqm), &server, "after refresh"));
    // Another channel still has the back-stop.
    sim.mqsc_ok("QM1", "DEFINE CHANNEL(OTHER.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP)\n");
    assert_refused_2035(&putc(&sim, Some(mqm), &mqserver("OTHER.SVRCONN", port), "x"));
    assert!(error_log(&sim).contains("matched by CHLAUTH('*') TYPE(BLOCKUSER)"), "{}", error_log(&sim));
}

#[test]
fn the_documented_monitoring_channel_lets_only_its_user_in_with_connect_and_inq() {
    let (sim, port) = with_listener();
    let mqm2 = User::named("mqm2");
    let server = mqserver("MQHA.MON.SVRCONN", port);
    let inq = |who: User| {
        sim.program(
            Some(who),
            &sim.bin("runmqsc"),
            &["-c", "QM1"],
            "PING QMGR\n",
            &[("MQSERVER", server.as_str())],
            Duration::from_secs(20),
        )
    };
    // The README's minimal MQSC (README.md "Client check"), for user mqm2.
    sim.mqsc_ok(
        "QM1",
        "DEFINE CHANNEL(MQHA.MON.SVRCONN) CHLTYPE(SVRCONN) TRPTYPE(TCP)\n\
         SET CHLAUTH(MQHA.MON.SVRCONN) TYPE(ADDRESSMAP) ADDRESS('*') USERSRC(NOACCESS)\n\
         SET CHLAUTH(MQHA.MON.SVRCONN) TYPE(USERMAP) CLNTUSER('mqm2') USERSRC(MAP) MCAUSER('mqm2') ADDRESS('127.0.0.1')\n",
    );
    // Without the OAM grant the non-privileged user cannot connect.
    let o = inq(mqm2);
    assert_eq!(o.rc, 20, "{o:?}");
    assert!(error_log(&sim).contains("AMQ8077W: Entity 'mqm2' has insufficient authority"), "{}", error_log(&sim));
    let out = sim.mqsc_ok("QM1", "SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('mqm2') AUTHADD(CONNECT,INQ)\n");
    assert!(out.contains("AMQ8862I"), "{out}");
    let o = inq(mqm2);
    assert_eq!(o.rc, 0, "{o:?}");
    // Anyone else on that channel matches the NOACCESS address rule (the USERMAP is more specific
    // only for its CLNTUSER).
    assert_refused_2035(&putc(&sim, Some(User::named("nobody")), &server, "x"));
    assert!(error_log(&sim).contains("AMQ9777E: Channel was blocked"), "{}", error_log(&sim));
    // And the mq group is still blocked there by the back-stop, even mapped: *MQADMIN is judged
    // on the user it would run as, mqm's CLNTUSER has no USERMAP and hits NOACCESS first.
    assert_refused_2035(&putc(&sim, Some(User::named("mqm")), &server, "x"));
}

#[test]
fn usermap_maps_and_adoptctx_decides_whose_identity_counts() {
    let (sim, port) = with_listener();
    let shadow = sim.root.join(".mqsim/shadow");
    std::fs::create_dir_all(shadow.parent().unwrap()).unwrap();
    std::fs::write(&shadow, format!("mqm2:{SECRET_HASH}:19000:0:99999:7:::\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shadow, std::fs::Permissions::from_mode(0o644)).unwrap();
    sim.mqsc_ok("QM1", "SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('mqm2') AUTHADD(CONNECT,INQ)\n");
    let server = mqserver("MQHA.SVRCONN", port);
    let exe = sim.root.join("opt/mqm/samp/bin/amqsputc");
    // Root (privileged) authenticates as mqm2: ADOPTCTX(YES) makes the connection mqm2's, which
    // the back-stop does not block and REQDADM is satisfied by the password.
    let env = [("MQSERVER", server.as_str()), ("MQSAMP_USER_ID", "mqm2")];
    assert_put_ok(&sim.program(None, &exe, &["APPQ", "QM1"], "secret\nadopted\n\n", &env, Duration::from_secs(30)));
    // ADOPTCTX(NO): the connection stays root's, and the back-stop blocks it.
    sim.mqsc_ok("QM1", "ALTER AUTHINFO(SYSTEM.DEFAULT.AUTHINFO.IDPWOS) AUTHTYPE(IDPWOS) ADOPTCTX(NO)\nREFRESH SECURITY TYPE(CONNAUTH)\n");
    assert_refused_2035(&sim.program(None, &exe, &["APPQ", "QM1"], "secret\nx\n\n", &env, Duration::from_secs(30)));
    // A wrong password is refused and logged as IBM logs it.
    assert_refused_2035(&sim.program(None, &exe, &["APPQ", "QM1"], "wrong\nx\n\n", &env, Duration::from_secs(30)));
    assert!(error_log(&sim).contains("AMQ5534E: User ID 'mqm2' authentication failed"), "{}", error_log(&sim));
}

#[test]
fn non_admin_user_is_allowed_on_an_application_channel_but_not_on_system_channels() {
    let (sim, port) = with_listener();
    let mqm2 = User::named("mqm2");
    // Outside the mq group the OAM wants +connect (queues' authorities are not modelled).
    sim.mqsc_ok("QM1", "SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('mqm2') AUTHADD(CONNECT,INQ)\n");
    assert_put_ok(&putc(&sim, Some(mqm2), &mqserver("MQHA.SVRCONN", port), "from mqm2"));
    // IBM's default rule SYSTEM.* ADDRESSMAP USERSRC(NOACCESS) closes SYSTEM.DEF.SVRCONN.
    assert_refused_2035(&putc(&sim, Some(mqm2), &mqserver("SYSTEM.DEF.SVRCONN", port), "x"));
    // While a client is connected, its channel instance shows in CHSTATUS.
    let mut getter = std::process::Command::new(sim.samp("amqsgetc"));
    mqm2.apply(getter.args(["APPQ", "QM1"]))
        .env("MQSERVER", mqserver("MQHA.SVRCONN", port))
        .env_remove("LD_LIBRARY_PATH")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped());
    let mut child = Spawned::start(&mut getter);
    let out = eventually("the client's channel instance in CHSTATUS", Duration::from_secs(10), || {
        let o = sim.runmqsc(&["-e", "QM1"], "DISPLAY CHSTATUS(MQHA.SVRCONN)\n");
        if o.rc == 0 {
            Ok(o.stdout)
        } else {
            Err(o.stdout)
        }
    });
    child.kill();
    assert!(out.contains("AMQ8417I: Display Channel Status details."), "{out}");
    assert!(
        out.contains("CHANNEL(MQHA.SVRCONN)") && out.contains("CHLTYPE(SVRCONN)") && out.contains("CONNAME(127.0.0.1)"),
        "{out}"
    );
    assert!(out.contains("STATUS(RUNNING)"), "{out}");
}

#[test]
fn unknown_channel_2540_and_no_listener_2538() {
    let (sim, port) = with_listener();
    let o = putc(&sim, None, &mqserver("NO.SUCH.CHL", port), "x");
    assert!(o.stdout.contains("MQCONNX ended with reason code 2540"), "{o:?}");
    assert_eq!(o.rc, 2540 % 256);
    let dead = free_port();
    let o = putc(&sim, None, &mqserver("MQHA.SVRCONN", dead), "x");
    assert!(o.stdout.contains("MQCONNX ended with reason code 2538"), "{o:?}");
    assert_eq!(o.rc, 234, "docs/reference/mq-commands.md#sample-programs: 2538 -> 234");
    // Missing MQSERVER (and no CCDT) is a queue-manager name error for a client.
    let o = sim.sample("amqsputc", &["APPQ", "QM1"], "", &[]);
    assert!(o.stdout.contains("MQCONNX ended with reason code 2058"), "{o:?}");
    assert_eq!(o.rc, 10, "docs/reference/mq-commands.md#sample-programs: 2058 -> 10");
}

/// crypt(3) SHA-512 hash of "secret" (openssl passwd -6 -salt abcdefgh secret).
const SECRET_HASH: &str =
    "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.";

#[test]
fn admin_with_a_valid_password_is_allowed_a_wrong_one_is_not() {
    let (sim, port) = with_listener();
    // The queue manager runs as mqm and cannot read /etc/shadow; the installation's stand-in
    // for IBM's setuid helper is ROOT/.mqsim/shadow (same format).
    let shadow = sim.root.join(".mqsim/shadow");
    std::fs::create_dir_all(shadow.parent().unwrap()).unwrap();
    std::fs::write(&shadow, format!("mqm:{SECRET_HASH}:19000:0:99999:7:::\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shadow, std::fs::Permissions::from_mode(0o644)).unwrap();
    let server = mqserver("MQHA.SVRCONN", port);
    let exe = sim.root.join("opt/mqm/samp/bin/amqsputc");
    let env = [("MQSERVER", server.as_str()), ("MQSAMP_USER_ID", "mqm")];
    // A valid password is not enough on its own: the back-stop blocks the mq group however it
    // authenticated, until the channel has its own BLOCKUSER rule.
    let o = sim.program(None, &exe, &["APPQ", "QM1"], "secret\nwith password\n\n", &env, Duration::from_secs(30));
    assert!(o.stdout.contains("Enter password: "), "{o:?}");
    assert_refused_2035(&o);
    sim.mqsc_ok("QM1", "SET CHLAUTH(MQHA.SVRCONN) TYPE(BLOCKUSER) USERLIST('nobody')\n");
    let o = sim.program(None, &exe, &["APPQ", "QM1"], "secret\nwith password\n\n", &env, Duration::from_secs(30));
    assert_put_ok(&o);
    let o = sim.program(None, &exe, &["APPQ", "QM1"], "wrong\nx\n\n", &env, Duration::from_secs(30));
    assert_refused_2035(&o);
}

#[test]
fn server_library_goes_client_with_mq_connect_type() {
    let (sim, port) = with_listener();
    let server = mqserver("MQHA.SVRCONN", port);
    // amqsput loads libmqm_r.so: bindings by default, a client with MQ_CONNECT_TYPE=CLIENT
    // (then channel authentication applies to root).
    let o = sim.sample("amqsput", &["APPQ", "QM1"], "local\n\n", &[("MQSERVER", server.as_str())]);
    assert_put_ok(&o);
    let o = sim.sample(
        "amqsput",
        &["APPQ", "QM1"],
        "remote\n\n",
        &[("MQSERVER", server.as_str()), ("MQ_CONNECT_TYPE", "CLIENT")],
    );
    assert_refused_2035(&o);
}

#[test]
fn runmqsc_as_a_client_with_c() {
    let (sim, port) = with_listener();
    let mqm2 = User::named("mqm2");
    sim.mqsc_ok("QM1", "SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('mqm2') AUTHADD(CONNECT,INQ)\n");
    let server = mqserver("MQHA.SVRCONN", port);
    let o = sim.program(
        Some(mqm2),
        &sim.bin("runmqsc"),
        &["-c", "QM1"],
        "PING QMGR\n",
        &[("MQSERVER", server.as_str())],
        Duration::from_secs(20),
    );
    assert_eq!(o.rc, 0, "{o:?}");
    assert!(o.stdout.contains("AMQ8415I") && o.stdout.contains("One MQSC command read."), "{o:?}");
    // Root is an administrator: channel authentication refuses it without a password.
    let o = sim.program(
        None,
        &sim.bin("runmqsc"),
        &["-c", "QM1"],
        "PING QMGR\n",
        &[("MQSERVER", server.as_str())],
        Duration::from_secs(20),
    );
    assert_eq!(o.rc, 20, "{o:?}");
    let o = sim.program(None, &sim.bin("runmqsc"), &["-c", "QM1"], "PING QMGR\n", &[], Duration::from_secs(20));
    assert!(o.stdout.contains("AMQ8146E: IBM MQ queue manager not available."), "{o:?}");
    assert_eq!(o.rc, 20, "{o:?}");
}
