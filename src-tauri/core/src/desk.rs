//! `Desk`: one data directory, opened, with the services that work on it.
//!
//! The CLI and the Tauri shell both start here. A data directory holds the SQLite database (with
//! the settings); secrets are in the OS keychain, never in the directory. In server mode (see
//! [`Desk::server_mode`]) there is no keychain: connection tokens are shown once, other secrets
//! come from the environment or from files (`connections::server_secrets`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::config::{self, Config, ConfigError};
use crate::connections::keychain::Keychain;
use crate::connections::server_secrets::{self, ServerSecrets, SERVER_MODE_ENV};
use crate::connections::{ConnectionKey, Connections};
use crate::db::{Db, StoreError};
use crate::directory::Directory;
use crate::notices::Notices;
use crate::okta::runs::Runs;
use crate::okta::OktaApi;
use crate::reachability::Reachability;
use crate::settings::Settings;
use crate::tunnel::rehearsal::{Rehearsal, RehearsalNote};
use crate::tunnel::store::TunnelStore;
use crate::tunnel::{self, TunnelError, TunnelSetting, TunnelStatus};

/// The Tauri identifier, and so the name of the default data directory.
pub const APP_IDENTIFIER: &str = "io.scimdesk.desktop";
pub const DATA_DIR_ENV: &str = "SCIMDESK_DATA_DIR";

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("the data directory {path} could not be created: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the database in {path} could not be opened: {source}")]
    Open {
        path: PathBuf,
        source: crate::db::StoreError,
    },
    #[error("the PostgreSQL database {url} could not be opened: {source}")]
    OpenPostgres {
        /// The URL without its password.
        url: String,
        source: crate::db::StoreError,
    },
    #[error(
        "the database URL {0:?} is not one SCIM Desk can use: give a PostgreSQL URL \
         (postgres://user@host:5432/database), or `sqlite` for the data directory's own database"
    )]
    DatabaseUrl(String),
    #[error("the database setting {path} could not be read: {source}")]
    DatabaseSetting {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no data directory could be found for this user; pass --data-dir DIR")]
    NoDefaultDir,
    #[error("{0}")]
    Database(#[from] crate::db::StoreError),
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Tunnel(#[from] TunnelError),
    #[error("{0}")]
    Connection(#[from] crate::connections::ConnectionError),
    #[error("{0}")]
    Rehearsal(#[from] tunnel::rehearsal::RehearsalError),
    #[error("{0}")]
    Keychain(#[from] crate::connections::keychain::KeychainError),
}

pub use crate::events::ChangeEvent;

#[derive(Clone)]
pub struct Desk {
    data_dir: PathBuf,
    /// The PostgreSQL database, its password left out; `None` for the data directory's SQLite.
    postgres: Option<String>,
    db: Db,
    connections: Connections,
    okta_api: OktaApi,
    runs: Runs,
    directory: Directory,
    settings: Settings,
    reachability: Reachability,
    notices: Notices,
    /// Whether this process's run has written its last beat ([`Desk::stop_beating`]); held
    /// across each beat so that no beat follows the last one.
    beating_stopped: Arc<tokio::sync::Mutex<bool>>,
    tunnel: TunnelStore,
    events: broadcast::Sender<ChangeEvent>,
    serving: Arc<Mutex<Option<Arc<Serving>>>>,
    server_mode: config::ServerMode,
    /// Where server mode reads secret files from; `None` on the desktop or when none is named.
    secrets_dir: Option<PathBuf>,
}

/// What every request needs from the settings and connections, read once and kept while the
/// database's `config` generation stays the same — in whichever process the change is made, a
/// change is seen by the next request.
#[derive(Debug)]
pub struct Serving {
    generation: i64,
    pub config: Config,
    pub connections: Vec<ConnectionKey>,
}

/// How often the activity log's retention is checked (see [`Desk::keep_activity_pruned`]).
pub const PRUNE_CHECK: std::time::Duration = std::time::Duration::from_secs(10);

/// How often a running endpoint beats (see [`Desk::keep_beating`]).
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(30);
/// Milliseconds between beats instead of [`HEARTBEAT`], for tests.
pub const HEARTBEAT_ENV: &str = "SCIMDESK_HEARTBEAT_MS";

/// The beat interval: `SCIMDESK_HEARTBEAT_MS` when set to a positive number, else [`HEARTBEAT`].
pub fn heartbeat_interval() -> std::time::Duration {
    env_ms(HEARTBEAT_ENV).unwrap_or(HEARTBEAT)
}

/// How often [`Desk::keep_reconciling`] checks whether a reconcile is due.
pub const RECONCILE_CHECK: std::time::Duration = std::time::Duration::from_secs(60);
/// Milliseconds between checks instead of [`RECONCILE_CHECK`], for tests.
pub const RECONCILE_CHECK_ENV: &str = "SCIMDESK_RECONCILE_CHECK_MS";
/// Milliseconds between scheduled reconciles instead of the schedule's period (when it is not
/// off), for tests.
pub const RECONCILE_EVERY_ENV: &str = "SCIMDESK_RECONCILE_EVERY_MS";

fn env_ms(name: &str) -> Option<std::time::Duration> {
    std::env::var(name)
        .ok()
        .and_then(|ms| ms.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(std::time::Duration::from_millis)
}

/// `SCIMDESK_RECONCILE_CHECK_MS` when set to a positive number, else [`RECONCILE_CHECK`].
pub fn reconcile_check_interval() -> std::time::Duration {
    env_ms(RECONCILE_CHECK_ENV).unwrap_or(RECONCILE_CHECK)
}

fn reconcile_period_override() -> Option<std::time::Duration> {
    env_ms(RECONCILE_EVERY_ENV)
}

/// Selects the database when it is not the data directory's SQLite file: a PostgreSQL URL
/// (`postgres://user@host:5432/db`), or `sqlite`. For the app and the CLI alike (the CLI's
/// `--database` too).
pub const DATABASE_ENV: &str = "SCIMDESK_DATABASE_URL";

/// The file in a data directory that names its database, when it is PostgreSQL: one line, the
/// URL (without a password: the data directory holds no secret; see [`database_url`]).
pub const DATABASE_URL_FILE: &str = "database-url";

/// The PostgreSQL database a data directory's desk opens, or `None` for its own SQLite file:
/// `explicit` (the CLI's `--database` or [`DATABASE_ENV`]) first, then the data directory's
/// [`DATABASE_URL_FILE`]. `sqlite` (or empty) chooses the SQLite file.
pub fn database_url(data_dir: &Path, explicit: Option<&str>) -> Result<Option<String>, DeskError> {
    let chosen = match explicit.map(str::trim) {
        Some(url) => url.to_owned(),
        None => match std::fs::read_to_string(data_dir.join(DATABASE_URL_FILE)) {
            Ok(text) => text.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(DeskError::DatabaseSetting {
                    path: data_dir.join(DATABASE_URL_FILE),
                    source,
                })
            }
        },
    };
    parse_database_url(&chosen)
}

/// `Some(url)` for a PostgreSQL URL, `None` for `sqlite` or nothing; an error for anything else.
pub fn parse_database_url(value: &str) -> Result<Option<String>, DeskError> {
    let value = value.trim();
    if value.is_empty() || value.eq_ignore_ascii_case("sqlite") {
        return Ok(None);
    }
    let is_postgres = ["postgres://", "postgresql://"].iter().any(|scheme| {
        value.len() > scheme.len() && value[..scheme.len()].eq_ignore_ascii_case(scheme)
    });
    match is_postgres {
        true => Ok(Some(value.to_owned())),
        false => Err(DeskError::DatabaseUrl(redact_database_url(value))),
    }
}

/// A database URL fit to show and log: its password replaced by `***`.
pub fn redact_database_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// `<platform data dir>/io.scimdesk.desktop`.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join(APP_IDENTIFIER))
}

impl Desk {
    /// Opens the desk of a data directory, on the database [`DATABASE_ENV`] or the data
    /// directory's setting names (see [`database_url`]). `keychain` keeps the secrets on the
    /// desktop; in server mode (`SCIMDESK_SERVER_MODE`, or the `mode` setting) it is never called:
    /// connection tokens are shown once, and other secrets are read from the environment or from
    /// files.
    pub async fn open(data_dir: &Path, keychain: Arc<dyn Keychain>) -> Result<Desk, DeskError> {
        let explicit = std::env::var(DATABASE_ENV).ok();
        Desk::open_with(data_dir, keychain, explicit.as_deref()).await
    }

    /// Opens the desk of a data directory on the database `database` names (a PostgreSQL URL,
    /// or `sqlite`), or when `None` the one its setting names.
    pub async fn open_with(
        data_dir: &Path,
        keychain: Arc<dyn Keychain>,
        database: Option<&str>,
    ) -> Result<Desk, DeskError> {
        create_private_dir(data_dir).map_err(|source| DeskError::CreateDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let postgres = database_url(data_dir, database)?;
        let db = match &postgres {
            Some(url) => {
                Db::open_postgres(url)
                    .await
                    .map_err(|source| DeskError::OpenPostgres {
                        url: redact_database_url(url),
                        source,
                    })?
            }
            None => Db::open(data_dir).await.map_err(|source| DeskError::Open {
                path: data_dir.to_owned(),
                source,
            })?,
        };
        let stored = Settings::new(db.clone());
        let server_mode = match postgres {
            Some(_) => config::ServerMode::for_postgres(),
            None => config::ServerMode::decide(
                std::env::var(SERVER_MODE_ENV).ok().as_deref(),
                stored.get(config::KEY_MODE).await?.as_deref(),
            )?,
        };
        let mut secrets_place = None;
        let keychain: Arc<dyn Keychain> = if server_mode.on {
            let setting = stored.get(config::KEY_SECRETS_DIR).await?;
            let dir = server_secrets::secrets_dir(|k| std::env::var(k).ok(), setting.as_deref());
            let secrets = ServerSecrets::from_env(dir);
            secrets_place = Some(secrets.place().clone());
            Arc::new(secrets)
        } else {
            keychain
        };
        let connections = if server_mode.on {
            Connections::shown_once(db.clone())
        } else {
            Connections::new(db.clone(), keychain.clone())
        };
        let (events, _) = broadcast::channel(1024);
        // The app shows a banner while writes fail for want of disk space.
        let mut disk = db.watch_disk_full();
        let told = events.clone();
        tokio::spawn(async move {
            while disk.changed().await.is_ok() {
                let _ = told.send(ChangeEvent::Disk);
            }
        });
        let notices = Notices::new(Settings::new(db.clone()), events.clone());
        // Every window that ends, whoever ends it (a beat, the tunnel, the port, the switch),
        // may be a notice.
        let told = notices.clone();
        let reachability = Reachability::new(db.clone()).on_ended(Arc::new(move |window| {
            let notices = told.clone();
            Box::pin(async move {
                let raised = notices
                    .window_ended(&window, time::OffsetDateTime::now_utc())
                    .await;
                if let Err(e) = raised {
                    tracing::warn!(error = %e, "could not decide on a notice of a window");
                }
            })
        }));
        let mut tunnel = TunnelStore::new(
            Settings::new(db.clone()),
            keychain.clone(),
            events.clone(),
            reachability.clone(),
        );
        if let Some(place) = &secrets_place {
            tunnel = tunnel.with_server_secrets(place.clone());
        }
        let mut okta_api = OktaApi::new(db.clone(), keychain.clone(), connections.clone());
        if let Some(place) = &secrets_place {
            okta_api = okta_api.with_server_secrets(place.clone());
        }
        let directory = Directory::new(db.clone(), events.clone()).with_notices(notices.clone());
        Ok(Desk {
            data_dir: data_dir.to_owned(),
            postgres: postgres.as_deref().map(redact_database_url),
            runs: Runs::new(
                db.clone(),
                directory.clone(),
                okta_api.clone(),
                events.clone(),
                notices.clone(),
                data_dir,
            ),
            okta_api,
            connections,
            directory,
            settings: Settings::new(db.clone()),
            reachability,
            notices,
            beating_stopped: Arc::default(),
            tunnel,
            db,
            events,
            serving: Arc::default(),
            server_mode,
            secrets_dir: secrets_place.and_then(|p| p.dir),
        })
    }

    /// Whether SCIM Desk runs as a server: connection tokens are shown once and only their
    /// digest is kept, and tunnel and Okta API secrets come from environment variables or files
    /// (see `connections::server_secrets`); the keychain is never called. Decided when the desk
    /// opened (see [`config::ServerMode`]).
    pub fn server_mode(&self) -> bool {
        self.server_mode.on
    }

    /// Server mode and whether `SCIMDESK_SERVER_MODE` decided it.
    pub fn server_mode_source(&self) -> config::ServerMode {
        self.server_mode
    }

    /// The directory server mode reads secret files from, if one is named.
    pub fn secrets_dir(&self) -> Option<&Path> {
        self.secrets_dir.as_deref()
    }

    /// The settings and connections as of now, for serving a request: one probe of the
    /// database's generation when nothing changed, a reload when something did.
    pub async fn serving(&self) -> Result<Arc<Serving>, DeskError> {
        let generation = self.db.generations()?.config;
        if let Some(s) = self.serving_cached() {
            if s.generation == generation {
                return Ok(s);
            }
        }
        // Read after the generation: if they change meanwhile, the next request reloads.
        let settings = self.settings().await?;
        let serving = Arc::new(Serving {
            generation,
            config: config_from(&settings)?,
            connections: self.connections.keys().await?,
        });
        *self.serving.lock().unwrap_or_else(|p| p.into_inner()) = Some(serving.clone());
        Ok(serving)
    }

    fn serving_cached(&self) -> Option<Arc<Serving>> {
        self.serving
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The PostgreSQL database this desk works on (its password left out), or `None` when it
    /// is the data directory's own SQLite file.
    pub fn postgres(&self) -> Option<&str> {
        self.postgres.as_deref()
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn connections(&self) -> &Connections {
        &self.connections
    }

    /// A new token for the connection (see [`Connections::regenerate_token`]), the activity log
    /// saying so in the same transaction.
    pub async fn regenerate_token(
        &self,
        id_or_name: &str,
    ) -> Result<crate::connections::NewConnection, crate::connections::ConnectionError> {
        self.connections
            .regenerate_token(id_or_name, record_regenerated)
            .await
    }

    /// The connections' Okta API setups and the reconcile dry run.
    pub fn okta_api(&self) -> &OktaApi {
        &self.okta_api
    }

    /// The reconcile runs of this process: one at a time, cancellable, with their history.
    pub fn reconcile_runs(&self) -> &Runs {
        &self.runs
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.events.subscribe()
    }

    pub fn notify(&self, event: ChangeEvent) {
        // No subscriber is normal (the CLI); the event is simply dropped.
        let _ = self.events.send(event);
    }

    /// Announces changes made by other processes on this data directory, as
    /// [`ChangeEvent::Reload`], until the returned future is dropped. Every commit, in any
    /// process, moves the database's generation counters; every `interval` they are compared
    /// with the last ones seen. While this process is announcing its own changes, a move is
    /// taken as its own; once it has been quiet for an interval, a move not yet announced is
    /// announced once. So a change made elsewhere shows within about two intervals, and this
    /// process's own activity adds at most one reload after it ends.
    pub async fn follow_other_processes(&self, interval: std::time::Duration) {
        let mut own = self.subscribe();
        let mut seen = self.db.generations().ok();
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // On PostgreSQL, another server's commit is told at once (LISTEN/NOTIFY).
        let mut notified = self.db.changes_notified();
        loop {
            match notified.as_mut() {
                Some(told) => tokio::select! {
                    _ = ticks.tick() => {}
                    changed = told.changed() => if changed.is_err() { notified = None },
                },
                None => {
                    ticks.tick().await;
                }
            }
            let mut busy = false;
            loop {
                match own.try_recv() {
                    Ok(ChangeEvent::Reload) => {}
                    Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => busy = true,
                    Err(_) => break,
                }
            }
            let Ok(now) = self.db.generations() else {
                continue;
            };
            if seen.as_ref() != Some(&now) && !busy {
                seen = Some(now);
                self.notify(ChangeEvent::Reload);
            }
        }
    }

    /// Keeps the activity log to its retention for as long as it runs (in `serve` and the app):
    /// prunes at once, then whenever a setting changes in this process, and every
    /// [`PRUNE_CHECK`] (a setting changed by another process, lines growing old). A check with
    /// nothing to prune reads two rows.
    pub async fn keep_activity_pruned(&self) {
        let mut events = self.subscribe();
        loop {
            let pruned = match self.config().await {
                Ok(config) => self
                    .directory
                    .prune_activity(config.activity_retention)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = pruned {
                tracing::warn!(error = %e, "could not prune the activity log");
            }
            let next_check = tokio::time::sleep(PRUNE_CHECK);
            tokio::pin!(next_check);
            loop {
                tokio::select! {
                    _ = &mut next_check => break,
                    event = events.recv() => match event {
                        Ok(ChangeEvent::Settings) | Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        }
    }

    /// Beats for as long as it runs (in `serve` and the app, beside the endpoint), every
    /// [`heartbeat_interval`]: first the run's start, which records the time since the last
    /// beat as a `not_running` window when it is long; then a beat a tick, which records an
    /// `asleep` window when the wall clock jumped (the process was frozen with the computer).
    /// A beat is one small write of its own task: it never holds up a request, and a failed one
    /// is logged and tried again at the next tick.
    pub async fn keep_beating(&self) {
        let interval = heartbeat_interval();
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut started = false;
        loop {
            ticks.tick().await;
            let stopped = self.beating_stopped.lock().await;
            if *stopped {
                return;
            }
            let now = time::OffsetDateTime::now_utc();
            let beat = if started {
                self.reachability.beat(now, interval).await
            } else {
                self.reachability.start(now, interval).await
            };
            drop(stopped);
            match beat {
                Ok(window) => {
                    started = true;
                    if let Some(cause) = window {
                        tracing::info!(
                            cause = cause.code(),
                            "Okta could not reach SCIM Desk for a while: recorded"
                        );
                        self.notify(ChangeEvent::Reachability);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not record the heartbeat"),
            }
        }
    }

    /// The run stops as asked (`serve`'s Ctrl-C or SIGTERM, the app's Quit): writes the last
    /// beat, marked clean, and no beat after it.
    pub async fn stop_beating(&self) {
        let mut stopped = self.beating_stopped.lock().await;
        *stopped = true;
        let now = time::OffsetDateTime::now_utc();
        if let Err(e) = self.reachability.stop(now, heartbeat_interval()).await {
            tracing::warn!(error = %e, "could not record the last heartbeat");
        }
    }

    /// How often connections with Okta API access are reconciled by themselves.
    pub async fn reconcile_schedule(&self) -> Result<config::ReconcileSchedule, DeskError> {
        let settings = self.settings().await?;
        Ok(config::ReconcileSchedule::from_setting(
            settings
                .get(config::KEY_RECONCILE_SCHEDULE)
                .map(String::as_str),
        ))
    }

    /// Reconciles by itself for as long as it runs (in `serve` and the app), a dry run each
    /// time: every connection with Okta API access once its last run is older than the
    /// schedule's period (or it never ran), and after a reachability window that affected it
    /// ended since its last run. Checked every [`reconcile_check_interval`] and whenever a
    /// window or a setting changes. A run that finds drift says so with
    /// [`ChangeEvent::ReconcileDrift`]; one already going on is left alone.
    pub async fn keep_reconciling(&self) {
        let mut events = self.subscribe();
        let check = reconcile_check_interval();
        loop {
            if let Err(e) = self.reconcile_when_due().await {
                tracing::warn!(error = %e, "could not check whether a reconcile is due");
            }
            let next_check = tokio::time::sleep(check);
            tokio::pin!(next_check);
            loop {
                tokio::select! {
                    _ = &mut next_check => break,
                    event = events.recv() => match event {
                        Ok(ChangeEvent::Reachability | ChangeEvent::Settings)
                        | Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        }
    }

    /// One check of [`Desk::keep_reconciling`]: runs what is due, one connection after another.
    pub async fn reconcile_when_due(&self) -> Result<(), DeskError> {
        use crate::okta::runs::{Mode, Trigger};
        let schedule = self.reconcile_schedule().await?;
        let period = schedule
            .period()
            .map(|p| reconcile_period_override().unwrap_or(p));
        let now = time::OffsetDateTime::now_utc();
        let windows = self
            .reachability
            .recent(crate::reachability::RECENT_WINDOWS, now)
            .await?;
        for connection in self.connections.list().await? {
            // Reconcile reads Okta's API: other providers' connections have none.
            if connection.provider != crate::connections::Provider::Okta {
                continue;
            }
            let set_up = matches!(self.okta_api.get(&connection).await, Ok(Some(_)));
            if !set_up || self.runs.running().is_some() {
                continue;
            }
            let last = self.runs.last_run(&connection.id).await?;
            let last_started = last.as_ref().map(|r| r.started_at.clone());
            let window_ended = windows.iter().any(|w| {
                w.ended_at.as_ref().is_some_and(|end| {
                    last_started.as_ref().is_none_or(|s| end > s)
                        && w.connections.iter().any(|c| c.id == connection.id)
                })
            });
            let due = period.is_some_and(|p| match &last {
                None => true,
                Some(r) => time::OffsetDateTime::parse(
                    &r.finished_at,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_or(true, |at| now - at >= p),
            });
            let trigger = match (window_ended, due) {
                (true, _) => Trigger::AfterWindow,
                (false, true) => Trigger::Schedule,
                (false, false) => continue,
            };
            match self.runs.run(&connection.id, trigger, Mode::DryRun).await {
                Ok(_) | Err(crate::okta::OktaApiError::ReconcileRunning { .. }) => {}
                Err(e) => tracing::warn!(error = %e, "a scheduled reconcile could not start"),
            }
        }
        Ok(())
    }

    /// The desktop notifications' policy: what is raised, at most one of a kind an hour, the
    /// switch. The shell subscribes to show them; the reconcile runner tells it of drift.
    pub fn notices(&self) -> &Notices {
        &self.notices
    }

    /// The heartbeat and the reachability windows.
    pub fn reachability(&self) -> &Reachability {
        &self.reachability
    }

    pub async fn config(&self) -> Result<Config, DeskError> {
        config_from(&self.settings().await?)
    }

    /// Sets `listen`, `public-url`, `rate-limit`, `rate-limit-burst`, `activity-retention-days`,
    /// `activity-retention-lines` or `keep-awake` (also accepted with `_`); an empty public URL or burst
    /// clears it. A public URL means "my own tunnel": it is the `own` tunnel setting. A running
    /// endpoint follows a new rate limit or retention within a few seconds.
    pub async fn set_config(&self, key: &str, value: &str) -> Result<Config, DeskError> {
        match key {
            "listen" => return self.set_listen(value, false).await,
            "public-url" | "public_url" => {
                let setting = if value.trim().is_empty() {
                    TunnelSetting::None
                } else {
                    TunnelSetting::Own {
                        url: value.to_owned(),
                    }
                };
                self.set_tunnel(setting, None).await?;
            }
            "okta" | "okta-enabled" | "okta_enabled" => {
                let on = config::parse_switch(value)?;
                self.put_setting(
                    config::KEY_OKTA_ENABLED,
                    Some(if on { "on" } else { "off" }),
                )
                .await?;
                self.reachability
                    .okta_switched(on, time::OffsetDateTime::now_utc())
                    .await?;
                // An `okta_off` window opened or closed.
                self.notify(ChangeEvent::Reachability);
            }
            "entra" | "entra-enabled" | "entra_enabled" => {
                let on = config::parse_switch(value)?;
                self.put_setting(
                    config::KEY_ENTRA_ENABLED,
                    Some(if on { "on" } else { "off" }),
                )
                .await?;
                self.reachability
                    .entra_switched(on, time::OffsetDateTime::now_utc())
                    .await?;
                // An `entra_off` window opened or closed.
                self.notify(ChangeEvent::Reachability);
            }
            "keep-awake" | "keep_awake" => {
                let on = config::parse_switch(value)?;
                self.put_setting(config::KEY_KEEP_AWAKE, Some(if on { "on" } else { "off" }))
                    .await?;
            }
            "rate-limit" | "rate_limit" => {
                let per_second = config::parse_rate_limit(value)?;
                self.put_setting(config::KEY_RATE_LIMIT, Some(&per_second.to_string()))
                    .await?;
            }
            "rate-limit-burst" | "rate_limit_burst" => {
                let burst = config::parse_burst(value)?.map(|b| b.to_string());
                self.put_setting(config::KEY_RATE_LIMIT_BURST, burst.as_deref())
                    .await?;
            }
            "activity-retention-days" | "activity_retention_days" => {
                let days = config::parse_retention_days(value)?;
                self.put_setting(config::KEY_ACTIVITY_RETENTION_DAYS, Some(&days.to_string()))
                    .await?;
            }
            "activity-retention-lines" | "activity_retention_lines" => {
                let lines = config::parse_retention_lines(value)?;
                self.put_setting(
                    config::KEY_ACTIVITY_RETENTION_LINES,
                    Some(&lines.to_string()),
                )
                .await?;
            }
            "reconcile-schedule" | "reconcile_schedule" => {
                let schedule = config::ReconcileSchedule::parse(value)?;
                self.put_setting(config::KEY_RECONCILE_SCHEDULE, Some(schedule.code()))
                    .await?;
            }
            "notifications" => {
                let on = config::parse_switch(value)?;
                self.notices.set_enabled(on).await?;
            }
            "mode" => {
                let server = config::parse_mode(value)?;
                let stored = if server { "server" } else { "desktop" };
                self.put_setting(config::KEY_MODE, Some(stored)).await?;
            }
            "secrets-dir" | "secrets_dir" => {
                let dir = config::parse_secrets_dir(value)?;
                self.put_setting(config::KEY_SECRETS_DIR, dir.as_deref())
                    .await?;
            }
            other => return Err(ConfigError::UnknownKey(other.to_owned()).into()),
        }
        self.notify(ChangeEvent::Settings);
        self.config().await
    }

    /// Sets the listen address. Only a loopback address unless `allow_remote` (`config set listen
    /// ADDR --allow-remote`), which is kept with it: the address and the permission are one
    /// setting, and a loopback address drops the permission.
    pub async fn set_listen(&self, value: &str, allow_remote: bool) -> Result<Config, DeskError> {
        let addr = config::check_listen(config::parse_listen(value)?, allow_remote)?;
        let allowed = (!config::is_loopback(&addr)).then(|| "on".to_owned());
        self.put_settings(&[
            (config::KEY_LISTEN, Some(addr.to_string())),
            (config::KEY_LISTEN_ALLOW_REMOTE, allowed),
        ])
        .await?;
        self.notify(ChangeEvent::Settings);
        self.config().await
    }

    /// The tunnel's setting, secrets and published state.
    pub fn tunnel(&self) -> &TunnelStore {
        &self.tunnel
    }

    /// Where the public URL comes from now.
    pub async fn tunnel_setting(&self) -> Result<TunnelSetting, DeskError> {
        Ok(self.tunnel.setting().await?)
    }

    /// Changes where the public URL comes from (see [`TunnelStore::set`]).
    pub async fn set_tunnel(
        &self,
        setting: TunnelSetting,
        secret: Option<String>,
    ) -> Result<TunnelSetting, TunnelError> {
        self.tunnel.set(setting, secret).await
    }

    /// The admin updated the base URL in Okta: stop saying it changed.
    pub async fn acknowledge_url_change(&self) -> Result<(), DeskError> {
        Ok(self.tunnel.acknowledge_url_change().await?)
    }

    /// Where the public URL stands, for the app's Public URL card and `scimdesk tunnel status`.
    pub async fn tunnel_status(&self) -> Result<TunnelStatus, DeskError> {
        let config = self.config().await?;
        let connections = self.connections().list().await?;
        Ok(self.tunnel.status(&config, &connections).await?)
    }

    /// The rehearsal of one connection (its identity provider's requests), through its public base URL with its token from
    /// the keychain. Creates nothing.
    pub async fn rehearse(&self, id_or_name: &str) -> Result<Rehearsal, DeskError> {
        let connection = self.connections().find(id_or_name).await?;
        if !self.connections.keeps_tokens() {
            let refused = crate::connections::ConnectionError::RehearsalNeedsToken(connection.name);
            return Err(refused.into());
        }
        let token = self.connections().token(&connection.id).await?;
        let config = self.config().await?;
        let base_url = config.base_url(&connection.id);
        let client = tunnel::rehearsal::client()?;
        let mut rehearsal = tunnel::rehearsal::rehearse(
            &client,
            connection.provider,
            &base_url,
            &token,
            &config.listen.to_string(),
        )
        .await;
        let setting = self.tunnel_setting().await?;
        let status = self.tunnel_status().await?;
        let tunnel_offline = setting.is_managed() && status.state.url().is_none();
        rehearsal.reachable_by_provider =
            status.reachable_by_okta && base_url.starts_with("https://") && !tunnel_offline;
        rehearsal.note = if tunnel_offline {
            Some(RehearsalNote::TunnelOffline {
                mode: setting.mode().to_owned(),
                last_url: config.public_url.clone(),
            })
        } else if config.public_url.is_none() {
            Some(RehearsalNote::NoPublicUrl)
        } else if !base_url.starts_with("https://") {
            Some(RehearsalNote::PlainHttp)
        } else {
            None
        };
        Ok(rehearsal)
    }

    async fn settings(&self) -> Result<HashMap<String, String>, StoreError> {
        self.settings.all().await
    }

    /// Several settings in one transaction; `None` removes a key.
    async fn put_settings(&self, writes: &[(&str, Option<String>)]) -> Result<(), StoreError> {
        self.settings.put(writes).await
    }

    /// One stored setting, if it is set.
    pub(crate) async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.settings.get(key).await
    }

    pub(crate) async fn put_setting(
        &self,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        self.put_settings(&[(key, value.map(str::to_owned))]).await
    }

    pub async fn close(&self) {
        self.db.close().await;
    }
}

/// The configuration the settings table describes.
fn config_from(settings: &HashMap<String, String>) -> Result<Config, DeskError> {
    let listen = match settings.get(config::KEY_LISTEN) {
        Some(v) => config::parse_listen(v)?,
        None => config::parse_listen(config::DEFAULT_LISTEN)?,
    };
    // A non-loopback address stored without the permission (set before the rule existed, or by
    // hand) is kept here and refused where the endpoint starts, with the way to allow it.
    let allow_remote = match settings.get(config::KEY_LISTEN_ALLOW_REMOTE) {
        Some(v) => config::parse_switch(v)?,
        None => false,
    };
    let public_url = tunnel::store::public_url_from(settings);
    let okta_enabled = match settings.get(config::KEY_OKTA_ENABLED) {
        Some(v) => config::parse_switch(v)?,
        None => true,
    };
    let entra_enabled = match settings.get(config::KEY_ENTRA_ENABLED) {
        Some(v) => config::parse_switch(v)?,
        None => true,
    };
    let rate_limit = config::RateLimit::from_settings(
        settings.get(config::KEY_RATE_LIMIT).map(String::as_str),
        settings
            .get(config::KEY_RATE_LIMIT_BURST)
            .map(String::as_str),
    );
    let activity_retention = config::Retention::from_settings(
        settings
            .get(config::KEY_ACTIVITY_RETENTION_DAYS)
            .map(String::as_str),
        settings
            .get(config::KEY_ACTIVITY_RETENTION_LINES)
            .map(String::as_str),
    );
    let keep_awake = match settings.get(config::KEY_KEEP_AWAKE) {
        Some(v) => config::parse_switch(v)?,
        None => false,
    };
    Ok(Config {
        listen,
        allow_remote,
        public_url,
        okta_enabled,
        entra_enabled,
        rate_limit,
        activity_retention,
        keep_awake,
    })
}

/// Bytes free for this user on the filesystem that holds `dir`; `None` where it cannot be told.
pub fn available_space(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
        // SAFETY: `path` is a NUL-terminated string and `stat` a buffer of the right type, which
        // statvfs fills when it returns 0 (and only then is it read).
        let stat = unsafe {
            if libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) != 0 {
                return None;
            }
            stat.assume_init()
        };
        #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
        Some((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// The activity line of a regenerated token, written in the transaction that changed it: the
/// connection it belongs to, never the token.
pub(crate) fn record_regenerated(
    c: &crate::db::sql::Connection,
    connection: &crate::connections::Connection,
) -> crate::db::sql::Result<()> {
    use crate::directory::activity::{append, NewActivity, ADMIN_METHOD};
    let ctx = crate::directory::WriteContext {
        connection_id: connection.id.clone(),
        connection_name: connection.name.clone(),
        provider: connection.provider,
        base_url: String::new(),
    };
    append(
        c,
        &ctx,
        NewActivity {
            method: ADMIN_METHOD,
            operation: "regenerate_token",
            resource_type: "Connection",
            resource_id: Some(&connection.id),
            employee_id: None,
            summary: format!(
                "Regenerated the token of connection '{}': the old token is refused from now on",
                connection.name
            ),
            status: 200,
            detail: None,
        },
    )?;
    Ok(())
}
