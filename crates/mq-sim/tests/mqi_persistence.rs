//! Messages at rest and in trouble: persistent messages survive a restart and a crash,
//! non-persistent ones and temporary dynamic queues do not; the `log-full` and `hang` faults;
//! dmpmqmsg load/unload as the ClusterLabs agent drives it. Run as root.

use mq_testkit::*;

use std::time::Duration;

fn depth(sim: &Sim, q: &str) -> String {
    let out = sim.mqsc_ok("QM1", &format!("DISPLAY QLOCAL({q}) CURDEPTH\n"));
    out.split("CURDEPTH(").nth(1).and_then(|s| s.split(')').next()).unwrap_or_default().to_string()
}

fn dmpmqmsg(sim: &Sim, args: &[&str]) -> Run {
    sim.program(Some(User::named(&sim.user)), &sim.bin("dmpmqmsg"), args, "", &[], Duration::from_secs(20))
}

#[test]
fn persistent_messages_survive_restart_and_crash_non_persistent_do_not() {
    let sim = Sim::started("9.3.0.0", "QM1");
    sim.mqsc_ok(
        "QM1",
        "DEFINE QLOCAL(PQ) DEFPSIST(YES)\nDEFINE QLOCAL(NQ) DEFPSIST(NO)\nALTER QMGR CHLAUTH(DISABLED) DESCR('kept')\n",
    );
    let o = sim.sample("amqsput", &["PQ", "QM1"], "first\nsecond\n\n", &[]);
    assert_eq!(o.rc, 0, "{o:?}");
    let o = sim.sample("amqsput", &["NQ", "QM1"], "volatile\n\n", &[]);
    assert_eq!(o.rc, 0, "{o:?}");
    assert_eq!((depth(&sim, "PQ"), depth(&sim, "NQ")), ("2".to_string(), "1".to_string()));

    sim.ok("endmqm", &["-i", "QM1"]);
    sim.wait_status("QM1", "ENDED IMMEDIATELY", Duration::from_secs(10));
    sim.ok("strmqm", &["QM1"]);
    assert_eq!((depth(&sim, "PQ"), depth(&sim, "NQ")), ("2".to_string(), "0".to_string()), "after restart");
    let out = sim.mqsc_ok("QM1", "DISPLAY QMGR CHLAUTH DESCR\n");
    assert!(out.contains("CHLAUTH(DISABLED)") && out.contains("DESCR(kept)"), "queue manager attributes lost: {out}");

    // Killed execution controller: persistent messages are still there after the restart.
    assert_eq!(sim.mqsim(&["crash", "QM1"]).rc, 0);
    sim.wait_status("QM1", "ENDED UNEXPECTEDLY", Duration::from_secs(10));
    sim.ok("strmqm", &["QM1"]);
    assert_eq!(depth(&sim, "PQ"), "2", "after crash");

    // Their content and order survived too (browse: non-destructive).
    let o = dmpmqmsg(&sim, &["-m", "QM1", "-i", "PQ", "-f", "stdout"]);
    assert_eq!(o.rc, 0, "{o:?}");
    let first = o.stdout.find(&"first".bytes().map(|b| format!("{b:02X}")).collect::<String>()).expect("first");
    let second = o.stdout.find(&"second".bytes().map(|b| format!("{b:02X}")).collect::<String>()).expect("second");
    assert!(first < second, "order lost: {}", o.stdout);
    assert!(o.stdout.contains("A PER 1"), "{}", o.stdout);
    assert_eq!(depth(&sim, "PQ"), "2", "browse must not remove");
}

#[test]
fn log_full_refuses_persistent_puts_only() {
    let sim = Sim::started("9.3.0.0", "QM1");
    sim.mqsc_ok("QM1", "DEFINE QLOCAL(PQ) DEFPSIST(YES)\nDEFINE QLOCAL(NQ) DEFPSIST(NO)\n");
    assert_eq!(sim.mqsim(&["fault", "QM1", "set", "log-full"]).rc, 0);
    let o = sim.sample("amqsput", &["PQ", "QM1"], "p\n\n", &[]);
    assert!(o.stdout.contains("MQPUT ended with reason code 2102"), "{o:?}");
    let o = sim.sample("amqsput", &["NQ", "QM1"], "n\n\n", &[]);
    assert!(!o.stdout.contains("MQPUT ended"), "{o:?}");
    assert_eq!(sim.mqsim(&["fault", "QM1", "clear", "log-full"]).rc, 0);
    let o = sim.sample("amqsput", &["PQ", "QM1"], "p\n\n", &[]);
    assert!(!o.stdout.contains("MQPUT ended"), "{o:?}");
    assert_eq!((depth(&sim, "PQ"), depth(&sim, "NQ")), ("1".to_string(), "1".to_string()));
}

#[test]
fn hung_queue_manager_blocks_mqi_calls_until_cleared() {
    let sim = Sim::started("9.3.0.0", "QM1");
    assert_eq!(sim.mqsim(&["fault", "QM1", "set", "hang"]).rc, 0);
    let exe = sim.root.join("opt/mqm/samp/bin/amqsput");
    let o = sim.program(None, &exe, &["SYSTEM.DEFAULT.LOCAL.QUEUE", "QM1"], "x\n\n", &[], Duration::from_millis(1500));
    assert!(o.timed_out, "MQI answered a hung queue manager: {o:?}");
    assert_eq!(sim.mqsim(&["fault", "QM1", "clear", "hang"]).rc, 0);
    let o = sim.program(None, &exe, &["SYSTEM.DEFAULT.LOCAL.QUEUE", "QM1"], "x\n\n", &[], Duration::from_secs(10));
    assert_eq!(o.rc, 0, "{o:?}");
    assert_eq!(depth(&sim, "SYSTEM.DEFAULT.LOCAL.QUEUE"), "1");
}

