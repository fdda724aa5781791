//! Settings of a data directory: where the endpoint listens and the public URL Okta reaches it by.
//!
//! Stored in the `settings` table of the directory's database, so the desktop app and a CLI that
//! share a data directory see the same values. Secrets never live here.

use std::net::SocketAddr;

use serde::Serialize;
use url::Url;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8742";

pub const KEY_LISTEN: &str = "listen";
pub const KEY_PUBLIC_URL: &str = "public_url";
/// Whether the Okta integration answers at all; absent means on.
pub const KEY_OKTA_ENABLED: &str = "okta_enabled";

/// The settings as the CLI shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    pub listen: SocketAddr,
    /// The tunnel's or reverse proxy's URL, without a trailing slash; `None` means the endpoint
    /// is only reachable on this machine.
    pub public_url: Option<String>,
    /// Off: every connection's requests get a SCIM error; nothing is deleted.
    pub okta_enabled: bool,
}

impl Config {
    /// The URL base URLs are built from: the public URL when one is set, else the listen address.
    pub fn effective_public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}", self.listen),
        }
    }

    /// `<public URL>/scim/v2/<connection id>`: what the admin pastes into Okta.
    pub fn base_url(&self, connection_id: &str) -> String {
        format!("{}/scim/v2/{}", self.effective_public_url(), connection_id)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("'{0}' is not an address to listen on: give an IP address and a port, such as 127.0.0.1:8742")]
    BadListen(String),
    #[error("'{value}' cannot be the public URL: {reason}")]
    BadPublicUrl { value: String, reason: String },
    #[error("there is no setting named '{0}'; the settings are 'listen', 'public-url' and 'okta'")]
    UnknownKey(String),
    #[error("'{0}' is not on or off")]
    BadSwitch(String),
}

/// `on`/`off` (also `true`/`false`, `yes`/`no`, `1`/`0`).
pub fn parse_switch(value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(ConfigError::BadSwitch(value.to_owned())),
    }
}

pub fn parse_listen(value: &str) -> Result<SocketAddr, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError::BadListen(value.to_owned()))
}

/// Checks a public URL the way Okta will use it and returns it without a trailing slash.
///
/// Okta requires HTTPS and refuses base URLs containing `_`. Plain HTTP is allowed only for
/// loopback hosts, which is useful for rehearsals on this machine and never reaches Okta.
pub fn parse_public_url(value: &str) -> Result<String, ConfigError> {
    let bad = |reason: &str| ConfigError::BadPublicUrl {
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = value.trim();
    let url = Url::parse(trimmed).map_err(|_| bad("it is not a URL (expected https://host)"))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    if host.is_empty() {
        return Err(bad("it has no host name"));
    }
    let loopback = host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(bad(
                "Okta only calls HTTPS URLs; use the https:// address of your tunnel",
            ))
        }
        _ => return Err(bad("it must start with https://")),
    }
    if trimmed.contains('_') {
        return Err(bad("Okta rejects base URLs that contain '_'"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query (?…) or a fragment (#…)"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("it must not carry a user name or password"));
    }
    let path = url.path().trim_end_matches('/');
    if path.contains("/scim/v2") {
        return Err(bad(
            "give only the tunnel's address; SCIM Desk adds /scim/v2/<connection> itself",
        ));
    }
    let mut out = format!("{}://{}", url.scheme(), host);
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(path);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_is_normalised_and_checked() {
        assert_eq!(
            parse_public_url(" https://Desk.Example.com/ ").unwrap(),
            "https://desk.example.com"
        );
        assert_eq!(
            parse_public_url("https://proxy.example:8443/okta").unwrap(),
            "https://proxy.example:8443/okta"
        );
        assert_eq!(
            parse_public_url("http://127.0.0.1:9000").unwrap(),
            "http://127.0.0.1:9000"
        );
        for bad in [
            "http://desk.example.com",
            "ftp://desk.example.com",
            "https://my_desk.example.com",
            "https://desk.example.com/?a=1",
            "https://desk.example.com/scim/v2/abc",
            "desk.example.com",
            "",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn base_url_uses_public_url_then_listen() {
        let mut c = Config {
            listen: "127.0.0.1:8742".parse().unwrap(),
            public_url: None,
            okta_enabled: true,
        };
        assert_eq!(c.base_url("abc"), "http://127.0.0.1:8742/scim/v2/abc");
        c.public_url = Some("https://t.example".into());
        assert_eq!(c.base_url("abc"), "https://t.example/scim/v2/abc");
        assert!(parse_listen("nope").is_err());
    }

    #[test]
    fn switches_read_on_and_off() {
        assert_eq!(parse_switch(" On "), Ok(true));
        assert_eq!(parse_switch("false"), Ok(false));
        assert!(parse_switch("maybe").is_err());
    }
}
