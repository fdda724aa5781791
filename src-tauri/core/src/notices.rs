//! Notices: what happened that only the admin can put right, as the app's desktop notifications
//! say it. Three kinds: a push Okta sent that failed for a reason only the admin can fix (a
//! value another employee already has, a value the mapping cannot take), a reachability window
//! that just ended (Okta's pushes in it may have failed), and a reconcile that found the
//! directory out of step with Okta.
//!
//! The policy is here: which events make a notice, at most one notice of a kind an hour (kept in
//! the settings table, so a restart does not repeat one, in whichever process it was shown), the
//! `notifications` switch that turns them all off, and the words — one or two sentences of what
//! happened and what to do, with the app page that explains it. A notice is only raised where a
//! front end shows it ([`Notices::subscribe`]: the desktop shell); elsewhere (the CLI's `serve`)
//! nothing is claimed, so the app still tells of the next one.
//!
//! Not for: showing them (the shell, with Tauri's notification plugin), or the events
//! themselves (the directory's writes, `reachability`, the reconcile).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::config;
use crate::connections::Provider;
use crate::db::StoreError;
use crate::events::ChangeEvent;
use crate::reachability::{Cause, EndedWindow};
use crate::scim::{ScimError, ScimType};
use crate::settings::Settings;
use crate::{text, timefmt};

/// At most one notice of a kind in this time.
pub const NOTICE_EVERY: Duration = Duration::from_secs(3600);

/// A reachability window shorter than this makes no notice: Okta retries a push that failed a
/// moment, and the app's banner takes no notice of it either (five minutes, as the banner).
pub const MIN_WINDOW: Duration = Duration::from_secs(300);

/// The most characters of what Okta sent (a userName, an error's detail) a notice quotes.
const QUOTE_MAX_CHARS: usize = 120;

/// The kinds of notice, each limited on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A push from Okta failed for a reason only the admin can fix.
    PushFailed,
    /// A reachability window ended: Okta's pushes in it may have failed.
    WindowEnded,
    /// A reconcile found the directory out of step with Okta.
    DriftFound,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 3] = [
        NoticeKind::PushFailed,
        NoticeKind::WindowEnded,
        NoticeKind::DriftFound,
    ];

    /// The setting that keeps when a notice of this kind was last shown.
    pub fn setting(self) -> &'static str {
        match self {
            NoticeKind::PushFailed => config::KEY_NOTIFIED_PUSH_FAILED,
            NoticeKind::WindowEnded => config::KEY_NOTIFIED_WINDOW_ENDED,
            NoticeKind::DriftFound => config::KEY_NOTIFIED_DRIFT_FOUND,
        }
    }
}

/// One notice, worded: the notification's title and body, and the app page (a hash route) that
/// explains it, which a click on the notification opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    pub route: String,
}

/// The Activity page, where each failed push has its line and its reason.
pub const ROUTE_ACTIVITY: &str = "#/activity";
/// The Okta page: the reachability windows, what to do in Okta, and the reconcile.
pub const ROUTE_OKTA: &str = "#/settings/integrations/okta";
/// The Microsoft Entra ID page.
pub const ROUTE_ENTRA: &str = "#/settings/integrations/entra";

/// Whether a failed write is one only the admin can put right: a value another employee or
/// group already has (409 `uniqueness`: a duplicate email or userName), or a value the
/// directory cannot take (400 `invalidValue`: a mapping problem in Okta's profile). Okta's
/// own retries cannot fix these; a malformed request, a stale version or a busy database they
/// can, or they are Okta's to fix.
pub fn needs_the_admin(err: &ScimError) -> bool {
    matches!(
        (err.status, err.scim_type),
        (409, Some(ScimType::Uniqueness)) | (400, Some(ScimType::InvalidValue))
    )
}

