//! Multi-instance queue managers on two installations ("nodes") sharing a DataPath, per
//! docs/reference/mq-commands.md#multi-instance: active/standby (rc 30), Running elsewhere, switchover (endmqm -s),
//! takeover, rc 31 / 43, and dspmq -x instance lines.

use mq_testkit::*;
use std::time::Duration;

struct Pair {
    a: Sim,
    b: Sim,
}

fn pair() -> Pair {
    let (a, b) = Sim::multi_instance("QM1");
    Pair { a, b }
}

#[test]
fn active_standby_switchover_takeover() {
    let Pair { a, b } = pair();
    // docs/reference/mq-commands.md#multi-instance step 1: both Ended
    assert_eq!(b.status("QM1"), a.status("QM1"));
    // docs/reference/mq-commands.md#multi-instance step 1: A active, B Running elsewhere
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(a.status("QM1"), "RUNNING");
    assert_eq!(b.status("QM1"), "RUNNING ELSEWHERE");
    let r = a.ok("dspmq", &["-o", "standby", "-m", "QM1"]);
    assert!(r.stdout.contains("STANDBY(Permitted)"), "{}", r.stdout);
    // docs/reference/mq-commands.md#multi-instance step 2: B standby, rc 30 and the wrapped message of #strmqm-output
    let r = b.mq("strmqm", &["-x", "QM1"]);
    assert_eq!(r.rc, 30, "{r:?}");
    assert!(
        r.stdout.ends_with(
            "A standby instance of queue manager 'QM1' has been started. The active instance\nis running elsewhere.\n"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(b.status("QM1"), "RUNNING AS STANDBY");
    // docs/reference/mq-commands.md#dspmq-instances: -x -o standby from either node lists both instances
    for n in [&a, &b] {
        let r = n.ok("dspmq", &["-x", "-o", "standby", "-m", "QM1"]);
        assert_eq!(
            r.stdout,
            "QMNAME(QM1)                                               STANDBY(Permitted)\n    INSTANCE(nodea.example.com) MODE(Active)\n    INSTANCE(nodeb.example.com) MODE(Standby)\n"
        );
    }
    // docs/reference/mq-commands.md#endmqm-output endmqm -i -s: the two lines; B takes over, A Running elsewhere
    // (docs/reference/mq-commands.md#multi-instance step 3)
    let r = a.ok("endmqm", &["-i", "-s", "QM1"]);
    assert_eq!(r.stdout, "IBM MQ queue manager 'QM1' ending.\nIBM MQ queue manager 'QM1' ended, permitting switchover to a standby instance.\n");
    b.wait_status("QM1", "RUNNING", Duration::from_secs(10));
    assert_eq!(a.status("QM1"), "RUNNING ELSEWHERE");
    let r = a.ok("dspmq", &["-x", "-m", "QM1"]);
    assert_eq!(r.stdout.lines().skip(1).collect::<Vec<_>>(), ["    INSTANCE(nodeb.example.com) MODE(Active)"]);
    // A plain strmqm on A while an -x active runs elsewhere: rc 31 (docs/reference/mq-commands.md#multi-instance step
    // 5)
    assert_eq!(a.mq("strmqm", &["QM1"]).rc, 31);
    // A back as standby; B's processes die (no endmqm): A takes over (docs/reference/mq-commands.md#multi-instance step
    // 6)
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 30);
    assert_eq!(b.mqsim(&["crash", "QM1"]).rc, 0);
    a.wait_status("QM1", "RUNNING", Duration::from_secs(10));
    assert_eq!(b.status("QM1"), "RUNNING ELSEWHERE");
    // Standby on B again, then endmqm -x on B ends only the standby (docs/reference/mq-commands.md#multi-instance step
    // 4)
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    assert_eq!(b.mq("endmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(b.status("QM1"), "RUNNING ELSEWHERE");
    assert_eq!(a.status("QM1"), "RUNNING");
    // endmqm on the active without -s ends active and standby (docs/reference/mq-commands.md#multi-instance step 4)
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    a.ok("endmqm", &["-w", "QM1"]);
    b.wait_status("QM1", "ENDED NORMALLY", Duration::from_secs(10));
    assert_eq!(a.status("QM1"), "ENDED NORMALLY");
    assert!(a.processes().is_empty() && b.processes().is_empty());
}

#[test]
fn active_without_x_refuses_standbys() {
    let Pair { a, b } = pair();
    a.ok("strmqm", &["QM1"]);
    let r = a.ok("dspmq", &["-o", "standby", "-m", "QM1"]);
    assert!(r.stdout.contains("STANDBY(Not permitted)"), "{}", r.stdout);
    // docs/reference/mq-commands.md#multi-instance step 5: rc 43 for strmqm -x (and plain strmqm) elsewhere
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 43);
    assert_eq!(b.mq("strmqm", &["QM1"]).rc, 43);
    assert!(b.processes().is_empty());
    a.ok("endmqm", &["-i", "QM1"]);
    assert_eq!(b.status("QM1"), "ENDED IMMEDIATELY");
}

#[test]
fn a_third_instance_is_refused_with_47() {
    let Pair { a, b } = pair();
    let c = a.install_beside("nodec", &["--node", "nodec.example.com"]);
    let line = a.ok("dspmqinf", &["-o", "command", "QM1"]).stdout;
    let args: Vec<&str> = line.trim_end().split(' ').skip(1).collect();
    c.ok("addmqinf", &args);
    assert_eq!(a.mq("strmqm", &["-x", "QM1"]).rc, 0);
    assert_eq!(b.mq("strmqm", &["-x", "QM1"]).rc, 30);
    // docs/reference/mq-commands.md#multi-instance step 5: a third instance -> rc 47, and nothing of it runs.
    assert_eq!(c.mq("strmqm", &["-x", "QM1"]).rc, 47);
    assert!(c.processes().is_empty());
    assert_eq!(c.status("QM1"), "RUNNING ELSEWHERE");
    a.ok("endmqm", &["-i", "QM1"]);
    b.wait_status("QM1", "ENDED IMMEDIATELY", Duration::from_secs(10));
}
