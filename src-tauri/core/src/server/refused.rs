//! Requests refused at a connection's base URL for a wrong or missing token, counted on the
//! connection ("someone tried a wrong token": how many, and when last) rather than as Okta's
//! last contact, which only a request with the right token may set — anyone who knows a base URL
//! can send a bad token.
//!
//! Bounded cost: the refusals' throttle (`throttle::Refusals`) already limits how many such
//! requests are answered, and the count is written to the connection's row at most once every
//! [`WRITE_INTERVAL`] per connection (the first at once, the rest summed into the next write),
//! an UPDATE of one row: guessing tokens never grows the database nor keeps its writer busy.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::events::ChangeEvent;
use crate::timefmt;
use crate::Desk;

/// The least time between two writes of one connection's refusals.
pub const WRITE_INTERVAL: Duration = Duration::from_secs(5);

/// Refusals not yet written, per connection (only connections that exist: the map is as large
/// as the connection list at most).
#[derive(Debug)]
pub struct RefusedTokens {
    interval: Duration,
    pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Debug, Default)]
struct Pending {
    count: u64,
    last_at: String,
    /// A write is scheduled and will take `count`.
    scheduled: bool,
    last_write: Option<Instant>,
}

impl Default for RefusedTokens {
    fn default() -> Self {
        RefusedTokens::new(WRITE_INTERVAL)
    }
}

impl RefusedTokens {
    pub fn new(interval: Duration) -> Self {
        RefusedTokens {
            interval,
            pending: Mutex::default(),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one refusal at `at`. `Some(delay)`: no write is scheduled yet, so the caller
    /// schedules one after `delay` (zero when the last write is older than the interval).
    fn note(&self, connection_id: &str, at: String) -> Option<Duration> {
        let mut pending = self.pending();
        let p = pending.entry(connection_id.to_owned()).or_default();
        p.count += 1;
        p.last_at = at;
        if p.scheduled {
            return None;
        }
        p.scheduled = true;
        let since = p.last_write.map_or(self.interval, |w| w.elapsed());
        Some(self.interval.saturating_sub(since))
    }

    /// What is to be written now for a connection: its refusals since the last write, and the
    /// time of the last one.
    fn take(&self, connection_id: &str) -> Option<(u64, String)> {
        let mut pending = self.pending();
        let p = pending.get_mut(connection_id)?;
        p.scheduled = false;
        p.last_write = Some(Instant::now());
        let count = std::mem::take(&mut p.count);
        (count > 0).then(|| (count, p.last_at.clone()))
    }
}

/// Counts a refused request on `connection_id`, written off the request's path.
pub(crate) fn note(refused: &Arc<RefusedTokens>, desk: &Desk, connection_id: &str) {
    let Some(delay) = refused.note(connection_id, timefmt::now()) else {
        return;
    };
    let (refused, desk, id) = (refused.clone(), desk.clone(), connection_id.to_owned());
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let Some((count, at)) = refused.take(&id) else {
            return;
        };
        match desk.connections().record_refused(&id, count, &at).await {
            Ok(()) => desk.notify(ChangeEvent::Connections),
            Err(e) => tracing::warn!(error = %e, "could not record refused requests"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first refusal is written at once; the ones that follow within the interval wait for
    /// one write that sums them, whatever their number.
    #[test]
    fn refusals_are_summed_into_one_write_per_interval() {
        let refused = RefusedTokens::new(Duration::from_secs(60));
        assert_eq!(refused.note("a", "t1".into()), Some(Duration::ZERO));
        assert_eq!(refused.take("a"), Some((1, "t1".to_owned())));
        let first = refused
            .note("a", "t2".into())
            .expect("a write is scheduled");
        assert!(first > Duration::from_secs(50), "{first:?}");
        for i in 3..1_000 {
            assert_eq!(
                refused.note("a", format!("t{i}")),
                None,
                "one write for all"
            );
        }
        // Another connection has its own interval.
        assert_eq!(refused.note("b", "u1".into()), Some(Duration::ZERO));
        assert_eq!(refused.take("a"), Some((998, "t999".to_owned())));
        assert_eq!(refused.take("a"), None, "nothing left to write");
        assert_eq!(refused.take("b"), Some((1, "u1".to_owned())));
    }
}