/// *Settings › Notifications*: the switch, and when each kind last notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NotificationSettings {
    pub enabled: bool,
    pub kinds: Vec<NotifiedKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NotifiedKind {
    pub kind: NoticeKind,
    /// When a notice of this kind was last shown (RFC 3339), if ever.
    pub last_at: Option<String>,
}

/// The notices of one data directory: raised by the directory's writes, the reachability
/// windows and the reconcile; shown by whoever subscribed.
#[derive(Clone)]
pub struct Notices {
    settings: Settings,
    shown: broadcast::Sender<Notice>,
    events: broadcast::Sender<ChangeEvent>,
    /// When this process last claimed each kind: within the hour, a failure asks nothing of the
    /// database (a burst of failed pushes costs no write each).
    claimed: Arc<Mutex<HashMap<NoticeKind, OffsetDateTime>>>,
}

/// Why a notice was not raised, or that it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raised {
    Shown,
    /// What happened asks nothing of the admin (a failure Okta retries, a short window).
    Ignored,
    /// Nobody shows notices in this process (the CLI).
    NoFrontEnd,
    /// The `notifications` switch is off.
    Off,
    /// One of its kind was shown less than [`NOTICE_EVERY`] ago.
    TooSoon,
}

impl Notices {
    pub fn new(settings: Settings, events: broadcast::Sender<ChangeEvent>) -> Notices {
        Notices {
            settings,
            shown: broadcast::channel(16).0,
            events,
            claimed: Arc::default(),
        }
    }

    /// The notices raised from now on, for the front end that shows them. Only while one is
    /// subscribed are notices raised at all.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.shown.subscribe()
    }

    /// A push (or a reconcile's write) failed: a notice when only the admin can fix it.
    pub async fn push_failed(
        &self,
        connection_name: &str,
        provider: Provider,
        resource_type: &str,
        subject: &str,
        err: &ScimError,
        now: OffsetDateTime,
    ) -> Result<Raised, StoreError> {
        if !needs_the_admin(err) {
            return Ok(Raised::Ignored);
        }
        self.raise(
            push_failed_notice(connection_name, provider, resource_type, subject, err),
            now,
        )
        .await
    }

    /// A reachability window ended: a notice when it was long enough for pushes to fail.
    pub async fn window_ended(
        &self,
        window: &EndedWindow,
        now: OffsetDateTime,
    ) -> Result<Raised, StoreError> {
        if window.seconds < MIN_WINDOW.as_secs_f64() {
            return Ok(Raised::Ignored);
        }
        self.raise(window_ended_notice(window), now).await
    }

    /// A reconcile of connection `connection_id` found `rows` employees out of step with Okta
    /// (missing here, stale here, to deactivate, unknown to Okta): a notice when there are any.
    /// For the reconcile runner to call when a run ends.
    pub async fn drift_found(
        &self,
        connection_id: &str,
        connection_name: &str,
        rows: usize,
        now: OffsetDateTime,
    ) -> Result<Raised, StoreError> {
        if rows == 0 {
            return Ok(Raised::Ignored);
        }
        tracing::debug!(connection_id, rows, "a reconcile found drift");
        self.raise(drift_found_notice(connection_name, rows), now)
            .await
    }

    /// Raises `notice` unless nobody shows notices here, the switch is off, or one of its kind
    /// was shown within the hour; the claim and the check are one transaction, so two processes
    /// do not both show one.
    pub async fn raise(&self, notice: Notice, now: OffsetDateTime) -> Result<Raised, StoreError> {
        if self.shown.receiver_count() == 0 {
            return Ok(Raised::NoFrontEnd);
        }
        let kind = notice.kind;
        if self.recently_claimed(kind, now) {
            return Ok(Raised::TooSoon);
        }
        // A look first, on a reader: while the switch is off or the hour not over, a burst of
        // failures costs no write transaction each.
        if !config::notifications_on(
            self.settings
                .get(config::KEY_NOTIFICATIONS)
                .await?
                .as_deref(),
        ) {
            return Ok(Raised::Off);
        }
        if let Some(last) = self
            .settings
            .get(kind.setting())
            .await?
            .as_deref()
            .and_then(parse)
        {
            if within_the_hour(last, now) {
                self.remember(kind, last);
                return Ok(Raised::TooSoon);
            }
        }
        let at = timefmt::format(now);
        let raised = self
            .settings
            .update(
                &[config::KEY_NOTIFICATIONS, kind.setting()],
                move |current| {
                    if !config::notifications_on(
                        current.get(config::KEY_NOTIFICATIONS).map(String::as_str),
                    ) {
                        return (Raised::Off, vec![]);
                    }
                    let last = current.get(kind.setting()).and_then(|v| parse(v));
                    if last.is_some_and(|last| within_the_hour(last, now)) {
                        return (Raised::TooSoon, vec![]);
                    }
                    (Raised::Shown, vec![(kind.setting().to_owned(), Some(at))])
                },
            )
            .await?;
        if raised == Raised::Shown {
            self.remember(kind, now);
            tracing::info!(kind = ?kind, route = notice.route, "notified the admin");
            let _ = self.shown.send(notice);
            let _ = self.events.send(ChangeEvent::Notifications);
        }
        Ok(raised)
    }

    fn remember(&self, kind: NoticeKind, at: OffsetDateTime) {
        self.claimed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(kind, at);
    }

    fn recently_claimed(&self, kind: NoticeKind, now: OffsetDateTime) -> bool {
        self.claimed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&kind)
            .is_some_and(|last| within_the_hour(*last, now))
    }

    /// The switch and when each kind last notified.
    pub async fn settings(&self) -> Result<NotificationSettings, StoreError> {
        let all = self.settings.all().await?;
        Ok(NotificationSettings {
            enabled: config::notifications_on(
                all.get(config::KEY_NOTIFICATIONS).map(String::as_str),
            ),
            kinds: NoticeKind::ALL
                .into_iter()
                .map(|kind| NotifiedKind {
                    kind,
                    last_at: all.get(kind.setting()).cloned(),
                })
                .collect(),
        })
    }

    /// Turns the notifications on or off.
    pub async fn set_enabled(&self, on: bool) -> Result<(), StoreError> {
        self.settings
            .put(&[(
                config::KEY_NOTIFICATIONS,
                Some(if on { "on" } else { "off" }.to_owned()),
            )])
            .await?;
        let _ = self.events.send(ChangeEvent::Notifications);
        Ok(())
    }
}

