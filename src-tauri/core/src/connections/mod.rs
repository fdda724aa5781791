//! Connections: the credentials an identity provider's app (Okta, Microsoft Entra ID) uses to
//! reach this directory. Each connection belongs to one provider, chosen when it is added.
//!
//! Adding one generates its id and a 32-byte token from the OS CSPRNG; the token's plaintext goes
//! to the keychain (so the admin can copy it again later) and only its SHA-256 digest to SQLite,
//! which is what a request is checked against. In server mode (see `Desk::server_mode`) there is
//! no keychain: the token is answered once and only its digest is kept, and the keychain is
//! never called. Deleting one removes both; the employees it
//! provisioned stay. The endpoint keeps the digests in memory only while the database's `config`
//! generation is unchanged, so a connection added or deleted by another process (the desktop app
//! and a CLI share a data directory) counts from the next request.

pub mod keychain;
pub mod server_secrets;

use std::sync::Arc;

use base64::Engine;
use rand::TryRngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::sql::OptionalExtension;
use crate::db::{direct_error, is_unique_violation, Db, StoreError};
use crate::timefmt;
use keychain::{Keychain, KeychainError};

pub const NAME_MAX_CHARS: usize = 64;

/// The identity provider a connection belongs to: whose app calls its base URL. Front ends word
/// it ("Okta", "Microsoft Entra ID"); stored as `okta` / `entra`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    #[default]
    Okta,
    Entra,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Okta, Provider::Entra];

    /// The stored and command-line form: `okta`, `entra`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Okta => "okta",
            Provider::Entra => "entra",
        }
    }

    /// The provider's name as the admin knows it.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Okta => "Okta",
            Provider::Entra => "Microsoft Entra ID",
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider named by the admin that SCIM Desk does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an identity provider SCIM Desk knows; use okta or entra")]
pub struct UnknownProvider(pub String);

impl std::str::FromStr for Provider {
    type Err = UnknownProvider;

    /// `okta` or `entra`, in any case.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let value = raw.trim();
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| UnknownProvider(value.to_owned()))
    }
}

impl Provider {
    /// A stored value; the schema's CHECK allows only the two, so anything else is a database
    /// written by a newer SCIM Desk, read as Okta rather than failing every listing.
    fn from_column(value: &str) -> Provider {
        value.parse().unwrap_or_default()
    }
}

impl crate::db::sql::FromSql for Provider {
    fn from_value(value: crate::db::sql::Value) -> Result<Self, String> {
        let text = <String as crate::db::sql::FromSql>::from_value(value)?;
        text.parse().map_err(|e: UnknownProvider| e.to_string())
    }
}

/// The keychain account of a connection's Okta API token (see `okta`): removed with the
/// connection.
pub fn okta_api_account(connection_id: &str) -> String {
    format!("okta-api:{connection_id}")
}

/// A connection as the admin sees it. Never carries the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub provider: Provider,
    pub created_at: String,
    pub last_contact_at: Option<String>,
    pub last_contact_status: Option<i64>,
    pub last_contact_detail: Option<String>,
    /// Requests refused at this connection's base URL for a wrong or missing token.
    pub refused_count: i64,
    /// When the last of them came.
    pub last_refused_at: Option<String>,
}

/// What adding a connection hands back once: the connection and its token.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub connection: Connection,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidProvider(#[from] UnknownProvider),
    #[error("a connection named '{0}' already exists; choose another name")]
    DuplicateName(String),
    #[error("there is no connection with the id or name '{0}'")]
    NotFound(String),
    #[error("{0}")]
    Keychain(#[from] KeychainError),
    #[error("the token of connection '{0}' is missing from the keychain; regenerate it (`scimdesk connection regenerate-token`, or Regenerate token in the app) and paste the new one into the identity provider")]
    TokenMissing(String),
    #[error("the token of connection '{0}' was shown once, when it was made: SCIM Desk runs in server mode and keeps only a digest of it, so it cannot be shown again. If it is lost, regenerate it (`scimdesk connection regenerate-token`, or Regenerate token in the app) and paste the new one into the identity provider")]
    TokenNotKept(String),
    #[error("the test of connection '{0}' sends its token, which SCIM Desk does not keep in server mode: test it from the identity provider instead (Okta: Test API Credentials; Microsoft Entra ID: Test Connection)")]
    RehearsalNeedsToken(String),
    #[error("{0}")]
    Database(#[from] crate::db::StoreError),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// Why a request was refused. The text is for the Okta admin and names no token.
///
/// A token of another connection presented at this connection's base URL is [`AuthError::Unknown`]
/// too, answered byte for byte as a token nobody has: telling the two apart would confirm to
/// whoever holds the token that it is valid somewhere.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("The request has no Authorization header. In Okta, set Authentication Mode to HTTP Header and paste the connection's token from SCIM Desk.")]
    Missing,
    #[error("The token is not valid for this base URL. Copy the base URL and the token of the same connection from SCIM Desk into Okta (a deleted connection's token is refused).")]
    Unknown,
}

/// The connection a request was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub id: String,
    pub name: String,
    pub provider: Provider,
}

