//! The tunnel's part of the data directory: the setting and its validation, the secrets in the
//! keychain, the state a running tunnel publishes for other processes, and the record of a
//! public URL that changed under Okta's feet. [`TunnelStore`] is what the manager is fed (it
//! reads the setting and secrets, and publishes its states here) and what `Desk` hands the app
//! and the CLI; it knows nothing of `Desk`.

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::broadcast;

use super::{
    parse_hostname, NewBaseUrl, PersistedState, TunnelError, TunnelSetting, TunnelState,
    TunnelStatus, UrlChange, ACCOUNT_CLOUDFLARED, ACCOUNT_NGROK, KEY_CHANGED_FROM, KEY_SEEN_URL,
    KEY_TUNNEL, KEY_TUNNEL_REVISION, KEY_TUNNEL_STATE, KEY_TUNNEL_URL,
};
use crate::config::{self, Config};
use crate::connections::keychain::Keychain;
use crate::connections::server_secrets::SecretsPlace;
use crate::connections::Connection;
use crate::db::StoreError;
use crate::events::ChangeEvent;
use crate::reachability::{Cause, Reachability};
use crate::settings::Settings;

/// Where the last tunnel error is kept for `tunnel status`.
const KEY_TUNNEL_LAST_ERROR: &str = "tunnel_last_error";

/// The tunnel setting, secrets and published state of one data directory.
#[derive(Clone)]
pub struct TunnelStore {
    settings: Settings,
    keychain: Arc<dyn Keychain>,
    events: broadcast::Sender<ChangeEvent>,
    /// Where a tunnel that is down, or a public URL Okta does not have yet, is recorded as a
    /// window in which Okta could not reach SCIM Desk.
    reachability: Reachability,
    /// Server mode: where the operator puts the secrets (the keychain is then read-only).
    server_secrets: Option<SecretsPlace>,
}

impl TunnelStore {
    pub fn new(
        settings: Settings,
        keychain: Arc<dyn Keychain>,
        events: broadcast::Sender<ChangeEvent>,
        reachability: Reachability,
    ) -> TunnelStore {
        TunnelStore {
            settings,
            keychain,
            events,
            reachability,
            server_secrets: None,
        }
    }

    /// In server mode: a missing secret's error says which variable or file to set.
    pub fn with_server_secrets(mut self, place: SecretsPlace) -> TunnelStore {
        self.server_secrets = Some(place);
        self
    }

    /// The error of a tunnel secret that is not there.
    pub fn missing_secret(&self, account: &'static str) -> TunnelError {
        match (&self.server_secrets, account) {
            (Some(place), ACCOUNT_CLOUDFLARED) => TunnelError::ServerSecretMissing {
                what: "the named cloudflared tunnel's token",
                place: place.where_to_put(account),
            },
            (Some(place), _) => TunnelError::ServerSecretMissing {
                what: "ngrok's authtoken",
                place: place.where_to_put(account),
            },
            (None, ACCOUNT_CLOUDFLARED) => TunnelError::CloudflaredNoToken,
            (None, _) => TunnelError::NgrokNoAuthtoken,
        }
    }

    /// Where the public URL comes from now.
    pub async fn setting(&self) -> Result<TunnelSetting, StoreError> {
        Ok(setting_from(&self.settings.all().await?))
    }

