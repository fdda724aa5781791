//! Where the public URL comes from: none, the admin's own tunnel, a managed `cloudflared`, or
//! ngrok embedded in-process.
//!
//! This module holds the setting (stored in the `settings` table beside `listen`; secrets in the
//! keychain under `tunnel:cloudflared` and `tunnel:ngrok`), the tunnel's state as the app and
//! `scimdesk tunnel status` show it, and the record of a public URL that changed under Okta's
//! feet; [`store`] reads and writes them, validating a new setting. The running part is in
//! [`manager`] (lifecycle, backoff), which is fed a [`store::TunnelStore`] and drives a
//! [`runner::Runner`], implemented once per tool ([`cloudflared`], [`ngrok`]); [`rehearsal`]
//! replays Okta's read-only requests through the public URL. Nothing here knows about Tauri or
//! `Desk`, and nothing here serves HTTP.

pub mod cloudflared;
pub mod manager;
pub mod ngrok;
pub mod rehearsal;
pub mod runner;
pub mod store;

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::config::{self, ConfigError};
use crate::connections::keychain::KeychainError;

/// The mode, as JSON; the own URL stays in `public_url`, where it always was.
pub const KEY_TUNNEL: &str = "tunnel";
/// The URL the managed tunnel last came online at (cleared when the mode changes).
pub const KEY_TUNNEL_URL: &str = "tunnel_url";
/// Changes at every `set_tunnel`, so a running endpoint notices a new choice (or a new secret).
pub const KEY_TUNNEL_REVISION: &str = "tunnel_revision";
/// The last https public URL in effect, to notice a change.
pub const KEY_SEEN_URL: &str = "public_url_seen";
/// The public URL Okta was (presumably) given before it changed; cleared by `tunnel ack`.
pub const KEY_CHANGED_FROM: &str = "public_url_changed_from";
/// The manager's last published state, with the serving process's id.
pub const KEY_TUNNEL_STATE: &str = "tunnel_state";

/// Keychain accounts of the tunnels' secrets (connection tokens use the connection id).
pub const ACCOUNT_CLOUDFLARED: &str = "tunnel:cloudflared";
pub const ACCOUNT_NGROK: &str = "tunnel:ngrok";

/// Where the public URL comes from. Secrets are not part of it: they are in the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum TunnelSetting {
    /// Base URLs use the loopback address: Okta cannot reach them.
    None,
    /// A tunnel or reverse proxy the admin runs, at this https URL.
    Own { url: String },
    /// `cloudflared`, run by SCIM Desk. With a hostname it is a named tunnel whose token is in
    /// the keychain; without, a quick tunnel whose URL changes at every start.
    Cloudflared {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hostname: Option<String>,
    },
    /// ngrok in-process, with the authtoken in the keychain and an optional reserved domain.
    Ngrok {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
    },
}

impl TunnelSetting {
    /// `none`, `own`, `cloudflared` or `ngrok`.
    pub fn mode(&self) -> &'static str {
        match self {
            TunnelSetting::None => "none",
            TunnelSetting::Own { .. } => "own",
            TunnelSetting::Cloudflared { .. } => "cloudflared",
            TunnelSetting::Ngrok { .. } => "ngrok",
        }
    }

    /// Whether SCIM Desk runs this tunnel itself (and so has a state to show).
    pub fn is_managed(&self) -> bool {
        matches!(
            self,
            TunnelSetting::Cloudflared { .. } | TunnelSetting::Ngrok { .. }
        )
    }

    /// The public URL known without running anything: the own URL, a named tunnel's hostname,
    /// an ngrok reserved domain. `None` when only the running tunnel can tell.
    pub fn fixed_url(&self) -> Option<String> {
        match self {
            TunnelSetting::None => None,
            TunnelSetting::Own { url } => Some(url.clone()),
            TunnelSetting::Cloudflared { hostname } => {
                hostname.as_ref().map(|h| format!("https://{h}"))
            }
            TunnelSetting::Ngrok { domain } => domain.as_ref().map(|d| format!("https://{d}")),
        }
    }

    /// Whether the URL survives a restart; if not, the admin is told how to get one that does.
    pub fn is_stable(&self) -> bool {
        !matches!(
            self,
            TunnelSetting::Cloudflared { hostname: None } | TunnelSetting::Ngrok { domain: None }
        )
    }
}