/// What authenticating a request needs of a connection: kept in memory between requests (see
/// `Desk::serving`), never the token itself.
#[derive(Debug, Clone)]
pub struct ConnectionKey {
    pub id: String,
    pub name: String,
    pub provider: Provider,
    token_sha256: [u8; 32],
}

/// Checks a request's `Authorization` header against the connection named in its path, among
/// `keys`. Every digest is compared, in constant time.
pub fn authenticate_with(
    keys: &[ConnectionKey],
    connection_id: &str,
    authorization: Option<&str>,
) -> Result<Authenticated, AuthError> {
    let Some(token) = authorization.and_then(token_from_header) else {
        return Err(AuthError::Missing);
    };
    let digest = token_digest(token);
    let mut found = None;
    for key in keys {
        if bool::from(key.token_sha256.ct_eq(&digest)) {
            found = Some(key);
        }
    }
    let key = found
        .filter(|key| key.id == connection_id)
        .ok_or(AuthError::Unknown)?;
    Ok(Authenticated {
        id: key.id.clone(),
        name: key.name.clone(),
        provider: key.provider,
    })
}

#[derive(Clone)]
pub struct Connections {
    db: Db,
    /// Where tokens are kept for the admin to copy again (the desktop); `None` in server mode,
    /// where a token is shown once and only its digest is kept.
    keychain: Option<Arc<dyn Keychain>>,
}

