//! Reachability windows: the stretches of time in which Okta's pushes could not have reached
//! SCIM Desk, each with its cause and the connections it affected — and the heartbeat that
//! reveals two of them. A running endpoint beats every few seconds, so on start the gap since
//! the last beat is known (`not_running`, across crashes and power loss), and a beat that finds
//! the wall clock far ahead of the last one knows the process was frozen (`asleep`). The Okta
//! switch opens and closes `okta_off` windows.
//!
//! Storage only: when to beat is `Desk`'s (`Desk::keep_beating`), and the words for a window
//! are the front ends'. Not for: the tunnel's own state (`tunnel/`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::db::sql::OptionalExtension;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::db::{direct_error, Db, StoreError};
use crate::timefmt;

/// How many windows the front ends show: the Okta page, `tunnel status` and `status`.
pub const RECENT_WINDOWS: u32 = 10;

/// Windows kept: older closed ones are pruned as new ones are recorded.
pub const KEEP_WINDOWS: i64 = 1_000;

/// What a gap may exceed twice the beat interval by before it counts as a window: a busy
/// machine delays a beat by a moment, and a restart of the app takes a few seconds.
pub const GAP_SLACK: Duration = Duration::from_secs(2);

/// How long a gap between beats must be to be a window: twice the interval, and the slack.
pub fn gap_threshold(interval: Duration) -> Duration {
    interval.saturating_mul(2).saturating_add(GAP_SLACK)
}

/// Why Okta could not reach SCIM Desk (a code; the front ends word it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ReachabilityCause")]
pub enum Cause {
    /// The app or `serve` was not running: stopped, crashed, killed, the power lost.
    NotRunning,
    /// The computer slept while SCIM Desk ran.
    Asleep,
    /// The Okta switch was off.
    OktaOff,
    /// The Microsoft Entra ID switch was off.
    EntraOff,
    /// The tunnel was offline or failing.
    TunnelDown,
    /// Another program held the listen port.
    PortTaken,
    /// The public URL changed and Okta still had the old one.
    UrlChanged,
}

impl Cause {
    pub fn code(self) -> &'static str {
        match self {
            Cause::NotRunning => "not_running",
            Cause::Asleep => "asleep",
            Cause::OktaOff => "okta_off",
            Cause::EntraOff => "entra_off",
            Cause::TunnelDown => "tunnel_down",
            Cause::PortTaken => "port_taken",
            Cause::UrlChanged => "url_changed",
        }
    }

    pub fn from_code(code: &str) -> Option<Cause> {
        [
            Cause::NotRunning,
            Cause::Asleep,
            Cause::OktaOff,
            Cause::EntraOff,
            Cause::TunnelDown,
            Cause::PortTaken,
            Cause::UrlChanged,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// One window, as the front ends show it. (`ReachabilityWindow` in TypeScript, where `Window`
/// is the browser's.)
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(rename = "ReachabilityWindow")]
pub struct Window {
    pub id: i64,
    pub cause: Cause,
    pub started_at: String,
    /// `None` while the window is open (the Okta switch is still off).
    pub ended_at: Option<String>,
    /// Its length, to the millisecond; up to now while it is open.
    pub seconds: f64,
    /// For `not_running`: whether the run before it stopped as asked (rather than crashed, was
    /// killed or lost power).
    pub clean_stop: Option<bool>,
    /// The connections that existed then, in the order they were made.
    pub connections: Vec<AffectedConnection>,
    /// The admin dismissed the app's banner about it.
    pub dismissed: bool,
}

/// A connection a window affected; `name` is `None` once it has been deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AffectedConnection {
    pub id: String,
    pub name: Option<String>,
}

/// The last beat of any endpoint on this data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heartbeat {
    pub beat_at: String,
    /// The run that wrote it stopped as asked.
    pub clean_stop: bool,
    pub interval_ms: u64,
}

impl Heartbeat {
    /// Whether an endpoint is running now by the look of its beat: not stopped, and the beat
    /// no older than the gap its interval allows.
    pub fn running(&self, now: OffsetDateTime) -> bool {
        let threshold = gap_threshold(Duration::from_millis(self.interval_ms));
        !self.clean_stop
            && parse(&self.beat_at).is_some_and(|at| (now - at).unsigned_abs() <= threshold)
    }
}

