//! `Desk`: one data directory, opened, with the services that work on it.
//!
//! The CLI and the Tauri shell both start here. A data directory holds the SQLite database (with
//! the settings); secrets are in the OS keychain, never in the directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::config::{self, Config, ConfigError};
use crate::connections::keychain::Keychain;
use crate::connections::{ConnectionKey, Connections};
use crate::db::{Db, StoreError};
use crate::directory::Directory;
use crate::settings::Settings;
use crate::tunnel::rehearsal::{Rehearsal, RehearsalNote};
use crate::tunnel::{
    self, NewBaseUrl, PersistedState, TunnelError, TunnelSetting, TunnelState, TunnelStatus,
    UrlChange,
};

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
}

pub use crate::events::ChangeEvent;

#[derive(Clone)]
pub struct Desk {
    data_dir: PathBuf,
    db: Db,
    connections: Connections,
    directory: Directory,
    settings: Settings,
    events: broadcast::Sender<ChangeEvent>,
    keychain: Arc<dyn Keychain>,
    serving: Arc<Mutex<Option<Arc<Serving>>>>,
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

/// Where the last tunnel error is kept for `tunnel status`.
const KEY_TUNNEL_LAST_ERROR: &str = "tunnel_last_error";

/// `<platform data dir>/io.scimdesk.desktop`.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join(APP_IDENTIFIER))
}