    /// Changes where the public URL comes from. `secret` is a named tunnel's token (cloudflared)
    /// or the authtoken (ngrok), kept in the keychain; without one, the one already there is
    /// used, and its absence is an error that says where to get one. A running endpoint follows
    /// the change within a second or two (see `TunnelSupervisor`).
    pub async fn set(
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
                let hostname = hostname.as_deref().map(parse_hostname).transpose()?;
                match (&hostname, secret) {
                    (None, Some(_)) => return Err(TunnelError::CloudflaredNoHostname),
                    (Some(_), Some(token)) => self.keep_secret(ACCOUNT_CLOUDFLARED, token).await?,
                    (Some(_), None) => {
                        if self.secret(ACCOUNT_CLOUDFLARED).await?.is_none() {
                            return Err(self.missing_secret(ACCOUNT_CLOUDFLARED));
                        }
                    }
                    (None, None) => {}
                }
                TunnelSetting::Cloudflared { hostname }
            }
            TunnelSetting::Ngrok { domain } => {
                let domain = domain.as_deref().map(parse_hostname).transpose()?;
                match secret {
                    Some(token) => self.keep_secret(ACCOUNT_NGROK, token).await?,
                    None => {
                        if self.secret(ACCOUNT_NGROK).await?.is_none() {
                            return Err(self.missing_secret(ACCOUNT_NGROK));
                        }
                    }
                }
                TunnelSetting::Ngrok { domain }
            }
        };
        let stored = serde_json::to_string(&setting)
            .map_err(|e| TunnelError::Failed(format!("the setting could not be saved: {e}")))?;
        let own = match &setting {
            TunnelSetting::Own { url } => Some(url.clone()),
            _ => None,
        };
        let mut writes = vec![
            (KEY_TUNNEL, Some(stored)),
            (config::KEY_PUBLIC_URL, own),
            // The previous mode's URL says nothing about the new one.
            (KEY_TUNNEL_URL, None),
            (KEY_TUNNEL_LAST_ERROR, None),
        ];
        if let Some(url) = setting.fixed_url() {
            writes.extend(public_url_writes(&self.settings.all().await?, &url));
        }
        writes.push((KEY_TUNNEL_REVISION, Some(uuid::Uuid::new_v4().to_string())));
        self.put(&writes).await?;
        let _ = self.events.send(ChangeEvent::Tunnel);
        Ok(setting)
    }

    /// Writes the tunnel's settings in one transaction. A public URL Okta does not have yet
    /// (a change not yet acknowledged) keeps Okta out until the admin updates it there: it opens
    /// a reachability window, and its end (back to the URL Okta has) closes it.
    async fn put(&self, writes: &[(&'static str, Option<String>)]) -> Result<(), StoreError> {
        self.settings.put(writes).await?;
        if let Some((_, from)) = writes.iter().find(|(key, _)| *key == KEY_CHANGED_FROM) {
            let now = OffsetDateTime::now_utc();
            self.reachability
                .condition(Cause::UrlChanged, from.is_some(), now)
                .await?;
        }
        Ok(())
    }

    /// Which [`Self::set`] the setting comes from; `None` before the first.
    pub async fn revision(&self) -> Result<Option<String>, StoreError> {
        self.settings.get(KEY_TUNNEL_REVISION).await
    }

    /// A tunnel's secret from the keychain (`tunnel:cloudflared`, `tunnel:ngrok`).
    pub async fn secret(&self, account: &'static str) -> Result<Option<String>, TunnelError> {
        let keychain = self.keychain.clone();
        Ok(tokio::task::spawn_blocking(move || keychain.get(account))
            .await
            .map_err(|e| TunnelError::Failed(e.to_string()))??)
    }

    async fn keep_secret(&self, account: &'static str, secret: String) -> Result<(), TunnelError> {
        let keychain = self.keychain.clone();
        Ok(
            tokio::task::spawn_blocking(move || keychain.set(account, &secret))
                .await
                .map_err(|e| TunnelError::Failed(e.to_string()))??,
        )
    }

    /// The admin updated the base URL in Okta: stop saying it changed.
    pub async fn acknowledge_url_change(&self) -> Result<(), StoreError> {
        self.put(&[(KEY_CHANGED_FROM, None)]).await?;
        let _ = self.events.send(ChangeEvent::Tunnel);
        Ok(())
    }

    /// Publishes a running tunnel's state for other processes (`scimdesk tunnel status`, the
    /// app), and follows the URL when the tunnel comes online.
    pub async fn record_state(&self, state: &TunnelState) -> Result<(), StoreError> {
        let persisted = PersistedState {
            pid: std::process::id(),
            state: state.clone(),
        };
        let json = serde_json::to_string(&persisted).unwrap_or_default();
        let mut writes = vec![(KEY_TUNNEL_STATE, Some(json))];
        match state {
            TunnelState::Online { url } => {
                let settings = self.settings.all().await?;
                // Only while a managed tunnel is still the setting: after a switch to the admin's
                // own URL, a tunnel still running until it is stopped must not take over again.
                if setting_from(&settings).is_managed() {
                    writes.push((KEY_TUNNEL_URL, Some(url.clone())));
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
        self.put(&writes).await?;
        // Okta cannot reach SCIM Desk while the tunnel is down: a reachability window.
        let down = match state {
            TunnelState::Failed { .. } => Some(true),
            TunnelState::Online { .. } | TunnelState::Off => Some(false),
            TunnelState::Starting => None,
        };
        if let Some(down) = down {
            let now = OffsetDateTime::now_utc();
            self.reachability
                .condition(Cause::TunnelDown, down, now)
                .await?;
        }
        let _ = self.events.send(ChangeEvent::Tunnel);
        Ok(())
    }

    /// Where the public URL stands under `config`, for the app's Public URL card and
    /// `scimdesk tunnel status`; after a change of URL, each of `connections`' new base URL.
    pub async fn status(
        &self,
        config: &Config,
        connections: &[Connection],
    ) -> Result<TunnelStatus, StoreError> {
        let settings = self.settings.all().await?;
        // The public URL from the same read as the state: a `config` read a moment earlier may
        // predate the tunnel coming online, and "online" must never be shown beside the old URL.
        let config = &Config {
            public_url: public_url_from(&settings),
            ..config.clone()
        };
        let setting = setting_from(&settings);
        let state = match setting.is_managed() {
            true => settings
                .get(KEY_TUNNEL_STATE)
                .and_then(|s| serde_json::from_str::<PersistedState>(s).ok())
                .filter(|p| super::process_alive(p.pid))
                .map(|p| p.state)
                .unwrap_or(TunnelState::Off),
            false => TunnelState::Off,
        };
        let public_url = config.effective_public_url();
        let reachable_by_okta = config.public_url.is_some() && public_url.starts_with("https://");
        let url_changed = settings.get(KEY_CHANGED_FROM).map(|from| {
            let to = settings
                .get(KEY_SEEN_URL)
                .cloned()
                .unwrap_or_else(|| public_url.clone());
            // Each connection's base URL at the new public URL, in the one format there is.
            let at_new_url = Config {
                public_url: Some(to.clone()),
                ..config.clone()
            };
            let base_urls = connections
                .iter()
                .map(|c| NewBaseUrl {
                    base_url: at_new_url.base_url(&c.id),
                    connection_id: c.id.clone(),
                    name: c.name.clone(),
                })
                .collect();
            UrlChange {
                from: from.clone(),
                to,
                base_urls,
            }
        });
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
}

/// The tunnel setting from the settings table. Before tunnels were a setting, a public URL alone
/// meant the admin's own tunnel, and it still does.
pub fn setting_from(settings: &HashMap<String, String>) -> TunnelSetting {
    let own = settings.get(config::KEY_PUBLIC_URL);
    match settings
        .get(KEY_TUNNEL)
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

/// The public URL the settings say is in effect: a fixed one (the admin's own, a named tunnel's
/// hostname), or the URL a managed tunnel last came online at (a quick tunnel's is only known
/// once it is online; until it comes online again the last one it had is the best answer).
pub fn public_url_from(settings: &HashMap<String, String>) -> Option<String> {
    let setting = setting_from(settings);
    setting.fixed_url().or_else(|| match setting.is_managed() {
        true => settings.get(KEY_TUNNEL_URL).cloned(),
        false => None,
    })
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
    let seen = settings.get(KEY_SEEN_URL);
    let changed_from = settings.get(KEY_CHANGED_FROM);
    let mut writes = Vec::new();
    match (seen, changed_from) {
        // Back to the URL Okta has: nothing to update any more.
        (_, Some(from)) if from == url => writes.push((KEY_CHANGED_FROM, None)),
        // Okta still has the first URL of a series of changes: keep that one.
        (Some(old), None) if old != url => writes.push((KEY_CHANGED_FROM, Some(old.clone()))),
        _ => {}
    }
    writes.push((KEY_SEEN_URL, Some(url.to_owned())));
    writes
}