fn parse(at: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(at, &Rfc3339).ok()
}

/// Whether `last` is less than [`NOTICE_EVERY`] before `now`. A `last` ahead of `now` (the
/// clock was set back) does not hold notices back.
fn within_the_hour(last: OffsetDateTime, now: OffsetDateTime) -> bool {
    now >= last && (now - last).unsigned_abs() < NOTICE_EVERY
}

/// What Okta sent, quoted: control characters visible, cut short.
fn quoted(s: &str) -> String {
    text::clip(&text::visible(s), QUOTE_MAX_CHARS).into_owned()
}

/// `resource_type`: `User` or `Group`, as the SCIM write names it. Worded for the provider of
/// the connection that pushed.
pub fn push_failed_notice(
    connection_name: &str,
    provider: Provider,
    resource_type: &str,
    subject: &str,
    err: &ScimError,
) -> Notice {
    let taken = if resource_type == "Group" {
        "another group already has this name"
    } else {
        "another employee already has this username"
    };
    let (what, fix) = match (err.scim_type, provider) {
        (Some(ScimType::Uniqueness), Provider::Okta) => (
            taken,
            "Correct the duplicate in Okta, then retry the task in Okta (Dashboard › Tasks).",
        ),
        (_, Provider::Okta) => (
            "a value does not fit the directory",
            "Correct the attribute mapping or the profile in Okta, then retry the task in Okta \
             (Dashboard › Tasks).",
        ),
        (Some(ScimType::Uniqueness), Provider::Entra) => (
            taken,
            "Correct the duplicate in Microsoft Entra ID; its next provisioning cycle (or \
             Provision on demand) tries again.",
        ),
        (_, Provider::Entra) => (
            "a value does not fit the directory",
            "Correct the attribute mappings or the user in Microsoft Entra ID; its next \
             provisioning cycle (or Provision on demand) tries again.",
        ),
    };
    Notice {
        kind: NoticeKind::PushFailed,
        title: match provider {
            Provider::Okta => "An Okta push failed".to_owned(),
            Provider::Entra => "A Microsoft Entra ID push failed".to_owned(),
        },
        body: format!(
            "{}: {} could not be saved — {what}. {fix}",
            quoted(connection_name),
            quoted(subject),
        ),
        route: ROUTE_ACTIVITY.to_owned(),
    }
}

