//! Bounded waiting: every wait in a test has a deadline and says what it waited for.

use std::time::{Duration, Instant};

/// How often `eventually` looks.
const POLL: Duration = Duration::from_millis(20);

/// What a polled condition returns: ready with a value, or not yet.
pub trait Awaited {
    type Value;
    /// `Ok(value)` when ready; `Err(what was seen)` (may be empty) when not yet.
    fn ready(self) -> Result<Self::Value, String>;
}

impl Awaited for bool {
    type Value = ();
    fn ready(self) -> Result<(), String> {
        if self {
            Ok(())
        } else {
            Err(String::new())
        }
    }
}

impl<T> Awaited for Option<T> {
    type Value = T;
    fn ready(self) -> Result<T, String> {
        self.ok_or_else(String::new)
    }
}

/// A `Result` whose error says what was seen instead, for the panic message.
impl<T> Awaited for Result<T, String> {
    type Value = T;
    fn ready(self) -> Result<T, String> {
        self
    }
}

/// Polls `check` until it is ready and returns its value. Bounded twice: by time (`within`) and
/// by count (`within / 20 ms + 1` polls, so a slow check cannot stretch the wait unnoticed past
/// its count either); when either bound is reached it panics naming `what` and the last thing seen.
pub fn eventually<A: Awaited>(what: &str, within: Duration, mut check: impl FnMut() -> A) -> A::Value {
    let start = Instant::now();
    let max_polls = within.as_millis() / POLL.as_millis() + 1;
    let mut polls = 0u128;
    loop {
        polls += 1;
        let seen = match check().ready() {
            Ok(v) => return v,
            Err(seen) => seen,
        };
        if start.elapsed() >= within || polls >= max_polls {
            let seen = if seen.is_empty() { String::new() } else { format!("; last seen: {seen}") };
            panic!("timed out waiting for {what}: not within {within:?} ({polls} polls){seen}");
        }
        std::thread::sleep(POLL);
    }
}

/// A deadline `n` seconds from now.
pub fn in_secs(n: u64) -> Instant {
    Instant::now() + Duration::from_secs(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value_once_ready() {
        let mut n = 0;
        let v = eventually("the third poll", Duration::from_secs(5), || {
            n += 1;
            (n == 3).then_some(n)
        });
        assert_eq!(v, 3);
    }

    #[test]
    #[should_panic(expected = "timed out waiting for never: not within 100ms")]
    fn panics_naming_what_was_awaited() {
        eventually("never", Duration::from_millis(100), || false);
    }

    #[test]
    #[should_panic(expected = "last seen: STARTING")]
    fn the_panic_carries_the_last_observation() {
        eventually("RUNNING", Duration::from_millis(60), || Err::<(), _>("STARTING".to_string()));
    }

    #[test]
    fn the_count_bounds_a_slow_check() {
        let t = Instant::now();
        let r = std::panic::catch_unwind(|| {
            eventually("slow", Duration::from_millis(40), || {
                std::thread::sleep(Duration::from_millis(30));
                false
            })
        });
        assert!(r.is_err());
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }
}