#[test]
fn dmpmqmsg_load_and_unload_as_the_clusterlabs_probe() {
    let sim = Sim::started("9.3.0.0", "QM1");
    sim.mqsc_ok("QM1", "DEFINE QLOCAL(PROBE.Q) DEFPSIST(YES)\n");
    let dir = tempfile::tempdir().unwrap();
    // dmpmqmsg runs as the mq user (an administrator's command): its files must be reachable.
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
    let input = dir.path().join("probe.in");
    let output = dir.path().join("probe.out");
    // Byte for byte the payload heartbeat/ibmmq writes (hex of "ibmmq-ra-probe").
    std::fs::write(&input, "* DMPMQMSG Version:1.0\nA VER 2\nX 69626D6D712D72612D70726F6265\n").unwrap();
    let o = dmpmqmsg(&sim, &["-m", "QM1", "-o", "PROBE.Q", "-f", input.to_str().unwrap()]);
    assert_eq!(o.rc, 0, "{o:?}");
    assert_eq!(depth(&sim, "PROBE.Q"), "1");
    let o = dmpmqmsg(&sim, &["-m", "QM1", "-I", "PROBE.Q", "-f", output.to_str().unwrap()]);
    assert_eq!(o.rc, 0, "{o:?}");
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(text.contains("X 69626D6D712D72612D70726F6265"), "{text}");
    assert_eq!(depth(&sim, "PROBE.Q"), "0", "-I is destructive");
    // An empty queue unloads with rc 0 and writes nothing (the agent then sees an empty file).
    std::fs::remove_file(&output).unwrap();
    let o = dmpmqmsg(&sim, &["-m", "QM1", "-I", "PROBE.Q", "-f", output.to_str().unwrap()]);
    assert_eq!(o.rc, 0, "{o:?}");
    assert!(!output.exists() || std::fs::metadata(&output).unwrap().len() == 0);
    // Unknown queue: the open fails with 2085.
    let o = dmpmqmsg(&sim, &["-m", "QM1", "-I", "NO.SUCH.Q", "-f", output.to_str().unwrap()]);
    assert_ne!(o.rc, 0, "{o:?}");
    assert!(o.stdout.contains("2085"), "{o:?}");
}

#[test]
fn queue_limits_and_inhibits_give_ibm_reason_codes() {
    let sim = Sim::started("9.3.0.0", "QM1");
    sim.mqsc_ok("QM1", "DEFINE QLOCAL(SMALL) MAXDEPTH(1) MAXMSGL(5)\nDEFINE QLOCAL(NOPUT) PUT(DISABLED)\nDEFINE QLOCAL(NOGET) GET(DISABLED)\n");
    // amqsput stops at the first failed MQPUT, as IBM's loop does.
    let o = sim.sample("amqsput", &["SMALL", "QM1"], "toolong\nok\n\n", &[]);
    assert!(o.stdout.contains("MQPUT ended with reason code 2030"), "{o:?}");
    assert_eq!(depth(&sim, "SMALL"), "0");
    let o = sim.sample("amqsput", &["SMALL", "QM1"], "ok\nfull\n\n", &[]);
    assert!(o.stdout.contains("MQPUT ended with reason code 2053"), "{o:?}");
    assert_eq!(depth(&sim, "SMALL"), "1");
    let o = sim.sample("amqsput", &["NOPUT", "QM1"], "x\n\n", &[]);
    assert!(o.stdout.contains("MQPUT ended with reason code 2051"), "{o:?}");
    let o = sim.sample("amqsget", &["NOGET", "QM1"], "", &[]);
    assert!(o.stdout.contains("MQGET ended with reason code 2016"), "{o:?}");
    assert!(o.stdout.ends_with("Sample AMQSGET0 end\n"), "{o:?}");
}

#[test]
fn message_store_does_not_grow_with_traffic() {
    let sim = Sim::started("9.3.0.0", "QM1");
    sim.mqsc_ok("QM1", "DEFINE QLOCAL(BUSY) DEFPSIST(YES)\n");
    let lines: String = (0..1500).map(|i| format!("message number {i}\n")).collect();
    for _ in 0..2 {
        let o = sim.sample("amqsput", &["BUSY", "QM1"], &format!("{lines}\n"), &[]);
        assert_eq!(o.rc, 0, "amqsput: {}", o.stdout.lines().last().unwrap_or(""));
        let o = dmpmqmsg(&sim, &["-m", "QM1", "-I", "BUSY", "-f", "stdout"]);
        assert_eq!(o.rc, 0, "dmpmqmsg: {} {}", o.stderr, o.stdout.lines().last().unwrap_or(""));
        assert!(o.stdout.contains("Messages:  1500"), "{}", o.stdout.lines().last().unwrap_or(""));
    }
    let dir = sim.root.join("var/mqm/log/QM1/mqsim-messages");
    let bytes: u64 = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.metadata().unwrap().len()).sum();
    // 6000 journal records of ~450 bytes each would be ~2.7 MB without compaction.
    assert!(bytes < 1_000_000, "message store holds {bytes} bytes for an empty queue");
    assert_eq!(depth(&sim, "BUSY"), "0");
}