pub fn window_ended_notice(window: &EndedWindow) -> Notice {
    if window.cause == Cause::EntraOff {
        // Only Entra's connections were kept out: Entra's words and Entra's page.
        return Notice {
            kind: NoticeKind::WindowEnded,
            title: "Microsoft Entra ID couldn't reach SCIM Desk".to_owned(),
            body: format!(
                "For {} the Microsoft Entra ID switch was off, so Entra's provisioning may have \
                 failed. Entra retries failed users in its next cycles; Provision on demand \
                 pushes one at once.",
                length(window.seconds)
            ),
            route: ROUTE_ENTRA.to_owned(),
        };
    }
    let why = match window.cause {
        Cause::NotRunning => "SCIM Desk was not running",
        Cause::Asleep => "the computer was asleep",
        Cause::OktaOff => "the Okta switch was off",
        Cause::EntraOff => "the Microsoft Entra ID switch was off",
        Cause::TunnelDown => "the tunnel was down",
        Cause::PortTaken => "another program held SCIM Desk's port",
        Cause::UrlChanged => "Okta had an old base URL",
    };
    Notice {
        kind: NoticeKind::WindowEnded,
        title: "Okta couldn't reach SCIM Desk".to_owned(),
        body: format!(
            "For {} {why}, so Okta's pushes may have failed. In Okta, retry the failed tasks \
             (Dashboard › Tasks).",
            length(window.seconds)
        ),
        route: ROUTE_OKTA.to_owned(),
    }
}

pub fn drift_found_notice(connection_name: &str, rows: usize) -> Notice {
    let employees = if rows == 1 {
        "1 employee differs".to_owned()
    } else {
        format!("{} employees differ", config::thousands(rows as u64))
    };
    Notice {
        kind: NoticeKind::DriftFound,
        title: "The directory is out of step with Okta".to_owned(),
        body: format!(
            "Reconciling {}: {employees} from Okta. Review them on the Okta page and apply the \
             changes you want.",
            quoted(connection_name)
        ),
        route: ROUTE_OKTA.to_owned(),
    }
}

