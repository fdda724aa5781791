//! Okta's management API for one connection: its setup (org URL, app id, and an API token in
//! the keychain) and the reconcile dry run that compares Okta's view of the app's assignments
//! with the directory.
//!
//! SCIM is Okta pushing to us; this is SCIM Desk asking Okta, for when pushes were missed. The
//! org URL and app id live in the database (`okta_api`); the token only in the keychain, under
//! `okta-api:<connection id>`, and it never reaches a log, an error or the output. Errors are
//! codes ([`OktaApiError`]); each front end words them. The reconcile reports; applied, it writes
//! through the directory's own write path (`reconcile::apply`), never deleting anyone.

pub mod client;
pub mod reconcile;
pub mod runs;

use std::sync::Arc;

use serde::Serialize;

use crate::connections::keychain::{self, Keychain, KeychainError};
use crate::connections::server_secrets::SecretsPlace;
use crate::connections::{Connection, ConnectionError, Connections};
use crate::db::{direct_error, Db, StoreError};
use crate::https::{HttpsError, TransportFailure};
use crate::timefmt;

pub use crate::connections::okta_api_account as token_account;

/// Why the Okta API could not be set up or read. Codes and values: the CLI words them in
/// `cli/wording.rs`. No variant ever carries the token.
#[derive(Debug, thiserror::Error)]
pub enum OktaApiError {
    /// The org URL is not an `https://` URL with a host.
    #[error("invalid org URL {given:?}: {reason}")]
    InvalidOrgUrl { given: String, reason: &'static str },
    /// Neither an app id nor an Okta admin URL of an app.
    #[error("invalid app id {0:?}")]
    InvalidAppId(String),
    /// The token given is empty.
    #[error("empty API token")]
    EmptyToken,
    /// The connection is not an Okta connection: reconcile reads Okta's API, so it is for
    /// Okta connections only.
    #[error("connection {0} is not an Okta connection; reconcile is for Okta connections only")]
    NotOktaConnection(String),
    /// The connection has no Okta API set up.
    #[error("no Okta API set up for connection {0}")]
    NotSetUp(String),
    /// The setup is in the database but its token is not in the keychain.
    #[error("the Okta API token of connection {0} is missing from the keychain")]
    TokenMissing(String),
    /// Server mode: the connection's Okta API token is not among the operator's variables and
    /// files (`place` says which to set), or one was given to store, which server mode never does.
    #[error("server mode reads the Okta API token of connection {connection_name} and never stores it: {place}")]
    ServerSecret {
        connection_name: String,
        place: String,
    },
    /// Okta could not be reached: DNS, refused, TLS, timeout.
    #[error("{host}: {failure:?}: {detail}")]
    Unreachable {
        host: String,
        failure: TransportFailure,
        detail: String,
    },
    /// 401: the token is not valid (revoked, expired, mistyped, or another org's).
    #[error("401 from Okta ({summary})")]
    BadToken { summary: String },
    /// 403: the token's admin may not read this app or its users.
    #[error("403 from Okta ({summary})")]
    Forbidden { summary: String },
    /// 404: the org has no app with this id.
    #[error("404 from Okta for app {app_id} ({summary})")]
    AppNotFound { app_id: String, summary: String },
    /// 429 again and again, or a wait past the bound.
    #[error("rate limited by Okta; gave up after {waits} waits")]
    RateLimited { waits: u32 },
    /// Any other status Okta answered.
    #[error("HTTP {status} from Okta ({summary})")]
    Unexpected { status: u16, summary: String },
    /// A 200 whose body is not what Okta's API sends (the org URL points at another site).
    #[error("the answer from {url} is not Okta's API: {detail}")]
    NotOkta { url: String, detail: String },
    /// A `Link: rel="next"` that leaves the org (never followed: the token would go with it).
    #[error("Okta's next-page link points outside the org: {0}")]
    ForeignLink(String),
    /// A reconcile is already running in this process (one at a time), for this connection.
    #[error("a reconcile is already running for {connection_name}")]
    ReconcileRunning { connection_name: String },
    /// The admin cancelled the run.
    #[error("the reconcile was cancelled")]
    Cancelled,
    /// `--only` named keys no row of the report has.
    #[error("no row of the report has the key(s) {0:?}")]
    NoSuchRow(Vec<String>),
    #[error("{0}")]
    Https(#[from] HttpsError),
    #[error("{0}")]
    Connection(#[from] ConnectionError),
    #[error("{0}")]
    Keychain(#[from] KeychainError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Directory(#[from] crate::directory::DirectoryError),
}

/// A connection's Okta API setup as shown to the admin. Never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct OktaApiSetup {
    pub connection_id: String,
    pub connection_name: String,
    pub org_url: String,
    pub app_id: String,
    /// The app's label in Okta, as read when the setup was validated.
    pub app_label: Option<String>,
    pub validated_at: String,
}

/// `https://<org>.okta.com` from what the admin typed: https only, a host, no credentials; any
/// path, query or trailing slash dropped. An admin-console address (`acme-admin.okta.com`) is
/// turned into the org's (`acme.okta.com`), which is where the API answers.
/// Reconcile reads Okta's management API: a connection of another provider has none to read.
pub fn okta_only(connection: &Connection) -> Result<(), OktaApiError> {
    match connection.provider {
        crate::connections::Provider::Okta => Ok(()),
        _ => Err(OktaApiError::NotOktaConnection(connection.name.clone())),
    }
}

pub fn parse_org_url(raw: &str) -> Result<String, OktaApiError> {
    let given = raw.trim();
    let bad = |reason| OktaApiError::InvalidOrgUrl {
        given: given.to_owned(),
        reason,
    };
    let url = url::Url::parse(given).map_err(|_| bad("not_a_url"))?;
    if url.scheme() != "https" {
        return Err(bad("not_https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials"));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(bad("no_host"))?;
    let host = match host.split_once('.') {
        Some((first, rest)) if first.ends_with("-admin") && rest.contains("okta") => {
            format!("{}.{rest}", first.trim_end_matches("-admin"))
        }
        _ => host.to_owned(),
    };
    Ok(match url.port() {
        Some(port) => format!("https://{host}:{port}"),
        None => format!("https://{host}"),
    })
}

/// The app id from what the admin pasted: the bare id (`0oa…`), or the app's admin-console URL
/// (`https://acme-admin.okta.com/admin/app/<name>/instance/<appId>/…`).
pub fn parse_app_id(raw: &str) -> Result<String, OktaApiError> {
    let given = raw.trim();
    let is_id =
        |s: &str| !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric());
    if is_id(given) {
        return Ok(given.to_owned());
    }
    if let Ok(url) = url::Url::parse(given) {
        let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
        if let Some(at) = segments.iter().position(|s| *s == "instance") {
            if let Some(id) = segments.get(at + 1).filter(|s| is_id(s)) {
                return Ok((*id).to_owned());
            }
        }
    }
    Err(OktaApiError::InvalidAppId(given.to_owned()))
}

/// The Okta API setups of connections: the database rows and the keychain's tokens.
#[derive(Clone)]
pub struct OktaApi {
    db: Db,
    keychain: Arc<dyn Keychain>,
    connections: Connections,
    /// Server mode: the keychain is the operator's read-only secrets, found here.
    server_secrets: Option<SecretsPlace>,
}

impl OktaApi {
    pub fn new(db: Db, keychain: Arc<dyn Keychain>, connections: Connections) -> Self {
        Self {
            db,
            keychain,
            connections,
            server_secrets: None,
        }
    }

    /// In server mode: the token is read from the operator's variable or file, never stored.
    pub fn with_server_secrets(mut self, place: SecretsPlace) -> Self {
        self.server_secrets = Some(place);
        self
    }

    fn server_secret_error(&self, connection: &Connection) -> Option<OktaApiError> {
        self.server_secrets
            .as_ref()
            .map(|place| OktaApiError::ServerSecret {
                connection_name: connection.name.clone(),
                place: place.where_to_put(&token_account(&connection.id)),
            })
    }

    async fn keychain<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Keychain) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        keychain::blocking(self.keychain.clone(), op).await
    }

    /// Checks the org URL, app id and token by reading the app from Okta, then keeps them: the
    /// token in the keychain, the rest in the database. Nothing is kept when the check fails.
    /// In server mode no token is given: the operator's (see `server_secrets`) is checked.
    pub async fn set(
        &self,
        id_or_name: &str,
        org_url: &str,
        app_id: &str,
        token: &str,
    ) -> Result<OktaApiSetup, OktaApiError> {
        let connection = self.connections.find(id_or_name).await?;
        okta_only(&connection)?;
        let org_url = parse_org_url(org_url)?;
        let app_id = parse_app_id(app_id)?;
        let token = token.trim().to_owned();
        let account = token_account(&connection.id);
        let token = match self.server_secret_error(&connection) {
            Some(refused) if !token.is_empty() => return Err(refused),
            Some(missing) => {
                let account = account.clone();
                self.keychain(move |k| k.get(&account))
                    .await?
                    .ok_or(missing)?
            }
            None if token.is_empty() => return Err(OktaApiError::EmptyToken),
            None => token,
        };
        let mut client = client::OktaClient::new(&org_url, &token)?;
        let app = client.app(&app_id).await?;
        if self.server_secrets.is_none() {
            self.keychain(move |k| k.set(&account, &token)).await?;
        }
        let validated_at = timefmt::now();
        let (id, org, app_row, label, at) = (
            connection.id.clone(),
            org_url.clone(),
            app_id.clone(),
            app.label.clone(),
            validated_at.clone(),
        );
        self.db
            .write(move |c| -> Result<(), StoreError> {
                c.execute(
                    "INSERT INTO okta_api (connection_id, org_url, app_id, app_label, validated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (connection_id) DO UPDATE SET \
                     org_url = ?2, app_id = ?3, app_label = ?4, validated_at = ?5",
                    crate::db::sql::params![id, org, app_row, label, at],
                )
                .map_err(direct_error)?;
                Ok(())
            })
            .await?;
        Ok(OktaApiSetup {
            connection_id: connection.id,
            connection_name: connection.name,
            org_url,
            app_id,
            app_label: app.label,
            validated_at,
        })
    }

    /// Removes the setup and its token. Clearing a connection with none is not an error.
    pub async fn clear(&self, id_or_name: &str) -> Result<Connection, OktaApiError> {
        let connection = self.connections.find(id_or_name).await?;
        let account = token_account(&connection.id);
        self.keychain(move |k| k.delete(&account)).await?;
        let id = connection.id.clone();
        self.db
            .write(move |c| -> Result<(), StoreError> {
                c.execute("DELETE FROM okta_api WHERE connection_id = ?", [id])
                    .map_err(direct_error)?;
                Ok(())
            })
            .await?;
        Ok(connection)
    }

    /// The connection's setup, if it has one.
    pub async fn get(&self, connection: &Connection) -> Result<Option<OktaApiSetup>, OktaApiError> {
        use crate::db::sql::OptionalExtension;
        let (connection_id, connection_name) = (connection.id.clone(), connection.name.clone());
        let setup = self
            .db
            .read_async(move |c| {
                c.prepare_cached(
                    "SELECT org_url, app_id, app_label, validated_at FROM okta_api \
                     WHERE connection_id = ?",
                )?
                .query_row([&connection_id], |r| {
                    Ok(OktaApiSetup {
                        connection_id: connection_id.clone(),
                        connection_name,
                        org_url: r.get(0)?,
                        app_id: r.get(1)?,
                        app_label: r.get(2)?,
                        validated_at: r.get(3)?,
                    })
                })
                .optional()
            })
            .await?;
        Ok(setup)
    }

    /// The setup and a client holding its token, or why there is none.
    pub async fn client_for(
        &self,
        connection: &Connection,
    ) -> Result<(OktaApiSetup, client::OktaClient), OktaApiError> {
        okta_only(connection)?;
        let setup = self
            .get(connection)
            .await?
            .ok_or_else(|| OktaApiError::NotSetUp(connection.name.clone()))?;
        let account = token_account(&connection.id);
        let token = self
            .keychain(move |k| k.get(&account))
            .await?
            .ok_or_else(|| {
                self.server_secret_error(connection)
                    .unwrap_or_else(|| OktaApiError::TokenMissing(connection.name.clone()))
            })?;
        let client = client::OktaClient::new(&setup.org_url, &token)?;
        Ok((setup, client))
    }

    /// The dry run: Okta's view of the app's users against this connection's employees.
    pub async fn reconcile(
        &self,
        directory: &crate::directory::Directory,
        id_or_name: &str,
    ) -> Result<reconcile::ReconcileReport, OktaApiError> {
        let connection = self.connections.find(id_or_name).await?;
        let (setup, mut client) = self.client_for(&connection).await?;
        reconcile::run(directory, &mut client, &setup).await
    }

    /// The reconcile, then applied to its rows, all or those with a key in `only`.
    pub async fn reconcile_apply(
        &self,
        directory: &crate::directory::Directory,
        id_or_name: &str,
        only: &[String],
    ) -> Result<reconcile::ReconcileReport, OktaApiError> {
        let connection = self.connections.find(id_or_name).await?;
        let (setup, mut client) = self.client_for(&connection).await?;
        let mut report = reconcile::run(directory, &mut client, &setup).await?;
        let ctx = crate::directory::WriteContext {
            connection_id: connection.id,
            connection_name: connection.name,
            provider: connection.provider,
            base_url: String::new(),
        };
        reconcile::apply(directory, &ctx, &mut report, only).await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_urls_are_https_hosts() {
        assert_eq!(
            parse_org_url("https://acme.okta.com/").unwrap(),
            "https://acme.okta.com"
        );
        assert_eq!(
            parse_org_url(" https://acme-admin.okta.com/admin/dashboard ").unwrap(),
            "https://acme.okta.com"
        );
        assert_eq!(
            parse_org_url("https://localhost:8443").unwrap(),
            "https://localhost:8443"
        );
        for (bad, reason) in [
            ("http://acme.okta.com", "not_https"),
            ("acme.okta.com", "not_a_url"),
            ("https://user:pw@acme.okta.com", "credentials"),
        ] {
            match parse_org_url(bad) {
                Err(OktaApiError::InvalidOrgUrl { reason: r, .. }) => {
                    assert_eq!(r, reason, "{bad}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn app_ids_bare_or_from_the_admin_url() {
        assert_eq!(
            parse_app_id("0oa1b2c3d4E5f6G7h8").unwrap(),
            "0oa1b2c3d4E5f6G7h8"
        );
        assert_eq!(
            parse_app_id(
                "https://acme-admin.okta.com/admin/app/scimdesk_app/instance/0oa9xyz123/#tab-assignments"
            )
            .unwrap(),
            "0oa9xyz123"
        );
        assert!(parse_app_id("https://acme-admin.okta.com/admin/apps/active").is_err());
        assert!(parse_app_id("0oa/../x").is_err());
        assert!(parse_app_id("").is_err());
    }
}
