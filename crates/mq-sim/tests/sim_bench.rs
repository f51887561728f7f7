//! The simulator's speed requirement: a crtmqm + strmqm + endmqm cycle well under a second.

use mq_testkit::*;

#[test]
fn create_start_end_cycle_is_well_under_a_second() {
    let sim = Sim::install(&[]);
    let r = sim.mqsim(&["bench", "3"]);
    assert_eq!(r.rc, 0, "{r:?}");
    let summary = r.stdout.lines().last().unwrap().to_string();
    let max: f64 = summary.split("max ").nth(1).unwrap().split(" ms").next().unwrap().parse().unwrap();
    eprintln!("{summary}");
    assert!(max < 1000.0, "{summary}");
}