/// "9 h 44 min", "12 min", "2 days 3 h".
fn length(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round() as u64;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, h) if minutes == 0 => format!("{h} h"),
        (0, h) => format!("{h} h {minutes} min"),
        (1, 0) => "1 day".to_owned(),
        (1, h) => format!("1 day {h} h"),
        (d, 0) => format!("{d} days"),
        (d, h) => format!("{d} days {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).unwrap()
    }

    async fn notices() -> (tempfile::TempDir, Db, Notices, broadcast::Receiver<Notice>) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let n = Notices::new(Settings::new(db.clone()), broadcast::channel(16).0);
        let shown = n.subscribe();
        (dir, db, n, shown)
    }

    fn window(cause: Cause, from: &str, to: &str) -> EndedWindow {
        let seconds = (at(to) - at(from)).whole_seconds() as f64;
        EndedWindow {
            cause,
            started_at: from.into(),
            ended_at: to.into(),
            seconds,
        }
    }

    fn duplicate() -> ScimError {
        ScimError::conflict("a user with the userName 'jane@corp.example' already exists")
    }

    #[tokio::test]
    async fn a_failure_only_the_admin_can_fix_is_one_notice_an_hour_that_opens_the_activity_page() {
        let (_dir, db, n, mut shown) = notices().await;
        let t = at("2026-12-07T10:00:00Z");
        assert_eq!(
            n.push_failed(
                "Okta",
                Provider::Okta,
                "User",
                "jane@corp.example",
                &duplicate(),
                t
            )
            .await
            .unwrap(),
            Raised::Shown
        );
        let notice = shown.try_recv().unwrap();
        assert_eq!(notice.kind, NoticeKind::PushFailed);
        assert_eq!(notice.route, "#/activity");
        assert!(
            notice.body.starts_with("Okta: jane@corp.example could not be saved — another employee already has this username."),
            "{}",
            notice.body
        );
        assert!(notice.body.contains("Dashboard › Tasks"), "{}", notice.body);

        // Within the hour: none, whatever the failure.
        let mapping = ScimError::invalid_value("'banana' is not a valid email address");
        let later = t + Duration::from_secs(3599);
        assert_eq!(
            n.push_failed(
                "Okta",
                Provider::Okta,
                "User",
                "x@corp.example",
                &mapping,
                later
            )
            .await
            .unwrap(),
            Raised::TooSoon
        );
        assert!(shown.try_recv().is_err());
        // An hour on: one again, worded for its cause.
        let hour = t + NOTICE_EVERY;
        assert_eq!(
            n.push_failed(
                "Okta",
                Provider::Okta,
                "User",
                "x@corp.example",
                &mapping,
                hour
            )
            .await
            .unwrap(),
            Raised::Shown
        );
        let notice = shown.try_recv().unwrap();
        assert!(notice.body.contains("attribute mapping"), "{}", notice.body);
        db.close().await;
    }

    #[test]
    fn a_failed_push_of_an_entra_connection_is_worded_for_entra() {
        let notice = push_failed_notice(
            "Entra",
            Provider::Entra,
            "User",
            "jane@corp.example",
            &duplicate(),
        );
        assert_eq!(notice.title, "A Microsoft Entra ID push failed");
        assert!(
            notice
                .body
                .starts_with("Entra: jane@corp.example could not be saved")
                && notice.body.contains("provisioning cycle")
                && !notice.body.contains("Okta"),
            "{}",
            notice.body
        );
    }

    #[test]
    fn a_window_of_the_entra_switch_is_worded_for_entra_and_opens_its_page() {
        let window = |cause| crate::reachability::EndedWindow {
            cause,
            started_at: "2026-12-07T10:00:00.000Z".into(),
            ended_at: "2026-12-07T10:30:00.000Z".into(),
            seconds: 1800.0,
        };
        let entra = window_ended_notice(&window(Cause::EntraOff));
        assert_eq!(entra.title, "Microsoft Entra ID couldn't reach SCIM Desk");
        assert!(
            entra.body.contains("the Microsoft Entra ID switch was off"),
            "{}",
            entra.body
        );
        assert!(!entra.body.contains("Okta"), "{}", entra.body);
        assert_eq!(entra.route, ROUTE_ENTRA);
        let okta = window_ended_notice(&window(Cause::OktaOff));
        assert_eq!(okta.route, ROUTE_OKTA);
        assert!(
            okta.body.contains("the Okta switch was off"),
            "{}",
            okta.body
        );
    }

    #[test]
    fn a_taken_group_name_is_worded_for_the_group() {
        let taken = ScimError::conflict("A group named 'Sales' already exists");
        let notice = push_failed_notice("Okta", Provider::Okta, "Group", "group 'Sales'", &taken);
        assert!(
            notice.body.starts_with(
                "Okta: group 'Sales' could not be saved — another group already has this name."
            ),
            "{}",
            notice.body
        );
    }

    #[tokio::test]
    async fn failures_okta_can_retry_or_must_fix_itself_are_no_notice() {
        let (_dir, db, n, mut shown) = notices().await;
        let t = at("2026-12-07T10:00:00Z");
        for err in [
            ScimError::new(503, None, "the disk is full"),
            ScimError::not_found("no such user"),
            ScimError::new(400, Some(ScimType::InvalidSyntax), "not JSON"),
            ScimError::new(412, None, "stale version"),
        ] {
            assert!(!needs_the_admin(&err), "{err:?}");
            assert_eq!(
                n.push_failed("Okta", Provider::Okta, "User", "jane", &err, t)
                    .await
                    .unwrap(),
                Raised::Ignored
            );
        }
        assert!(shown.try_recv().is_err());
        db.close().await;
    }

    #[tokio::test]
    async fn each_kind_has_its_own_hour_and_its_page() {
        let (_dir, db, n, mut shown) = notices().await;
        let t = at("2026-12-08T07:45:00Z");
        n.push_failed("Okta", Provider::Okta, "User", "jane", &duplicate(), t)
            .await
            .unwrap();
        let night = window(
            Cause::NotRunning,
            "2026-12-07T22:01:00Z",
            "2026-12-08T07:45:00Z",
        );
        assert_eq!(n.window_ended(&night, t).await.unwrap(), Raised::Shown);
        assert_eq!(
            n.drift_found("c1", "Okta EU", 1_204, t).await.unwrap(),
            Raised::Shown
        );
        let kinds: Vec<_> = std::iter::from_fn(|| shown.try_recv().ok()).collect();
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        let ended = &kinds[1];
        assert_eq!(ended.route, "#/settings/integrations/okta");
        assert_eq!(
            ended.body,
            "For 9 h 44 min SCIM Desk was not running, so Okta's pushes may have failed. In \
             Okta, retry the failed tasks (Dashboard › Tasks)."
        );
        let drift = &kinds[2];
        assert_eq!(drift.route, "#/settings/integrations/okta");
        assert!(
            drift
                .body
                .starts_with("Reconciling Okta EU: 1,204 employees differ from Okta."),
            "{}",
            drift.body
        );
        // A second window within the hour: none.
        let nap = window(
            Cause::Asleep,
            "2026-12-08T08:00:00Z",
            "2026-12-08T08:30:00Z",
        );
        assert_eq!(
            n.window_ended(&nap, at("2026-12-08T08:30:00Z"))
                .await
                .unwrap(),
            Raised::TooSoon
        );
        db.close().await;
    }

    #[tokio::test]
    async fn a_short_window_or_a_reconcile_without_drift_is_no_notice() {
        let (_dir, db, n, mut shown) = notices().await;
        let t = at("2026-12-08T07:45:00Z");
        let blip = window(
            Cause::TunnelDown,
            "2026-12-08T07:41:00Z",
            "2026-12-08T07:45:00Z",
        );
        assert_eq!(n.window_ended(&blip, t).await.unwrap(), Raised::Ignored);
        assert_eq!(
            n.drift_found("c1", "Okta", 0, t).await.unwrap(),
            Raised::Ignored
        );
        assert!(shown.try_recv().is_err());
        // Neither used the hour.
        let five = window(
            Cause::TunnelDown,
            "2026-12-08T07:40:00Z",
            "2026-12-08T07:45:00Z",
        );
        assert_eq!(n.window_ended(&five, t).await.unwrap(), Raised::Shown);
        db.close().await;
    }

    #[tokio::test]
    async fn the_hour_is_kept_across_a_restart() {
        let (dir, db, n, _shown) = notices().await;
        let t = at("2026-12-07T10:00:00Z");
        n.push_failed("Okta", Provider::Okta, "User", "jane", &duplicate(), t)
            .await
            .unwrap();
        drop(n);
        db.close().await;

        // The app starts again on the same data directory.
        let db = Db::open(dir.path()).await.unwrap();
        let again = Notices::new(Settings::new(db.clone()), broadcast::channel(16).0);
        let mut shown = again.subscribe();
        let soon = t + Duration::from_secs(600);
        assert_eq!(
            again
                .push_failed("Okta", Provider::Okta, "User", "jane", &duplicate(), soon)
                .await
                .unwrap(),
            Raised::TooSoon
        );
        assert!(shown.try_recv().is_err());
        let settings = again.settings().await.unwrap();
        assert_eq!(
            settings.kinds[0],
            NotifiedKind {
                kind: NoticeKind::PushFailed,
                last_at: Some("2026-12-07T10:00:00.000Z".into())
            }
        );
        assert_eq!(settings.kinds[1].last_at, None);
        db.close().await;
    }

    #[tokio::test]
    async fn the_switch_turns_every_kind_off_and_off_claims_no_hour() {
        let (_dir, db, n, mut shown) = notices().await;
        let (events_tx, mut events) = broadcast::channel(16);
        let n = Notices {
            events: events_tx,
            ..n
        };
        assert!(n.settings().await.unwrap().enabled, "on by default");
        n.set_enabled(false).await.unwrap();
        assert_eq!(events.try_recv().unwrap(), ChangeEvent::Notifications);
        assert!(!n.settings().await.unwrap().enabled);
        let t = at("2026-12-08T07:45:00Z");
        let night = window(
            Cause::Asleep,
            "2026-12-07T22:00:00Z",
            "2026-12-08T07:45:00Z",
        );
        assert_eq!(
            n.push_failed("Okta", Provider::Okta, "User", "jane", &duplicate(), t)
                .await
                .unwrap(),
            Raised::Off
        );
        assert_eq!(n.window_ended(&night, t).await.unwrap(), Raised::Off);
        assert_eq!(n.drift_found("c", "Okta", 3, t).await.unwrap(), Raised::Off);
        assert!(shown.try_recv().is_err());
        assert!(n
            .settings()
            .await
            .unwrap()
            .kinds
            .iter()
            .all(|k| k.last_at.is_none()));

        // On again: the next one is shown at once (nothing was claimed while off).
        n.set_enabled(true).await.unwrap();
        assert_eq!(
            n.push_failed("Okta", Provider::Okta, "User", "jane", &duplicate(), t)
                .await
                .unwrap(),
            Raised::Shown
        );
        assert_eq!(shown.try_recv().unwrap().kind, NoticeKind::PushFailed);
        db.close().await;
    }

    #[tokio::test]
    async fn without_a_front_end_nothing_is_claimed() {
        let (_dir, db, n, shown) = notices().await;
        drop(shown);
        let t = at("2026-12-07T10:00:00Z");
        assert_eq!(
            n.push_failed("Okta", Provider::Okta, "User", "jane", &duplicate(), t)
                .await
                .unwrap(),
            Raised::NoFrontEnd
        );
        let mut shown = n.subscribe();
        assert_eq!(
            n.push_failed("Okta", Provider::Okta, "User", "jane", &duplicate(), t)
                .await
                .unwrap(),
            Raised::Shown
        );
        assert!(shown.try_recv().is_ok());
        db.close().await;
    }

    #[test]
    fn lengths_read_as_an_admin_says_them() {
        assert_eq!(length(300.0), "5 min");
        assert_eq!(length(7200.0), "2 h");
        assert_eq!(length(35_070.0), "9 h 45 min");
        assert_eq!(length(86_400.0 + 3.0 * 3600.0), "1 day 3 h");
        assert_eq!(length(3.0 * 86_400.0), "3 days");
    }

    #[test]
    fn what_okta_sent_is_quoted_short_and_without_control_characters() {
        let long = format!("{}\u{1b}[31m", "a".repeat(500));
        let notice = push_failed_notice("Okta", Provider::Okta, "User", &long, &duplicate());
        assert!(!notice.body.contains('\u{1b}'), "{}", notice.body);
        assert!(notice.body.len() < 400, "{}", notice.body);
    }
}
