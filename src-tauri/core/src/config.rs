//! Settings of a data directory: where the endpoint listens, the public URL Okta reaches it by,
//! and how many requests a second one connection may send.
//!
//! Stored in the `settings` table of the directory's database, so the desktop app and a CLI that
//! share a data directory see the same values. Secrets never live here.

use std::net::SocketAddr;

use serde::Serialize;
use url::Url;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8742";

pub const KEY_LISTEN: &str = "listen";
/// `on` when the admin allowed `listen` to be an address other machines reach
/// (`config set listen ADDR --allow-remote`); absent means loopback only.
pub const KEY_LISTEN_ALLOW_REMOTE: &str = "listen_allow_remote";
pub const KEY_PUBLIC_URL: &str = "public_url";
/// Whether the Okta integration answers at all; absent means on.
pub const KEY_OKTA_ENABLED: &str = "okta_enabled";
/// Whether the Microsoft Entra ID integration answers at all; absent means on.
pub const KEY_ENTRA_ENABLED: &str = "entra_enabled";
pub const KEY_RATE_LIMIT: &str = "rate_limit";
pub const KEY_ACTIVITY_RETENTION_DAYS: &str = "activity_retention_days";
pub const KEY_ACTIVITY_RETENTION_LINES: &str = "activity_retention_lines";
/// `on` when the admin asked SCIM Desk to keep the computer awake while Okta can provision
/// (see `awake`); absent means off: nothing holds the computer awake unless asked.
pub const KEY_KEEP_AWAKE: &str = "keep_awake";
/// `on` once the app has asked the admin whether to start SCIM Desk at login (after the first
/// connection): it asks once, whatever the answer. Whether it *does* start at login is the
/// operating system's login entry, never a copy of it here.
pub const KEY_START_AT_LOGIN_OFFERED: &str = "start_at_login_offered";

/// How long the activity log keeps a line by default: half a year…
pub const DEFAULT_RETENTION_DAYS: u32 = 180;
/// …and at most this many lines (a line is a few hundred bytes: a few hundred MB at most).
pub const DEFAULT_RETENTION_LINES: u64 = 1_000_000;
/// The bounds accepted for `activity-retention-days` and `activity-retention-lines`.
pub const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 1..=36_500;
pub const RETENTION_LINES: std::ops::RangeInclusive<u64> = 100..=1_000_000_000;
pub const KEY_RATE_LIMIT_BURST: &str = "rate_limit_burst";
/// How often connections with Okta API access are reconciled by themselves (a dry run); absent
/// means daily.
pub const KEY_RECONCILE_SCHEDULE: &str = "reconcile_schedule";
/// `server` or `desktop` (absent): see [`ServerMode`].
pub const KEY_MODE: &str = "mode";
/// The directory server-mode secret files are read from (see
/// `connections::server_secrets`); absent means `$CREDENTIALS_DIRECTORY`.
pub const KEY_SECRETS_DIR: &str = "secrets_dir";

/// Whether SCIM Desk runs as a server (no desktop keychain): connection tokens are shown once
/// and only their digest is kept; tunnel and Okta API secrets come from environment variables
/// or files. On when `SCIMDESK_SERVER_MODE` says so, else when the `mode` setting is `server`.
/// Read when the desk opens: a change counts from the next start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServerMode {
    pub on: bool,
    /// `SCIMDESK_SERVER_MODE` decided it, whatever the setting says.
    pub from_env: bool,
    /// The database is PostgreSQL, shared by servers: server mode whatever else says (a
    /// keychain is one machine's, and every server must authenticate every connection).
    pub from_database: bool,
}