/// A window that has just ended, as it is told to [`Reachability::on_ended`]'s hook.
#[derive(Debug, Clone, PartialEq)]
pub struct EndedWindow {
    pub cause: Cause,
    pub started_at: String,
    pub ended_at: String,
    /// Its length, to the millisecond.
    pub seconds: f64,
}

impl EndedWindow {
    fn new(cause: Cause, started_at: String, ended_at: String) -> EndedWindow {
        let seconds = match (parse(&started_at), parse(&ended_at)) {
            (Some(s), Some(e)) => ((e - s).whole_milliseconds().max(0) as f64) / 1000.0,
            _ => 0.0,
        };
        EndedWindow {
            cause,
            started_at,
            ended_at,
            seconds,
        }
    }
}

/// What is told of each window as it ends, awaited before the write that ended it returns.
pub type EndedHook = Arc<dyn Fn(EndedWindow) -> BoxFuture + Send + Sync>;
pub type BoxFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// The heartbeat and the windows of one database.
#[derive(Clone)]
pub struct Reachability {
    db: Db,
    on_ended: Option<EndedHook>,
}

/// What a beat is for: which cause a long gap before it has, and whether it is a run's last.
#[derive(Debug, Clone, Copy)]
enum BeatKind {
    /// The first beat of a run: the gap before it is `not_running`.
    Start,
    /// A beat while running: the gap before it is `asleep`.
    Running,
    /// The last beat of a run that stops as asked.
    Stop,
}

impl Reachability {
    pub fn new(db: Db) -> Reachability {
        Reachability { db, on_ended: None }
    }

    /// Tells `hook` of every window this handle (and its clones) ends: the gap found by a beat,
    /// a condition that stops holding. The composition root wires the app's notices here.
    pub fn on_ended(mut self, hook: EndedHook) -> Reachability {
        self.on_ended = Some(hook);
        self
    }

    async fn ended(&self, windows: Vec<EndedWindow>) {
        if let Some(hook) = &self.on_ended {
            for window in windows {
                hook(window).await;
            }
        }
    }

    /// A run starts (`serve`, the app): records the gap since the last beat as a `not_running`
    /// window when it is longer than [`gap_threshold`], and beats. Returns the window's cause
    /// when one was recorded.
    pub async fn start(
        &self,
        now: OffsetDateTime,
        interval: Duration,
    ) -> Result<Option<Cause>, StoreError> {
        self.beat_as(BeatKind::Start, now, interval).await
    }

    /// A beat while running: a gap since the last beat longer than [`gap_threshold`] means the
    /// process was frozen (the computer slept), recorded as an `asleep` window.
    pub async fn beat(
        &self,
        now: OffsetDateTime,
        interval: Duration,
    ) -> Result<Option<Cause>, StoreError> {
        self.beat_as(BeatKind::Running, now, interval).await
    }

    /// The last beat of a run that stops as asked: the gap after it is known to be a stop. A
    /// long gap before it is `asleep`, as for [`Reachability::beat`].
    pub async fn stop(
        &self,
        now: OffsetDateTime,
        interval: Duration,
    ) -> Result<Option<Cause>, StoreError> {
        self.beat_as(BeatKind::Stop, now, interval).await
    }

    async fn beat_as(
        &self,
        kind: BeatKind,
        now: OffsetDateTime,
        interval: Duration,
    ) -> Result<Option<Cause>, StoreError> {
        let ended = self
            .db
            .write(move |c| beat_in(c, kind, now, interval).map_err(direct_error))
            .await?;
        let cause = ended.as_ref().map(|w| w.cause);
        self.ended(ended.into_iter().collect()).await;
        Ok(cause)
    }

