//! The monitor tables never say "not running" (7) while a process of the queue manager runs
//! here (docs/reference/pacemaker-ocf.md#exit-codes: 7 means stopped cleanly; Pacemaker then
//! starts the resource elsewhere, and two live copies of a queue manager is the worst outcome).
//! Any dspmq state or failure, any process list, probe or recurring, any role: a verdict of 7
//! implies an observation with no process of the queue manager. And a Starting queue manager is
//! never reported running (0/8) without its execution controller or past replay_timeout.

use mq_core::QmState;
use ocf_agent::ibmmq::multi::role::Role;
use ocf_agent::ibmmq::multi::table as multi;
use ocf_agent::ibmmq::table::{self, Facts};
use ocf_agent::ocf::OcfExit;
use proptest::prelude::*;
use std::time::Duration;

/// Cases per property: the tables are pure and fast, so many cases cost little.
const CASES: u32 = 20_000;

fn state() -> impl Strategy<Value = Result<QmState, String>> {
    let known = prop_oneof![
        Just(QmState::Starting),
        Just(QmState::Running),
        Just(QmState::RunningAsStandby),
        Just(QmState::RunningElsewhere),
        Just(QmState::Quiescing),
        Just(QmState::EndingImmediately),
        Just(QmState::EndingPreemptively),
        Just(QmState::EndedNormally),
        Just(QmState::EndedImmediately),
        Just(QmState::EndedPreemptively),
        Just(QmState::EndedUnexpectedly),
        Just(QmState::StatusNotAvailable),
        Just(QmState::Unknown),
        ".{0,20}".prop_map(QmState::Other),
        ".{0,20}".prop_map(|s| QmState::from_status(&s)),
    ];
    prop_oneof![4 => known.prop_map(Ok), 1 => ".{0,30}".prop_map(Err)]
}

/// What /proc showed: pids of the queue manager's processes, and whether amqzxma0 is among them
/// (as `Observation` derives both from one process list, the controller only with a pid).
fn processes() -> impl Strategy<Value = (Vec<i32>, bool)> {
    (prop::collection::vec(1..4_194_304i32, 0..5), any::<bool>()).prop_map(|(p, c)| {
        let c = c && !p.is_empty();
        (p, c)
    })
}

fn role() -> impl Strategy<Value = Option<Role>> {
    prop_oneof![Just(None), Just(Some(Role::Unpromoted)), Just(Some(Role::Promoted))]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn seven_means_no_process_here(
        state in state(),
        (pids, controller) in processes(),
        probe in any::<bool>(),
        data_visible in any::<bool>(),
        watched_ms in 0u128..200_000,
        (starting_s, limit_s) in (0u64..2_000, 1u64..1_000),
    ) {
        let (starting_for, replay_limit) = (Duration::from_secs(starting_s), Duration::from_secs(limit_s));
        let f = Facts { qm: "QM1", probe, state: &state, pids: &pids, controller, data_visible, watched_ms, starting_for, replay_limit };
        let v = table::decide(&f);
        if v.exit == OcfExit::NotRunning {
            prop_assert!(pids.is_empty(), "7 with processes {pids:?} (controller {controller}): {v:?}");
        }
    }

    #[test]
    fn seven_means_no_process_here_for_multi_instance(
        state in state(),
        (pids, controller) in processes(),
        probe in any::<bool>(),
        data_visible in any::<bool>(),
        watched_ms in 0u128..200_000,
        role in role(),
        (starting_s, limit_s) in (0u64..2_000, 1u64..1_000),
    ) {
        let (starting_for, replay_limit) = (Duration::from_secs(starting_s), Duration::from_secs(limit_s));
        let base = Facts { qm: "QM1", probe, state: &state, pids: &pids, controller, data_visible, watched_ms, starting_for, replay_limit };
        let (v, _) = multi::decide(&multi::Facts { base, role });
        if v.exit == OcfExit::NotRunning {
            prop_assert!(pids.is_empty(), "7 with processes {pids:?} (controller {controller}): {v:?}");
        }
    }

    #[test]
    fn starting_is_running_only_with_its_controller_within_replay_timeout(
        (pids, controller) in processes(),
        probe in any::<bool>(),
        role in role(),
        (starting_s, limit_s) in (0u64..2_000, 1u64..1_000),
    ) {
        let state = Ok(QmState::Starting);
        let (starting_for, replay_limit) = (Duration::from_secs(starting_s), Duration::from_secs(limit_s));
        let base = Facts { qm: "QM1", probe, state: &state, pids: &pids, controller, data_visible: true, watched_ms: 0, starting_for, replay_limit };
        let up = |e: OcfExit| matches!(e, OcfExit::Success | OcfExit::RunningPromoted);
        let allowed = controller && starting_for < replay_limit;
        prop_assert_eq!(up(table::decide(&base).exit), allowed);
        let (v, _) = multi::decide(&multi::Facts { base, role });
        prop_assert_eq!(up(v.exit), allowed, "{:?}", v);
    }
}