impl ServerMode {
    /// From `SCIMDESK_SERVER_MODE`'s value (`env`) and the `mode` setting.
    pub fn decide(env: Option<&str>, setting: Option<&str>) -> Result<ServerMode, ConfigError> {
        if let Some(value) = env.filter(|v| !v.trim().is_empty()) {
            let on =
                parse_switch(value).map_err(|_| ConfigError::BadServerModeEnv(value.to_owned()))?;
            return Ok(ServerMode {
                on,
                from_env: true,
                from_database: false,
            });
        }
        let on = match setting {
            Some(v) => parse_mode(v)?,
            None => false,
        };
        Ok(ServerMode {
            on,
            from_env: false,
            from_database: false,
        })
    }

    /// Server mode because the database is PostgreSQL.
    pub fn for_postgres() -> ServerMode {
        ServerMode {
            on: true,
            from_env: false,
            from_database: true,
        }
    }

    /// `server` or `desktop`.
    pub fn code(self) -> &'static str {
        if self.on {
            "server"
        } else {
            "desktop"
        }
    }
}

/// `server` (true) or `desktop` (false).
pub fn parse_mode(value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "server" => Ok(true),
        "desktop" => Ok(false),
        _ => Err(ConfigError::BadMode(value.to_owned())),
    }
}

/// An absolute directory path, or empty to clear.
pub fn parse_secrets_dir(value: &str) -> Result<Option<String>, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !std::path::Path::new(value).is_absolute() {
        return Err(ConfigError::BadSecretsDir(value.to_owned()));
    }
    Ok(Some(value.to_owned()))
}

/// How often SCIM Desk reconciles with Okta by itself (a dry run, for every connection with Okta
/// API access), while the app or `scimdesk serve` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
pub enum ReconcileSchedule {
    #[serde(rename = "off")]
    Off,
    #[serde(rename = "6h")]
    Every6Hours,
    #[serde(rename = "daily")]
    Daily,
    #[serde(rename = "weekly")]
    Weekly,
}

impl ReconcileSchedule {
    pub fn code(self) -> &'static str {
        match self {
            ReconcileSchedule::Off => "off",
            ReconcileSchedule::Every6Hours => "6h",
            ReconcileSchedule::Daily => "daily",
            ReconcileSchedule::Weekly => "weekly",
        }
    }

    /// `off`, `6h`, `daily` or `weekly`.
    pub fn parse(value: &str) -> Result<ReconcileSchedule, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "off" | "never" => Ok(ReconcileSchedule::Off),
            "6h" | "every-6-hours" | "every_6_hours" => Ok(ReconcileSchedule::Every6Hours),
            "daily" | "1d" => Ok(ReconcileSchedule::Daily),
            "weekly" | "7d" => Ok(ReconcileSchedule::Weekly),
            _ => Err(ConfigError::BadReconcileSchedule(value.to_owned())),
        }
    }

    /// The stored setting; daily when absent (or unreadable).
    pub fn from_setting(value: Option<&str>) -> ReconcileSchedule {
        value
            .and_then(|v| ReconcileSchedule::parse(v).ok())
            .unwrap_or(ReconcileSchedule::Daily)
    }

    /// The time between two runs; none when off.
    pub fn period(self) -> Option<std::time::Duration> {
        const HOUR: u64 = 3600;
        match self {
            ReconcileSchedule::Off => None,
            ReconcileSchedule::Every6Hours => Some(std::time::Duration::from_secs(6 * HOUR)),
            ReconcileSchedule::Daily => Some(std::time::Duration::from_secs(24 * HOUR)),
            ReconcileSchedule::Weekly => Some(std::time::Duration::from_secs(7 * 24 * HOUR)),
        }
    }
}

/// Whether the app shows desktop notifications when the admin must act; absent means on.
pub const KEY_NOTIFICATIONS: &str = "notifications";
/// When the app last notified of each kind (`notices::NoticeKind`), an RFC 3339 time: kept
/// here so that a restart does not repeat a notice within its hour.
pub const KEY_NOTIFIED_PUSH_FAILED: &str = "notified_push_failed";
pub const KEY_NOTIFIED_WINDOW_ENDED: &str = "notified_window_ended";
pub const KEY_NOTIFIED_DRIFT_FOUND: &str = "notified_drift_found";

