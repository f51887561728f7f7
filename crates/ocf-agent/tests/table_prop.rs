//! The monitor tables never say "not running" (7) while a process of the queue manager runs
//! here (docs/reference/pacemaker-ocf.md#exit-codes: 7 means stopped cleanly; Pacemaker then
//! starts the resource elsewhere, and two live copies of a queue manager is the worst outcome).
//! Any dspmq state or failure, any process list, probe or recurring, any role: a verdict of 7
//! implies an observation with no process of the queue manager. And a Starting queue manager is
//! never reported running (0/8) without its execution controller or past replay_timeout.

use mq_core::dspmq::nativeha::{NhaInstance, NhaReport, NhaRole};
use mq_core::QmState;
use ocf_agent::ibmmq::multi::role::Role;
use ocf_agent::ibmmq::multi::table as multi;
use ocf_agent::ibmmq::nativeha::table as nativeha;
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

fn nha_role() -> impl Strategy<Value = NhaRole> {
    prop_oneof![Just(NhaRole::Active), Just(NhaRole::Replica), Just(NhaRole::Unknown)]
}

/// What `dspmq -o nativeha -x` may have said: any roles, sync states and quorum, or no report.
fn nha_report() -> impl Strategy<Value = Option<Result<NhaReport, String>>> {
    let inst = (nha_role(), any::<bool>(), any::<bool>(), prop::option::of(0u64..1_000_000), 0usize..3);
    let rep = (nha_role(), any::<bool>(), 0u8..=3, prop::collection::vec(inst, 0..4), 0usize..3).prop_map(
        |(role, insync, q, lines, me)| NhaReport {
            role,
            instance: ["a", "b", "c"][me].into(),
            insync,
            quorum: (q, 3),
            instances: lines
                .into_iter()
                .map(|(role, connactv, insync, backlog_kb, n)| NhaInstance {
                    name: ["a", "b", "c"][n].into(),
                    role,
                    repladdr: "h".into(),
                    connactv,
                    insync,
                    backlog_kb,
                    conninst: true,
                })
                .collect(),
        },
    );
    prop_oneof![Just(None), ".{0,20}".prop_map(|e| Some(Err(e))), rep.prop_map(|r| Some(Ok(r)))]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Native HA: 7 only with no process here, and promoted (8) or a score for the active role
    /// only where MQ's report says this instance is Active: Pacemaker follows MQ, never the reverse.
    #[test]
    fn native_ha_follows_mq_and_seven_means_no_process_here(
        state in state(),
        (pids, controller) in processes(),
        probe in any::<bool>(),
        role in role(),
        report in nha_report(),
    ) {
        let base = Facts { qm: "QM1", probe, state: &state, pids: &pids, controller, data_visible: true, watched_ms: 0,
            starting_for: Duration::ZERO, replay_limit: Duration::from_secs(600) };
        let (v, score) = nativeha::decide(&nativeha::Facts { base, report: report.as_ref(), role });
        let active = matches!(&report, Some(Ok(r)) if r.role == NhaRole::Active);
        if v.exit == OcfExit::NotRunning {
            prop_assert!(pids.is_empty(), "7 with processes {pids:?}: {v:?}");
        }
        if v.exit == OcfExit::RunningPromoted || score == Some(nativeha::SCORE_ACTIVE) {
            prop_assert!(active && !pids.is_empty() && controller, "promoted without MQ's election: {v:?} {report:?}");
        }
        if matches!(v.exit, OcfExit::Success | OcfExit::RunningPromoted | OcfExit::Degraded) {
            prop_assert!(!pids.is_empty() && controller, "running without its controller: {v:?}");
        }
    }

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
