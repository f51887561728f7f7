//! ocf:mqha:ibmmq-listener against a simulated MQ installation: the lifecycle, a killed
//! listener, a port held by someone else, two listeners of one queue manager, a listener
//! started before its queue manager, a LISTENER object, and bad parameters.

use std::time::Duration;

use mq_testkit::*;

const L: &str = "ibmmq-listener";

fn check(o: &Run, want: i32, what: &str) {
    assert_eq!(o.rc, want, "{what}: exit {} (want {want})\nstderr:\n{}", o.rc, o.stderr);
}

#[test]
fn lifecycle_probe_start_monitor_stop() {
    let links = Links::new();
    let sim = SimQm::create("LC");
    sim.start();
    let port = free_port();
    let ps = port.to_string();
    let env = sim.env(&[("OCF_RESKEY_port", &ps)]);
    let recurring = sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_CRM_meta_interval", "20000")]);
    let deep =
        sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_CRM_meta_interval", "60000"), ("OCF_CHECK_LEVEL", "10")]);

    check(&links.run(L, "monitor", &env), 7, "probe before start");
    check(
        &links.run(L, "validate-all", &sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_CHECK_LEVEL", "10")])),
        0,
        "validate-all level 10",
    );
    check(&links.run(L, "start", &env), 0, "start");
    assert!(port_open(port), "port {port} does not accept after start");
    check(&links.run(L, "monitor", &recurring), 0, "monitor depth 0");
    check(&links.run(L, "monitor", &deep), 0, "monitor depth 10");
    check(&links.run(L, "monitor", &env), 0, "probe while running");
    check(&links.run(L, "start", &env), 0, "start again (idempotent)");
    let o = links.run(L, "stop", &env);
    check(&o, 0, "stop");
    eventually(&format!("port {port} to close after stop"), Duration::from_secs(2), || !port_open(port));
    check(&links.run(L, "monitor", &recurring), 7, "monitor after stop");
    check(&links.run(L, "stop", &env), 0, "stop again (idempotent)");
}

#[test]
fn a_killed_listener_is_reported_and_restarts() {
    let links = Links::new();
    let sim = SimQm::create("KL");
    sim.start();
    let ps = free_port().to_string();
    let env = sim.env(&[("OCF_RESKEY_port", &ps)]);
    let recurring = sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_CRM_meta_interval", "20000")]);
    check(&links.run(L, "start", &env), 0, "start");
    sim.kill(&format!("listener:{ps}"));
    let o = links.run(L, "monitor", &recurring);
    check(&o, 7, "monitor after mqsim kill listener");
    assert!(o.exit_reason().unwrap_or_default().contains(&format!("port {ps}")), "{}", o.stderr);
    // What Pacemaker does next: stop, start.
    check(&links.run(L, "stop", &env), 0, "stop of a dead listener");
    check(&links.run(L, "start", &env), 0, "restart");
    check(&links.run(L, "monitor", &recurring), 0, "monitor after restart");
}

#[test]
fn a_port_held_by_another_process_is_refused_and_named() {
    let links = Links::new();
    let sim = SimQm::create("PH");
    sim.start();
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port().to_string();
    let o = links.run(L, "start", &sim.env(&[("OCF_RESKEY_port", &port)]));
    check(&o, 1, "start on a held port");
    let r = o.exit_reason().unwrap_or_default();
    assert!(r.contains(&format!("port {port}")) && r.contains(&format!("pid {}", std::process::id())), "reason: {r}");
    // The test's own socket is untouched, and no runmqlsr was left behind.
    assert!(squatter.local_addr().is_ok());
    check(&links.run(L, "monitor", &sim.env(&[("OCF_RESKEY_port", &port)])), 7, "probe after the refusal");
}

#[test]
fn stopping_one_of_two_listeners_leaves_the_other() {
    let links = Links::new();
    let sim = SimQm::create("TW");
    sim.start();
    let (a, b) = (free_port(), free_port());
    let (sa, sb) = (a.to_string(), b.to_string());
    let ea = sim.env(&[("OCF_RESKEY_port", &sa), ("OCF_RESOURCE_INSTANCE", "lsr-a")]);
    let eb = sim.env(&[("OCF_RESKEY_port", &sb), ("OCF_RESOURCE_INSTANCE", "lsr-b")]);
    check(&links.run(L, "start", &ea), 0, "start A");
    check(&links.run(L, "start", &eb), 0, "start B");
    check(&links.run(L, "stop", &ea), 0, "stop A");
    eventually(&format!("A's port {a} to close"), Duration::from_secs(2), || !port_open(a));
    assert!(port_open(b), "B's port closed by A's stop");
    let rb = sim.env(&[("OCF_RESKEY_port", &sb), ("OCF_RESKEY_CRM_meta_interval", "20000")]);
    check(&links.run(L, "monitor", &rb), 0, "B after A stopped");
    check(&links.run(L, "stop", &eb), 0, "stop B");
}

#[test]
fn a_listener_before_its_queue_manager_fails_start_and_probes_7() {
    let links = Links::new();
    let sim = SimQm::create("BQ");
    let ps = free_port().to_string();
    let env = sim.env(&[("OCF_RESKEY_port", &ps)]);
    check(&links.run(L, "monitor", &env), 7, "probe with the queue manager down");
    // A node without MQ at all probes the same.
    let bare = sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_mq_installation", "/nonexistent/mqm")]);
    check(&links.run(L, "monitor", &bare), 7, "probe on a node without the installation");
    check(&links.run(L, "stop", &bare), 0, "stop on a node without the installation");
    let o = links.run(L, "start", &env);
    check(&o, 1, "start with the queue manager down");
    assert!(
        o.exit_reason().unwrap_or_default().contains(&format!("queue manager {} is not running", sim.qm)),
        "{}",
        o.stderr
    );
}

#[test]
fn an_address_not_on_this_host_is_invalid_here() {
    let links = Links::new();
    let sim = SimQm::create("NA");
    sim.start();
    let ps = free_port().to_string();
    // 192.0.2.0/24 is TEST-NET-1: never configured on a real host.
    let o = links.run(L, "start", &sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_ipaddr", "192.0.2.77")]));
    check(&o, 2, "start with a foreign ipaddr");
    assert!(
        o.exit_reason().unwrap_or_default().contains("ipaddr='192.0.2.77' is not configured on this node"),
        "{}",
        o.stderr
    );
    // The same configuration is fine as far as pcs's level-0 validation is concerned.
    check(
        &links.run(L, "validate-all", &sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_ipaddr", "192.0.2.77")])),
        0,
        "validate-all level 0",
    );
}

#[test]
fn bad_port_values_are_named() {
    let links = Links::new();
    let sim = SimQm::create("BP");
    for bad in ["0", "70000", "fourteen"] {
        let o = links.run(L, "start", &sim.env(&[("OCF_RESKEY_port", bad)]));
        check(&o, 6, &format!("start with port={bad}"));
        assert!(o.exit_reason().unwrap_or_default().starts_with(&format!("port='{bad}'")), "{}", o.stderr);
    }
}

#[test]
fn a_listener_object_is_aligned_and_driven_through_runmqsc() {
    let links = Links::new();
    let sim = SimQm::create("OB");
    sim.start();
    let port = free_port();
    let ps = port.to_string();
    let out = sim.mqsc("DEFINE LISTENER(FW.LSR) TRPTYPE(TCP) PORT(1) CONTROL(QMGR)\n");
    assert!(out.contains("AMQ8626"), "DEFINE LISTENER: {out}");
    let env =
        sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_ipaddr", "127.0.0.1"), ("OCF_RESKEY_listener", "FW.LSR")]);
    check(&links.run(L, "start", &env), 0, "start of a LISTENER object");
    assert!(port_open(port));
    let shown = sim.mqsc("DISPLAY LISTENER(FW.LSR) PORT IPADDR CONTROL\n");
    assert!(
        shown.contains(&format!("PORT({port})"))
            && shown.contains("CONTROL(MANUAL)")
            && shown.contains("IPADDR(127.0.0.1)"),
        "{shown}"
    );
    check(&links.run(L, "monitor", &env), 0, "probe of the object's listener");
    check(&links.run(L, "stop", &env), 0, "stop of the object's listener");
    eventually(&format!("port {port} to close after stop"), Duration::from_secs(2), || !port_open(port));
    let o = links.run(L, "start", &sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_listener", "NO.SUCH.LSR")]));
    check(&o, 6, "start of an undefined LISTENER object");
    assert!(o.exit_reason().unwrap_or_default().contains("NO.SUCH.LSR"), "{}", o.stderr);
}

#[test]
fn depth_10_accepts_a_refusal_but_fails_on_a_hung_queue_manager_within_the_timeout() {
    let links = Links::new();
    let sim = SimQm::create("HG");
    sim.start();
    let ps = free_port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("agent.log");
    let logs = log.to_str().unwrap();
    check(&links.run(L, "start", &sim.env(&[("OCF_RESKEY_port", &ps)])), 0, "start");
    let deep = |timeout: &str| {
        sim.env(&[
            ("OCF_RESKEY_port", &ps),
            ("OCF_RESKEY_CRM_meta_interval", "60000"),
            ("OCF_CHECK_LEVEL", "10"),
            ("OCF_RESKEY_CRM_meta_timeout", timeout),
            ("HA_LOGFILE", logs),
        ])
    };
    check(&links.run(L, "monitor", &deep("20000")), 0, "depth 10");
    // The default CHLAUTH back-stop refuses SYSTEM.DEF.SVRCONN with 2035: logged as proof that the
    // listener handed the connection to the queue manager.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("2035") && text.contains("so it works"), "{text}");

    sim.fault(&sim.qm, "hang", None);
    let started = std::time::Instant::now();
    let o = links.run(L, "monitor", &deep("6000"));
    let took = started.elapsed();
    check(&o, 1, "depth 10 on a hung queue manager");
    assert!(took < Duration::from_secs(6), "monitor took {took:?}, beyond its 6 s timeout");
    assert!(o.exit_reason().unwrap_or_default().contains("hung"), "{}", o.stderr);
    // Depth 0 does not talk to the queue manager: the listener process and port are fine.
    check(
        &links.run(L, "monitor", &sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_CRM_meta_interval", "20000")])),
        0,
        "depth 0 on a hung queue manager",
    );
}

#[test]
fn ocf_tester_passes() {
    let sim = SimQm::create("OT");
    sim.start();
    let inst = sim.inst().display().to_string();
    let (rc, out) = ocf_tester(
        L,
        "lsr-ocft",
        &[("qmgr", sim.qm.clone()), ("port", free_port().to_string()), ("mq_installation", inst)],
    );
    assert_eq!(rc, 0, "ocf-tester:\n{out}");
    assert!(out.contains("passed all tests"), "{out}");
}

#[test]
fn a_listener_object_the_queue_manager_started_is_adopted_and_made_manual() {
    let links = Links::new();
    let sim = SimQm::create("AD");
    let port = free_port();
    sim.start();
    let out = sim
        .mqsc(&format!("DEFINE LISTENER(FW.AUTO) TRPTYPE(TCP) PORT({port}) CONTROL(QMGR)\nSTART LISTENER(FW.AUTO)\n"));
    assert!(out.contains("AMQ8626") && out.contains("AMQ8021"), "{out}");
    eventually(&format!("the queue manager's listener on {port}"), Duration::from_secs(5), || port_open(port));
    let ps = port.to_string();
    let env = sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_listener", "FW.AUTO")]);
    check(&links.run(L, "monitor", &env), 0, "probe finds the running listener");
    check(&links.run(L, "start", &env), 0, "start adopts it");
    let shown = sim.mqsc("DISPLAY LISTENER(FW.AUTO) CONTROL\n");
    assert!(shown.contains("CONTROL(MANUAL)"), "{shown}");
    check(&links.run(L, "stop", &env), 0, "stop");
    eventually(&format!("port {port} to close after stop"), Duration::from_secs(2), || !port_open(port));
}

/// The processes' argv of runmqlsr for `qm`, read from /proc.
fn runmqlsr_args(qm: &str) -> Vec<Vec<String>> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| {
            c.split(|b| *b == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect::<Vec<_>>()
        })
        .filter(|a| a.first().is_some_and(|p| p.ends_with("runmqlsr")) && a.iter().any(|x| x == qm))
        .collect()
}

#[test]
fn two_queue_managers_share_a_port_on_different_addresses() {
    let links = Links::new();
    let (one, two) = (SimQm::create("SA"), SimQm::create("SB"));
    one.start();
    two.start();
    let ps = free_port().to_string();
    let e1 = one.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_ipaddr", "127.0.0.1"), ("OCF_RESKEY_backlog", "7")]);
    let e2 = two.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_ipaddr", "127.0.0.2")]);
    check(&links.run(L, "start", &e1), 0, "start on 127.0.0.1");
    check(&links.run(L, "start", &e2), 0, "start on 127.0.0.2, same port");
    let args = runmqlsr_args(&one.qm);
    assert_eq!(args.len(), 1, "{args:?}");
    let a = args[0].join(" ");
    assert!(a.ends_with(&format!("-m {} -t TCP -p {ps} -i 127.0.0.1 -b 7", one.qm)), "{a}");
    // A wildcard listener on that port clashes with both and is refused, naming a holder.
    let sim3 = SimQm::create("SC");
    sim3.start();
    let o = links.run(L, "start", &sim3.env(&[("OCF_RESKEY_port", &ps)]));
    check(&o, 1, "wildcard start on a port used on two addresses");
    assert!(o.exit_reason().unwrap_or_default().contains("runmqlsr"), "{}", o.stderr);
    check(&links.run(L, "stop", &e1), 0, "stop the first");
    check(
        &links.run(
            L,
            "monitor",
            &two.env(&[
                ("OCF_RESKEY_port", &ps),
                ("OCF_RESKEY_ipaddr", "127.0.0.2"),
                ("OCF_RESKEY_CRM_meta_interval", "20000"),
            ]),
        ),
        0,
        "the other queue manager's listener is untouched",
    );
    check(&links.run(L, "stop", &e2), 0, "stop the second");
}

#[test]
fn a_queue_manager_crash_is_left_to_the_queue_managers_resource() {
    let links = Links::new();
    let sim = SimQm::create("CR");
    sim.start();
    let ps = free_port().to_string();
    let env = sim.env(&[("OCF_RESKEY_port", &ps)]);
    let recurring = sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_CRM_meta_interval", "20000")]);
    check(&links.run(L, "start", &env), 0, "start");
    sim.crash(&sim.qm, false);
    eventually("the crash to take the listener down", Duration::from_secs(5), || !port_open(ps.parse().unwrap()));
    // The queue manager's own monitor reports the crash; the listener's must not race it into a
    // restart whose start fails (and bans the node).
    let o = links.run(L, "monitor", &recurring);
    check(&o, 0, "recurring monitor after a queue-manager crash");
    assert!(o.stderr.contains("leaving the recovery to the queue manager's resource"), "{}", o.stderr);
    // A probe still tells the truth, and once the queue manager is back a dead listener is a failure.
    check(&links.run(L, "monitor", &env), 7, "probe after the crash");
    sim.start();
    check(&links.run(L, "monitor", &recurring), 7, "recurring monitor once the queue manager runs again");
}

#[test]
fn an_ipv6_bind_address_works_end_to_end() {
    let links = Links::new();
    let sim = SimQm::create("V6");
    sim.start();
    let ps = free_port().to_string();
    let env = sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_RESKEY_ipaddr", "::1")]);
    check(&links.run(L, "start", &env), 0, "start on ::1");
    let v6 = std::net::TcpStream::connect_timeout(&format!("[::1]:{ps}").parse().unwrap(), Duration::from_secs(1));
    assert!(v6.is_ok(), "[::1]:{ps} does not accept");
    assert!(!port_open(ps.parse().unwrap()), "bound to ::1 only, yet 127.0.0.1:{ps} accepts");
    let deep = sim.env(&[
        ("OCF_RESKEY_port", &ps),
        ("OCF_RESKEY_ipaddr", "::1"),
        ("OCF_RESKEY_CRM_meta_interval", "60000"),
        ("OCF_CHECK_LEVEL", "10"),
    ]);
    check(&links.run(L, "monitor", &deep), 0, "depth 10 through ::1");
    check(&links.run(L, "stop", &env), 0, "stop");
}

#[test]
fn a_hung_data_directory_does_not_hang_the_listener_agent() {
    let links = Links::new();
    let sim = SimQm::create("HD");
    sim.start();
    let port = free_port();
    let ps = port.to_string();
    let out = sim.mqsc("DEFINE LISTENER(FW.HUNG) TRPTYPE(TCP) PORT(1) CONTROL(MANUAL)\n");
    assert!(out.contains("AMQ8626"), "DEFINE LISTENER: {out}");
    let env = sim.env(&[
        ("OCF_RESKEY_port", &ps),
        ("OCF_RESKEY_listener", "FW.HUNG"),
        ("OCF_RESKEY_CRM_meta_timeout", "10000"),
    ]);
    check(&links.run(L, "start", &env), 0, "start");
    // Stopping a LISTENER object places the mq user for runmqsc: on storage that does not answer,
    // the stop must still end within its 10 s timeout.
    let o = links.run_on_hung_storage(L, "stop", &env, &sim.data_dir(), Duration::from_secs(13));
    assert!(!o.timed_out, "stop with the data directory hung ran past its timeout: {o:?}");
    check(&o, 0, "stop with the data directory hung");
    eventually(&format!("port {port} to close after stop"), Duration::from_secs(2), || !port_open(port));
    // With the queue manager down, the mq user comes from the data directory's owner.
    sim.stop();
    let deep =
        sim.env(&[("OCF_RESKEY_port", &ps), ("OCF_CHECK_LEVEL", "10"), ("OCF_RESKEY_CRM_meta_timeout", "10000")]);
    let o = links.run_on_hung_storage(L, "validate-all", &deep, &sim.data_dir(), Duration::from_secs(13));
    assert!(!o.timed_out, "validate-all with the data directory hung ran past its timeout: {o:?}");
    check(&o, 0, "validate-all with the data directory hung");
    assert!(o.stderr.contains("does not answer"), "{}", o.stderr);
}

#[test]
fn a_queue_manager_of_another_installation_is_not_ours() {
    let links = Links::new();
    let sim = SimQm::create("OI");
    let other = sim.twin();
    other.start();
    let port = free_port();
    let o = links.run(L, "start", &sim.env(&[("OCF_RESKEY_port", &port.to_string())]));
    check(&o, 1, "start while only the other installation's queue manager runs");
    assert!(o.reason().contains(&format!("queue manager {} is not running", sim.qm)), "{}", o.stderr);
    assert!(!port_open(port), "a runmqlsr was started for the other installation's queue manager");
}