/// `notifications` as stored: on unless it reads as off (a value written by hand that does not
/// parse is the default, on).
pub fn notifications_on(stored: Option<&str>) -> bool {
    stored.and_then(|v| parse_switch(v).ok()).unwrap_or(true)
}

/// Requests a second one connection may send by default. Okta's provisioning, a large import
/// included, sends far fewer (its own rate limits and a few parallel tasks per app keep it to
/// tens a second), and each SCIM write here is a synchronous SQLite commit that takes a few
/// milliseconds: 600 a second is beyond what the directory writes anyway, so only a runaway
/// client is ever slowed down.
pub const DEFAULT_RATE_LIMIT: u32 = 600;
/// The highest `rate-limit` or `rate-limit-burst` accepted.
pub const MAX_RATE_LIMIT: u32 = 1_000_000;

/// The settings as the CLI shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Config {
    pub listen: SocketAddr,
    /// The admin allowed `listen` to be reachable from the network (a server behind an HTTPS
    /// reverse proxy): see [`check_listen`].
    pub allow_remote: bool,
    /// The tunnel's or reverse proxy's URL, without a trailing slash; `None` means the endpoint
    /// is only reachable on this machine.
    pub public_url: Option<String>,
    /// Off: every Okta connection's requests get a SCIM error; nothing is deleted.
    pub okta_enabled: bool,
    /// Off: every Microsoft Entra ID connection's requests get a SCIM error; nothing is deleted.
    pub entra_enabled: bool,
    pub rate_limit: RateLimit,
    pub activity_retention: Retention,
    /// Hold a sleep inhibitor while Okta can provision (see `awake`).
    pub keep_awake: bool,
}

/// What the activity log keeps: lines younger than `days`, and of those the newest `lines`,
/// whichever is fewer. Older lines are pruned in the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Retention {
    pub days: u32,
    pub lines: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            days: DEFAULT_RETENTION_DAYS,
            lines: DEFAULT_RETENTION_LINES,
        }
    }
}

impl Retention {
    /// From the stored settings; a value that does not parse (written by hand) is the default.
    pub fn from_settings(days: Option<&str>, lines: Option<&str>) -> Self {
        Retention {
            days: days
                .and_then(|v| parse_retention_days(v).ok())
                .unwrap_or(DEFAULT_RETENTION_DAYS),
            lines: lines
                .and_then(|v| parse_retention_lines(v).ok())
                .unwrap_or(DEFAULT_RETENTION_LINES),
        }
    }
}

impl std::fmt::Display for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} days or {} lines, whichever is fewer",
            self.days,
            thousands(self.lines)
        )
    }
}

/// 1000000 as "1,000,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `activity-retention-days`: whole days, 1 to 36,500.
pub fn parse_retention_days(value: &str) -> Result<u32, ConfigError> {
    match value.trim().replace([',', '_'], "").parse::<u32>() {
        Ok(n) if RETENTION_DAYS.contains(&n) => Ok(n),
        _ => Err(ConfigError::BadRetentionDays(value.to_owned())),
    }
}

/// `activity-retention-lines`: a number of lines, 100 to 1,000,000,000.
pub fn parse_retention_lines(value: &str) -> Result<u64, ConfigError> {
    match value.trim().replace([',', '_'], "").parse::<u64>() {
        Ok(n) if RETENTION_LINES.contains(&n) => Ok(n),
        _ => Err(ConfigError::BadRetentionLines(value.to_owned())),
    }
}

/// The per-connection rate limit: a token bucket refilled at `per_second` requests a second
/// that holds at most `burst`. `per_second` 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::new(DEFAULT_RATE_LIMIT, None)
    }
}

impl RateLimit {
    /// `burst` defaults to one second's worth of requests.
    pub fn new(per_second: u32, burst: Option<u32>) -> Self {
        RateLimit {
            per_second,
            burst: burst.unwrap_or(per_second).max(1),
        }
    }

