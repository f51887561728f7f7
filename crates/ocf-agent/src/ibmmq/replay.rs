//! How long this node's monitors have seen the queue manager Starting: a log replay (after a
//! standby took over, or a start that was not the agent's) is reported running while its
//! execution controller runs, up to `replay_timeout` (docs/ibmmq.md, "Starting: a log replay").
//!
//! dspmq gives no time, and the controller's own age is no measure after a takeover (the standby's
//! amqzxma0 ran long before it became Starting). So the first monitor that sees a controller
//! Starting records it in root's state directory (/run/mqha, cleared by a reboot), keyed by the
//! controller's pid and start time (a reused pid is another controller): later monitors count
//! from there. Without the state directory it falls back to the controller's age, which is never
//! shorter than the replay.

use std::path::Path;
use std::time::Duration;

use mq_core::installation::CACHE_DIR;
use mq_core::state_dir::{path_key, StateDir};

/// A root-owned record about one execution controller, as a state file holds it: (pid, start
/// time in clock ticks since boot, a moment in ms since boot). Here: when the controller was first
/// seen Starting; `hung.rs`: when a monitor found it not answering. Pid and start time together
/// never match a later process that reuses the pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub pid: i32,
    pub start_ticks: u64,
    pub at_ms: u64,
}

impl Seen {
    pub(crate) fn parse(text: &str) -> Option<Seen> {
        let mut w = text.split_whitespace().map(str::parse::<u64>);
        let (pid, start_ticks, at_ms) = (w.next()?.ok()?, w.next()?.ok()?, w.next()?.ok()?);
        Some(Seen { pid: i32::try_from(pid).ok()?, start_ticks, at_ms })
    }

    pub(crate) fn text(&self) -> String {
        format!("{} {} {}\n", self.pid, self.start_ticks, self.at_ms)
    }
}

/// The decision apart from the I/O: how long `now` is after the first sight of controller
/// (`pid`, `start_ticks`), and the record to write when `recorded` was another controller's.
pub fn starting_for(recorded: Option<Seen>, pid: i32, start_ticks: u64, now_ms: u64) -> (Duration, Option<Seen>) {
    match recorded {
        Some(r) if r.pid == pid && r.start_ticks == start_ticks => {
            (Duration::from_millis(now_ms.saturating_sub(r.at_ms)), None)
        }
        _ => (Duration::ZERO, Some(Seen { pid, start_ticks, at_ms: now_ms })),
    }
}

/// Milliseconds since boot (CLOCK_BOOTTIME: the clock /proc start times count on, suspend included).
pub(crate) fn boot_ms() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// When the process started, in clock ticks since boot (mq-core's one reader of it).
fn start_ticks(pid: i32) -> Option<u64> {
    mq_core::procs::start_ticks(pid)
}

/// How long this node has seen controller `pid` of queue manager directory `qm_dir` of
/// installation `inst` Starting (zero at the first sight, which is recorded).
pub fn seen_starting(inst: &Path, qm_dir: &str, pid: i32) -> Duration {
    let now = boot_ms();
    let Some(ticks) = start_ticks(pid) else { return Duration::ZERO };
    let name = format!("starting-{}-{qm_dir}", path_key(inst));
    let Ok(dir) = StateDir::open(Path::new(CACHE_DIR)) else {
        // No state directory: the controller's age, never shorter than the replay.
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        return Duration::from_millis(now.saturating_sub(ticks * 1000 / hz));
    };
    let recorded = dir.read(&name).ok().flatten().and_then(|b| Seen::parse(&String::from_utf8_lossy(&b)));
    let (d, write) = starting_for(recorded, pid, ticks, now);
    if let Some(w) = write {
        let _ = dir.write(&name, w.text().as_bytes());
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_from_the_first_sight_of_the_same_controller() {
        let (d, w) = starting_for(None, 100, 5000, 70_000);
        assert_eq!(d, Duration::ZERO);
        let w = w.unwrap();
        assert_eq!(Seen::parse(&w.text()), Some(w));
        assert_eq!(starting_for(Some(w), 100, 5000, 95_000), (Duration::from_secs(25), None));
        // A new controller (another pid, or the same pid reused later) starts the count again.
        assert_eq!(starting_for(Some(w), 101, 5000, 95_000).0, Duration::ZERO);
        assert_eq!(starting_for(Some(w), 100, 9000, 95_000).1.map(|s| s.at_ms), Some(95_000));
        assert_eq!(Seen::parse("garbage"), None);
    }

    #[test]
    fn start_ticks_of_this_process() {
        assert!(start_ticks(std::process::id() as i32).is_some());
    }
}