/// Trims and checks a connection name: 1–64 characters, no control characters.
pub fn validate_name(raw: &str) -> Result<String, ConnectionError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ConnectionError::InvalidName(
            "the connection needs a name".to_owned(),
        ));
    }
    let chars = name.chars().count();
    if chars > NAME_MAX_CHARS {
        return Err(ConnectionError::InvalidName(format!(
            "the name is {chars} characters long; use at most {NAME_MAX_CHARS}"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ConnectionError::InvalidName(
            "the name must not contain control characters such as tabs or line breaks".to_owned(),
        ));
    }
    Ok(name.to_owned())
}

/// 32 bytes from the OS CSPRNG, URL-safe base64 without padding (43 characters).
pub fn generate_token() -> Result<String, ConnectionError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| ConnectionError::Random(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The token in an `Authorization` header: `Bearer <token>`, or the bare token that some Okta
/// app types send.
pub fn token_from_header(value: &str) -> Option<&str> {
    let value = value.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None if value.eq_ignore_ascii_case("bearer") => return None,
        None => value,
    };
    (!token.is_empty()).then_some(token)
}

/// A row of [`COLUMNS`].
fn row_to_connection(row: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Connection> {
    Ok(Connection {
        id: row.get(0)?,
        name: row.get(1)?,
        provider: Provider::from_column(&row.get::<_, String>(2)?),
        created_at: row.get(3)?,
        last_contact_at: row.get(4)?,
        last_contact_status: row.get(5)?,
        last_contact_detail: row.get(6)?,
        refused_count: row.get(7)?,
        last_refused_at: row.get(8)?,
    })
}

const COLUMNS: &str = "id, name, provider, created_at, last_contact_at, last_contact_status, \
     last_contact_detail, refused_count, last_refused_at";

impl Connections {
    /// Connections whose tokens are kept in `keychain` (the desktop).
    pub fn new(db: Db, keychain: Arc<dyn Keychain>) -> Self {
        Self {
            db,
            keychain: Some(keychain),
        }
    }

    /// Connections of server mode: a token is answered once, when it is made, and only its
    /// digest is kept; no keychain is ever called.
    pub fn shown_once(db: Db) -> Self {
        Self { db, keychain: None }
    }

    /// Whether a token can be shown again ([`Connections::token`]); false in server mode.
    pub fn keeps_tokens(&self) -> bool {
        self.keychain.is_some()
    }

    /// Runs `op` on the keychain; nothing in server mode, where there is none.
    async fn keychain(
        &self,
        op: impl FnOnce(&dyn Keychain) -> Result<(), KeychainError> + Send + 'static,
    ) -> Result<(), KeychainError> {
        match &self.keychain {
            Some(k) => keychain::blocking(k.clone(), op).await,
            None => Ok(()),
        }
    }

    /// Adds a connection for `provider`. Names are unique across providers (the unique index
    /// on `name` has no provider in it): the CLI and the app find a connection by its name alone,
    /// and two "Production" connections, one per provider, would make that ambiguous.
    pub async fn add(
        &self,
        raw_name: &str,
        provider: Provider,
    ) -> Result<NewConnection, ConnectionError> {
        let name = validate_name(raw_name)?;
        let id = uuid::Uuid::new_v4().to_string();
        let token = generate_token()?;
        let digest = token_digest(&token).to_vec();
        let created_at = timefmt::now();

        // The row is inserted first, and the token written to the keychain inside the same
        // transaction (on the writer's thread, which waits for it): a duplicate name fails
        // before anything reaches the keychain, and a keychain failure rolls the row back. If
        // the COMMIT itself fails, the keychain entry is taken back: neither half is ever left
        // alone.
        let keychain = self.keychain.clone();
        let (row_id, row_name, row_created) = (id.clone(), name.clone(), created_at.clone());
        let secret = token.clone();
        let written = self
            .db
            .write(move |c| -> Result<(), ConnectionError> {
                let inserted = c.execute(
                    "INSERT INTO connections (id, name, provider, token_sha256, created_at) \
                     VALUES (?, ?, ?, ?, ?)",
                    crate::db::sql::params![
                        row_id,
                        row_name,
                        provider.as_str(),
                        digest,
                        row_created
                    ],
                );
                if let Err(e) = inserted {
                    return Err(if is_unique_violation(&e) {
                        ConnectionError::DuplicateName(row_name)
                    } else {
                        direct_error(e).into()
                    });
                }
                if let Some(keychain) = keychain {
                    keychain.set(&row_id, &secret)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = written {
            if !matches!(e, ConnectionError::DuplicateName(_)) {
                let account = id.clone();
                let _ = self.keychain(move |k| k.delete(&account)).await;
            }
            return Err(e);
        }
        Ok(NewConnection {
            connection: Connection {
                id,
                name,
                provider,
                created_at,
                last_contact_at: None,
                last_contact_status: None,
                last_contact_detail: None,
                refused_count: 0,
                last_refused_at: None,
            },
            token,
        })
    }

    pub async fn list(&self) -> Result<Vec<Connection>, ConnectionError> {
        let list = self
            .db
            .read_async(|c| {
                c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM connections ORDER BY created_at, id"
                ))?
                .query_map((), row_to_connection)?
                .collect()
            })
            .await?;
        Ok(list)
    }

    /// Finds a connection by id, or by name ignoring case.
    pub async fn find(&self, id_or_name: &str) -> Result<Connection, ConnectionError> {
        let key = id_or_name.trim().to_owned();
        let bound = key.clone();
        let found = self
            .db
            .read_async(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM connections WHERE id = ?1 \
                     UNION ALL SELECT {COLUMNS} FROM connections WHERE name = ?1 COLLATE NOCASE AND id <> ?1 \
                     LIMIT 1"
                ))?
                .query_row([&bound], row_to_connection)
                .optional()
            })
            .await?;
        found.ok_or(ConnectionError::NotFound(key))
    }

    /// The token again, from the keychain, for the admin to copy. In server mode there is none
    /// to show: [`ConnectionError::TokenNotKept`] says to regenerate it.
    pub async fn token(&self, id_or_name: &str) -> Result<String, ConnectionError> {
        let connection = self.find(id_or_name).await?;
        let Some(keychain) = self.keychain.clone() else {
            return Err(ConnectionError::TokenNotKept(connection.name));
        };
        let account = connection.id.clone();
        keychain::blocking(keychain, move |k| k.get(&account))
            .await?
            .ok_or(ConnectionError::TokenMissing(connection.name))
    }

    /// Gives the connection a new token and answers it, once, like [`Connections::add`]. The old
    /// one is refused from the next request on, by every process serving this data directory
    /// (the digest changes in the row, which moves the config generation their caches follow).
    /// `record` runs in the same transaction, with the connection: how the caller writes that it
    /// happened (the activity log; never the token). A token missing from the keychain is mended
    /// this way too.
    ///
    /// As in `add`, the keychain is written inside the transaction that changes the digest: a
    /// keychain failure rolls the change back; a failed COMMIT puts the old token back in the
    /// keychain.
    pub async fn regenerate_token(
        &self,
        id_or_name: &str,
        record: impl FnOnce(&crate::db::sql::Connection, &Connection) -> crate::db::sql::Result<()>
            + Send
            + 'static,
    ) -> Result<NewConnection, ConnectionError> {
        let connection = self.find(id_or_name).await?;
        let token = generate_token()?;
        let digest = token_digest(&token).to_vec();
        let account = connection.id.clone();
        let old = match self.keychain.clone() {
            Some(k) => keychain::blocking(k, move |k| k.get(&account)).await?,
            None => None,
        };
        let keychain = self.keychain.clone();
        let (secret, written) = (token.clone(), connection.clone());
        let result = self
            .db
            .write(move |c| -> Result<(), ConnectionError> {
                let changed = c
                    .execute(
                        "UPDATE connections SET token_sha256 = ? WHERE id = ?",
                        crate::db::sql::params![digest, written.id],
                    )
                    .map_err(direct_error)?;
                if changed == 0 {
                    return Err(ConnectionError::NotFound(written.name.clone()));
                }
                record(c, &written).map_err(direct_error)?;
                if let Some(keychain) = keychain {
                    keychain.set(&written.id, &secret)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            if let Some(old) = old {
                let account = connection.id.clone();
                let _ = self.keychain(move |k| k.set(&account, &old)).await;
            }
            return Err(e);
        }
        Ok(NewConnection { connection, token })
    }

    /// Deletes the keychain entries (the token, an Okta API token; none in server mode), then
    /// the row: from then on the token is refused. Employees the connection provisioned are not
    /// touched.
    pub async fn delete(&self, id_or_name: &str) -> Result<Connection, ConnectionError> {
        let connection = self.find(id_or_name).await?;
        let account = connection.id.clone();
        self.keychain(move |k| k.delete(&account)).await?;
        let account = okta_api_account(&connection.id);
        self.keychain(move |k| k.delete(&account)).await?;
        let row = connection.id.clone();
        self.db
            .write(move |c| {
                c.execute("DELETE FROM connections WHERE id = ?", [row])
                    .map_err(direct_error)
            })
            .await?;
        Ok(connection)
    }

    /// Every connection's id, name and token digest, for [`authenticate_with`].
    pub async fn keys(&self) -> Result<Vec<ConnectionKey>, StoreError> {
        let rows: Vec<(String, String, String, Vec<u8>)> = self.db.read(|c| {
            c.prepare_cached("SELECT id, name, provider, token_sha256 FROM connections")?
                .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect()
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, name, provider, digest)| {
                Some(ConnectionKey {
                    id,
                    name,
                    provider: Provider::from_column(&provider),
                    token_sha256: digest.try_into().ok()?,
                })
            })
            .collect())
    }

    /// Checks a request's `Authorization` header against the connection named in its path.
    pub async fn authenticate(
        &self,
        connection_id: &str,
        authorization: Option<&str>,
    ) -> Result<Result<Authenticated, AuthError>, StoreError> {
        let Some(token) = authorization.and_then(token_from_header) else {
            return Ok(Err(AuthError::Missing));
        };
        let digest = token_digest(token);
        let row: Option<(String, String, String, Vec<u8>)> = self.db.read(|c| {
            c.prepare_cached(
                "SELECT id, name, provider, token_sha256 FROM connections WHERE token_sha256 = ?",
            )?
            .query_row([digest.as_slice()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
        })?;
        let Some((id, name, provider, stored)) = row else {
            return Ok(Err(AuthError::Unknown));
        };
        if !bool::from(stored.as_slice().ct_eq(digest.as_slice())) {
            return Ok(Err(AuthError::Unknown));
        }
        if id != connection_id {
            return Ok(Err(AuthError::Unknown));
        }
        Ok(Ok(Authenticated {
            id,
            name,
            provider: Provider::from_column(&provider),
        }))
    }

    /// Remembers when Okta last reached a connection, and how it went.
    pub async fn record_contact(
        &self,
        connection_id: &str,
        at: &str,
        status: u16,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        let row = (
            at.to_owned(),
            i64::from(status),
            detail.map(str::to_owned),
            connection_id.to_owned(),
        );
        self.db
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE connections SET last_contact_at = ?, last_contact_status = ?, \
                     last_contact_detail = ? WHERE id = ?",
                )
                .and_then(|mut update| {
                    update.execute(crate::db::sql::params![row.0, row.1, row.2, row.3])
                })
                .map(|_| ())
                .map_err(direct_error)
            })
            .await
    }
}