    pub fn is_off(&self) -> bool {
        self.per_second == 0
    }

    /// From the stored settings; a value that does not parse (written by hand) is the default.
    pub fn from_settings(per_second: Option<&str>, burst: Option<&str>) -> Self {
        let per_second = per_second
            .and_then(|v| parse_rate_limit(v).ok())
            .unwrap_or(DEFAULT_RATE_LIMIT);
        let burst = burst.and_then(|v| parse_burst(v).ok().flatten());
        RateLimit::new(per_second, burst)
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_off() {
            f.write_str("off")
        } else {
            write!(
                f,
                "{} requests/s per connection, bursts of {}",
                self.per_second, self.burst
            )
        }
    }
}

/// `rate-limit`: requests a second per connection; `off` or `0` disables the limit.
pub fn parse_rate_limit(value: &str) -> Result<u32, ConfigError> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    match v.parse::<u32>() {
        Ok(n) if n <= MAX_RATE_LIMIT => Ok(n),
        _ => Err(ConfigError::BadRateLimit(value.to_owned())),
    }
}

/// `rate-limit-burst`: how many requests may come at once; empty means the default (the rate).
pub fn parse_burst(value: &str) -> Result<Option<u32>, ConfigError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u32>() {
        Ok(n) if (1..=MAX_RATE_LIMIT).contains(&n) => Ok(Some(n)),
        _ => Err(ConfigError::BadBurst(value.to_owned())),
    }
}

impl Config {
    /// Whether `provider`'s switch is on: its connections are answered.
    pub fn provider_enabled(&self, provider: crate::connections::Provider) -> bool {
        match provider {
            crate::connections::Provider::Okta => self.okta_enabled,
            crate::connections::Provider::Entra => self.entra_enabled,
        }
    }

    /// The settings key of `provider`'s switch.
    pub fn provider_key(provider: crate::connections::Provider) -> &'static str {
        match provider {
            crate::connections::Provider::Okta => KEY_OKTA_ENABLED,
            crate::connections::Provider::Entra => KEY_ENTRA_ENABLED,
        }
    }

    /// The URL base URLs are built from: the public URL when one is set, else the listen address.
    pub fn effective_public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}", self.listen),
        }
    }

    /// `<public URL>/scim/v2/<connection id>`: what the admin pastes into Okta.
    pub fn base_url(&self, connection_id: &str) -> String {
        self.base_url_with(None, None, connection_id)
    }

    /// [`Self::base_url`] with this run's overrides of the public URL and the listen address
    /// (`serve --public-url`, `--listen`), which win over the settings.
    pub fn base_url_with(
        &self,
        public_url: Option<&str>,
        listen: Option<std::net::SocketAddr>,
        connection_id: &str,
    ) -> String {
        match public_url.or(self.public_url.as_deref()) {
            Some(url) => format!("{url}/scim/v2/{connection_id}"),
            None => format!(
                "http://{}/scim/v2/{connection_id}",
                listen.unwrap_or(self.listen)
            ),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("'{0}' is not an address to listen on: give an IP address and a port, such as 127.0.0.1:8742")]
    BadListen(String),
    #[error("'{value}' cannot be the public URL: {reason}")]
    BadPublicUrl { value: String, reason: String },
    #[error("'{0}' is not a rate limit: give requests per second per connection (such as 600), or 'off'")]
    BadRateLimit(String),
    #[error(
        "'{0}' is not a burst size: give a number of requests (1 or more), or \"\" for the default"
    )]
    BadBurst(String),
    #[error("there is no setting named '{0}'; the settings are 'listen', 'public-url', 'okta', 'entra', 'rate-limit', 'rate-limit-burst', 'activity-retention-days', 'activity-retention-lines', 'keep-awake', 'reconcile-schedule', 'notifications', 'mode' and 'secrets-dir'")]
    UnknownKey(String),
    #[error("'{0}' is not a mode: give server (tokens shown once, secrets from environment variables or files) or desktop (the default: tokens and secrets in the OS keychain)")]
    BadMode(String),
    #[error("SCIMDESK_SERVER_MODE is set to '{0}': give 1 (server mode) or 0 (desktop mode), or unset it to let the mode setting decide")]
    BadServerModeEnv(String),
    #[error("'{0}' is not an absolute directory path: give the directory secret files are read from, such as /etc/scimdesk/secrets, or \"\" to clear it")]
    BadSecretsDir(String),
    #[error("'{0}' is not a reconcile schedule: give off, 6h, daily (the default) or weekly")]
    BadReconcileSchedule(String),
    #[error(
        "'{0}' is not a number of days to keep activity for: give 1 to 36,500 (180 by default)"
    )]
    BadRetentionDays(String),
    #[error("'{0}' is not a number of activity lines to keep: give 100 to 1,000,000,000 (1,000,000 by default)")]
    BadRetentionLines(String),
    #[error("'{0}' is not on or off")]
    BadSwitch(String),
    #[error("{0} can be reached from other machines, and SCIM Desk serves plain HTTP there (tokens \
             and employees' data unencrypted): listen on this machine only (such as \
             127.0.0.1:{port}) and let a tunnel or an HTTPS reverse proxy forward Okta's requests. \
             On a server behind such a proxy, add --allow-remote to say you mean it", port = .0.port())]
    RemoteListen(SocketAddr),
}

