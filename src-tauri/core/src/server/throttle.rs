//! The per-connection rate limit: a token bucket per SCIM connection (`governor`), sized by the
//! `rate-limit` and `rate-limit-burst` settings.
//!
//! Keyed by the connection in the path, and checked only after its token was accepted, so that
//! nobody without the token can use up Okta's allowance. The setting is not read per request:
//! [`follow_settings`] reloads it every few seconds, and a changed limit replaces the buckets.
//! Requests refused for their token draw from an allowance of their own ([`Refusals`]).
//! Not for: limiting TCP connections or slow clients (see `server::listener`).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimit;
use crate::Desk;

/// How often a serving endpoint reads the setting again.
pub const SETTING_POLL: Duration = Duration::from_secs(2);
/// A connection throttled again within this long of its last throttled request is the same
/// burst: it gets no new line in the activity log.
pub const BURST_QUIET: Duration = Duration::from_secs(60);

pub struct Throttle {
    current: RwLock<Current>,
    /// Per connection: when it was last throttled, and whether that burst was logged.
    last_throttled: Mutex<HashMap<String, Instant>>,
}

struct Current {
    limit: RateLimit,
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

/// A refused request: how long until the connection may send again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: Duration,
    pub limit: RateLimit,
    /// The first refusal of a burst: worth one line in the activity log.
    pub first_of_burst: bool,
}

fn limiter(limit: RateLimit) -> Option<Arc<DefaultKeyedRateLimiter<String>>> {
    let per_second = NonZeroU32::new(limit.per_second)?;
    let burst = NonZeroU32::new(limit.burst).unwrap_or(per_second);
    Some(Arc::new(RateLimiter::keyed(
        Quota::per_second(per_second).allow_burst(burst),
    )))
}

impl Throttle {
    pub fn new(limit: RateLimit) -> Self {
        Throttle {
            current: RwLock::new(Current {
                limit,
                limiter: limiter(limit),
            }),
            last_throttled: Mutex::default(),
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.current.read().unwrap_or_else(|p| p.into_inner()).limit
    }

    /// Applies a (possibly) changed setting; the buckets start full again when it changed.
    pub fn set_limit(&self, limit: RateLimit) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.limit != limit {
            tracing::info!(%limit, "rate limit changed");
            *current = Current {
                limit,
                limiter: limiter(limit),
            };
        }
    }

    /// Takes one request from the connection's bucket, or says how long to wait.
    pub fn check(&self, connection_id: &str) -> Result<(), Throttled> {
        let (limit, limiter) = {
            let current = self.current.read().unwrap_or_else(|p| p.into_inner());
            match &current.limiter {
                Some(l) => (current.limit, l.clone()),
                None => return Ok(()),
            }
        };
        let key = connection_id.to_owned();
        let Err(not_until) = limiter.check_key(&key) else {
            return Ok(());
        };
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let now = Instant::now();
        let first_of_burst = {
            let mut last = self
                .last_throttled
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let first = last
                .get(connection_id)
                .is_none_or(|at| now.duration_since(*at) >= BURST_QUIET);
            last.insert(key, now);
            first
        };
        Err(Throttled {
            retry_after: wait,
            limit,
            first_of_burst,
        })
    }
}

impl Throttled {
    /// Whole seconds for `Retry-After`: at least 1, rounded up.
    pub fn retry_after_secs(&self) -> u64 {
        retry_after_secs(self.retry_after)
    }
}

/// Whole seconds for `Retry-After`: at least 1, rounded up.
pub fn retry_after_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// Requests refused for their token, allowed per second on one connection id of the path, and
/// at once: an admin pasting a wrong token, and Okta's retries of it, stay well below; a flood
/// of guesses is refused before any lookup or record of it.
pub const REFUSALS_PER_SECOND: u32 = 5;
pub const REFUSALS_BURST: u32 = 20;

/// The allowance of refused requests, apart from the rate limit (which only a request with the
/// right token draws from, so guesses never slow Okta down). Keyed by the connection in the
/// path when it exists; paths naming no connection share one allowance, so random ids cannot
/// grow the table.
pub struct Refusals {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl Default for Refusals {
    fn default() -> Self {
        Refusals {
            limiter: RateLimiter::keyed(
                Quota::per_second(NonZeroU32::new(REFUSALS_PER_SECOND).unwrap_or(NonZeroU32::MIN))
                    .allow_burst(NonZeroU32::new(REFUSALS_BURST).unwrap_or(NonZeroU32::MIN)),
            ),
        }
    }
}

impl Refusals {
    /// Counts one refused request on `connection` (`None`: no such connection), or says how
    /// long to wait when too many came.
    pub fn check(&self, connection: Option<&str>) -> Result<(), Duration> {
        let key = connection.unwrap_or_default().to_owned();
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Keeps `throttle` in step with the settings until the task is dropped: the other process (a CLI
/// `config set rate-limit`) changes them in the database, so they are read again every
/// [`SETTING_POLL`] rather than per request.
pub async fn follow_settings(desk: Desk, throttle: Arc<Throttle>) {
    let mut tick = tokio::time::interval(SETTING_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match desk.config().await {
            Ok(config) => throttle.set_limit(config.rate_limit),
            Err(e) => tracing::warn!(error = %e, "could not read the rate limit setting"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_beyond_the_bucket_is_refused_per_connection() {
        let t = Throttle::new(RateLimit::new(1, Some(3)));
        for _ in 0..3 {
            t.check("a").unwrap();
        }
        let refused = t.check("a").unwrap_err();
        assert!(refused.first_of_burst);
        assert!(refused.retry_after <= Duration::from_secs(1));
        assert_eq!(refused.retry_after_secs(), 1);
        // The same burst is logged once.
        assert!(!t.check("a").unwrap_err().first_of_burst);
        // Another connection has its own bucket.
        t.check("b").unwrap();
    }

    #[test]
    fn off_never_refuses_and_a_new_limit_applies_at_once() {
        let t = Throttle::new(RateLimit::new(0, None));
        for _ in 0..10_000 {
            t.check("a").unwrap();
        }
        t.set_limit(RateLimit::new(1, Some(1)));
        t.check("a").unwrap();
        assert!(t.check("a").is_err());
        t.set_limit(RateLimit::new(0, None));
        t.check("a").unwrap();
    }
}
