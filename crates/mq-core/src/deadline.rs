//! Deadlines: every wait of an operation takes one, and a step that may overrun takes a share of
//! what is left so later steps (an escalation, a final check) keep the rest. Polling lives here
//! too: every wait for a state change is a `Backoff` that never sleeps past its deadline.

use std::time::{Duration, Instant};

/// A point in time an action must be done by; every wait in the agents takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline {
    at: Instant,
}

impl Deadline {
    pub fn at(at: Instant) -> Deadline {
        Deadline { at }
    }

    pub fn after(d: Duration) -> Deadline {
        Deadline { at: Instant::now() + d }
    }

    /// The instant itself, for calls that take an Instant.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// Time left; zero once passed.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.at
    }

    /// A deadline for one step that may use `share` (0.0-1.0) of the time left, so later steps
    /// (an escalation, a final check) keep the rest.
    pub fn child(&self, share: f64) -> Deadline {
        let share = share.clamp(0.0, 1.0);
        Deadline { at: Instant::now() + self.remaining().mul_f64(share) }
    }

    /// Time to clean up after a failed step: up to 5 s of what is left, at least 1 s (taken from
    /// the margin the caller's budget keeps below its own timeout).
    pub fn cleanup(&self) -> Deadline {
        if self.remaining() < Duration::from_secs(1) {
            Deadline::after(Duration::from_secs(1))
        } else {
            self.capped(Duration::from_secs(5))
        }
    }

    /// The earlier of this deadline and `d` from now.
    pub fn capped(&self, d: Duration) -> Deadline {
        Deadline { at: self.at.min(Instant::now() + d) }
    }
}

/// A deadline for one step: `share` of the time left before `deadline` (the Instant form of
/// `Deadline::child`, for the operations that take an Instant).
pub fn share(deadline: Instant, share: f64) -> Instant {
    Deadline::at(deadline).child(share).instant()
}

/// Polling interval that starts short and grows: a state change is seen quickly without
/// spinning, and no fixed multi-second sleep is ever taken.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new() -> Backoff {
        Backoff { next: Duration::from_millis(50), max: Duration::from_millis(500) }
    }
    /// For waits on another node (its release of the data lock): 100 ms growing to 1 s.
    pub fn patient() -> Backoff {
        Backoff { next: Duration::from_millis(100), max: Duration::from_secs(1) }
    }
    pub fn fast() -> Backoff {
        Backoff { next: Duration::from_millis(10), max: Duration::from_millis(200) }
    }
    /// Sleeps the next interval, never past `deadline`; false when the deadline has passed.
    pub fn sleep(&mut self, deadline: Instant) -> bool {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep(self.next.min(deadline - now));
        self.next = (self.next * 3 / 2).min(self.max);
        true
    }
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff::new()
    }
}

/// Calls `check` with growing pauses until it gives a value or `deadline` passes; the last
/// check runs at the deadline, so a state reached just in time still counts.
pub fn poll_until<T>(deadline: Deadline, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let mut pause = Backoff::fast();
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if !pause.sleep(deadline.instant()) {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_returns_early_and_respects_the_deadline() {
        let start = Instant::now();
        let mut n = 0;
        assert_eq!(
            poll_until(Deadline::after(Duration::from_secs(5)), || {
                n += 1;
                (n == 3).then_some(n)
            }),
            Some(3)
        );
        assert!(start.elapsed() < Duration::from_millis(500));
        let start = Instant::now();
        assert_eq!(poll_until(Deadline::after(Duration::from_millis(100)), || None::<()>), None);
        assert!(start.elapsed() < Duration::from_millis(400));
    }

    #[test]
    fn child_deadline_takes_a_share_of_what_is_left() {
        let d = Deadline::after(Duration::from_secs(10));
        let c = d.child(0.5);
        assert!(c <= d);
        let r = c.remaining();
        assert!(r <= Duration::from_secs(5) && r > Duration::from_millis(4500), "{r:?}");
        assert!(d.child(2.0) <= d);
        assert!(Deadline::after(Duration::ZERO).expired());
        assert!(d.capped(Duration::from_secs(1)).remaining() <= Duration::from_secs(1));
        assert!(d.cleanup().remaining() <= Duration::from_secs(5));
        assert!(Deadline::after(Duration::ZERO).cleanup().remaining() > Duration::from_millis(900));
    }
}