/// Whether only this machine reaches `addr`: 127.0.0.0/8 or ::1 (also written ::ffff:127.x).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().to_canonical().is_loopback()
}

/// SCIM Desk listens on loopback only, unless the admin allowed another address: a listener other
/// machines reach serves Okta's tokens and the directory as plain HTTP to the network.
pub fn check_listen(addr: SocketAddr, allow_remote: bool) -> Result<SocketAddr, ConfigError> {
    if allow_remote || is_loopback(&addr) {
        Ok(addr)
    } else {
        Err(ConfigError::RemoteListen(addr))
    }
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
    fn server_mode_is_the_variable_then_the_setting_then_off() {
        let mode = |env, setting| ServerMode::decide(env, setting).map(|m| (m.on, m.from_env));
        assert_eq!(mode(None, None), Ok((false, false)));
        assert_eq!(mode(None, Some("server")), Ok((true, false)));
        assert_eq!(mode(None, Some(" Desktop ")), Ok((false, false)));
        assert_eq!(mode(Some("1"), Some("desktop")), Ok((true, true)));
        assert_eq!(mode(Some("0"), Some("server")), Ok((false, true)));
        assert_eq!(mode(Some(""), Some("server")), Ok((true, false)));
        let e = mode(Some("maybe"), None).unwrap_err().to_string();
        assert!(
            e.contains("SCIMDESK_SERVER_MODE") && e.contains("'maybe'"),
            "{e}"
        );
        assert!(mode(None, Some("cloud"))
            .unwrap_err()
            .to_string()
            .contains("server"));
        assert_eq!(parse_secrets_dir(" "), Ok(None));
        assert_eq!(
            parse_secrets_dir("/etc/scimdesk/secrets"),
            Ok(Some("/etc/scimdesk/secrets".to_owned()))
        );
        assert!(parse_secrets_dir("secrets").is_err());
    }

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
            allow_remote: false,
            public_url: None,
            okta_enabled: true,
            entra_enabled: true,
            rate_limit: RateLimit::default(),
            activity_retention: Retention::default(),
            keep_awake: false,
        };
        assert_eq!(c.base_url("abc"), "http://127.0.0.1:8742/scim/v2/abc");
        let listen = Some("127.0.0.1:9000".parse().unwrap());
        assert_eq!(
            c.base_url_with(None, listen, "abc"),
            "http://127.0.0.1:9000/scim/v2/abc"
        );
        c.public_url = Some("https://t.example".into());
        assert_eq!(c.base_url("abc"), "https://t.example/scim/v2/abc");
        assert_eq!(
            c.base_url_with(None, listen, "abc"),
            "https://t.example/scim/v2/abc"
        );
        assert_eq!(
            c.base_url_with(Some("https://o.example"), listen, "abc"),
            "https://o.example/scim/v2/abc"
        );
        assert!(parse_listen("nope").is_err());
    }

    #[test]
    fn only_loopback_listens_without_allow_remote() {
        for local in [
            "127.0.0.1:8742",
            "127.9.9.9:1",
            "[::1]:8742",
            "[::ffff:127.0.0.1]:80",
        ] {
            let addr: SocketAddr = local.parse().unwrap();
            assert!(is_loopback(&addr), "{local}");
            assert_eq!(check_listen(addr, false), Ok(addr));
        }
        for remote in [
            "0.0.0.0:8742",
            "[::]:8742",
            "192.168.1.20:8742",
            "[::ffff:10.0.0.1]:1",
        ] {
            let addr: SocketAddr = remote.parse().unwrap();
            let refused = check_listen(addr, false).unwrap_err();
            assert!(refused.to_string().contains("--allow-remote"), "{refused}");
            assert_eq!(check_listen(addr, true), Ok(addr));
        }
    }

    #[test]
    fn retention_parses_and_defaults_to_half_a_year_or_a_million_lines() {
        assert_eq!(
            Retention::default(),
            Retention {
                days: 180,
                lines: 1_000_000
            }
        );
        assert_eq!(parse_retention_days(" 30 "), Ok(30));
        assert_eq!(parse_retention_lines("1,000,000"), Ok(1_000_000));
        assert_eq!(parse_retention_lines("250_000"), Ok(250_000));
        for bad in ["", "0", "-1", "36501", "forever", "1.5"] {
            assert!(parse_retention_days(bad).is_err(), "{bad} accepted");
        }
        for bad in ["", "99", "1000000001", "lots"] {
            assert!(parse_retention_lines(bad).is_err(), "{bad} accepted");
        }
        let set = Retention::from_settings(Some("7"), Some("5000"));
        assert_eq!((set.days, set.lines), (7, 5000));
        assert_eq!(
            Retention::from_settings(Some("x"), None),
            Retention::default()
        );
        assert_eq!(
            Retention::default().to_string(),
            "180 days or 1,000,000 lines, whichever is fewer"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn switches_read_on_and_off() {
        assert_eq!(parse_switch(" On "), Ok(true));
        assert_eq!(parse_switch("false"), Ok(false));
        assert!(parse_switch("maybe").is_err());
        assert!(notifications_on(None));
        assert!(!notifications_on(Some("off")));
        assert!(notifications_on(Some("garbled")));
    }

    #[test]
    fn rate_limit_parses_off_numbers_and_defaults() {
        assert_eq!(parse_rate_limit("off"), Ok(0));
        assert_eq!(parse_rate_limit(" 0 "), Ok(0));
        assert_eq!(parse_rate_limit("25"), Ok(25));
        for bad in ["", "-1", "1.5", "fast", "1000001"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(parse_burst(""), Ok(None));
        assert_eq!(parse_burst("40"), Ok(Some(40)));
        assert!(parse_burst("0").is_err());

        let default = RateLimit::from_settings(None, None);
        assert_eq!((default.per_second, default.burst), (600, 600));
        let set = RateLimit::from_settings(Some("5"), Some("12"));
        assert_eq!((set.per_second, set.burst), (5, 12));
        assert_eq!(RateLimit::from_settings(Some("7"), None).burst, 7);
        assert!(RateLimit::from_settings(Some("off"), None).is_off());
        // A hand-edited value that does not parse is the default, not an endpoint that fails.
        assert_eq!(RateLimit::from_settings(Some("lots"), Some("x")), default);
    }
}
