//! Waiting for an event, never for a time.
//!
//! Every test that needs something to have happened — a line in a process's output, a row, a
//! port, a page element, a process gone — asks [`eventually`] for it. The probe is tried again
//! and again, quickly at first and then every 200 ms, until it succeeds or a generous ceiling
//! passes. A passing test waits only as long as the event takes; the ceiling only decides how
//! long a broken one takes to fail, so it is set for two busy shared cores, not for a laptop.
//! When it passes, the panic says what never happened and the last thing the probe saw.
//!
//! Not for: measuring how fast something is (that is the benchmark's job), nor for the few
//! tests whose subject *is* a time (a client timeout, a rate-limit window), which state their
//! own bounds.

use std::fmt::Display;
use std::thread;
use std::time::{Duration, Instant};

/// How long [`eventually`] keeps trying. A minute: on two cores shared with a compiler, a cold
/// start of the desktop app or a burst of fsyncs can take many seconds.
pub const WAIT_CEILING: Duration = Duration::from_secs(60);

/// Tries `probe` until it returns `Ok`, and returns its value. Panics after [`WAIT_CEILING`]
/// with `what` (the event that never happened) and the last `Err` the probe returned (what was
/// seen instead).
#[track_caller]
pub fn eventually<T, E: Display>(what: &str, probe: impl FnMut() -> Result<T, E>) -> T {
    eventually_within(WAIT_CEILING, what, probe)
}

/// [`eventually`] with a ceiling of the caller's.
#[track_caller]
pub fn eventually_within<T, E: Display>(
    ceiling: Duration,
    what: &str,
    probe: impl FnMut() -> Result<T, E>,
) -> T {
    match within(ceiling, probe) {
        Ok(value) => value,
        Err(seen) => panic!("never happened within {ceiling:?}: {what}\nlast seen: {seen}"),
    }
}

/// The loop behind [`eventually`], for the few callers for which the ceiling is an answer
/// rather than a failure (a process that did not exit in time is then killed; a tunnel still
/// "starting" without internet is accepted): `probe`'s value, or its last `Err` once `ceiling`
/// has passed.
pub fn within<T, E>(ceiling: Duration, mut probe: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match probe() {
            Ok(value) => return Ok(value),
            Err(seen) if started.elapsed() >= ceiling => return Err(seen),
            Err(_) => {
                thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
        }
    }
}

/// [`eventually`] for a condition with nothing to show when it fails.
#[track_caller]
pub fn until(what: &str, mut condition: impl FnMut() -> bool) {
    eventually(what, || if condition() { Ok(()) } else { Err("not yet") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn it_returns_as_soon_as_the_probe_succeeds() {
        let tries = Cell::new(0);
        let value = eventually("the third try", || {
            tries.set(tries.get() + 1);
            if tries.get() == 3 {
                Ok(tries.get())
            } else {
                Err("too early")
            }
        });
        assert_eq!(value, 3);
    }

    #[test]
    fn it_says_what_never_happened_and_what_was_seen() {
        let failure = std::panic::catch_unwind(|| {
            eventually_within(Duration::from_millis(30), "the door opened", || {
                Err::<(), _>("the door is shut")
            })
        })
        .expect_err("a probe that never succeeds fails");
        let message = failure
            .downcast_ref::<String>()
            .expect("a formatted message");
        assert!(message.contains("the door opened"), "{message}");
        assert!(message.contains("last seen: the door is shut"), "{message}");
    }
}
