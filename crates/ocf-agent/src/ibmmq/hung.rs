//! A monitor's "hung" verdict, kept for the stop that follows it: the monitor that finds the
//! queue manager not answering within hang_timeout records it in root's state directory
//! (/run/mqha, as replay.rs does), keyed by the execution controller's pid and start time; a
//! stop within `FRESH` of it, of that same controller, skips the orderly endmqm without looking
//! again (docs/ibmmq.md, "Hung queue manager"). A monitor that finds it answering removes the
//! record, so a queue manager that recovered is ended in order again.

use std::path::Path;
use std::time::Duration;

use mq_core::installation::CACHE_DIR;
use mq_core::qmgr::QueueManager;
use mq_core::state_dir::{path_key, StateDir};

use super::replay::{boot_ms, Seen};
use mq_core::procs::start_ticks;

/// How long a verdict stands: Pacemaker stops a resource whose monitor failed within seconds;
/// later, the stop looks for itself.
pub const FRESH: Duration = Duration::from_secs(60);

/// A monitor's verdict that a controller did not answer: replay.rs's record of a controller,
/// `at_ms` being when the monitor found it so.
pub type Verdict = Seen;

/// How old verdict `v` is at `now_ms` when it is of controller (`pid`, `start_ticks`) and still
/// fresh; None otherwise (another controller, a pid reused, stale, or from the future).
pub fn age(v: &Verdict, pid: i32, start_ticks: u64, now_ms: u64) -> Option<Duration> {
    let age = Duration::from_millis(now_ms.checked_sub(v.at_ms)?);
    (v.pid == pid && v.start_ticks == start_ticks && age <= FRESH).then_some(age)
}

fn name(qm: &QueueManager) -> String {
    format!("hung-{}-{}", path_key(&qm.inst.path), qm.name.directory())
}

fn dir() -> Option<StateDir> {
    StateDir::open(Path::new(CACHE_DIR)).ok()
}

/// Records that controller `pid` of `qm` did not answer.
pub fn record(qm: &QueueManager, pid: i32) {
    let (Some(d), Some(ticks)) = (dir(), start_ticks(pid)) else { return };
    let _ = d.write(&name(qm), Verdict { pid, start_ticks: ticks, at_ms: boot_ms() }.text().as_bytes());
}

/// Removes the record (the queue manager answered, or was stopped).
pub fn clear(qm: &QueueManager) {
    if let Some(d) = dir() {
        let _ = d.remove(&name(qm));
    }
}

/// How long ago a monitor found controller `pid` of `qm` hung, when that is fresh.
pub fn seen(qm: &QueueManager, pid: i32) -> Option<Duration> {
    let ticks = start_ticks(pid)?;
    let v = dir()?.read(&name(qm)).ok()??;
    age(&Verdict::parse(&String::from_utf8_lossy(&v))?, pid, ticks, boot_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_holds_for_its_own_controller_while_fresh() {
        let v = Verdict { pid: 100, start_ticks: 5000, at_ms: 70_000 };
        assert_eq!(Verdict::parse(&v.text()), Some(v));
        assert_eq!(age(&v, 100, 5000, 75_000), Some(Duration::from_secs(5)));
        assert_eq!(age(&v, 100, 5000, 70_000 + FRESH.as_millis() as u64), Some(FRESH));
        // Stale, another controller, the pid reused, a clock that went back.
        assert_eq!(age(&v, 100, 5000, 70_001 + FRESH.as_millis() as u64), None);
        assert_eq!(age(&v, 101, 5000, 75_000), None);
        assert_eq!(age(&v, 100, 9000, 75_000), None);
        assert_eq!(age(&v, 100, 5000, 60_000), None);
        assert_eq!(Verdict::parse("1 2"), None);
    }
}