/// The managed tunnel's state, as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TunnelState {
    Off,
    Starting,
    Online {
        url: String,
    },
    Failed {
        reason: String,
        /// When the next attempt starts (RFC 3339 UTC); none once stopped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_at: Option<String>,
    },
}

impl TunnelState {
    pub fn url(&self) -> Option<&str> {
        match self {
            TunnelState::Online { url } => Some(url),
            _ => None,
        }
    }
}

/// Why a tunnel cannot be set or started. The messages say what to fix, not which command or
/// control does it: the app shows them too (a failed tunnel's reason). The CLI adds its commands
/// (`cli::wording::tunnel_error`), the app its own words for a refused setting
/// (`views::tunnel_error`).
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Keychain(#[from] KeychainError),
    #[error(
        "SCIM Desk listens on {0}, which is not a loopback address; a tunnel must only forward \
         to this machine, so SCIM Desk must listen on loopback (such as 127.0.0.1:8742) to use one"
    )]
    NotLoopback(SocketAddr),
    #[error(
        "cloudflared is not installed (it is not on PATH). Install it from Cloudflare: the \
         packages at https://pkg.cloudflare.com (Debian and Ubuntu; it is not in Debian's own \
         archive) or a release from https://github.com/cloudflare/cloudflared/releases, or point \
         SCIMDESK_CLOUDFLARED at the executable"
    )]
    CloudflaredMissing,
    #[error("SCIMDESK_CLOUDFLARED is set to {0}, which is not an executable file")]
    CloudflaredBadPath(String),
    #[error(
        "a named cloudflared tunnel needs its token, and none is in the keychain: copy it from \
         the Cloudflare dashboard (Zero Trust > Networks > Tunnels) and set it with the tunnel"
    )]
    CloudflaredNoToken,
    #[error(
        "a named cloudflared tunnel needs the public hostname its route points at (cloudflared \
         does not report it)"
    )]
    CloudflaredNoHostname,
    #[error(
        "ngrok needs an authtoken, and none is in the keychain: copy yours from \
         https://dashboard.ngrok.com/get-started/your-authtoken and set it with the tunnel"
    )]
    NgrokNoAuthtoken,
    /// Server mode: the tunnel's secret is not among the operator's variables and files.
    #[error("{what} is not set: SCIM Desk runs in server mode, where it reads secrets and never stores them: {place}, then restart SCIM Desk")]
    ServerSecretMissing { what: &'static str, place: String },
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Database(#[from] crate::db::StoreError),
}

/// Checks a bare host name (a named tunnel's hostname, an ngrok domain): `tunnel.example.com`,
/// no scheme, port or path, and no `_` (Okta rejects it).
pub fn parse_hostname(value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim().trim_end_matches('/');
    let bare = trimmed.strip_prefix("https://").unwrap_or(trimmed);
    let bad = |reason: &str| ConfigError::BadPublicUrl {
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    if bare.is_empty() || bare.contains(['/', ':', '?', '#', '@']) {
        return Err(bad(
            "give only the host name, such as scim.example.com (no scheme, port or path)",
        ));
    }
    let url = config::parse_public_url(&format!("https://{bare}"))?;
    Ok(url.trim_start_matches("https://").to_owned())
}

/// The address a tunnel forwards to: always this machine. A listener on a non-loopback address
/// is refused rather than tunnelled, since the tunnel would then publish a port that is already
/// exposed on the network.
pub fn forward_target(listen: SocketAddr) -> Result<String, TunnelError> {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => Ok(format!("http://{ip}:{}", listen.port())),
        IpAddr::V6(ip) if ip.is_loopback() => Ok(format!("http://[{ip}]:{}", listen.port())),
        _ => Err(TunnelError::NotLoopback(listen)),
    }
}

/// Removes every occurrence of `secret` from `text`, for reasons built from a tool's output.
pub(crate) fn redact(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if s.len() >= 4 => text.replace(s, "[redacted]"),
        _ => text.to_owned(),
    }
}