    /// The last beat, if an endpoint has ever run here.
    pub async fn heartbeat(&self) -> Result<Option<Heartbeat>, StoreError> {
        let row: Option<(String, i64, i64)> = self
            .db
            .read_async(|c| {
                c.prepare_cached(
                    "SELECT beat_at, clean_stop, interval_ms FROM heartbeat WHERE id = 1",
                )?
                .query_row((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
            })
            .await?;
        Ok(row.map(|(beat_at, clean_stop, interval_ms)| Heartbeat {
            beat_at,
            clean_stop: clean_stop != 0,
            interval_ms: u64::try_from(interval_ms).unwrap_or(0),
        }))
    }

    /// The Okta switch was turned on or off: off opens an `okta_off` window, on closes it.
    pub async fn okta_switched(&self, on: bool, now: OffsetDateTime) -> Result<(), StoreError> {
        self.condition(Cause::OktaOff, !on, now).await
    }

    /// The Microsoft Entra ID switch was turned on or off: an `entra_off` window, as for Okta.
    pub async fn entra_switched(&self, on: bool, now: OffsetDateTime) -> Result<(), StoreError> {
        self.condition(Cause::EntraOff, !on, now).await
    }

    /// Whether a condition that keeps Okta out (the Okta switch off, the tunnel down, a URL
    /// Okta does not have yet, the port taken) holds from `now`: a window of `cause` opens when
    /// it starts to hold (once, however often it is said again) and closes when it stops.
    pub async fn condition(
        &self,
        cause: Cause,
        holds: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let at = timefmt::format(now);
        let ended = self
            .db
            .write(move |c| {
                let switched = || -> crate::db::sql::Result<Vec<EndedWindow>> {
                    if !holds {
                        let started: Vec<String> = c
                            .prepare_cached(
                                "SELECT started_at FROM reachability_windows \
                                 WHERE cause = ?1 AND ended_at IS NULL",
                            )?
                            .query_map([cause.code()], |r| r.get(0))?
                            .collect::<crate::db::sql::Result<_>>()?;
                        c.execute(
                            "UPDATE reachability_windows SET ended_at = ?1 \
                             WHERE cause = ?2 AND ended_at IS NULL",
                            (&at, cause.code()),
                        )?;
                        return Ok(started
                            .into_iter()
                            .map(|s| EndedWindow::new(cause, s, at.clone()))
                            .collect());
                    }
                    let open: Option<i64> = c
                        .query_row(
                            "SELECT id FROM reachability_windows \
                             WHERE cause = ?1 AND ended_at IS NULL",
                            [cause.code()],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if open.is_none() {
                        record(c, cause, &at, None, None)?;
                    }
                    Ok(Vec::new())
                };
                switched().map_err(direct_error)
            })
            .await?;
        self.ended(ended).await;
        Ok(())
    }

    /// The newest `limit` windows, newest first.
    pub async fn recent(&self, limit: u32, now: OffsetDateTime) -> Result<Vec<Window>, StoreError> {
        type Row = (
            i64,
            String,
            Option<String>,
            String,
            String,
            Option<i64>,
            i64,
        );
        let (rows, names): (Vec<Row>, HashMap<String, String>) = self
            .db
            .read_async(move |c| {
                let rows = c
                    .prepare_cached(
                        "SELECT id, started_at, ended_at, cause, connections, clean_stop, \
                         dismissed_at IS NOT NULL FROM reachability_windows \
                         ORDER BY started_at DESC, id DESC LIMIT ?",
                    )?
                    .query_map([i64::from(limit)], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                        ))
                    })?
                    .collect::<crate::db::sql::Result<_>>()?;
                let names = c
                    .prepare_cached("SELECT id, name FROM connections")?
                    .query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<crate::db::sql::Result<_>>()?;
                Ok((rows, names))
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(id, started_at, ended_at, cause, connections, clean, dismissed)| {
                    // A cause this version does not know (written by a newer one) is left out.
                    let cause = Cause::from_code(&cause)?;
                    let start = parse(&started_at)?;
                    let end = match &ended_at {
                        Some(e) => parse(e)?,
                        None => now,
                    };
                    let ids: Vec<String> = serde_json::from_str(&connections).unwrap_or_default();
                    Some(Window {
                        id,
                        cause,
                        seconds: ((end - start).whole_milliseconds().max(0) as f64) / 1000.0,
                        started_at,
                        ended_at,
                        clean_stop: clean.map(|c| c != 0),
                        connections: ids
                            .into_iter()
                            .map(|id| AffectedConnection {
                                name: names.get(&id).cloned(),
                                id,
                            })
                            .collect(),
                        dismissed: dismissed != 0,
                    })
                },
            )
            .collect())
    }

