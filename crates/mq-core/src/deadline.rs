//! Deadlines: every wait of an operation takes one, and a step that may overrun takes a share of
//! what is left so later steps (an escalation, a final check) keep the rest.

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

    /// The earlier of this deadline and `d` from now.
    pub fn capped(&self, d: Duration) -> Deadline {
        Deadline { at: self.at.min(Instant::now() + d) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
