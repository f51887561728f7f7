//! reconnect_clients: a stop that is a planned move tells reconnectable clients to reconnect
//! (`endmqm -r`, with `-tp` on MQ 9.2 and later); a multi-instance switchover uses `-s -r`. What
//! reaches endmqm is read from the simulator's command log (the argv of every command it ran).

use mq_testkit::*;

/// The argument lists endmqm was run with in this installation, oldest first.
fn endmqm_runs(sim: &Sim) -> Vec<Vec<String>> {
    let log = std::fs::read_to_string(sim.root.join(".mqsim/commands.log")).unwrap_or_default();
    log.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.len() > 3 && f[2].ends_with("endmqm")).then(|| f[4..].iter().map(|s| s.to_string()).collect())
        })
        .collect()
}

#[test]
fn a_planned_stop_passes_r_and_a_target_time_on_versions_that_have_it() {
    for (version, want_tp) in [("9.3.0.0", true), ("9.1.0.0", false)] {
        let sim = Sim::install(&["--version", version]);
        let qm = "QMPLAN";
        assert_eq!(sim.crtmqm(qm).rc, 0);
        let ocf = sim.ocf(qm).param("reconnect_clients", "true").param("stop_mode", "wait");
        assert_eq!(ocf.run("start").rc, 0, "{version}");
        let r = ocf.run("stop");
        assert_eq!(r.rc, 0, "{version}: {r:?}");
        assert!(sim.qm_pids(qm).is_empty(), "{version}: left {:?}", sim.qm_pids(qm));
        let runs = endmqm_runs(&sim);
        let first = runs.first().unwrap_or_else(|| panic!("{version}: no endmqm in the log: {r:?}"));
        assert_eq!(&first[..2], ["-w", "-r"], "{version}: {runs:?}");
        if want_tp {
            // The first step's share of the 60 s stop timeout, less a second: MQ escalates within it.
            assert_eq!(first[2], "-tp", "{version}: {runs:?}");
            let secs: u64 = first[3].parse().unwrap();
            assert!((20..=30).contains(&secs), "{version}: -tp {secs}");
            assert_eq!(first[4], qm, "{runs:?}");
        } else {
            assert_eq!(first[2..], [qm], "{version}: no -tp before 9.2: {runs:?}");
        }
        // endmqm ended it in its first step: no escalation.
        assert_eq!(runs.len(), 1, "{version}: {runs:?}");
    }
}

#[test]
fn stops_are_not_planned_moves_by_default() {
    let q = SimQm::create("UNPLAN");
    assert_eq!(q.ocf(&q.qm).run("start").rc, 0);
    assert_eq!(q.ocf(&q.qm).run("stop").rc, 0);
    assert_eq!(endmqm_runs(&q), vec![vec!["-i".to_string(), q.qm.clone()]]);
}

#[test]
fn a_multi_instance_switchover_uses_s_and_r() {
    let qm = "QMPLANMI";
    let (a, _b) = Sim::multi_instance(qm);
    let rsctmp = a.dir().join("nodea-rsctmp");
    let ocf = Ocf::new("mi_qm:0", 60000)
        .set("OCF_RESOURCE_TYPE", "ibmmq")
        .set("HA_RSCTMP", &rsctmp)
        .param("qmgr", qm)
        .param("multi_instance", "true")
        .param("mq_installation", a.inst())
        .param("reconnect_clients", "true");
    assert_eq!(ocf.run("start").rc, 0);
    assert_eq!(ocf.run("promote").rc, 0);
    let r = ocf.run("demote");
    assert_eq!(r.rc, 0, "{r:?}");
    let runs = endmqm_runs(&a);
    assert_eq!(runs.first(), Some(&vec!["-i".to_string(), "-s".into(), "-r".into(), qm.into()]), "{runs:?}");
    assert_eq!(ocf.run("stop").rc, 0);
}

#[test]
fn a_bad_reconnect_clients_is_a_configuration_error() {
    let q = SimQm::create("PLANBAD");
    let r = q.ocf(&q.qm).param("reconnect_clients", "maybe").run("start");
    assert_eq!(r.rc, 6, "{r:?}");
    assert!(r.reason().contains("reconnect_clients='maybe'"), "{}", r.reason());
}