    /// The admin dismissed the app's banner about window `id`: it stays dismissed across
    /// restarts. Returns whether such a window exists.
    pub async fn dismiss(&self, id: i64, now: OffsetDateTime) -> Result<bool, StoreError> {
        let at = timefmt::format(now);
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE reachability_windows SET dismissed_at = coalesce(dismissed_at, ?1) \
                     WHERE id = ?2",
                    (&at, id),
                )
                .map(|n| n > 0)
                .map_err(direct_error)
            })
            .await
    }
}

fn parse(at: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(at, &Rfc3339).ok()
}

/// One beat, in the writer's transaction: the gap since the stored beat, a window for it when
/// it is long, then the beat itself.
fn beat_in(
    c: &crate::db::sql::Connection,
    kind: BeatKind,
    now: OffsetDateTime,
    interval: Duration,
) -> crate::db::sql::Result<Option<EndedWindow>> {
    let last: Option<(String, bool)> = c
        .query_row(
            "SELECT beat_at, clean_stop FROM heartbeat WHERE id = 1",
            (),
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)),
        )
        .optional()?;
    let at = timefmt::format(now);
    let gap = match kind {
        BeatKind::Start => Some(Cause::NotRunning),
        // A stop right after a freeze (the admin quits on waking the computer) still tells it.
        BeatKind::Running | BeatKind::Stop => Some(Cause::Asleep),
    };
    let mut recorded = None;
    if let (Some(cause), Some((beat_at, clean))) = (gap, &last) {
        // A beat behind the stored one (another process's, a clock set back) is no gap.
        let long = parse(beat_at).is_some_and(|last| {
            now > last && (now - last).unsigned_abs() > gap_threshold(interval)
        });
        if long {
            let clean = (cause == Cause::NotRunning).then_some(*clean);
            if record(c, cause, beat_at, Some(&at), clean)? {
                recorded = Some(EndedWindow::new(cause, beat_at.clone(), at.clone()));
            }
        }
    }
    let interval_ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
    // Never moves the beat back: another process on this data directory may have beaten later.
    c.prepare_cached(c.pick(
        "INSERT INTO heartbeat (id, beat_at, clean_stop, interval_ms) VALUES (1, ?1, ?2, ?3) \
         ON CONFLICT(id) DO UPDATE SET beat_at = max(beat_at, excluded.beat_at), \
         clean_stop = excluded.clean_stop, interval_ms = excluded.interval_ms",
        "INSERT INTO heartbeat (id, beat_at, clean_stop, interval_ms) VALUES (1, ?1, ?2, ?3) \
         ON CONFLICT(id) DO UPDATE SET \
         beat_at = GREATEST(heartbeat.beat_at, excluded.beat_at), \
         clean_stop = excluded.clean_stop, interval_ms = excluded.interval_ms",
    ))?
    .execute((&at, matches!(kind, BeatKind::Stop), interval_ms))?;
    Ok(recorded)
}