/// Where the public URL stands: what `scimdesk tunnel status` and the app's Public URL card and
/// URL-change banner are made from. States and values only: each front end words them (the CLI in
/// `cli.rs`, the app in its own components).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TunnelStatus {
    #[ts(type = "\"none\" | \"own\" | \"cloudflared\" | \"ngrok\"")]
    pub mode: &'static str,
    /// The setting itself (mode and non-secret options).
    pub setting: TunnelSetting,
    /// The managed tunnel's state; `off` when SCIM Desk is not serving or runs no tunnel.
    pub state: TunnelState,
    /// The URL base URLs are built from now.
    pub public_url: String,
    /// Whether Okta can reach that URL at all (false for loopback).
    pub reachable_by_okta: bool,
    /// Whether the URL survives a restart of the tunnel; if not, a stable choice is worth advising.
    pub stable: bool,
    pub last_error: Option<String>,
    /// Set when the public URL changed since it was last acknowledged.
    pub url_changed: Option<UrlChange>,
}

/// The public URL changed under Okta's feet: Okta still calls `from` until the admin pastes each
/// connection's new base URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UrlChange {
    pub from: String,
    pub to: String,
    /// Every connection's base URL at `to`, the values to paste into Okta.
    pub base_urls: Vec<NewBaseUrl>,
}

/// One connection's base URL after a URL change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NewBaseUrl {
    pub connection_id: String,
    pub name: String,
    pub base_url: String,
}

/// The persisted state of the running manager, so another process can show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PersistedState {
    pub pid: u32,
    pub state: TunnelState,
}

/// Whether the process that wrote a state still runs. Where that cannot be checked the state
/// is believed.
pub(crate) fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_are_bare_and_okta_safe() {
        assert_eq!(
            parse_hostname("SCIM.Example.com").unwrap(),
            "scim.example.com"
        );
        assert_eq!(
            parse_hostname("https://scim.example.com/").unwrap(),
            "scim.example.com"
        );
        for bad in [
            "",
            "scim_desk.example.com",
            "scim.example.com/okta",
            "scim.example.com:8443",
            "http://scim.example.com",
        ] {
            assert!(parse_hostname(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn tunnels_forward_to_loopback_only() {
        assert_eq!(
            forward_target("127.0.0.1:8742".parse().unwrap()).unwrap(),
            "http://127.0.0.1:8742"
        );
        assert_eq!(
            forward_target("[::1]:8742".parse().unwrap()).unwrap(),
            "http://[::1]:8742"
        );
        for addr in ["0.0.0.0:8742", "192.168.1.4:8742", "[::]:8742"] {
            let err = forward_target(addr.parse().unwrap()).unwrap_err();
            assert!(err.to_string().contains("not a loopback address"), "{err}");
        }
    }

    #[test]
    fn settings_round_trip_without_secrets() {
        let named = TunnelSetting::Cloudflared {
            hostname: Some("scim.example.com".into()),
        };
        let json = serde_json::to_string(&named).unwrap();
        assert_eq!(
            json,
            r#"{"mode":"cloudflared","hostname":"scim.example.com"}"#
        );
        assert_eq!(serde_json::from_str::<TunnelSetting>(&json).unwrap(), named);
        assert_eq!(
            named.fixed_url().as_deref(),
            Some("https://scim.example.com")
        );
        assert!(named.is_stable());
        assert!(!TunnelSetting::Cloudflared { hostname: None }.is_stable());
        assert!(!TunnelSetting::Ngrok { domain: None }.is_stable());
    }

    #[test]
    fn redaction_removes_the_secret() {
        assert_eq!(
            redact("bad token abcd1234 given", Some("abcd1234")),
            "bad token [redacted] given"
        );
        assert_eq!(redact("nothing", None), "nothing");
    }
}