impl Desk {
    pub async fn open(data_dir: &Path, keychain: Arc<dyn Keychain>) -> Result<Desk, DeskError> {
        create_private_dir(data_dir).map_err(|source| DeskError::CreateDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let db = Db::open(data_dir).await.map_err(|source| DeskError::Open {
            path: data_dir.to_owned(),
            source,
        })?;
        let (events, _) = broadcast::channel(1024);
        // The app shows a banner while writes fail for want of disk space.
        let mut disk = db.watch_disk_full();
        let told = events.clone();
        tokio::spawn(async move {
            while disk.changed().await.is_ok() {
                let _ = told.send(ChangeEvent::Disk);
            }
        });
        Ok(Desk {
            data_dir: data_dir.to_owned(),
            connections: Connections::new(db.clone(), keychain.clone()),
            keychain,
            directory: Directory::new(db.clone(), events.clone()),
            settings: Settings::new(db.clone()),
            db,
            events,
            serving: Arc::default(),
        })
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

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn connections(&self) -> &Connections {
        &self.connections
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
        loop {
            ticks.tick().await;
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

    pub async fn config(&self) -> Result<Config, DeskError> {
        config_from(&self.settings().await?)
    }

    /// Sets `listen`, `public-url`, `rate-limit`, `rate-limit-burst`, `activity-retention-days`
    /// or `activity-retention-lines` (also accepted with `_`); an empty public URL or burst
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

    /// Where the public URL comes from now.
    pub async fn tunnel_setting(&self) -> Result<TunnelSetting, DeskError> {
        Ok(tunnel_setting_from(&self.settings().await?))
    }

    /// Changes where the public URL comes from. `secret` is a named tunnel's token (cloudflared)
    /// or the authtoken (ngrok), kept in the keychain; without one, the one already there is
    /// used, and its absence is an error that says where to get one. A running endpoint follows
    /// the change within a second or two (see `TunnelSupervisor`).
    pub async fn set_tunnel(
        &self,
        setting: TunnelSetting,
        secret: Option<String>,
    ) -> Result<TunnelSetting, TunnelError> {
        let secret = secret
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let setting = match setting {
            TunnelSetting::None => TunnelSetting::None,
            TunnelSetting::Own { url } => TunnelSetting::Own {
                url: config::parse_public_url(&url)?,
            },
            TunnelSetting::Cloudflared { hostname } => {
                let hostname = hostname
                    .as_deref()
                    .map(tunnel::parse_hostname)
                    .transpose()?;
                match (&hostname, secret) {
                    (None, Some(_)) => return Err(TunnelError::CloudflaredNoHostname),
                    (Some(_), Some(token)) => {
                        self.keychain_set(tunnel::ACCOUNT_CLOUDFLARED, token)
                            .await?
                    }
                    (Some(_), None) => {
                        if self
                            .tunnel_secret(tunnel::ACCOUNT_CLOUDFLARED)
                            .await?
                            .is_none()
                        {
                            return Err(TunnelError::CloudflaredNoToken);
                        }
                    }
                    (None, None) => {}
                }
                TunnelSetting::Cloudflared { hostname }
            }
            TunnelSetting::Ngrok { domain } => {
                let domain = domain.as_deref().map(tunnel::parse_hostname).transpose()?;
                match secret {
                    Some(token) => self.keychain_set(tunnel::ACCOUNT_NGROK, token).await?,
                    None => {
                        if self.tunnel_secret(tunnel::ACCOUNT_NGROK).await?.is_none() {
                            return Err(TunnelError::NgrokNoAuthtoken);
                        }
                    }
                }
                TunnelSetting::Ngrok { domain }
            }
        };
        let stored = serde_json::to_string(&setting)
            .map_err(|e| TunnelError::Failed(format!("the setting could not be saved: {e}")))?;
        self.put_setting(tunnel::KEY_TUNNEL, Some(&stored)).await?;
        let own = match &setting {
            TunnelSetting::Own { url } => Some(url.as_str()),
            _ => None,
        };
        self.put_setting(config::KEY_PUBLIC_URL, own).await?;
        // The previous mode's URL says nothing about the new one.
        self.put_setting(tunnel::KEY_TUNNEL_URL, None).await?;
        self.put_setting(KEY_TUNNEL_LAST_ERROR, None).await?;
        if let Some(url) = setting.fixed_url() {
            self.note_public_url(&url).await?;
        }
        let revision = uuid::Uuid::new_v4().to_string();
        self.put_setting(tunnel::KEY_TUNNEL_REVISION, Some(&revision))
            .await?;
        self.notify(ChangeEvent::Tunnel);
        Ok(setting)
    }

    /// Which `set_tunnel` the setting comes from; `None` before the first.
    pub async fn tunnel_revision(&self) -> Result<Option<String>, DeskError> {
        Ok(self.setting(tunnel::KEY_TUNNEL_REVISION).await?)
    }

    /// A tunnel's secret from the keychain (`tunnel:cloudflared`, `tunnel:ngrok`).
    pub(crate) async fn tunnel_secret(
        &self,
        account: &'static str,
    ) -> Result<Option<String>, TunnelError> {
        let keychain = self.keychain.clone();
        Ok(tokio::task::spawn_blocking(move || keychain.get(account))
            .await
            .map_err(|e| TunnelError::Failed(e.to_string()))??)
    }

    async fn keychain_set(&self, account: &'static str, secret: String) -> Result<(), TunnelError> {
        let keychain = self.keychain.clone();
        Ok(
            tokio::task::spawn_blocking(move || keychain.set(account, &secret))
                .await
                .map_err(|e| TunnelError::Failed(e.to_string()))??,
        )
    }

    /// Remembers the https public URL now in effect; when it differs from the last one, the
    /// change is kept until the admin says Okta was updated ([`Desk::acknowledge_url_change`]).
    pub(crate) async fn note_public_url(&self, url: &str) -> Result<(), StoreError> {
        let writes = public_url_writes(&self.settings().await?, url);
        self.put_settings(&writes).await
    }

    /// The admin updated the base URL in Okta: stop saying it changed.
    pub async fn acknowledge_url_change(&self) -> Result<(), DeskError> {
        self.put_setting(tunnel::KEY_CHANGED_FROM, None).await?;
        self.notify(ChangeEvent::Tunnel);
        Ok(())
    }

    /// Publishes the manager's state for other processes (`scimdesk tunnel status`, the app),
    /// and follows the URL when the tunnel comes online.
    pub(crate) async fn record_tunnel_state(&self, state: &TunnelState) -> Result<(), StoreError> {
        let persisted = PersistedState {
            pid: std::process::id(),
            state: state.clone(),
        };
        let json = serde_json::to_string(&persisted).unwrap_or_default();
        let mut writes = vec![(tunnel::KEY_TUNNEL_STATE, Some(json))];
        match state {
            TunnelState::Online { url } => {
                let settings = self.settings().await?;
                // Only while a managed tunnel is still the setting: after a switch to the admin's
                // own URL, a tunnel still running until it is stopped must not take over again.
                if tunnel_setting_from(&settings).is_managed() {
                    writes.push((tunnel::KEY_TUNNEL_URL, Some(url.clone())));
                    writes.extend(public_url_writes(&settings, url));
                }
            }
            TunnelState::Failed { reason, .. } => {
                writes.push((KEY_TUNNEL_LAST_ERROR, Some(reason.clone())));
            }
            TunnelState::Off | TunnelState::Starting => {}
        }
        // One transaction, so that another process never sees the tunnel online at a new URL
        // before the URL change is recorded.
        self.put_settings(&writes).await?;
        self.notify(ChangeEvent::Tunnel);
        Ok(())
    }

    /// Where the public URL stands, for the app's Public URL card and `scimdesk tunnel status`.
    pub async fn tunnel_status(&self) -> Result<TunnelStatus, DeskError> {
        let settings = self.settings().await?;
        let setting = tunnel_setting_from(&settings);
        let config = self.config().await?;
        let state = match setting.is_managed() {
            true => settings
                .get(tunnel::KEY_TUNNEL_STATE)
                .and_then(|s| serde_json::from_str::<PersistedState>(s).ok())
                .filter(|p| tunnel::process_alive(p.pid))
                .map(|p| p.state)
                .unwrap_or(TunnelState::Off),
            false => TunnelState::Off,
        };
        let public_url = config.effective_public_url();
        let reachable_by_okta = config.public_url.is_some() && public_url.starts_with("https://");
        let url_changed = match settings.get(tunnel::KEY_CHANGED_FROM) {
            Some(from) => {
                let to = settings
                    .get(tunnel::KEY_SEEN_URL)
                    .cloned()
                    .unwrap_or_else(|| public_url.clone());
                // Each connection's base URL at the new public URL, in the one format there is.
                let at_new_url = Config {
                    public_url: Some(to.clone()),
                    ..config.clone()
                };
                let base_urls = self
                    .connections()
                    .list()
                    .await?
                    .into_iter()
                    .map(|c| NewBaseUrl {
                        base_url: at_new_url.base_url(&c.id),
                        connection_id: c.id,
                        name: c.name,
                    })
                    .collect();
                Some(UrlChange {
                    from: from.clone(),
                    to,
                    base_urls,
                })
            }
            None => None,
        };
        Ok(TunnelStatus {
            mode: setting.mode(),
            stable: setting.is_stable(),
            setting,
            state,
            public_url,
            reachable_by_okta,
            last_error: settings.get(KEY_TUNNEL_LAST_ERROR).cloned(),
            url_changed,
        })
    }

    /// The Okta rehearsal of one connection, through its public base URL with its token from
    /// the keychain. Creates nothing.
    pub async fn rehearse(&self, id_or_name: &str) -> Result<Rehearsal, DeskError> {
        let connection = self.connections().find(id_or_name).await?;
        let token = self.connections().token(&connection.id).await?;
        let config = self.config().await?;
        let base_url = config.base_url(&connection.id);
        let client = tunnel::rehearsal::client()?;
        let mut rehearsal =
            tunnel::rehearsal::rehearse(&client, &base_url, &token, &config.listen.to_string())
                .await;
        let setting = self.tunnel_setting().await?;
        let status = self.tunnel_status().await?;
        let tunnel_offline = setting.is_managed() && status.state.url().is_none();
        rehearsal.reachable_by_okta =
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

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.settings.get(key).await
    }

    async fn settings(&self) -> Result<HashMap<String, String>, StoreError> {
        self.settings.all().await
    }

    /// Several settings in one transaction; `None` removes a key.
    async fn put_settings(&self, writes: &[(&str, Option<String>)]) -> Result<(), StoreError> {
        self.settings.put(writes).await
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
    let setting = tunnel_setting_from(settings);
    // A quick tunnel's or a domain-less ngrok URL is only known once it is online; until it
    // comes online again the last one it had is the best answer.
    let public_url = setting.fixed_url().or_else(|| match setting.is_managed() {
        true => settings.get(tunnel::KEY_TUNNEL_URL).cloned(),
        false => None,
    });
    let okta_enabled = match settings.get(config::KEY_OKTA_ENABLED) {
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
    Ok(Config {
        listen,
        allow_remote,
        public_url,
        okta_enabled,
        rate_limit,
        activity_retention,
    })
}

/// The tunnel setting from the settings table. Before tunnels were a setting, a public URL alone
/// meant the admin's own tunnel, and it still does.
fn tunnel_setting_from(settings: &HashMap<String, String>) -> TunnelSetting {
    let own = settings.get(config::KEY_PUBLIC_URL);
    match settings
        .get(tunnel::KEY_TUNNEL)
        .and_then(|s| serde_json::from_str::<TunnelSetting>(s).ok())
    {
        Some(TunnelSetting::Own { url }) => TunnelSetting::Own {
            url: own.cloned().unwrap_or(url),
        },
        Some(other) => other,
        None => match own {
            Some(url) => TunnelSetting::Own { url: url.clone() },
            None => TunnelSetting::None,
        },
    }
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

/// The settings that record `url` as the public URL now in effect (https only): the URL seen,
/// and the URL Okta still has when this one differs from it.
fn public_url_writes(
    settings: &HashMap<String, String>,
    url: &str,
) -> Vec<(&'static str, Option<String>)> {
    if !url.starts_with("https://") {
        return Vec::new();
    }
    let seen = settings.get(tunnel::KEY_SEEN_URL);
    let changed_from = settings.get(tunnel::KEY_CHANGED_FROM);
    let mut writes = Vec::new();
    match (seen, changed_from) {
        // Back to the URL Okta has: nothing to update any more.
        (_, Some(from)) if from == url => writes.push((tunnel::KEY_CHANGED_FROM, None)),
        // Okta still has the first URL of a series of changes: keep that one.
        (Some(old), None) if old != url => {
            writes.push((tunnel::KEY_CHANGED_FROM, Some(old.clone())))
        }
        _ => {}
    }
    writes.push((tunnel::KEY_SEEN_URL, Some(url.to_owned())));
    writes
}