/// Records a window with the connections that exist now, unless there are none; keeps the
/// newest [`KEEP_WINDOWS`] (and every open one). Returns whether it recorded one.
fn record(
    c: &crate::db::sql::Connection,
    cause: Cause,
    started_at: &str,
    ended_at: Option<&str>,
    clean_stop: Option<bool>,
) -> crate::db::sql::Result<bool> {
    // A provider's switch keeps out that provider's connections only: the other's are not in its
    // windows (and with none of its own there is no window).
    let only = match cause {
        Cause::OktaOff => Some("okta"),
        Cause::EntraOff => Some("entra"),
        _ => None,
    };
    let ids = c
        .prepare_cached(
            "SELECT id FROM connections WHERE CAST(?1 AS TEXT) IS NULL OR provider = ?1 \
             ORDER BY created_at, id",
        )?
        .query_map([only], |r| r.get::<_, String>(0))?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    if ids.is_empty() {
        return Ok(false);
    }
    let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
    c.prepare_cached(
        "INSERT INTO reachability_windows (started_at, ended_at, cause, connections, clean_stop) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute((started_at, ended_at, cause.code(), &ids, clean_stop))?;
    c.prepare_cached(
        "DELETE FROM reachability_windows WHERE ended_at IS NOT NULL AND id <= \
         (SELECT id FROM reachability_windows ORDER BY id DESC LIMIT 1 OFFSET ?1)",
    )?
    .execute([KEEP_WINDOWS])?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEAT: Duration = Duration::from_secs(30);

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).unwrap()
    }

    async fn desk_with_connections(names: &[&str]) -> (tempfile::TempDir, Db, Reachability) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        for (n, name) in names.iter().enumerate() {
            let (id, name, created) = (
                format!("c{n}"),
                name.to_string(),
                format!("2026-01-0{}T00:00:00.000Z", n + 1),
            );
            db.write(move |c| {
                c.execute(
                    "INSERT INTO connections (id, name, token_sha256, created_at) \
                     VALUES (?1, ?2, randomblob(32), ?3)",
                    (&id, &name, &created),
                )
                .map_err(direct_error)
            })
            .await
            .unwrap();
        }
        let r = Reachability::new(db.clone());
        (dir, db, r)
    }

    #[tokio::test]
    async fn a_gap_since_the_last_beat_is_a_not_running_window_with_the_connections() {
        let (_dir, db, r) = desk_with_connections(&["Okta", "Okta EU"]).await;
        // The first run ever: nothing before it.
        assert_eq!(
            r.start(at("2026-12-07T22:00:00Z"), BEAT).await.unwrap(),
            None
        );
        r.beat(at("2026-12-07T22:00:30Z"), BEAT).await.unwrap();
        // Killed (no last beat); started again the next morning.
        let found = r.start(at("2026-12-08T07:45:00Z"), BEAT).await.unwrap();
        assert_eq!(found, Some(Cause::NotRunning));
        let windows = r.recent(10, at("2026-12-08T08:00:00Z")).await.unwrap();
        assert_eq!(windows.len(), 1, "{windows:?}");
        let w = &windows[0];
        assert_eq!(w.cause, Cause::NotRunning);
        assert_eq!(w.started_at, "2026-12-07T22:00:30.000Z");
        assert_eq!(w.ended_at.as_deref(), Some("2026-12-08T07:45:00.000Z"));
        assert_eq!(w.seconds, (9 * 3600 + 44 * 60 + 30) as f64);
        assert_eq!(w.clean_stop, Some(false));
        let names: Vec<_> = w.connections.iter().map(|c| c.name.as_deref()).collect();
        assert_eq!(names, [Some("Okta"), Some("Okta EU")]);
        let beat = r.heartbeat().await.unwrap().unwrap();
        assert_eq!(beat.beat_at, "2026-12-08T07:45:00.000Z");
        assert!(!beat.clean_stop);
        assert!(beat.running(at("2026-12-08T07:45:30Z")));
        assert!(!beat.running(at("2026-12-08T07:47:00Z")));
        db.close().await;
    }

    #[tokio::test]
    async fn a_clean_stop_is_remembered_and_a_short_gap_is_no_window() {
        let (_dir, db, r) = desk_with_connections(&["Okta"]).await;
        r.start(at("2026-12-07T10:00:00Z"), BEAT).await.unwrap();
        r.stop(at("2026-12-07T10:00:10Z"), BEAT).await.unwrap();
        let beat = r.heartbeat().await.unwrap().unwrap();
        assert!(beat.clean_stop && !beat.running(at("2026-12-07T10:00:11Z")));
        // Started again within two beats and the slack: a restart, not a window.
        let limit = at("2026-12-07T10:00:10Z") + gap_threshold(BEAT);
        assert_eq!(r.start(limit, BEAT).await.unwrap(), None);
        r.stop(limit, BEAT).await.unwrap();
        // Just past it: a window, from the clean stop's beat.
        let later = limit + Duration::from_millis(1) + gap_threshold(BEAT);
        assert_eq!(r.start(later, BEAT).await.unwrap(), Some(Cause::NotRunning));
        let windows = r.recent(10, later).await.unwrap();
        assert_eq!(windows.len(), 1, "{windows:?}");
        assert_eq!(windows[0].clean_stop, Some(true));
        assert_eq!(windows[0].seconds, 62.001);
        db.close().await;
    }

    #[tokio::test]
    async fn a_beat_far_behind_the_clock_is_an_asleep_window() {
        let (_dir, db, r) = desk_with_connections(&["Okta"]).await;
        r.start(at("2026-12-07T22:09:40Z"), BEAT).await.unwrap();
        r.beat(at("2026-12-07T22:10:10Z"), BEAT).await.unwrap();
        // A beat a little late is nothing.
        assert_eq!(
            r.beat(at("2026-12-07T22:11:00Z"), BEAT).await.unwrap(),
            None
        );
        // The process froze with the computer at 22:11 and its next beat came at 07:45.
        let found = r.beat(at("2026-12-08T07:45:00Z"), BEAT).await.unwrap();
        assert_eq!(found, Some(Cause::Asleep));
        // A clock set back is no gap, and the beat does not move back.
        assert_eq!(
            r.beat(at("2026-12-08T07:00:00Z"), BEAT).await.unwrap(),
            None
        );
        let beat = r.heartbeat().await.unwrap().unwrap();
        assert_eq!(beat.beat_at, "2026-12-08T07:45:00.000Z");
        let windows = r.recent(10, at("2026-12-08T08:00:00Z")).await.unwrap();
        assert_eq!(windows.len(), 1, "{windows:?}");
        assert_eq!(windows[0].cause, Cause::Asleep);
        assert_eq!(windows[0].started_at, "2026-12-07T22:11:00.000Z");
        assert_eq!(
            windows[0].ended_at.as_deref(),
            Some("2026-12-08T07:45:00.000Z")
        );
        assert_eq!(windows[0].clean_stop, None);

        // Frozen again, and quit on waking: the last beat still tells the freeze.
        assert_eq!(
            r.stop(at("2026-12-08T12:00:00Z"), BEAT).await.unwrap(),
            Some(Cause::Asleep)
        );
        let windows = r.recent(10, at("2026-12-08T12:00:00Z")).await.unwrap();
        assert_eq!(windows.len(), 2, "{windows:?}");
        assert_eq!(windows[0].cause, Cause::Asleep);
        assert_eq!(windows[0].started_at, "2026-12-08T07:45:00.000Z");
        assert!(r.heartbeat().await.unwrap().unwrap().clean_stop);
        db.close().await;
    }

    #[tokio::test]
    async fn the_okta_switch_off_then_on_is_one_okta_off_window_with_the_connections() {
        let (_dir, db, r) = desk_with_connections(&["Okta", "Okta EU"]).await;
        r.okta_switched(false, at("2026-12-07T12:00:00Z"))
            .await
            .unwrap();
        // Off again while off: still the one window, open, growing.
        r.okta_switched(false, at("2026-12-07T12:05:00Z"))
            .await
            .unwrap();
        let open = r.recent(10, at("2026-12-07T12:10:00Z")).await.unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0].cause, Cause::OktaOff);
        assert_eq!(open[0].ended_at, None);
        assert_eq!(open[0].seconds, 600.0);
        r.okta_switched(true, at("2026-12-07T12:30:00Z"))
            .await
            .unwrap();
        // On again while on: nothing.
        r.okta_switched(true, at("2026-12-07T13:00:00Z"))
            .await
            .unwrap();
        let windows = r.recent(10, at("2026-12-07T14:00:00Z")).await.unwrap();
        assert_eq!(windows.len(), 1, "{windows:?}");
        let w = &windows[0];
        assert_eq!(w.started_at, "2026-12-07T12:00:00.000Z");
        assert_eq!(w.ended_at.as_deref(), Some("2026-12-07T12:30:00.000Z"));
        assert_eq!(w.seconds, 1800.0);
        let ids: Vec<_> = w.connections.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c0", "c1"]);
        db.close().await;
    }

    /// Two connections: `c0` Okta's, `c1` Microsoft Entra ID's.
    async fn okta_and_entra() -> (tempfile::TempDir, Db, Reachability) {
        let (dir, db, r) = desk_with_connections(&["Okta", "Entra"]).await;
        db.write(|c| {
            c.execute(
                "UPDATE connections SET provider = 'entra' WHERE id = 'c1'",
                (),
            )
            .map_err(direct_error)
        })
        .await
        .unwrap();
        (dir, db, r)
    }

    /// Entra's switch has windows of its own, naming Entra's connections only; Okta's switch does
    /// not close them.
    #[tokio::test]
    async fn the_entra_switch_off_then_on_is_an_entra_off_window_of_entra_connections() {
        let (_dir, db, r) = okta_and_entra().await;
        r.entra_switched(false, at("2026-12-07T12:00:00Z"))
            .await
            .unwrap();
        r.okta_switched(true, at("2026-12-07T12:10:00Z"))
            .await
            .unwrap();
        let open = r.recent(10, at("2026-12-07T12:15:00Z")).await.unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(
            (open[0].cause, open[0].ended_at.as_deref()),
            (Cause::EntraOff, None)
        );
        let ids: Vec<_> = open[0].connections.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c1"]);
        r.entra_switched(true, at("2026-12-07T12:20:00Z"))
            .await
            .unwrap();
        let windows = r.recent(10, at("2026-12-07T13:00:00Z")).await.unwrap();
        assert_eq!(
            windows[0].ended_at.as_deref(),
            Some("2026-12-07T12:20:00.000Z")
        );
        assert_eq!(Cause::from_code("entra_off"), Some(Cause::EntraOff));
        db.close().await;
    }

    /// The Okta switch pauses Okta's connections only: its window names none of Microsoft
    /// Entra ID's, and with only Entra connections there is no window at all.
    #[tokio::test]
    async fn the_okta_switch_window_names_only_okta_connections() {
        let (_dir, db, r) = okta_and_entra().await;
        r.okta_switched(false, at("2026-12-07T12:00:00Z"))
            .await
            .unwrap();
        let open = r.recent(10, at("2026-12-07T12:10:00Z")).await.unwrap();
        let ids: Vec<_> = open[0].connections.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c0"]);
        r.okta_switched(true, at("2026-12-07T12:30:00Z"))
            .await
            .unwrap();

        db.write(|c| {
            c.execute("DELETE FROM connections WHERE id = 'c0'", ())
                .map_err(direct_error)
        })
        .await
        .unwrap();
        r.okta_switched(false, at("2026-12-07T13:00:00Z"))
            .await
            .unwrap();
        assert_eq!(
            r.recent(10, at("2026-12-07T13:10:00Z"))
                .await
                .unwrap()
                .len(),
            1,
            "no new window: only Entra connections are left"
        );
        db.close().await;
    }

    #[tokio::test]
    async fn no_window_without_a_connection_nobody_could_push() {
        let (_dir, db, r) = desk_with_connections(&[]).await;
        r.start(at("2026-12-07T10:00:00Z"), BEAT).await.unwrap();
        assert_eq!(
            r.start(at("2026-12-08T10:00:00Z"), BEAT).await.unwrap(),
            None
        );
        assert_eq!(
            r.beat(at("2026-12-09T10:00:00Z"), BEAT).await.unwrap(),
            None
        );
        r.okta_switched(false, at("2026-12-09T11:00:00Z"))
            .await
            .unwrap();
        r.okta_switched(true, at("2026-12-09T12:00:00Z"))
            .await
            .unwrap();
        assert_eq!(r.recent(10, at("2026-12-09T12:00:00Z")).await.unwrap(), []);
        db.close().await;
    }

    #[tokio::test]
    async fn windows_are_kept_to_a_bound_newest_first_and_a_deleted_connection_has_no_name() {
        let (_dir, db, r) = desk_with_connections(&["Okta"]).await;
        let mut t = at("2026-01-01T00:00:00Z");
        r.start(t, BEAT).await.unwrap();
        for _ in 0..KEEP_WINDOWS + 5 {
            t += Duration::from_secs(3600);
            r.beat(t, BEAT).await.unwrap();
        }
        let count: i64 = db
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM reachability_windows", (), |r| {
                    r.get(0)
                })
            })
            .unwrap();
        assert_eq!(count, KEEP_WINDOWS);
        db.write(|c| {
            c.execute("DELETE FROM connections", ())
                .map_err(direct_error)
        })
        .await
        .unwrap();
        let newest = r.recent(2, t).await.unwrap();
        assert_eq!(newest.len(), 2);
        assert_eq!(
            newest[0].ended_at.as_deref(),
            Some(timefmt::format(t).as_str())
        );
        assert!(newest[0].started_at > newest[1].started_at);
        assert_eq!(newest[0].connections[0].name, None);
        db.close().await;
    }
}