impl Connections {
    /// Adds `count` refused requests to a connection's tally, the last of them at `at`.
    pub async fn record_refused(
        &self,
        connection_id: &str,
        count: u64,
        at: &str,
    ) -> Result<(), StoreError> {
        let row = (
            i64::try_from(count).unwrap_or(i64::MAX),
            at.to_owned(),
            connection_id.to_owned(),
        );
        self.db
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE connections SET refused_count = refused_count + ?, \
                     last_refused_at = ? WHERE id = ?",
                )
                .and_then(|mut update| update.execute(crate::db::sql::params![row.0, row.1, row.2]))
                .map(|_| ())
                .map_err(direct_error)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  Okta prod ").unwrap(), "Okta prod");
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(65)).is_err());
        assert_eq!(validate_name(&"é".repeat(64)).unwrap().chars().count(), 64);
        assert!(validate_name("a\tb").is_err());
    }

    #[test]
    fn providers_parse_in_any_case_and_name_the_accepted_values_otherwise() {
        assert_eq!("okta".parse(), Ok(Provider::Okta));
        assert_eq!(" Entra ".parse(), Ok(Provider::Entra));
        assert_eq!("ENTRA".parse(), Ok(Provider::Entra));
        let e = "azure".parse::<Provider>().unwrap_err().to_string();
        assert!(e.contains("'azure'") && e.contains("okta or entra"), "{e}");
        assert_eq!(serde_json::to_value(Provider::Entra).unwrap(), "entra");
        assert_eq!(Provider::Entra.display_name(), "Microsoft Entra ID");
    }

    /// A data directory from before providers: its connections are Okta's, and so are the
    /// activity lines they wrote; a line without a connection names no provider.
    #[tokio::test]
    async fn migrating_a_database_from_before_providers_keeps_every_connection_as_okta() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::database_before(dir.path(), 10).await;
        for sql in [
            "INSERT INTO connections (id, name, token_sha256, created_at) \
             VALUES ('c1', 'Okta prod', x'00', '2026-01-01T00:00:00.000Z')",
            "INSERT INTO activity (at, connection_id, connection_name, method, operation, summary, \
             outcome, status) VALUES ('2026-01-01T00:00:00.000Z', 'c1', 'Okta prod', 'POST', \
             'create', 'Created Jane', 'success', 201)",
            "INSERT INTO activity (at, method, operation, summary, outcome, status) \
             VALUES ('2026-01-01T00:00:01.000Z', 'POST', 'create', 'Seeded', 'success', 201)",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        sqlx::Connection::close(conn).await.unwrap();

        let db = Db::open(dir.path()).await.unwrap();
        let connections =
            Connections::new(db.clone(), Arc::new(keychain::MemoryKeychain::default()));
        let listed = connections.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].provider, Provider::Okta);
        let providers: Vec<Option<String>> = db
            .read(|c| {
                c.prepare("SELECT provider FROM activity ORDER BY seq")?
                    .query_map((), |r| r.get(0))?
                    .collect()
            })
            .unwrap();
        assert_eq!(providers, [Some("okta".to_owned()), None]);
        // And the column refuses a provider SCIM Desk does not know.
        let refused = db
            .write(|c| {
                c.execute("UPDATE connections SET provider = 'azure'", ())
                    .map_err(direct_error)
            })
            .await;
        assert!(refused.is_err(), "{refused:?}");
        db.close().await;
    }

    /// Regenerating: the new token authenticates and is in the keychain, the old one is refused
    /// at once, the activity log says so without the token; an unknown connection is refused.
    #[tokio::test]
    async fn a_regenerated_token_replaces_the_old_one_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let connections =
            Connections::new(db.clone(), Arc::new(keychain::MemoryKeychain::default()));
        let first = connections.add("Okta prod", Provider::Okta).await.unwrap();
        let id = first.connection.id.clone();
        let bearer = |t: &str| format!("Bearer {t}");

        let again = connections
            .regenerate_token("okta PROD", crate::desk::record_regenerated)
            .await
            .unwrap();
        assert_eq!(again.connection.id, id);
        assert_ne!(again.token, first.token);
        assert_eq!(connections.token(&id).await.unwrap(), again.token);
        let old = connections
            .authenticate(&id, Some(&bearer(&first.token)))
            .await
            .unwrap();
        assert!(old.is_err(), "the old token is refused");
        let new = connections
            .authenticate(&id, Some(&bearer(&again.token)))
            .await
            .unwrap();
        assert_eq!(new.unwrap().id, id);

        let lines: Vec<(String, String, String)> = db
            .read(|c| {
                c.prepare("SELECT method, operation, summary FROM activity")?
                    .query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(
            (lines[0].0.as_str(), lines[0].1.as_str()),
            ("ADMIN", "regenerate_token")
        );
        assert!(lines[0].2.contains("Okta prod"), "{lines:?}");
        assert!(!lines[0].2.contains(&again.token) && !lines[0].2.contains(&first.token));

        let missing = connections
            .regenerate_token("nope", crate::desk::record_regenerated)
            .await
            .unwrap_err();
        assert!(matches!(missing, ConnectionError::NotFound(_)), "{missing}");
        db.close().await;
    }

    /// A connection keeps the provider it was added for, in the list, the lookup and the keys
    /// requests are authenticated with; names stay unique across providers.
    #[tokio::test]
    async fn a_connection_is_added_for_a_provider_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let connections =
            Connections::new(db.clone(), Arc::new(keychain::MemoryKeychain::default()));
        let entra = connections.add("Entra", Provider::Entra).await.unwrap();
        let okta = connections.add("Okta", Provider::Okta).await.unwrap();
        assert_eq!(entra.connection.provider, Provider::Entra);
        let listed: Vec<_> = connections
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.provider))
            .collect();
        assert_eq!(
            listed,
            [
                ("Entra".to_owned(), Provider::Entra),
                ("Okta".to_owned(), Provider::Okta)
            ]
        );
        assert_eq!(
            connections.find("entra").await.unwrap().provider,
            Provider::Entra
        );
        let keys = connections.keys().await.unwrap();
        let who = authenticate_with(&keys, &entra.connection.id, Some(&entra.token)).unwrap();
        assert_eq!(who.provider, Provider::Entra);
        let who = connections
            .authenticate(&okta.connection.id, Some(&okta.token))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(who.provider, Provider::Okta);
        let taken = connections.add("okta", Provider::Entra).await.unwrap_err();
        assert!(
            matches!(taken, ConnectionError::DuplicateName(_)),
            "{taken}"
        );
        db.close().await;
    }

    #[test]
    fn tokens_are_32_random_bytes_url_safe() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn authorization_header_forms() {
        assert_eq!(token_from_header("Bearer abc"), Some("abc"));
        assert_eq!(token_from_header("bearer   abc "), Some("abc"));
        assert_eq!(token_from_header("abc"), Some("abc"));
        assert_eq!(token_from_header("Basic dXNlcg=="), None);
        assert_eq!(token_from_header("Bearer "), None);
        assert_eq!(token_from_header(""), None);
    }

    #[test]
    fn authentication_against_cached_keys() {
        let key = |id: &str, token: &str| ConnectionKey {
            id: id.into(),
            name: format!("name {id}"),
            provider: Provider::Okta,
            token_sha256: token_digest(token),
        };
        let keys = [key("a", "token-a"), key("b", "token-b")];
        let ok = authenticate_with(&keys, "b", Some("Bearer token-b")).unwrap();
        assert_eq!((ok.id.as_str(), ok.name.as_str()), ("b", "name b"));
        // Another connection's token is a token nobody has, as far as this base URL says.
        assert_eq!(
            authenticate_with(&keys, "a", Some("Bearer token-b")),
            Err(AuthError::Unknown)
        );
        assert_eq!(
            authenticate_with(&keys, "a", Some("Bearer nope")),
            Err(AuthError::Unknown)
        );
        assert_eq!(authenticate_with(&keys, "a", None), Err(AuthError::Missing));
        assert_eq!(
            authenticate_with(&[], "a", Some("token-a")),
            Err(AuthError::Unknown)
        );
    }
}
